// accel-int8-attention: every attention op with a quantized KV cache gets
// int8_attention; an op without kv_quant, with rope(...) or whose queries
// may see more than 65536 keys is an error naming it.
// RUN: accel-opt %s --split-input-file --accel-int8-attention --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @forms
// CHECK: accel.attention {{.*}} {int8_attention, kv_quant
// CHECK: accel.band_attention {{.*}} {int8_attention, kv_quant
// CHECK: accel.cache_attention {{.*}} {int8_attention, kv_quant
func.func @forms(%q: tensor<1x4x64xf32>, %k: tensor<1x4x32xf32>,
                 %t: tensor<1x2x64xf32>, %c: tensor<1x8x32xf32>,
                 %d: tensor<1x1x64xf32>, %p: index) -> (tensor<1x4x64xf32>, tensor<1x2x64xf32>, tensor<1x1x64xf32>) {
  %0 = accel.attention %q, %k, %k heads(2, 1) causal {kv_quant = #accel.quant<bits = 4, per_channel, asymmetric>} : tensor<1x4x64xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32> -> tensor<1x4x64xf32>
  %1 = accel.band_attention %t at %p, %k, %k at %p heads(2, 1) {lambda = #accel.lambda<sink = 2, window = 6>, kv_quant = #accel.quant<bits = 4, per_channel, asymmetric>} : tensor<1x2x64xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32> -> tensor<1x2x64xf32>
  %2 = accel.cache_attention %d, %c, %c at %p heads(2, 1) {lambda = #accel.lambda<sink = 2, window = 6>, kv_quant = #accel.quant<bits = 4, per_channel, asymmetric>} : tensor<1x1x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32> -> tensor<1x1x64xf32>
  return %0, %1, %2 : tensor<1x4x64xf32>, tensor<1x2x64xf32>, tensor<1x1x64xf32>
}

// -----

func.func @no_kv_quant(%q: tensor<1x4x64xf32>, %k: tensor<1x4x32xf32>) -> tensor<1x4x64xf32> {
  // expected-error @+1 {{accel-int8-attention: the attention has no quantized KV cache (kv_quant)}}
  %0 = accel.attention %q, %k, %k heads(2, 1) causal : tensor<1x4x64xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32> -> tensor<1x4x64xf32>
  return %0 : tensor<1x4x64xf32>
}

// -----

func.func @too_many_keys(%d: tensor<1x1x64xf32>, %c: tensor<1x65537x32xf32>, %p: index) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel-int8-attention: a query may see up to 65537 keys, more than the 65536 whose int32 sums integer attention bounds}}
  %0 = accel.cache_attention %d, %c, %c at %p heads(2, 1) {kv_quant = #accel.quant<bits = 8, per_channel, asymmetric>} : tensor<1x1x64xf32>, tensor<1x65537x32xf32>, tensor<1x65537x32xf32> -> tensor<1x1x64xf32>
  return %0 : tensor<1x1x64xf32>
}
