// accel-prune with Wanda scores over calibration tokens, and with user masks.
// RUN: split-file %s %t
// RUN: accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune))' | FileCheck %s --check-prefix=MAG
// RUN: accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{criterion=wanda calibration=%t/calib.txt report=-}))' | FileCheck %s --check-prefix=WANDA
// RUN: accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{masks=%t/masks.onnxtxt report=-}))' | FileCheck %s --check-prefix=MASK
// RUN: not accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{masks=%t/greedy.onnxtxt}))' 2>&1 | FileCheck %s --check-prefix=GREEDY
// RUN: not accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{masks=%t/shape.onnxtxt}))' 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{masks=%t/missing.onnx}))' 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{criterion=wanda calibration=%t/missing.txt}))' 2>&1 | FileCheck %s --check-prefix=NOCALIB
// RUN: not accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{criterion=wanda calibration=%t/bad.txt}))' 2>&1 | FileCheck %s --check-prefix=BADCALIB
// RUN: not accel-opt %t/model.mlir --pass-pipeline='builtin.module(func.func(accel-prune{criterion=wanda calibration=%t/short.txt}))' 2>&1 | FileCheck %s --check-prefix=SHORT

// Magnitude: row 0 keeps 3, 4 | 3, 4.
// MAG: arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00, 0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00], [4.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00, -1.000000e+00, -1.000000e+00, 0.000000e+00, 0.000000e+00]]>

// Wanda: channels 0 and 1 see activations of 10, channels 2 and 3 of 0.01
// (||X|| = 20 vs 0.02 over the 4 tokens), so row 0 keeps 1, 2 in its first group.
// WANDA: layer0/MatMul 2x8 0.5000 wanda
// WANDA: arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00], [4.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00, -1.000000e+00, -1.000000e+00, 0.000000e+00, 0.000000e+00]]>
// WANDA: accel.linear {{.*}} {sparsity = #accel.sparsity<2:4>}

// The mask keeps what it says, even fewer than N.
// MASK: layer0/MatMul 2x8 0.4375 mask
// MASK: arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, 0.000000e+00, 4.000000e+00, 0.000000e+00, 2.000000e+00, 3.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 0.000000e+00, -1.000000e+00, 0.000000e+00, 0.000000e+00, -1.000000e+00]]>

// GREEDY: error: {{.*}}accel-prune: mask 'w0' keeps 3 of the 4 weights at row 1, k = 4..7 (at most 2:4)
// SHAPE: error: {{.*}}accel-prune: mask 'w0' has shape 8x2, the weight is 2x8
// NOFILE: accel-prune: cannot read masks from '{{.*}}missing.onnx'
// NOCALIB: error: {{.*}}accel-prune: cannot read calibration file '{{.*}}missing.txt'
// BADCALIB: error: {{.*}}accel-prune: {{.*}}bad.txt:2: 'x7' is not a token id
// SHORT: error: {{.*}}accel-prune: the calibration tokens make 0 sequence(s) of 4 tokens; the function takes 1

//--- model.mlir
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x4x2xf32> {
  %table = arith.constant dense<[[10.0, 10.0, 0.01, 0.01, 1.0, 1.0, 1.0, 1.0],
                                 [10.0, -10.0, 0.01, -0.01, 1.0, -1.0, 1.0, -1.0],
                                 [-10.0, 10.0, -0.01, 0.01, -1.0, 1.0, -1.0, 1.0],
                                 [-10.0, -10.0, -0.01, -0.01, -1.0, -1.0, -1.0, -1.0]]> : tensor<4x8xf32> loc("embed.weight")
  %x = accel.embedding %ids, %table : tensor<1x4xi64>, tensor<4x8xf32> -> tensor<1x4x8xf32> loc("embed/Gather")
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0],
                             [4.0, 3.0, 2.0, 1.0, -1.0, -1.0, -1.0, -1.0]]> : tensor<2x8xf32> loc("w0")
  %y = accel.linear %x, %w : tensor<1x4x8xf32>, tensor<2x8xf32> -> tensor<1x4x2xf32> loc("layer0/MatMul")
  return %y : tensor<1x4x2xf32>
}

//--- calib.txt
0 1 2 3

3 2 1 0 1
//--- bad.txt
0 1 2 3
1 x7
//--- short.txt
0 1 2
//--- masks.onnxtxt
<ir_version: 8, opset_import: ["" : 17]>
masks (float[1] x) => (float[1] y) <uint8[2,8] w0 = {1,0,0,1, 0,1,1,0, 0,0,1,0, 1,0,0,1}, uint8[2,8] unused = {1,1,1,1, 1,1,1,1, 1,1,1,1, 1,1,1,1}>
{
  y = Identity(x)
}
//--- greedy.onnxtxt
<ir_version: 8, opset_import: ["" : 17]>
masks (float[1] x) => (float[1] y) <uint8[2,8] w0 = {1,0,0,1, 0,1,1,0, 0,0,1,0, 1,1,0,1}>
{
  y = Identity(x)
}
//--- shape.onnxtxt
<ir_version: 8, opset_import: ["" : 17]>
masks (float[1] x) => (float[1] y) <uint8[8,2] w0 = {1,0,0,1, 0,1,1,0, 0,0,1,0, 1,1,0,1}>
{
  y = Identity(x)
}
