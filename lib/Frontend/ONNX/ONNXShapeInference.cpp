//===- ONNXShapeInference.cpp - ONNX shape inference, isolated ------------===//
//
// libonnx 1.12's shape inference reads what a malformed model leaves out
// without checking (a Shape input with no type, an empty Range bound, a
// LayerNormalization axis of a rank-0 tensor, ...) and dies on SIGSEGV.
// Rather than a pre-check per crash, inference runs in a forked child:
//
//   parent                               child (copy-on-write model)
//   pipe, fork ------------------------> crash signals to SIG_DFL, no core
//   read the pipe to its end             InferShapes (types, then shapes)
//                                  <---- reply: value_info + outputs
//   waitpid: signal / status / reply     _exit(0)
//
// The reply is a 16-byte header (the lengths of the exception message and of
// the graph, little-endian 64-bit), the message, and a GraphProto holding
// only the graph's value_info and outputs (what inference adds to or
// refines), so its cost does not grow with the weights: the model itself is
// never copied. The child runs nothing but inference and write(2) and leaves
// by _exit: it shares no locks with the parent's other threads (llvm thread
// pools, a Python host's) beyond those libonnx and protobuf take, and
// flushes none of the parent's buffers.
//
//===----------------------------------------------------------------------===//

#include "ONNXShapeInference.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;

namespace {

constexpr size_t kHeaderBytes = 16;
/// A reply past this is malformed: protobuf parses at most 2 GB.
constexpr size_t kMaxReplyBytes = kHeaderBytes + size_t(INT32_MAX) * 2;
/// The child's exit status when it cannot build or write its reply.
constexpr int kReplyFailed = 3;

/// Whether the input of every Shape node has a type. ONNX 1.12's data
/// propagation reads that type without checking that there is one (a
/// segfault when the input comes from an operator ONNX does not know, or
/// whose inference failed). The child would die on it, but skipping the
/// second pass instead lets the importer name the node at fault.
bool shapeInputsTyped(const onnx::GraphProto &graph) {
  llvm::StringSet<> typed;
  for (const auto *infos : {&graph.input(), &graph.value_info(), &graph.output()})
    for (const onnx::ValueInfoProto &info : *infos)
      if (info.has_type())
        typed.insert(info.name());
  for (const onnx::TensorProto &init : graph.initializer())
    typed.insert(init.name());
  return llvm::all_of(graph.node(), [&](const onnx::NodeProto &node) {
    bool shape = node.op_type() == "Shape" &&
                 (node.domain().empty() || node.domain() == "ai.onnx");
    return !shape || node.input_size() == 0 || typed.contains(node.input(0));
  });
}

/// Types first, then shapes with data propagation where that is safe.
/// check_type: an input whose element type the operator does not take (a
/// float MatMul of an int32 weight) is an error at its node.
void runInference(onnx::ModelProto &model) {
  for (bool propagate : {false, true}) {
    if (propagate && !shapeInputsTyped(model.graph()))
      break;
    onnx::ShapeInferenceOptions options(/*check_type=*/true,
                                        /*error_mode=*/0, propagate);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), options);
  }
}

bool writeAll(int fd, const std::string &bytes) {
  const char *data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    left -= size_t(n);
  }
  return true;
}

/// The child: infers, replies on `fd` and exits without returning.
[[noreturn]] void runChild(int fd, onnx::ModelProto &model) {
  // A crash kills the child plainly: LLVM's (or a sanitizer's) handlers
  // would print a stack dump on the standard error the parent shares.
  struct sigaction plain = {};
  plain.sa_handler = SIG_DFL;
  sigemptyset(&plain.sa_mask);
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
    sigaction(signal, &plain, nullptr);
  struct rlimit noCore = {0, 0};
  setrlimit(RLIMIT_CORE, &noCore);

  bool replied = false;
  try {
    std::string thrown;
    try {
      runInference(model);
    } catch (const std::exception &e) {
      thrown = e.what();
    }
    onnx::GraphProto inferred;
    *inferred.mutable_value_info() = model.graph().value_info();
    *inferred.mutable_output() = model.graph().output();
    std::string graph;
    if (inferred.SerializeToString(&graph)) {
      std::string header(kHeaderBytes, '\0');
      llvm::support::endian::write64le(&header[0], thrown.size());
      llvm::support::endian::write64le(&header[8], graph.size());
      replied = writeAll(fd, header) && writeAll(fd, thrown) &&
                writeAll(fd, graph);
    }
  } catch (...) {
    replied = false;
  }
  _exit(replied ? 0 : kReplyFailed);
}

/// Reads `fd` to its end, or until the reply is too large to be one.
std::string readAll(int fd, int &error) {
  std::string bytes;
  char buffer[1 << 16];
  error = 0;
  while (bytes.size() <= kMaxReplyBytes) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      error = errno;
    if (n <= 0)
      break;
    bytes.append(buffer, size_t(n));
  }
  return bytes;
}

/// Takes the child's value_info and outputs into `model`; fails on a reply
/// that is not one.
LogicalResult takeReply(StringRef reply, onnx::ModelProto &model,
                        std::string &thrown) {
  if (reply.size() < kHeaderBytes || reply.size() > kMaxReplyBytes)
    return failure();
  uint64_t thrownBytes = llvm::support::endian::read64le(reply.data());
  uint64_t graphBytes = llvm::support::endian::read64le(reply.data() + 8);
  uint64_t body = reply.size() - kHeaderBytes;
  if (thrownBytes > body || graphBytes != body - thrownBytes ||
      graphBytes > uint64_t(INT32_MAX))
    return failure();
  onnx::GraphProto inferred;
  if (!inferred.ParseFromArray(reply.data() + kHeaderBytes + thrownBytes,
                               int(graphBytes)))
    return failure();
  onnx::GraphProto &graph = *model.mutable_graph();
  if (inferred.output_size() != graph.output_size())
    return failure();
  for (int i = 0; i < graph.output_size(); ++i)
    if (inferred.output(i).name() != graph.output(i).name())
      return failure();
  graph.mutable_value_info()->Swap(inferred.mutable_value_info());
  graph.mutable_output()->Swap(inferred.mutable_output());
  thrown = reply.substr(kHeaderBytes, thrownBytes).str();
  return success();
}

} // namespace

LogicalResult accel::onnx_import::inferShapes(onnx::ModelProto &model,
                                              Location fileLoc,
                                              std::string &thrown) {
  // The schema registry is built on first use, under a lock: build it here,
  // so that the child never waits for a lock another thread held at fork.
  onnx::OpSchemaRegistry::Schema("Identity", 1);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    emitError(fileLoc) << "cannot run ONNX shape inference: pipe: "
                       << std::strerror(errno);
    return failure();
  }
  pid_t child = fork();
  if (child < 0) {
    int error = errno;
    close(fds[0]);
    close(fds[1]);
    emitError(fileLoc) << "cannot run ONNX shape inference: fork: "
                       << std::strerror(error);
    return failure();
  }
  if (child == 0) {
    close(fds[0]);
    runChild(fds[1], model);
  }
  close(fds[1]);
  int readError;
  std::string reply = readAll(fds[0], readError);
  // Closed before waiting: a child still writing then fails instead of
  // blocking on a full pipe.
  close(fds[0]);
  int status = 0;
  pid_t waited;
  do
    waited = waitpid(child, &status, 0);
  while (waited < 0 && errno == EINTR);
  // ECHILD: the host ignores SIGCHLD, so the child was reaped for us; a
  // complete reply then says it finished.
  if (waited == child && WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    emitError(fileLoc) << "ONNX shape inference crashed on this model (signal "
                       << signal << ": " << strsignal(signal) << ")";
    return failure();
  }
  if (waited == child && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    emitError(fileLoc) << "ONNX shape inference failed: its child process "
                          "exited with status "
                       << WEXITSTATUS(status);
    return failure();
  }
  if (readError != 0 || failed(takeReply(reply, model, thrown))) {
    emitError(fileLoc) << "ONNX shape inference failed: its child process "
                          "sent back a malformed reply ("
                       << reply.size() << " bytes"
                       << (readError ? std::string(": ") +
                                           std::strerror(readError)
                                     : std::string())
                       << ")";
    return failure();
  }
  return success();
}
