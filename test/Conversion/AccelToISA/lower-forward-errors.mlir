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

// A constant of many values of the result's shape: the engine takes one
// value (an immediate) or a row repeated along the rows.
func.func @constant_operand(%x: tensor<4x16xf32>) -> tensor<4x16xf32> attributes {accel.entry = "forward"} {
  %c = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]]> : tensor<4x16xf32>
  // expected-error @+1 {{the engine runs element-wise ops on rows and at most one constant (of one value, or a row repeated along the rows), not on this constant operand}}
  %y = arith.mulf %x, %c : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A column repeated along the features is not a row.
func.func @column_operand(%x: tensor<4x16xf32>) -> tensor<4x16xf32> attributes {accel.entry = "forward"} {
  %c = arith.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %b = accel.broadcast %c : tensor<4x1xf32> -> tensor<4x16xf32>
  // expected-error @+1 {{the engine repeats a constant along the rows only as an fp32 row of the 16 features (every other dimension 1), not this 'tensor<4x1xf32>' (repeated to 'tensor<4x16xf32>')}}
  %y = arith.addf %x, %b : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A computed row (here an input of one row) is not a parameter.
func.func @computed_row(%x: tensor<4x16xf32>, %r: tensor<16xf32>) -> tensor<4x16xf32> attributes {accel.entry = "forward"} {
  %b = accel.broadcast %r : tensor<16xf32> -> tensor<4x16xf32>
  // expected-error @+1 {{the engine repeats only a constant row along the rows, not the computed 'tensor<16xf32>'}}
  %y = arith.mulf %x, %b : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A row and a value: two constants.
func.func @row_and_value(%x: tensor<4x16xf32>) -> tensor<4x16xf32> attributes {accel.entry = "forward"} {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]> : tensor<16xf32>
  %b = accel.broadcast %c : tensor<16xf32> -> tensor<4x16xf32>
  %h = arith.constant dense<0.5> : tensor<4x16xf32>
  // expected-error @+1 {{the engine runs element-wise ops on rows and at most one constant (of one value, or a row repeated along the rows), not on this constant operand}}
  %y = arith.subf %b, %h : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Rows of 20 bytes need tiles of a multiple of 16 rows to stay 64-byte
// aligned in io.
// expected-error @+1 {{the engine moves rows in 64-byte units: input 'x''s rows of 20 bytes need a prefill tile that is a multiple of 16 rows, not 4 (accel-tile's `prefill-tile`)}}
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

// expected-error @+1 {{the engine runs a graph row by row: input 'input0' is 'tensor<?x16xf32>', not a tensor of static shape (give its dimensions sizes: the import's `dim`)}}
func.func @dynamic(%x: tensor<?x16xf32>) -> tensor<?x16xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation silu %x : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// 2^19 rows of 384 bytes in and out: 384 MiB of io, more than a channel.
// expected-error @+1 {{the io region's 402653184 bytes (524288 rows of every input and output) and the weights do not fit an HBM channel (268435456 bytes): give the graph fewer rows}}
func.func @too_many_rows(%x: tensor<524288x96xf32>) -> tensor<524288x96xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation relu %x : tensor<524288x96xf32>
  return %y : tensor<524288x96xf32>
}

// -----

// One input of 1 GiB: more than a channel on its own.
// expected-error @+1 {{the io region holds every input's and output's rows: input 'x' ('tensor<1048576x256xf32>') does not fit an HBM channel (268435456 bytes): give the graph fewer rows}}
func.func @input_too_big(%x: tensor<1048576x256xf32> {onnx.name = "x"}) -> tensor<1048576x256xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation relu %x : tensor<1048576x256xf32>
  return %y : tensor<1048576x256xf32>
}

// -----

// 2^60 rows of 64 bytes: 2^66 bytes, past int64 (it wrapped to 0 bytes).
// expected-error @+1 {{the io region holds every input's and output's rows: input 'x' ('tensor<1073741824x1073741824x16xf32>') does not fit an HBM channel (268435456 bytes): give the graph fewer rows}}
func.func @bytes_wrap(%x: tensor<1073741824x1073741824x16xf32> {onnx.name = "x"}) -> tensor<1073741824x1073741824x16xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation relu %x : tensor<1073741824x1073741824x16xf32>
  return %y : tensor<1073741824x1073741824x16xf32>
}

// -----

// 2^64 rows: their count is past int64.
// expected-error @+1 {{the io region holds every input's and output's rows: input 'x' ('tensor<4294967296x4294967296x16xf32>') does not fit an HBM channel (268435456 bytes): give the graph fewer rows}}
func.func @rows_wrap(%x: tensor<4294967296x4294967296x16xf32> {onnx.name = "x"}) -> tensor<4294967296x4294967296x16xf32> attributes {accel.entry = "forward"} {
  %y = accel.activation relu %x : tensor<4294967296x4294967296x16xf32>
  return %y : tensor<4294967296x4294967296x16xf32>
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

// -----

// Attention runs in a decoder step over a KV cache, not in a forward graph.
func.func @attention(%q: tensor<1x16x64xf32>, %k: tensor<1x16x64xf32>, %v: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> attributes {accel.entry = "forward"} {
  // expected-error @+1 {{the graph has attention: compile its decoder step (the driver's `decode` or accel-lambda-attention's `window`; the engine runs attention over a KV cache)}}
  %y = accel.attention %q, %k, %v heads(4, 4) causal : tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}
