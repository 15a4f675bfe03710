//===- AccelOps.cpp - accel dialect operations ----------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"

#include "VerifyHelpers.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace accel;

//===----------------------------------------------------------------------===//
// Shape helpers shared by the verifiers
//===----------------------------------------------------------------------===//

using namespace accel::detail;

namespace {

/// The shape of the scales of `dataShape` quantized under `quant` along its
/// innermost dimension: the same shape with K replaced by K / group.
SmallVector<int64_t> groupedShape(ArrayRef<int64_t> dataShape,
                                  QuantAttr quant) {
  SmallVector<int64_t> shape(dataShape);
  int64_t k = shape.back();
  if (quant.isPerChannel())
    shape.back() = 1;
  else if (ShapedType::isDynamic(k))
    shape.back() = ShapedType::kDynamic;
  else
    shape.back() = k / quant.getGroupSize();
  return shape;
}

/// Checks that `quant`'s group divides the innermost dimension of
/// `dataShape`, that `scales` and `zeroPoints` have the grouped shape, and
/// that zero points are present exactly for an asymmetric scheme. `what`
/// names the quantized tensor in messages.
LogicalResult verifyGroupedParams(Operation *op, StringRef what,
                                  QuantAttr quant, ArrayRef<int64_t> dataShape,
                                  Value scales, Value zeroPoints) {
  int64_t k = dataShape.back();
  if (!quant.isPerChannel() && !ShapedType::isDynamic(k) &&
      k % quant.getGroupSize() != 0)
    return op->emitOpError()
           << what << " quantization group size " << quant.getGroupSize()
           << " does not divide the reduction dimension " << k;
  if (!scales)
    return op->emitOpError() << "quantized " << what << " needs scales";
  SmallVector<int64_t> expected = groupedShape(dataShape, quant);
  auto scalesShape = cast<RankedTensorType>(scales.getType()).getShape();
  if (!shapesAgree(scalesShape, expected))
    return op->emitOpError()
           << what << " scales must have shape " << shapeStr(expected)
           << ", got " << shapeStr(scalesShape);
  if (quant.getSymmetric()) {
    if (zeroPoints)
      return op->emitOpError() << "symmetric " << what
                               << " quantization takes no zero points";
    return success();
  }
  if (!zeroPoints)
    return op->emitOpError()
           << "asymmetric " << what << " quantization needs zero points";
  auto zpShape = cast<RankedTensorType>(zeroPoints.getType()).getShape();
  if (!shapesAgree(zpShape, expected))
    return op->emitOpError()
           << what << " zero points must have shape " << shapeStr(expected)
           << ", got " << shapeStr(zpShape);
  return success();
}

/// Checks that an integer tensor is as wide as its quantization.
LogicalResult verifyIntWidth(Operation *op, StringRef what, Type elementType,
                             QuantAttr quant) {
  unsigned width = elementType.getIntOrFloatBitWidth();
  if (width != quant.getBits())
    return op->emitOpError()
           << what << " element type " << elementType << " does not match "
           << quant.getBits() << "-bit quantization (expected i"
           << quant.getBits() << ")";
  return success();
}

/// Checks a normalisation's per-channel parameter against the input's
/// innermost dimension.
LogicalResult verifyChannelParam(Operation *op, StringRef what,
                                 RankedTensorType input, Value param) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getRank() != 1 || !dimsAgree(type.getDimSize(0), innermost(input)))
    return op->emitOpError()
           << what << " must be " << shapeStr({innermost(input)})
           << " (the input's innermost dimension), got "
           << shapeStr(type.getShape());
  return success();
}

LogicalResult verifyEpsilon(Operation *op, APFloat epsilon) {
  if (epsilon.isNegative() || !epsilon.isFinite())
    return op->emitOpError() << "epsilon must be finite and >= 0, got "
                             << epsilon.convertToFloat();
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

int64_t LinearOp::getOutFeatures() {
  return getWeight().getType().getDimSize(getTransposedWeight() ? 1 : 0);
}

int64_t LinearOp::getInFeatures() {
  return getWeight().getType().getDimSize(getTransposedWeight() ? 0 : 1);
}

LogicalResult LinearOp::verify() {
  auto inputType = getInput().getType();
  auto weightType = getWeight().getType();
  auto resultType = getResult().getType();
  if (inputType.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (weightType.getRank() != 2)
    return emitOpError("weight must be [N, K] (rank 2), got rank ")
           << weightType.getRank();
  int64_t n = getOutFeatures(), k = getInFeatures();
  if (!dimsAgree(innermost(inputType), k))
    return emitOpError("input's innermost dimension ")
           << innermost(inputType) << " does not match the weight's K " << k;

  SmallVector<int64_t> expected(inputType.getShape());
  expected.back() = n;
  if (!shapesAgree(resultType.getShape(), expected))
    return emitOpError("result must have shape ")
           << shapeStr(expected) << ", got "
           << shapeStr(resultType.getShape());
  if (resultType.getElementType() != inputType.getElementType())
    return emitOpError("result element type ")
           << resultType.getElementType()
           << " does not match the input's " << inputType.getElementType();

  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 || !dimsAgree(biasType.getDimSize(0), n))
      return emitOpError("bias must be [") << n << "], got "
                                           << shapeStr(biasType.getShape());
  }

  QuantAttr weightQuant = getWeightQuantAttr();
  bool quantized = isa<IntegerType>(weightType.getElementType());
  if (quantized && !weightQuant)
    return emitOpError("integer weight needs `weight_quant`");
  if (quantized && getTransposedWeight())
    return emitOpError("a quantized weight is stored [N, K]: "
                       "`transposed_weight` applies to float weights only");
  if (!quantized) {
    if (weightQuant)
      return emitOpError("`weight_quant` needs an integer weight, got ")
             << weightType.getElementType();
    if (getScales() || getZeroPoints())
      return emitOpError("scales and zero points need a quantized weight");
  } else {
    if (failed(verifyIntWidth(*this, "weight", weightType.getElementType(),
                              weightQuant)) ||
        failed(verifyGroupedParams(*this, "weight", weightQuant,
                                   weightType.getShape(), getScales(),
                                   getZeroPoints())))
      return failure();
  }

  if (QuantAttr actQuant = getActQuantAttr()) {
    if (!actQuant.isPerChannel() && !ShapedType::isDynamic(k) &&
        k % actQuant.getGroupSize() != 0)
      return emitOpError("activation quantization group size ")
             << actQuant.getGroupSize()
             << " does not divide the reduction dimension " << k;
  }

  if (SparsityAttr sparsity = getSparsityAttr()) {
    if (!ShapedType::isDynamic(k) && k % sparsity.getM() != 0)
      return emitOpError("N:M sparsity ")
             << sparsity.getN() << ":" << sparsity.getM() << " needs M ("
             << sparsity.getM() << ") to divide the reduction dimension " << k;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation, rotary embedding, activations, embedding
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (failed(verifyChannelParam(*this, "weight", input, getWeight())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}

LogicalResult LayerNormOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (failed(verifyChannelParam(*this, "weight", input, getWeight())))
    return failure();
  if (getBias() &&
      failed(verifyChannelParam(*this, "bias", input, getBias())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}

LogicalResult RopeOp::verify() {
  auto input = getInput().getType();
  auto table = getCos().getType();
  if (input.getRank() != 3)
    return emitOpError("input must be [B, T, heads * head_dim], got ")
           << shapeStr(input.getShape());
  int64_t hidden = innermost(input), heads = getNumHeads();
  if (!ShapedType::isDynamic(hidden) && hidden % heads != 0)
    return emitOpError("num_heads (")
           << heads << ") does not divide the hidden size " << hidden;
  if (table.getRank() != 2 && table.getRank() != 3)
    return emitOpError("cos/sin must be [T, R] or [B, T, R], got ")
           << shapeStr(table.getShape());
  int64_t rank = table.getRank();
  if (!dimsAgree(table.getDimSize(rank - 2), input.getDimSize(1)))
    return emitOpError("cos/sin cover ")
           << table.getDimSize(rank - 2) << " positions but the input has "
           << input.getDimSize(1);
  if (rank == 3 && table.getDimSize(0) != 1 &&
      !dimsAgree(table.getDimSize(0), input.getDimSize(0)))
    return emitOpError("cos/sin batch ")
           << table.getDimSize(0) << " must be 1 or the input batch "
           << input.getDimSize(0);
  int64_t rotary = innermost(table);
  if (ShapedType::isDynamic(rotary))
    return success();
  if (rotary % 2 != 0 || rotary == 0)
    return emitOpError("rotary dimension must be even and > 0, got ")
           << rotary;
  if (!ShapedType::isDynamic(hidden) && rotary > hidden / heads)
    return emitOpError("rotary dimension ")
           << rotary << " exceeds the head dim " << hidden / heads;
  return success();
}

LogicalResult ActivationOp::verify() {
  if (Value up = getUp(); up && up.getType() != getInput().getType())
    return emitOpError("gate and up operands must have the same type, got ")
           << getInput().getType() << " and " << up.getType();
  return success();
}

LogicalResult EmbeddingOp::verify() {
  auto ids = getIds().getType();
  auto table = getTable().getType();
  auto result = getResult().getType();
  if (table.getRank() != 2)
    return emitOpError("table must be [vocab, hidden], got ")
           << shapeStr(table.getShape());
  SmallVector<int64_t> expected(ids.getShape());
  expected.push_back(table.getDimSize(1));
  // A half-precision table's row may be given widened (the engine's fp32).
  Type element = table.getElementType();
  bool widened = result.getElementType().isF32() &&
                 (element.isF16() || element.isBF16());
  if (!shapesAgree(result.getShape(), expected) ||
      (result.getElementType() != element && !widened))
    return emitOpError("result must be ")
           << shapeStr(expected) << " of " << element << ", got " << result;
  return success();
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  auto input = getInput().getType();
  auto result = getResult().getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("result must have the input's element type ")
           << input.getElementType() << ", got " << result.getElementType();
  ArrayRef<int64_t> from = input.getShape(), to = result.getShape();
  bool broadcasts =
      from.size() <= to.size() &&
      llvm::all_of(llvm::zip(from, to.take_back(from.size())), [](auto p) {
        return std::get<0>(p) == 1 || dimsAgree(std::get<0>(p), std::get<1>(p));
      });
  if (!broadcasts)
    return emitOpError("input of shape ")
           << shapeStr(from) << " does not broadcast to " << shapeStr(to)
           << " (each of its dimensions, aligned with the result's last "
              "ones, is 1 or the result's)";
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp, DequantizeOp
//===----------------------------------------------------------------------===//

/// The checks shared by quantize and dequantize: the float and the integer
/// tensors have one shape, the integers the scheme's width (`intName` names
/// the integer tensor in messages), the parameters the grouped shape.
static LogicalResult verifyQuantization(Operation *op, RankedTensorType floats,
                                        RankedTensorType ints,
                                        StringRef intName, QuantAttr quant,
                                        Value scales, Value zeroPoints) {
  if (floats.getRank() < 1 || ints.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  auto [input, result] = intName == "result" ? std::pair(floats, ints)
                                             : std::pair(ints, floats);
  if (!shapesAgree(input.getShape(), result.getShape()))
    return op->emitOpError("result shape ")
           << shapeStr(result.getShape()) << " differs from the input's "
           << shapeStr(input.getShape());
  if (failed(verifyIntWidth(op, intName, ints.getElementType(), quant)))
    return failure();
  return verifyGroupedParams(op, "input", quant, input.getShape(), scales,
                             zeroPoints);
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantization(*this, getInput().getType(), getResult().getType(),
                            "result", getQuant(), getScales(),
                            getZeroPoints());
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantization(*this, getResult().getType(), getInput().getType(),
                            "input", getQuant(), getScales(), getZeroPoints());
}

#define GET_OP_CLASSES
#include "Accel/AccelOps.cpp.inc"
