//===- AccelDialect.td - the accel dialect -----------------*- tablegen -*-===//
//
// The tensor-level, quantization-aware dialect of a decoder LLM.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_DIALECT_TD
#define ACCEL_DIALECT_TD

include "mlir/IR/OpBase.td"

def Accel_Dialect : Dialect {
  let name = "accel";
  let cppNamespace = "::accel";
  let summary = "Tensor-level, quantization-aware operations of a decoder LLM";
  let description = [{
    The `accel` dialect is the level at which accel's compiler sees a large
    language model: the ops a decoder is built of (linear layers, attention,
    normalisation, rotary embedding, activations, embedding lookup) on ranked
    tensors, each carrying the compression settings that the AccLLM scheme
    applies to it: N:M semi-structured sparsity (`#accel.sparsity`), group-wise
    integer quantization of weights, activations and the KV cache
    (`#accel.quant`) and Λ-shaped attention (`#accel.lambda`).

    Quantized weights are ordinary tensors of signless integers of the
    quantization width (`tensor<NxKxi2>` for 2-bit weights) beside their
    scales and zero points, so that every value the engine will read is an SSA
    value of the IR and the verifiers can check that the pieces agree.

    Layout conventions:
    * activations are `[..., K]`, the reduction dimension innermost;
    * linear weights are `[N, K]` (out-features by in-features, as
      `torch.nn.Linear` stores them), so quantization groups and N:M sparsity
      groups run along the contiguous K dimension;
    * attention operands keep their heads merged: `[B, T, heads * head_dim]`.
  }];
  let useDefaultAttributePrinterParser = 1;
  // The lowering's decisions (accel.epilogue, accel.quantized,
  // accel.in_place, accel.prefill_tile, accel.last_row, accel.load_tiles,
  // accel.act) are checked where they stand (AccelDialect.cpp).
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Defined beside the attribute storage classes (AccelAttrs.cpp).
    void registerAttributes();
  }];
}

class Accel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Accel_Dialect, mnemonic, traits>;

#endif // ACCEL_DIALECT_TD
