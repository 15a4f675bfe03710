//===- AccelISABase.td - the accelisa dialect --------------*- tablegen -*-===//
//
// The dialect and the base class of its instruction ops. The instruction ops
// themselves are generated from the one instruction table by
// accel-isa-odsgen (AccelISAOps.td in the build tree).
//
//===----------------------------------------------------------------------===//

#ifndef ACCELISA_BASE_TD
#define ACCELISA_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/SymbolInterfaces.td"

def AccelISA_Dialect : Dialect {
  let name = "accelisa";
  let cppNamespace = "::accel::accelisa";
  let summary = "The accel engine's instructions, one op per instruction";
  let description = [{
    The instruction level of the accel compiler: an `accelisa.program` holds
    the engine's code as a list of ops, one per instruction of docs/ISA.md,
    named by the mnemonic (`accelisa.load`, `accelisa.mv`, `accelisa.addi`).
    An instruction op's attributes are exactly its fields, by their names in
    lib/ISA/Formats.cpp: registers, buffer ids, immediates and enum codes
    (`nch`, `fmt`, `ep`, `bmode`, `style`, `kvfmt`) as `i64` holding the
    encoded code (assembly writes the names), fp32 fields as `f32`, branch
    targets as a symbol naming an `accelisa.label` or `accelisa.entry`, plus
    the `wait` and `rel` token masks (bit `u`: unit `u`). A `funct` field is
    not an attribute: the mnemonic fixes it. Absent fields are 0.

    The assembly of an instruction op is the instruction's assembly:

    ```mlir
    accelisa.program @linear {
      accelisa.entry @linear_decode
      accelisa.addi r10, r0, 1
      accelisa.label @loop
      accelisa.load wgt[r15], hbm[r12], 32, 15488, nch=32, sstride=15488, wait=mx, rel=mx
      accelisa.bgeu r10, r11, @loop
      accelisa.halt
    }
    ```
  }];
}

class AccelISA_Op<string mnemonic, list<Trait> traits = []>
    : Op<AccelISA_Dialect, mnemonic, traits>;

// `id` is the instruction's accel::isa::Opcode enumerator. Parsing,
// printing and verification are table-driven (lib/Dialect/AccelISA); the
// verifier is lib/ISA's isa::verify.
class AccelISA_InstructionOp<string mnemonic, string id>
    : AccelISA_Op<mnemonic> {
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static constexpr ::accel::isa::Opcode kOpcode =
        ::accel::isa::Opcode::}] # id # [{;
  }];
  let extraClassDefinition = [{
    ::mlir::ParseResult $cppClass::parse(::mlir::OpAsmParser &parser,
                                         ::mlir::OperationState &result) {
      return ::accel::accelisa::parseInstruction(parser, result, kOpcode);
    }
    void $cppClass::print(::mlir::OpAsmPrinter &printer) {
      ::accel::accelisa::printInstruction(printer, getOperation());
    }
    ::llvm::LogicalResult $cppClass::verify() {
      return ::accel::accelisa::verifyInstruction(getOperation());
    }
  }];
}

#endif // ACCELISA_BASE_TD
