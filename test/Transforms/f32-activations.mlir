// accel-f32-activations: an f16 model's activations become f32; weights,
// embedding and RoPE tables keep their f16 constants; other f16 constants
// (norm weights, scalars) become f32 ones; casts between the two vanish.
// RUN: accel-opt %s -split-input-file --accel-f32-activations | FileCheck %s

// CHECK-LABEL: func.func @main_graph(%{{.*}}: tensor<1x4xi64>) -> tensor<1x4x8xf32>
// CHECK-DAG: %[[TABLE:.*]] = arith.constant dense<{{.*}}> : tensor<16x8xf16>
// CHECK-DAG: %[[NORM:.*]] = arith.constant dense<1.500000e+00> : tensor<8xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<8x8xf16>
// CHECK-DAG: %[[COS:.*]] = arith.constant dense<1.000000e+00> : tensor<4x8xf16>
// CHECK-DAG: %[[TWO:.*]] = arith.constant dense<2.000000e+00> : tensor<1x4x8xf32>
// CHECK: %[[E:.*]] = accel.embedding %{{.*}}, %[[TABLE]] : tensor<1x4xi64>, tensor<16x8xf16> -> tensor<1x4x8xf32>
// CHECK: %[[N:.*]] = accel.rmsnorm %[[E]], %[[NORM]] epsilon(9.99999974E-6) : tensor<1x4x8xf32>, tensor<8xf32>
// CHECK: %[[L:.*]] = accel.linear %[[N]], %[[W]] transposed : tensor<1x4x8xf32>, tensor<8x8xf16> -> tensor<1x4x8xf32>
// CHECK: %[[R:.*]] = accel.rope rotate_half %[[L]], %[[COS]], %[[COS]] heads(1) : tensor<1x4x8xf32>, tensor<4x8xf16>
// CHECK: %[[S:.*]] = arith.mulf %[[R]], %[[TWO]] : tensor<1x4x8xf32>
// CHECK: return %[[S]] : tensor<1x4x8xf32>
func.func @main_graph(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf16> {
  %table = arith.constant dense<0.25> : tensor<16x8xf16>
  %norm = arith.constant dense<1.5> : tensor<8xf16>
  %w = arith.constant dense<0.5> : tensor<8x8xf16>
  %cos = arith.constant dense<1.0> : tensor<4x8xf16>
  %two = arith.constant dense<2.0> : tensor<1x4x8xf16>
  %e = accel.embedding %ids, %table : tensor<1x4xi64>, tensor<16x8xf16> -> tensor<1x4x8xf16>
  %n = accel.rmsnorm %e, %norm epsilon(1.0e-5) : tensor<1x4x8xf16>, tensor<8xf16>
  %l = accel.linear %n, %w transposed : tensor<1x4x8xf16>, tensor<8x8xf16> -> tensor<1x4x8xf16>
  %r = accel.rope rotate_half %l, %cos, %cos heads(1) : tensor<1x4x8xf16>, tensor<4x8xf16>
  %wide = arith.extf %r : tensor<1x4x8xf16> to tensor<1x4x8xf32>
  %back = arith.truncf %wide : tensor<1x4x8xf32> to tensor<1x4x8xf16>
  %s = arith.mulf %back, %two : tensor<1x4x8xf16>
  return %s : tensor<1x4x8xf16>
}

// -----

// A weight also read as an activation keeps its f16 constant for the weight
// use and gets an f32 one for the other.
// CHECK-LABEL: func.func @shared(%{{.*}}: tensor<8x8xf32>) -> tensor<8x8xf32>
// CHECK-DAG: %[[W16:.*]] = arith.constant dense<5.000000e-01> : tensor<8x8xf16>
// CHECK-DAG: %[[W32:.*]] = arith.constant dense<5.000000e-01> : tensor<8x8xf32>
// CHECK: %[[L:.*]] = accel.linear %{{.*}}, %[[W16]] : tensor<8x8xf32>, tensor<8x8xf16> -> tensor<8x8xf32>
// CHECK: arith.addf %[[L]], %[[W32]] : tensor<8x8xf32>
func.func @shared(%x: tensor<8x8xf16>) -> tensor<8x8xf16> {
  %w = arith.constant dense<0.5> : tensor<8x8xf16>
  %l = accel.linear %x, %w : tensor<8x8xf16>, tensor<8x8xf16> -> tensor<8x8xf16>
  %s = arith.addf %l, %w : tensor<8x8xf16>
  return %s : tensor<8x8xf16>
}

// -----

// An f32 model is left as it is.
// CHECK-LABEL: func.func @f32(%{{.*}}: tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<8x8xf32>
// CHECK-NEXT: accel.linear %{{.*}}, %[[W]] : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
func.func @f32(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %l = accel.linear %x, %w : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  return %l : tensor<2x8xf32>
}
