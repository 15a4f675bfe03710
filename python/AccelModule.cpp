//===- AccelModule.cpp - the `accel._accel` Python extension --------------===//

#include "accel/API/Module.h"
#include "accel/Reference/Golden.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>

namespace py = pybind11;
using accel::accelisa::CompileOptions;
using accel::api::Module;
using accel::reference::DType;
using accel::reference::Tensor;

namespace {

/// Raised for every error that accel reports; the text carries the
/// diagnostics with their locations.
PyObject *accelError = nullptr;

[[noreturn]] void raise(llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  PyErr_SetString(accelError, message.c_str());
  throw py::error_already_set();
}

template <typename T> T unwrap(llvm::Expected<T> value) {
  if (!value)
    raise(value.takeError());
  return std::move(*value);
}

/// The executor dtype of a numpy array.
DType dtypeOf(const py::array &array) {
  py::dtype dt = array.dtype();
  char kind = dt.kind();
  ssize_t size = dt.itemsize();
  if (kind == 'f')
    return size == 2 ? DType::F16 : size == 8 ? DType::F64 : DType::F32;
  if (kind == 'b')
    return DType::Bool;
  if (kind == 'i')
    return size == 1 ? DType::I8 : size == 2 ? DType::I16
                     : size == 4 ? DType::I32 : DType::I64;
  if (kind == 'u')
    return size == 1 ? DType::U8 : size == 2 ? DType::U16
                     : size == 4 ? DType::U32 : DType::U64;
  throw py::type_error("unsupported numpy dtype " +
                       py::str(dt).cast<std::string>());
}

/// A numpy array as an executor tensor (values converted, not aliased).
Tensor toTensor(const py::array &array) {
  DType dtype = dtypeOf(array);
  std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
  Tensor tensor(dtype, shape);
  int64_t n = tensor.getNumElements();
  if (dtype == DType::F64) {
    auto data = py::array_t<double, py::array::c_style | py::array::forcecast>(array);
    std::copy(data.data(), data.data() + n, tensor.getDoubles().begin());
  } else if (tensor.isFloat()) {
    auto data = py::array_t<float, py::array::c_style | py::array::forcecast>(array);
    std::copy(data.data(), data.data() + n, tensor.getFloats().begin());
  } else {
    auto data = py::array_t<int64_t, py::array::c_style | py::array::forcecast>(array);
    std::copy(data.data(), data.data() + n, tensor.getInts().begin());
  }
  return tensor;
}

/// An executor tensor as a numpy array of the matching dtype (bf16 as
/// float32, which numpy lacks).
py::array toArray(const Tensor &tensor) {
  std::vector<ssize_t> shape(tensor.getShape().begin(), tensor.getShape().end());
  py::array result;
  switch (tensor.getStorage()) {
  case accel::reference::Storage::Double:
    result = py::array_t<double>(shape, tensor.getDoubles().data());
    break;
  case accel::reference::Storage::Float:
    result = py::array_t<float>(shape, tensor.getFloats().data());
    break;
  case accel::reference::Storage::Int:
    result = py::array_t<int64_t>(shape, tensor.getInts().data());
    break;
  }
  const char *numpyType = nullptr;
  switch (tensor.getDType()) {
  case DType::F16: numpyType = "float16"; break;
  case DType::I8: numpyType = "int8"; break;
  case DType::I16: numpyType = "int16"; break;
  case DType::I32: numpyType = "int32"; break;
  case DType::U8: numpyType = "uint8"; break;
  case DType::U16: numpyType = "uint16"; break;
  case DType::U32: numpyType = "uint32"; break;
  case DType::U64: numpyType = "uint64"; break;
  case DType::Bool: numpyType = "bool"; break;
  default: break;
  }
  if (numpyType)
    result = result.attr("astype")(numpyType);
  return result;
}

/// Runs `function` of `module` (the main one if none) with `run` (the
/// reference executor or the golden model) on numpy inputs, without the GIL,
/// and returns numpy outputs by name.
py::dict runWith(const Module &module,
                 const std::map<std::string, py::array> &arrays,
                 const std::optional<std::string> &function,
                 llvm::Expected<std::map<std::string, Tensor>> (Module::*run)(
                     const std::map<std::string, Tensor> &, llvm::StringRef)
                     const) {
  std::map<std::string, Tensor> inputs;
  for (const auto &[name, array] : arrays)
    inputs.emplace(name, toTensor(array));
  std::string name = function.value_or("");
  std::map<std::string, Tensor> outputs;
  {
    py::gil_scoped_release release;
    llvm::Expected<std::map<std::string, Tensor>> result =
        (module.*run)(inputs, name);
    if (!result) {
      py::gil_scoped_acquire acquire;
      raise(result.takeError());
    }
    outputs = std::move(*result);
  }
  py::dict result;
  for (const auto &[name, tensor] : outputs)
    result[py::str(name)] = toArray(tensor);
  return result;
}

} // namespace

PYBIND11_MODULE(_accel, m) {
  m.doc() = "accel: an MLIR compiler from LLM graphs to FPGA engine code";
  accelError = PyErr_NewException("accel.AccelError", PyExc_RuntimeError,
                                  nullptr);
  m.attr("AccelError") = py::handle(accelError);

  // accel/__init__.py's `compile` fills these from its keyword arguments.
  py::class_<CompileOptions>(m, "CompileOptions",
                             "accelc's compilation flags, with its defaults")
      .def(py::init<>())
      .def_readwrite("prune", &CompileOptions::prune)
      .def_readwrite("prune_criterion", &CompileOptions::pruneCriterion)
      .def_readwrite("masks", &CompileOptions::masks)
      .def_readwrite("quant", &CompileOptions::quant)
      .def_readwrite("quant_method", &CompileOptions::quantMethod)
      .def_readwrite("quant_head", &CompileOptions::quantHead)
      .def_readwrite("calibration", &CompileOptions::calibration)
      .def_readwrite("group", &CompileOptions::group)
      .def_readwrite("kv_group", &CompileOptions::kvGroup)
      .def_readwrite("lambda_", &CompileOptions::lambda)
      .def_readwrite("decode", &CompileOptions::decode)
      .def_readwrite("rope_positions", &CompileOptions::ropePositions)
      .def_readwrite("tile", &CompileOptions::tile)
      .def_readwrite("prefill_tile", &CompileOptions::prefillTile)
      .def_readwrite("max_context", &CompileOptions::maxContext)
      .def_readwrite("attention", &CompileOptions::attention)
      .def_readwrite("share_attention", &CompileOptions::shareAttention)
      .def_readwrite("config", &CompileOptions::configPath)
      .def_readwrite("tokenizer", &CompileOptions::tokenizerPath)
      .def_readwrite("report", &CompileOptions::report)
      .def_readwrite("report_format", &CompileOptions::reportFormat)
      .def_readwrite("weight_image", &CompileOptions::weightImage);

  py::class_<Module>(m, "Module", "An IR module with its own context")
      .def("to_mlir", &Module::toMLIR, py::arg("generic") = false,
           "The module as MLIR text")
      .def("op_counts", &Module::opCounts,
           "How many ops of each name the module holds")
      .def(
          "run_pipeline",
          [](Module &self, const std::string &pipeline) {
            std::vector<std::string> warnings;
            if (llvm::Error error = self.runPipeline(pipeline, &warnings))
              raise(std::move(error));
            return warnings;
          },
          py::arg("pipeline"),
          "Run a textual pass pipeline (e.g. 'canonicalize,cse') in place; "
          "returns the warnings the passes emitted")
      .def(
          "compile_to_package",
          [](Module &self, const std::string &path, CompileOptions options) {
            // Errors name the keyword argument (kv_group), not the flag;
            // the import's dimensions are import_onnx's.
            options.optionName = [](llvm::StringRef flag) {
              if (flag == "dim")
                return std::string("import_onnx's dims");
              std::string name = flag == "lambda" ? "lambda_" : flag.str();
              std::replace(name.begin(), name.end(), '-', '_');
              return name;
            };
            py::gil_scoped_release release;
            if (llvm::Error error = self.compileToPackage(path, options)) {
              py::gil_scoped_acquire acquire;
              raise(std::move(error));
            }
          },
          py::arg("path"), py::arg("options"),
          "Compile the module in place to an .accel package as accelc does")
      .def(
          "reference_run",
          [](const Module &self, const std::map<std::string, py::array> &in,
             const std::optional<std::string> &function) {
            return runWith(self, in, function, &Module::referenceRun);
          },
          py::arg("inputs"), py::arg("function") = py::none(),
          "Run a function (by default the main one) on the fp32 reference "
          "executor")
      .def(
          "golden_run",
          [](const Module &self, const std::map<std::string, py::array> &in,
             const std::optional<std::string> &function) {
            return runWith(self, in, function, &Module::goldenRun);
          },
          py::arg("inputs"), py::arg("function") = py::none(),
          "Run a function (by default the main one) as the quantized golden "
          "model (docs/NUMERICS.md, bit-exact)")
      // accel/__init__.py wraps these as `Module.inputs` / `outputs`.
      .def_property_readonly("_main_inputs", &Module::inputs,
                             "[(name, type)] of the main function's inputs")
      .def_property_readonly("_main_outputs", &Module::outputs,
                             "[(name, type)] of the main function's outputs")
      .def_property_readonly("functions", &Module::functions,
                             "The names of the module's functions")
      .def(
          "function_inputs",
          [](const Module &self, const std::string &function) {
            return unwrap(self.functionInputs(function));
          },
          py::arg("function"), "[(name, type)] of a function's inputs")
      .def(
          "function_outputs",
          [](const Module &self, const std::string &function) {
            return unwrap(self.functionOutputs(function));
          },
          py::arg("function"), "[(name, type)] of a function's outputs")
      .def("__str__", [](const Module &self) { return self.toMLIR(); });

  m.def(
      "greedy_tokens",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> logits) {
        if (logits.ndim() < 1)
          throw py::value_error("logits need at least one dimension");
        ssize_t vocab = logits.shape(logits.ndim() - 1);
        std::vector<ssize_t> shape(logits.shape(),
                                   logits.shape() + logits.ndim() - 1);
        py::array_t<int64_t> tokens(shape);
        ssize_t rows = vocab ? logits.size() / vocab : 0;
        for (ssize_t r = 0; r < rows; ++r)
          tokens.mutable_data()[r] = accel::reference::golden::greedyToken(
              llvm::ArrayRef<float>(logits.data() + r * vocab, vocab));
        return tokens;
      },
      py::arg("logits"),
      "Greedy decoding of the golden model (NUMERICS §8): the index of the "
      "largest logit along the last axis, ties to the lowest index, NaN "
      "never wins");
  m.def(
      "parse_mlir",
      [](const std::string &text, const std::string &name) {
        return unwrap(Module::parse(text, name));
      },
      py::arg("text"), py::arg("name") = "<string>",
      "Parse and verify MLIR text");
  m.def(
      "import_onnx",
      [](const std::string &path, const std::map<std::string, int64_t> &dims,
         int64_t defaultDim, bool inferShapes, double seconds,
         uint64_t memoryMiB) {
        accel::ONNXImportOptions options;
        for (const auto &[name, size] : dims)
          options.dimValues[name] = size;
        options.defaultDimValue = defaultDim;
        options.inferShapes = inferShapes;
        options.shapeInferenceSeconds = seconds;
        options.shapeInferenceMemoryMiB = memoryMiB;
        options.shapeInferenceSecondsSetting =
            "import_onnx's shape_inference_timeout";
        options.shapeInferenceMemorySetting =
            "import_onnx's shape_inference_memory";
        return unwrap(Module::importONNX(path, options));
      },
      py::arg("path"), py::arg("dims") = std::map<std::string, int64_t>(),
      py::arg("default_dim") = 0, py::arg("infer_shapes") = true,
      py::arg("shape_inference_timeout") =
          accel::ONNXImportOptions().shapeInferenceSeconds,
      py::arg("shape_inference_memory") =
          accel::ONNXImportOptions().shapeInferenceMemoryMiB,
      "Import an ONNX model (weights inline or in external data files). "
      "ONNX shape inference runs in a child process that may take "
      "shape_inference_timeout seconds and map shape_inference_memory MiB "
      "beyond what it inherits");
  m.def(
      "load_mlir",
      [](const std::string &path) { return unwrap(Module::load(path)); },
      py::arg("path"), "Read, parse and verify an MLIR file");
}
