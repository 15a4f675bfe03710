//===- Executor.h - the fp32 reference executor -----------------*- C++ -*-===//
//
// Runs a `func.func` of accel's IR on the host: the import-level `onnx.node`
// ops with the semantics of their ONNX operator at the module's opset, the
// float `accel` ops (the positioned Λ-attention forms and the KV cache write
// included), `arith.constant`, float `arith` element-wise ops, integer and
// index `arith` ops, `scf.for` loops and the `tensor` ops that slice tiles
// (extract, extract_slice, insert_slice, empty, cast). Index values are
// rank-0 i64 tensors. It exists to check the ONNX importer and the raising
// and tiling passes numerically (docs/REFERENCE.md); its golden mode
// (Golden.h) follows docs/NUMERICS.md.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_REFERENCE_EXECUTOR_H
#define ACCEL_REFERENCE_EXECUTOR_H

#include "accel/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace accel::reference {

/// The ai.onnx opset used when a module carries no `onnx.opset`.
constexpr int64_t kDefaultONNXOpset = 17;

/// Runs `fn` on `inputs` (one per argument, dtype and static dimensions
/// matching the argument's type) and returns one tensor per result. Fails,
/// never aborts, on anything it cannot execute: the error names the op (its
/// location, e.g. the ONNX node name, and its name or ONNX op type) and what
/// is wrong.
llvm::Expected<std::vector<Tensor>> run(mlir::func::FuncOp fn,
                                        llvm::ArrayRef<Tensor> inputs);

/// Converts a constant attribute (DenseElementsAttr or
/// DenseResourceElementsAttr of any integer or float element type, i1
/// included, or a scalar IntegerAttr/FloatAttr, index included, as a rank-0
/// tensor) into a tensor.
llvm::Expected<Tensor> fromAttribute(mlir::Attribute attr);

/// The elements of a constant attribute (as fromAttribute reads it),
/// row-major, each converted to float.
llvm::Expected<std::vector<float>> floatsFromAttribute(mlir::Attribute attr);

/// Calls `row(r, values)` for each row r (its last dimension; a scalar is
/// one row) of a constant attribute as floatsFromAttribute reads it. A
/// dense_resource blob is checked against its type, then converted a row at
/// a time, never whole (an f16 embedding table is not held in f32 beside
/// its blob).
llvm::Error
forEachFloatRow(mlir::Attribute attr,
                llvm::function_ref<void(int64_t, llvm::ArrayRef<float>)> row);

/// The ai.onnx op types that `run` implements, sorted.
llvm::ArrayRef<llvm::StringLiteral> supportedONNXOps();

/// True if `run` implements the ai.onnx op type `opType`.
bool isSupportedONNXOp(llvm::StringRef opType);

} // namespace accel::reference

#endif // ACCEL_REFERENCE_EXECUTOR_H
