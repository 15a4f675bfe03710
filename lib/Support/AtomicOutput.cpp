//===- AtomicOutput.cpp - a file written whole or not at all --------------===//

#include "accel/Support/AtomicOutput.h"

using namespace accel;

static llvm::Error cannotWrite(llvm::StringRef path,
                               const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot write '" + path + "': " + message);
}

llvm::Error AtomicOutput::open(llvm::StringRef path) {
  this->path = path.str();
  llvm::Expected<llvm::sys::fs::TempFile> created =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!created)
    return cannotWrite(path, "cannot create a temporary file: " +
                                 llvm::toString(created.takeError()));
  temp.emplace(std::move(*created));
  os.emplace(temp->FD, /*shouldClose=*/false);
  return llvm::Error::success();
}

llvm::Error AtomicOutput::keep() {
  os->flush();
  if (os->has_error()) {
    std::string message = os->error().message();
    os->clear_error();
    return cannotWrite(path, message);
  }
  os.reset();
  // TempFile::keep removes the temporary file itself when it fails.
  llvm::Error err = temp->keep(path);
  temp.reset();
  if (err)
    return cannotWrite(path, llvm::toString(std::move(err)));
  return llvm::Error::success();
}

AtomicOutput::~AtomicOutput() {
  if (os) {
    // Discarded: a failed write is not an error here (a stream destroyed
    // with one is a fatal error, an abort).
    os->flush();
    os->clear_error();
    os.reset();
  }
  if (temp)
    llvm::consumeError(temp->discard());
}
