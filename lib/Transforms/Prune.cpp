//===- Prune.cpp - accel-prune: N:M semi-structured sparsity --------------===//
//
// Prunes constant linear weights to N:M sparsity along K (docs/NUMERICS.md
// §3) by magnitude, by Wanda's |w| * ||X_k|| over calibration tokens, or by
// user masks.
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Dialect/ONNX/ONNXDialect.h"
#include "accel/Frontend/ONNXImport.h"
#include "accel/Reference/Executor.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <mutex>

namespace accel {
#define GEN_PASS_DEF_PRUNE
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::compression;

namespace {

std::mutex reportMutex;

struct PrunePass : public accel::impl::PruneBase<PrunePass> {
  using PruneBase::PruneBase;

  LogicalResult initialize(MLIRContext *context) override {
    auto fail = [&](const Twine &message) {
      return emitError(UnknownLoc::get(context)) << "accel-prune: " << message;
    };
    if (m != 4 && m != 8 && m != 16)
      return fail("N:M sparsity needs M in {4, 8, 16}, got m=" + Twine(m));
    if (n < 1 || n > m)
      return fail("N:M sparsity needs 1 <= N <= M, got " + Twine(n) + ":" +
                  Twine(m));
    if (criterion != "magnitude" && criterion != "wanda")
      return fail("unknown criterion '" + criterion +
                  "' (expected magnitude or wanda)");
    if (criterion == "wanda" && calibration.empty())
      return fail("criterion=wanda needs calibration=<token file>");
    std::string error;
    FailureOr<OpSelector> sel = OpSelector::create(layers, exclude, error);
    if (failed(sel))
      return fail(error);
    selector = std::make_shared<OpSelector>(*sel);
    if (criterion == "wanda") {
      auto read = readCalibrationTokens(calibration, error);
      if (failed(read))
        return fail(error);
      tokens = std::make_shared<std::vector<std::vector<int64_t>>>(
          std::move(*read));
    }
    if (!masks.empty() && failed(loadMasks(context)))
      return failure();
    if (!report.empty() && report != "-")
      reportSoFar =
          std::make_shared<std::string>("# layer\tweight\tkept\tcriterion\n");
    return success();
  }

  LogicalResult loadMasks(MLIRContext *context) {
    ONNXImportOptions options;
    options.inferShapes = false;
    OwningOpRef<ModuleOp> module;
    if (StringRef(masks).ends_with(".onnxtxt")) {
      auto file = llvm::MemoryBuffer::getFile(masks);
      if (file) {
        StringRef dir = llvm::sys::path::parent_path(masks);
        module = importONNXText(*context, (*file)->getBuffer(), masks,
                                dir.empty() ? "." : dir, options);
      }
    } else {
      module = importONNXFile(*context, masks, options);
    }
    if (!module)
      return emitError(UnknownLoc::get(context))
             << "accel-prune: cannot read masks from '" << masks << "'";
    maskTensors = std::make_shared<llvm::StringMap<reference::Tensor>>();
    WalkResult walk = module->walk([&](arith::ConstantOp constant) {
      std::string name = locationName(constant.getLoc());
      llvm::Expected<reference::Tensor> tensor =
          reference::fromAttribute(constant.getValue());
      if (!tensor) {
        emitError(UnknownLoc::get(context))
            << "accel-prune: mask '" << name
            << "': " << llvm::toString(tensor.takeError());
        return WalkResult::interrupt();
      }
      if (tensor->isFloat()) {
        emitError(UnknownLoc::get(context))
            << "accel-prune: mask '" << name << "' must be bool or uint8, got "
            << reference::dtypeName(tensor->getDType());
        return WalkResult::interrupt();
      }
      maskTensors->insert({name, std::move(*tensor)});
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    MLIRContext *context = &getContext();
    // The weights are read one at a time below: a model's float weights
    // are never all in memory at once.
    struct Target {
      LinearOp op;
      int64_t cols;
    };
    std::vector<Target> targets;
    fn.walk([&](LinearOp op) {
      if (!selector->selects(op))
        return;
      if (!hasFloatConstantWeight(op)) {
        if (isa<FloatType>(op.getWeight().getType().getElementType()))
          op.emitWarning("accel-prune: the weight is not a constant; left "
                         "dense");
        return;
      }
      int64_t cols = op.getInFeatures();
      if (cols % m != 0) {
        op.emitWarning() << "accel-prune: M = " << unsigned(m)
                         << " does not divide K = " << cols << "; left dense";
        return;
      }
      targets.push_back({op, cols});
    });
    if (targets.empty())
      return writeReport(fn, "");

    // Wanda: ||X_k||_2 over all calibration tokens, per linear.
    std::vector<std::vector<double>> norms;
    if (criterion == "wanda") {
      SmallVector<LinearOp> probes;
      for (Target &t : targets)
        probes.push_back(t.op);
      norms.resize(targets.size());
      for (size_t i = 0; i < targets.size(); ++i)
        norms[i].assign(targets[i].cols, 0.0);
      std::string error;
      if (failed(collectLinearInputs(
              fn, probes, *tokens,
              [&](size_t i, const reference::Tensor &x) {
                std::vector<double> &sum = norms[i];
                int64_t k = sum.size();
                ArrayRef<float> values = x.getFloats();
                for (size_t e = 0; e < values.size(); ++e)
                  sum[e % k] += double(values[e]) * double(values[e]);
              },
              error))) {
        fn.emitError("accel-prune: ") << error;
        return signalPassFailure();
      }
      for (std::vector<double> &sum : norms)
        for (double &v : sum)
          v = std::sqrt(v);
    }

    std::string reportText;
    llvm::raw_string_ostream reportStream(reportText);
    auto sparsity = SparsityAttr::get(context, n, m);
    for (auto [index, target] : llvm::enumerate(targets)) {
      FailureOr<FloatWeight> weight = readFloatWeight(target.op);
      if (failed(weight)) {
        target.op.emitWarning("accel-prune: the weight is not a constant; "
                              "left dense");
        continue;
      }
      FloatWeight &w = *weight;
      std::vector<uint8_t> keep;
      std::string used = criterion;
      const reference::Tensor *mask = nullptr;
      if (maskTensors) {
        auto it = maskTensors->find(w.name);
        if (it != maskTensors->end())
          mask = &it->second;
      }
      if (mask) {
        auto storedShape = target.op.getWeight().getType().getShape();
        if (mask->getShape() != storedShape) {
          target.op.emitError()
              << "accel-prune: mask '" << w.name << "' has shape "
              << llvm::join(llvm::map_range(mask->getShape(),
                                            [](int64_t d) {
                                              return std::to_string(d);
                                            }),
                            "x")
              << ", the weight is " << storedShape[0] << "x" << storedShape[1];
          return signalPassFailure();
        }
        keep.assign(w.rows * w.cols, 0);
        for (int64_t i = 0, e = mask->getNumElements(); i < e; ++i)
          keep[w.logicalIndex(i)] = mask->getInt(i) != 0;
        for (int64_t r = 0; r < w.rows; ++r)
          for (int64_t g = 0; g < w.cols; g += m) {
            unsigned kept = 0;
            for (unsigned j = 0; j < m; ++j)
              kept += keep[r * w.cols + g + j];
            if (kept > n) {
              target.op.emitError()
                  << "accel-prune: mask '" << w.name << "' keeps " << kept
                  << " of the " << unsigned(m) << " weights at row " << r << ", k = "
                  << g << ".." << g + m - 1 << " (at most " << unsigned(n) << ":" << unsigned(m)
                  << ")";
              return signalPassFailure();
            }
          }
        used = "mask";
      } else if (criterion == "wanda") {
        const std::vector<double> &norm = norms[index];
        keep = selectNM(w.rows, w.cols, n, m, [&](int64_t r, int64_t k) {
          return std::fabs(double(w.at(r, k))) * norm[k];
        });
      } else {
        keep = selectNMByMagnitude(w, n, m);
      }

      // The pruned weight, in the stored layout and element type.
      auto type = target.op.getWeight().getType();
      std::vector<float> stored =
          storedValues(w, [&](int64_t i, float v) { return keep[i] ? v : 0.0f; });
      int64_t kept = std::count(keep.begin(), keep.end(), 1);
      keep.clear();
      keep.shrink_to_fit();
      OpBuilder builder(target.op);
      ElementsAttr attr = makeFloatElements(type, stored, w.name + ".pruned");
      Location loc = NameLoc::get(
          builder.getStringAttr(w.name.empty() ? "pruned" : w.name));
      auto constant = builder.create<arith::ConstantOp>(loc, type,
                                                        cast<TypedAttr>(attr));
      target.op.getWeightMutable().assign(constant);
      target.op.setSparsityAttr(sparsity);
      eraseIfDead(w.constant);

      std::string name = locationName(target.op.getLoc());
      reportStream << (name.empty() ? "<unknown>" : name) << "\t"
                   << type.getDimSize(0) << "x" << type.getDimSize(1) << "\t"
                   << llvm::formatv("{0:F4}", double(kept) /
                                                  double(w.rows * w.cols))
                   << "\t" << used << "\n";
    }

    writeReport(fn, reportText);
  }

  /// Adds a function's report lines: to standard output, or to the report
  /// so far, written whole to a temporary file renamed over `report` (never
  /// a half-written or stale report).
  void writeReport(func::FuncOp fn, StringRef lines) {
    if (report.empty())
      return;
    std::lock_guard<std::mutex> lock(reportMutex);
    if (report == "-") {
      llvm::outs() << lines;
      llvm::outs().flush();
      return;
    }
    *reportSoFar += lines;
    if (llvm::Error err =
            llvm::writeToOutput(report, [&](llvm::raw_ostream &os) {
              os << *reportSoFar;
              return llvm::Error::success();
            })) {
      fn.emitError("accel-prune: cannot write report '")
          << report << "': " << llvm::toString(std::move(err));
      signalPassFailure();
    }
  }

  std::shared_ptr<OpSelector> selector;
  std::shared_ptr<std::vector<std::vector<int64_t>>> tokens;
  std::shared_ptr<llvm::StringMap<reference::Tensor>> maskTensors;
  /// The report file's text so far (its header, then each function's lines).
  std::shared_ptr<std::string> reportSoFar;
};

} // namespace
