//===- ONNXTensors.h - ONNX tensors as MLIR attributes ----------*- C++ -*-===//
//
// Internal to the importer: element types, and TensorProtos (inline, typed
// fields, or external data) as elements attributes. Large tensors become
// DenseResourceElementsAttr blobs that alias the parsed model's bytes or an
// mmapped slice of the external data file; small ones (shape vectors, masks,
// scalars) become ordinary dense attributes that folds can read.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_FRONTEND_ONNX_ONNXTENSORS_H
#define ACCEL_LIB_FRONTEND_ONNX_ONNXTENSORS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LogicalResult.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

namespace accel::onnx_import {

/// The MLIR element type of an ONNX TensorProto data type, or failure for
/// the types accel does not take (strings, complex numbers).
mlir::FailureOr<mlir::Type> elementType(mlir::MLIRContext &context,
                                        int32_t onnxType);

/// ONNX's name of a TensorProto data type ("FLOAT", "STRING", ...).
std::string elementTypeName(int32_t onnxType);

/// The number of values in the typed field `tensor`'s data type keeps them
/// in (float_data, int64_data, ...; int32_data also holds 8/16-bit
/// integers, bools and fp16 bits). A value in another field does not count.
int typedValueCount(const onnx::TensorProto &tensor);

class TensorImporter {
public:
  /// Errors are located at the tensor's name within `fileName`; external
  /// data files are found in `baseDir`.
  TensorImporter(mlir::MLIRContext &context, llvm::StringRef fileName,
                 llvm::StringRef baseDir,
                 std::shared_ptr<onnx::ModelProto> model)
      : context(context), fileName(fileName.str()), baseDir(baseDir.str()),
        model(std::move(model)) {}

  /// Tensors up to this many elements become plain dense attributes.
  static constexpr int64_t kInlineElements = 1024;
  /// The bound for the value of a Constant node: graph constants (RoPE
  /// tables, masks) that raising reads as DenseElementsAttr; a LLaMA-7B
  /// RoPE table traced at 16 tokens is 16 x 128 (weights are initializers).
  static constexpr int64_t kConstantNodeInlineElements = int64_t(1) << 20;

  /// The tensor as an attribute: a dense attribute up to `inlineElements`
  /// elements, else a blob. On failure an error naming the tensor and the
  /// problem has been emitted.
  mlir::FailureOr<mlir::ElementsAttr>
  import(const onnx::TensorProto &tensor,
         int64_t inlineElements = kInlineElements);

private:
  mlir::MLIRContext &context;
  std::string fileName;
  std::string baseDir;
  /// Keeps the protobuf (and so every inline raw_data string) alive for as
  /// long as a blob aliases it.
  std::shared_ptr<onnx::ModelProto> model;
};

} // namespace accel::onnx_import

#endif // ACCEL_LIB_FRONTEND_ONNX_ONNXTENSORS_H
