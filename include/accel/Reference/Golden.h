//===- Golden.h - the quantized golden model --------------------*- C++ -*-===//
//
// The reference executor's quantized mode: runs a `func.func` of accel's IR
// with the arithmetic of docs/NUMERICS.md, to the bit (fp32 IEEE operations
// with round-to-nearest-even and no fused multiply-add, sequential sums in
// the stated order, exact int32 group dot products, fp16 scales, `exp_a`).
// An instruction-level simulator of the engine must match it bit for bit.
//
// The primitives are exposed so that tests (and the simulator's own checks)
// can call them one at a time; `runGolden` runs a whole function with them.
// The sources that implement them are compiled with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_REFERENCE_GOLDEN_H
#define ACCEL_REFERENCE_GOLDEN_H

#include "accel/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace accel::reference {

/// Runs `fn` on `inputs` as the golden model: every `accel` op, float or
/// quantized, and every `arith` op follows docs/NUMERICS.md; `onnx.node`
/// ops left in the module keep the fp32 reference executor's semantics
/// (docs/REFERENCE.md, "The golden model"). Input checking, errors and
/// results are those of `run`.
llvm::Expected<std::vector<Tensor>> runGolden(mlir::func::FuncOp fn,
                                              llvm::ArrayRef<Tensor> inputs);

namespace golden {

//===----------------------------------------------------------------------===//
// Scalars (NUMERICS §1, §7, §8)
//===----------------------------------------------------------------------===//

/// rne(x): nearest integer, ties to even, as a float (`nearbyint`).
float rne(float x);
/// The exponential of §7 (NaN gives NaN).
float expA(float x);
/// The error function of §8 (Abramowitz & Stegun 7.1.26 with exp_a);
/// erf_a(±0) = +0.
float erfA(float v);
float silu(float x);
float geluTanh(float x);
float geluErf(float x);
/// max(x, 0) with -0 and NaN passing through.
float relu(float x);

/// Greedy decoding: the index of the largest of `logits`, ties to the lowest
/// index, NaN never wins; 0 when `logits` is empty or all NaN.
int64_t greedyToken(llvm::ArrayRef<float> logits);

//===----------------------------------------------------------------------===//
// Quantization (§2, §4.1, §5)
//===----------------------------------------------------------------------===//

/// The parameters of one quantized group: `scale` is f32(S), an fp16 value;
/// `zeroPoint` is 0 when symmetric.
struct GroupParams {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
};

/// The scale (fp16(s), reference::roundToF16) and zero point §2 gives a
/// group of `values` under round-to-nearest.
GroupParams groupParams(llvm::ArrayRef<float> values, unsigned bits,
                        bool symmetric);
/// One value quantized with a group's parameters (§2):
/// clamp(rne(w / S) + z, 0, Q) asymmetric, clamp(rne(w / S), −P, P)
/// symmetric; NaN gives 0.
int32_t quantizeValue(float w, GroupParams params, unsigned bits,
                      bool symmetric);
/// Round-to-nearest quantization of one group of `values` as §2 states it
/// for weights (and §5 for KV rows): fills `q` (same size as `values`).
GroupParams quantizeGroup(llvm::ArrayRef<float> values, unsigned bits,
                          bool symmetric, llvm::MutableArrayRef<int32_t> q);

/// `values` replaced by f32(S) × f32(q − z) of their group quantization,
/// group after group of `group` elements (the KV cache write and read of
/// §5). `group` must divide the size.
void fakeQuantizeRow(llvm::MutableArrayRef<float> values, int64_t group,
                     unsigned bits, bool symmetric);

/// §4.1: symmetric per-token (per activation group of `group` elements)
/// quantization of `x` with P = 2^(bits-1) − 1 (127 for 8 bits). Fills `q`
/// (size of `x`) and `scales` (one fp32 s_x per group).
void quantizeActivation(llvm::ArrayRef<float> x, int64_t group, unsigned bits,
                        llvm::MutableArrayRef<int32_t> q,
                        llvm::MutableArrayRef<float> scales);

//===----------------------------------------------------------------------===//
// Linear layers (§4)
//===----------------------------------------------------------------------===//

/// A quantized weight as the arithmetic reads it: values already
/// interpreted (asymmetric unsigned in [0, 2^B − 1], symmetric signed).
struct QuantizedWeight {
  int64_t rows = 0, cols = 0; ///< N, K
  int64_t group = 0;          ///< G (K for per_channel)
  std::vector<int32_t> q;     ///< [N, K]
  std::vector<float> scales;  ///< [N, K / G], f32(S)
  std::vector<int32_t> zeros; ///< [N, K / G], 0 when symmetric
};

/// acc = Σ_{i ascending} x[i] × (w[i] − zero), exact in int32.
int32_t groupDot(llvm::ArrayRef<int32_t> x, llvm::ArrayRef<int32_t> w,
                 int32_t zero);

/// One token of §4 with a quantized weight and quantized activations: `qx`
/// and `sx` as quantizeActivation gives them for activation groups of
/// `actGroup` elements (K for per token). `bias` is null or N values.
void linearQuantizedRow(llvm::ArrayRef<int32_t> qx, llvm::ArrayRef<float> sx,
                        int64_t actGroup, const QuantizedWeight &w,
                        const float *bias, llvm::MutableArrayRef<float> y);

/// One token with float weights: y[n] = Σ_{k asc} x[k] × weight(n, k), then
/// + bias[n]. `weight(n, k)` reads the logical [N, K] element.
void linearFloatRow(llvm::ArrayRef<float> x, int64_t rows,
                    llvm::function_ref<float(int64_t, int64_t)> weight,
                    const float *bias, llvm::MutableArrayRef<float> y);

//===----------------------------------------------------------------------===//
// Normalisation and RoPE (§8)
//===----------------------------------------------------------------------===//

void rmsNormRow(llvm::ArrayRef<float> x, llvm::ArrayRef<float> weight,
                float epsilon, llvm::MutableArrayRef<float> y);
/// `bias` may be empty (no addition then).
void layerNormRow(llvm::ArrayRef<float> x, llvm::ArrayRef<float> weight,
                  llvm::ArrayRef<float> bias, float epsilon,
                  llvm::MutableArrayRef<float> y);
/// §8 RoPE of one head row: `x` and `y` hold D values, `cos` and `sin` one
/// table row of R ≤ D values; elements from R on pass through.
void ropeRow(llvm::ArrayRef<float> x, llvm::ArrayRef<float> cos,
             llvm::ArrayRef<float> sin, bool interleaved,
             llvm::MutableArrayRef<float> y);

//===----------------------------------------------------------------------===//
// Attention (§5, §6)
//===----------------------------------------------------------------------===//

struct KVQuant {
  unsigned bits = 4;
  int64_t group = 0; ///< 0: the whole head (per_channel)
  bool symmetric = false;
};

/// RoPE by rank (the positioned forms' `rope(...)`, §6): [P, R] tables,
/// row i rotating the i-th key a query sees.
struct RankRope {
  llvm::ArrayRef<float> cos, sin; ///< [P, R]
  int64_t rotary = 0;             ///< R
  bool interleaved = false;
};

struct AttendConfig {
  int64_t batch = 1, queries = 1, rows = 0; ///< B, T, and the N key rows
  int64_t heads = 1, kvHeads = 1, headDim = 1;
  float scale = 1.0f; ///< applied to q·k
  std::optional<KVQuant> kvQuant;
  std::optional<RankRope> rope;
  bool int8 = false; ///< §6.5 (needs kvQuant, excludes rope)
};

/// Fills `rows` with the key rows query `t` sees, in ascending key position,
/// or fails.
using VisibleRows = llvm::function_ref<llvm::Error(
    int64_t t, llvm::SmallVectorImpl<int64_t> &rows)>;

/// §5–§6 over heads-merged rows: `query` [B, T, H·D]; `keys`/`values`
/// [B, N, Hkv·D] fp32; query t of head h sees, of KV head h / (H / Hkv), the
/// rows `visible(t)` gives. With `kvQuant` every key and value row (per
/// token and KV head) is quantized and dequantized as §5's cache write does
/// before it is read. With `rope`, query t's i-th visible key is rotated by
/// table row i and the query by row n − 1 (n keys seen), after the
/// quantization. With `int8`, §6.5 on the quantized rows. Returns [B, T, H·D]; a query that sees no key gives zeros.
/// Fails when `visible` does or a rank exceeds the RoPE tables.
llvm::Expected<std::vector<float>>
attendRows(const AttendConfig &config, llvm::ArrayRef<float> query,
           llvm::ArrayRef<float> keys, llvm::ArrayRef<float> values,
           VisibleRows visible);

/// §6 step 3 in place: scores in, probabilities out (at least one).
void softmaxRow(llvm::MutableArrayRef<float> p);

/// KV rows as §5 stores them: per element the integer `q`, per group of
/// `group` elements (from element 0) f32(S) and `z` (0 when symmetric).
struct QuantizedRows {
  int64_t group = 0;
  std::vector<int32_t> q;
  std::vector<float> scales;
  std::vector<int32_t> zeros;
};
/// Quantizes `rows` group by group as the §5 cache write does.
QuantizedRows quantizeRows(llvm::ArrayRef<float> rows, const KVQuant &kv,
                           int64_t headDim);

/// §6.5 for one query row `q` (D values) over the keys and values it sees,
/// in ascending position: key i's head starts at element `offsets[i]` of
/// `keys` and `values` (a multiple of their group). `out` gets D values,
/// zeros when there is no key. Fails past 65536 keys (the int32 bound).
llvm::Error attendRowInt8(llvm::ArrayRef<float> q, const QuantizedRows &keys,
                          const QuantizedRows &values,
                          llvm::ArrayRef<int64_t> offsets, float scale,
                          llvm::MutableArrayRef<float> out);

/// §6 steps 2–4 for one query row `q` (D values) over the key and value
/// rows it sees, in ascending position (D values each); `out` gets D values,
/// zeros when there is no key.
void attendRow(llvm::ArrayRef<float> q, llvm::ArrayRef<const float *> keys,
               llvm::ArrayRef<const float *> values, float scale,
               llvm::MutableArrayRef<float> out);

} // namespace golden
} // namespace accel::reference

#endif // ACCEL_REFERENCE_GOLDEN_H
