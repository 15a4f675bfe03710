// What accel-lower-to-isa refuses in a forward function: each error names
// the op (its ONNX node in accelc) or the input the engine cannot run row
// by row.
// RUN: accel-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa)'

func.func @unraised(%a: tensor<3x4xf32>, %b: tensor<4x3xf32>) -> tensor<3x3xf32> attributes {accel.entry = "forward"} {
  // expected-error @+1 {{MatMul was not raised to an accel op: the engine cannot run it}}
  %y = onnx.node "MatMul"(%a, %b) : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

// A reshape moves values between rows.
func.func @not_row_wise(%x: tensor<4x16xf32>) -> tensor<2x32xf32> attributes {accel.entry = "forward"} {
  %s = arith.constant dense<[2, 32]> : tensor<2xi64>
  // expected-error @+1 {{the engine runs a graph row by row and cannot run 'tensor.reshape' in it}}
  %y = tensor.reshape %x(%s) : (tensor<4x16xf32>, tensor<2xi64>) -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

func.func @constant_operand(%x: tensor<4x16xf32>) -> tensor<4x16xf32> attributes {accel.entry = "forward"} {
  %c = arith.constant dense<2.0> : tensor<4x16xf32>
  // expected-error @+1 {{the engine runs element-wise ops on rows, not on a constant operand}}
  %y = arith.mulf %x, %c : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Rows of 20 bytes need tiles of a multiple of 16 rows to stay 64-byte
// aligned in io.
// expected-error @+1 {{the engine moves rows in 64-byte units: input 'x''s rows of 20 bytes need a prefill tile that is a multiple of 16 rows, not 4 (accelc --prefill-tile)}}
func.func @unaligned(%x: tensor<3x4x5xf32> {onnx.name = "x"}) -> tensor<3x4x5xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation relu %x : tensor<3x4x5xf32>
  return %y : tensor<3x4x5xf32>
}

// -----

// expected-error @+1 {{the engine takes fp32 rows or token ids: input 'input0' is 'tensor<4x16xf16>'}}
func.func @half(%x: tensor<4x16xf16>) -> tensor<4x16xf16> attributes {accel.entry = "forward"} {
  return %x : tensor<4x16xf16>
}

// -----

// expected-error @+1 {{the engine runs a graph row by row: input 'input0' is 'tensor<?x16xf32>', not a tensor of static shape (give its dimensions sizes, accelc --dim)}}
func.func @dynamic(%x: tensor<?x16xf32>) -> tensor<?x16xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation silu %x : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// 2^20 rows of 1 KiB in and out: 2 GiB of io, more than a channel.
// expected-error @+1 {{the io region's 2147483648 bytes (1048576 rows of every input and output) and the weights do not fit an HBM channel (268435456 bytes): give the graph fewer rows}}
func.func @too_many_rows(%x: tensor<1048576x256xf32>) -> tensor<1048576x256xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation relu %x : tensor<1048576x256xf32>
  return %y : tensor<1048576x256xf32>
}

// -----

func.func @constant_output(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) attributes {accel.entry = "forward"} {
  %c = arith.constant dense<2.0> : tensor<4x16xf32>
  // expected-error @+1 {{the engine returns rows it computes from the inputs: output 'output1' is a constant}}
  return %x, %c : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Token ids returned as they are.
// expected-error @+1 {{the engine reads token ids only to look up an embedding: input 'input0' has other users}}
func.func @ids_output(%ids: tensor<1x4xi64>) -> tensor<1x4xi64> attributes {accel.entry = "forward"} {
  return %ids : tensor<1x4xi64>
}
