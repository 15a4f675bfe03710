//===- ONNXImport.h - ONNX models into MLIR ---------------------*- C++ -*-===//
//
// Reads an ONNX model (protobuf, with weights inline or in external data
// files) and builds an MLIR module in the import-level `onnx` dialect:
//
//   module attributes {onnx.opset = {"" = 17 : i64}, ...} {
//     func.func @main_graph(%input_ids: tensor<1x?xi64> {onnx.name = "input_ids"})
//         -> (tensor<1x?x32000xf32> {onnx.name = "logits"}) {
//       %w = arith.constant dense_resource<model.embed.weight> : tensor<32000x4096xf32>
//       %0 = onnx.node "Gather"(%w, %input_ids) {axis = 0 : i64} : ... loc("/embed/Gather")
//       ...
//     }
//   }
//
// Each ONNX node becomes one `onnx.node` op located at the node's name;
// initializers and Constant nodes become `arith.constant` ops, weights held as
// DenseResourceElementsAttr blobs that point into the mmapped model or
// external data file where alignment allows (never copied into attributes).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_FRONTEND_ONNXIMPORT_H
#define ACCEL_FRONTEND_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

namespace accel {

struct ONNXImportOptions {
  /// Concrete sizes for symbolic input dimensions, by `dim_param` name
  /// (e.g. {"sequence_length": 16}). Other symbolic dimensions stay dynamic.
  llvm::StringMap<int64_t> dimValues;
  /// Size for every symbolic dimension not named in `dimValues`; 0 keeps
  /// them dynamic.
  int64_t defaultDimValue = 0;
  /// Run ONNX shape inference (with data propagation) before building IR.
  bool inferShapes = true;
  /// Limits of the child process that runs shape inference: the wall-clock
  /// seconds it may take (then it is killed), and the MiB of address space
  /// it may map beyond what it inherits (setrlimit RLIMIT_AS). A model that
  /// exceeds either fails to import with one error naming the limit. The
  /// defaults leave a wide margin: the 7B LLaMA-shaped model's inference
  /// takes 20 to 50 ms and 4 MiB (docs/FRONTEND.md).
  double shapeInferenceSeconds = 10;
  uint64_t shapeInferenceMemoryMiB = 1024;
  /// What sets each limit, in the caller's terms ("accelc
  /// --shape-inference-timeout"): the error that names the limit and its
  /// value adds "(... sets the limit)" when given.
  std::string shapeInferenceSecondsSetting, shapeInferenceMemorySetting;
};

/// Imports the ONNX model at `path`. On failure, returns null after emitting
/// one error diagnostic per problem on `context` (located at the file, or at
/// the ONNX node by name) naming what is wrong.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(mlir::MLIRContext &context, llvm::StringRef path,
               const ONNXImportOptions &options = {});

/// Imports a model held in memory; `baseDir` resolves external data paths.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(mlir::MLIRContext &context, llvm::StringRef bytes,
                 llvm::StringRef bufferName, llvm::StringRef baseDir,
                 const ONNXImportOptions &options = {});

/// Imports a model written in ONNX's textual syntax (onnx/defs/parser.h):
///
///   <ir_version: 8, opset_import: ["" : 17]>
///   agraph (float[N, 64] x) => (float[N, 64] y) { y = Relu(x) }
mlir::OwningOpRef<mlir::ModuleOp>
importONNXText(mlir::MLIRContext &context, llvm::StringRef text,
               llvm::StringRef bufferName, llvm::StringRef baseDir,
               const ONNXImportOptions &options = {});

} // namespace accel

#endif // ACCEL_FRONTEND_ONNXIMPORT_H
