// An element-wise node accel-raise-onnx leaves for another reason than a
// computed operand that broadcasts: a constant that does not broadcast to
// the result (unraised-broadcast.test).
module attributes {onnx.opset = {ai.onnx = 17 : i64}} {
  func.func @main_graph(%arg0: tensor<3x4x5xf32> {onnx.name = "x"}) -> (tensor<3x4x5xf32> {onnx.name = "z"}) {
    %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> loc("row")
    %0 = onnx.node "Mul"(%arg0, %c) : (tensor<3x4x5xf32>, tensor<4xf32>) -> tensor<3x4x5xf32> loc("mul")
    return %0 : tensor<3x4x5xf32>
  }
}
