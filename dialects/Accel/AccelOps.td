//===- AccelOps.td - accel dialect operations --------------*- tablegen -*-===//

#ifndef ACCEL_OPS_TD
#define ACCEL_OPS_TD

include "Accel/AccelDialect.td"
include "Accel/AccelAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Accel_FloatTensor : RankedTensorOf<[F16, BF16, F32]>;
def Accel_IntTensor : RankedTensorOf<[AnySignlessInteger]>;
def Accel_WeightTensor : RankedTensorOf<[F16, BF16, F32, AnySignlessInteger]>;
def Accel_IndexTensor : RankedTensorOf<[I32, I64]>;

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Accel_LinearOp : Accel_Op<"linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "Activation times weight (plus bias), with its compression";
  let description = [{
    `result[..., n] = sum_k input[..., k] * W[n, k] + bias[n]`, with the weight
    stored `[N, K]`.

    An unquantized weight is a float tensor, `[N, K]`, or `[K, N]` when the
    op has `transposed_weight` (the layout ONNX `MatMul` takes, so an imported
    weight is used where it lies, never copied). A quantized weight is a tensor of
    signless integers as wide as `weight_quant.bits`, with `scales` of shape
    `[N, K / group]` (float) and, for an asymmetric scheme, `zero_points` of
    the same shape (integer): `W[n, k] = scale[n, g] * (q[n, k] - zp[n, g])`
    with `g = k / group`. `act_quant` requests dynamic quantization of the
    input along K before the product (W2A8: 8-bit, per token, symmetric).
    `sparsity` states that the weight satisfies an N:M pattern along K.

    ```mlir
    %y = accel.linear %x, %w scales(%s : tensor<256x2xf16>)
           zero_points(%z : tensor<256x2xi8>)
           {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
            act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
            sparsity = #accel.sparsity<2:4>}
           : tensor<1x16x64xf32>, tensor<256x64xi2> -> tensor<1x16x256xf32>
    ```
  }];
  let arguments = (ins
    Accel_FloatTensor:$input,
    Accel_WeightTensor:$weight,
    Optional<Accel_FloatTensor>:$scales,
    Optional<Accel_IntTensor>:$zero_points,
    Optional<Accel_FloatTensor>:$bias,
    OptionalAttr<Accel_QuantAttr>:$weight_quant,
    OptionalAttr<Accel_QuantAttr>:$act_quant,
    OptionalAttr<Accel_SparsityAttr>:$sparsity,
    UnitAttr:$transposed_weight);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`transposed` $transposed_weight^)?
    (`scales` `(` $scales^ `:` type($scales) `)`)?
    (`zero_points` `(` $zero_points^ `:` type($zero_points) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The output features N and the reduction size K, whatever the layout.
    int64_t getOutFeatures();
    int64_t getInFeatures();
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Accel_AttentionOp : Accel_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "Multi-head / grouped-query scaled dot-product attention";
  let description = [{
    `query` is `[B, T, num_heads * D]`, `key` and `value` are
    `[B, S, num_kv_heads * D]`; the result is `[B, T, num_heads * D]`. Query
    head `h` reads key/value head `h / (num_heads / num_kv_heads)` (grouped-
    query attention; `num_kv_heads == num_heads` is plain multi-head).

    With `past(%pk, %pv)` (each `[B, P, num_kv_heads * D]`) the keys and values
    attended to are the past ones followed by the new ones, and query `t` sits
    at position `P + t` (the KV cache of incremental decoding). `causal` masks
    keys after the query's position. `scale` multiplies QK^T (default
    `1/sqrt(D)`). `lambda` restricts each query to the first `sink` and the
    last `window` keys it may see (Λ-shaped attention, requires `causal`);
    `kv_quant` stores the KV cache as 4- or 8-bit integers, grouped along D
    per token and head.
    `int8_attention` computes the scores and the context on integers
    (int8 query and probabilities times the cache's integers,
    docs/NUMERICS.md §6.5); it needs `kv_quant`. The positioned forms below
    take both attributes with the same meaning (`int8_attention` there also
    excludes `rope(...)`).

    ```mlir
    %o = accel.attention %q, %k, %v heads(8, 2) causal
           {lambda = #accel.lambda<sink = 4, window = 1024>,
            kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>}
           : tensor<1x16x512xf32>, tensor<1x16x128xf32>, tensor<1x16x128xf32>
           -> tensor<1x16x512xf32>
    ```
  }];
  let arguments = (ins
    Accel_FloatTensor:$query,
    Accel_FloatTensor:$key,
    Accel_FloatTensor:$value,
    Optional<Accel_FloatTensor>:$past_key,
    Optional<Accel_FloatTensor>:$past_value,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
    UnitAttr:$causal,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<Accel_LambdaAttr>:$lambda,
    OptionalAttr<Accel_QuantAttr>:$kv_quant,
    UnitAttr:$int8_attention);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`past` `(` $past_key^ `,` $past_value `:` type($past_key) `,`
       type($past_value) `)`)?
    `heads` `(` $num_heads `,` $num_kv_heads `)`
    (`causal` $causal^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->`
    type($result)
  }];
  let extraClassDeclaration = [{
    /// The per-head dimension D.
    int64_t getHeadDim();
    /// The scale applied to QK^T: the attribute, or 1/sqrt(D).
    float getEffectiveScale();
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Λ-shaped attention: the tiled prefill and the bounded decode cache
//===----------------------------------------------------------------------===//

def Accel_KVCacheWriteOp : Accel_Op<"kv_cache_write",
    [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "Write key or value rows into a bounded KV cache";
  let description = [{
    `cache` is `[B, C, E]` (C slots of E = num_kv_heads * D values), `rows`
    is `[B, T, E]`: row `t` is the token at position `position + t`, written
    to slot `slot(position + t)`; the result is the updated cache. Without
    `lambda` the slot of position `j` is `j` (the cache holds `C` tokens).
    With `#accel.lambda<sink = S, window = W>` (then `C == S + W`) the first
    S positions keep their own slots and the window is a ring buffer:
    `slot(j) = j` for `j < S`, else `S + (j - S) mod W`. Rows are written in
    order, so when T exceeds the window the later rows win, and the cache
    ends up holding exactly the keys Λ-attention lets the next token see.

    ```mlir
    %kc1 = accel.kv_cache_write %kc0, %k at %pos
             {lambda = #accel.lambda<sink = 4, window = 1020>}
           : tensor<1x1024x256xf32>, tensor<1x1x256xf32>
    ```
  }];
  let arguments = (ins Accel_FloatTensor:$cache, Accel_FloatTensor:$rows,
                       Index:$position, OptionalAttr<Accel_LambdaAttr>:$lambda);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $cache `,` $rows `at` $position attr-dict `:` type($cache) `,` type($rows)
  }];
  let hasVerifier = 1;
}

class Accel_PositionedAttentionOp<string mnemonic, list<Trait> traits = []>
    : Accel_Op<mnemonic, !listconcat([Pure, AttrSizedOperandSegments],
                                     traits)> {
  code commonExtraClassDeclaration = [{
    /// The per-head dimension D.
    int64_t getHeadDim();
    /// The scale applied to QK^T: the attribute, or 1/sqrt(D).
    float getEffectiveScale();
  }];
}

def Accel_BandAttentionOp : Accel_PositionedAttentionOp<"band_attention"> {
  let summary = "One query tile of causal (Λ-shaped) attention over a key band";
  let description = [{
    The tiled form of `accel.attention ... causal` that `accel-lambda-
    attention` produces for prefill. `query` is `[B, T, H * D]`, its row `t`
    the token at position `query_position + t`. `key`/`value` are a band of
    `[B, L, Hkv * D]` rows, row `j` at position `key_position + j`; the
    optional `sinks(%k, %v)` are `[B, S', Hkv * D]` rows at positions
    `0 .. S' - 1` (a sink position the band also holds is read from the
    band). Query `p` sees the keys at positions `j <= p` (and, with `lambda`,
    only `j < sink` or `j > p - window`), in ascending position, with the
    arithmetic of `accel.attention` (docs/NUMERICS.md §6). The caller makes
    the band and sinks cover every key a query of the tile may see.

    With `rope(style %cos, %sin)` the query and keys are given before RoPE
    and are rotated here by their *rank*, StreamingLLM's positions within
    the cache: the keys a query sees are numbered 0, 1, ... in ascending
    position and each is rotated by the table row of its number; the query
    by the row of the number of keys it sees minus one.

    ```mlir
    %o = accel.band_attention %q at %t0, %kb, %vb at %k0
           sinks(%ks, %vs : tensor<1x4x64xf32>, tensor<1x4x64xf32>)
           heads(8, 2) {lambda = #accel.lambda<sink = 4, window = 64>}
           : tensor<1x32x256xf32>, tensor<1x95x64xf32>, tensor<1x95x64xf32>
           -> tensor<1x32x256xf32>
    ```
  }];
  let arguments = (ins
    Accel_FloatTensor:$query, Index:$query_position,
    Accel_FloatTensor:$key, Accel_FloatTensor:$value, Index:$key_position,
    Optional<Accel_FloatTensor>:$sink_key,
    Optional<Accel_FloatTensor>:$sink_value,
    Optional<Accel_FloatTensor>:$rope_cos,
    Optional<Accel_FloatTensor>:$rope_sin,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<Accel_LambdaAttr>:$lambda,
    OptionalAttr<Accel_QuantAttr>:$kv_quant,
    OptionalAttr<Accel_RopeStyleAttr>:$rope_style,
    UnitAttr:$int8_attention);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $query `at` $query_position `,` $key `,` $value `at` $key_position
    (`sinks` `(` $sink_key^ `,` $sink_value `:` type($sink_key) `,`
       type($sink_value) `)`)?
    (`rope` `(` $rope_style^ $rope_cos `,` $rope_sin `:` type($rope_cos) `,`
       type($rope_sin) `)`)?
    `heads` `(` $num_heads `,` $num_kv_heads `)`
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->`
    type($result)
  }];
  let extraClassDeclaration = commonExtraClassDeclaration;
  let hasVerifier = 1;
}

def Accel_CacheAttentionOp : Accel_PositionedAttentionOp<"cache_attention"> {
  let summary = "One decode step of causal (Λ-shaped) attention over a KV cache";
  let description = [{
    `query` is `[B, 1, H * D]`, the token at position `position`; `key_cache`
    and `value_cache` are `[B, C, Hkv * D]` caches laid out by
    `accel.kv_cache_write` (with the same `lambda`), already holding the
    token's own key and value. The query sees positions `j <= position`
    (with `lambda`, `j < sink` or `j > position - window`), read from
    `slot(j)` in ascending position, with the arithmetic of
    `accel.attention` (docs/NUMERICS.md §6). `rope(style %cos, %sin)` means
    what it means for `accel.band_attention`.

    ```mlir
    %o = accel.cache_attention %q, %kc, %vc at %pos heads(8, 2)
           {lambda = #accel.lambda<sink = 4, window = 1020>}
           : tensor<1x1x256xf32>, tensor<1x1024x64xf32>, tensor<1x1024x64xf32>
           -> tensor<1x1x256xf32>
    ```
  }];
  let arguments = (ins
    Accel_FloatTensor:$query, Accel_FloatTensor:$key_cache,
    Accel_FloatTensor:$value_cache, Index:$position,
    Optional<Accel_FloatTensor>:$rope_cos,
    Optional<Accel_FloatTensor>:$rope_sin,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<Accel_LambdaAttr>:$lambda,
    OptionalAttr<Accel_QuantAttr>:$kv_quant,
    OptionalAttr<Accel_RopeStyleAttr>:$rope_style,
    UnitAttr:$int8_attention);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `at` $position
    (`rope` `(` $rope_style^ $rope_cos `,` $rope_sin `:` type($rope_cos) `,`
       type($rope_sin) `)`)?
    `heads` `(` $num_heads `,` $num_kv_heads `)`
    attr-dict `:` type($query) `,` type($key_cache) `,` type($value_cache)
    `->` type($result)
  }];
  let extraClassDeclaration = commonExtraClassDeclaration;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalisation, rotary embedding, activations
//===----------------------------------------------------------------------===//

def Accel_RMSNormOp : Accel_Op<"rmsnorm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalisation over the innermost dimension";
  let description = [{
    `result = input / sqrt(mean(input^2) + epsilon) * weight`, the mean taken
    over the innermost dimension H; `weight` is `[H]`.
  }];
  let arguments = (ins Accel_FloatTensor:$input, Accel_FloatTensor:$weight,
                       F32Attr:$epsilon);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `epsilon` `(` $epsilon `)` attr-dict `:`
    type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Accel_LayerNormOp : Accel_Op<"layernorm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalisation over the innermost dimension";
  let description = [{
    `result = (input - mean) / sqrt(var + epsilon) * weight + bias`, mean and
    (biased) variance taken over the innermost dimension H; `weight` and the
    optional `bias` are `[H]`.
  }];
  let arguments = (ins Accel_FloatTensor:$input, Accel_FloatTensor:$weight,
                       Optional<Accel_FloatTensor>:$bias, F32Attr:$epsilon);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)?
    `epsilon` `(` $epsilon `)`
    attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Accel_RopeOp : Accel_Op<"rope",
    [Pure, AllTypesMatch<["input", "result"]>,
     AllTypesMatch<["cos", "sin"]>]> {
  let summary = "Rotary position embedding of every head";
  let description = [{
    `input` is `[B, T, num_heads * D]`; `cos` and `sin` are `[T, R]` or
    `[B, T, R]` with `R` even and `R <= D` (partial rotary when `R < D`). In
    each head the first R elements are rotated, the rest pass through:
    `out[j] = x[j] * cos[t, j] + rot(x)[j] * sin[t, j]`, where `rotate_half`
    pairs element `j` with `j + R/2` (`rot(x)[j] = -x[j + R/2]` for
    `j < R/2`, `x[j - R/2]` otherwise) and `interleaved` pairs `2i` with
    `2i + 1` (`rot(x)[2i] = -x[2i+1]`, `rot(x)[2i+1] = x[2i]`).
  }];
  let arguments = (ins Accel_RopeStyleAttr:$style, Accel_FloatTensor:$input,
                       Accel_FloatTensor:$cos, Accel_FloatTensor:$sin,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $style $input `,` $cos `,` $sin `heads` `(` $num_heads `)` attr-dict `:`
    type($input) `,` type($cos)
  }];
  let hasVerifier = 1;
}

def Accel_ActivationOp : Accel_Op<"activation",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Element-wise activation, optionally gated (SwiGLU, GeGLU)";
  let description = [{
    `result = f(input)`, or with `up`, the gated form `f(input) * up` (`silu`
    with `up` is SwiGLU's gate).
  }];
  let arguments = (ins Accel_ActivationKindAttr:$kind,
                       Accel_FloatTensor:$input,
                       Optional<Accel_FloatTensor>:$up);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input (`,` $up^)? attr-dict `:` type($input) (`,` type($up)^)?
  }];
  let hasVerifier = 1;
}

def Accel_EmbeddingOp : Accel_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup";
  let description = [{
    `result[..., :] = table[ids[...], :]`: `table` is `[V, H]`, the result is
    `ids`'s shape followed by H, of the table's element type, or f32 for an
    f16/bf16 table (the row widened exactly, as accel-f32-activations
    leaves an f16 model). Out-of-range ids are undefined behaviour of the
    model, not of the compiler.
  }];
  let arguments = (ins Accel_IndexTensor:$ids, Accel_FloatTensor:$table);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` type($ids) `,` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Accel_BroadcastOp : Accel_Op<"broadcast", [Pure]> {
  let summary = "A tensor repeated to a larger shape (numpy broadcasting)";
  let description = [{
    `result[i_0, ..., i_n] = input[j_0, ..., j_m]` with `input`'s dimensions
    aligned with the result's last ones and `j_k` the result's index in a
    dimension of the same size, 0 in one of size 1 (numpy broadcasting in
    one direction). The result has the input's element type. accel-raise-
    onnx makes it for a constant element-wise operand of more than one
    value that broadcasts to the result's shape, so that the element-wise
    op stays an op on tensors of one shape without materialising the
    repeated tensor; the engine takes a constant row repeated along the
    rows (a bias or a per-feature scale: every dimension 1 but the
    features).

    ```mlir
    %b = accel.broadcast %row : tensor<64xf32> -> tensor<1x40x64xf32>
    %y = arith.addf %x, %b : tensor<1x40x64xf32>
    ```
  }];
  let arguments = (ins Accel_FloatTensor:$input);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Accel_QuantizeOp : Accel_Op<"quantize", [Pure]> {
  let summary = "Dynamic group-wise quantization along the innermost dimension";
  let description = [{
    Computes, for every group of `input` along its innermost dimension K, a
    scale (and for an asymmetric scheme an integer zero point) from the
    group's range, and the integers `q` that represent it (exact rules in
    docs/NUMERICS.md). `scales` and `zero_points` have `input`'s shape with
    the innermost dimension replaced by `K / group`.

    ```mlir
    %q, %s = accel.quantize %x
               {quant = #accel.quant<bits = 8, per_channel, symmetric>}
             : tensor<1x16x64xf32> -> tensor<1x16x64xi8>, tensor<1x16x1xf32>
    ```
  }];
  let arguments = (ins Accel_FloatTensor:$input, Accel_QuantAttr:$quant);
  let results = (outs Accel_IntTensor:$result, Accel_FloatTensor:$scales,
                      Optional<Accel_IntTensor>:$zero_points);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result) `,`
    type($scales) (`,` type($zero_points)^)?
  }];
  let hasVerifier = 1;
}

def Accel_DequantizeOp : Accel_Op<"dequantize", [Pure]> {
  let summary = "Group-wise dequantization along the innermost dimension";
  let description = [{
    `result[..., k] = scales[..., k / group] * (input[..., k] -
    zero_points[..., k / group])`; the zero point is 0 for a symmetric scheme
    (and absent).
  }];
  let arguments = (ins Accel_IntTensor:$input, Accel_FloatTensor:$scales,
                       Optional<Accel_IntTensor>:$zero_points,
                       Accel_QuantAttr:$quant);
  let results = (outs Accel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scales (`,` $zero_points^)? attr-dict `:`
    type($input) `,` type($scales) (`,` type($zero_points)^)? `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // ACCEL_OPS_TD
