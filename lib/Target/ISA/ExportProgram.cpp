//===- ExportProgram.cpp - an accelisa.program to an isa::Program ---------===//

#include "accel/Target/ISA/Translate.h"

#include "accel/Dialect/AccelISA/Instruction.h"
#include "accel/ISA/Encoding.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

FailureOr<ProgramOp> accelisa::findProgram(ModuleOp module) {
  auto programs = module.getOps<ProgramOp>();
  auto count = std::distance(programs.begin(), programs.end());
  if (count != 1)
    return module.emitError()
           << "expected one accelisa.program in the module, found " << count;
  return *programs.begin();
}

/// The n of a `.L<n>` name.
static std::optional<uint32_t> generatedIndex(StringRef name) {
  uint32_t index = 0;
  if (!name.consume_front(".L") || name.getAsInteger(10, index))
    return std::nullopt;
  return index;
}

FailureOr<isa::Program> accelisa::exportProgram(ProgramOp program) {
  isa::Program out;
  llvm::StringMap<uint32_t> index;
  SmallVector<Operation *> instructionOps;
  for (Operation &op : program.getBody().front()) {
    auto at = uint32_t(out.code.size());
    if (llvm::isa<LabelOp, EntryOp>(op)) {
      StringRef name = op.getAttrOfType<StringAttr>("sym_name").getValue();
      if (!index.try_emplace(name, at).second)
        return op.emitOpError() << "redefines @" << name;
      bool entry = llvm::isa<EntryOp>(op);
      std::optional<uint32_t> generated = generatedIndex(name);
      if (!entry && generated && *generated != at)
        return op.emitOpError()
               << "names instruction " << at << ", but a label `.L<n>` must "
               << "name instruction n";
      if (entry || !generated)
        out.symbols.push_back({name.str(), at, entry});
      continue;
    }
    if (!getOpcode(&op))
      return op.emitOpError() << "is not an accelisa instruction";
    out.code.push_back(getInstruction(&op));
    instructionOps.push_back(&op);
  }
  for (auto [op, instr] : llvm::zip(instructionOps, out.code)) {
    const isa::FormatSpec &format = *instr.getSpec().format;
    for (auto [i, field] : llvm::enumerate(format.fields)) {
      if (field.kind != isa::FieldKind::Target)
        continue;
      FlatSymbolRefAttr target = getTarget(op);
      if (!target)
        return op->emitOpError() << "has no target";
      auto it = index.find(target.getValue());
      if (it == index.end())
        return op->emitOpError()
               << "target @" << target.getValue() << " is not defined";
      if (it->second >= out.code.size())
        return op->emitOpError()
               << "target @" << target.getValue()
               << " is the end of the code: no instruction to go to";
      instr.fields[i] = it->second;
    }
    if (llvm::Error err = isa::verify(instr))
      return op->emitOpError() << llvm::toString(std::move(err));
  }
  return out;
}
