//===- AttentionLayout.h - an attention layer's kv and scratch places -*- C++ -*-===//
//
// Internal to the accel -> ISA lowering: where one attention layer's step
// keeps its operands in the kv and scratch buffers. accel-allocate-buffers
// plans it for each step (planAttention) and records it on the
// accel.cache_attention as `accel.attention_layout = {decode = {...},
// prefill = {...}}` (toAttr); accel-lower-to-isa reads it
// (attentionLayoutOf). The fields, all byte offsets unless said:
//
//   tile, record   the step's rows and the KV record stride it was planned
//                  for (accel-place-hbm's padded record);
//   keys, values   kv buffer: where the key and value records start;
//   chunk          0: the earlier positions the step's queries see are
//                  loaded once, the step's own records after them; else
//                  the cache does not fit and each query streams its
//                  earlier positions (with Λ its window's) through records
//                  0 .. chunk - 1, the own records at record chunk (with
//                  Λ chunk + S, the sinks loaded before them once for the
//                  step, streamedSinks): fp32 `chunk` records a
//                  pass; integer (chunk >= 5) two half-chunks of
//                  (chunk - 3) / 2 records a pass, 3 records apart, one
//                  loaded while the other is used (else one whole chunk);
//   rows           heads one attention instruction takes (integer; fp32
//                  vqk, vsoftmax and vpv over the whole tables: when a
//                  prefill query's sinks are scored apart, each run's vqk
//                  of several rows writes its scores at segmentScoresAt,
//                  to be copied into their rows; vpv a head), or one pass of
//                  segments (fp32: one vsoftmax, segmentRows heads a vqk)
//                  or of a streamed attention (its head loop's, fp32; its
//                  instructions', integer);
//   scores, probs  scratch: the scores and probabilities (fp32 and
//                  streamed: `rows` rows of n, the softmax in place, probs
//                  = scores; the integer attention's bank 0);
//   queries, query_scales, weights, weight_scales, bank
//                  the integer attention's int8 queries of the tile and
//                  their scales, int8 weights and their scales (bank 0;
//                  streamed: a chunk's weights, and each group's running
//                  max before its scale), and the distance from bank 0 to
//                  bank 1 (0 in fp32 and streamed);
//   end            the end of the attention's part of the scratch buffer;
//   tables         where rope-positions=cache's RoPE tables by rank go (cos,
//                  then sin), at the scratch buffer's top (0 without them);
//   segment        0: those tables whole, loaded once a step; else they do
//                  not fit (fp32 attention over the whole cache) and each
//                  query's keys are scored in segments of `segment` ranks,
//                  a multiple of the HBM channels (CodegenRope.cpp): the
//                  tables hold `segment` + 1 rows each, a segment's ranks
//                  and, in the last, the query's; `rows` heads' scores of n
//                  keys at `scores` (one vsoftmax), and a segment's vqk
//                  (segmentRows rows) writes its scores at segmentScoresAt,
//                  to be copied into their rows. A streamed cache's
//                  (`chunk` > 0) tables hold rankAreaRows rows each: each
//                  run of keys (sinks, chunk, own) loads its ranks' rows.
//
// accel-lower-to-isa takes any layout (not only planAttention's) that keeps
// what the code generator relies on:
// - every offset a multiple of 64 within its buffer;
// - `rows` a divisor of the heads: at most 15 for the whole cache's fp32
//   vqk and vpv without segments (whole KV heads or part of one); at most
//   63, whole KV heads or part of one, for the integer attention's
//   instructions; else (fp32 in segments or streamed: a vsoftmax's rows)
//   at most 63;
// - `segment` a multiple of the HBM channels, > 0 only with RoPE tables by
//   rank over the whole cache in fp32;
// - the fields a form does not read 0 (fp32: the integer operands and
//   `bank`; streamed integer: `bank`; without tables by rank: `tables`),
//   and `probs` = `scores` where the softmax is in place (fp32, streamed);
// - kv buffer: the key and the value records a step holds (keysSeen, or
//   streamed chunk + S + tile) inside it and apart;
// - scratch buffer: each area (scores, a segment's scores or, when a
//   prefill query's sinks are scored apart with several rows, its runs'
//   rows x keysSeen scores at segmentScoresAt; the integer
//   queries, their scales and, per bank, scores, probabilities, weights
//   and weight scales) inside [upper half, `end`) and apart, the tables'
//   area (whole, or 2 x rankAreaRows rows) inside [`end`, buffer end).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_CONVERSION_ACCELTOISA_ATTENTIONLAYOUT_H
#define ACCEL_LIB_CONVERSION_ACCELTOISA_ATTENTIONLAYOUT_H

#include "Placement.h"

#include "accel/Hardware/Config.h"

namespace accel::lowering {

inline constexpr llvm::StringLiteral kAttentionLayoutAttr =
    "accel.attention_layout";

struct AttentionLayout {
  int64_t tile = 0, record = 0;
  int64_t keysAt = 0, valuesAt = 0, chunk = 0, headsPerPass = 1;
  int64_t scoresAt = 0, probsAt = 0;
  int64_t queries = 0, queryScales = 0, weights = 0, weightScales = 0,
          bank = 0;
  int64_t scratchEnd = 0, tablesAt = 0, segment = 0;
};

/// The most keys a query of a step of `tile` rows sees: its sinks and
/// window, or (without Λ) every slot, and the tile's own.
int64_t keysSeen(const CacheLayout &c, int64_t tile);

/// The records a streamed cache's step keeps in the kv buffer besides its
/// chunk and its own: with Λ the sinks (S), loaded once for the step.
inline int64_t streamedSinks(const CacheLayout &c) {
  return c.window > 0 ? c.sink : 0;
}

/// The bytes of the RoPE tables by rank (cos and sin) `op` rotates by (0
/// without them).
int64_t rankTableBytes(CacheAttentionOp op);

/// The bytes of one row of those tables in the scratch buffer.
int64_t rankRowBytes(CacheAttentionOp op);

/// The heads one vqk (and vpv) takes when a pass of `rows` heads scores its
/// keys in segments: the most that divide `rows`, at most 15, within the
/// `qpk` rule (whole KV heads or part of one).
int64_t segmentRows(int64_t rows, int64_t qpk);

/// Where a segment's vqk writes its scores (`at.segment` > 0), or each run's
/// vqk of a prefill query whose sinks are scored apart with several rows:
/// after the pass's rows of scores over the cache `c`.
int64_t segmentScoresAt(const AttentionLayout &at, const CacheLayout &c);

/// The rows of each RoPE table by rank the layout `at` keeps in the scratch
/// buffer when a query loads them a segment or a run of keys at a time, the
/// query's rank in the last (0: the whole tables): `segment` + 1; streamed
/// (`chunk` > 0), a run of at most max(S, chunk, tile) ranks from the
/// multiple of the `channels` at or below its first, and the query's.
int64_t rankAreaRows(const AttentionLayout &at, const CacheLayout &c,
                     int64_t channels);

/// Plans `op`'s attention for a step of `tile` rows over the cache `c` (its
/// record at the stride it is placed at); an error at `op` if it does not
/// fit the config's kv and scratch buffers.
mlir::FailureOr<AttentionLayout> planAttention(CacheAttentionOp op,
                                               const CacheLayout &c,
                                               const hw::Config &config,
                                               int64_t tile);

mlir::DictionaryAttr toAttr(mlir::MLIRContext *context,
                            const AttentionLayout &layout);

/// The layout recorded on `op` for `step` of `tile` rows over the cache
/// `c` (by accel-allocate-buffers, or edited by hand); an error at `op`
/// naming the field if there is none, a field is missing, or it breaks one
/// of the invariants above for `config`.
mlir::FailureOr<AttentionLayout>
attentionLayoutOf(CacheAttentionOp op, llvm::StringRef step,
                  const CacheLayout &c, const hw::Config &config,
                  int64_t tile);

} // namespace accel::lowering

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_ATTENTIONLAYOUT_H
