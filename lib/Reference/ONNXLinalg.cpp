//===- ONNXLinalg.cpp - MatMul, Gemm and Einsum of ONNX -------------------===//
//
// Products accumulate in double (int64 for integer operands), summing over
// the contracted index in increasing order, and round once to the result
// type.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace accel::reference;
using namespace accel::reference::detail;

static std::vector<double> toDoubles(const Tensor &t) {
  std::vector<double> values(t.getNumElements());
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
    values[i] = t.getDouble(i);
  return values;
}

static Results matMul(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  const Tensor &a = *ctx.input(0), &b = *ctx.input(1);
  if (llvm::Error error = requireSameDType(a, b))
    return std::move(error);
  if (a.getRank() == 0 || b.getRank() == 0)
    return fail("operands must have rank >= 1");
  // numpy.matmul: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; the
  // added dimension is dropped from the result.
  llvm::SmallVector<int64_t> aShape(a.getShape()), bShape(b.getShape());
  if (a.getRank() == 1)
    aShape.insert(aShape.begin(), 1);
  if (b.getRank() == 1)
    bShape.push_back(1);
  int64_t m = aShape[aShape.size() - 2], k = aShape.back();
  int64_t n = bShape.back();
  if (bShape[bShape.size() - 2] != k)
    return fail("cannot multiply " + formatShape(a.getShape()) + " by " +
                formatShape(b.getShape()) + ": inner dimensions differ");
  llvm::ArrayRef<int64_t> aBatch = llvm::ArrayRef(aShape).drop_back(2);
  llvm::ArrayRef<int64_t> bBatch = llvm::ArrayRef(bShape).drop_back(2);
  llvm::Expected<llvm::SmallVector<int64_t>> batch =
      broadcastShapes({aBatch, bBatch});
  if (!batch)
    return batch.takeError();
  llvm::SmallVector<int64_t> shape(*batch);
  if (a.getRank() != 1)
    shape.push_back(m);
  if (b.getRank() != 1)
    shape.push_back(n);
  llvm::Expected<Tensor> result = allocate(a.getDType(), shape);
  if (!result)
    return result.takeError();
  int64_t batches = countElements(*batch).value_or(0);
  BroadcastWalker walker(*batch, {aBatch, bBatch});
  bool integer = !a.isFloat();
  std::vector<double> aValues = toDoubles(a), bValues = toDoubles(b);
  std::vector<double> rowF(n);
  std::vector<int64_t> rowI(n);
  for (int64_t batchIndex = 0; batchIndex < batches;
       ++batchIndex, walker.next()) {
    int64_t aBase = walker.offset(0) * m * k, bBase = walker.offset(1) * k * n;
    int64_t outBase = batchIndex * m * n;
    for (int64_t i = 0; i < m; ++i) {
      std::fill(rowF.begin(), rowF.end(), 0.0);
      std::fill(rowI.begin(), rowI.end(), 0);
      for (int64_t p = 0; p < k; ++p) {
        int64_t aIndex = aBase + i * k + p, bRow = bBase + p * n;
        if (integer) {
          int64_t av = a.getInt(aIndex);
          for (int64_t j = 0; j < n; ++j)
            rowI[j] += av * b.getInt(bRow + j);
        } else {
          double av = aValues[aIndex];
          for (int64_t j = 0; j < n; ++j)
            rowF[j] += av * bValues[bRow + j];
        }
      }
      for (int64_t j = 0; j < n; ++j) {
        if (integer)
          result->setInt(outBase + i * n + j, rowI[j]);
        else
          result->setDouble(outBase + i * n + j, rowF[j]);
      }
    }
  }
  return single(std::move(*result));
}

static Results gemm(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  const Tensor &a = *ctx.input(0), &b = *ctx.input(1);
  const Tensor *c = ctx.input(2);
  if (a.getRank() != 2 || b.getRank() != 2)
    return fail("A and B must be 2-D, got " + formatShape(a.getShape()) +
                " and " + formatShape(b.getShape()));
  bool transA = ctx.intAttr("transA", 0) != 0;
  bool transB = ctx.intAttr("transB", 0) != 0;
  double alpha = ctx.floatAttr("alpha", 1.0f), beta = ctx.floatAttr("beta", 1.0f);
  int64_t m = transA ? a.getDim(1) : a.getDim(0);
  int64_t k = transA ? a.getDim(0) : a.getDim(1);
  int64_t kb = transB ? b.getDim(1) : b.getDim(0);
  int64_t n = transB ? b.getDim(0) : b.getDim(1);
  if (k != kb)
    return fail("inner dimensions of A " + formatShape(a.getShape()) +
                " and B " + formatShape(b.getShape()) + " differ");
  llvm::SmallVector<int64_t> shape{m, n};
  if (c) {
    auto broadcast = broadcastShapes({shape, c->getShape()});
    if (!broadcast)
      return broadcast.takeError();
    if (llvm::ArrayRef<int64_t>(*broadcast) != llvm::ArrayRef<int64_t>(shape))
      return fail("C " + formatShape(c->getShape()) +
                  " does not broadcast to " + formatShape(shape));
  }
  llvm::Expected<Tensor> result = allocate(a.getDType(), shape);
  if (!result)
    return result.takeError();
  std::vector<double> aValues = toDoubles(a), bValues = toDoubles(b);
  BroadcastWalker walker(shape, {c ? c->getShape() : llvm::ArrayRef<int64_t>()});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j, walker.next()) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p)
        sum += aValues[transA ? p * m + i : i * k + p] *
               bValues[transB ? j * k + p : p * n + j];
      double v = alpha * sum;
      if (c)
        v += beta * c->getDouble(walker.offset(0));
      result->setDouble(i * n + j, v);
    }
  return single(std::move(*result));
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {
/// A parsed einsum equation: each operand's labels per dimension and the
/// output's labels. Letters are labels 0-51; the dimensions an ellipsis
/// stands for get labels from 52 on, aligned from the right.
struct EinsumSpec {
  llvm::SmallVector<llvm::SmallVector<int>> operands;
  llvm::SmallVector<int> output;
};
} // namespace

static int letterLabel(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return 26 + (c - 'a');
  return -1;
}

/// Parses one term; `rank` is its operand's rank (or -1 for the output,
/// whose ellipsis covers `ellipsisRank` dimensions).
static llvm::Expected<llvm::SmallVector<int>>
parseTerm(llvm::StringRef term, int64_t rank, int64_t ellipsisRank) {
  llvm::SmallVector<int> labels;
  size_t dots = term.find("...");
  llvm::StringRef before = term, after;
  if (dots != llvm::StringRef::npos) {
    before = term.take_front(dots);
    after = term.drop_front(dots + 3);
  }
  int64_t letters = static_cast<int64_t>(before.size() + after.size());
  int64_t covered = rank < 0 ? ellipsisRank : rank - letters;
  if (dots == llvm::StringRef::npos && rank >= 0 && letters != rank)
    return fail("term '" + term + "' does not fit an operand of rank " +
                llvm::Twine(rank));
  if (covered < 0)
    return fail("term '" + term + "' has more labels than its operand");
  for (char c : before) {
    if (letterLabel(c) < 0)
      return fail("bad character '" + llvm::Twine(c) + "' in '" + term + "'");
    labels.push_back(letterLabel(c));
  }
  if (dots != llvm::StringRef::npos)
    for (int64_t i = 0; i < covered; ++i)
      labels.push_back(52 + static_cast<int>(ellipsisRank - covered + i));
  for (char c : after) {
    if (letterLabel(c) < 0)
      return fail("bad character '" + llvm::Twine(c) + "' in '" + term + "'");
    labels.push_back(letterLabel(c));
  }
  return labels;
}

static llvm::Expected<EinsumSpec>
parseEinsum(llvm::StringRef equation,
            llvm::ArrayRef<const Tensor *> inputs) {
  std::string compact;
  for (char c : equation)
    if (c != ' ')
      compact.push_back(c);
  llvm::StringRef text = compact;
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = text.contains("->");
  llvm::SmallVector<llvm::StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != inputs.size())
    return fail("equation '" + equation + "' has " +
                llvm::Twine(terms.size()) + " terms for " +
                llvm::Twine(inputs.size()) + " inputs");
  int64_t ellipsisRank = 0;
  for (auto [term, input] : llvm::zip(terms, inputs))
    if (term.contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank,
          input->getRank() - static_cast<int64_t>(term.size() - 3));
  EinsumSpec spec;
  for (auto [term, input] : llvm::zip(terms, inputs)) {
    auto labels = parseTerm(term, input->getRank(), ellipsisRank);
    if (!labels)
      return labels.takeError();
    spec.operands.push_back(std::move(*labels));
  }
  if (explicitOutput) {
    auto labels = parseTerm(rhs, -1, ellipsisRank);
    if (!labels)
      return labels.takeError();
    spec.output = std::move(*labels);
    return spec;
  }
  // Implicit output: the ellipsis dimensions, then the letters that occur
  // once, in alphabetical order (upper case first).
  std::map<int, int> occurrences;
  for (const auto &labels : spec.operands)
    for (int label : labels)
      ++occurrences[label];
  for (int64_t i = 0; i < ellipsisRank; ++i)
    spec.output.push_back(52 + static_cast<int>(i));
  for (auto [label, count] : occurrences)
    if (label < 52 && count == 1)
      spec.output.push_back(label);
  return spec;
}

static Results einsum(NodeContext &ctx) {
  llvm::Expected<std::vector<const Tensor *>> inputs = ctx.variadic(1);
  if (!inputs)
    return inputs.takeError();
  llvm::StringRef equation = ctx.stringAttr("equation", "");
  auto spec = parseEinsum(equation, *inputs);
  if (!spec)
    return spec.takeError();
  DType dtype = inputs->front()->getDType();
  std::map<int, int64_t> sizes;
  for (auto [labels, input] : llvm::zip(spec->operands, *inputs)) {
    if (input->getDType() != dtype)
      return fail("operand element types differ");
    for (auto [d, label] : llvm::enumerate(labels)) {
      int64_t dim = input->getDim(d);
      auto [it, inserted] = sizes.try_emplace(label, dim);
      if (inserted || it->second == dim)
        continue;
      // Ellipsis dimensions broadcast; letters must agree.
      if (label >= 52 && (it->second == 1 || dim == 1)) {
        it->second = std::max(it->second, dim);
        continue;
      }
      return fail("label sizes disagree in '" + equation + "'");
    }
  }
  llvm::SmallVector<int> order(spec->output);
  for (auto [label, size] : sizes)
    if (!llvm::is_contained(order, label))
      order.push_back(label);
  llvm::SmallVector<int64_t> shape, extents;
  for (int label : spec->output) {
    auto it = sizes.find(label);
    if (it == sizes.end())
      return fail("output label of '" + equation + "' is on no input");
    shape.push_back(it->second);
  }
  for (int label : order)
    extents.push_back(sizes[label]);
  std::optional<int64_t> work = countElements(extents);
  if (!work || *work > kMaxElements)
    return fail("einsum '" + equation + "' would take too many steps");
  llvm::Expected<Tensor> result = allocate(dtype, shape);
  if (!result)
    return result.takeError();

  // Per operand and per position in `order`, the stride that label moves by
  // (0 for a broadcast ellipsis dimension of size 1).
  llvm::SmallVector<llvm::SmallVector<int64_t>> strides;
  for (auto [labels, input] : llvm::zip(spec->operands, *inputs)) {
    llvm::SmallVector<int64_t> own = stridesOf(input->getShape());
    llvm::SmallVector<int64_t> perLabel(order.size(), 0);
    for (auto [d, label] : llvm::enumerate(labels))
      if (input->getDim(d) != 1 || sizes[label] == 1)
        perLabel[llvm::find(order, label) - order.begin()] += own[d];
    strides.push_back(std::move(perLabel));
  }
  int64_t outputCount = result->getNumElements();
  int64_t inner = outputCount ? *work / outputCount : 0;
  llvm::SmallVector<int64_t> index(order.size(), 0);
  for (int64_t o = 0; o < outputCount; ++o) {
    double sum = 0.0;
    int64_t sumI = 0;
    for (int64_t s = 0; s < inner; ++s) {
      double product = 1.0;
      int64_t productI = 1;
      for (size_t x = 0; x < inputs->size(); ++x) {
        int64_t offset = 0;
        for (size_t l = 0; l < order.size(); ++l)
          offset += index[l] * strides[x][l];
        product *= (*inputs)[x]->getDouble(offset);
        productI *= (*inputs)[x]->getInt(offset);
      }
      sum += product;
      sumI += productI;
      advanceIndex(index, extents);
    }
    if (isFloatDType(dtype))
      result->setDouble(o, sum);
    else
      result->setInt(o, sumI);
  }
  return single(std::move(*result));
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const KernelEntry kKernels[] = {
    {"MatMul", matMul},
    {"Gemm", gemm},
    {"Einsum", einsum},
};

llvm::ArrayRef<KernelEntry> detail::linalgKernels() { return kKernels; }
