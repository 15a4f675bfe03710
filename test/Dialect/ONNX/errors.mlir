// RUN: accel-opt %s -split-input-file -verify-diagnostics

func.func @empty_op_type(%a: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.node' op needs a non-empty op_type}}
  %0 = onnx.node ""(%a) : (tensor<2xf32>) -> tensor<2xf32>
  return
}
