//===- AccelISABuilder.cpp - building accelisa programs -------------------===//

#include "accel/Dialect/AccelISA/AccelISABuilder.h"

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Dialect/AccelISA/Instruction.h"

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

Operation *accelisa::buildInstruction(OpBuilder &builder, Location loc,
                                      const isa::Instruction &instruction,
                                      StringRef target) {
  OperationState state(loc, getOperationName(instruction.opcode));
  getAttributes(builder.getContext(), instruction, target, state.attributes);
  return builder.create(state);
}

void accelisa::buildLabel(OpBuilder &builder, Location loc, StringRef name) {
  builder.create<LabelOp>(loc, name);
}

void accelisa::buildEntry(OpBuilder &builder, Location loc, StringRef name) {
  builder.create<EntryOp>(loc, name);
}

ProgramOp accelisa::buildProgram(OpBuilder &builder, Location loc,
                                 StringRef name) {
  auto program = builder.create<ProgramOp>(loc, name);
  builder.setInsertionPointToEnd(&program.getBody().front());
  return program;
}
