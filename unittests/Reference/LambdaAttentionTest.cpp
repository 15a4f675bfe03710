//===- LambdaAttentionTest.cpp - kv_cache_write, band and cache attention -===//
//
// The positioned forms of Λ attention in both modes, against accel.attention
// on the same rows: a ring cache written position by position, a prefill
// split into query tiles over key bands (scf.for with dynamic slices), a
// decode step over a cache, positions within the cache for RoPE, and the
// errors that catch tiling and cache bugs. Golden results must be equal to
// the bit, fp32 ones close.
//
//===----------------------------------------------------------------------===//

#include "RunMLIR.h"

#include "accel/Reference/Golden.h"

#include <cmath>
#include <cstring>

using namespace accel::reference;
using namespace accel::reference::testing;

namespace {

Tensor index(int64_t value) { return Tensor(DType::I64, {}, {value}); }

/// Deterministic pseudo-random floats in [-scale, scale].
Tensor noise(llvm::ArrayRef<int64_t> shape, unsigned seed, float scale = 1.5f) {
  std::vector<float> values(*countElements(shape));
  uint32_t state = seed * 2654435761u + 12345u;
  for (float &v : values) {
    state = state * 1664525u + 1013904223u;
    v = (static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
  }
  return Tensor(shape, values);
}

/// `text` with every `@KEY` replaced by its value.
std::string
fill(std::string text,
     std::initializer_list<std::pair<std::string, std::string>> substitutions) {
  for (const auto &[key, value] : substitutions)
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  return text;
}

std::vector<Tensor> runOrFail(llvm::StringRef source,
                              llvm::ArrayRef<Tensor> inputs,
                              FunctionRunner runner) {
  llvm::Expected<std::vector<Tensor>> results = runMLIR(source, inputs, runner);
  if (!results) {
    ADD_FAILURE() << llvm::toString(results.takeError());
    return {};
  }
  return std::move(*results);
}

/// Golden results equal bit for bit, fp32 ones within 2e-6.
void expectSame(const Tensor &got, llvm::ArrayRef<float> want,
                FunctionRunner runner) {
  ASSERT_EQ(got.getNumElements(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    float g = got.getFloats()[i];
    if (runner == runGolden)
      EXPECT_EQ(std::memcmp(&g, &want[i], sizeof(float)), 0)
          << "element " << i << ": " << g << " vs " << want[i];
    else
      EXPECT_NEAR(g, want[i], 2e-6f) << "element " << i;
  }
}

const char *kKV4 = ", kv_quant = #accel.quant<bits = 4, group = 2, asymmetric>";

//===----------------------------------------------------------------------===//
// kv_cache_write
//===----------------------------------------------------------------------===//

TEST(LambdaAttention, RingSlotsWrapAround) {
  // S = 2, W = 3: positions 0..9 go to slots 0 1 2 3 4 2 3 4 2 3, so the
  // cache ends holding positions 0, 1, 8, 9, 7; one write of all ten rows
  // (later rows win) and ten writes of one row agree.
  const char *source = R"mlir(
func.func @f(%rows: tensor<1x10x1xf32>, %cache: tensor<1x5x1xf32>)
    -> (tensor<1x5x1xf32>, tensor<1x5x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %one = scf.for %j = %c0 to %c10 step %c1 iter_args(%c = %cache) -> (tensor<1x5x1xf32>) {
    %row = tensor.extract_slice %rows[0, %j, 0] [1, 1, 1] [1, 1, 1] : tensor<1x10x1xf32> to tensor<1x1x1xf32>
    %next = accel.kv_cache_write %c, %row at %j {lambda = #accel.lambda<sink = 2, window = 3>}
              : tensor<1x5x1xf32>, tensor<1x1x1xf32>
    scf.yield %next : tensor<1x5x1xf32>
  }
  %all = accel.kv_cache_write %cache, %rows at %c0 {lambda = #accel.lambda<sink = 2, window = 3>}
           : tensor<1x5x1xf32>, tensor<1x10x1xf32>
  return %one, %all : tensor<1x5x1xf32>, tensor<1x5x1xf32>
})mlir";
  Tensor rows({1, 10, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  for (FunctionRunner runner : {run, runGolden}) {
    std::vector<Tensor> results =
        runOrFail(source, {rows, Tensor(DType::F32, {1, 5, 1})}, runner);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(floatsOf(results[0]), (std::vector<float>{0, 1, 8, 9, 7}));
    EXPECT_EQ(floatsOf(results[1]), (std::vector<float>{0, 1, 8, 9, 7}));
  }
}

//===----------------------------------------------------------------------===//
// band_attention: a prefill in query tiles
//===----------------------------------------------------------------------===//

// 12 tokens, heads(4, 2) of D = 4, Λ with S = 2, W = 3.
const char *kWholeSequence = R"mlir(
func.func @f(%q: tensor<1x12x16xf32>, %k: tensor<1x12x8xf32>, %v: tensor<1x12x8xf32>) -> tensor<1x12x16xf32> {
  %0 = accel.attention %q, %k, %v heads(4, 2) causal {lambda = #accel.lambda<sink = 2, window = 3>@KVQ}
         : tensor<1x12x16xf32>, tensor<1x12x8xf32>, tensor<1x12x8xf32> -> tensor<1x12x16xf32>
  return %0 : tensor<1x12x16xf32>
})mlir";

// Tiles of 4 queries at q0; the band holds the 6 keys from
// k0 = min(max(q0 - (W - 1), 0), 12 - 6); the sinks are keys 0 and 1.
const char *kTiledSequence = R"mlir(
func.func @f(%q: tensor<1x12x16xf32>, %k: tensor<1x12x8xf32>, %v: tensor<1x12x8xf32>) -> tensor<1x12x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %c12 = arith.constant 12 : index
  %ks = tensor.extract_slice %k[0, 0, 0] [1, 2, 8] [1, 1, 1] : tensor<1x12x8xf32> to tensor<1x2x8xf32>
  %vs = tensor.extract_slice %v[0, 0, 0] [1, 2, 8] [1, 1, 1] : tensor<1x12x8xf32> to tensor<1x2x8xf32>
  %init = tensor.empty() : tensor<1x12x16xf32>
  %out = scf.for %q0 = %c0 to %c12 step %c4 iter_args(%acc = %init) -> (tensor<1x12x16xf32>) {
    %back = arith.subi %q0, %c2 : index
    %low = arith.maxsi %back, %c0 : index
    %k0 = arith.minsi %low, %c6 : index
    %qt = tensor.extract_slice %q[0, %q0, 0] [1, 4, 16] [1, 1, 1] : tensor<1x12x16xf32> to tensor<1x4x16xf32>
    %kb = tensor.extract_slice %k[0, %k0, 0] [1, 6, 8] [1, 1, 1] : tensor<1x12x8xf32> to tensor<1x6x8xf32>
    %vb = tensor.extract_slice %v[0, %k0, 0] [1, 6, 8] [1, 1, 1] : tensor<1x12x8xf32> to tensor<1x6x8xf32>
    %o = accel.band_attention %qt at %q0, %kb, %vb at %k0
           sinks(%ks, %vs : tensor<1x2x8xf32>, tensor<1x2x8xf32>) heads(4, 2)
           {lambda = #accel.lambda<sink = 2, window = 3>@KVQ}
           : tensor<1x4x16xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32> -> tensor<1x4x16xf32>
    %next = tensor.insert_slice %o into %acc[0, %q0, 0] [1, 4, 16] [1, 1, 1] : tensor<1x4x16xf32> into tensor<1x12x16xf32>
    scf.yield %next : tensor<1x12x16xf32>
  }
  return %out : tensor<1x12x16xf32>
})mlir";

TEST(LambdaAttention, BandTilesEqualWholeSequenceAttention) {
  std::vector<Tensor> inputs = {noise({1, 12, 16}, 1), noise({1, 12, 8}, 2),
                                noise({1, 12, 8}, 3)};
  for (FunctionRunner runner : {run, runGolden})
    for (std::string kvq : {std::string(), std::string(kKV4)}) {
      if (runner == run && !kvq.empty())
        continue; // a quantized cache is the golden model's
      std::vector<Tensor> whole =
          runOrFail(fill(kWholeSequence, {{"@KVQ", kvq}}), inputs, runner);
      std::vector<Tensor> tiled =
          runOrFail(fill(kTiledSequence, {{"@KVQ", kvq}}), inputs, runner);
      ASSERT_EQ(whole.size(), 1u);
      ASSERT_EQ(tiled.size(), 1u);
      expectSame(tiled[0], whole[0].getFloats(), runner);
    }
}

//===----------------------------------------------------------------------===//
// cache_attention: a decode step
//===----------------------------------------------------------------------===//

// The first @N rows, written one by one into a Λ cache of 5 slots, and the
// query of the last position attending over the cache.
const char *kDecode = R"mlir(
func.func @f(%q: tensor<1x1x16xf32>, %k: tensor<1x@Nx8xf32>, %v: tensor<1x@Nx8xf32>@ROPEARGS) -> tensor<1x1x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cn = arith.constant @N : index
  %empty = tensor.empty() : tensor<1x@Cx8xf32>
  %kc, %vc = scf.for %j = %c0 to %cn step %c1 iter_args(%kc0 = %empty, %vc0 = %empty)
      -> (tensor<1x@Cx8xf32>, tensor<1x@Cx8xf32>) {
    %kr = tensor.extract_slice %k[0, %j, 0] [1, 1, 8] [1, 1, 1] : tensor<1x@Nx8xf32> to tensor<1x1x8xf32>
    %vr = tensor.extract_slice %v[0, %j, 0] [1, 1, 8] [1, 1, 1] : tensor<1x@Nx8xf32> to tensor<1x1x8xf32>
    %kc1 = accel.kv_cache_write %kc0, %kr at %j {lambda = #accel.lambda<sink = 2, window = @W>}
             : tensor<1x@Cx8xf32>, tensor<1x1x8xf32>
    %vc1 = accel.kv_cache_write %vc0, %vr at %j {lambda = #accel.lambda<sink = 2, window = @W>}
             : tensor<1x@Cx8xf32>, tensor<1x1x8xf32>
    scf.yield %kc1, %vc1 : tensor<1x@Cx8xf32>, tensor<1x@Cx8xf32>
  }
  %p = arith.subi %cn, %c1 : index
  %o = accel.cache_attention %q, %kc, %vc at %p @ROPE heads(4, 2)
         {lambda = #accel.lambda<sink = 2, window = @W>@KVQ}
         : tensor<1x1x16xf32>, tensor<1x@Cx8xf32>, tensor<1x@Cx8xf32> -> tensor<1x1x16xf32>
  return %o : tensor<1x1x16xf32>
})mlir";

const char *kAttention = R"mlir(
func.func @f(%q: tensor<1x@Nx16xf32>, %k: tensor<1x@Nx8xf32>, %v: tensor<1x@Nx8xf32>) -> tensor<1x@Nx16xf32> {
  %0 = accel.attention %q, %k, %v heads(4, 2) causal {lambda = #accel.lambda<sink = 2, window = 3>@KVQ}
         : tensor<1x@Nx16xf32>, tensor<1x@Nx8xf32>, tensor<1x@Nx8xf32> -> tensor<1x@Nx16xf32>
  return %0 : tensor<1x@Nx16xf32>
})mlir";

/// Rows [from, from + count) of a [1, N, E] tensor.
Tensor rowsOf(const Tensor &t, int64_t from, int64_t count) {
  int64_t width = t.getDim(2);
  llvm::ArrayRef<float> values =
      t.getFloats().slice(from * width, count * width);
  return Tensor({1, count, width},
                std::vector<float>(values.begin(), values.end()));
}

TEST(LambdaAttention, CacheStepEqualsLastRowOfAttention) {
  for (int64_t n : {4, 10}) // without and with the ring wrapping around
    for (FunctionRunner runner : {run, runGolden})
      for (std::string kvq : {std::string(), std::string(kKV4)}) {
        if (runner == run && !kvq.empty())
          continue;
        Tensor q = noise({1, n, 16}, 11), k = noise({1, n, 8}, 12),
               v = noise({1, n, 8}, 13);
        std::string size = std::to_string(n);
        std::vector<Tensor> whole = runOrFail(
            fill(kAttention, {{"@N", size}, {"@KVQ", kvq}}), {q, k, v}, runner);
        std::vector<Tensor> step =
            runOrFail(fill(kDecode, {{"@N", size},
                                     {"@C", "5"},
                                     {"@W", "3"},
                                     {"@ROPEARGS", ""},
                                     {"@ROPE", ""},
                                     {"@KVQ", kvq}}),
                      {rowsOf(q, n - 1, 1), k, v}, runner);
        ASSERT_EQ(whole.size(), 1u);
        ASSERT_EQ(step.size(), 1u);
        expectSame(step[0], rowsOf(whole[0], n - 1, 1).getFloats(), runner);
      }
}

//===----------------------------------------------------------------------===//
// RoPE by position within the cache
//===----------------------------------------------------------------------===//

TEST(LambdaAttention, RankRopeIsRopeThenAttentionWithinTheSpan) {
  // Six tokens under S = 2, W = 6 (span 8): every query sees every earlier
  // key, so ranks are positions.
  const char *ropeFirst = R"mlir(
func.func @f(%q: tensor<1x6x16xf32>, %k: tensor<1x6x8xf32>, %v: tensor<1x6x8xf32>,
             %cos: tensor<8x4xf32>, %sin: tensor<8x4xf32>) -> tensor<1x6x16xf32> {
  %c = tensor.extract_slice %cos[0, 0] [6, 4] [1, 1] : tensor<8x4xf32> to tensor<6x4xf32>
  %s = tensor.extract_slice %sin[0, 0] [6, 4] [1, 1] : tensor<8x4xf32> to tensor<6x4xf32>
  %qr = accel.rope @STYLE %q, %c, %s heads(4) : tensor<1x6x16xf32>, tensor<6x4xf32>
  %kr = accel.rope @STYLE %k, %c, %s heads(2) : tensor<1x6x8xf32>, tensor<6x4xf32>
  %o = accel.attention %qr, %kr, %v heads(4, 2) causal {lambda = #accel.lambda<sink = 2, window = 6>}
         : tensor<1x6x16xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32> -> tensor<1x6x16xf32>
  return %o : tensor<1x6x16xf32>
})mlir";
  const char *band = R"mlir(
func.func @f(%q: tensor<1x6x16xf32>, %k: tensor<1x6x8xf32>, %v: tensor<1x6x8xf32>,
             %cos: tensor<8x4xf32>, %sin: tensor<8x4xf32>) -> tensor<1x6x16xf32> {
  %c0 = arith.constant 0 : index
  %o = accel.band_attention %q at %c0, %k, %v at %c0
         rope(@STYLE %cos, %sin : tensor<8x4xf32>, tensor<8x4xf32>) heads(4, 2)
         {lambda = #accel.lambda<sink = 2, window = 6>}
         : tensor<1x6x16xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32> -> tensor<1x6x16xf32>
  return %o : tensor<1x6x16xf32>
})mlir";
  std::vector<Tensor> inputs = {noise({1, 6, 16}, 21), noise({1, 6, 8}, 22),
                                noise({1, 6, 8}, 23), noise({8, 4}, 24, 1.0f),
                                noise({8, 4}, 25, 1.0f)};
  for (const char *style : {"rotate_half", "interleaved"})
    for (FunctionRunner runner : {run, runGolden}) {
      std::vector<Tensor> want =
          runOrFail(fill(ropeFirst, {{"@STYLE", style}}), inputs, runner);
      std::vector<Tensor> got =
          runOrFail(fill(band, {{"@STYLE", style}}), inputs, runner);
      ASSERT_EQ(want.size(), 1u);
      ASSERT_EQ(got.size(), 1u);
      expectSame(got[0], want[0].getFloats(), runner);
    }
}

TEST(LambdaAttention, RankRopeNumbersTheKeysACacheQuerySees) {
  // Position 9 under S = 2, W = 3 sees positions 0, 1, 7, 8, 9: ranks 0..4.
  // That is rope-then-attention over those five rows as if at positions
  // 0..4, the query rotated by row 4.
  const char *compacted = R"mlir(
func.func @f(%q: tensor<1x5x16xf32>, %k: tensor<1x5x8xf32>, %v: tensor<1x5x8xf32>,
             %cos: tensor<5x4xf32>, %sin: tensor<5x4xf32>) -> tensor<1x5x16xf32> {
  %qr = accel.rope rotate_half %q, %cos, %sin heads(4) : tensor<1x5x16xf32>, tensor<5x4xf32>
  %kr = accel.rope rotate_half %k, %cos, %sin heads(2) : tensor<1x5x8xf32>, tensor<5x4xf32>
  %o = accel.attention %qr, %kr, %v heads(4, 2) causal
         : tensor<1x5x16xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32> -> tensor<1x5x16xf32>
  return %o : tensor<1x5x16xf32>
})mlir";
  Tensor q = noise({1, 1, 16}, 31), k = noise({1, 10, 8}, 32),
         v = noise({1, 10, 8}, 33), cos = noise({5, 4}, 34, 1.0f),
         sin = noise({5, 4}, 35, 1.0f);
  auto pick = [](const Tensor &t) {
    std::vector<float> rows;
    for (int64_t j : {0, 1, 7, 8, 9})
      for (int64_t e = 0; e < 8; ++e)
        rows.push_back(t.getFloats()[j * 8 + e]);
    return Tensor({1, 5, 8}, rows);
  };
  // Queries 0..3 of the compacted run are padding; row 4 is the query.
  std::vector<float> queries(4 * 16, 0.5f);
  queries.insert(queries.end(), q.getFloats().begin(), q.getFloats().end());
  for (FunctionRunner runner : {run, runGolden}) {
    std::vector<Tensor> want = runOrFail(
        compacted, {Tensor({1, 5, 16}, queries), pick(k), pick(v), cos, sin},
        runner);
    std::vector<Tensor> got = runOrFail(
        fill(kDecode,
             {{"@N", "10"},
              {"@C", "5"},
              {"@W", "3"},
              {"@ROPEARGS", ", %cos: tensor<5x4xf32>, %sin: tensor<5x4xf32>"},
              {"@ROPE", "rope(rotate_half %cos, %sin : tensor<5x4xf32>, "
                        "tensor<5x4xf32>)"},
              {"@KVQ", ""}}),
        {q, k, v, cos, sin}, runner);
    ASSERT_EQ(want.size(), 1u);
    ASSERT_EQ(got.size(), 1u);
    expectSame(got[0], rowsOf(want[0], 4, 1).getFloats(), runner);
  }
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(LambdaAttention, ErrorsCatchMissingKeysAndBadPositions) {
  // A band without the sinks: query 8 sees key 0.
  std::string message =
      runError(R"mlir(
func.func @f(%q: tensor<1x4x16xf32>, %k: tensor<1x6x8xf32>, %q0: index, %k0: index) -> tensor<1x4x16xf32> {
  %o = accel.band_attention %q at %q0, %k, %k at %k0 heads(4, 2)
         {lambda = #accel.lambda<sink = 2, window = 3>}
         : tensor<1x4x16xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
})mlir",
               {noise({1, 4, 16}, 1), noise({1, 6, 8}, 2), index(8), index(6)});
  EXPECT_NE(message.find("accel.band_attention: query position 8 sees key "
                         "position 0, which neither the band (positions 6 to "
                         "11) nor the 0 sink rows hold"),
            std::string::npos)
      << message;

  // A plain cache of 4 slots cannot hold position 4.
  const char *cache = R"mlir(
func.func @f(%q: tensor<1x1x16xf32>, %c: tensor<1x4x8xf32>, %r: tensor<1x2x8xf32>, %p: index)
    -> (tensor<1x4x8xf32>, tensor<1x1x16xf32>) {
  %w = accel.kv_cache_write %c, %r at %p : tensor<1x4x8xf32>, tensor<1x2x8xf32>
  %o = accel.cache_attention %q, %c, %c at %p heads(4, 2)
         : tensor<1x1x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x1x16xf32>
  return %w, %o : tensor<1x4x8xf32>, tensor<1x1x16xf32>
})mlir";
  std::vector<Tensor> inputs = {noise({1, 1, 16}, 3), noise({1, 4, 8}, 4),
                                noise({1, 2, 8}, 5), index(3)};
  message = runError(cache, inputs);
  EXPECT_NE(message.find("accel.kv_cache_write: row 1: key position 4 goes "
                         "to slot 4, outside the cache of 4 slots"),
            std::string::npos)
      << message;
  inputs[3] = index(-1);
  message = runError(cache, inputs);
  EXPECT_NE(message.find("accel.kv_cache_write: the position is -1, must be "
                         ">= 0"),
            std::string::npos)
      << message;

  // The cache read: position 4 of a plain cache of 4 slots.
  message = runError(R"mlir(
func.func @f(%q: tensor<1x1x16xf32>, %c: tensor<1x4x8xf32>, %p: index) -> tensor<1x1x16xf32> {
  %o = accel.cache_attention %q, %c, %c at %p heads(4, 2)
         : tensor<1x1x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x1x16xf32>
  return %o : tensor<1x1x16xf32>
})mlir",
                     {noise({1, 1, 16}, 3), noise({1, 4, 8}, 4), index(4)});
  EXPECT_NE(message.find("accel.cache_attention: query position 4: key "
                         "position 4 goes to slot 4, outside the cache of 4 "
                         "slots"),
            std::string::npos)
      << message;
}

} // namespace
