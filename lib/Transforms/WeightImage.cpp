//===- WeightImage.cpp - the engine's weight image: pack and unpack -------===//
//
// Implements docs/FORMATS.md. Every multi-byte field is little-endian; every
// packed tensor is a bit stream in which field i of width w occupies stream
// bits [i*w, (i+1)*w), stream bit j being bit (j mod 8) of byte j / 8, the
// field's least significant bit first.
//
//===----------------------------------------------------------------------===//

#include "accel/Transforms/WeightImage.h"

#include "accel/Support/IntElements.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>

using namespace accel;
using namespace accel::image;
using llvm::ArrayRef;
using llvm::MutableArrayRef;
using llvm::Twine;

namespace {

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

uint64_t align(uint64_t bytes) { return llvm::alignTo(bytes, kAlign); }
uint64_t bytesOfBits(uint64_t bits) { return (bits + 7) / 8; }

/// Writes `width`-bit fields LSB-first into a byte buffer.
class BitWriter {
public:
  explicit BitWriter(MutableArrayRef<uint8_t> bytes) : bytes(bytes) {}
  /// Writes the bits not yet written whole bytes: the low bits of the last
  /// byte, keeping its high bits.
  ~BitWriter() {
    for (; fill >= 8; fill -= 8, pending >>= 8)
      bytes[next++] = uint8_t(pending);
    if (fill) {
      uint8_t keep = uint8_t(~((1u << fill) - 1));
      bytes[next] = uint8_t((bytes[next] & keep) | pending);
    }
  }
  /// Appends the low `width` (<= 32) bits of `value`; 32 bits are stored
  /// at a time (a byte at a time was a tenth of accel-pack).
  void put(uint64_t value, unsigned width) {
    pending |= (value & ((uint64_t(1) << width) - 1)) << fill;
    fill += width;
    if (fill >= 32) {
      llvm::support::endian::write32le(&bytes[next], uint32_t(pending));
      next += 4;
      pending >>= 32;
      fill -= 32;
    }
  }

private:
  MutableArrayRef<uint8_t> bytes;
  uint64_t next = 0;    ///< the next whole byte to write
  uint64_t pending = 0; ///< bits not yet written, LSB first
  unsigned fill = 0;    ///< how many
};

/// Reads `width`-bit fields LSB-first from a byte buffer.
class BitReader {
public:
  explicit BitReader(ArrayRef<uint8_t> bytes) : bytes(bytes) {}
  uint64_t get(unsigned width) {
    uint64_t value = 0;
    unsigned done = 0;
    while (done < width) {
      unsigned shift = pos % 8, take = std::min(width - done, 8 - shift);
      uint64_t chunk = (bytes[pos / 8] >> shift) & ((1u << take) - 1);
      value |= chunk << done;
      done += take;
      pos += take;
    }
    return value;
  }

private:
  ArrayRef<uint8_t> bytes;
  uint64_t pos = 0;
};

void putLE(uint8_t *at, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    at[i] = uint8_t(value >> (8 * i));
}
uint64_t getLE(const uint8_t *at, unsigned bytes) {
  uint64_t value = 0;
  for (unsigned i = 0; i < bytes; ++i)
    value |= uint64_t(at[i]) << (8 * i);
  return value;
}

/// The value bits of one element as stored (the low `bits` of its two's
/// complement for symmetric integers).
uint64_t mask(unsigned bits) {
  return bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

/// The smallest and largest value of an element of `spec`.
std::pair<int64_t, int64_t> valueRange(const MatrixSpec &spec) {
  switch (spec.format) {
  case ValueFormat::IntAsymmetric:
    return {0, int64_t(mask(spec.bits))};
  case ValueFormat::IntSymmetric: {
    int64_t p = (int64_t(1) << (spec.bits - 1)) - 1;
    return {-p, p};
  }
  default:
    return {0, int64_t(mask(spec.bits))};
  }
}

} // namespace

TileLayout image::tileLayout(const MatrixSpec &spec, int64_t rows) {
  TileLayout t;
  t.rows = rows;
  uint64_t r = uint64_t(rows);
  if (isInteger(spec.format)) {
    uint64_t groups = r * uint64_t(spec.cols / spec.group);
    t.scaleBytes = groups * 2;
    if (spec.format == ValueFormat::IntAsymmetric)
      t.zeroPointBytes = bytesOfBits(groups * spec.bits);
  }
  if (spec.sparse())
    t.codeBytes =
        bytesOfBits(r * uint64_t(spec.cols / spec.sparseM) * spec.codeBits());
  t.valueBytes = bytesOfBits(r * uint64_t(spec.keptPerRow()) * spec.bits);
  t.scales = 0;
  t.zeroPoints = t.scales + align(t.scaleBytes);
  t.codes = t.zeroPoints + align(t.zeroPointBytes);
  t.values = t.codes + align(t.codeBytes);
  t.bytes = t.values + align(t.valueBytes);
  return t;
}

MatrixLayout image::matrixLayout(const MatrixSpec &spec) {
  MatrixLayout m;
  int64_t r = spec.rowsPerTile;
  m.tiles = (spec.rows + r - 1) / r;
  m.full = tileLayout(spec, std::min(r, spec.rows));
  m.last = tileLayout(spec, spec.rows - (m.tiles - 1) * r);
  m.bytes = uint64_t(m.tiles - 1) * m.full.bytes + m.last.bytes;
  return m;
}

uint64_t image::binomial(unsigned m, unsigned n) {
  if (n > m)
    return 0;
  uint64_t c = 1;
  for (unsigned i = 1; i <= n; ++i)
    c = c * (m - n + i) / i;
  return c;
}

uint32_t image::patternCode(ArrayRef<unsigned> positions, unsigned m) {
  // Count the subsets that precede this one: at slot i, every candidate j
  // between the previous position and p_i, fixed there, leaves
  // C(m - 1 - j, n - 1 - i) completions, all lexicographically smaller.
  unsigned n = positions.size();
  uint64_t code = 0;
  unsigned next = 0;
  for (unsigned i = 0; i < n; ++i) {
    for (unsigned j = next; j < positions[i]; ++j)
      code += binomial(m - 1 - j, n - 1 - i);
    next = positions[i] + 1;
  }
  return uint32_t(code);
}

llvm::Expected<std::vector<unsigned>>
image::patternPositions(uint32_t code, unsigned n, unsigned m) {
  if (code >= binomial(m, n))
    return fail("pattern code " + Twine(code) + " is not below C(" + Twine(m) +
                ", " + Twine(n) + ") = " + Twine(binomial(m, n)));
  std::vector<unsigned> positions;
  uint64_t rest = code;
  unsigned j = 0;
  for (unsigned i = 0; i < n; ++i) {
    for (;; ++j) {
      uint64_t below = binomial(m - 1 - j, n - 1 - i);
      if (rest < below)
        break;
      rest -= below;
    }
    positions.push_back(j++);
  }
  return positions;
}

/// The layout of `spec`, or an error when `spec` is invalid or a region of
/// `regionBytes` cannot hold the matrix.
static llvm::Expected<MatrixLayout> regionLayout(const MatrixSpec &spec,
                                                 size_t regionBytes) {
  if (std::string why = validate(spec); !why.empty())
    return fail(why);
  MatrixLayout layout = matrixLayout(spec);
  if (regionBytes < layout.bytes)
    return fail("the region holds " + Twine(regionBytes) +
                " bytes, the matrix takes " + Twine(layout.bytes));
  return layout;
}

namespace {

/// The rows of MatrixData::values.
struct WideRows {
  const int64_t *values;
  int64_t cols;
  /// Whether every value is known to be in range.
  bool inRange() const { return false; }
  const int64_t *row(int64_t n, std::vector<int64_t> &) const {
    return values + n * cols;
  }
};

/// The rows of PackedValues, each unpacked into a buffer of the caller's
/// (a row of 64-bit values stays in the cache while it is packed).
struct PackedRows {
  PackedValues values;
  int64_t cols;
  unsigned bits;
  bool symmetric;

  /// A B-bit field is an asymmetric value (the symmetric -2^(B-1) is not).
  bool inRange() const { return !symmetric; }
  const int64_t *row(int64_t n, std::vector<int64_t> &buffer) const {
    buffer.resize(cols);
    unpackIntFields(values.bytes.data(), bits,
                    values.first + uint64_t(n) * uint64_t(cols),
                    MutableArrayRef<int64_t>(buffer));
    if (symmetric)
      for (int64_t &value : buffer)
        value -= (value >> (bits - 1)) << bits; // sign-extend
    return buffer.data();
  }
};

} // namespace

/// What packing N:M groups looks up, by the bit mask of a group's kept
/// positions.
struct PatternTables {
  /// The pattern code of every set of N positions.
  std::vector<uint32_t> codeOf;
  /// Every set of at most N positions completed to N with the lowest
  /// positions it lacks (kept weights that quantized to the zero point); 0
  /// for a set of more than N (N >= 1, so no completed set is empty).
  std::vector<uint32_t> completed;
};

/// The PatternTables of N:M, built on first use and then shared: at M = 16
/// they hold 2^16 entries each, which packing a run of a few tiles built
/// afresh in most of a compile's time.
static const PatternTables &patternTables(unsigned n, unsigned m) {
  static std::mutex lock;
  static std::map<std::pair<unsigned, unsigned>, PatternTables> built;
  std::lock_guard<std::mutex> guard(lock);
  auto [it, inserted] = built.try_emplace({n, m});
  PatternTables &tables = it->second;
  if (!inserted)
    return tables;
  tables.codeOf.assign(size_t(1) << m, 0);
  tables.completed.assign(size_t(1) << m, 0);
  for (uint32_t set = 0; set < tables.codeOf.size(); ++set) {
    unsigned count = llvm::popcount(set);
    if (count == n) {
      std::vector<unsigned> positions;
      for (unsigned j = 0; j < m; ++j)
        if (set >> j & 1)
          positions.push_back(j);
      tables.codeOf[set] = patternCode(positions, m);
    }
    uint32_t full = set;
    for (unsigned j = 0; j < m && count < n; ++j)
      if (!(full >> j & 1)) {
        full |= uint32_t(1) << j;
        ++count;
      }
    tables.completed[set] = count > n ? 0 : full;
  }
  return tables;
}

/// packMatrix of the values `rows` gives (WideRows or PackedRows), the
/// scales and zero points of `data`.
template <typename Rows>
static llvm::Error packRows(const MatrixSpec &spec, const MatrixData &data,
                            const Rows &rows, const MatrixLayout &layout,
                            MutableArrayRef<uint8_t> region,
                            int64_t firstRow) {
  bool integer = isInteger(spec.format);
  bool asymmetric = spec.format == ValueFormat::IntAsymmetric;
  int64_t groupsPerRow = integer ? spec.cols / spec.group : 0;
  uint64_t groups = uint64_t(spec.rows) * uint64_t(groupsPerRow);
  if (data.scales.size() != groups)
    return fail("expected " + Twine(groups) + " scales, got " +
                Twine(data.scales.size()));
  if (data.zeroPoints.size() != (asymmetric ? groups : 0))
    return fail("expected " + Twine(asymmetric ? groups : 0) +
                " zero points, got " + Twine(data.zeroPoints.size()));

  auto [lo, hi] = valueRange(spec);
  int64_t zmax = int64_t(mask(spec.bits));
  for (uint64_t i = 0; i < groups && asymmetric; ++i)
    if (data.zeroPoints[i] < 0 || data.zeroPoints[i] > zmax)
      return fail("row " + Twine(firstRow + int64_t(i / groupsPerRow)) +
                  ", group " +
                  Twine(i % groupsPerRow) + ": zero point " +
                  Twine(data.zeroPoints[i]) + " outside [0, " + Twine(zmax) +
                  "]");
  // The value a pruned position holds.
  auto zeroOf = [&](int64_t n, int64_t k) -> int64_t {
    return asymmetric ? data.zeroPoints[n * groupsPerRow + k / spec.group] : 0;
  };

  unsigned m = spec.sparse() ? spec.sparseM : 0, codeBits = spec.codeBits();
  ArrayRef<uint32_t> codeOf, completed;
  if (m) {
    const PatternTables &tables = patternTables(spec.sparseN, m);
    codeOf = tables.codeOf;
    completed = tables.completed;
  }
  // A group of M lies within one quantization group: its zero point is read
  // once.
  bool oneZero = !asymmetric || (m && spec.group % m == 0);
  // Tiles are independent: they are packed in parallel, and the error of
  // the first failing tile is returned.
  std::vector<std::string> errors(layout.tiles);
  auto packTile = [&](int64_t t) -> llvm::Error {
    const TileLayout &tile = t + 1 == layout.tiles ? layout.last : layout.full;
    MutableArrayRef<uint8_t> base =
        region.drop_front(uint64_t(t) * layout.full.bytes);
    int64_t row0 = t * spec.rowsPerTile;
    if (integer) {
      uint8_t *scales = base.data() + tile.scales;
      for (uint64_t i = 0, e = uint64_t(tile.rows) * groupsPerRow; i < e; ++i)
        putLE(scales + 2 * i, data.scales[row0 * groupsPerRow + i], 2);
    }
    if (asymmetric) {
      BitWriter zeros(base.slice(tile.zeroPoints, tile.zeroPointBytes));
      for (uint64_t i = 0, e = uint64_t(tile.rows) * groupsPerRow; i < e; ++i)
        zeros.put(uint64_t(data.zeroPoints[row0 * groupsPerRow + i]),
                  spec.bits);
    }
    std::vector<int64_t> rowBuffer;
    BitWriter codes(base.slice(tile.codes, tile.codeBytes));
    BitWriter values(base.slice(tile.values, tile.valueBytes));
    uint64_t valueMask = mask(spec.bits), span = uint64_t(hi - lo);
    for (int64_t n = row0; n < row0 + tile.rows; ++n) {
      const int64_t *row = rows.row(n, rowBuffer);
      // The first k in [k0, k0 + count) whose value is outside [lo, hi].
      auto outside = [&](int64_t k0, int64_t count) -> std::optional<int64_t> {
        bool any = false;
        for (int64_t k = k0; k < k0 + count; ++k)
          any |= uint64_t(row[k]) - uint64_t(lo) > span;
        if (!any)
          return std::nullopt;
        for (int64_t k = k0;; ++k)
          if (uint64_t(row[k]) - uint64_t(lo) > span)
            return k;
      };
      auto rangeError = [&](int64_t k) {
        return fail("row " + Twine(firstRow + n) + ", k " + Twine(k) +
                    ": value " + Twine(row[k]) + " outside [" + Twine(lo) +
                    ", " + Twine(hi) + "]");
      };
      if (!m) {
        if (std::optional<int64_t> k =
                rows.inRange() ? std::nullopt : outside(0, spec.cols))
          return rangeError(*k);
        for (int64_t k = 0; k < spec.cols; ++k)
          values.put(uint64_t(row[k]) & valueMask, spec.bits);
        continue;
      }
      // The zero point of k0's quantization group, the group advanced as
      // k0 enters it (no division per group of M).
      const int64_t *rowZeros =
          asymmetric ? data.zeroPoints.data() + n * groupsPerRow : nullptr;
      int64_t quantGroup = 0, nextGroup = spec.group;
      // A row in range (all rows from a quantizer) is not checked again per
      // group of M; in another, errors are found in the order of k.
      bool inRange = rows.inRange() || !outside(0, spec.cols);
      for (int64_t k0 = 0; k0 < spec.cols; k0 += m) {
        if (std::optional<int64_t> k = inRange ? std::nullopt : outside(k0, m))
          return rangeError(*k);
        // Kept: the positions not holding the pruned value, completed to N
        // with the lowest positions that do.
        uint32_t set = 0;
        if (oneZero) {
          if (asymmetric && k0 == nextGroup) {
            ++quantGroup;
            nextGroup += spec.group;
          }
          int64_t zero = asymmetric ? rowZeros[quantGroup] : 0;
          for (unsigned j = 0; j < m; ++j)
            set |= uint32_t(row[k0 + j] != zero) << j;
        } else {
          for (unsigned j = 0; j < m; ++j)
            set |= uint32_t(row[k0 + j] != zeroOf(n, k0 + j)) << j;
        }
        if (!completed[set])
          return fail("row " + Twine(firstRow + n) + ", k " + Twine(k0) +
                      ".." + Twine(k0 + m - 1) + ": " +
                      Twine(llvm::popcount(set)) +
                      " non-zero weights in a group that keeps " +
                      Twine(spec.sparseN) + " of " + Twine(m));
        set = completed[set];
        codes.put(codeOf[set], codeBits);
        for (uint32_t rest = set; rest; rest &= rest - 1)
          values.put(uint64_t(row[k0 + llvm::countr_zero(rest)]) & valueMask,
                     spec.bits);
      }
    }
    return llvm::Error::success();
  };
  llvm::parallelFor(0, layout.tiles, [&](int64_t t) {
    if (llvm::Error error = packTile(t))
      errors[t] = llvm::toString(std::move(error));
  });
  for (const std::string &error : errors)
    if (!error.empty())
      return fail(error);
  return llvm::Error::success();
}

llvm::Error image::packMatrix(const MatrixSpec &spec, const MatrixData &data,
                              MutableArrayRef<uint8_t> region,
                              int64_t firstRow) {
  MatrixLayout layout;
  if (llvm::Error error = regionLayout(spec, region.size()).moveInto(layout))
    return error;
  uint64_t elements = uint64_t(spec.rows) * uint64_t(spec.cols);
  if (data.values.size() != elements)
    return fail("expected " + Twine(elements) + " values, got " +
                Twine(data.values.size()));
  return packRows(spec, data, WideRows{data.values.data(), spec.cols}, layout,
                  region, firstRow);
}

llvm::Error image::packMatrix(const MatrixSpec &spec, PackedValues values,
                              const MatrixData &groups,
                              MutableArrayRef<uint8_t> region,
                              int64_t firstRow) {
  MatrixLayout layout;
  if (llvm::Error error = regionLayout(spec, region.size()).moveInto(layout))
    return error;
  if (!isInteger(spec.format))
    return fail("packed values need an integer format");
  uint64_t end = values.first + uint64_t(spec.rows) * uint64_t(spec.cols);
  if (values.bytes.size() < bytesOfBits(end * spec.bits))
    return fail("the packed values hold " + Twine(values.bytes.size()) +
                " bytes, elements up to " + Twine(end) + " take " +
                Twine(bytesOfBits(end * spec.bits)));
  PackedRows rows{values, spec.cols, spec.bits,
                  spec.format == ValueFormat::IntSymmetric};
  return packRows(spec, groups, rows, layout, region, firstRow);
}

llvm::Expected<MatrixData> image::unpackMatrix(const MatrixSpec &spec,
                                               ArrayRef<uint8_t> region) {
  MatrixLayout layout;
  if (llvm::Error error = regionLayout(spec, region.size()).moveInto(layout))
    return std::move(error);
  bool integer = isInteger(spec.format);
  bool asymmetric = spec.format == ValueFormat::IntAsymmetric;
  bool symmetric = spec.format == ValueFormat::IntSymmetric;
  int64_t groupsPerRow = integer ? spec.cols / spec.group : 0;
  uint64_t groups = uint64_t(spec.rows) * uint64_t(groupsPerRow);
  MatrixData data;
  data.values.resize(uint64_t(spec.rows) * uint64_t(spec.cols));
  data.scales.resize(groups);
  data.zeroPoints.resize(asymmetric ? groups : 0);
  auto decode = [&](uint64_t bits) -> int64_t {
    if (symmetric && (bits >> (spec.bits - 1)) & 1)
      return int64_t(bits) - (int64_t(1) << spec.bits);
    return int64_t(bits);
  };

  unsigned m = spec.sparse() ? spec.sparseM : 0, codeBits = spec.codeBits();
  for (int64_t t = 0; t < layout.tiles; ++t) {
    const TileLayout &tile = t + 1 == layout.tiles ? layout.last : layout.full;
    ArrayRef<uint8_t> base = region.drop_front(uint64_t(t) * layout.full.bytes);
    int64_t row0 = t * spec.rowsPerTile;
    uint64_t tileGroups = uint64_t(tile.rows) * groupsPerRow;
    for (uint64_t i = 0; i < tileGroups; ++i)
      data.scales[row0 * groupsPerRow + i] =
          uint16_t(getLE(base.data() + tile.scales + 2 * i, 2));
    if (asymmetric) {
      BitReader zeros(base.slice(tile.zeroPoints, tile.zeroPointBytes));
      for (uint64_t i = 0; i < tileGroups; ++i)
        data.zeroPoints[row0 * groupsPerRow + i] = int64_t(zeros.get(spec.bits));
    }
    BitReader codes(base.slice(tile.codes, tile.codeBytes));
    BitReader values(base.slice(tile.values, tile.valueBytes));
    for (int64_t n = row0; n < row0 + tile.rows; ++n) {
      int64_t *row = data.values.data() + n * spec.cols;
      if (!m) {
        for (int64_t k = 0; k < spec.cols; ++k)
          row[k] = decode(values.get(spec.bits));
        continue;
      }
      for (int64_t k0 = 0; k0 < spec.cols; k0 += m) {
        for (unsigned j = 0; j < m; ++j)
          row[k0 + j] =
              asymmetric
                  ? data.zeroPoints[n * groupsPerRow + (k0 + j) / spec.group]
                  : 0;
        auto kept = patternPositions(uint32_t(codes.get(codeBits)),
                                     spec.sparseN, m);
        if (!kept)
          return fail("row " + Twine(n) + ", k " + Twine(k0) + ": " +
                      llvm::toString(kept.takeError()));
        for (unsigned j : *kept)
          row[k0 + j] = decode(values.get(spec.bits));
      }
    }
  }
  return data;
}

std::vector<ImageEntry> image::placeMatrices(ArrayRef<MatrixSpec> specs,
                                             uint64_t &totalBytes) {
  std::vector<ImageEntry> entries;
  uint64_t offset = align(kHeaderBytes + kEntryBytes * specs.size());
  for (const MatrixSpec &spec : specs) {
    ImageEntry e;
    e.spec = spec;
    e.offset = offset;
    e.bytes = matrixLayout(spec).bytes;
    offset += align(e.bytes);
    entries.push_back(e);
  }
  totalBytes = offset;
  return entries;
}

std::vector<uint8_t> image::imageHead(ArrayRef<ImageEntry> entries,
                                      uint64_t totalBytes) {
  std::vector<uint8_t> head(align(kHeaderBytes + kEntryBytes * entries.size()),
                            0);
  uint8_t *b = head.data();
  std::memcpy(b, kMagic, 8);
  putLE(b + 8, kVersion, 4);
  putLE(b + 12, entries.size(), 4);
  putLE(b + 16, totalBytes, 8);
  for (auto [i, e] : llvm::enumerate(entries)) {
    uint8_t *d = b + kHeaderBytes + kEntryBytes * i;
    putLE(d + 0, e.offset, 8);
    putLE(d + 8, e.bytes, 8);
    putLE(d + 16, uint64_t(e.spec.rows), 8);
    putLE(d + 24, uint64_t(e.spec.cols), 8);
    putLE(d + 32, isInteger(e.spec.format) ? uint64_t(e.spec.group) : 0, 8);
    putLE(d + 40, uint64_t(e.spec.rowsPerTile), 8);
    d[48] = uint8_t(e.spec.format);
    d[49] = uint8_t(e.spec.bits);
    d[50] = uint8_t(e.spec.sparse() ? e.spec.sparseN : 0);
    d[51] = uint8_t(e.spec.sparse() ? e.spec.sparseM : 0);
    d[52] = uint8_t(e.spec.codeBits());
  }
  return head;
}

void image::setChecksum(MutableArrayRef<uint8_t> header, uint32_t crc32) {
  putLE(header.data() + 24, crc32, 4);
}

Image image::layoutImage(ArrayRef<MatrixSpec> specs) {
  Image image;
  uint64_t total = 0;
  image.entries = placeMatrices(specs, total);
  image.bytes = imageHead(image.entries, total);
  image.bytes.resize(total, 0);
  return image;
}

MutableArrayRef<uint8_t> image::region(Image &image, unsigned index) {
  const ImageEntry &e = image.entries[index];
  return MutableArrayRef<uint8_t>(image.bytes).slice(e.offset, e.bytes);
}

void image::sealImage(Image &image) {
  image.crc32 =
      llvm::crc32(ArrayRef<uint8_t>(image.bytes).drop_front(kHeaderBytes));
  setChecksum(image.bytes, image.crc32);
}

llvm::Expected<Image> image::buildImage(ArrayRef<MatrixSpec> specs,
                                        ArrayRef<MatrixData> data) {
  if (specs.size() != data.size())
    return fail("expected one MatrixData per MatrixSpec");
  for (auto [i, spec] : llvm::enumerate(specs))
    if (std::string why = validate(spec); !why.empty())
      return fail("matrix " + Twine(i) + ": " + why);
  Image image = layoutImage(specs);
  for (unsigned i = 0; i < specs.size(); ++i)
    if (llvm::Error err = packMatrix(specs[i], data[i], region(image, i)))
      return fail("matrix " + Twine(i) + ": " + llvm::toString(std::move(err)));
  sealImage(image);
  return image;
}

llvm::Expected<ImageHeader> image::readHeader(ArrayRef<uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return fail("not a weight image (bad magic)");
  const uint8_t *b = bytes.data();
  if (uint32_t version = getLE(b + 8, 4); version != kVersion)
    return fail("weight image version " + Twine(version) + ", expected " +
                Twine(kVersion));
  ImageHeader header;
  header.matrices = getLE(b + 12, 4);
  header.bytes = getLE(b + 16, 8);
  header.crc32 = uint32_t(getLE(b + 24, 4));
  return header;
}

llvm::Expected<Image> image::readDirectory(ArrayRef<uint8_t> bytes) {
  llvm::Expected<ImageHeader> header = readHeader(bytes);
  if (!header)
    return header.takeError();
  const uint8_t *b = bytes.data();
  uint64_t count = header->matrices, total = header->bytes;
  if (total != bytes.size())
    return fail("the header says " + Twine(total) + " bytes, the image has " +
                Twine(bytes.size()));
  if (kHeaderBytes + kEntryBytes * count > total)
    return fail("the directory runs past the end of the image");
  Image image;
  image.crc32 = header->crc32;
  if (uint32_t crc = llvm::crc32(bytes.drop_front(kHeaderBytes));
      crc != image.crc32)
    return fail("checksum mismatch: the header says " + Twine(image.crc32) +
                ", the contents give " + Twine(crc));
  std::vector<MatrixSpec> specs;
  std::vector<std::pair<uint64_t, uint64_t>> where;
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t *d = b + kHeaderBytes + kEntryBytes * i;
    MatrixSpec spec;
    spec.rows = int64_t(getLE(d + 16, 8));
    spec.cols = int64_t(getLE(d + 24, 8));
    spec.group = int64_t(getLE(d + 32, 8));
    spec.rowsPerTile = int64_t(getLE(d + 40, 8));
    spec.format = ValueFormat(d[48]);
    spec.bits = d[49];
    spec.sparseN = d[50];
    spec.sparseM = d[51];
    if (std::string why = validate(spec); !why.empty())
      return fail("directory entry " + Twine(i) + ": " + why);
    if (d[52] != spec.codeBits())
      return fail("directory entry " + Twine(i) + ": code bits " +
                  Twine(unsigned(d[52])) + ", expected " +
                  Twine(spec.codeBits()));
    specs.push_back(spec);
    where.push_back({getLE(d, 8), getLE(d + 8, 8)});
  }
  uint64_t expectedTotal = 0;
  image.entries = placeMatrices(specs, expectedTotal);
  if (expectedTotal != total)
    return fail("the directory's matrices take " + Twine(expectedTotal) +
                " bytes, the image has " + Twine(total));
  for (auto [i, e] : llvm::enumerate(image.entries))
    if (e.offset != where[i].first || e.bytes != where[i].second)
      return fail("directory entry " + Twine(i) + " places its matrix at " +
                  Twine(where[i].first) + " (" + Twine(where[i].second) +
                  " bytes), expected " + Twine(e.offset) + " (" +
                  Twine(e.bytes) + " bytes)");
  return image;
}

llvm::Expected<MatrixData> image::readMatrix(ArrayRef<uint8_t> bytes,
                                             unsigned index) {
  llvm::Expected<Image> image = readDirectory(bytes);
  if (!image)
    return image.takeError();
  if (index >= image->entries.size())
    return fail("the image has " + Twine(image->entries.size()) +
                " matrices, no matrix " + Twine(index));
  const ImageEntry &e = image->entries[index];
  return unpackMatrix(e.spec, bytes.slice(e.offset, e.bytes));
}

/// a(x) b(x) modulo the CRC-32 polynomial, bit-reflected as zlib's; `a` is
/// not 0.
static uint32_t multiplyModP(uint32_t a, uint32_t b) {
  uint32_t m = uint32_t(1) << 31, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0)
        return p;
    }
    m >>= 1;
    b = b & 1 ? (b >> 1) ^ 0xedb88320u : b >> 1;
  }
}

uint32_t image::crc32Combine(uint32_t first, uint32_t second,
                             uint64_t secondBytes) {
  // Appending n bytes multiplies A's CRC by x^(8n): x^(2^k) squared up from
  // x (bit 30 reflected), one factor per set bit of 8n.
  uint32_t power = uint32_t(1) << 31; // x^0
  uint32_t square = uint32_t(1) << 30; // x^(2^k), from k = 0
  for (uint64_t n = secondBytes << 3; n; n >>= 1) {
    if (n & 1)
      power = multiplyModP(square, power);
    square = multiplyModP(square, square);
  }
  return multiplyModP(power, first) ^ second;
}
