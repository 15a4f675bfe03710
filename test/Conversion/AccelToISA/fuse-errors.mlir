// The verifiers of the lowering's decisions (accel-fuse, accel-tile,
// accel-allocate-buffers): each attribute where it may stand.
// RUN: accel-opt %s -split-input-file -verify-diagnostics

func.func @epilogue_on_norm(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel.epilogue must be an #accel.epilogue on an accel.linear}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.epilogue = #accel.epilogue<silu>} : tensor<1x1x64xf32>, tensor<64xf32>
  return %n : tensor<1x1x64xf32>
}

// -----

func.func @epilogue_of_another_kind(%x: tensor<1x1x64xf32>, %w: tensor<16x64xf32>) -> tensor<1x1x16xf32> {
  // expected-error @+1 {{accel.epilogue needs the linear's one user to be an accel.activation of that kind reading it as its input}}
  %y = accel.linear %x, %w {accel.epilogue = #accel.epilogue<relu>} : tensor<1x1x64xf32>, tensor<16x64xf32> -> tensor<1x1x16xf32>
  %a = accel.activation silu %y : tensor<1x1x16xf32>
  return %a : tensor<1x1x16xf32>
}

// -----

func.func @epilogue_of_a_linear_read_twice(%x: tensor<1x1x64xf32>, %w: tensor<16x64xf32>) -> (tensor<1x1x16xf32>, tensor<1x1x16xf32>) {
  // expected-error @+1 {{accel.epilogue needs the linear's one user to be an accel.activation of that kind reading it as its input}}
  %y = accel.linear %x, %w {accel.epilogue = #accel.epilogue<silu>} : tensor<1x1x64xf32>, tensor<16x64xf32> -> tensor<1x1x16xf32>
  %a = accel.activation silu %y : tensor<1x1x16xf32>
  return %a, %y : tensor<1x1x16xf32>, tensor<1x1x16xf32>
}

// -----

func.func @quantized_without_reader(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel.quantized: no accel.linear reads the result with that activation quantization}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.quantized = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<1x1x64xf32>, tensor<64xf32>
  return %n : tensor<1x1x64xf32>
}

// -----

func.func @quantized_not_a_quant(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel.quantized must be an #accel.quant on an op of one result}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.quantized = 8 : i64} : tensor<1x1x64xf32>, tensor<64xf32>
  return %n : tensor<1x1x64xf32>
}

// -----

func.func @in_place_input_read_twice(%x: tensor<1x1x16xf32>, %c: tensor<1x16xf32>, %s: tensor<1x16xf32>, %w: tensor<16x16xf32>) -> (tensor<1x1x16xf32>, tensor<1x1x16xf32>) {
  %q = accel.linear %x, %w : tensor<1x1x16xf32>, tensor<16x16xf32> -> tensor<1x1x16xf32>
  // expected-error @+1 {{accel.in_place needs an input that only this rope reads}}
  %r = accel.rope rotate_half %q, %c, %s heads(1) {accel.in_place} : tensor<1x1x16xf32>, tensor<1x16xf32>
  return %r, %q : tensor<1x1x16xf32>, tensor<1x1x16xf32>
}

// -----

func.func @in_place_on_a_linear(%x: tensor<1x1x16xf32>, %w: tensor<16x16xf32>) -> tensor<1x1x16xf32> {
  // expected-error @+1 {{accel.in_place must be a unit attribute on an accel.rope}}
  %q = accel.linear %x, %w {accel.in_place} : tensor<1x1x16xf32>, tensor<16x16xf32> -> tensor<1x1x16xf32>
  return %q : tensor<1x1x16xf32>
}

// -----

// expected-error @+1 {{accel.prefill_tile = 300 is not in 1..255}}
module attributes {accel.prefill_tile = 300 : i64} {
}

// -----

func.func @load_tiles(%x: tensor<1x1x16xf32>, %w: tensor<16x16xf32>) -> tensor<1x1x16xf32> {
  // expected-error @+1 {{accel.load_tiles = 3 is not a power of two}}
  %q = accel.linear %x, %w {accel.load_tiles = 3 : i64} : tensor<1x1x16xf32>, tensor<16x16xf32> -> tensor<1x1x16xf32>
  return %q : tensor<1x1x16xf32>
}

// -----

// expected-error @+1 {{accel.load_tiles must be an integer on an accel.linear}}
func.func @load_tiles_on_a_function() attributes {accel.load_tiles = 4 : i64} {
  return
}

// -----

// expected-error @+1 {{act homes: result = 100 is not a multiple of 64}}
func.func @homes_offset() attributes {p = #accel.homes<rows = 1, result = 100>} {
  return
}

// -----

// expected-error @+1 {{act homes: rows = 0 is not positive}}
func.func @homes_rows() attributes {p = #accel.homes<rows = 0>} {
  return
}

// -----

func.func @act_of_another_step(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel.act must map decode and prefill (or forward) to #accel.homes}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.act = {verify = #accel.homes<rows = 1, result = 0>}} : tensor<1x1x64xf32>, tensor<64xf32>
  return %n : tensor<1x1x64xf32>
}

// -----

func.func @last_row_feeding_the_step(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> (tensor<1x1x64xf32>, tensor<1x1x64xf32>) {
  // expected-error @+1 {{accel.last_row: a result feeds an op outside the output tail, not only the logits}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.last_row} : tensor<1x1x64xf32>, tensor<64xf32>
  %r = arith.addf %n, %x : tensor<1x1x64xf32>
  return %n, %r : tensor<1x1x64xf32>, tensor<1x1x64xf32>
}

// -----

func.func @prm_offset(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel.prm must map decode and prefill (or forward) to arrays of offsets, multiples of 64}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.prm = {decode = array<i64: 100>}} : tensor<1x1x64xf32>, tensor<64xf32>
  return %n : tensor<1x1x64xf32>
}

// -----

func.func @attention_layout_on_a_norm(%x: tensor<1x1x64xf32>, %g: tensor<64xf32>) -> tensor<1x1x64xf32> {
  // expected-error @+1 {{accel.attention_layout must be on an accel.cache_attention and map decode and prefill to dictionaries of non-negative integers}}
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) {accel.attention_layout = {decode = {keys = 0}}} : tensor<1x1x64xf32>, tensor<64xf32>
  return %n : tensor<1x1x64xf32>
}
