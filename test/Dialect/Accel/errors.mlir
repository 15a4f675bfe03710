// Every verifier error of the accel ops.
// RUN: accel-opt %s -split-input-file -verify-diagnostics

//===--- accel.linear ---===//

func.func @linear_rank0(%x: tensor<f32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = accel.linear %x, %w : tensor<f32>, tensor<4x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x4xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{weight must be [N, K] (rank 2), got rank 1}}
  %0 = accel.linear %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_k(%x: tensor<2x4xf32>, %w: tensor<8x5xf32>) {
  // expected-error @+1 {{input's innermost dimension 4 does not match the weight's K 5}}
  %0 = accel.linear %x, %w : tensor<2x4xf32>, tensor<8x5xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_result_shape(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{result must have shape [2, 8], got [2, 4]}}
  %0 = accel.linear %x, %w : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result_type(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{result element type 'f16' does not match the input's 'f32'}}
  %0 = accel.linear %x, %w : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf16>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias must be [8], got [4]}}
  %0 = accel.linear %x, %w bias(%b : tensor<4xf32>) : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_int_without_quant(%x: tensor<2x4xf32>, %w: tensor<8x4xi2>) {
  // expected-error @+1 {{integer weight needs `weight_quant`}}
  %0 = accel.linear %x, %w : tensor<2x4xf32>, tensor<8x4xi2> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_quant_float_weight(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{`weight_quant` needs an integer weight, got 'f32'}}
  %0 = accel.linear %x, %w {weight_quant = #accel.quant<bits = 2, per_channel, symmetric>} : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_scales_float_weight(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{scales and zero points need a quantized weight}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x1xf32>) : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_width(%x: tensor<2x4xf32>, %w: tensor<8x4xi8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{weight element type 'i8' does not match 2-bit quantization (expected i2)}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x1xf32>) {weight_quant = #accel.quant<bits = 2, per_channel, symmetric>} : tensor<2x4xf32>, tensor<8x4xi8> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_group(%x: tensor<2x48xf32>, %w: tensor<8x48xi4>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{weight quantization group size 32 does not divide the reduction dimension 48}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x1xf32>) {weight_quant = #accel.quant<bits = 4, group = 32, symmetric>} : tensor<2x48xf32>, tensor<8x48xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_no_scales(%x: tensor<2x4xf32>, %w: tensor<8x4xi4>) {
  // expected-error @+1 {{quantized weight needs scales}}
  %0 = accel.linear %x, %w {weight_quant = #accel.quant<bits = 4, per_channel, symmetric>} : tensor<2x4xf32>, tensor<8x4xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_scales_shape(%x: tensor<2x64xf32>, %w: tensor<8x64xi4>, %s: tensor<8x4xf16>) {
  // expected-error @+1 {{weight scales must have shape [8, 2], got [8, 4]}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x4xf16>) {weight_quant = #accel.quant<bits = 4, group = 32, symmetric>} : tensor<2x64xf32>, tensor<8x64xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_symmetric_zp(%x: tensor<2x4xf32>, %w: tensor<8x4xi4>, %s: tensor<8x1xf16>, %z: tensor<8x1xi8>) {
  // expected-error @+1 {{symmetric weight quantization takes no zero points}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x1xf16>) zero_points(%z : tensor<8x1xi8>) {weight_quant = #accel.quant<bits = 4, per_channel, symmetric>} : tensor<2x4xf32>, tensor<8x4xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_asymmetric_no_zp(%x: tensor<2x4xf32>, %w: tensor<8x4xi4>, %s: tensor<8x1xf16>) {
  // expected-error @+1 {{asymmetric weight quantization needs zero points}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x1xf16>) {weight_quant = #accel.quant<bits = 4, per_channel, asymmetric>} : tensor<2x4xf32>, tensor<8x4xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_zp_shape(%x: tensor<2x4xf32>, %w: tensor<8x4xi4>, %s: tensor<8x1xf16>, %z: tensor<8xi8>) {
  // expected-error @+1 {{weight zero points must have shape [8, 1], got [8]}}
  %0 = accel.linear %x, %w scales(%s : tensor<8x1xf16>) zero_points(%z : tensor<8xi8>) {weight_quant = #accel.quant<bits = 4, per_channel, asymmetric>} : tensor<2x4xf32>, tensor<8x4xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_act_group(%x: tensor<2x48xf32>, %w: tensor<8x48xf32>) {
  // expected-error @+1 {{activation quantization group size 32 does not divide the reduction dimension 48}}
  %0 = accel.linear %x, %w {act_quant = #accel.quant<bits = 8, group = 32, symmetric>} : tensor<2x48xf32>, tensor<8x48xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_sparsity_m(%x: tensor<2x6xf32>, %w: tensor<8x6xf32>) {
  // expected-error @+1 {{N:M sparsity 2:4 needs M (4) to divide the reduction dimension 6}}
  %0 = accel.linear %x, %w {sparsity = #accel.sparsity<2:4>} : tensor<2x6xf32>, tensor<8x6xf32> -> tensor<2x8xf32>
  return
}

// -----

//===--- accel.attention ---===//

func.func @attention_rank(%q: tensor<16x64xf32>, %k: tensor<1x16x64xf32>) {
  // expected-error @+1 {{query must be [B, T, heads * head_dim] (rank 3), got [16, 64]}}
  %0 = accel.attention %q, %k, %k heads(4, 4) : tensor<16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<16x64xf32>
  return
}

// -----

func.func @attention_heads_positive(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = accel.attention %q, %q, %q heads(0, 4) : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_gqa(%q: tensor<1x16x64xf32>, %k: tensor<1x16x48xf32>) {
  // expected-error @+1 {{num_heads (4) must be a multiple of num_kv_heads (3)}}
  %0 = accel.attention %q, %k, %k heads(4, 3) : tensor<1x16x64xf32>, tensor<1x16x48xf32>, tensor<1x16x48xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_hidden(%q: tensor<1x16x60xf32>) {
  // expected-error @+1 {{num_heads (8) does not divide the query hidden size 60}}
  %0 = accel.attention %q, %q, %q heads(8, 8) : tensor<1x16x60xf32>, tensor<1x16x60xf32>, tensor<1x16x60xf32> -> tensor<1x16x60xf32>
  return
}

// -----

func.func @attention_kv_hidden(%q: tensor<1x16x64xf32>, %k: tensor<1x16x64xf32>) {
  // expected-error @+1 {{key hidden size 64 must be num_kv_heads * head_dim = 2 * 16}}
  %0 = accel.attention %q, %k, %k heads(4, 2) : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<1x16x64xf32>, %k: tensor<2x16x64xf32>) {
  // expected-error @+1 {{key batch 2 does not match the query batch 1}}
  %0 = accel.attention %q, %k, %k heads(4, 4) : tensor<1x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_kv_length(%q: tensor<1x16x64xf32>, %k: tensor<1x16x64xf32>, %v: tensor<1x8x64xf32>) {
  // expected-error @+1 {{key and value lengths differ: 16 vs 8}}
  %0 = accel.attention %q, %k, %v heads(4, 4) : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x8x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{result must have the query's type 'tensor<1x16x64xf32>'}}
  %0 = accel.attention %q, %q, %q heads(4, 4) : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x8x64xf32>
  return
}

// -----

func.func @attention_past_alone(%q: tensor<1x1x64xf32>, %p: tensor<1x4x64xf32>) {
  // expected-error @+1 {{past key and past value come together}}
  %0 = "accel.attention"(%q, %q, %q, %p) <{num_heads = 4 : i64, num_kv_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x4x64xf32>) -> tensor<1x1x64xf32>
  return
}

// -----

func.func @attention_past_shapes(%q: tensor<1x1x64xf32>, %pk: tensor<1x4x64xf32>, %pv: tensor<1x5x64xf32>) {
  // expected-error @+1 {{past key and value must both be [B, P, num_kv_heads * head_dim], got [1, 4, 64] and [1, 5, 64]}}
  %0 = accel.attention %q, %q, %q past(%pk, %pv : tensor<1x4x64xf32>, tensor<1x5x64xf32>) heads(4, 4) : tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32> -> tensor<1x1x64xf32>
  return
}

// -----

func.func @attention_past_dims(%q: tensor<1x1x64xf32>, %p: tensor<1x4x32xf32>) {
  // expected-error @+1 {{past key/value must be [1, P, 64], got [1, 4, 32]}}
  %0 = accel.attention %q, %q, %q past(%p, %p : tensor<1x4x32xf32>, tensor<1x4x32xf32>) heads(4, 4) : tensor<1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32> -> tensor<1x1x64xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{scale must be finite and > 0, got -1.000000e+00}}
  %0 = accel.attention %q, %q, %q heads(4, 4) {scale = -1.0 : f32} : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_lambda_not_causal(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{Λ-shaped attention (lambda) needs `causal`}}
  %0 = accel.attention %q, %q, %q heads(4, 4) {lambda = #accel.lambda<sink = 4, window = 8>} : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_kv_bits(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{KV cache quantization must be 4 or 8 bits, got 2}}
  %0 = accel.attention %q, %q, %q heads(4, 4) causal {kv_quant = #accel.quant<bits = 2, per_channel, asymmetric>} : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @attention_kv_group(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{KV quantization group size 32 does not divide the head dim 16}}
  %0 = accel.attention %q, %q, %q heads(4, 4) causal {kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>} : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

//===--- accel.rmsnorm, accel.layernorm ---===//

func.func @rmsnorm_rank(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = accel.rmsnorm %x, %w epsilon(1.0e-5) : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @rmsnorm_weight(%x: tensor<2x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{weight must be [64] (the input's innermost dimension), got [32]}}
  %0 = accel.rmsnorm %x, %w epsilon(1.0e-5) : tensor<2x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @rmsnorm_epsilon(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{epsilon must be finite and >= 0, got -1.000000e-05}}
  %0 = accel.rmsnorm %x, %w epsilon(-1.0e-5) : tensor<2x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @layernorm_rank(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = accel.layernorm %x, %w epsilon(1.0e-5) : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @layernorm_weight(%x: tensor<2x64xf32>, %w: tensor<64x1xf32>) {
  // expected-error @+1 {{weight must be [64] (the input's innermost dimension), got [64, 1]}}
  %0 = accel.layernorm %x, %w epsilon(1.0e-5) : tensor<2x64xf32>, tensor<64x1xf32>
  return
}

// -----

func.func @layernorm_bias(%x: tensor<2x64xf32>, %w: tensor<64xf32>, %b: tensor<63xf32>) {
  // expected-error @+1 {{bias must be [64] (the input's innermost dimension), got [63]}}
  %0 = accel.layernorm %x, %w bias(%b : tensor<63xf32>) epsilon(1.0e-5) : tensor<2x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @layernorm_epsilon(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{epsilon must be finite and >= 0, got -1.000000e+00}}
  %0 = accel.layernorm %x, %w epsilon(-1.0) : tensor<2x64xf32>, tensor<64xf32>
  return
}

// -----

//===--- accel.rope ---===//

func.func @rope_rank(%x: tensor<16x64xf32>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{input must be [B, T, heads * head_dim], got [16, 64]}}
  %0 = accel.rope rotate_half %x, %c, %c heads(4) : tensor<16x64xf32>, tensor<16x16xf32>
  return
}

// -----

func.func @rope_heads(%x: tensor<1x16x60xf32>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{num_heads (8) does not divide the hidden size 60}}
  %0 = accel.rope rotate_half %x, %c, %c heads(8) : tensor<1x16x60xf32>, tensor<16x16xf32>
  return
}

// -----

func.func @rope_table_rank(%x: tensor<1x16x64xf32>, %c: tensor<16xf32>) {
  // expected-error @+1 {{cos/sin must be [T, R] or [B, T, R], got [16]}}
  %0 = accel.rope rotate_half %x, %c, %c heads(4) : tensor<1x16x64xf32>, tensor<16xf32>
  return
}

// -----

func.func @rope_positions(%x: tensor<1x16x64xf32>, %c: tensor<8x16xf32>) {
  // expected-error @+1 {{cos/sin cover 8 positions but the input has 16}}
  %0 = accel.rope rotate_half %x, %c, %c heads(4) : tensor<1x16x64xf32>, tensor<8x16xf32>
  return
}

// -----

func.func @rope_batch(%x: tensor<2x16x64xf32>, %c: tensor<3x16x16xf32>) {
  // expected-error @+1 {{cos/sin batch 3 must be 1 or the input batch 2}}
  %0 = accel.rope rotate_half %x, %c, %c heads(4) : tensor<2x16x64xf32>, tensor<3x16x16xf32>
  return
}

// -----

func.func @rope_odd(%x: tensor<1x16x64xf32>, %c: tensor<16x7xf32>) {
  // expected-error @+1 {{rotary dimension must be even and > 0, got 7}}
  %0 = accel.rope interleaved %x, %c, %c heads(4) : tensor<1x16x64xf32>, tensor<16x7xf32>
  return
}

// -----

func.func @rope_too_wide(%x: tensor<1x16x64xf32>, %c: tensor<16x32xf32>) {
  // expected-error @+1 {{rotary dimension 32 exceeds the head dim 16}}
  %0 = accel.rope rotate_half %x, %c, %c heads(4) : tensor<1x16x64xf32>, tensor<16x32xf32>
  return
}

// -----

func.func @rope_cos_sin(%x: tensor<1x16x64xf32>, %c: tensor<16x16xf32>, %s: tensor<16x8xf32>) {
  // expected-error @+1 {{failed to verify that all of {cos, sin} have same type}}
  %0 = "accel.rope"(%x, %c, %s) <{num_heads = 4 : i64, style = 0 : i32}> : (tensor<1x16x64xf32>, tensor<16x16xf32>, tensor<16x8xf32>) -> tensor<1x16x64xf32>
  return
}

// -----

//===--- accel.activation, accel.embedding ---===//

func.func @activation_up(%x: tensor<2x64xf32>, %u: tensor<2x64xf16>) {
  // expected-error @+1 {{gate and up operands must have the same type, got 'tensor<2x64xf32>' and 'tensor<2x64xf16>'}}
  %0 = accel.activation silu %x, %u : tensor<2x64xf32>, tensor<2x64xf16>
  return
}

// -----

func.func @activation_result(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "accel.activation"(%x) <{kind = 0 : i32, operandSegmentSizes = array<i32: 1, 0>}> : (tensor<2x64xf32>) -> tensor<2x32xf32>
  return
}

// -----

func.func @embedding_table(%ids: tensor<1x16xi64>, %t: tensor<256xf32>) {
  // expected-error @+1 {{table must be [vocab, hidden], got [256]}}
  %0 = accel.embedding %ids, %t : tensor<1x16xi64>, tensor<256xf32> -> tensor<1x16x1xf32>
  return
}

// -----

func.func @embedding_result(%ids: tensor<1x16xi64>, %t: tensor<256x64xf32>) {
  // expected-error @+1 {{result must be [1, 16, 64] of 'f32', got 'tensor<1x16x32xf32>'}}
  %0 = accel.embedding %ids, %t : tensor<1x16xi64>, tensor<256x64xf32> -> tensor<1x16x32xf32>
  return
}

// -----

//===--- accel.quantize, accel.dequantize ---===//

func.func @quantize_rank(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %q, %s = accel.quantize %x {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<f32> -> tensor<i8>, tensor<1xf32>
  return
}

// -----

func.func @quantize_shape(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{result shape [2, 32] differs from the input's [2, 64]}}
  %q, %s = accel.quantize %x {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<2x64xf32> -> tensor<2x32xi8>, tensor<2x1xf32>
  return
}

// -----

func.func @quantize_width(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{result element type 'i8' does not match 4-bit quantization (expected i4)}}
  %q, %s = accel.quantize %x {quant = #accel.quant<bits = 4, per_channel, symmetric>} : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2x1xf32>
  return
}

// -----

func.func @quantize_scales(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{input scales must have shape [2, 4], got [2, 1]}}
  %q, %s = accel.quantize %x {quant = #accel.quant<bits = 8, group = 16, symmetric>} : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2x1xf32>
  return
}

// -----

func.func @quantize_zero_points(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{asymmetric input quantization needs zero points}}
  %q, %s = accel.quantize %x {quant = #accel.quant<bits = 4, group = 16, asymmetric>} : tensor<2x64xf32> -> tensor<2x64xi4>, tensor<2x4xf32>
  return
}

// -----

func.func @dequantize_rank(%q: tensor<i8>, %s: tensor<1xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = accel.dequantize %q, %s {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<i8>, tensor<1xf32> -> tensor<f32>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<2x64xi8>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{result shape [2, 63] differs from the input's [2, 64]}}
  %0 = accel.dequantize %q, %s {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<2x64xi8>, tensor<2x1xf32> -> tensor<2x63xf32>
  return
}

// -----

func.func @dequantize_width(%q: tensor<2x64xi8>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{input element type 'i8' does not match 2-bit quantization (expected i2)}}
  %0 = accel.dequantize %q, %s {quant = #accel.quant<bits = 2, per_channel, symmetric>} : tensor<2x64xi8>, tensor<2x1xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @dequantize_symmetric_zp(%q: tensor<2x64xi8>, %s: tensor<2x1xf32>, %z: tensor<2x1xi8>) {
  // expected-error @+1 {{symmetric input quantization takes no zero points}}
  %0 = accel.dequantize %q, %s, %z {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<2x64xi8>, tensor<2x1xf32>, tensor<2x1xi8> -> tensor<2x64xf32>
  return
}

// -----

func.func @activation_kind_value(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{Invalid attribute `kind` in property conversion: 9 : i32}}
  %0 = "accel.activation"(%x) <{kind = 9 : i32, operandSegmentSizes = array<i32: 1, 0>}> : (tensor<2x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @activation_kind_keyword(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [silu, gelu_erf, gelu_tanh, relu]}}
  %0 = accel.activation swish %x : tensor<2x64xf32>
  return
}

// -----

func.func @rope_style_keyword(%x: tensor<1x16x64xf32>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'style' [rotate_half, interleaved]}}
  %0 = accel.rope neox %x, %c, %c heads(4) : tensor<1x16x64xf32>, tensor<16x16xf32>
  return
}

// -----

func.func @linear_transposed_quantized(%x: tensor<2x4xf32>, %w: tensor<4x8xi4>, %s: tensor<8x1xf16>) {
  // expected-error @+1 {{a quantized weight is stored [N, K]: `transposed_weight` applies to float weights only}}
  %0 = accel.linear %x, %w transposed scales(%s : tensor<8x1xf16>) {weight_quant = #accel.quant<bits = 4, per_channel, symmetric>} : tensor<2x4xf32>, tensor<4x8xi4> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_transposed_k(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{input's innermost dimension 4 does not match the weight's K 8}}
  %0 = accel.linear %x, %w transposed : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  return
}

// -----

//===--- accel.kv_cache_write, accel.cache_attention, accel.band_attention ---===//

func.func @kv_write_rank(%c: tensor<64x128xf32>, %r: tensor<1x1x128xf32>, %p: index) {
  // expected-error @+1 {{cache and rows must be [B, C, E] and [B, T, E], got [64, 128] and [1, 1, 128]}}
  %0 = accel.kv_cache_write %c, %r at %p : tensor<64x128xf32>, tensor<1x1x128xf32>
  return
}

// -----

func.func @kv_write_width(%c: tensor<1x64x128xf32>, %r: tensor<1x1x64xf32>, %p: index) {
  // expected-error @+1 {{rows [1, 1, 64] do not fit the cache [1, 64, 128] (batch and width must match)}}
  %0 = accel.kv_cache_write %c, %r at %p : tensor<1x64x128xf32>, tensor<1x1x64xf32>
  return
}

// -----

func.func @kv_write_type(%c: tensor<1x64x128xf32>, %r: tensor<1x1x128xf16>, %p: index) {
  // expected-error @+1 {{rows must have the cache's element type 'f32'}}
  %0 = accel.kv_cache_write %c, %r at %p : tensor<1x64x128xf32>, tensor<1x1x128xf16>
  return
}

// -----

func.func @kv_write_slots(%c: tensor<1x64x128xf32>, %r: tensor<1x1x128xf32>, %p: index) {
  // expected-error @+1 {{a Λ cache has sink + window = 68 slots, got 64}}
  %0 = accel.kv_cache_write %c, %r at %p {lambda = #accel.lambda<sink = 4, window = 64>} : tensor<1x64x128xf32>, tensor<1x1x128xf32>
  return
}

// -----

func.func @cache_attention_one_token(%q: tensor<1x2x512xf32>, %c: tensor<1x64x128xf32>, %p: index) {
  // expected-error @+1 {{a decode step has one query token, got 2}}
  %0 = accel.cache_attention %q, %c, %c at %p heads(8, 2) : tensor<1x2x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x2x512xf32>
  return
}

// -----

func.func @cache_attention_pair(%q: tensor<1x1x512xf32>, %k: tensor<1x64x128xf32>, %v: tensor<1x32x128xf32>, %p: index) {
  // expected-error @+1 {{cached keys and values must have one shape, got [1, 64, 128] and [1, 32, 128]}}
  %0 = accel.cache_attention %q, %k, %v at %p heads(8, 2) : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x32x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_slots(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %p: index) {
  // expected-error @+1 {{a Λ cache has sink + window = 36 slots, got 64}}
  %0 = accel.cache_attention %q, %c, %c at %p heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 32>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_kv_width(%q: tensor<1x1x512xf32>, %c: tensor<1x64x64xf32>, %p: index) {
  // expected-error @+1 {{key cache hidden size 64 must be num_kv_heads * head_dim = 2 * 64}}
  %0 = accel.cache_attention %q, %c, %c at %p heads(8, 2) : tensor<1x1x512xf32>, tensor<1x64x64xf32>, tensor<1x64x64xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_lambda(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<64x64xf32>, %p: index) {
  // expected-error @+1 {{positions within the cache (rope) need `lambda`}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %t : tensor<64x64xf32>, tensor<64x64xf32>) heads(8, 2) : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_style(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<64x64xf32>, %p: index) {
  // expected-error @+1 {{rope tables need a rope style}}
  %0 = "accel.cache_attention"(%q, %c, %c, %p, %t, %t) <{num_heads = 8 : i64, num_kv_heads = 2 : i64, lambda = #accel.lambda<sink = 4, window = 60>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}> : (tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32>, index, tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_tables(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<64x64xf32>, %u: tensor<64x32xf32>, %p: index) {
  // expected-error @+1 {{rope cos and sin tables must have one type}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %u : tensor<64x64xf32>, tensor<64x32xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_rank(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<1x64x64xf32>, %p: index) {
  // expected-error @+1 {{rope tables must be [P, R], got [1, 64, 64]}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %t : tensor<1x64x64xf32>, tensor<1x64x64xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_rows(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<32x64xf32>, %p: index) {
  // expected-error @+1 {{rope tables need a row per cache position (64), got 32}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %t : tensor<32x64xf32>, tensor<32x64xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_odd(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<64x7xf32>, %p: index) {
  // expected-error @+1 {{rotary dimension must be even and > 0, got 7}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %t : tensor<64x7xf32>, tensor<64x7xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_rope_wide(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<64x80xf32>, %p: index) {
  // expected-error @+1 {{rotary dimension 80 exceeds the head dim 64}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %t : tensor<64x80xf32>, tensor<64x80xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @cache_attention_kv_bits(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %p: index) {
  // expected-error @+1 {{KV cache quantization must be 4 or 8 bits, got 2}}
  %0 = accel.cache_attention %q, %c, %c at %p heads(8, 2) {kv_quant = #accel.quant<bits = 2, group = 32, asymmetric>} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @band_attention_rank(%q: tensor<16x512xf32>, %k: tensor<1x20x128xf32>, %p: index) {
  // expected-error @+1 {{query must be [B, T, heads * head_dim] (rank 3), got [16, 512]}}
  %0 = accel.band_attention %q at %p, %k, %k at %p heads(8, 2) : tensor<16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<16x512xf32>
  return
}

// -----

func.func @band_attention_pair(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %v: tensor<1x24x128xf32>, %p: index) {
  // expected-error @+1 {{band keys and values must have one shape, got [1, 20, 128] and [1, 24, 128]}}
  %0 = accel.band_attention %q at %p, %k, %v at %p heads(8, 2) : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x24x128xf32> -> tensor<1x16x512xf32>
  return
}

// -----

func.func @band_attention_sinks_alone(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %s: tensor<1x4x128xf32>, %p: index) {
  // expected-error @+1 {{sink keys and sink values come together}}
  %0 = "accel.band_attention"(%q, %p, %k, %k, %p, %s) <{num_heads = 8 : i64, num_kv_heads = 2 : i64, lambda = #accel.lambda<sink = 4, window = 8>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0, 0>}> : (tensor<1x16x512xf32>, index, tensor<1x20x128xf32>, tensor<1x20x128xf32>, index, tensor<1x4x128xf32>) -> tensor<1x16x512xf32>
  return
}

// -----

func.func @band_attention_sinks_pair(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %s: tensor<1x4x128xf32>, %t: tensor<1x2x128xf32>, %p: index) {
  // expected-error @+1 {{sink keys and values must have one shape, got [1, 4, 128] and [1, 2, 128]}}
  %0 = accel.band_attention %q at %p, %k, %k at %p sinks(%s, %t : tensor<1x4x128xf32>, tensor<1x2x128xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 8>} : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<1x16x512xf32>
  return
}

// -----

func.func @band_attention_sinks_lambda(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %s: tensor<1x4x128xf32>, %p: index) {
  // expected-error @+1 {{sinks need `lambda`}}
  %0 = accel.band_attention %q at %p, %k, %k at %p sinks(%s, %s : tensor<1x4x128xf32>, tensor<1x4x128xf32>) heads(8, 2) : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<1x16x512xf32>
  return
}

// -----

func.func @band_attention_sinks_count(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %s: tensor<1x4x128xf32>, %p: index) {
  // expected-error @+1 {{4 sink rows exceed the 2 sink tokens of Λ}}
  %0 = accel.band_attention %q at %p, %k, %k at %p sinks(%s, %s : tensor<1x4x128xf32>, tensor<1x4x128xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 2, window = 8>} : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<1x16x512xf32>
  return
}

// -----

func.func @band_attention_sink_width(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %s: tensor<1x4x64xf32>, %p: index) {
  // expected-error @+1 {{sink key hidden size 64 must be num_kv_heads * head_dim = 2 * 64}}
  %0 = accel.band_attention %q at %p, %k, %k at %p sinks(%s, %s : tensor<1x4x64xf32>, tensor<1x4x64xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 8>} : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<1x16x512xf32>
  return
}

// -----

func.func @band_attention_result(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %p: index) {
  // expected-error @+1 {{result must have the query's type 'tensor<1x16x512xf32>'}}
  %0 = accel.band_attention %q at %p, %k, %k at %p heads(8, 2) : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<1x8x512xf32>
  return
}

// -----

func.func @band_attention_scale(%q: tensor<1x16x512xf32>, %k: tensor<1x20x128xf32>, %p: index) {
  // expected-error @+1 {{scale must be finite and > 0, got 0}}
  %0 = accel.band_attention %q at %p, %k, %k at %p heads(8, 2) {scale = 0.0 : f32} : tensor<1x16x512xf32>, tensor<1x20x128xf32>, tensor<1x20x128xf32> -> tensor<1x16x512xf32>
  return
}

// -----

func.func @attention_int8_no_kv_quant(%q: tensor<1x16x64xf32>) {
  // expected-error @+1 {{int8_attention needs a quantized KV cache (kv_quant)}}
  %0 = accel.attention %q, %q, %q heads(4, 4) causal {int8_attention} : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return
}

// -----

func.func @cache_attention_int8_rank_rope(%q: tensor<1x1x512xf32>, %c: tensor<1x64x128xf32>, %t: tensor<64x64xf32>, %p: index) {
  // expected-error @+1 {{int8_attention needs keys rotated before they are cached (absolute RoPE positions), not rope(...)}}
  %0 = accel.cache_attention %q, %c, %c at %p rope(rotate_half %t, %t : tensor<64x64xf32>, tensor<64x64xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>, kv_quant = #accel.quant<bits = 4, per_channel, asymmetric>, int8_attention} : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  return
}

// -----

func.func @broadcast_wrong_element_type(%row: tensor<64xf32>) {
  // expected-error @+1 {{result must have the input's element type 'f32', got 'f16'}}
  %0 = accel.broadcast %row : tensor<64xf32> -> tensor<1x40x64xf16>
  return
}

// -----

func.func @broadcast_wrong_features(%row: tensor<32xf32>) {
  // expected-error @+1 {{input of shape [32] does not broadcast to [1, 40, 64] (each of its dimensions, aligned with the result's last ones, is 1 or the result's)}}
  %0 = accel.broadcast %row : tensor<32xf32> -> tensor<1x40x64xf32>
  return
}

// -----

func.func @broadcast_higher_rank(%x: tensor<2x1x64xf32>) {
  // expected-error @+1 {{input of shape [2, 1, 64] does not broadcast to [40, 64]}}
  %0 = accel.broadcast %x : tensor<2x1x64xf32> -> tensor<40x64xf32>
  return
}
