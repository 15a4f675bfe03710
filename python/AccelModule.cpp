//===- AccelModule.cpp - the `accel._accel` Python extension --------------===//

#include "accel/API/Module.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using accel::api::Module;

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

} // namespace

PYBIND11_MODULE(_accel, m) {
  m.doc() = "accel: an MLIR compiler from LLM graphs to FPGA engine code";
  accelError = PyErr_NewException("accel.AccelError", PyExc_RuntimeError,
                                  nullptr);
  m.attr("AccelError") = py::handle(accelError);

  py::class_<Module>(m, "Module", "An IR module with its own context")
      .def("to_mlir", &Module::toMLIR, py::arg("generic") = false,
           "The module as MLIR text")
      .def("op_counts", &Module::opCounts,
           "How many ops of each name the module holds")
      .def(
          "run_pipeline",
          [](Module &self, const std::string &pipeline) {
            if (llvm::Error error = self.runPipeline(pipeline))
              raise(std::move(error));
          },
          py::arg("pipeline"),
          "Run a textual pass pipeline (e.g. 'canonicalize,cse') in place")
      .def("__str__", [](const Module &self) { return self.toMLIR(); });

  m.def(
      "parse_mlir",
      [](const std::string &text, const std::string &name) {
        return unwrap(Module::parse(text, name));
      },
      py::arg("text"), py::arg("name") = "<string>",
      "Parse and verify MLIR text");
  m.def(
      "load_mlir",
      [](const std::string &path) { return unwrap(Module::load(path)); },
      py::arg("path"), "Read, parse and verify an MLIR file");
}
