//===- accel-onnx-node-tests.cpp - ONNX's node tests on the executor ------===//
//
// Runs ONNX's backend node tests (one directory per test: model.onnx and
// test_data_set_N/{input,output}_K.pb) through the ONNX importer and the
// reference executor, and compares every output as ONNX's backend tests do:
// element type and shape exactly; floats within rtol 1e-3 and atol 1e-5 (NaN
// matching NaN); integers and bools exactly. Prints a summary (and with
// --verbose one line per test) and optionally a JSON report. It is a report:
// it exits 0 unless --require-all-claimed finds a test whose operators are
// all claimed by the executor but whose outputs do not match.
//
//===----------------------------------------------------------------------===//

#include "accel/Frontend/ONNXImport.h"
#include "accel/InitAccel.h"
#include "accel/Reference/Executor.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

using namespace accel::reference;

static llvm::cl::OptionCategory category("accel-onnx-node-tests options");

static llvm::cl::opt<std::string>
    dataDir("data-dir", llvm::cl::desc("Directory of ONNX node tests"),
            llvm::cl::init("/usr/share/libonnx-testdata/data/node"),
            llvm::cl::cat(category));
static llvm::cl::opt<std::string>
    filter("filter", llvm::cl::desc("Run only tests whose name matches"),
           llvm::cl::init(""), llvm::cl::cat(category));
static llvm::cl::opt<std::string>
    jsonFile("json", llvm::cl::desc("Write a JSON report to this file"),
             llvm::cl::init(""), llvm::cl::cat(category));
static llvm::cl::opt<bool>
    verbose("verbose", llvm::cl::desc("Print one line per test"),
            llvm::cl::cat(category));
static llvm::cl::opt<bool> requireAllClaimed(
    "require-all-claimed",
    llvm::cl::desc("Exit 1 if a test whose op types are all supported runs "
                   "and does not match (import errors and modes the "
                   "executor declines are reported, not counted)"),
    llvm::cl::cat(category));

/// The largest tensor file read, so a malformed test cannot exhaust memory.
constexpr uint64_t kMaxTensorFileBytes = uint64_t(1) << 30;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// TensorProto files
//===----------------------------------------------------------------------===//

static llvm::Expected<DType> dtypeOf(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT: return DType::F32;
  case onnx::TensorProto::UINT8: return DType::U8;
  case onnx::TensorProto::INT8: return DType::I8;
  case onnx::TensorProto::UINT16: return DType::U16;
  case onnx::TensorProto::INT16: return DType::I16;
  case onnx::TensorProto::INT32: return DType::I32;
  case onnx::TensorProto::INT64: return DType::I64;
  case onnx::TensorProto::BOOL: return DType::Bool;
  case onnx::TensorProto::FLOAT16: return DType::F16;
  case onnx::TensorProto::DOUBLE: return DType::F64;
  case onnx::TensorProto::UINT32: return DType::U32;
  case onnx::TensorProto::UINT64: return DType::U64;
  case onnx::TensorProto::BFLOAT16: return DType::BF16;
  default:
    return fail("tensor element type " + llvm::Twine(dataType) +
                " (strings, complex) is not supported");
  }
}

static unsigned elementBytes(DType dtype) {
  switch (dtype) {
  case DType::F16: case DType::BF16: case DType::I16: case DType::U16: return 2;
  case DType::F32: case DType::I32: case DType::U32: return 4;
  case DType::F64: case DType::I64: case DType::U64: return 8;
  default: return 1;
  }
}

static float halfBitsToFloat(DType dtype, uint32_t bits) {
  if (dtype == DType::BF16) {
    uint32_t word = bits << 16;
    float value;
    std::memcpy(&value, &word, sizeof(value));
    return value;
  }
  uint32_t sign = (bits >> 15) & 1, exponent = (bits >> 10) & 0x1f,
           mantissa = bits & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400),
                           static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

/// Element `i` of little-endian raw data as a tensor element.
static void setFromRaw(Tensor &t, int64_t i, const char *raw) {
  const char *p = raw + i * elementBytes(t.getDType());
  auto load = [p](auto sample) {
    decltype(sample) value;
    std::memcpy(&value, p, sizeof(value));
    return value;
  };
  switch (t.getDType()) {
  case DType::F16:
  case DType::BF16:
    t.setDouble(i, halfBitsToFloat(t.getDType(), load(uint16_t())));
    return;
  case DType::F32: t.setDouble(i, load(float())); return;
  case DType::F64: t.setDouble(i, load(double())); return;
  case DType::I8: t.setInt(i, load(int8_t())); return;
  case DType::U8: case DType::Bool: t.setInt(i, load(uint8_t())); return;
  case DType::I16: t.setInt(i, load(int16_t())); return;
  case DType::U16: t.setInt(i, load(uint16_t())); return;
  case DType::I32: t.setInt(i, load(int32_t())); return;
  case DType::U32: t.setInt(i, load(uint32_t())); return;
  case DType::I64: case DType::U64: t.setInt(i, load(int64_t())); return;
  }
}

/// Sets element `i` from the typed field ONNX stores `t`'s dtype in.
static void setFromField(Tensor &t, int64_t i, const onnx::TensorProto &proto) {
  switch (t.getDType()) {
  case DType::F32: t.setDouble(i, proto.float_data(i)); return;
  case DType::F64: t.setDouble(i, proto.double_data(i)); return;
  case DType::F16:
  case DType::BF16:
    t.setDouble(i, halfBitsToFloat(t.getDType(), proto.int32_data(i)));
    return;
  case DType::I64: t.setInt(i, proto.int64_data(i)); return;
  case DType::U32:
  case DType::U64:
    t.setInt(i, static_cast<int64_t>(proto.uint64_data(i)));
    return;
  default: t.setInt(i, proto.int32_data(i)); return;
  }
}

static int64_t fieldSize(DType dtype, const onnx::TensorProto &proto) {
  switch (dtype) {
  case DType::F32: return proto.float_data_size();
  case DType::F64: return proto.double_data_size();
  case DType::I64: return proto.int64_data_size();
  case DType::U32: case DType::U64: return proto.uint64_data_size();
  default: return proto.int32_data_size();
  }
}

static llvm::Expected<Tensor> readTensorFile(llvm::StringRef path) {
  uint64_t size = 0;
  if (llvm::sys::fs::file_size(path, size) || size > kMaxTensorFileBytes)
    return fail("cannot read " + path);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail("cannot read " + path + ": " + buffer.getError().message());
  onnx::TensorProto proto;
  if (!proto.ParseFromArray((*buffer)->getBufferStart(),
                            static_cast<int>((*buffer)->getBufferSize())))
    return fail(path + " is not a TensorProto (sequence or optional value?)");
  llvm::Expected<DType> dtype = dtypeOf(proto.data_type());
  if (!dtype)
    return dtype.takeError();
  llvm::SmallVector<int64_t> shape(proto.dims().begin(), proto.dims().end());
  std::optional<int64_t> count = countElements(shape);
  if (!count || *count > int64_t(1) << 28)
    return fail(path + " has an invalid or huge shape");
  if (proto.has_data_location() &&
      proto.data_location() == onnx::TensorProto::EXTERNAL)
    return fail(path + " keeps its data externally");
  Tensor tensor(*dtype, shape);
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() != static_cast<size_t>(*count) * elementBytes(*dtype))
      return fail(path + ": raw data size does not match the shape");
    for (int64_t i = 0; i < *count; ++i)
      setFromRaw(tensor, i, raw.data());
    return tensor;
  }
  if (fieldSize(*dtype, proto) != *count)
    return fail(path + ": element count does not match the shape");
  for (int64_t i = 0; i < *count; ++i)
    setFromField(tensor, i, proto);
  return tensor;
}

//===----------------------------------------------------------------------===//
// Comparing outputs
//===----------------------------------------------------------------------===//

/// Why `actual` does not match `expected`, or an empty string.
static std::string mismatch(const Tensor &actual, const Tensor &expected) {
  if (actual.getDType() != expected.getDType() ||
      actual.getShape() != expected.getShape())
    return "got " + actual.toString(0) + ", expected " + expected.toString(0);
  for (int64_t i = 0, e = expected.getNumElements(); i < e; ++i) {
    bool equal;
    if (expected.isFloat()) {
      double a = actual.getDouble(i), b = expected.getDouble(i);
      equal = (std::isnan(a) && std::isnan(b)) || a == b ||
              std::fabs(a - b) <= 1e-5 + 1e-3 * std::fabs(b);
    } else {
      equal = actual.getInt(i) == expected.getInt(i);
    }
    if (!equal)
      return "element " + std::to_string(i) + " differs: got " +
             actual.toString(8) + ", expected " + expected.toString(8);
  }
  return "";
}

//===----------------------------------------------------------------------===//
// One test
//===----------------------------------------------------------------------===//

enum class Status { Pass, Fail, ImportError, Unsupported };

static llvm::StringRef statusName(Status status) {
  switch (status) {
  case Status::Pass: return "PASS";
  case Status::Fail: return "FAIL";
  case Status::ImportError: return "IMPORT-ERROR";
  case Status::Unsupported: return "UNSUPPORTED";
  }
  return "";
}

struct TestResult {
  std::string name;
  Status status = Status::Fail;
  std::string detail;
  /// The op types of the model's nodes (`domain:Type` outside ai.onnx).
  std::set<std::string> opTypes;
  /// True when every op type is one the executor claims.
  bool claimed = false;
  bool imported = false;
  bool ran = false;
};

static std::string firstLine(llvm::StringRef text) {
  return text.trim().split('\n').first.str();
}

/// The op types of the model's graph, read from the protobuf itself so they
/// are known even when the import fails.
static std::set<std::string> readOpTypes(llvm::StringRef modelPath) {
  std::set<std::string> types;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(modelPath);
  onnx::ModelProto model;
  if (!buffer || !model.ParseFromArray(
                     (*buffer)->getBufferStart(),
                     static_cast<int>((*buffer)->getBufferSize())))
    return types;
  for (const onnx::NodeProto &node : model.graph().node()) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    types.insert(defaultDomain ? node.op_type()
                               : node.domain() + ":" + node.op_type());
  }
  return types;
}

/// The files `prefix_K.pb` of a data set directory, in order of K.
static std::vector<std::string> numberedFiles(llvm::StringRef dir,
                                              llvm::StringRef prefix) {
  std::vector<std::string> files;
  for (int k = 0;; ++k) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, prefix + "_" + llvm::Twine(k) + ".pb");
    if (!llvm::sys::fs::exists(path))
      return files;
    files.push_back(path.str().str());
  }
}

static std::vector<std::string> subdirectories(llvm::StringRef dir,
                                               llvm::StringRef prefix) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with(prefix) &&
        llvm::sys::fs::is_directory(it->path()))
      dirs.push_back(it->path());
  llvm::sort(dirs);
  return dirs;
}

/// ONNX 1.12's test data stores bfloat16 tensors as UINT16 bit patterns
/// (numpy has no bfloat16); those are read back as the bf16 they encode.
static Tensor bf16FromBits(const Tensor &bits) {
  Tensor result(DType::BF16, bits.getShape());
  for (int64_t i = 0, e = bits.getNumElements(); i < e; ++i)
    result.setDouble(i, halfBitsToFloat(DType::BF16,
                                        static_cast<uint32_t>(bits.getInt(i))));
  return result;
}

static bool isBF16(mlir::Type type) {
  auto tensor = llvm::dyn_cast<mlir::TensorType>(type);
  return tensor && tensor.getElementType().isBF16();
}

/// Runs one data set; returns why it failed, or an empty string.
static std::string runDataSet(mlir::func::FuncOp fn, llvm::StringRef dir,
                              TestResult &result) {
  std::vector<Tensor> inputs, expected;
  for (const std::string &file : numberedFiles(dir, "input")) {
    llvm::Expected<Tensor> tensor = readTensorFile(file);
    if (!tensor)
      return "cannot read input: " + llvm::toString(tensor.takeError());
    inputs.push_back(std::move(*tensor));
  }
  for (const std::string &file : numberedFiles(dir, "output")) {
    llvm::Expected<Tensor> tensor = readTensorFile(file);
    if (!tensor)
      return "cannot read output: " + llvm::toString(tensor.takeError());
    expected.push_back(std::move(*tensor));
  }
  for (auto [tensor, type] : llvm::zip(inputs, fn.getArgumentTypes()))
    if (tensor.getDType() == DType::U16 && isBF16(type))
      tensor = bf16FromBits(tensor);
  for (auto [tensor, type] : llvm::zip(expected, fn.getResultTypes()))
    if (tensor.getDType() == DType::U16 && isBF16(type))
      tensor = bf16FromBits(tensor);
  llvm::Expected<std::vector<Tensor>> outputs = run(fn, inputs);
  if (!outputs) {
    std::string message = firstLine(llvm::toString(outputs.takeError()));
    // The executor declined an op or mode it does not implement.
    if (llvm::StringRef(message).contains("unsupported"))
      result.status = Status::Unsupported;
    return message;
  }
  result.ran = true;
  if (outputs->size() != expected.size())
    return "produced " + std::to_string(outputs->size()) + " outputs, " +
           std::to_string(expected.size()) + " expected";
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string why = mismatch((*outputs)[i], expected[i]);
    if (!why.empty())
      return "output " + std::to_string(i) + ": " + why;
  }
  return "";
}

static TestResult runTest(llvm::StringRef testDir,
                          const mlir::DialectRegistry &registry) {
  TestResult result;
  result.name = llvm::sys::path::filename(testDir).str();
  llvm::SmallString<256> modelPath(testDir);
  llvm::sys::path::append(modelPath, "model.onnx");
  result.opTypes = readOpTypes(modelPath);
  result.claimed = !result.opTypes.empty() &&
                   llvm::all_of(result.opTypes, [](const std::string &type) {
                     return isSupportedONNXOp(type);
                   });

  mlir::MLIRContext context(registry);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    if (d.getSeverity() == mlir::DiagnosticSeverity::Error &&
        diagnostics.empty())
      diagnostics = firstLine(d.str());
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      accel::importONNXFile(context, modelPath);
  if (!module) {
    result.status = Status::ImportError;
    result.detail = diagnostics.empty() ? "import failed" : diagnostics;
    return result;
  }
  result.imported = true;
  if (!result.claimed) {
    std::vector<std::string> missing;
    for (const std::string &type : result.opTypes)
      if (!isSupportedONNXOp(type))
        missing.push_back(type);
    result.status = Status::Unsupported;
    result.detail = llvm::join(missing, ", ");
    return result;
  }
  auto functions = module->getOps<mlir::func::FuncOp>();
  if (functions.empty()) {
    result.status = Status::ImportError;
    result.detail = "the module has no function";
    return result;
  }
  mlir::func::FuncOp fn = *functions.begin();
  std::vector<std::string> dataSets = subdirectories(testDir, "test_data_set_");
  if (dataSets.empty()) {
    result.status = Status::Fail;
    result.detail = "no test_data_set_* directory";
    return result;
  }
  for (const std::string &dataSet : dataSets) {
    result.status = Status::Fail;
    std::string why = runDataSet(fn, dataSet, result);
    if (!why.empty()) {
      result.detail = llvm::sys::path::filename(dataSet).str() + ": " + why;
      return result;
    }
  }
  result.status = Status::Pass;
  return result;
}

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

struct Summary {
  int total = 0, imported = 0, ran = 0, matched = 0;
  int claimed = 0, claimedMatched = 0;
  std::map<Status, int> byStatus, claimedByStatus;
  std::map<std::string, int> unsupportedOps;

  void add(const TestResult &r) {
    ++total;
    imported += r.imported;
    ran += r.ran;
    matched += r.status == Status::Pass;
    claimed += r.claimed;
    claimedMatched += r.claimed && r.status == Status::Pass;
    ++byStatus[r.status];
    if (r.claimed)
      ++claimedByStatus[r.status];
    if (r.status == Status::Unsupported)
      for (const std::string &type : r.opTypes)
        if (!isSupportedONNXOp(type))
          ++unsupportedOps[type];
  }

  void print(llvm::raw_ostream &os) const {
    os << "total " << total << ", imported " << imported << ", ran " << ran
       << ", matched " << matched << "\n";
    printByStatus(os, byStatus);
    os << "tests whose op types are all supported: " << claimed
       << ", matched " << claimedMatched << "\n";
    printByStatus(os, claimedByStatus);
  }

  /// Tests of claimed op types that ran (or failed to) and did not match:
  /// the executor's own failures, not the importer's or a declined mode.
  int claimedFailures() const {
    auto it = claimedByStatus.find(Status::Fail);
    return it == claimedByStatus.end() ? 0 : it->second;
  }

  static void printByStatus(llvm::raw_ostream &os,
                            const std::map<Status, int> &counts) {
    for (Status s : {Status::Pass, Status::Fail, Status::ImportError,
                     Status::Unsupported}) {
      auto it = counts.find(s);
      os << "  " << statusName(s) << ": "
         << (it == counts.end() ? 0 : it->second) << "\n";
    }
  }
};

static void writeJSON(llvm::raw_ostream &os, const Summary &summary,
                      llvm::ArrayRef<TestResult> results) {
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attributeObject("summary", [&] {
      json.attribute("total", summary.total);
      json.attribute("imported", summary.imported);
      json.attribute("ran", summary.ran);
      json.attribute("matched", summary.matched);
      json.attribute("claimed", summary.claimed);
      json.attribute("claimed_matched", summary.claimedMatched);
      json.attribute("claimed_failed", summary.claimedFailures());
      for (auto [status, count] : summary.byStatus)
        json.attribute(statusName(status), count);
    });
    json.attributeObject("unsupported_ops", [&] {
      for (const auto &[type, count] : summary.unsupportedOps)
        json.attribute(type, count);
    });
    json.attributeArray("tests", [&] {
      for (const TestResult &r : results)
        json.object([&] {
          json.attribute("name", r.name);
          json.attribute("status", statusName(r.status));
          json.attribute("detail", r.detail);
          json.attribute("claimed", r.claimed);
          json.attributeArray("ops", [&] {
            for (const std::string &type : r.opTypes)
              json.value(type);
          });
        });
    });
  });
  os << "\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "Runs ONNX's node tests on accel's reference executor\n");
  GOOGLE_PROTOBUF_VERIFY_VERSION;

  llvm::Regex pattern(filter.empty() ? std::string(".") : filter.getValue());
  std::string regexError;
  if (!pattern.isValid(regexError)) {
    llvm::errs() << "error: bad --filter: " << regexError << "\n";
    return 2;
  }
  if (!llvm::sys::fs::is_directory(dataDir)) {
    llvm::errs() << "error: " << dataDir << " is not a directory\n";
    return 2;
  }
  mlir::DialectRegistry registry;
  accel::registerAccelDialects(registry);

  std::vector<TestResult> results;
  Summary summary;
  for (const std::string &dir : subdirectories(dataDir, "")) {
    llvm::StringRef name = llvm::sys::path::filename(dir);
    if (!pattern.match(name))
      continue;
    TestResult result = runTest(dir, registry);
    if (verbose) {
      llvm::outs() << statusName(result.status) << " " << result.name;
      if (!result.detail.empty())
        llvm::outs() << ": " << result.detail;
      llvm::outs() << "\n";
      llvm::outs().flush();
    }
    summary.add(result);
    results.push_back(std::move(result));
  }
  summary.print(llvm::outs());

  if (!jsonFile.empty()) {
    // Written to a temporary file renamed into place: never half a file.
    if (llvm::Error err =
            llvm::writeToOutput(jsonFile, [&](llvm::raw_ostream &os) {
              writeJSON(os, summary, results);
              return llvm::Error::success();
            })) {
      llvm::errs() << "error: cannot write " << jsonFile << ": "
                   << llvm::toString(std::move(err)) << "\n";
      return 2;
    }
  }
  if (requireAllClaimed && summary.claimedFailures() != 0) {
    llvm::errs() << "error: " << summary.claimedFailures()
                 << " tests of supported op types did not match\n";
    return 1;
  }
  return 0;
}
