// The folds and canonical forms of accel ops.
// RUN: accel-opt %s -canonicalize -split-input-file | FileCheck %s

// A constant-zero bias adds nothing: it is dropped (and its constant dies).
// CHECK-LABEL: func.func @linear_zero_bias
// CHECK-NOT: arith.constant
// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
func.func @linear_zero_bias(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) -> tensor<2x8xf32> {
  %b = arith.constant dense<0.0> : tensor<8xf32>
  %0 = accel.linear %x, %w bias(%b : tensor<8xf32>) : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A non-zero bias stays.
// CHECK-LABEL: func.func @linear_bias_kept
// CHECK: %[[B:.*]] = arith.constant dense<1.000000e+00>
// CHECK: accel.linear %{{.*}}, %{{.*}} bias(%[[B]] : tensor<8xf32>)
func.func @linear_bias_kept(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) -> tensor<2x8xf32> {
  %b = arith.constant dense<1.0> : tensor<8xf32>
  %0 = accel.linear %x, %w bias(%b : tensor<8xf32>) : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// M:M sparsity is dense; a real N:M pattern stays.
// CHECK-LABEL: func.func @dense_sparsity
// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
// CHECK: accel.linear %{{.*}}, %{{.*}} {sparsity = #accel.sparsity<2:4>}
func.func @dense_sparsity(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %0 = accel.linear %x, %w {sparsity = #accel.sparsity<8:8>} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %1 = accel.linear %x, %w {sparsity = #accel.sparsity<2:4>} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// LayerNorm with a constant-zero shift loses it.
// CHECK-LABEL: func.func @layernorm_zero_bias
// CHECK-NOT: arith.constant
// CHECK: accel.layernorm %{{.*}}, %{{.*}} epsilon(9.99999974E-6) : tensor<2x64xf32>, tensor<64xf32>
func.func @layernorm_zero_bias(%x: tensor<2x64xf32>, %g: tensor<64xf32>) -> tensor<2x64xf32> {
  %b = arith.constant dense<0.0> : tensor<64xf32>
  %0 = accel.layernorm %x, %g bias(%b : tensor<64xf32>) epsilon(1.0e-5) : tensor<2x64xf32>, tensor<64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

// An empty KV cache contributes no keys; a dynamic one may not be empty.
// CHECK-LABEL: func.func @empty_past
// CHECK: accel.attention %{{.*}}, %{{.*}}, %{{.*}} heads(4, 4) causal :
// CHECK: accel.attention %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}}, %{{.*}} : tensor<1x?x64xf32>, tensor<1x?x64xf32>) heads(4, 4) causal :
func.func @empty_past(%q: tensor<1x4x64xf32>, %p: tensor<1x0x64xf32>, %d: tensor<1x?x64xf32>) -> (tensor<1x4x64xf32>, tensor<1x4x64xf32>) {
  %0 = accel.attention %q, %q, %q past(%p, %p : tensor<1x0x64xf32>, tensor<1x0x64xf32>) heads(4, 4) causal : tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32> -> tensor<1x4x64xf32>
  %1 = accel.attention %q, %q, %q past(%d, %d : tensor<1x?x64xf32>, tensor<1x?x64xf32>) heads(4, 4) causal : tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32> -> tensor<1x4x64xf32>
  return %0, %1 : tensor<1x4x64xf32>, tensor<1x4x64xf32>
}

// -----

// accel ops are pure: an unused one is erased.
// CHECK-LABEL: func.func @dead
// CHECK-NEXT: return
func.func @dead(%x: tensor<2x64xf32>, %g: tensor<64xf32>) {
  %0 = accel.rmsnorm %x, %g epsilon(1.0e-5) : tensor<2x64xf32>, tensor<64xf32>
  %1 = accel.activation silu %0 : tensor<2x64xf32>
  return
}
