//===- ProgramSections.h - a program in and out of a package ----*- C++ -*-===//
//
// The code, symbols and metadata sections of docs/FORMATS.md §5 for an
// isa::Program: what accel-as writes and accel-objdump reads.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_PACKAGE_PROGRAMSECTIONS_H
#define ACCEL_PACKAGE_PROGRAMSECTIONS_H

#include "accel/ISA/Program.h"
#include "accel/Package/Package.h"

#include "llvm/Support/JSON.h"

#include <string>

namespace accel::package {

/// The symbols section: `{"symbols": [{"name", "index", "entry"}, ...]}`.
std::string symbolsJSON(const isa::Program &program);

/// The metadata section: `metadata` (an object, may be empty) with
/// `"format": "accel-package"` and `"entries": {name: index}` added. Fails if
/// `metadata` already has either key.
llvm::Expected<std::string> metadataJSON(const isa::Program &program,
                                         llvm::json::Object metadata);

/// Decodes the code section and names its positions from the symbols
/// section, else from the metadata's entries.
llvm::Expected<isa::Program> readProgram(const Package &package);

} // namespace accel::package

#endif // ACCEL_PACKAGE_PROGRAMSECTIONS_H
