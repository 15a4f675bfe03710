// Round trip of the onnx import dialect.
// RUN: accel-opt %s | accel-opt | FileCheck %s
// RUN: accel-opt %s --mlir-print-op-generic | accel-opt | FileCheck %s

// CHECK-LABEL: func.func @main_graph
// CHECK: %[[N:.*]] = onnx.none
// CHECK: onnx.node "Gemm"(%{{.*}}, %{{.*}}, %[[N]]) {alpha = 1.000000e+00 : f32, transB = 1 : i64} : (tensor<2x4xf32>, tensor<8x4xf32>, none) -> tensor<2x8xf32>
// CHECK: onnx.node "Split"(%{{.*}}) {axis = 1 : i64, num_outputs = 2 : i64} : (tensor<2x8xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK: onnx.node "Custom"(%{{.*}}) {domain = "com.example", perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
func.func @main_graph(%a: tensor<2x4xf32>, %b: tensor<8x4xf32>) -> tensor<4x2xf32> {
  %none = onnx.none
  %0 = onnx.node "Gemm"(%a, %b, %none) {alpha = 1.0 : f32, transB = 1 : i64} : (tensor<2x4xf32>, tensor<8x4xf32>, none) -> tensor<2x8xf32>
  %1:2 = onnx.node "Split"(%0) {axis = 1 : i64, num_outputs = 2 : i64, domain = ""} : (tensor<2x8xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  %2 = onnx.node "Custom"(%1#0) {domain = "com.example", perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  return %2 : tensor<4x2xf32>
}
