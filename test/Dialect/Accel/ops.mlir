// Round trip of every accel op and attribute: custom form, then generic form.
// RUN: accel-opt %s | accel-opt | FileCheck %s
// RUN: accel-opt %s --mlir-print-op-generic | accel-opt | FileCheck %s

// CHECK-LABEL: func.func @linear_float
// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<1x16x64xf32>, tensor<256x64xf32> -> tensor<1x16x256xf32>
// CHECK: accel.linear %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<256xf32>) : tensor<?x64xf16>, tensor<256x64xf16> -> tensor<?x256xf16>
// CHECK: accel.linear %{{.*}}, %{{.*}} transposed bias(%{{.*}} : tensor<256xf32>) : tensor<1x16x64xf32>, tensor<64x256xf32> -> tensor<1x16x256xf32>
func.func @linear_float(%x: tensor<1x16x64xf32>, %w: tensor<256x64xf32>,
                        %xh: tensor<?x64xf16>, %wh: tensor<256x64xf16>,
                        %b: tensor<256xf32>, %wt: tensor<64x256xf32>) -> (tensor<1x16x256xf32>, tensor<?x256xf16>) {
  %0 = accel.linear %x, %w : tensor<1x16x64xf32>, tensor<256x64xf32> -> tensor<1x16x256xf32>
  %1 = accel.linear %xh, %wh bias(%b : tensor<256xf32>) : tensor<?x64xf16>, tensor<256x64xf16> -> tensor<?x256xf16>
  %2 = accel.linear %x, %wt transposed bias(%b : tensor<256xf32>) : tensor<1x16x64xf32>, tensor<64x256xf32> -> tensor<1x16x256xf32>
  return %0, %1 : tensor<1x16x256xf32>, tensor<?x256xf16>
}

// CHECK-LABEL: func.func @linear_w2a8_sparse
// CHECK: accel.linear %{{.*}}, %{{.*}} scales(%{{.*}} : tensor<256x2xf16>) zero_points(%{{.*}} : tensor<256x2xi8>)
// CHECK-SAME: act_quant = #accel.quant<bits = 8, per_channel, symmetric>
// CHECK-SAME: sparsity = #accel.sparsity<2:4>
// CHECK-SAME: weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>
// CHECK-SAME: : tensor<1x16x64xf32>, tensor<256x64xi2> -> tensor<1x16x256xf32>
func.func @linear_w2a8_sparse(%x: tensor<1x16x64xf32>, %w: tensor<256x64xi2>,
                              %s: tensor<256x2xf16>, %z: tensor<256x2xi8>) -> tensor<1x16x256xf32> {
  %0 = accel.linear %x, %w scales(%s : tensor<256x2xf16>) zero_points(%z : tensor<256x2xi8>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>}
         : tensor<1x16x64xf32>, tensor<256x64xi2> -> tensor<1x16x256xf32>
  return %0 : tensor<1x16x256xf32>
}

// CHECK-LABEL: func.func @linear_w4_symmetric
// CHECK: accel.linear %{{.*}}, %{{.*}} scales(%{{.*}} : tensor<128x1xf32>) bias(%{{.*}} : tensor<128xf32>)
// CHECK-SAME: {sparsity = #accel.sparsity<4:8>, weight_quant = #accel.quant<bits = 4, per_channel, symmetric>}
func.func @linear_w4_symmetric(%x: tensor<4x64xf32>, %w: tensor<128x64xi4>,
                               %s: tensor<128x1xf32>, %b: tensor<128xf32>) -> tensor<4x128xf32> {
  %0 = accel.linear %x, %w scales(%s : tensor<128x1xf32>) bias(%b : tensor<128xf32>)
         {weight_quant = #accel.quant<bits = 4, per_channel, symmetric>,
          sparsity = #accel.sparsity<4:8>}
         : tensor<4x64xf32>, tensor<128x64xi4> -> tensor<4x128xf32>
  return %0 : tensor<4x128xf32>
}

// CHECK-LABEL: func.func @attention
// CHECK: accel.attention %{{.*}}, %{{.*}}, %{{.*}} heads(8, 2) causal
// CHECK-SAME: kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>
// CHECK-SAME: lambda = #accel.lambda<sink = 4, window = 1024>
// CHECK-SAME: : tensor<1x16x512xf32>, tensor<1x16x128xf32>, tensor<1x16x128xf32> -> tensor<1x16x512xf32>
// CHECK: accel.attention %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}}, %{{.*}} : tensor<1x?x512xf32>, tensor<1x?x512xf32>) heads(8, 8) {scale = 1.250000e-01 : f32}
// CHECK-SAME: : tensor<1x1x512xf32>, tensor<1x1x512xf32>, tensor<1x1x512xf32> -> tensor<1x1x512xf32>
func.func @attention(%q: tensor<1x16x512xf32>, %k: tensor<1x16x128xf32>, %v: tensor<1x16x128xf32>,
                     %q1: tensor<1x1x512xf32>, %k1: tensor<1x1x512xf32>, %v1: tensor<1x1x512xf32>,
                     %pk: tensor<1x?x512xf32>, %pv: tensor<1x?x512xf32>) -> (tensor<1x16x512xf32>, tensor<1x1x512xf32>) {
  %0 = accel.attention %q, %k, %v heads(8, 2) causal
         {lambda = #accel.lambda<sink = 4, window = 1024>,
          kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>}
         : tensor<1x16x512xf32>, tensor<1x16x128xf32>, tensor<1x16x128xf32> -> tensor<1x16x512xf32>
  %1 = accel.attention %q1, %k1, %v1 past(%pk, %pv : tensor<1x?x512xf32>, tensor<1x?x512xf32>) heads(8, 8)
         {scale = 0.125 : f32}
         : tensor<1x1x512xf32>, tensor<1x1x512xf32>, tensor<1x1x512xf32> -> tensor<1x1x512xf32>
  return %0, %1 : tensor<1x16x512xf32>, tensor<1x1x512xf32>
}

// CHECK-LABEL: func.func @lambda_forms
// CHECK: accel.kv_cache_write %{{.*}}, %{{.*}} at %{{.*}} {lambda = #accel.lambda<sink = 4, window = 60>} : tensor<1x64x128xf32>, tensor<1x1x128xf32>
// CHECK: accel.kv_cache_write %{{.*}}, %{{.*}} at %{{.*}} : tensor<1x?x128xf32>, tensor<1x16x128xf32>
// CHECK: accel.cache_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} heads(8, 2) {kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>, lambda = #accel.lambda<sink = 4, window = 60>}
// CHECK-SAME: : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
// CHECK: accel.cache_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} rope(rotate_half %{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<64x64xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>, scale = 1.250000e-01 : f32}
// CHECK: accel.band_attention %{{.*}} at %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} sinks(%{{.*}}, %{{.*}} : tensor<1x4x128xf32>, tensor<1x4x128xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>}
// CHECK-SAME: : tensor<1x16x512xf32>, tensor<1x75x128xf32>, tensor<1x75x128xf32> -> tensor<1x16x512xf32>
// CHECK: accel.band_attention %{{.*}} at %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} rope(interleaved %{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<64x64xf32>) heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>}
func.func @lambda_forms(%q1: tensor<1x1x512xf32>, %k1: tensor<1x1x128xf32>, %kc: tensor<1x64x128xf32>,
                        %dyn: tensor<1x?x128xf32>, %k16: tensor<1x16x128xf32>, %q16: tensor<1x16x512xf32>,
                        %band: tensor<1x75x128xf32>, %sinks: tensor<1x4x128xf32>, %cos: tensor<64x64xf32>,
                        %pos: index, %k0: index) {
  %0 = accel.kv_cache_write %kc, %k1 at %pos {lambda = #accel.lambda<sink = 4, window = 60>}
         : tensor<1x64x128xf32>, tensor<1x1x128xf32>
  %1 = accel.kv_cache_write %dyn, %k16 at %pos : tensor<1x?x128xf32>, tensor<1x16x128xf32>
  %2 = accel.cache_attention %q1, %0, %0 at %pos heads(8, 2)
         {lambda = #accel.lambda<sink = 4, window = 60>, kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>}
         : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  %3 = accel.cache_attention %q1, %0, %0 at %pos rope(rotate_half %cos, %cos : tensor<64x64xf32>, tensor<64x64xf32>) heads(8, 2)
         {lambda = #accel.lambda<sink = 4, window = 60>, scale = 0.125 : f32}
         : tensor<1x1x512xf32>, tensor<1x64x128xf32>, tensor<1x64x128xf32> -> tensor<1x1x512xf32>
  %4 = accel.band_attention %q16 at %pos, %band, %band at %k0 sinks(%sinks, %sinks : tensor<1x4x128xf32>, tensor<1x4x128xf32>)
         heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>}
         : tensor<1x16x512xf32>, tensor<1x75x128xf32>, tensor<1x75x128xf32> -> tensor<1x16x512xf32>
  %5 = accel.band_attention %q16 at %pos, %band, %band at %k0 rope(interleaved %cos, %cos : tensor<64x64xf32>, tensor<64x64xf32>)
         heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 60>}
         : tensor<1x16x512xf32>, tensor<1x75x128xf32>, tensor<1x75x128xf32> -> tensor<1x16x512xf32>
  return
}

// CHECK-LABEL: func.func @norms
// CHECK: accel.rmsnorm %{{.*}}, %{{.*}} epsilon(9.99999997E-7) : tensor<1x16x64xf32>, tensor<64xf32>
// CHECK: accel.layernorm %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<64xf32>) epsilon(9.99999974E-6) : tensor<1x16x64xf32>, tensor<64xf32>
// CHECK: accel.layernorm %{{.*}}, %{{.*}} epsilon(9.99999974E-6) : tensor<1x16x64xf32>, tensor<64xf32>
func.func @norms(%x: tensor<1x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  %0 = accel.rmsnorm %x, %g epsilon(1.0e-6) : tensor<1x16x64xf32>, tensor<64xf32>
  %1 = accel.layernorm %x, %g bias(%b : tensor<64xf32>) epsilon(1.0e-5) : tensor<1x16x64xf32>, tensor<64xf32>
  %2 = accel.layernorm %x, %g epsilon(1.0e-5) : tensor<1x16x64xf32>, tensor<64xf32>
  return %0, %1, %2 : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// CHECK-LABEL: func.func @rope
// CHECK: accel.rope rotate_half %{{.*}}, %{{.*}}, %{{.*}} heads(4) : tensor<1x16x64xf32>, tensor<16x16xf32>
// CHECK: accel.rope interleaved %{{.*}}, %{{.*}}, %{{.*}} heads(4) : tensor<1x16x64xf32>, tensor<1x16x8xf32>
func.func @rope(%x: tensor<1x16x64xf32>, %c: tensor<16x16xf32>, %s: tensor<16x16xf32>,
                %c3: tensor<1x16x8xf32>, %s3: tensor<1x16x8xf32>) -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  %0 = accel.rope rotate_half %x, %c, %s heads(4) : tensor<1x16x64xf32>, tensor<16x16xf32>
  %1 = accel.rope interleaved %x, %c3, %s3 heads(4) : tensor<1x16x64xf32>, tensor<1x16x8xf32>
  return %0, %1 : tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// CHECK-LABEL: func.func @activations
// CHECK: accel.activation silu %{{.*}} : tensor<1x16x64xf32>
// CHECK: accel.activation gelu_erf %{{.*}} : tensor<1x16x64xf32>
// CHECK: accel.activation gelu_tanh %{{.*}} : tensor<1x16x64xf32>
// CHECK: accel.activation relu %{{.*}} : tensor<1x16x64xf32>
// CHECK: accel.activation silu %{{.*}}, %{{.*}} : tensor<1x16x64xf32>, tensor<1x16x64xf32>
func.func @activations(%x: tensor<1x16x64xf32>, %u: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  %0 = accel.activation silu %x : tensor<1x16x64xf32>
  %1 = accel.activation gelu_erf %0 : tensor<1x16x64xf32>
  %2 = accel.activation gelu_tanh %1 : tensor<1x16x64xf32>
  %3 = accel.activation relu %2 : tensor<1x16x64xf32>
  %4 = accel.activation silu %3, %u : tensor<1x16x64xf32>, tensor<1x16x64xf32>
  return %4 : tensor<1x16x64xf32>
}

// CHECK-LABEL: func.func @embedding
// CHECK: accel.embedding %{{.*}}, %{{.*}} : tensor<1x?xi64>, tensor<256x64xf32> -> tensor<1x?x64xf32>
func.func @embedding(%ids: tensor<1x?xi64>, %table: tensor<256x64xf32>) -> tensor<1x?x64xf32> {
  %0 = accel.embedding %ids, %table : tensor<1x?xi64>, tensor<256x64xf32> -> tensor<1x?x64xf32>
  return %0 : tensor<1x?x64xf32>
}

// CHECK-LABEL: func.func @broadcast
// CHECK: accel.broadcast %{{.*}} : tensor<64xf32> -> tensor<1x40x64xf32>
// CHECK: accel.broadcast %{{.*}} : tensor<1x1x64xf16> -> tensor<2x?x64xf16>
// CHECK: accel.broadcast %{{.*}} : tensor<40x1xf32> -> tensor<1x40x64xf32>
func.func @broadcast(%row: tensor<64xf32>, %h: tensor<1x1x64xf16>, %col: tensor<40x1xf32>) -> (tensor<1x40x64xf32>, tensor<2x?x64xf16>, tensor<1x40x64xf32>) {
  %0 = accel.broadcast %row : tensor<64xf32> -> tensor<1x40x64xf32>
  %1 = accel.broadcast %h : tensor<1x1x64xf16> -> tensor<2x?x64xf16>
  %2 = accel.broadcast %col : tensor<40x1xf32> -> tensor<1x40x64xf32>
  return %0, %1, %2 : tensor<1x40x64xf32>, tensor<2x?x64xf16>, tensor<1x40x64xf32>
}

// CHECK-LABEL: func.func @quantization
// CHECK: %[[Q:.*]], %[[S:.*]] = accel.quantize %{{.*}} {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<1x16x64xf32> -> tensor<1x16x64xi8>, tensor<1x16x1xf32>
// CHECK: accel.dequantize %[[Q]], %[[S]] {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<1x16x64xi8>, tensor<1x16x1xf32> -> tensor<1x16x64xf32>
// CHECK: %[[Q4:.*]], %[[S4:.*]], %[[Z4:.*]] = accel.quantize %{{.*}} {quant = #accel.quant<bits = 4, group = 16, asymmetric>} : tensor<1x16x64xf32> -> tensor<1x16x64xi4>, tensor<1x16x4xf16>, tensor<1x16x4xi4>
// CHECK: accel.dequantize %[[Q4]], %[[S4]], %[[Z4]] {quant = #accel.quant<bits = 4, group = 16, asymmetric>} : tensor<1x16x64xi4>, tensor<1x16x4xf16>, tensor<1x16x4xi4> -> tensor<1x16x64xf32>
func.func @quantization(%x: tensor<1x16x64xf32>) -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  %q, %s = accel.quantize %x {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<1x16x64xf32> -> tensor<1x16x64xi8>, tensor<1x16x1xf32>
  %0 = accel.dequantize %q, %s {quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<1x16x64xi8>, tensor<1x16x1xf32> -> tensor<1x16x64xf32>
  %q4, %s4, %z4 = accel.quantize %x {quant = #accel.quant<bits = 4, group = 16, asymmetric>} : tensor<1x16x64xf32> -> tensor<1x16x64xi4>, tensor<1x16x4xf16>, tensor<1x16x4xi4>
  %1 = accel.dequantize %q4, %s4, %z4 {quant = #accel.quant<bits = 4, group = 16, asymmetric>} : tensor<1x16x64xi4>, tensor<1x16x4xf16>, tensor<1x16x4xi4> -> tensor<1x16x64xf32>
  return %0, %1 : tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// Attributes of every kind, standing alone (3-bit quantization included).
// CHECK-LABEL: func.func @attributes
// CHECK-SAME: accel.l = #accel.lambda<sink = 0, window = 1>
// CHECK-SAME: accel.q3 = #accel.quant<bits = 3, group = 64, symmetric>
// CHECK-SAME: accel.s = #accel.sparsity<16:16>
func.func @attributes() attributes {accel.q3 = #accel.quant<bits = 3, group = 64, symmetric>,
                                    accel.s = #accel.sparsity<16:16>,
                                    accel.l = #accel.lambda<sink = 0, window = 1>} {
  return
}
