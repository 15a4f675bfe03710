//===- ONNXShapeInference.cpp - ONNX shape inference, isolated ------------===//
//
// libonnx 1.12's shape inference reads what a malformed model leaves out
// without checking (a Shape input with no type, an empty Range bound, a
// LayerNormalization axis of a rank-0 tensor, ...) and dies on SIGSEGV.
// Rather than a pre-check per crash, inference runs in a forked child:
//
//   parent                               child (copy-on-write model)
//   pipe, fork ------------------------> crash signals to SIG_DFL, no core,
//                                        address space capped (RLIMIT_AS)
//   read the pipe to its end             InferShapes (types, then shapes)
//     or until the deadline: SIGKILL <-- reply: value_info + outputs
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
// Two limits keep a libonnx that hangs or blows up from taking the compiler
// with it: the parent kills the child at a wall-clock deadline, and the child
// may map only so many bytes of address space beyond the parent's (whose
// mappings, the model and any mapped weights, it inherits). An allocation
// refused under that cap ends the child through the new-handler with its own
// exit status, before libonnx could catch the std::bad_alloc.
//
//===----------------------------------------------------------------------===//

#include "ONNXShapeInference.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <poll.h>
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
/// The child's exit status when an allocation fails under its memory cap.
constexpr int kOutOfMemory = 4;

/// The longest time limit: a day.
constexpr double kMaxSeconds = 86400;

using Clock = std::chrono::steady_clock;

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

std::string secondsText(double seconds) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", seconds);
  return text;
}

[[noreturn]] void outOfMemory() { _exit(kOutOfMemory); }

/// Caps the address space at `addressBytes` (or the host's lower hard limit).
void capAddressSpace(uint64_t addressBytes) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0)
    return;
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max > addressBytes)
    limit.rlim_max = addressBytes;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_AS, &limit);
}

/// The child: infers within `addressBytes` of address space, replies on `fd`
/// and exits without returning.
[[noreturn]] void runChild(int fd, onnx::ModelProto &model,
                           uint64_t addressBytes) {
  // A crash kills the child plainly: LLVM's (or a sanitizer's) handlers
  // would print a stack dump on the standard error the parent shares.
  struct sigaction plain = {};
  plain.sa_handler = SIG_DFL;
  sigemptyset(&plain.sa_mask);
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
    sigaction(signal, &plain, nullptr);
  struct rlimit noCore = {0, 0};
  setrlimit(RLIMIT_CORE, &noCore);
  std::set_new_handler(outOfMemory);
  capAddressSpace(addressBytes);

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

/// The size of this process's address space (/proc/self/statm), or 0.
uint64_t addressSpaceBytes() {
  auto statm = llvm::MemoryBuffer::getFileAsStream("/proc/self/statm");
  uint64_t pages = 0;
  if (!statm || llvm::StringRef((*statm)->getBuffer())
                    .split(' ')
                    .first.getAsInteger(10, pages))
    return 0;
  return pages * uint64_t(sysconf(_SC_PAGESIZE));
}

/// Reads `fd` to its end, until the reply is too large to be one, or until
/// `deadline` (then sets `timedOut`).
std::string readAll(int fd, Clock::time_point deadline, int &error,
                    bool &timedOut) {
  std::string bytes;
  char buffer[1 << 16];
  error = 0;
  timedOut = false;
  while (bytes.size() <= kMaxReplyBytes) {
    int64_t left = std::chrono::ceil<std::chrono::milliseconds>(
                       deadline - Clock::now())
                       .count();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    struct pollfd ready = {fd, POLLIN, 0};
    int polled = ::poll(&ready, 1, int(std::min<int64_t>(left, INT_MAX)));
    if (polled < 0 && errno == EINTR)
      continue;
    if (polled < 0) {
      error = errno;
      break;
    }
    if (polled == 0)
      continue;
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
                                              const ONNXImportOptions &options,
                                              std::string &thrown) {
  double seconds = options.shapeInferenceSeconds;
  uint64_t memoryMiB = options.shapeInferenceMemoryMiB;
  // " (what sets the limit)", when the caller says.
  auto setBy = [](const std::string &setting) {
    return setting.empty() ? std::string()
                           : " (" + setting + " sets the limit)";
  };
  // The schema registry is built on first use, under a lock: build it here,
  // so that the child never waits for a lock another thread held at fork.
  onnx::OpSchemaRegistry::Schema("Identity", 1);
  if (!(seconds > 0 && seconds <= kMaxSeconds)) {
    emitError(fileLoc) << "the time limit of ONNX shape inference must be in "
                          "(0, "
                       << secondsText(kMaxSeconds) << "] s, got "
                       << secondsText(seconds)
                       << setBy(options.shapeInferenceSecondsSetting);
    return failure();
  }
  uint64_t inherited = addressSpaceBytes();
  if (inherited == 0) {
    emitError(fileLoc) << "cannot run ONNX shape inference: cannot read the "
                          "size of the address space (/proc/self/statm)";
    return failure();
  }
  uint64_t addressBytes = memoryMiB > (UINT64_MAX - inherited) >> 20
                              ? UINT64_MAX
                              : inherited + (memoryMiB << 20);
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds));

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
    runChild(fds[1], model, addressBytes);
  }
  close(fds[1]);
  int readError;
  bool timedOut;
  std::string reply = readAll(fds[0], deadline, readError, timedOut);
  if (timedOut)
    kill(child, SIGKILL);
  // Closed before waiting: a child still writing then fails instead of
  // blocking on a full pipe.
  close(fds[0]);
  int status = 0;
  pid_t waited;
  do
    waited = waitpid(child, &status, 0);
  while (waited < 0 && errno == EINTR);
  if (timedOut) {
    emitError(fileLoc) << "ONNX shape inference did not finish within its "
                          "time limit of "
                       << secondsText(seconds)
                       << " s on this model, so it was stopped"
                       << setBy(options.shapeInferenceSecondsSetting);
    return failure();
  }
  // ECHILD: the host ignores SIGCHLD, so the child was reaped for us; a
  // complete reply then says it finished.
  if (waited == child && WIFEXITED(status) &&
      WEXITSTATUS(status) == kOutOfMemory) {
    emitError(fileLoc) << "ONNX shape inference ran out of its memory limit "
                          "of "
                       << memoryMiB << " MiB on this model"
                       << setBy(options.shapeInferenceMemorySetting);
    return failure();
  }
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
