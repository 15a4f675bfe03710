// accel-quantize: bad options are errors; what cannot be quantized is warned
// about and left as it was.
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{exclude= kv-group=5}))' -verify-diagnostics | FileCheck %s
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w3a8}))' 2>&1 | FileCheck %s --check-prefix=SCHEME
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{weight-bits=5}))' 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=-4}))' 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{kv-group=-2}))' 2>&1 | FileCheck %s --check-prefix=KVGROUP
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{method=awq}))' 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{method=calibrated}))' 2>&1 | FileCheck %s --check-prefix=NOCALIB
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{prune-n=2 prune-m=3}))' 2>&1 | FileCheck %s --check-prefix=PRUNEM
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{prune-n=5 prune-m=4}))' 2>&1 | FileCheck %s --check-prefix=PRUNEN
// RUN: echo "1 2" > %t.tokens
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{prune-n=2 prune-m=4 method=calibrated calibration=%t.tokens}))' 2>&1 | FileCheck %s --check-prefix=PRUNEGPTQ
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{method=calibrated calibration=%t.missing}))' 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{exclude=[}))' 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: echo "1 2 3 4" > %t.calib
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{method=calibrated group=0 calibration=%t.calib}))' 2>&1 | FileCheck %s --check-prefix=ARGS

// SCHEME: error: accel-quantize: unknown scheme 'w3a8' (expected w2a8kv4, w4a8kv4, w8a8kv8 or none)
// BITS: error: accel-quantize: weight-bits must be 2, 3, 4 or 8, got 5
// GROUP: error: accel-quantize: group must be >= 0 (0: per channel), got -4
// KVGROUP: error: accel-quantize: kv-group must be >= 0, or -1 for the head dim, got -2
// METHOD: error: accel-quantize: unknown method 'awq' (expected rtn or calibrated)
// NOCALIB: error: accel-quantize: method=calibrated needs calibration=<token file>
// PRUNEM: accel-quantize: prune-m must be 4, 8 or 16, got 3
// PRUNEN: accel-quantize: prune-n must be in [1, prune-m], got 5
// PRUNEGPTQ: accel-quantize: prune-n/prune-m need method=rtn
// MISSING: error: accel-quantize: cannot read calibration file
// REGEX: error: accel-quantize: invalid `exclude` regex '['
// ARGS: error: {{.*}}accel-quantize: calibration needs a function of one argument (the token ids), 'cannot' takes 4

// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<2x96xf32>, tensor<3x96xf32>
// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<2x96xf32>, tensor<3x96xf32>
// CHECK: accel.linear %{{.*}}, %{{.*}} scales
// CHECK-NOT: kv_quant
func.func @cannot(%x: tensor<2x96xf32>, %w: tensor<3x96xf32>, %q: tensor<1x4x48xf32>, %kv: tensor<1x4x24xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x4x48xf32>) {
  %c = arith.constant dense<1.0> : tensor<3x96xf32>
  // expected-warning @+1 {{accel-quantize: group 128 does not divide K = 96; left float}}
  %y = accel.linear %x, %c : tensor<2x96xf32>, tensor<3x96xf32> -> tensor<2x3xf32>
  // expected-warning @+1 {{accel-quantize: the weight is not a constant; left float}}
  %z = accel.linear %x, %w : tensor<2x96xf32>, tensor<3x96xf32> -> tensor<2x3xf32>
  %cq = arith.constant dense<1> : tensor<3x96xi2>
  %sq = arith.constant dense<1.0> : tensor<3x1xf16>
  %zq = arith.constant dense<0> : tensor<3x1xi2>
  // Already quantized: left alone, silently.
  %u = accel.linear %x, %cq scales(%sq : tensor<3x1xf16>) zero_points(%zq : tensor<3x1xi2>) {weight_quant = #accel.quant<bits = 2, per_channel, asymmetric>} : tensor<2x96xf32>, tensor<3x96xi2> -> tensor<2x3xf32>
  // expected-warning @+1 {{accel-quantize: KV group 5 does not divide the head dim 12; KV cache left fp32}}
  %a = accel.attention %q, %kv, %kv heads(4, 2) causal : tensor<1x4x48xf32>, tensor<1x4x24xf32>, tensor<1x4x24xf32> -> tensor<1x4x48xf32>
  return %y, %z, %u, %a : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x4x48xf32>
}
