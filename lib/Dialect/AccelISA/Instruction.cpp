//===- Instruction.cpp - accelisa ops <-> isa::Instruction ----------------===//
//
// The attribute mapping of Instruction.h and the instruction ops' verifier,
// which is lib/ISA's isa::verify on the instruction the op holds.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/AccelISA/Instruction.h"

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/ISA/Encoding.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

std::optional<isa::Opcode> accelisa::getOpcode(Operation *op) {
  if (op->getName().getDialectNamespace() != "accelisa")
    return std::nullopt;
  const isa::InstrSpec *spec =
      isa::lookupMnemonic(op->getName().stripDialect());
  if (!spec)
    return std::nullopt;
  return spec->opcode;
}

std::string accelisa::getOperationName(isa::Opcode opcode) {
  return std::string("accelisa.") + isa::spec(opcode).mnemonic;
}

isa::Instruction accelisa::getInstruction(Operation *op) {
  std::optional<isa::Opcode> opcode = getOpcode(op);
  assert(opcode && "not an accelisa instruction op");
  isa::Instruction instr = isa::Instruction::create(*opcode);
  const isa::FormatSpec &format = *instr.getSpec().format;
  for (auto [i, field] : llvm::enumerate(format.fields)) {
    Attribute attr = op->getAttr(field.name);
    if (auto integer = dyn_cast_or_null<IntegerAttr>(attr))
      instr.fields[i] = integer.getValue().getSExtValue();
    else if (auto fp = dyn_cast_or_null<FloatAttr>(attr))
      instr.fields[i] = fp.getValue().bitcastToAPInt().getZExtValue();
  }
  auto mask = [&](StringRef name) -> uint8_t {
    auto attr = dyn_cast_or_null<IntegerAttr>(op->getAttr(name));
    return attr ? uint8_t(attr.getValue().getZExtValue()) : 0;
  };
  instr.wait = mask(kWaitAttr);
  instr.release = mask(kReleaseAttr);
  return instr;
}

FlatSymbolRefAttr accelisa::getTarget(Operation *op) {
  return dyn_cast_or_null<FlatSymbolRefAttr>(op->getAttr("target"));
}

void accelisa::getAttributes(MLIRContext *context,
                             const isa::Instruction &instr, StringRef target,
                             NamedAttrList &attributes) {
  Builder b(context);
  const isa::FormatSpec &format = *instr.getSpec().format;
  for (auto [i, field] : llvm::enumerate(format.fields)) {
    switch (field.kind) {
    case isa::FieldKind::Funct:
      break;
    case isa::FieldKind::Target:
      if (!target.empty())
        attributes.set(field.name, FlatSymbolRefAttr::get(context, target));
      break;
    case isa::FieldKind::F32:
      attributes.set(
          field.name,
          b.getFloatAttr(b.getF32Type(),
                         llvm::APFloat(llvm::APFloat::IEEEsingle(),
                                       llvm::APInt(32, uint32_t(
                                                           instr.fields[i])))));
      break;
    default:
      attributes.set(field.name, b.getI64IntegerAttr(instr.fields[i]));
    }
  }
  attributes.set(kWaitAttr, b.getI64IntegerAttr(instr.wait));
  attributes.set(kReleaseAttr, b.getI64IntegerAttr(instr.release));
}

LogicalResult accelisa::verifyInstruction(Operation *op) {
  for (StringRef name : {kWaitAttr, kReleaseAttr})
    if (auto attr = dyn_cast_or_null<IntegerAttr>(op->getAttr(name));
        attr && (attr.getInt() < 0 || attr.getInt() > 255))
      return op->emitOpError()
             << name << " mask " << attr.getInt()
             << " names no unit (5 bits: ctl ld st mx vec)";
  if (llvm::Error err = isa::verify(getInstruction(op)))
    return op->emitOpError() << llvm::toString(std::move(err));
  return success();
}
