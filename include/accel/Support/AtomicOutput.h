//===- AtomicOutput.h - a file written whole or not at all -----*- C++ -*-===//
//
// An output file that appears only when complete: it is written to a
// temporary file beside its path, renamed over the path by keep(), and
// removed if the writer is destroyed first (an error, an early return).
// LLVM Support only: the package library and the compiler's passes use it.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SUPPORT_ATOMICOUTPUT_H
#define ACCEL_SUPPORT_ATOMICOUTPUT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace accel {

class AtomicOutput {
public:
  AtomicOutput() = default;
  AtomicOutput(const AtomicOutput &) = delete;
  AtomicOutput &operator=(const AtomicOutput &) = delete;
  /// Removes the temporary file unless keep() renamed it.
  ~AtomicOutput();

  /// Creates the temporary file beside `path`; an error "cannot write
  /// 'path': ..." when it cannot.
  llvm::Error open(llvm::StringRef path);
  /// The stream that writes the temporary file (after a successful open).
  llvm::raw_fd_ostream &stream() { return *os; }
  /// The temporary file's descriptor (after a successful open), for what the
  /// kernel writes into it (copy_file_range): flush the stream before, seek
  /// it after.
  int fd() const { return temp->FD; }
  /// Flushes the stream and renames the file over `path`; an error "cannot
  /// write 'path': ..." when a write or the rename failed (the temporary
  /// file is then removed).
  llvm::Error keep();

private:
  std::string path;
  std::optional<llvm::sys::fs::TempFile> temp;
  std::optional<llvm::raw_fd_ostream> os;
};

} // namespace accel

#endif // ACCEL_SUPPORT_ATOMICOUTPUT_H
