// The LM head's precision: left float by default, quantized at head-bits
// (accelc --quant-head) with the other linears' group and 8-bit activations.
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=4}))' | FileCheck %s --check-prefix=FLOAT
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=4 head-bits=8}))' | FileCheck %s --check-prefix=W8
// RUN: accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{group=4 head-bits=4 layers=lm_head}))' | FileCheck %s --check-prefix=ONLY
// RUN: not accel-opt %s --pass-pipeline='builtin.module(func.func(accel-quantize{head-bits=5}))' 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: accelc %s --quant=w2a8kv4 --group=4 --quant-head=w4a8 --emit=accel | FileCheck %s --check-prefix=ACCELC
// RUN: not accelc %s --quant=w2a8kv4 --quant-head=w3a8 --emit=accel 2>&1 | FileCheck %s --check-prefix=BADFLAG
// RUN: not accelc %s --quant-head=w8a8 --emit=accel 2>&1 | FileCheck %s --check-prefix=NOQUANT

// FLOAT: weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<2x8xi2>
// FLOAT: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf16> -> tensor<2x4xf32>

// W8: weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<2x8xi2>
// W8: scales(%{{.*}} : tensor<4x2xf16>) zero_points(%{{.*}} : tensor<4x2xi8>) {act_quant = #accel.quant<bits = 8, per_channel, symmetric>, weight_quant = #accel.quant<bits = 8, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<4x8xi8> -> tensor<2x4xf32>

// ONLY: accel.linear %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<2x8xf32>
// ONLY: weight_quant = #accel.quant<bits = 4, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<4x8xi4>

// BITS: error: accel-quantize: head-bits must be 2, 3, 4 or 8, got 5

// ACCELC: weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<2x8xi2>
// ACCELC: weight_quant = #accel.quant<bits = 4, group = 4, asymmetric>} : tensor<2x8xf32>, tensor<4x8xi4>

// BADFLAG: error: --quant-head expects w8a8, w4a8, w2a8 or none, got 'w3a8'
// NOQUANT: error: --quant-head=w8a8 needs --quant (the head is quantized with the other linears)

func.func @main_graph(%x: tensor<2x8xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<[[0.0, 0.0, 3.0, -4.0, 0.5, 0.25, 0.0, 0.0],
                             [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, -0.1, 0.7]]> : tensor<2x8xf32> loc("w0")
  %y = accel.linear %x, %w : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32> loc("/layers.0/mlp/up_proj/MatMul")
  %h = arith.constant dense<[[1.0, 0.5, 2.0, -1.0, 3.0, 2.0, -4.0, 3.0],
                             [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
                             [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                             [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0]]> : tensor<4x8xf16> loc("lm_head.weight")
  %l = accel.linear %x, %h : tensor<2x8xf32>, tensor<4x8xf16> -> tensor<2x4xf32> loc("/lm_head/MatMul")
  return %y, %l : tensor<2x2xf32>, tensor<2x4xf32>
}
