//===- AccelAttrs.cpp - compression settings ------------------------------===//

#include "accel/Dialect/Accel/AccelAttrs.h"
#include "accel/Dialect/Accel/AccelDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace accel;

#include "Accel/AccelEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Accel/AccelAttrs.cpp.inc"

void AccelDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Accel/AccelAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// QuantAttr
//===----------------------------------------------------------------------===//

LogicalResult
QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError, unsigned bits,
                  int64_t groupSize, bool symmetric) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return emitError() << "quantization bits must be 2, 3, 4 or 8, got "
                       << bits;
  if (groupSize < 0)
    return emitError() << "quantization group size must be positive, got "
                       << groupSize;
  return success();
}

int64_t QuantAttr::getMinValue() const {
  return getSymmetric() ? -((int64_t(1) << (getBits() - 1)) - 1) : 0;
}

int64_t QuantAttr::getMaxValue() const {
  return getSymmetric() ? (int64_t(1) << (getBits() - 1)) - 1
                        : (int64_t(1) << getBits()) - 1;
}

// #accel.quant<bits = B, (group = G | per_channel), (symmetric | asymmetric)>
Attribute QuantAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  unsigned bits = 0;
  int64_t group = 0;
  if (parser.parseLess() || parser.parseKeyword("bits") ||
      parser.parseEqual() || parser.parseInteger(bits) || parser.parseComma())
    return {};
  if (failed(parser.parseOptionalKeyword("per_channel"))) {
    SMLoc groupLoc = parser.getCurrentLocation();
    if (parser.parseKeyword("group", " or 'per_channel'") ||
        parser.parseEqual() || parser.parseInteger(group))
      return {};
    if (group <= 0) {
      parser.emitError(groupLoc, "quantization group size must be positive "
                                 "(write 'per_channel' for one scale per row)");
      return {};
    }
  }
  StringRef scheme;
  SMLoc schemeLoc;
  if (parser.parseComma())
    return {};
  schemeLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&scheme))
    return {};
  if (scheme != "symmetric" && scheme != "asymmetric") {
    parser.emitError(schemeLoc, "expected 'symmetric' or 'asymmetric', got '")
        << scheme << "'";
    return {};
  }
  if (parser.parseGreater())
    return {};
  return QuantAttr::getChecked([&] { return parser.emitError(loc); },
                               parser.getContext(), bits, group,
                               scheme == "symmetric");
}

void QuantAttr::print(AsmPrinter &printer) const {
  printer << "<bits = " << getBits() << ", ";
  if (isPerChannel())
    printer << "per_channel";
  else
    printer << "group = " << getGroupSize();
  printer << ", " << (getSymmetric() ? "symmetric" : "asymmetric") << ">";
}

//===----------------------------------------------------------------------===//
// SparsityAttr, LambdaAttr
//===----------------------------------------------------------------------===//

LogicalResult
SparsityAttr::verify(function_ref<InFlightDiagnostic()> emitError, unsigned n,
                     unsigned m) {
  if (m != 4 && m != 8 && m != 16)
    return emitError() << "N:M sparsity needs M in {4, 8, 16}, got " << m;
  if (n == 0)
    return emitError() << "N:M sparsity needs N >= 1, got 0";
  if (n > m)
    return emitError() << "N:M sparsity needs N <= M, got " << n << ":" << m;
  return success();
}

// #accel.sparsity<N:M>
Attribute SparsityAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  unsigned n = 0, m = 0;
  if (parser.parseLess() || parser.parseInteger(n) || parser.parseColon() ||
      parser.parseInteger(m) || parser.parseGreater())
    return {};
  return SparsityAttr::getChecked([&] { return parser.emitError(loc); },
                                  parser.getContext(), n, m);
}

void SparsityAttr::print(AsmPrinter &printer) const {
  printer << "<" << getN() << ":" << getM() << ">";
}

LogicalResult LambdaAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t sink, int64_t window) {
  if (sink < 0)
    return emitError() << "Λ attention needs sink >= 0, got " << sink;
  if (window < 1)
    return emitError() << "Λ attention needs window >= 1, got " << window;
  return success();
}

LogicalResult HbmAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              int64_t channel, int64_t offset,
                              int64_t channels, int64_t stride) {
  if (channel < 0 || channel > 31)
    return emitError() << "HBM placement: channel " << channel
                       << " is not in 0..31";
  if (channels < 1 || channels > 32 || (channels & (channels - 1)) != 0)
    return emitError() << "HBM placement: channels = " << channels
                       << " is not a power of two in 1..32";
  if (offset < 0 || offset % 64 != 0)
    return emitError() << "HBM placement: offset " << offset
                       << " is not a non-negative multiple of 64";
  if (stride < 0 || stride % 64 != 0)
    return emitError() << "HBM placement: stride " << stride
                       << " is not a non-negative multiple of 64";
  return success();
}

//===----------------------------------------------------------------------===//
// HomesAttr
//===----------------------------------------------------------------------===//

LogicalResult HomesAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t rows, int64_t result,
                                int64_t quantized, int64_t scales,
                                int64_t temp) {
  if (rows < 1)
    return emitError() << "act homes: rows = " << rows << " is not positive";
  for (auto [name, offset] :
       {std::pair<StringRef, int64_t>{"result", result},
        {"quantized", quantized},
        {"scales", scales},
        {"temp", temp}})
    if (offset != -1 && (offset < 0 || offset % 64 != 0))
      return emitError() << "act homes: " << name << " = " << offset
                         << " is not a multiple of 64";
  return success();
}
