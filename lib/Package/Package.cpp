//===- Package.cpp - write and read .accel packages -----------------------===//
//
// Implements docs/FORMATS.md §5. All integers little-endian.
//
//===----------------------------------------------------------------------===//

#include "accel/Package/Package.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace accel::package;
using llvm::ArrayRef;
using llvm::Twine;
namespace endian = llvm::support::endian;

namespace {

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string hex(uint64_t value) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format_hex(value, 2);
  return s;
}

llvm::Error failAt(uint64_t offset, const Twine &message) {
  return fail("offset " + hex(offset) + ": " + message);
}

} // namespace

llvm::StringRef accel::package::sectionName(SectionKind kind) {
  switch (kind) {
  case SectionKind::Code:
    return "code";
  case SectionKind::Weights:
    return "weights";
  case SectionKind::Params:
    return "params";
  case SectionKind::Metadata:
    return "metadata";
  case SectionKind::Config:
    return "config";
  case SectionKind::Symbols:
    return "symbols";
  case SectionKind::Tokenizer:
    return "tokenizer";
  }
  return "unknown";
}

bool accel::package::isPackage(ArrayRef<uint8_t> bytes) {
  return bytes.size() >= sizeof(kMagic) &&
         std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

llvm::Expected<std::vector<uint8_t>>
accel::package::build(ArrayRef<Section> sections) {
  bool seen[kNumSectionKinds + 1] = {};
  for (const Section &s : sections) {
    uint32_t kind = uint32_t(s.kind);
    if (kind < 1 || kind > kNumSectionKinds)
      return fail("unknown section kind " + Twine(kind));
    if (seen[kind])
      return fail("two " + sectionName(s.kind) + " sections");
    seen[kind] = true;
  }
  if (!seen[uint32_t(SectionKind::Code)])
    return fail("a package needs a code section");

  uint64_t tableEnd = kHeaderBytes + kEntryBytes * sections.size();
  uint64_t offset = llvm::alignTo(tableEnd, kAlign);
  std::vector<uint64_t> offsets;
  for (const Section &s : sections) {
    offsets.push_back(offset);
    offset = llvm::alignTo(offset + s.data.size(), kAlign);
  }
  std::vector<uint8_t> bytes(offset, 0);
  std::memcpy(bytes.data(), kMagic, sizeof(kMagic));
  endian::write32le(&bytes[8], kVersion);
  endian::write32le(&bytes[12], sections.size());
  endian::write64le(&bytes[16], bytes.size());
  for (auto [i, s] : llvm::enumerate(sections)) {
    uint8_t *e = &bytes[kHeaderBytes + kEntryBytes * i];
    endian::write32le(e, uint32_t(s.kind));
    endian::write64le(e + 8, offsets[i]);
    endian::write64le(e + 16, s.data.size());
    endian::write32le(e + 24, llvm::crc32(s.data));
    if (!s.data.empty())
      std::memcpy(&bytes[offsets[i]], s.data.data(), s.data.size());
  }
  endian::write32le(&bytes[24],
                    llvm::crc32(ArrayRef<uint8_t>(bytes).take_front(tableEnd)));
  return bytes;
}

llvm::Error accel::package::writeAtomically(llvm::StringRef path,
                                            ArrayRef<uint8_t> bytes) {
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return fail("cannot create a temporary file for '" + path +
                "': " + llvm::toString(temp.takeError()));
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      llvm::consumeError(temp->discard());
      return fail("cannot write '" + path + "': " + message);
    }
  }
  if (llvm::Error err = temp->keep(path))
    return fail("cannot write '" + path +
                "': " + llvm::toString(std::move(err)));
  return llvm::Error::success();
}

llvm::Error accel::package::write(llvm::StringRef path,
                                  ArrayRef<Section> sections) {
  llvm::Expected<std::vector<uint8_t>> bytes = build(sections);
  if (!bytes)
    return bytes.takeError();
  return writeAtomically(path, *bytes);
}

llvm::Expected<Package> Package::open(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read '" + path + "': " + buffer.getError().message());
  return fromBuffer(std::move(*buffer));
}

llvm::Expected<Package>
Package::fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  ArrayRef<uint8_t> b(
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
      buffer->getBufferSize());
  if (b.size() < kHeaderBytes)
    return failAt(b.size(), "truncated package: " + Twine(b.size()) +
                                " bytes, the header alone is 64");
  if (!isPackage(b))
    return failAt(0, "bad magic: not an accel package (expected 'ACCELPKG')");
  uint32_t version = endian::read32le(&b[8]);
  if (version != kVersion)
    return failAt(8, "package version " + Twine(version) +
                         ", this tool reads version " + Twine(kVersion));
  uint32_t count = endian::read32le(&b[12]);
  uint64_t size = endian::read64le(&b[16]);
  if (size != b.size())
    return failAt(16, "the header says " + Twine(size) +
                          " bytes, the file has " + Twine(b.size()) +
                          (size > b.size() ? " (truncated)" : ""));
  uint64_t tableEnd = kHeaderBytes + kEntryBytes * uint64_t(count);
  if (count > kNumSectionKinds || tableEnd > b.size())
    return failAt(12, Twine(count) + " sections do not fit the file");
  for (uint64_t i = 28; i < kHeaderBytes; ++i)
    if (b[i])
      return failAt(i, "reserved header byte is not 0");
  // The header CRC covers the header and the table, its own field as 0.
  std::vector<uint8_t> table(b.begin(), b.begin() + tableEnd);
  endian::write32le(&table[24], 0);
  uint32_t headerCrc = endian::read32le(&b[24]);
  if (uint32_t crc = llvm::crc32(table); crc != headerCrc)
    return failAt(24, "header CRC mismatch: the header says " + hex(headerCrc) +
                          ", the header and section table give " + hex(crc));

  Package package;
  bool seen[kNumSectionKinds + 1] = {};
  uint64_t previousEnd = tableEnd;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t at = kHeaderBytes + kEntryBytes * i;
    const uint8_t *e = &b[at];
    SectionEntry entry{SectionKind(endian::read32le(e)),
                       endian::read64le(e + 8), endian::read64le(e + 16),
                       endian::read32le(e + 24)};
    uint32_t kind = uint32_t(entry.kind);
    if (kind < 1 || kind > kNumSectionKinds)
      return failAt(at, "unknown section kind " + Twine(kind));
    if (seen[kind])
      return failAt(at, "a second " + sectionName(entry.kind) + " section");
    seen[kind] = true;
    if (endian::read32le(e + 4) || endian::read32le(e + 28))
      return failAt(at, "reserved section-table bytes are not 0");
    if (entry.offset % kAlign || entry.offset < previousEnd)
      return failAt(at + 8, sectionName(entry.kind) + " section offset " +
                                Twine(entry.offset) +
                                " is misaligned or overlaps the previous one");
    if (entry.size > b.size() || entry.offset > b.size() - entry.size)
      return failAt(at + 16, sectionName(entry.kind) + " section [" +
                                 Twine(entry.offset) + ", +" +
                                 Twine(entry.size) +
                                 ") runs past the end of the file (truncated)");
    uint32_t crc = llvm::crc32(b.slice(entry.offset, entry.size));
    if (crc != entry.crc32)
      return failAt(entry.offset, sectionName(entry.kind) +
                                      " section CRC mismatch: the table says " +
                                      hex(entry.crc32) + ", the bytes give " +
                                      hex(crc));
    previousEnd = entry.offset + entry.size;
    package.entries.push_back(entry);
  }
  if (!seen[uint32_t(SectionKind::Code)])
    return failAt(12, "the package has no code section");
  package.buffer = std::move(buffer);
  return std::move(package);
}

std::optional<ArrayRef<uint8_t>> Package::get(SectionKind kind) const {
  for (const SectionEntry &e : entries)
    if (e.kind == kind)
      return bytes().slice(e.offset, e.size);
  return std::nullopt;
}

ArrayRef<uint8_t> Package::bytes() const {
  return {reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
          buffer->getBufferSize()};
}
