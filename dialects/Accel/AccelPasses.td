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

#endif // ACCEL_PASSES_TD
