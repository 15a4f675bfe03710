//===- ONNXShapeInference.h - ONNX shape inference, isolated ----*- C++ -*-===//
//
// Internal to the importer: ONNX 1.12's shape inference run in a forked child
// process, so that a model that crashes libonnx (it dereferences what
// malformed models leave out), or on which it hangs or exhausts memory, is one
// error line instead of a dead or stuck compiler.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_FRONTEND_ONNX_ONNXSHAPEINFERENCE_H
#define ACCEL_LIB_FRONTEND_ONNX_ONNXSHAPEINFERENCE_H

#include "accel/Frontend/ONNXImport.h"

#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"

#include <onnx/onnx_pb.h>

#include <string>

namespace accel::onnx_import {

/// Infers the types and shapes of `model`'s values with ONNX's shape
/// inference: types first (with `check_type`), then shapes with data
/// propagation when every Shape node's input is typed. Inference runs in a
/// forked child, which sends back the graph's value_info and outputs; they
/// replace `model`'s. When inference throws, `thrown` is its message (the
/// value_info and outputs are what it had inferred until then); otherwise it
/// is empty. The child may take `options.shapeInferenceSeconds` of
/// wall-clock time (then it is killed) and map
/// `options.shapeInferenceMemoryMiB` MiB of address space beyond what it
/// inherits. Fails, with one error at `fileLoc`, when the child dies on a
/// signal, exceeds a limit (the error names the limit, its value and what
/// sets it), exits with a non-zero status or sends back a malformed reply,
/// or when no child can be started.
mlir::LogicalResult inferShapes(onnx::ModelProto &model, mlir::Location fileLoc,
                                const ONNXImportOptions &options,
                                std::string &thrown);

} // namespace accel::onnx_import

#endif // ACCEL_LIB_FRONTEND_ONNX_ONNXSHAPEINFERENCE_H
