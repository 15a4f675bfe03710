//===- ONNXOps.td - the onnx import dialect ----------------*- tablegen -*-===//

#ifndef ACCEL_ONNX_OPS_TD
#define ACCEL_ONNX_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::accel::onnxir";
  let summary = "ONNX graphs as imported, one generic op per ONNX node";
  let description = [{
    The import-level form of an ONNX model. Every ONNX node becomes one
    `onnx.node` op that names its operator type and keeps the node's ONNX
    attributes as MLIR attributes, so the import is faithful for every
    operator ONNX defines, and the semantics stay those of the ONNX operator
    at the model's opset (recorded on the module as `onnx.opset`). Initializers
    and `Constant` nodes become `arith.constant` ops whose weights are
    `dense_resource` blobs. The raising pass (`accel-raise-onnx`) matches
    decoder subgraphs of `onnx.node` ops into `accel` ops; what it does not
    raise stays as it was, and the reference executor runs both.

    ONNX attribute kinds map to MLIR attributes as follows: INT to `i64`,
    FLOAT to `f32`, STRING to a string, INTS to `array<i64: ...>`, FLOATS to
    `array<f32: ...>`, STRINGS to an array of strings, TENSOR to a dense
    elements attribute. Graph-valued attributes (If, Loop, Scan bodies) are
    not imported: the importer reports them as unsupported.
  }];
}

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

def ONNX_NodeOp : ONNX_Op<"node", [Pure]> {
  let summary = "One ONNX node";
  let description = [{
    `op_type` is the ONNX operator (`MatMul`, `Softmax`, ...), `domain` its
    operator set domain (empty for the default `ai.onnx`). Operands are the
    node's inputs in order, an absent optional input being an `onnx.none`
    value; results are its outputs. The op's location is the ONNX node name.

    ```mlir
    %y = onnx.node "Gemm"(%a, %b, %c) {alpha = 1.0 : f32, transB = 1 : i64}
           : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins StrAttr:$op_type,
                       DefaultValuedStrAttr<StrAttr, "">:$domain,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The ONNX attribute `name` (a discardable attribute of the op).
    ::mlir::Attribute getOnnxAttr(::llvm::StringRef name) {
      return (*this)->getDiscardableAttr(name);
    }
    /// An INT attribute, or `fallback` when absent.
    int64_t getIntAttr(::llvm::StringRef name, int64_t fallback);
    /// A FLOAT attribute, or `fallback` when absent.
    float getFloatAttr(::llvm::StringRef name, float fallback);
    /// True if input `i` exists and is not an `onnx.none`.
    bool hasInput(unsigned i);
  }];
}

def ONNX_NoneOp : ONNX_Op<"none", [Pure]> {
  let summary = "An absent optional input";
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // ACCEL_ONNX_OPS_TD
