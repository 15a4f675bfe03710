// Element-wise nodes with a computed operand that broadcasts and has no
// name: the Mul's comes from an op at loc(unknown), the Add's is an input
// without onnx.name (unraised-broadcast.test).
module attributes {onnx.opset = {ai.onnx = 17 : i64}} {
  func.func @main_graph(%arg0: tensor<3x4x5xf32> {onnx.name = "x"}, %arg1: tensor<5xf32>, %arg2: tensor<3x4x5xf32> {onnx.name = "w"}) -> (tensor<3x4x5xf32> {onnx.name = "z"}, tensor<3x4x5xf32> {onnx.name = "v"}) {
    %0 = onnx.node "Relu"(%arg1) : (tensor<5xf32>) -> tensor<5xf32> loc(unknown)
    %1 = onnx.node "Mul"(%arg0, %0) : (tensor<3x4x5xf32>, tensor<5xf32>) -> tensor<3x4x5xf32> loc("mul")
    %2 = onnx.node "Add"(%arg2, %arg1) : (tensor<3x4x5xf32>, tensor<5xf32>) -> tensor<3x4x5xf32> loc("add")
    return %1, %2 : tensor<3x4x5xf32>, tensor<3x4x5xf32>
  }
}
