// Every error of accel-lambda-attention.
// RUN: accel-opt %s -split-input-file -verify-diagnostics --accel-lambda-attention="max-context=16 rope-positions=cache" --mlir-disable-threading
// RUN: not accel-opt %s -split-input-file --accel-lambda-attention="rope-positions=sideways" 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not accel-opt %s -split-input-file --accel-lambda-attention="tile=0" 2>&1 | FileCheck %s --check-prefix=TILE
// OPTION: accel-lambda-attention: `rope-positions` must be `absolute` or `cache`, got 'sideways'
// TILE: accel-lambda-attention: `tile` must be > 0, got 0

// Attention that already has a KV cache.
func.func @main_graph(%q: tensor<1x1x8xf32>, %k: tensor<1x1x4xf32>, %pk: tensor<1x4x4xf32>) -> tensor<1x1x8xf32> {
  // expected-error @+1 {{attention already takes past keys and values; accel-lambda-attention derives the KV cache from a whole-sequence graph (export without past_key_values)}}
  %a = accel.attention %q, %k, %k past(%pk, %pk : tensor<1x4x4xf32>, tensor<1x4x4xf32>) heads(2, 1) causal : tensor<1x1x8xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32> -> tensor<1x1x8xf32>
  return %a : tensor<1x1x8xf32>
}

// -----

// A dynamic sequence length.
func.func @main_graph(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{attention needs a static batch and sequence length, got 'tensor<1x?x8xf32>' (give them sizes: the import's `dim`, e.g. batch=1,sequence=128)}}
  %a = accel.attention %q, %k, %k heads(2, 1) causal : tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32> -> tensor<1x?x8xf32>
  return %a : tensor<1x?x8xf32>
}

// -----

// A decode step needs causal attention.
func.func @main_graph(%q: tensor<1x8x8xf32>, %k: tensor<1x8x4xf32>) -> tensor<1x8x8xf32> {
  // expected-error @+1 {{a decode step needs causal attention; this attention is not}}
  %a = accel.attention %q, %k, %k heads(2, 1) : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  return %a : tensor<1x8x8xf32>
}

// -----

// The prompt does not fit a cache without Λ.
func.func @main_graph(%q: tensor<1x32x8xf32>, %k: tensor<1x32x4xf32>) -> tensor<1x32x8xf32> {
  // expected-error @+1 {{the prompt (32 tokens) does not fit a cache of max-context = 16 slots}}
  %a = accel.attention %q, %k, %k heads(2, 1) causal : tensor<1x32x8xf32>, tensor<1x32x4xf32>, tensor<1x32x4xf32> -> tensor<1x32x8xf32>
  return %a : tensor<1x32x8xf32>
}

// -----

// Layers that disagree on the sequence length.
func.func @main_graph(%q: tensor<1x8x8xf32>, %k: tensor<1x8x4xf32>, %q2: tensor<1x4x8xf32>, %k2: tensor<1x4x4xf32>) -> tensor<1x8x8xf32> {
  %a = accel.attention %q, %k, %k heads(2, 1) causal : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  // expected-error @+1 {{attention layers disagree on the batch or sequence length: 'tensor<1x4x8xf32>' vs [1, 8, ...]}}
  %b = accel.attention %q2, %k2, %k2 heads(2, 1) causal : tensor<1x4x8xf32>, tensor<1x4x4xf32>, tensor<1x4x4xf32> -> tensor<1x4x8xf32>
  return %a : tensor<1x8x8xf32>
}

// -----

// An op the decode step cannot be built from.
func.func @main_graph(%q: tensor<1x8x8xf32>, %k: tensor<1x8x4xf32>) -> tensor<1x8x8xf32> {
  %a = accel.attention %q, %k, %k heads(2, 1) causal : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  // expected-error @+1 {{cannot derive the decode step: 'onnx.node' was not raised to accel ops (the decode step is built from accel ops, arith element-wise ops and constants)}}
  %r = onnx.node "Relu"(%a) : (tensor<1x8x8xf32>) -> tensor<1x8x8xf32>
  return %r : tensor<1x8x8xf32>
}

// -----

// A RoPE table that is not cos/sin(position x frequency) cannot be extended.
func.func @main_graph(%q: tensor<1x8x8xf32>, %k: tensor<1x8x4xf32>) -> tensor<1x8x8xf32> {
  %cos = arith.constant dense<"0x0000803F0000803F0000803F0000803F40510A3FB9FC7F3F40510A3FB9FC7F3F3211D5BEE5F27F3F3211D5BEE5F27F3F26707DBF83E27F3F26707DBF83E27F3F305527BF94CB7F3F305527BF94CB7F3F2B3C913E19AE7F3F2B3C913E19AE7F3FB8CD753F128A7F3FB8CD753F128A7F3FBDFF403F815F7F3FBDFF403F815F7F3F"> : tensor<8x4xf32>
  %sin = arith.constant dense<"0x00000000000000000000000000000000A56A573F57D6233CA56A573F57D6233CB7C7683F3ED4A33CB7C7683F3ED4A33CC381103E1FB9F53CC381103E1FB9F53CCFBD41BFDBCB233DCFBD41BFDBCB233D107C75BF0000003F107C75BFF4B64C3D8C0F8FBED19C753D8C0F8FBED19C753D4630283F323E8F3D4630283F323E8F3D"> : tensor<8x4xf32>
  // expected-error @+1 {{the RoPE tables are not cos/sin(position × frequency) (row 5, column 1); they cannot be extended beyond the 8 traced positions}}
  %kr = accel.rope rotate_half %k, %cos, %sin heads(1) : tensor<1x8x4xf32>, tensor<8x4xf32>
  %a = accel.attention %q, %kr, %k heads(2, 1) causal : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  return %a : tensor<1x8x8xf32>
}

// -----

// A RoPE table computed at run time.
func.func @main_graph(%q: tensor<1x8x8xf32>, %k: tensor<1x8x4xf32>, %cos: tensor<8x4xf32>) -> tensor<1x8x8xf32> {
  // expected-error @+1 {{the RoPE cos table is computed at run time; accel-lambda-attention needs it folded to a constant (run accel-raise-onnx)}}
  %kr = accel.rope rotate_half %k, %cos, %cos heads(1) : tensor<1x8x4xf32>, tensor<8x4xf32>
  %a = accel.attention %q, %kr, %k heads(2, 1) causal : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  return %a : tensor<1x8x8xf32>
}

// -----

// rope-positions=cache needs the query and the key rotated alike.
func.func @main_graph(%q: tensor<1x8x8xf32>, %k: tensor<1x8x4xf32>) -> tensor<1x8x8xf32> {
  %cos = arith.constant dense<"0x0000803F0000803F0000803F0000803F40510A3FB9FC7F3F40510A3FB9FC7F3F3211D5BEE5F27F3F3211D5BEE5F27F3F26707DBF83E27F3F26707DBF83E27F3F305527BF94CB7F3F305527BF94CB7F3F2B3C913E19AE7F3F2B3C913E19AE7F3FB8CD753F128A7F3FB8CD753F128A7F3FBDFF403F815F7F3FBDFF403F815F7F3F"> : tensor<8x4xf32>
  %sin = arith.constant dense<"0x00000000000000000000000000000000A56A573F57D6233CA56A573F57D6233CB7C7683F3ED4A33CB7C7683F3ED4A33CC381103E1FB9F53CC381103E1FB9F53CCFBD41BFDBCB233DCFBD41BFDBCB233D107C75BFF4B64C3D107C75BFF4B64C3D8C0F8FBED19C753D8C0F8FBED19C753D4630283F323E8F3D4630283F323E8F3D"> : tensor<8x4xf32>
  %kr = accel.rope rotate_half %k, %cos, %sin heads(1) : tensor<1x8x4xf32>, tensor<8x4xf32>
  // expected-error @+1 {{rope-positions=cache needs the query and the key rotated by one accel.rope table (or neither)}}
  %a = accel.attention %q, %kr, %k heads(2, 1) causal {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  return %a : tensor<1x8x8xf32>
}

// -----

// Nothing to work on.
// expected-error @+1 {{accel-lambda-attention: 'main_graph' has no accel.attention to work on (attention that accel-raise-onnx could not raise stays ONNX ops; see its warnings)}}
func.func @main_graph(%x: tensor<1x8x8xf32>) -> tensor<1x8x8xf32> {
  %r = onnx.node "Relu"(%x) : (tensor<1x8x8xf32>) -> tensor<1x8x8xf32>
  return %r : tensor<1x8x8xf32>
}

// -----

// Constant ids that are not the positions.
func.func @main_graph(%x: tensor<1x8x4xf32>) -> tensor<1x8x4xf32> {
  %ids = arith.constant dense<[[0, 1, 2, 3, 4, 5, 7, 6]]> : tensor<1x8xi64>
  %wpe = arith.constant dense<0.5> : tensor<8x4xf32>
  // expected-error @+1 {{cannot derive the decode step: an embedding of constant ids that are not the positions 0 .. 7}}
  %pos = accel.embedding %ids, %wpe : tensor<1x8xi64>, tensor<8x4xf32> -> tensor<1x8x4xf32>
  %h = arith.addf %x, %pos : tensor<1x8x4xf32>
  %a = accel.attention %h, %h, %h heads(1, 1) causal : tensor<1x8x4xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x4xf32>
  return %a : tensor<1x8x4xf32>
}

// -----

// Frequencies 1, 0.3, 0.07, 0.011 are no base's: f16 rows cannot pin them
// down well enough to extend them.
func.func @main_graph(%q: tensor<1x8x16xf32>, %k: tensor<1x8x8xf32>) -> tensor<1x8x16xf32> {
  %cos = arith.constant dense<"0x003C003C003C003C003C003C003C003C5338A53BFB3B003C5338A53BFB3B003CA9B69A3AEC3B003CA9B69A3AEC3B003CECBBF938D33BFF3BECBBF938D33BFF3B3BB9CC35B03BFE3B3BB9CC35B03BFE3B8A34872C843BFD3B8A34872C843BFD3BAE3B45B34E3BFC3BAE3B45B34E3BFC3B083A0AB80F3BFA3B083A0AB80F3BFA3B"> : tensor<8x8xf16>
  %sin = arith.constant dense<"0x00000000000000000000000000000000BB3ABA347A2CA221BB3ABA347A2CA221463B84387730A225463B84387730A2258430443AAC3239288430443AAC3239280EBA753B6C34A1290EBA753B6C34A129ACBBFB3B7D35092BACBBFB3B7D35092B78B4CA3B8636392C78B4CA3B8636392C4239E83A8837EC2C4239E83A8837EC2C"> : tensor<8x8xf16>
  // expected-error @+1 {{the f16 RoPE tables are not cos/sin(position × base^(-2i/R)) for an integer base; f16 tables are too coarse to recover other frequencies, so they cannot be extended beyond the 8 traced positions (export them as f32)}}
  %kr = accel.rope rotate_half %k, %cos, %sin heads(1) : tensor<1x8x8xf32>, tensor<8x8xf16>
  %a = accel.attention %q, %kr, %k heads(2, 1) causal : tensor<1x8x16xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32> -> tensor<1x8x16xf32>
  return %a : tensor<1x8x16xf32>
}
