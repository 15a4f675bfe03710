// accel-quantize: exact round-to-nearest values (docs/NUMERICS.md §2) for tiny
// weights, schemes, overrides, layer selection, the KV cache, storage.
// Signless iB elements print signed: an asymmetric i2 value 2 prints as -2,
// 3 as -1 (the bits are what counts; asymmetric values read unsigned).
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=4}))' | FileCheck %s --check-prefix=W2
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=4}))' | accel-opt | FileCheck %s --check-prefix=W2
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=4 symmetric=1 weight-bits=4}))' | FileCheck %s --check-prefix=SYM4
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=0 scheme=w8a8kv8 kv-group=8}))' | FileCheck %s --check-prefix=W8
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w4a8kv4 group=8 layers=layer1 exclude=}))' | FileCheck %s --check-prefix=SEL
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=none}))' | FileCheck %s --check-prefix=NONE
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=none weight-bits=3 group=8 exclude=}))' | FileCheck %s --check-prefix=WONLY
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{group=32}))' | FileCheck %s --check-prefix=LARGE
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{group=32}))' | accel-opt | FileCheck %s --check-prefix=LARGE

// W2-LABEL: func.func @quantize
// Row 0, group 0 (0, 0, 3, -4): S = fp16(7/3), z = 2, q = 2 2 3 0; group 1
// (0.5, 0.25, 0, 0): S = fp16(0.5/3), z = 0, q = 3 2 0 0. The pruned zeros are
// stored as z and stand for 0.
// W2: %[[Q:.*]] = arith.constant dense<{{\[\[}}-2, -2, -1, 0, -1, -2, 0, 0], [-1, 0, -2, -2, 0, 0, 0, -1]]> : tensor<2x8xi2>
// W2: %[[S:.*]] = arith.constant dense<{{\[\[}}2.333980e+00, 1.666260e-01], [6.665040e-01, 2.666020e-01]]> : tensor<2x2xf16>
// W2: %[[Z:.*]] = arith.constant dense<{{\[\[}}-2, 0], [-2, 0]]> : tensor<2x2xi2>
// W2: accel.linear %{{.*}}, %[[Q]] scales(%[[S]] : tensor<2x2xf16>) zero_points(%[[Z]] : tensor<2x2xi2>) {act_quant = #accel.quant<bits = 8, per_channel, symmetric>, sparsity = #accel.sparsity<2:4>, weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<2x8xi2> -> tensor<2x2xf32>
// The [K, N] weight is transposed to [N, K].
// W2: %[[QT:.*]] = arith.constant dense<{{\[\[}}-2, -1, -1, 0, -1, -1, -1, -1], [1, 0, -1, -1, -1, -1, -1, -1]]> : tensor<2x8xi2>
// W2: accel.linear %{{.*}}, %[[QT]] scales(%{{.*}} : tensor<2x2xf16>) zero_points(%{{.*}} : tensor<2x2xi2>) {act_quant = #accel.quant<bits = 8, per_channel, symmetric>, weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<2x8xi2> -> tensor<2x2xf32>
// The LM head is excluded by default.
// W2: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
// KV: 4 bits, asymmetric, one group per head (head dim 16).
// W2: accel.attention {{.*}} {kv_quant = #accel.quant<bits = 4, group = 16, asymmetric>}

// Symmetric 4-bit: P = 7, S = fp16(4/7), q = round(w / S), no zero points.
// SYM4: arith.constant dense<{{\[\[}}0, 0, 5, -7, 7, 4, 0, 0], [7, -7, 0, 0, 0, 0, -1, 7]]> : tensor<2x8xi4>
// SYM4: arith.constant dense<{{\[\[}}5.712890e-01, 7.141110e-02], [1.428220e-01, 9.997550e-02]]> : tensor<2x2xf16>
// SYM4-NOT: zero_points
// SYM4: weight_quant = #accel.quant<bits = 4, group = 4, symmetric>

// 8-bit per channel: row 0 has lo = -4, hi = 3: S = fp16(7/255), z = 146 (-110).
// W8: arith.constant dense<{{\[\[}}-110, -110, -1, 0, -92, -101, -110, -110], [-1, 0, -128, -128, -128, -128, 115, -39]]> : tensor<2x8xi8>
// W8: arith.constant dense<{{\[\[}}2.745060e-02], [7.843020e-03]]> : tensor<2x1xf16>
// W8: arith.constant dense<{{\[\[}}-110], [-128]]> : tensor<2x1xi8>
// W8: weight_quant = #accel.quant<bits = 8, per_channel, asymmetric>
// W8: kv_quant = #accel.quant<bits = 8, group = 8, asymmetric>

// SEL: accel.linear %{{.*}}, %{{.*}} {sparsity = #accel.sparsity<2:4>} : tensor<2x8xf32>, tensor<2x8xf32>
// SEL: weight_quant = #accel.quant<bits = 4, group = 8, asymmetric>} : tensor<2x8xf32>, tensor<2x8xi4>
// SEL: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32>
// SEL: accel.attention
// SEL-NOT: kv_quant

// NONE-NOT: _quant

// Weight-only: no act_quant, no kv_quant.
// WONLY-COUNT-3: {{[{ ]}}weight_quant = #accel.quant<bits = 3, group = 8, asymmetric>}
// WONLY-NOT: act_quant
// WONLY-NOT: kv_quant

// Large tensors are dense_resource blobs; they round-trip and verify.
// LARGE-LABEL: func.func @large
// LARGE: %[[LQ:.*]] = arith.constant dense_resource<{{.*}}> : tensor<64x64xi2>
// LARGE: %[[LS:.*]] = arith.constant dense<{{.*}}> : tensor<64x2xf16>
// LARGE: accel.linear %{{.*}}, %[[LQ]] scales(%[[LS]] : tensor<64x2xf16>) zero_points(%{{.*}} : tensor<64x2xi2>) {act_quant = #accel.quant<bits = 8, per_channel, symmetric>, sparsity = #accel.sparsity<2:4>, weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>}
func.func @quantize(%x: tensor<2x8xf32>, %q: tensor<1x4x64xf32>, %kv: tensor<1x4x32xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x4xf32>, tensor<1x4x64xf32>) {
  %w = arith.constant dense<[[0.0, 0.0, 3.0, -4.0, 0.5, 0.25, 0.0, 0.0],
                             [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, -0.1, 0.7]]> : tensor<2x8xf32> loc("w0")
  %y = accel.linear %x, %w {sparsity = #accel.sparsity<2:4>} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32> loc("layer0/MatMul")
  %wt = arith.constant dense<[[1.0, 0.5], [2.0, -1.0], [3.0, 2.0], [-4.0, 3.0],
                              [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]> : tensor<8x2xf32> loc("w1")
  %z = accel.linear %x, %wt transposed : tensor<2x8xf32>, tensor<8x2xf32> -> tensor<2x2xf32> loc("layer1/MatMul")
  %h = arith.constant dense<1.0> : tensor<4x8xf32> loc("lm_head.weight")
  %l = accel.linear %x, %h : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32> loc("/lm_head/MatMul")
  %a = accel.attention %q, %kv, %kv heads(4, 2) causal : tensor<1x4x64xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32> -> tensor<1x4x64xf32> loc("layer0/attn")
  return %y, %z, %l, %a : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x4xf32>, tensor<1x4x64xf32>
}

func.func @large(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %c = arith.constant dense<0.5> : tensor<64x64xf32> loc("big.weight")
  %y = accel.linear %x, %c : tensor<1x64xf32>, tensor<64x64xf32> -> tensor<1x64xf32> loc("big/MatMul")
  return %y : tensor<1x64xf32>
}
