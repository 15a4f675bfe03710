//===- AccelDialect.cpp - the accel dialect -------------------------------===//

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Dialect/Accel/AccelOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace accel;

#include "Accel/AccelDialect.cpp.inc"

void AccelDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "Accel/AccelOps.cpp.inc"
      >();
}
