// accel-raise-onnx on textual MLIR: raised ops keep the ONNX node's location
// (a folded bias fuses the Add's), result types that ONNX inference left
// dynamic are refined by running the node, and report-unraised warns at the
// node.
// RUN: accel-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(accel-raise-onnx{report-unraised=false}))' -mlir-print-debuginfo | FileCheck %s
// RUN: accel-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(accel-raise-onnx))' -verify-diagnostics -o /dev/null

// CHECK-LABEL: func.func @locations
// CHECK: accel.linear %{{.*}}, %{{.*}} transposed : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32> loc(#[[MM:loc[0-9]*]])
// CHECK: accel.linear %{{.*}}, %{{.*}} transposed bias(%{{.*}} : tensor<3xf32>) : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32> loc(#[[FUSED:loc[0-9]*]])
// CHECK: accel.activation silu %{{.*}} : tensor<2x3xf32> loc(#[[SILU:loc[0-9]*]])
// CHECK-DAG: #[[MM]] = loc("/mlp/up/MatMul")
// CHECK-DAG: #[[DOWN:loc[0-9]+]] = loc("/mlp/down/MatMul")
// CHECK-DAG: #[[ADD:loc[0-9]+]] = loc("/mlp/down/Add")
// The SiLU is located at its last node, the Mul.
// CHECK-DAG: #[[SILU]] = loc("/mlp/act/Mul")
// CHECK:     #[[FUSED]] = loc(fused[#[[DOWN]], #[[ADD]]])
func.func @locations(%x: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x3xf32> loc("w")
  %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32> loc("b")
  %0 = onnx.node "MatMul"(%x, %w) : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32> loc("/mlp/up/MatMul")
  %1 = onnx.node "MatMul"(%x, %w) : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32> loc("/mlp/down/MatMul")
  %2 = onnx.node "Add"(%1, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32> loc("/mlp/down/Add")
  %3 = onnx.node "Sigmoid"(%2) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("/mlp/act/Sigmoid")
  %4 = onnx.node "Mul"(%2, %3) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32> loc("/mlp/act/Mul")
  return %0, %4 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A Reshape whose result ONNX left dynamic gets its static type from a run
// on zeros, and the function returns it with that type.
// CHECK-LABEL: func.func @refine
// CHECK-SAME: -> tensor<4x2xf32>
// CHECK: %[[R:.*]] = onnx.node "Reshape"(%{{.*}}, %{{.*}}) : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<4x2xf32>
// CHECK: return %[[R]] : tensor<4x2xf32>
func.func @refine(%x: tensor<2x4xf32>) -> tensor<?x?xf32> {
  %shape = arith.constant dense<[4, -1]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %shape) : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @unraised
func.func @unraised(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // expected-warning @+1 {{MatMul was not raised to an accel op: the engine cannot run it}}
  %0 = onnx.node "MatMul"(%x, %w) : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  // expected-warning @+1 {{Softmax was not raised to an accel op: the engine cannot run it}}
  %1 = onnx.node "Softmax"(%0) {axis = -1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // A node of another domain is not the engine's business: no warning.
  %2 = onnx.node "MatMul"(%x, %w) {domain = "com.example"} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
