// accel-prune: N:M sparsity by magnitude (ties to the lower k), layouts,
// layer selection, reports.
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune))' | FileCheck %s
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{exclude=}))' | FileCheck %s --check-prefix=ALL
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{layers=^layer1 exclude=}))' | FileCheck %s --check-prefix=LAYERS
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{n=1 m=8}))' | FileCheck %s --check-prefix=ONE8
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{report=-}))' -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{report=%t.txt}))' -o /dev/null
// RUN: FileCheck %s --check-prefix=REPORT < %t.txt
// Round trip of the result.
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune))' | accel-opt | FileCheck %s

// CHECK-LABEL: func.func @prune
// Row 0 keeps 3, -4 | 5, -6; row 1 is all ties: k0, k1 | k4, k5; row 2 keeps
// -1 and, of the tied 0.5 / -0.5, the lowest k.
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 3.000000e+00, -4.000000e+00, 5.000000e+00, -6.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00], [5.000000e-01, -1.000000e+00, 0.000000e+00, 0.000000e+00, 5.000000e-01, -5.000000e-01, 0.000000e+00, 0.000000e+00]]> : tensor<3x8xf32>
// CHECK: accel.linear %{{.*}}, %[[W]] {sparsity = #accel.sparsity<2:4>} : tensor<2x8xf32>, tensor<3x8xf32>
// A [K, N] weight is pruned along K (its columns) and keeps its layout.
// CHECK: %[[T:.*]] = arith.constant dense<{{\[\[}}0.000000e+00, 4.000000e+00], [0.000000e+00, 0.000000e+00], [3.000000e+00, 0.000000e+00], [-4.000000e+00, 3.000000e+00], [1.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<8x2xf16>
// CHECK: accel.linear %{{.*}}, %[[T]] transposed {sparsity = #accel.sparsity<2:4>} : tensor<2x8xf32>, tensor<8x2xf16>
// The LM head is excluded by default.
// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32>
// CHECK-NOT: sparsity

// ALL-COUNT-3: sparsity = #accel.sparsity<2:4>

// LAYERS: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<3x8xf32>
// LAYERS: accel.linear %{{.*}}, %{{.*}} transposed {sparsity = #accel.sparsity<2:4>}
// LAYERS: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32>

// 1:8: one weight per row of 8 survives.
// ONE8: arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, -6.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, -1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]>
// ONE8: sparsity = #accel.sparsity<1:8>

// REPORT: layer0/MatMul 3x8 0.5000 magnitude
// REPORT: layer1/MatMul 8x2 0.5000 magnitude
// REPORT-NOT: lm_head

func.func @prune(%x: tensor<2x8xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 0.5, 0.5],
                             [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0],
                             [0.5, -1.0, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5]]> : tensor<3x8xf32> loc("w0")
  %y = accel.linear %x, %w : tensor<2x8xf32>, tensor<3x8xf32> -> tensor<2x3xf32> loc("layer0/MatMul")
  %wt = arith.constant dense<[[1.0, 4.0], [2.0, -1.0], [3.0, 2.0], [-4.0, 3.0],
                              [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]> : tensor<8x2xf16> loc("w1")
  %z = accel.linear %x, %wt transposed : tensor<2x8xf32>, tensor<8x2xf16> -> tensor<2x2xf32> loc("layer1/MatMul")
  %h = arith.constant dense<1.0> : tensor<4x8xf32> loc("lm_head.weight")
  %l = accel.linear %x, %h : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32> loc("/lm_head/MatMul")
  return %y, %z, %l : tensor<2x3xf32>, tensor<2x2xf32>, tensor<2x4xf32>
}
