// accel-prune: bad options are errors; layers it cannot prune are warned about.
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune))' -verify-diagnostics -o /dev/null
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{m=5}))' 2>&1 | FileCheck %s --check-prefix=MBAD
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{n=5}))' 2>&1 | FileCheck %s --check-prefix=NBIG
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{n=0 m=8}))' 2>&1 | FileCheck %s --check-prefix=NZERO
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{criterion=random}))' 2>&1 | FileCheck %s --check-prefix=CRIT
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{criterion=wanda}))' 2>&1 | FileCheck %s --check-prefix=WANDA
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{layers=(}))' 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{report=%t.missing/dir/r.txt}))' 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune{criterion=wanda calibration=%s}))' 2>&1 | FileCheck %s --check-prefix=CALIB

// MBAD: error: accel-prune: N:M sparsity needs M in {4, 8, 16}, got m=5
// NBIG: error: accel-prune: N:M sparsity needs 1 <= N <= M, got 5:4
// NZERO: error: accel-prune: N:M sparsity needs 1 <= N <= M, got 0:8
// CRIT: error: accel-prune: unknown criterion 'random' (expected magnitude or wanda)
// WANDA: error: accel-prune: criterion=wanda needs calibration=<token file>
// REGEX: error: accel-prune: invalid `layers` regex '('
// REPORT: error: accel-prune: cannot write report
// CALIB: error: accel-prune: {{.*}}prune-errors.mlir:1: '//' is not a token id

func.func @cannot(%x: tensor<2x6xf32>, %w: tensor<3x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = arith.constant dense<1.0> : tensor<3x6xf32>
  // expected-warning @+1 {{accel-prune: M = 4 does not divide K = 6; left dense}}
  %y = accel.linear %x, %c : tensor<2x6xf32>, tensor<3x6xf32> -> tensor<2x3xf32>
  // expected-warning @+1 {{accel-prune: the weight is not a constant; left dense}}
  %z = accel.linear %x, %w : tensor<2x6xf32>, tensor<3x6xf32> -> tensor<2x3xf32>
  return %y, %z : tensor<2x3xf32>, tensor<2x3xf32>
}
