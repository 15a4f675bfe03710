//===- AccelISAStructure.td - programs, labels, entries ----*- tablegen -*-===//

#ifndef ACCELISA_STRUCTURE_TD
#define ACCELISA_STRUCTURE_TD

include "AccelISA/AccelISABase.td"

def AccelISA_ProgramOp : AccelISA_Op<"program", [
    Symbol, SingleBlock, NoTerminator, IsolatedFromAbove]> {
  let summary = "One program: the code of a package, in order";
  let description = [{
    The body is the code: instruction ops in program order, with
    `accelisa.label` and `accelisa.entry` ops naming the position of the
    next instruction (or the end of the code). Labels and entries share one
    namespace; each name is defined once and every branch target is defined
    in the same program. Translation to an `isa::Program` numbers the
    instructions from 0 and resolves targets to indices.

    ```mlir
    accelisa.program @model {
      accelisa.entry @prefill
      accelisa.halt
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::llvm::StringRef":$name)>];
}

def AccelISA_LabelOp : AccelISA_Op<"label"> {
  let summary = "Names the position of the next instruction";
  let description = [{
    `accelisa.label @loop` is the assembly's `loop:`: branches and jumps
    whose `target` is `@loop` go to the instruction after it.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let assemblyFormat = "$sym_name attr-dict";
}

def AccelISA_EntryOp : AccelISA_Op<"entry"> {
  let summary = "An entry point (and a label) at the next instruction";
  let description = [{
    `accelisa.entry @prefill` is the assembly's `.entry prefill`: the host
    starts calls there (docs/ISA.md §7). It is also a label.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let assemblyFormat = "$sym_name attr-dict";
}

#endif // ACCELISA_STRUCTURE_TD
