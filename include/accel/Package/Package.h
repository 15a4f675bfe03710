//===- Package.h - the .accel package: code, weights, metadata --*- C++ -*-===//
//
// The file the compiler writes and the simulator runs (docs/FORMATS.md §5):
// a 64-byte header, a section table, and 64-byte-aligned sections, each with
// its CRC-32. LLVM Support only.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_PACKAGE_PACKAGE_H
#define ACCEL_PACKAGE_PACKAGE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace accel {
class AtomicOutput;
} // namespace accel

namespace accel::package {

constexpr char kMagic[8] = {'A', 'C', 'C', 'E', 'L', 'P', 'K', 'G'};
constexpr uint32_t kVersion = 3;
constexpr uint64_t kAlign = 64;
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kEntryBytes = 32;

enum class SectionKind : uint32_t {
  Code = 1,      ///< instruction words (docs/ISA.md)
  Weights = 2,   ///< the weight image (§1)
  Params = 3,    ///< other constants: embeddings, norm weights, RoPE tables
  Metadata = 4,  ///< JSON: model, I/O, entry points, HBM placement
  Config = 5,    ///< JSON: the hardware config compiled for
  Symbols = 6,   ///< JSON: labels of the code
  Tokenizer = 7, ///< the tokenizer, as the model came with it
};
constexpr uint32_t kNumSectionKinds = 7;

/// `code`, `weights`, ...; "unknown" for other values.
llvm::StringRef sectionName(SectionKind kind);

struct Section {
  SectionKind kind;
  llvm::ArrayRef<uint8_t> data;
  /// When not empty, the section holds `data` followed by the ranges
  /// [offset, offset + size) of this file, in order, copied by the kernel
  /// as write() writes the package (a 7B model's weight image is never whole
  /// in memory); the section's CRC-32 is then `crc32`, given by its writer.
  std::string file = {};
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {};
  uint32_t crc32 = 0;
};

/// Lays sections out in the given order. Each kind at most once; a code
/// section is required; no file sections.
llvm::Expected<std::vector<uint8_t>> build(llvm::ArrayRef<Section> sections);

/// Writes `bytes` to `path` atomically: a temporary file beside it, renamed
/// over it only when complete. On error nothing is left behind.
llvm::Error writeAtomically(llvm::StringRef path,
                            llvm::ArrayRef<uint8_t> bytes);

/// Appends the ranges [offset, offset + size) of `file` to `out`, copied
/// from file to file by the kernel (copy_file_range; read and written a
/// chunk at a time where it cannot).
llvm::Error appendRanges(accel::AtomicOutput &out, llvm::StringRef file,
                         llvm::ArrayRef<std::pair<uint64_t, uint64_t>> ranges);

/// Writes the package of `sections` (laid out as build() does) atomically,
/// streaming each section (file sections by their ranges) into a
/// temporary file beside `path`, renamed over it only when complete. On
/// error nothing is left behind.
llvm::Error write(llvm::StringRef path, llvm::ArrayRef<Section> sections);

/// A section of a read package.
struct SectionEntry {
  SectionKind kind;
  uint64_t offset, size;
  uint32_t crc32;
};

/// A package read (mmap) and checked: magic, version, sizes, alignment,
/// overlaps and every CRC. Errors name the byte offset.
class Package {
public:
  static llvm::Expected<Package> open(llvm::StringRef path);
  static llvm::Expected<Package>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer);

  llvm::ArrayRef<SectionEntry> sections() const { return entries; }
  /// The bytes of the section of `kind`, if present.
  std::optional<llvm::ArrayRef<uint8_t>> get(SectionKind kind) const;
  llvm::ArrayRef<uint8_t> bytes() const;

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::vector<SectionEntry> entries;
};

/// True if the bytes start with the package magic.
bool isPackage(llvm::ArrayRef<uint8_t> bytes);

} // namespace accel::package

#endif // ACCEL_PACKAGE_PACKAGE_H
