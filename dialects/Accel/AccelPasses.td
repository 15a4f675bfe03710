//===- AccelPasses.td - passes over the accel dialect ------*- tablegen -*-===//

#ifndef ACCEL_PASSES_TD
#define ACCEL_PASSES_TD

include "mlir/Pass/PassBase.td"

def CompressionReport : Pass<"accel-compression-report", "mlir::ModuleOp"> {
  let summary = "Report the weight and KV-cache footprint of every layer";
  let description = [{
    Walks every `accel.linear`, `accel.embedding` and `accel.attention` and
    reports, per op (named by its location, the ONNX node name after import),
    its weight shape, compression settings and storage: the bytes of the
    weight as imported, the bytes after quantization and N:M compression
    (values, sparse index metadata, scales and zero points, per
    docs/ARCHITECTURE.md "Footprint model"), and for attention the KV-cache
    bytes per token and the cache bound that a Λ window imposes. A total line
    closes the report. The IR is not changed.

    ```
    accel-opt --accel-compression-report="format=json output=report.json" m.mlir
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"text\"",
           "Report format: `text` (a table) or `json`">,
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the report (`-` is stdout)">,
  ];
}

def RaiseONNX : Pass<"accel-raise-onnx", "mlir::func::FuncOp"> {
  let summary = "Raise imported ONNX decoder subgraphs to accel ops";
  let description = [{
    Pattern-matches the subgraphs a decoder LLM is exported as (whatever the
    exporter named them) and replaces them with accel ops:

    * MatMul / Gemm by a constant weight, with a constant bias added after,
      to `accel.linear` (a `[K, N]` weight is used in place, `transposed`); a
      tied LM head (MatMul by the transposed embedding table) likewise; a
      fused QKV projection becomes one linear whose result is then split,
      and (after attention is raised) one linear per part;
    * Gather from a constant table to `accel.embedding`;
    * RMSNorm (Pow/Mul, ReduceMean, Add, Sqrt, Div or Reciprocal forms) to
      `accel.rmsnorm`; LayerNormalization and its decomposition to
      `accel.layernorm`;
    * SiLU, SwiGLU, GELU (erf and tanh forms) and ReLU to `accel.activation`;
    * what is left of Add, Sub, Mul and Div on float tensors of one static
      shape to `arith`, a constant operand of one value (a scalar, or a
      splat that broadcasts to the result) taken as that splat of the
      result's shape, any other constant that broadcasts to the result
      (numpy rules: a bias row `[F]`, `[1, F]`, a column) or is a row of
      the result's own shape `[1, .., 1, F]` (a graph of one row) as an
      `accel.broadcast` of it to that shape (the repeated tensor is never
      materialised); a constant is dense or a `dense_resource` blob (the
      importer's form of an initializer of more than 1024 elements, a
      hidden size's row), a blob of one value a splat;
    * rotary embeddings (rotate-half and interleaved-pair forms) to
      `accel.rope`, and attention (scaled QK^T, causal mask by Add, Where or
      Trilu, Softmax, times V, head split and merge, grouped-query heads
      repeated by Expand/Reshape) to `accel.attention`.

    Shape plumbing whose inputs are constants or static shapes is folded
    first, so that masks and reshapes are seen as the constants they are.
    Last, Add, Sub, Mul and Div of two float tensors of one static type (the
    residual additions) become `arith` ops.
    What is not raised stays as it was; with `report-unraised`, every
    remaining MatMul, Gemm and Softmax (work the engine would not see) gets a
    warning at its ONNX node.
  }];
  let dependentDialects = ["accel::AccelDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
  let options = [
    Option<"reportUnraised", "report-unraised", "bool", /*default=*/"true",
           "Warn about MatMul, Gemm and Softmax nodes left unraised">,
  ];
}

def F32Activations : Pass<"accel-f32-activations", "mlir::ModuleOp"> {
  let summary = "Give an f16 or bf16 model the engine's fp32 activations";
  let description = [{
    The engine computes activations in fp32 only (docs/NUMERICS.md), so a
    model exported in half precision (torch's `.half()`: weights and
    activations f16) has its activations widened, exactly, to f32: every
    f16/bf16 tensor value (function arguments and results, op results)
    becomes f32, an `arith.extf`/`arith.truncf` between the two becomes its
    operand, and a small constant used as an activation (a norm weight, a
    mask, a scalar) becomes an f32 constant of the same values.

    Weights keep their type and storage: a constant used only as a linear's
    weight (or its f16 scales), an embedding's table or a RoPE table stays
    f16 (a mmapped blob
    of the external data is not copied). `accel-prune` and `accel-quantize`
    read it converting as they read; an unquantized linear weight is packed
    as f16 (weight-image format 3, which the matrix unit reads); the
    embedding gives the table row widened to fp32; accel-lambda-attention
    extends f16 RoPE tables into fp32 ones.

    A model without f16 or bf16 tensors is left unchanged.
  }];
}

def Prune : Pass<"accel-prune", "mlir::func::FuncOp"> {
  let summary = "N:M semi-structured pruning of linear weights along K";
  let description = [{
    Prunes the constant float weight of every selected `accel.linear` to N:M
    sparsity along K (docs/NUMERICS.md §3): in each aligned group of M
    consecutive weights of a row, the N with the highest score are kept, the
    others set to 0, ties going to the lower k. The op gets
    `sparsity = #accel.sparsity<N:M>`; the weight keeps its layout (`[N, K]`,
    or `[K, N]` with `transposed`) and becomes a new constant (the original
    blob is never written).

    Scores: `criterion=magnitude` uses `|w|`; `criterion=wanda` uses
    `|w| * ||X_k||_2`, the L2 norm of input channel k over every token of the
    `calibration` file (one whitespace-separated token-id sequence per line;
    the function, with each selected linear's input returned as an extra
    result, is run on the fp32 reference executor). A `masks` ONNX file
    (binary `.onnx`, or ONNX's textual syntax `.onnxtxt`) overrides the
    scores: its bool/uint8 initializers, named like the weight
    initializers and shaped like the stored weights, give 1 = keep; a mask
    that keeps more than N of some M is an error.

    A linear is selected when its location (the ONNX node name) matches the
    `layers` regex (all, if empty) and does not match `exclude` (`lm_head`
    by default; empty excludes nothing). `report` writes one line per pruned
    layer: name, weight shape, kept fraction, criterion.

    ```
    accel-opt --pass-pipeline='builtin.module(func.func(accel-prune{n=2 m=4}))'
    ```
  }];
  let dependentDialects = ["accel::AccelDialect", "mlir::arith::ArithDialect",
                           "accel::onnxir::ONNXDialect"];
  let options = [
    Option<"n", "n", "unsigned", /*default=*/"2", "Weights kept per group (N)">,
    Option<"m", "m", "unsigned", /*default=*/"4",
           "Group size along K (M): 4, 8 or 16">,
    Option<"criterion", "criterion", "std::string", /*default=*/"\"magnitude\"",
           "Score: `magnitude` (|w|) or `wanda` (|w| * ||X_k||, needs "
           "`calibration`)">,
    Option<"layers", "layers", "std::string", /*default=*/"\"\"",
           "Regex over op locations (ONNX node names) selecting the linears "
           "to prune (empty: all)">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"lm_head\"",
           "Regex over op locations of linears left dense (empty: none)">,
    Option<"masks", "masks", "std::string", /*default=*/"\"\"",
           "ONNX file of bool/uint8 keep masks named like the weight "
           "initializers">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Token-id sequences, one per line, for `wanda`">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write a per-layer report to this file (`-`: stdout)">,
  ];
}

def Quantize : Pass<"accel-quantize", "mlir::func::FuncOp"> {
  let summary = "Group-wise weight, per-token activation and KV quantization";
  let description = [{
    Quantizes the constant float weight of every selected `accel.linear`
    into an integer weight `tensor<NxKxiB>` (a `[K, N]` weight is transposed
    to `[N, K]`), f16 `scales` `[N, K/G]` and, when asymmetric, `zero_points`
    `[N, K/G]` of the same width B, with `weight_quant`; sets `act_quant`
    (8-bit, per token, symmetric) on those linears and `kv_quant` on every
    selected `accel.attention`.

    `scheme` gives the defaults: `w2a8kv4`, `w4a8kv4`, `w8a8kv8` (weight
    bits, then KV bits; activations 8-bit) or `none` (nothing, unless
    `weight-bits` asks for weight-only quantization). `weight-bits`, `group`
    (0 = per channel) and `symmetric` override the weight scheme; a layer
    whose K the group does not divide gets a warning and stays float.
    `kv-group` sets the KV group (default: the head dim, i.e. one scale per
    token and head; 0 = per channel); KV is asymmetric.

    `method=rtn` is docs/NUMERICS.md §2 exactly. `method=calibrated` is
    GPTQ (Frantar et al., 2023) with the group statistics of §2: the
    Hessian `H = 2 X^T X` of each linear's inputs over the `calibration`
    tokens (collected by running the function on the fp32 reference
    executor, with the weights as they are, e.g. already pruned) is damped
    by 1% of its mean diagonal; columns are quantized in ascending k, each
    group's scale and zero point computed by the §2 formulas from the
    error-compensated weights when the group is entered, and every column's
    rounding error is fed back into the columns not yet quantized through
    the Cholesky factor of `H^-1`. Pruned weights (exact zeros of an N:M
    sparse linear) stay zero: they are quantized to the zero point and their
    compensation is fed forward like any other error.

    Pruned weights always dequantize to exactly 0 (`q = z`, or 0 when
    symmetric). Signless `iB` holds the bit pattern, read unsigned for
    asymmetric weights and zero points (so a printed `-1 : i2` is the zero
    point 3) and signed for symmetric weights. Tensors of up to 1024
    elements are dense attributes (one element per byte below 8 bits, the
    raw layout of MLIR's DenseElementsAttr for `iB`); larger ones become
    DenseResourceElementsAttr blobs, which hold elements of fewer than 8 bits
    packed (`include/accel/Support/IntElements.h`).

    `prune-n` / `prune-m` (both 0 by default) prune each weight this pass
    quantizes N:M by magnitude as it reads it, before quantizing it: the IR
    `accel-prune{n=N m=M}` (magnitude, its `layers`, `exclude` =
    `prune-exclude`) would give just before this pass, without writing the
    pruned float weight. Linears this pass leaves float are not pruned: run
    `accel-prune` after it for them (accelc's fast path does).

    `layers` / `exclude` select ops by location as in `accel-prune` (the
    LM head is excluded by default). With `head-bits` (2, 3, 4 or 8), the
    linears `head` names (`lm_head` by default) are quantized at those
    weight bits even when `exclude` matches them, with the group, symmetry
    and activation quantization of the others: accelc's `--quant-head`.
  }];
  let dependentDialects = ["accel::AccelDialect", "mlir::arith::ArithDialect"];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"w2a8kv4\"",
           "w2a8kv4, w4a8kv4, w8a8kv8 or none">,
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"0",
           "Weight bits (2, 3, 4, 8; 0: the scheme's)">,
    Option<"group", "group", "int64_t", /*default=*/"128",
           "Weight group size along K (0: per channel)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "Symmetric weight quantization (no zero points)">,
    Option<"kvGroup", "kv-group", "int64_t", /*default=*/"-1",
           "KV-cache group size along the head dim (-1: the head dim, 0: per "
           "channel)">,
    Option<"layers", "layers", "std::string", /*default=*/"\"\"",
           "Regex over op locations selecting the ops to quantize (empty: "
           "all)">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"lm_head\"",
           "Regex over op locations of ops left float (empty: none)">,
    Option<"head", "head", "std::string", /*default=*/"\"lm_head\"",
           "Regex over op locations naming the LM head">,
    Option<"headBits", "head-bits", "unsigned", /*default=*/"0",
           "Weight bits of the LM head (2, 3, 4, 8; 0: as `exclude` says)">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "`rtn` (round to nearest, NUMERICS §2) or `calibrated` (GPTQ, needs "
           "`calibration`)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Token-id sequences, one per line, for `calibrated`">,
    Option<"pruneN", "prune-n", "unsigned", /*default=*/"0",
           "Prune the weights quantized N:M by magnitude first: N (0: none)">,
    Option<"pruneM", "prune-m", "unsigned", /*default=*/"0",
           "M of the N:M pruning (4, 8 or 16)">,
    Option<"pruneExclude", "prune-exclude", "std::string",
           /*default=*/"\"lm_head\"",
           "Regex over op locations of linears not pruned (as accel-prune's "
           "`exclude`)">,
  ];
}

def Pack : Pass<"accel-pack", "mlir::ModuleOp"> {
  let summary = "Lay linear weights out bit-exactly in the engine's weight image";
  let description = [{
    Packs the weight of every `accel.linear` of the module (in walk order) —
    kept values, N:M pattern codes, f16 scales and zero points — into the
    weight image the engine streams from HBM, laid out as docs/FORMATS.md
    defines: a 64-byte header, a 64-byte directory entry per linear, then per
    linear a run of 64-byte-aligned tiles of `rows-per-tile` output rows,
    each holding its rows' scales, zero points, pattern codes and values,
    bit-packed LSB-first. Quantized weights are packed at their width;
    float weights (e.g. the LM head that `accel-quantize` leaves) are packed
    as their f32, f16 or bf16 bits, in `[N, K]` order even when `transposed`.

    `output=FILE` writes the image (atomically; nothing is written if any
    linear cannot be packed). Every packed linear gets a discardable
    `accel.image` dictionary: its `index` in the directory, the `offset` and
    `bytes` of its region, `tiles`, `rows_per_tile`, `tile_bytes` (the stride
    of full tiles) and the offsets, within a tile, of its `scales`,
    `zero_points`, `codes` and `values`; the module gets
    `accel.weight_image = {bytes, crc32, linears, version}`.

    A linear that cannot be packed is an error: a weight, scale or zero point
    that is not a constant or not static, scales that are not f16, zero
    points not as wide as the weight, a symmetric value of -2^(B-1), a sparse
    group with more than N weights other than its zero point.

    ```
    accel-opt --accel-pack="output=model.wimg" m.mlir
    ```
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"\"",
           "Write the weight image to this file (empty: only annotate the IR)">,
    Option<"rowsPerTile", "rows-per-tile", "int64_t", /*default=*/"16",
           "Output rows per tile, the engine's row block (0: one tile per "
           "matrix)">,
  ];
}

def LambdaAttention : Pass<"accel-lambda-attention", "mlir::ModuleOp"> {
  let summary = "Λ-shaped attention: tile the prefill, derive the decode step "
                "with a bounded KV cache";
  let description = [{
    Works on the module's main function (`main_graph`, else its only
    function), a whole-sequence decoder as torch.onnx exports it (no past
    keys and values), raised to accel ops:

    1. With `window` > 0, every causal `accel.attention` without a Λ setting
       gets `#accel.lambda<sink = S, window = W>` from `sink` and `window`.
    2. **Prefill, tiled.** Every causal attention with Λ becomes an
       `scf.for` over tiles of `tile` query rows (plus a tail tile), each an
       `accel.band_attention` of the tile's queries over the key band
       `[t0 - W + 1, t0 + tile)` (clamped into the sequence) and the S sink
       rows, so a tile reads at most `S + tile + W - 1` keys however long
       the prompt.
    3. **Decode** (`decode`, default on). A second function
       `@<main>_decode` runs one token: arguments `input_ids` `[B, 1]`,
       `position` (`tensor<i64>`, the token's absolute position) and, per
       attention layer `i`, `key_cache.i` and `value_cache.i` `[B, C, E]`;
       results `logits` (or the main function's results, at one token) and
       the updated caches, under the same names. Each attention becomes
       `accel.kv_cache_write` of the token's key and value and an
       `accel.cache_attention`. With Λ the cache has `C = S + W` slots, a
       ring buffer for the window, so memory and time per token stay
       constant however long the context grows; without Λ it has
       `max-context` slots. The main function also returns the caches its
       prompt leaves (`key_cache.i`, `value_cache.i`), so decoding continues
       where prefill stopped. A constant of one value over the sequence
       (a splat whose type has the sequence dimension) takes the step's one
       row, as the ops that read it do, unless it is a weight (a linear's
       weight, scales, zero points or bias, an embedding's table), which
       keeps its shape; any other constant is cloned as it is.
    4. **RoPE positions** (`rope-positions`): `absolute` rotates every
       token by its absolute position, once, before its key is cached; the
       decode step reads the table row of `position` from the traced table
       extended to `max-context` rows (the pass checks that the traced table
       is cos/sin of position × frequency and extends it; a model whose
       table is not fails with an error at the rope). `cache` follows
       StreamingLLM: keys are cached before RoPE and every attention rotates
       the keys it sees by their rank in the cache and the query by the last
       rank (`rope(...)` on the band and cache ops), so positions never
       exceed `S + W - 1` and the context is unbounded; it needs Λ. The
       engine rotates inside `vqk` (docs/ISA.md §5.7, `rope=1`) by the
       tables' first `S + W` rows, held on chip (accel-lower-to-isa).
    5. **Position bound.** When something bounds the positions the decode
       function can take (the absolute RoPE table's rows, the cache slots
       without Λ, a learned position table's rows), the function gets
       `accel.max_positions = N`: positions `0 .. N-1` are valid. The
       package metadata carries it (`model.max_positions`, FORMATS §5.2)
       and the simulator refuses a call past it.

    Errors name the op's location: a dynamic sequence length (fix it with
    `--dim`), attention that already has `past` operands, a non-causal
    attention when deriving decode, an op left unraised on the decode path,
    a RoPE table that cannot be extended.

    ```
    accel-opt --accel-lambda-attention="sink=4 window=1020 tile=64" m.mlir
    ```
  }];
  let options = [
    Option<"sink", "sink", "int64_t", /*default=*/"4",
           "Sink tokens S (with `window`)">,
    Option<"window", "window", "int64_t", /*default=*/"0",
           "Recent-token window W given to causal attention without a Λ "
           "setting (0: keep the model's settings)">,
    Option<"tile", "tile", "int64_t", /*default=*/"64",
           "Query rows per prefill tile">,
    Option<"ropePositions", "rope-positions", "std::string",
           /*default=*/"\"absolute\"",
           "RoPE positions: `absolute` or `cache` (ranks within the Λ cache, "
           "as StreamingLLM)">,
    Option<"decode", "decode", "bool", /*default=*/"true",
           "Derive the one-token decode function and return the caches">,
    Option<"maxContext", "max-context", "int64_t", /*default=*/"4096",
           "Cache slots without Λ, and positions the absolute RoPE table "
           "covers (at most 2^20)">,
  ];
  let dependentDialects = ["accel::AccelDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def Int8Attention : Pass<"accel-int8-attention", "mlir::ModuleOp"> {
  let summary = "Integer attention numerics (int8 query and probabilities)";
  let description = [{
    Gives every `accel.attention`, `accel.band_attention` and
    `accel.cache_attention` the unit attribute `int8_attention`: scores and
    context are then computed on integers, the query and the
    scale-weighted probabilities quantized to int8 and multiplied by the
    cache's 4- or 8-bit integers exactly in int32 (docs/NUMERICS.md §6.5),
    which the engine runs on its matrix unit. Every attention op needs a
    quantized KV cache (`kv_quant`), absolute RoPE positions (not
    `rope(...)`) and at most 65536 keys a query can see (its key rows: the
    bound of §6.5's int32 sums); the pass fails naming the first op that
    has not. Run it
    after `accel-quantize` and `accel-lambda-attention` (`accelc
    --attention=int8`).

    ```
    accel-opt --accel-int8-attention m.mlir
    ```
  }];
}

def Fuse : Pass<"accel-fuse", "mlir::ModuleOp"> {
  let summary = "Decide which ops of the decode step the lowering fuses";
  let description = [{
    Marks, in the decode function (`accel.entry = "decode"`; without one,
    the forward function, `accel.entry = "forward"`), the fusions
    accel-lower-to-isa then makes, each as an attribute the dialect
    verifies (markings from an earlier run are replaced):

    * **linear + activation** (`epilogue`): a linear whose one user is an
      `accel.activation` reading it as its input (alone, or the gate of a
      gated one) gets `accel.epilogue = #accel.epilogue<kind>`: the matrix
      unit applies the activation to its outputs (`mv`/`mm` `ep=`), so the
      pre-activation values never go through a vector instruction;
    * **norm + quantize** (`quantize`): a value that linears with integer
      weights read with one activation quantization (the q, k and v
      projections of a norm's output; gate and up) gets, on the op that
      defines it, `accel.quantized = #accel.quant<...>`: its int8 form and
      scales are made once (`vqact`, by the first linear) and kept for the
      others until the value dies; without it, each linear quantizes the
      value for itself into a temporary;
    * **RoPE in place** (`rope`, off by default): an `accel.rope` whose
      input only it reads (the q and k projections) gets `accel.in_place`:
      `vrope` rotates the rows where the linear left them (docs/ISA.md §5.6
      allows it), the rotated rows need no home of their own. The engine
      has no RoPE epilogue and `vkvq` reads the rows from the act buffer, so
      this is the fusion it allows: it spares the act buffer a second copy
      of the K and Q rows but no traffic, and it lowers no step's peak (the
      FFN sets it), so it is off unless asked for.

    ```
    accel-opt --accel-fuse='rope=true' model.mlir
    ```
  }];
  let options = [
    Option<"epilogue", "epilogue", "bool", /*default=*/"true",
           "Fuse an activation into the producing linear's epilogue">,
    Option<"quantize", "quantize", "bool", /*default=*/"true",
           "Quantize a value the linears read once, shared by them">,
    Option<"rope", "rope", "bool", /*default=*/"false",
           "Rotate the K and Q rows in place">,
  ];
}

def Tile : Pass<"accel-tile", "mlir::ModuleOp"> {
  let summary = "Choose the step's tile sizes from the config's buffers";
  let description = [{
    Decides, for the decode function (or the forward function, which has
    no output tail: it returns every row) and the hardware config's on-chip
    buffers, the tile sizes accel-place-hbm, accel-allocate-buffers and
    accel-lower-to-isa read, and records them (replacing an earlier run's):

    * the **prefill tile** (`accel.prefill_tile` on the module, 1..255): the
      most prompt rows the prefill step takes at a time (`prefill-tile`);
      the KV records a step of that many rows reads from each layer's cache
      (the sinks and the window before it, or every slot without Λ, plus
      the tile's own) must fit half the kv buffer at their unpadded size,
      or, where a cache (with Λ, its window) that does not fit streams
      through it, the tile's own records, one more and with Λ the sinks;
    * the **output tail** (`accel.last_row` on its ops; `output-tail`): the
      row-wise ops only the logits need (the final norm, the LM head), which
      the prompt's last tile runs for its last row alone (its other tiles
      skip them), so that their values need one row of the act buffer, not
      a tile's; the tail reads one activation from before it;
    * the **weight load group** (`accel.load_tiles` on each `accel.linear`):
      how many of accel-pack's weight tiles one `load` brings into the
      weight buffer (a power of two: up to 4 tiles from each of the
      `hbm.channels` channels, halved while the group exceeds a third of
      the buffer, or a slot with `weight-slots`; `load-tiles` forces it). A
      tile larger than that, or a forced group that does not fit, is an
      error naming the linear;
    * where each group goes in the weight buffer (`accel.weight_offsets` on
      each `accel.linear`, one byte offset per group): a **ring by bytes**,
      the step's groups in program order back to back, a group that would
      pass the buffer's end at its start, so that the load unit runs as
      far ahead of the matrix unit as the buffer holds (the next weights
      load during a layer's attention; accel-insert-tokens makes a load
      wait for the `mv`/`mm` that last read the bytes it overwrites).
      `weight-slots=N` (2..8) makes it a ring of N equal slots (each
      64-byte aligned) that the groups take in turn.

    ```
    accel-opt --accel-tile='prefill-tile=8 config=configs/u280.json' model.mlir
    ```
  }];
  let options = [
    Option<"configPath", "config", "std::string", /*default=*/"\"\"",
           "Hardware config JSON (empty: the bundled configs/u280.json)">,
    Option<"prefillTile", "prefill-tile", "int64_t", /*default=*/"16",
           "Prompt tokens the prefill step takes at a time (matrix-matrix "
           "mode)">,
    Option<"loadTiles", "load-tiles", "int64_t", /*default=*/"0",
           "Weight tiles per load, a power of two (0: the most that fit)">,
    Option<"weightSlotsOption", "weight-slots", "int64_t", /*default=*/"0",
           "The weight buffer as a ring of 2..8 equal slots (0: a ring by "
           "bytes)">,
    Option<"outputTail", "output-tail", "bool", /*default=*/"true",
           "Run the ops only the logits need on the prompt's last row alone">,
  ];
}

def AllocateBuffers : Pass<"accel-allocate-buffers", "mlir::ModuleOp"> {
  let summary = "Give the step's values their homes in the act buffer, "
                "and its parameters theirs in the prm buffer";
  let description = [{
    Decides where each value of the decode function lives on chip, in each
    of the two steps accel-lower-to-isa generates (the decode step of one
    row; the prefill step of `accel.prefill_tile` rows, from accel-tile),
    or of the forward function in its one step (`forward`, of
    `accel.prefill_tile` rows; its fp32 inputs, loaded from the io region,
    get their homes first, recorded on the arguments as `accel.act =
    {forward = #accel.homes<...>}`),
    and records it on the op that defines it as `accel.act = {decode =
    #accel.homes<...>, prefill = #accel.homes<...>}` (AccelAttrs.td; one row
    for the output tail's values, `accel.last_row`); the
    module gets `accel.act_bytes = {decode, prefill}`, the most of the act
    buffer each step uses. Walking the ops in order, a value's rows are
    given the first free range of the act buffer that holds them (64-byte
    aligned) and freed after its last use (a cache write's rows after the
    attention reading the cache); a linear's input quantization is a
    temporary, or lives as long as its value with accel-fuse's
    `accel.quantized`; an activation in a linear's epilogue and a RoPE in
    place keep their input's home. The parameters an op loads (norm
    weights, biases, an element-wise op's constant row, the cos and sin
    rows of the step's positions) get
    their places in the prm buffer, a ring in op order (they are loaded
    where they are used), as `accel.prm = {decode = array<i64: ...>,
    prefill = ...}`, one offset per parameter in the order the op loads
    them. Values or parameters that do not fit are an error naming the op.

    Each `accel.cache_attention` gets its on-chip layout in each step,
    `accel.attention_layout = {decode = {...}, prefill = {...}}`, integer
    fields (AttentionLayout.h): the step's `tile` and the KV `record` stride
    it was planned for (accel-place-hbm's, padded, when it ran first);
    `keys` and `values`, where the key and value records start in the kv
    buffer; `chunk`, 0 when the records of the earlier positions a step's
    queries see fit (they are loaded once, the step's own after them), else
    the room each query streams them (with Λ its window's) through, records
    0 .. `chunk` - 1 (the own records at record `chunk`, with Λ at `chunk`
    + S after the S sinks, loaded once for the step; an error when not even
    one fits beside them; with rope-positions=cache's RoPE tables by rank,
    at most as many as leave room for their rows beside the scores of as
    many heads a pass as fit): the fp32 attention takes
    `chunk` records a pass, the integer one (`chunk` >= 5) two half-chunks
    of (`chunk` - 3) / 2 records a pass, 3 records apart, loading one while
    the other is used (a smaller chunk whole, one a pass); `rows`, the heads one attention instruction (or one
    streamed pass) takes; in the scratch buffer's upper half `scores` and
    `probs` (the fp32 attention's rows of scores, the probabilities in
    place; the integer attention's bank 0), the integer attention's
    `queries`, `query_scales`, `weights`, `weight_scales` and `bank` (bank
    1 after bank 0), the attention's `end`, and `tables`, where
    `rope-positions=cache`'s RoPE tables by rank go at the buffer's top;
    `segment`, 0 when those tables fit whole above `end`, else the ranks of
    the segments a query's keys are scored in (a multiple of the HBM
    channels: as many heads as fit a pass, `rows`, with a segment of one
    rank per channel, then as many ranks as fit beside them): the tables'
    area holds `segment` + 1 rows of each (a segment's and the query's),
    and a segment's scores go after the pass's rows of scores, below `end`
    (an error if not even a segment of one rank per channel fits); with a
    streamed cache it holds max(S, `chunk`, tile) + C rows of each (a run
    of keys' ranks from their multiple of the channels, and the query's).
    A prefill step of the fp32 attention whose queries score their sinks
    apart from their window (Λ with sinks, a tile of several rows; the
    whole tables, not in segments) with `rows` > 1 has a second area of
    `rows` x keysSeen fp32 scores right after the scores (segmentScoresAt),
    inside `end`, where each run's multi-row vqk stages its scores before a
    vcopy moves them into their rows; `rows` is then as many heads as fit
    with both.
    Scores that do not fit are an error naming the op and the sizes.

    ```
    accel-opt --accel-allocate-buffers='config=configs/u280.json' model.mlir
    ```
  }];
  let options = [
    Option<"configPath", "config", "std::string", /*default=*/"\"\"",
           "Hardware config JSON (empty: the bundled configs/u280.json)">,
  ];
}

def PlaceHBM : Pass<"accel-place-hbm", "mlir::ModuleOp"> {
  let summary = "Place the decode step's weights, tables, parameters and KV "
                "cache in HBM";
  let description = [{
    Decides where the data of the decode function (`accel.entry =
    "decode"`, whose linears accel-pack placed in the weight image) lives
    in the engine's HBM (docs/ENGINE.md §4), over the `C = hbm.channels`
    channels of the hardware config (a power of two), and records it as
    `#accel.hbm` attributes (AccelAttrs.td), which accel-lower-to-isa
    reads. Walking the function's ops in order, a first channel moves on
    from one piece of data to the next (from `first-channel`):

    * each linear's weight tiles rotate over the `C` channels from its first
      channel (on the `accel.linear`; the weights region is reserved in
      every channel, `ceil(tiles / C)` tile strides);
    * an embedding table (on its constant) is striped: each row (padded to
      64 bytes) in the most pieces, up to `C`, of whole 64-byte units, piece
      `i` on channel `c₀ + i`;
    * each layer's K and V cache (on the `accel.kv_cache_write` giving it)
      is striped in the kv region the same way, its record padded to the
      power-of-two multiple of 64-byte units that loads a run of records
      fastest while the records a step of `accel.prefill_tile` rows
      (accel-tile) reads fit the kv buffer (a cache streamed through it:
      the step's own records, one more and with Λ the sinks); records of
      `n < C` pieces share
      a row of channels, up to 4 of them (record `r` on channels `c₀ + (r
      mod s) · n + i` at `(r div s)` pieces), so that a run of records
      loads from `s · n` channels at once; the caches' first channels
      move on from the first cache's by the `s · n` channels each takes,
      apart from the weights (which still skip them), so that layers whose
      caches take every channel start them on the same channels (their
      attention code then differs only by an offset, which
      accel-lower-to-isa can share);
    * norm weights and shifts and biases (on their constants), and the
      constant rows element-wise ops repeat along their rows (the
      `accel.broadcast` of a constant `[.., 1, F]`), which a step loads
      whole, are striped as an embedding row is;
    * RoPE tables (on their constants) go whole to one channel each, except
      the tables a cache op rotates by rank
      (`rope-positions=cache`): their rows rotate over the `C` channels as
      a linear's tiles do, so that one load brings a run of ranks.

    The module gets `accel.hbm_regions = {weights, kv, prefill_tile,
    kv_records_per_row}`: the bytes per channel of the two regions, the
    tile the KV records were padded for and the most records a row of
    channels holds. It is an error when the two regions need more bytes per
    channel than the config's `hbm.channel_bytes` (the package could not be
    loaded). Placements from an earlier run are replaced; without a decode
    function the forward function is placed (its linears, tables and
    parameters); a module with neither is left alone.

    ```
    accel-opt --accel-place-hbm='config=configs/u280.json' model.mlir
    ```
  }];
  let options = [
    Option<"configPath", "config", "std::string", /*default=*/"\"\"",
           "Hardware config JSON (empty: the bundled configs/u280.json)">,
    Option<"firstChannel", "first-channel", "int64_t", /*default=*/"0",
           "The channel the first piece of data starts on">,
  ];
}

def LowerToISA : Pass<"accel-lower-to-isa", "mlir::ModuleOp"> {
  let summary = "Lower a model's decode step (or a forward graph) to the "
                "engine's instructions";
  let description = [{
    Turns the one-token decode function (`accel.entry = "decode"`, made by
    accel-lambda-attention from a compressed model whose linears accel-pack
    placed in the weight image) into an `accelisa.program @model` with the
    entry point `decode`, for the ABI of docs/ISA.md §7: the token id is read
    from the io region, the position is `r6`, the KV cache lives in the kv
    region, the logits and the greedy token are written back to io. The
    model becomes a *step* over `rows` tokens (a register) at positions
    `r6`, `r6 + 1`, …, generated twice as a subroutine (`jal`/`jr`): the
    decode step of one row (`mv`, matrix-vector mode), which the `decode`
    entry runs once, and the prefill step of up to `accel.prefill_tile`
    rows (`mm`, matrix-matrix mode: each weight tile loaded once for the whole
    tile of tokens), which the `prefill` entry runs over the `r5` prompt
    tokens. Every op of docs/NUMERICS.md is row-wise, so both compute what a
    whole-prompt prefill computes, bit for bit. One program serves every
    prompt length and position.

    Without a decode function, the forward function (`accel.entry =
    "forward"`: a graph without attention, marked by accelc) becomes the
    entry point `forward` (docs/ISA.md §7): the step of up to
    `accel.prefill_tile` rows, run over the `r5` input rows, loads the
    tile's rows of each fp32 input from the io region into its home (token
    ids are read by the embedding, as a prompt's), runs the ops as the
    prefill step does and stores the tile's rows of each output to io; the
    program's `accel.io` names `max_rows` (the graph's rows: the product of
    its tensors' leading dimensions) and each input's and output's slot. An
    error names an op the engine cannot run row by row (an unraised ONNX
    node, attention, a reshape, an element-wise op with two constants, a
    constant of several rows of the result's shape or a broadcast
    operand that is not a constant row of the features, rows that differ
    from the inputs'), an input that is
    not fp32 rows or token ids, a dynamic shape, rows whose bytes the
    tile does not keep 64-byte aligned in io, an input or output whose rows
    do not fit one HBM channel, and an io region larger than a channel.

    * **Placement** (docs/ENGINE.md §4): as accel-place-hbm recorded it in
      `#accel.hbm` attributes (run it first; an error names the first op
      without one or whose placement does not fit the config's channels).
      The parameters and the table pieces are copied into the parameter
      blob in the order the step reads them. The program op carries what the host needs
      (docs/FORMATS.md §5.2: `accel.hbm`, `accel.io`, `accel.placement`) and
      the parameter blob (`accel.params`), which the package writer turns
      into metadata and the params section.
    * **Decisions** read, not made: the tiles of accel-tile
      (`accel.prefill_tile`, each linear's `accel.load_tiles`), the fusions
      of accel-fuse (`accel.epilogue`, `accel.quantized`, `accel.in_place`)
      and the act-buffer homes and attention layouts of
      accel-allocate-buffers (`accel.act`, `accel.attention_layout`, checked
      to be for the step's rows and KV record stride and, whether planned or
      edited by hand, to keep the invariants the code relies on for the op
      and the config, AttentionLayout.h: every offset a multiple of 64 in
      its buffer; `rows` a divisor of the heads within the instructions'
      row limits (15 for the whole cache's multi-row `vqk`/`vpv` without
      segments; else 63) and, where the instructions read KV heads by
      row, whole KV heads or part of one; `segment` a multiple of the HBM
      channels and only with tables by rank over the whole fp32 cache; the
      fields all
      known (the dialect's verifier names an unknown one);
      the fields a form does not read 0 and `probs` = `scores` where the
      softmax is in place; the key and value records inside the kv buffer
      and apart; the scores and integer operands inside the scratch
      buffer's upper half below `end` and apart; the tables above `end`;
      an error names the step, the field and why); an error names the
      first op without what it needs.
    * **Code**: every linear quantizes its input (`vqact`) unless its int8
      form is shared and made, sets the matrix unit (`mcfg`) and streams its
      load groups through the two halves of the weight buffer (`load` +
      `mv`), an activation in its epilogue; RoPE loads the table rows of the
      position; a cache write quantizes the row into a KV record (`vkvq`)
      and stores it at its ring slot (computed with `remui`); attention loads
      the sink and window records in ascending position (at most two runs of
      the ring) and runs `vqk`, `vsoftmax`, `vpv` over the layout's `rows`
      heads at a time (multi-row, ISA §5.7: the query heads of whole KV
      heads or of part of one; when a prefill query's sinks are scored
      apart from its window, a `vqk` of the rows for each run, their scores
      staged after the rows and copied into them by a `vcopy` a head and
      run, and a `vpv` a head and run); an element-wise op is one `vadd`,
      `vsub`, `vmul` or `vdiv` over the rows, a constant of one value
      its immediate (`bmode=imm`; `c - x` and `c / x` fill the rows with
      `c` first), a constant row its parameter: read from the prm buffer
      by a step of one row, repeated over a tile's rows first (a `vcopy`
      of it, then copies doubling the rows) so that `x op r` and `r op x`
      are each one op; the logits are
      stored and `vargmax` gives the greedy token. In a step of several
      rows, attention first loads the earlier positions' records, appends
      the step's own, attends each query (a loop over the rows between
      barriers) and only then stores the own records into the ring, so a
      tile never overwrites keys its own queries still need; the output
      tail (accel-tile's `accel.last_row`: the ops only the logits need,
      the final norm, the LM head) runs in the prompt's last tile only, for
      its last row. When a layer's cache (with Λ, its window) does not fit
      the kv buffer (the layout's `chunk`), each query streams it instead:
      a loop over the earlier positions (with Λ the window's, in ascending
      position, a chunk never past the ring's end, so one run of slots,
      loaded from its row's start when S and W are multiples of the records
      sharing a row of channels; the sinks stay in the kv buffer for the
      step, scored first) loads a
      chunk's keys and scores them into the query's rows of scores (`vqk`
      per head in a runtime loop over the heads), then its own keys; one
      `vsoftmax`; the context rows set to -0.0 and a second loop adds each
      chunk's values (`vpv acc=1`), then its own, the same sequential sums
      (NUMERICS §6.4's key order: sinks, then the window) bit for bit. With `int8_attention`
      one `mqk` per chunk scores all the pass's heads (`pitch`), and after
      the `vsoftmax` two loops over the values give each group's weight
      scale (`vpq` parts first/next/last: the max over every chunk) and then
      each chunk's int8 weights and exact int32 sums (`vpq part=quant`,
      `mpv` parts first/next/last), ISA §5.9's chunks. A prefill tile's
      queries each read the cache (keys once, values once or twice: the
      second values loop loads nothing when the first took the window in
      one pass).
    The instructions carry no dependency tokens: accel-insert-tokens gives
    them (the two run together in `accelc`'s pipeline).

    With `rope-positions=cache` (the cache op's `rope(...)`) the keys stay
    unrotated in the cache and each `vqk` rotates the query by its last
    rank and the keys by theirs (docs/ISA.md §5.7, `rope=1`, the tables
    `vrset` points at): the step loads the tables' rows
    `0 .. min(r6 + rows, S + W) - 1` to the top of the scratch buffer with
    one load over every channel, once for the layers that share them (again
    after a layer whose attention's scratch reaches them).
    When they do not fit (the layout's `segment`), each query loads its own
    rank's row, and a runtime loop over its keys' ranks in segments loads a
    segment's rows (from a multiple of the channels, one load per table),
    scores the segment with one multi-row `vqk` per group of heads and
    copies each head's scores into its row (`vcopy`); then one `vsoftmax`
    and `vpv` as with the whole tables (a prefill query whose sinks are
    scored apart: a `vqk` per group for each of the segment's two runs of
    records, two copies a head); the groups are a runtime loop. A streamed
    cache loads, per query, its rank's row and, before each run of its keys
    (its sinks, each chunk, its own records), the run's ranks' rows from
    their multiple of the channels, its `vqk`s rotating by those rows.

    The step is straight-line and does not depend on the context length:
    the code's size is fixed by the model. With `share-attention=auto` (the
    default), when it would not fit the config's instruction memory
    (`control.imem_uram`), the prefill step's attention becomes subroutines
    its layers call, and if the program still does not fit, the decode
    step's too (one path per program, chosen by size); `always` shares both
    steps' attention whatever the size, `never` neither. Such a step is
    entered by `jmp` and returns by `jmp` to its entry (`r8` is free); each
    layer's attention code, made with its caches at the step's first
    attention's offsets, is compared with the subroutines made so far and
    called (`jal r8`) if it is the same, else becomes a new one (placed
    after the steps); the call adds the layer's KV cache offset from the
    first to `r2` and takes it off after. No barrier fences a call: a
    subroutine begins and ends with one token slot of each data unit, and
    each call is followed by one (a `load` and a `store` of no rows, an
    `mcfg` of nothing used, the `vaset` of the layer's cache), which carry
    the tokens accel-insert-tokens agrees for every call. Layers whose
    caches sit on the same channels (accel-place-hbm) share one subroutine
    (1B: one a step).
  }];
  let options = [
    Option<"maxPrompt", "max-prompt", "int64_t", /*default=*/"4096",
           "Token ids the io region holds for one call">,
    Option<"configPath", "config", "std::string",
           /*default=*/"\"\"",
           "Hardware config JSON (empty: the bundled configs/u280.json)">,
    Option<"shareAttention", "share-attention", "std::string",
           /*default=*/"\"auto\"",
           "Whether the steps' layers call their attention as shared "
           "subroutines: auto (only when the program would not fit the "
           "instruction memory in line), always (both steps) or never">,
  ];
  let dependentDialects = ["accel::accelisa::AccelISADialect"];
}

def InsertTokens : Pass<"accel-insert-tokens", "mlir::ModuleOp"> {
  let summary = "Give an accelisa program its dependency tokens";
  let description = [{
    Every `accelisa.program` of the module gets the wait/release masks
    docs/ISA.md §3 requires (any it had are replaced): for every pair of
    accesses by different units to overlapping bytes, one of them a write,
    the later instruction waits for a token the earlier one releases. Pairs
    are made in program order and only where no earlier pair already orders
    the two (a unit runs in order), so every token given is taken and the
    counters end at zero; loads then overlap the compute before them as far
    as the buffers allow (a weight load into one half of the weight buffer
    runs while `mv` reads the other).

    What an instruction reads and writes follows from its fields, the values
    its registers may hold and the unit state `mcfg` and `vaset` set (in
    program order, unknown at a label and after a `jal`). The
    registers are found by abstract interpretation over the program's control
    flow (branches, jumps, `jal` calls, `jr` returning after any `jal` whose
    return its register's interval allows, a subroutine's entry joining
    each of its calls before it widens; the ABI's values at each entry): a
    register holds a value modulo 2^32 from an interval, or an ABI region
    base `r1`..`r4` plus an offset from an interval; every ALU instruction bounds its result from its operands' (so
    a prefill tile's row count `minui r11, r11, 16` is at most 16, a
    `remui` slot below its modulus, `andi … 63` at most 63), where control
    meets the intervals join, and a register still changing after a few
    passes over a loop is taken as unknown. An access covers the bytes from
    the lowest to the highest address its registers allow, for the largest
    count they allow; an unknown address or count runs to the end of its
    buffer. HBM is tracked per region (the base an address derives from;
    every region for one that derives from none), channel (the `nch`
    channels its rows rotate over) and offset. Sizes: weight tiles from
    docs/FORMATS.md §1.4, KV records from docs/ISA.md §5.7. Pairs are found
    with an interval map of the last writer and readers of each unit per
    buffer and HBM channel (64-byte granules), so the time is near-linear in
    the accesses (1B's program in `accelc`: 0.16 s; 3.4 s with the
    per-granule arrays before).

    The program is analysed as straight-line code between barriers: a
    `barrier` or `halt` completes everything before it; a jump or branch
    after an access that no barrier completed is an error, and so is a
    forward branch that would skip an instruction carrying a token, unless
    no pair crosses it: nothing from its target up to the next barrier
    takes a token.

    Calls need no barrier. A subroutine (a `jal` target) is analysed once
    for all its calls, which must come before it in the program when they
    leave accesses outstanding. It is the code from its label to the first
    `jr` after it, and is an error otherwise, naming the instruction: only
    calls enter it (no fall-through into its label, no branch into it or
    back to its label, no entry point inside), only that `jr` leaves it (no
    branch out), and it calls nothing (calls do not nest). Every call gives and
    takes the same tokens, through **token slots**: instructions of a data
    unit that access nothing (a `load` or `store` of no rows, `mcfg`,
    `maset`, `vaset`; accel-lower-to-isa emits one of each unit).
    * Entry: the subroutine's first instructions, its entry slots, stand
      for what the callers' units may still be accessing at a call (the
      union over the calls of each unit's accesses that nothing has ordered
      before the other unit yet): a first access that overlaps one of unit
      v's waits for v's entry slot, which runs once v has done everything
      it was given before the call; the others start at once, while the
      caller's work runs.
    * Exit: the code after a call sees the subroutine's accesses after its
      last barrier as done by the call. An access that overlaps one of
      unit v's waits for v's exit slot (the last instructions before the
      `jr`) at the access; the call's return slots (the instructions right
      after the `jal`) take the tokens of the exit slots that the code
      after this call does not wait for at an access, since the exit slots
      give them at every call.
    * A token from before a call to after it passes over the call, unless
      the subroutine's own code or its exit slots give tokens between the
      same two units (they would take it in its place): then the exit slot
      gives it (the pass runs again with such pairs ruled out until none is
      left).
    * At a call, the accesses of the calls before it that the subroutine's
      first accesses would wait for are ordered before each unit's last
      instruction since the last call (an exit slot's token taken there,
      long complete in a decoder step), so that the subroutine's units wait
      only for what the caller did since.
    A call without a slot the tokens need is an error naming the unit: with
    no entry slot put a barrier before the call; with no exit slot end the
    subroutine with one or put a barrier before its `jr`; with no return
    slot put one right after the call or a barrier before the `jr`. A token
    given once but taken on every pass of a loop (an entry slot's or one
    from before the loop, taken inside it) is an error (put a barrier
    before the loop), and so is a forward branch that skips the taking of a
    token given before it (an entry or exit slot's) or a call whose exit
    slots give a token taken after its target, or, inside a subroutine, one
    whose target reaches the `jr` (or its exit slots) and that skips a
    token's giving or taking (the code after the call would wait for it).

    Soundness: an order the program needs is never dropped as long as the
    analysis' ranges hold every value a register takes
    (unittests/Conversion checks this against the simulator's control unit
    on random programs) and every address derived from a region base stays
    in its region (docs/ISA.md §7). A missing token is a race (ISA §3):
    `accel-sim --races=error` (the default; `warn`, `off`) reports any two
    accesses that nothing orders, naming both instructions, so the tests
    that run programs in it check their tokens
    (test/Conversion/AccelToISA/insert-tokens-sim.test runs the call
    programs of insert-tokens.mlir).

    Effect on the programs `accelc` makes (`accel-sim --mode=timing`): the 1B
    model's decode step at position 2048 1,478,640 -> 1,477,264 cycles,
    its 2K prefill 2,219,363,148 -> 2,218,277,356, tiny_llama's decode step
    17,762 -> 17,662, a 7B decode step 9,227,319 -> 9,219,991 (fp32
    attention); with integer attention the 1B decode step 516,912 ->
    515,536 and its 2K prefill 637,993,804 -> 636,908,012. What the units
    still wait for are true dependences and the weight buffer's two halves
    (docs/PERFORMANCE.md, "Why the schedule falls short").

    ```
    accel-opt --accel-insert-tokens program.mlir
    ```
  }];
  let options = [
    Option<"configPath", "config", "std::string", /*default=*/"\"\"",
           "Hardware config JSON giving the buffer sizes (empty: the "
           "bundled configs/u280.json)">,
  ];
}

#endif // ACCEL_PASSES_TD
