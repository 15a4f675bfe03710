//===- AtomicOutputTest.cpp - files written whole or not at all -----------===//

#include "accel/Support/AtomicOutput.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace accel;

namespace {

/// A fresh directory, removed with what it holds.
class Directory {
public:
  Directory() {
    EXPECT_FALSE(
        llvm::sys::fs::createUniqueDirectory("accel-atomic-output", path));
  }
  ~Directory() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> joined(path);
    llvm::sys::path::append(joined, name);
    return std::string(joined);
  }
  /// The names of the entries, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end;
         it != end && !ec; it.increment(ec))
      names.push_back(std::string(llvm::sys::path::filename(it->path())));
    std::sort(names.begin(), names.end());
    return names;
  }

private:
  llvm::SmallString<128> path;
};

std::string contents(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : "<unreadable>";
}

void writeFile(const std::string &path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec);
  os << text;
}

TEST(AtomicOutput, KeepRenamesIntoPlace) {
  Directory dir;
  std::string target = dir.file("out.bin");
  AtomicOutput out;
  ASSERT_FALSE(bool(out.open(target)));
  out.stream() << "hello";
  // Until keep() only the temporary file exists, beside the target.
  std::vector<std::string> during = dir.entries();
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(llvm::StringRef(during[0]).starts_with("out.bin.tmp-"), true);
  ASSERT_FALSE(bool(out.keep()));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(contents(target), "hello");
}

TEST(AtomicOutput, KeepReplacesAnExistingFile) {
  Directory dir;
  std::string target = dir.file("out.bin");
  writeFile(target, "old");
  AtomicOutput out;
  ASSERT_FALSE(bool(out.open(target)));
  out.stream() << "new";
  ASSERT_FALSE(bool(out.keep()));
  EXPECT_EQ(contents(target), "new");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicOutput, DiscardedWithoutKeep) {
  Directory dir;
  std::string target = dir.file("out.bin");
  writeFile(target, "old");
  {
    AtomicOutput out;
    ASSERT_FALSE(bool(out.open(target)));
    out.stream() << "half written";
  }
  // The temporary file is gone and the existing file untouched.
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(contents(target), "old");
}

TEST(AtomicOutput, DiscardedAfterAFailedWrite) {
  Directory dir;
  {
    AtomicOutput out;
    ASSERT_FALSE(bool(out.open(dir.file("out.bin"))));
    // The file's descriptor now writes /dev/full: every write fails (a
    // full disk), and the writer returns early without keep().
    int full = ::open("/dev/full", O_WRONLY);
    ASSERT_GE(full, 0);
    ASSERT_GE(::dup2(full, out.fd()), 0);
    ::close(full);
    out.stream() << std::string(1 << 16, 'x');
    out.stream().flush();
    EXPECT_TRUE(out.stream().has_error());
    out.stream() << "more, still buffered";
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicOutput, OpenFailsInAMissingDirectory) {
  Directory dir;
  std::string target = dir.file("missing/out.bin");
  AtomicOutput out;
  llvm::Error err = out.open(target);
  ASSERT_TRUE(bool(err));
  std::string message = llvm::toString(std::move(err));
  EXPECT_EQ(llvm::StringRef(message).starts_with("cannot write '" + target +
                                                 "': cannot create a "
                                                 "temporary file: "),
            true)
      << message;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicOutput, FailedKeepLeavesNothing) {
  Directory dir;
  // A directory in the way: the rename fails.
  std::string target = dir.file("out.bin");
  ASSERT_FALSE(llvm::sys::fs::create_directory(target));
  AtomicOutput out;
  ASSERT_FALSE(bool(out.open(target)));
  out.stream() << "data";
  llvm::Error err = out.keep();
  ASSERT_TRUE(bool(err));
  std::string message = llvm::toString(std::move(err));
  EXPECT_EQ(llvm::StringRef(message).starts_with("cannot write '" + target +
                                                 "': "),
            true)
      << message;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  EXPECT_TRUE(llvm::sys::fs::is_directory(target));
}

} // namespace
