//===- Quantize.cpp - accel-quantize: W·A8·KV quantization ----------------===//
//
// Quantizes constant linear weights group-wise (docs/NUMERICS.md §2, by
// round-to-nearest or by GPTQ over calibration activations), requests 8-bit
// per-token activation quantization, and sets the KV-cache quantization of
// attention ops.
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"
#include "RoundToNearest.h"

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/IntElements.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Parallel.h"

#include <cmath>

namespace accel {
#define GEN_PASS_DEF_QUANTIZE
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::compression;

namespace {

/// The quantized form of one [N, K] weight.
struct Quantized {
  Quantized() = default;
  Quantized(int64_t rows, int64_t cols, int64_t group, unsigned bits)
      : bits(bits), packed(allocatePackedInts(rows * cols, bits)),
        scales(rows * (cols / group)), zeros(rows * (cols / group)) {}
  /// The packed values' bytes.
  uint8_t *bytes() {
    return reinterpret_cast<uint8_t *>(packed.getMutableData().data());
  }
  /// Sets element `index` (zero until then) to the low B bits of `q`.
  void set(uint64_t index, int64_t q) {
    uint64_t bit = index * bits, value = uint64_t(q) & ((1u << bits) - 1);
    bytes()[bit / 8] |= uint8_t(value << (bit % 8));
    if (bit % 8 + bits > 8)
      bytes()[bit / 8 + 1] |= uint8_t(value >> (8 - bit % 8));
  }
  unsigned bits = 0;           ///< B <= 8
  /// [N, K], the low B bits packed (IntElements.h): the blob of the
  /// quantized constant.
  AsmResourceBlob packed;
  std::vector<float> scales;   ///< [N, K/G], fp16 values
  std::vector<int64_t> zeros;  ///< [N, K/G]
};

/// Weights read as floats at a time by round-to-nearest.
constexpr int64_t kBandElements = int64_t(1) << 22;
/// Rows quantized and packed together: 8 rows of B-bit values end on a byte.
constexpr int64_t kRowBlock = 8;

/// Round-to-nearest, NUMERICS §2, of `w`'s rows into rows [first, first +
/// w.rows) of `out` (sized for the whole weight; `first` a multiple of
/// kRowBlock), blocks of rows spread over threads.
void quantizeRTN(const FloatWeight &w, int64_t group, unsigned bits,
                 bool symmetric, Quantized &out, int64_t first) {
  int64_t groups = w.cols / group;
  int64_t blocks = (w.rows + kRowBlock - 1) / kRowBlock;
  llvm::parallelFor(0, blocks, [&](int64_t block) {
    int64_t r0 = block * kRowBlock, rows = std::min(kRowBlock, w.rows - r0);
    std::vector<uint8_t> q(rows * w.cols);
    for (int64_t r = r0; r < r0 + rows; ++r) {
      int64_t n = first + r;
      for (int64_t g = 0; g < groups; ++g) {
        GroupParams params = quantizeGroup(
            ArrayRef<float>(&w.values[r * w.cols + g * group], group), bits,
            symmetric, &q[(r - r0) * w.cols + g * group]);
        out.scales[n * groups + g] = params.scale;
        out.zeros[n * groups + g] = params.zeroPoint;
      }
    }
    packIntFields(q.data(), q.size(), bits,
                  out.bytes() + (first + r0) * w.cols * bits / 8);
  });
}

/// In-place Cholesky factorisation A = L L^T (lower, row-major K x K).
bool cholesky(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (int64_t p = 0; p < j; ++p)
      d -= a[j * k + p] * a[j * k + p];
    if (!(d > 0.0))
      return false;
    d = std::sqrt(d);
    a[j * k + j] = d;
    for (int64_t i = j + 1; i < k; ++i) {
      double s = a[i * k + j];
      for (int64_t p = 0; p < j; ++p)
        s -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = s / d;
    }
    for (int64_t i = 0; i < j; ++i)
      a[i * k + j] = 0.0;
  }
  return true;
}

/// GPTQ: quantize columns in ascending k, feeding each column's error into
/// the columns not yet quantized through the upper Cholesky factor of H^-1.
/// Group parameters follow §2 on the error-compensated weights of the group.
/// `pruned` marks the weights that must stay exactly 0.
std::optional<Quantized> quantizeGPTQ(const FloatWeight &w,
                                      std::vector<double> hessian,
                                      const std::vector<bool> &pruned,
                                      int64_t group, unsigned bits,
                                      bool symmetric) {
  int64_t k = w.cols, rows = w.rows, groups = k / group;
  // Dead inputs carry no information: give them a unit diagonal.
  double mean = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    if (hessian[i * k + i] == 0.0)
      hessian[i * k + i] = 1.0;
    mean += hessian[i * k + i];
  }
  mean /= double(k);
  for (int64_t i = 0; i < k; ++i)
    hessian[i * k + i] += 0.01 * mean;
  // H^-1 = L^-T L^-1, then its upper Cholesky factor U (H^-1 = U^T U).
  std::vector<double> l = hessian;
  if (!cholesky(l, k))
    return std::nullopt;
  std::vector<double> linv(k * k, 0.0); // L^-1, lower
  for (int64_t j = 0; j < k; ++j) {
    linv[j * k + j] = 1.0 / l[j * k + j];
    for (int64_t i = j + 1; i < k; ++i) {
      double s = 0.0;
      for (int64_t p = j; p < i; ++p)
        s += l[i * k + p] * linv[p * k + j];
      linv[i * k + j] = -s / l[i * k + i];
    }
  }
  std::vector<double> hinv(k * k, 0.0); // L^-T L^-1
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0.0;
      for (int64_t p = i; p < k; ++p)
        s += linv[p * k + i] * linv[p * k + j];
      hinv[i * k + j] = hinv[j * k + i] = s;
    }
  if (!cholesky(hinv, k))
    return std::nullopt;
  // U = L'^T where hinv now holds L' (lower).
  auto u = [&](int64_t i, int64_t j) { return hinv[j * k + i]; };

  std::vector<double> work(w.values.begin(), w.values.end());
  Quantized out(rows, k, group, bits);
  std::vector<float> groupValues(group);
  for (int64_t col = 0; col < k; ++col) {
    int64_t g = col / group;
    if (col % group == 0)
      for (int64_t n = 0; n < rows; ++n) {
        for (int64_t j = 0; j < group; ++j) {
          int64_t idx = n * k + col + j;
          groupValues[j] = pruned[idx] ? 0.0f : static_cast<float>(work[idx]);
        }
        GroupParams params = groupParams(groupValues, bits, symmetric);
        out.scales[n * groups + g] = params.scale;
        out.zeros[n * groups + g] = params.zeroPoint;
      }
    double d = u(col, col);
    for (int64_t n = 0; n < rows; ++n) {
      int64_t idx = n * k + col;
      GroupParams params{out.scales[n * groups + g],
                         symmetric ? 0 : int32_t(out.zeros[n * groups + g])};
      double value = work[idx];
      int64_t q;
      double deq;
      if (pruned[idx]) {
        q = params.zeroPoint;
        deq = 0.0;
      } else {
        q = quantizeValue(static_cast<float>(value), params, bits, symmetric);
        deq = dequantize(q, params);
      }
      out.set(idx, q);
      double err = (value - deq) / d;
      for (int64_t j = col + 1; j < k; ++j)
        work[n * k + j] -= err * u(col, j);
    }
  }
  return out;
}

struct QuantizePass : public accel::impl::QuantizeBase<QuantizePass> {
  using QuantizeBase::QuantizeBase;

  unsigned wBits = 0, kvBits = 0;
  bool actQuant = false;
  std::shared_ptr<OpSelector> selector, headSelector, layerSelector,
      pruneSelector;
  std::shared_ptr<std::vector<std::vector<int64_t>>> tokens;

  LogicalResult initialize(MLIRContext *context) override {
    auto fail = [&](const Twine &message) {
      return emitError(UnknownLoc::get(context))
             << "accel-quantize: " << message;
    };
    if (scheme == "w2a8kv4") {
      wBits = 2, kvBits = 4, actQuant = true;
    } else if (scheme == "w4a8kv4") {
      wBits = 4, kvBits = 4, actQuant = true;
    } else if (scheme == "w8a8kv8") {
      wBits = 8, kvBits = 8, actQuant = true;
    } else if (scheme == "none") {
      wBits = 0, kvBits = 0, actQuant = false;
    } else {
      return fail("unknown scheme '" + scheme +
                  "' (expected w2a8kv4, w4a8kv4, w8a8kv8 or none)");
    }
    for (auto [bits, name] : {std::pair(unsigned(weightBits), "weight-bits"),
                              std::pair(unsigned(headBits), "head-bits")})
      if (bits != 0 && bits != 2 && bits != 3 && bits != 4 && bits != 8)
        return fail(Twine(name) + " must be 2, 3, 4 or 8, got " + Twine(bits));
    if (weightBits != 0)
      wBits = weightBits;
    if (group < 0)
      return fail("group must be >= 0 (0: per channel), got " + Twine(group));
    if (kvGroup < -1)
      return fail("kv-group must be >= 0, or -1 for the head dim, got " +
                  Twine(kvGroup));
    if (method != "rtn" && method != "calibrated")
      return fail("unknown method '" + method +
                  "' (expected rtn or calibrated)");
    if (method == "calibrated" && calibration.empty())
      return fail("method=calibrated needs calibration=<token file>");
    if (pruneN != 0 || pruneM != 0) {
      if (pruneM != 4 && pruneM != 8 && pruneM != 16)
        return fail("prune-m must be 4, 8 or 16, got " + Twine(pruneM));
      if (pruneN < 1 || pruneN > pruneM)
        return fail("prune-n must be in [1, prune-m], got " + Twine(pruneN));
      // GPTQ's Hessians are those of the pruned model's inputs.
      if (method != "rtn")
        return fail("prune-n/prune-m need method=rtn (run accel-prune "
                    "before a calibrated quantization)");
    }
    std::string error;
    FailureOr<OpSelector> sel = OpSelector::create(layers, exclude, error);
    if (failed(sel))
      return fail(error);
    selector = std::make_shared<OpSelector>(*sel);
    FailureOr<OpSelector> headSel = OpSelector::create(head, "", error);
    FailureOr<OpSelector> layerSel = OpSelector::create(layers, "", error);
    if (failed(headSel) || failed(layerSel))
      return fail(error);
    headSelector = std::make_shared<OpSelector>(*headSel);
    layerSelector = std::make_shared<OpSelector>(*layerSel);
    FailureOr<OpSelector> pruneSel =
        OpSelector::create(layers, pruneExclude, error);
    if (failed(pruneSel))
      return fail(error);
    pruneSelector = std::make_shared<OpSelector>(*pruneSel);
    if (method == "calibrated" && (wBits != 0 || headBits != 0)) {
      auto read = readCalibrationTokens(calibration, error);
      if (failed(read))
        return fail(error);
      tokens = std::make_shared<std::vector<std::vector<int64_t>>>(
          std::move(*read));
    }
    return success();
  }

  /// True if `op` (of K = `cols`) is pruned before it is quantized: the
  /// linears accel-prune{n=prune-n m=prune-m exclude=prune-exclude} prunes
  /// (with accel-prune's warning when M does not divide K).
  bool prunes(LinearOp op, int64_t cols) {
    if (pruneM == 0 || !pruneSelector->selects(op))
      return false;
    if (cols % pruneM == 0)
      return true;
    op.emitWarning() << "accel-prune: M = " << unsigned(pruneM)
                     << " does not divide K = " << cols << "; left dense";
    return false;
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    MLIRContext *context = &getContext();

    if (kvBits != 0)
      fn.walk([&](AttentionOp op) {
        if (!selector->selects(op))
          return;
        int64_t headDim = op.getHeadDim();
        int64_t g = kvGroup < 0 ? headDim : kvGroup;
        if (g == headDim && !ShapedType::isDynamic(headDim))
          g = headDim; // one scale per token and head
        if (g > 0 && !ShapedType::isDynamic(headDim) && headDim % g != 0) {
          op.emitWarning() << "accel-quantize: KV group " << g
                           << " does not divide the head dim " << headDim
                           << "; KV cache left fp32";
          return;
        }
        op.setKvQuantAttr(QuantAttr::get(context, kvBits,
                                         ShapedType::isDynamic(g) ? 0 : g,
                                         /*symmetric=*/false));
      });
    if (wBits == 0 && headBits == 0)
      return;

    // The weights are read one at a time below: a model's float weights
    // are never all in memory at once.
    struct Target {
      LinearOp op;
      int64_t cols;
      int64_t group;
      unsigned bits;
    };
    std::vector<Target> targets;
    fn.walk([&](LinearOp op) {
      // The head at head-bits (excluded or not), the others at wBits.
      if (!layerSelector->selects(op))
        return;
      unsigned bits = headBits != 0 && !head.empty() && headSelector->selects(op)
                          ? unsigned(headBits)
                      : selector->selects(op) ? wBits
                                              : 0;
      if (bits == 0)
        return;
      if (isa<IntegerType>(op.getWeight().getType().getElementType()))
        return; // already quantized
      if (!hasFloatConstantWeight(op)) {
        op.emitWarning("accel-quantize: the weight is not a constant; left "
                       "float");
        return;
      }
      int64_t cols = op.getInFeatures();
      int64_t g = group == 0 ? cols : int64_t(group);
      if (cols % g != 0) {
        op.emitWarning() << "accel-quantize: group " << g
                         << " does not divide K = " << cols << "; left float";
        return;
      }
      targets.push_back({op, cols, g, bits});
    });
    if (targets.empty())
      return;

    // GPTQ's Hessians, H = 2/n X^T X, from the inputs as they are.
    std::vector<std::vector<double>> hessians;
    if (method == "calibrated") {
      SmallVector<LinearOp> probes;
      std::vector<int64_t> counts(targets.size(), 0);
      hessians.resize(targets.size());
      for (auto [i, t] : llvm::enumerate(targets)) {
        probes.push_back(t.op);
        hessians[i].assign(t.cols * t.cols, 0.0);
      }
      std::string error;
      if (failed(collectLinearInputs(
              fn, probes, *tokens,
              [&](size_t i, const reference::Tensor &x) {
                int64_t k = targets[i].cols;
                std::vector<double> &h = hessians[i];
                ArrayRef<float> v = x.getFloats();
                for (size_t row = 0; row + k <= v.size(); row += k) {
                  for (int64_t a = 0; a < k; ++a) {
                    double xa = v[row + a];
                    if (xa == 0.0)
                      continue;
                    for (int64_t b = 0; b <= a; ++b)
                      h[a * k + b] += xa * double(v[row + b]);
                  }
                  ++counts[i];
                }
              },
              error))) {
        fn.emitError("accel-quantize: ") << error;
        return signalPassFailure();
      }
      for (auto [i, h] : llvm::enumerate(hessians)) {
        int64_t k = targets[i].cols;
        double f = counts[i] ? 2.0 / double(counts[i]) : 0.0;
        for (int64_t a = 0; a < k; ++a)
          for (int64_t b = 0; b <= a; ++b)
            h[a * k + b] = h[b * k + a] = h[a * k + b] * f;
      }
    }

    auto actAttr = actQuant ? QuantAttr::get(context, 8, 0, true) : QuantAttr();
    for (auto [index, target] : llvm::enumerate(targets)) {
      LinearOp op = target.op;
      // Round-to-nearest reads the weight a band of rows at a time (a 7B
      // model's LM head is 0.5 GB of floats); GPTQ needs it whole.
      bool gptq = method == "calibrated";
      int64_t rows = op.getOutFeatures();
      int64_t band =
          gptq ? rows
               : std::max<int64_t>(1, kBandElements /
                                          std::max<int64_t>(1, target.cols) /
                                          kRowBlock) *
                     kRowBlock;
      bool pruneIt = prunes(op, target.cols);
      FloatWeight w;
      std::optional<Quantized> quantized;
      for (int64_t first = 0; first < rows; first += band) {
        FailureOr<FloatWeight> part =
            readFloatRows(op, first, std::min(rows, first + band));
        if (failed(part))
          break;
        if (pruneIt)
          pruneByMagnitude(*part, pruneN, pruneM);
        if (gptq) {
          w = std::move(*part);
          break;
        }
        if (!quantized)
          quantized =
              Quantized(rows, target.cols, target.group, target.bits);
        quantizeRTN(*part, target.group, target.bits, symmetric, *quantized,
                    first);
        w.constant = part->constant;
        w.name = part->name;
      }
      if (!w.constant) {
        op.emitWarning("accel-quantize: the weight is not a constant; left "
                       "float");
        continue;
      }
      w.rows = rows;
      w.cols = target.cols;
      SparsityAttr sparsity = op.getSparsityAttr();
      if (pruneIt) {
        sparsity = SparsityAttr::get(context, pruneN, pruneM);
        if (w.name.empty())
          w.name = "pruned";
      }
      bool sparse = sparsity && !sparsity.isDense();
      if (gptq) {
        std::vector<bool> pruned(w.values.size(), false);
        if (sparse)
          for (size_t i = 0; i < pruned.size(); ++i)
            pruned[i] = w.values[i] == 0.0f;
        quantized = quantizeGPTQ(w, std::move(hessians[index]), pruned,
                                 target.group, target.bits, symmetric);
        if (!quantized) {
          op.emitWarning("accel-quantize: the calibration Hessian is not "
                         "positive definite; round-to-nearest used");
          quantized =
              Quantized(rows, target.cols, target.group, target.bits);
          quantizeRTN(w, target.group, target.bits, symmetric, *quantized, 0);
        }
      }

      OpBuilder builder(op);
      int64_t groups = w.cols / target.group;
      auto intType = builder.getIntegerType(target.bits);
      auto qType = RankedTensorType::get({w.rows, w.cols}, intType);
      auto sType = RankedTensorType::get({w.rows, groups}, builder.getF16Type());
      std::string base = w.name.empty() ? "weight" : w.name;
      auto constant = [&](Type type, ElementsAttr attr, StringRef suffix) {
        return builder.create<arith::ConstantOp>(
            NameLoc::get(builder.getStringAttr(base + suffix)), type,
            cast<TypedAttr>(attr));
      };
      Value q = constant(
          qType,
          makePackedIntElements(qType, std::move(quantized->packed),
                                base + ".q"),
          ".q");
      Value scales = constant(
          sType, makeFloatElements(sType, quantized->scales, base + ".scales"),
          ".scales");
      Value zeros;
      if (!symmetric)
        zeros = constant(sType.clone(intType),
                         makeIntElements(
                             sType.clone(intType),
                             [&](uint64_t i) {
                               return uint64_t(quantized->zeros[i]);
                             },
                             base + ".zero_points"),
                         ".zero_points");
      auto quant = QuantAttr::get(
          context, target.bits, group == 0 ? 0 : target.group, symmetric);
      auto replacement = builder.create<LinearOp>(
          op.getLoc(), op.getResult().getType(), op.getInput(), q, scales,
          zeros, op.getBias(), quant, actAttr ? actAttr : op.getActQuantAttr(),
          sparsity, /*transposed_weight=*/UnitAttr());
      op.getResult().replaceAllUsesWith(replacement.getResult());
      op.erase();
      eraseIfDead(w.constant);
    }
  }
};

} // namespace
