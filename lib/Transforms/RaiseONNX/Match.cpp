//===- Match.cpp - matching ONNX subgraphs --------------------------------===//

#include "Match.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace accel;
using namespace accel::raise;

Value accel::raise::stripCasts(Value value) {
  while (auto cast = value ? value.getDefiningOp<tensor::CastOp>() : nullptr)
    value = cast.getSource();
  return value;
}

RankedTensorType accel::raise::resultType(Operation *op,
                                          RankedTensorType computed) {
  auto own = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!own || own.getRank() != computed.getRank() ||
      own.getElementType() != computed.getElementType())
    return computed;
  // Each dimension as static as either side knows it.
  SmallVector<int64_t> shape(own.getShape());
  for (auto [dim, known] : llvm::zip(shape, computed.getShape()))
    if (ShapedType::isDynamic(dim))
      dim = known;
  return RankedTensorType::get(shape, own.getElementType());
}

NodeOp accel::raise::producer(Value value, StringRef type) {
  value = stripCasts(value);
  auto node = value ? value.getDefiningOp<NodeOp>() : NodeOp();
  if (!node || node.getOpType() != type || !node.getDomain().empty())
    return {};
  return node;
}

ElementsAttr accel::raise::constant(Value value) {
  ElementsAttr attr;
  value = stripCasts(value);
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

std::optional<double> accel::raise::scalar(Value value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(constant(value));
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  Type element = dense.getElementType();
  if (isa<FloatType>(element))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  if (element.isSignlessInteger() || element.isSignedInteger())
    return double((*dense.getValues<APInt>().begin()).getSExtValue());
  return std::nullopt;
}

bool accel::raise::isScalar(Value value, double expected) {
  std::optional<double> v = scalar(value);
  return v && std::abs(*v - expected) <= 1e-3 * std::abs(expected) + 1e-12;
}

std::optional<SmallVector<int64_t>> accel::raise::intValues(Value value) {
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(constant(value));
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

std::optional<SmallVector<int64_t>> accel::raise::reductionAxes(NodeOp node) {
  if (auto axes = dyn_cast_or_null<DenseI64ArrayAttr>(node.getOnnxAttr("axes")))
    return SmallVector<int64_t>(axes.asArrayRef());
  if (node.hasInput(1))
    return intValues(node.getInputs()[1]);
  return std::nullopt;
}

bool accel::raise::reducesInnermost(NodeOp node, int64_t rank) {
  std::optional<SmallVector<int64_t>> axes = reductionAxes(node);
  return axes && axes->size() == 1 &&
         ((*axes)[0] == -1 || (*axes)[0] == rank - 1) &&
         node.getIntAttr("keepdims", 1) == 1;
}

Value accel::raise::otherOperand(NodeOp node, Value known) {
  if (node.getInputs().size() != 2)
    return {};
  if (node.getInputs()[0] == known)
    return node.getInputs()[1];
  if (node.getInputs()[1] == known)
    return node.getInputs()[0];
  return {};
}

RankedTensorType accel::raise::rankedFloat(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !isa<FloatType>(type.getElementType()))
    return {};
  return type;
}

NodeOp accel::raise::soleUser(Value value, StringRef type) {
  if (!value.hasOneUse())
    return {};
  auto node = dyn_cast<NodeOp>(*value.getUsers().begin());
  if (!node || node.getOpType() != type || !node.getDomain().empty())
    return {};
  return node;
}


void accel::raise::replaceKeepingType(PatternRewriter &rewriter, Operation *op,
                                      Value value) {
  Type type = op->getResult(0).getType();
  if (value.getType() != type)
    value = rewriter.create<tensor::CastOp>(op->getLoc(), type, value);
  rewriter.replaceOp(op, value);
}

bool accel::raise::isBias(Value bias, int64_t n, Type element) {
  auto attr = constant(bias);
  auto type = attr ? dyn_cast<RankedTensorType>(attr.getType()) : nullptr;
  return type && type.getRank() == 1 && type.getDimSize(0) == n &&
         type.getElementType() == element;
}
