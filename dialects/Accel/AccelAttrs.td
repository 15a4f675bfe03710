//===- AccelAttrs.td - compression settings ----------------*- tablegen -*-===//

#ifndef ACCEL_ATTRS_TD
#define ACCEL_ATTRS_TD

include "Accel/AccelDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class Accel_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Accel_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Accel_QuantAttr : Accel_Attr<"Quant", "quant"> {
  let summary = "Integer quantization scheme: bit width, group size, symmetry";
  let description = [{
    Describes how a tensor is (or is to be) quantized along its innermost
    (reduction) dimension.

    * `bits`: the integer width, one of 2, 3, 4 or 8.
    * `group = G`: each run of G consecutive elements of a row shares one
      scale (and zero point); `per_channel` means a whole row shares them
      (one per output channel for weights, one per token for activations).
    * `symmetric`: signed values in [-(2^(b-1)-1), 2^(b-1)-1] times a scale, no
      zero point; `asymmetric`: unsigned values in [0, 2^b - 1] with an integer
      zero point, `real = scale * (q - zero_point)`.

    ```mlir
    #accel.quant<bits = 2, group = 128, asymmetric>
    #accel.quant<bits = 8, per_channel, symmetric>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$groupSize,
                        "bool":$symmetric);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when one scale covers a whole row.
    bool isPerChannel() const { return getGroupSize() == 0; }
    /// The number of elements that share a scale in a row of `rowLength`.
    int64_t getEffectiveGroupSize(int64_t rowLength) const {
      return isPerChannel() ? rowLength : getGroupSize();
    }
    /// The smallest and largest integer a quantized element may hold.
    int64_t getMinValue() const;
    int64_t getMaxValue() const;
  }];
}

def Accel_SparsityAttr : Accel_Attr<"Sparsity", "sparsity"> {
  let summary = "N:M semi-structured sparsity along the reduction dimension";
  let description = [{
    At most `n` of every `m` consecutive weights along K are non-zero
    (`#accel.sparsity<2:4>` is the 2:4 pattern of AccLLM). `m` is 4, 8 or 16
    and `1 <= n <= m`; `n == m` is dense and canonicalizes away.
  }];
  let parameters = (ins "unsigned":$n, "unsigned":$m);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isDense() const { return getN() == getM(); }
  }];
}

def Accel_LambdaAttr : Accel_Attr<"Lambda", "lambda"> {
  let summary = "Λ-shaped attention: sink tokens plus a recent window";
  let description = [{
    Each query attends to the first `sink` tokens of the sequence and to the
    `window` most recent tokens up to and including itself (the Λ-shaped mask
    of LM-Infinite and StreamingLLM's attention sinks), so that a decoder's KV
    cache holds at most `sink + window` entries however long the context.

    ```mlir
    #accel.lambda<sink = 4, window = 1024>
    ```
  }];
  let parameters = (ins "int64_t":$sink, "int64_t":$window);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The most keys any query may see.
    int64_t getSpan() const { return getSink() + getWindow(); }
  }];
}

def Accel_HbmAttr : Accel_Attr<"Hbm", "hbm"> {
  let summary = "Where a weight matrix, table, parameter or KV cache lives in HBM";
  let description = [{
    Set by accel-place-hbm (docs/ENGINE.md §4), read by accel-lower-to-isa.
    The data is a sequence of 64-byte-aligned units (a matrix's weight
    tiles; the pieces of the rows of an embedding table or a KV cache, row
    `r`'s piece `p` being unit `r · channels + p`; a parameter's one unit)
    laid out as a DMA with `nch = channels` reads them (docs/ISA.md §5.1):
    unit `u` is on HBM channel `(channel + u mod channels) mod C`
    (`C = hbm.channels`) at byte `offset + (u div channels) · stride` of
    its region (`weights`, or `kv` for a cache).

    * a matrix (on `accel.linear`): `channels = C`, `stride` = the tile
      stride, `channel` its first channel;
    * a table (on the constant an `accel.embedding` reads) or a cache (on
      the `accel.kv_cache_write` that gives it): `channels` pieces of
      `stride` bytes per row;
    * a parameter (on the constant of a norm weight, a bias or a RoPE
      table): `channels = 1`, `stride = 0`.

    `channel` is below 32 and `channels` a power of two up to 32 (the DMA
    fields' range); `offset` and `stride` are multiples of 64.

    ```mlir
    #accel.hbm<channel = 5, offset = 1024, channels = 32, stride = 384>
    ```
  }];
  let parameters = (ins "int64_t":$channel, "int64_t":$offset,
                        "int64_t":$channels, "int64_t":$stride);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

// Integer-backed enums print as bare keywords in op syntax, as arith.cmpi
// predicates do.
def Accel_ActivationKindAttr : I32EnumAttr<"ActivationKind",
    "element-wise activation function", [
      I32EnumAttrCase<"SiLU", 0, "silu">,
      I32EnumAttrCase<"GeluErf", 1, "gelu_erf">,
      I32EnumAttrCase<"GeluTanh", 2, "gelu_tanh">,
      I32EnumAttrCase<"ReLU", 3, "relu">
    ]> {
  let cppNamespace = "::accel";
}

def Accel_RopeStyleAttr : I32EnumAttr<"RopeStyle",
    "how rotary embedding pairs the elements of a head", [
      I32EnumAttrCase<"RotateHalf", 0, "rotate_half">,
      I32EnumAttrCase<"Interleaved", 1, "interleaved">
    ]> {
  let cppNamespace = "::accel";
}

def Accel_HomesAttr : Accel_Attr<"Homes", "homes"> {
  let summary = "Where an op's values live in the act buffer in one step";
  let description = [{
    Set by accel-allocate-buffers, read by accel-lower-to-isa: the byte
    offsets in the on-chip act buffer of what an op of the decode function
    writes in one step (the decode step of one row, the prefill step of a
    tile of rows; `rows` rows of each value, one after the other):

    * `result`: its result (an `accel.activation` fused into a linear's
      epilogue, and an `accel.rope` rotating in place, keep the home of
      their input);
    * `quantized`, `scales`: the int8 form and scales of a linear's input
      that the linear makes (`vqact`), or its fake-quantized fp32 form;
    * `temp`: a gated activation's activated gate.

    An absent slot is -1 (not printed). Offsets are multiples of 64.

    ```mlir
    #accel.homes<rows = 4, result = 1024, quantized = 0, scales = 512>
    ```
  }];
  let parameters = (ins "int64_t":$rows,
                        DefaultValuedParameter<"int64_t", "-1">:$result,
                        DefaultValuedParameter<"int64_t", "-1">:$quantized,
                        DefaultValuedParameter<"int64_t", "-1">:$scales,
                        DefaultValuedParameter<"int64_t", "-1">:$temp);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Accel_EpilogueAttr : Accel_Attr<"Epilogue", "epilogue"> {
  let summary = "An activation the matrix unit applies to a linear's outputs";
  let description = [{
    Set by accel-fuse on an `accel.linear` (`accel.epilogue`) whose one user
    is an `accel.activation` of this kind reading it as its input (alone or
    as the gate of a gated one): the lowering applies the activation in the
    `mv`/`mm` epilogue (docs/ISA.md §5.3) instead of a vector instruction.

    ```mlir
    #accel.epilogue<silu>
    ```
  }];
  let parameters = (ins EnumParameter<Accel_ActivationKindAttr>:$kind);
  let assemblyFormat = "`<` $kind `>`";
}

#endif // ACCEL_ATTRS_TD
