//===- AccelPasses.td - passes over the accel dialect ------*- tablegen -*-===//

#ifndef ACCEL_PASSES_TD
#define ACCEL_PASSES_TD

include "mlir/Pass/PassBase.td"

def CompressionReport : Pass<"accel-compression-report", "mlir::ModuleOp"> {
  let summary = "Report the weight and KV-cache footprint of every layer";
  let description = [{
    Walks every `accel.linear`, `accel.embedding` and `accel.attention` and
    reports, per op (named by its location, the ONNX node name after import),
    its weight shape, compression settings and storage: the bytes of the
    weight as imported, the bytes after quantization and N:M compression
    (values, sparse index metadata, scales and zero points, per
    docs/ARCHITECTURE.md "Footprint model"), and for attention the KV-cache
    bytes per token and the cache bound that a Λ window imposes. A total line
    closes the report. The IR is not changed.

    ```
    accel-opt --accel-compression-report="format=json output=report.json" m.mlir
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"text\"",
           "Report format: `text` (a table) or `json`">,
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the report (`-` is stdout)">,
  ];
}

def RaiseONNX : Pass<"accel-raise-onnx", "mlir::func::FuncOp"> {
  let summary = "Raise imported ONNX decoder subgraphs to accel ops";
  let description = [{
    Pattern-matches the subgraphs a decoder LLM is exported as (whatever the
    exporter named them) and replaces them with accel ops:

    * MatMul / Gemm by a constant weight, with a constant bias added after,
      to `accel.linear` (a `[K, N]` weight is used in place, `transposed`); a
      tied LM head (MatMul by the transposed embedding table) likewise; a
      fused QKV projection becomes one linear whose result is then split;
    * Gather from a constant table to `accel.embedding`;
    * RMSNorm (Pow/Mul, ReduceMean, Add, Sqrt, Div or Reciprocal forms) to
      `accel.rmsnorm`; LayerNormalization and its decomposition to
      `accel.layernorm`;
    * SiLU, SwiGLU, GELU (erf and tanh forms) and ReLU to `accel.activation`;
    * rotary embeddings (rotate-half and interleaved-pair forms) to
      `accel.rope`, and attention (scaled QK^T, causal mask by Add, Where or
      Trilu, Softmax, times V, head split and merge, grouped-query heads
      repeated by Expand/Reshape) to `accel.attention`.

    Shape plumbing whose inputs are constants or static shapes is folded
    first, so that masks and reshapes are seen as the constants they are.
    What is not raised stays as it was; with `report-unraised`, every
    remaining MatMul, Gemm and Softmax (work the engine would not see) gets a
    warning at its ONNX node.
  }];
  let dependentDialects = ["accel::AccelDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
  let options = [
    Option<"reportUnraised", "report-unraised", "bool", /*default=*/"true",
           "Warn about MatMul, Gemm and Softmax nodes left unraised">,
  ];
}

#endif // ACCEL_PASSES_TD
