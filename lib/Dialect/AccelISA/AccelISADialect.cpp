//===- AccelISADialect.cpp - the accelisa dialect and its programs --------===//

#include "accel/Dialect/AccelISA/AccelISADialect.h"

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Dialect/AccelISA/Instruction.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace accel::accelisa;

#include "AccelISA/AccelISADialect.cpp.inc"

void AccelISADialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "AccelISA/AccelISAOps.cpp.inc"
      >();
}

void ProgramOp::build(OpBuilder &builder, OperationState &state,
                      StringRef name) {
  state.getOrAddProperties<Properties>().sym_name = builder.getStringAttr(name);
  state.addRegion()->emplaceBlock();
}

/// Every op of the body is an instruction, a label or an entry; each name is
/// defined once; every target is defined.
LogicalResult ProgramOp::verifyRegions() {
  llvm::StringMap<Operation *> defined;
  Block &body = getBody().front();
  for (Operation &op : body) {
    if (llvm::isa<LabelOp, EntryOp>(op)) {
      StringRef name = op.getAttrOfType<StringAttr>("sym_name").getValue();
      auto [it, inserted] = defined.try_emplace(name, &op);
      if (!inserted) {
        InFlightDiagnostic diag = op.emitOpError()
                                  << "redefines @" << name
                                  << ": a name is defined once per program";
        diag.attachNote(it->second->getLoc()) << "first defined here";
        return diag;
      }
      continue;
    }
    if (!getOpcode(&op))
      return op.emitOpError()
             << "cannot be in an accelisa.program: it holds only "
                "instructions, labels and entries";
  }
  for (Operation &op : body)
    if (FlatSymbolRefAttr target = getTarget(&op);
        target && !defined.count(target.getValue()))
      return op.emitOpError()
             << "target @" << target.getValue()
             << " is not a label or entry of program @" << getSymName();
  return success();
}

#define GET_OP_CLASSES
#include "AccelISA/AccelISAOps.cpp.inc"
