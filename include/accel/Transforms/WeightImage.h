//===- WeightImage.h - the engine's weight image: pack and unpack -*- C++ -*-===//
//
// The weight image is the file the engine streams linear-layer weights from
// (docs/FORMATS.md): a header, a directory of one entry per matrix, and per
// matrix a run of 64-byte-aligned tiles of `rows_per_tile` output rows, each
// tile holding its rows' scales, zero points, N:M pattern codes and kept
// values, bit-packed LSB-first. This library packs and unpacks it; it knows
// nothing of MLIR, so the pass (accel-pack), the tests and later the
// simulator's loader can share or re-implement it against the document.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TRANSFORMS_WEIGHTIMAGE_H
#define ACCEL_TRANSFORMS_WEIGHTIMAGE_H

#include "accel/Dialect/Accel/Footprint.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace accel::image {

/// Every tensor, tile and matrix region starts at a multiple of this many
/// bytes (one HBM burst of the U280's 512-bit AXI ports).
constexpr uint64_t kAlign = 64;
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kEntryBytes = 64;
constexpr uint32_t kVersion = 1;
/// The first 8 bytes of every image.
constexpr char kMagic[8] = {'A', 'C', 'C', 'E', 'L', 'W', 'I', 'M'};

/// How a matrix's values are stored (the directory's `format` byte).
enum class ValueFormat : uint8_t {
  IntAsymmetric = 0, ///< unsigned B-bit q, f16 scales, B-bit zero points
  IntSymmetric = 1,  ///< two's-complement B-bit q in [-P, P], f16 scales
  F32 = 2,           ///< unquantized IEEE binary32
  F16 = 3,           ///< unquantized IEEE binary16
  BF16 = 4,          ///< unquantized bfloat16
};

bool isInteger(ValueFormat format);

/// What one matrix is, as far as its image is concerned. `bits` is the
/// quantized width B (2, 3, 4, 8) for integers and 32/16/16 for floats.
struct MatrixSpec {
  int64_t rows = 0, cols = 0; ///< N (output features), K (reduction)
  ValueFormat format = ValueFormat::IntAsymmetric;
  unsigned bits = 0;
  int64_t group = 0;          ///< quantization group along K (integers only)
  unsigned sparseN = 0, sparseM = 0; ///< 0, 0: dense (N == M is dense too)
  int64_t rowsPerTile = 16;   ///< R >= 1

  bool sparse() const { return sparseM != 0 && sparseN < sparseM; }
  /// Values stored per row: K, or K / M * N when sparse.
  int64_t keptPerRow() const;
  /// Bits of one pattern code: ceil(log2 C(M, N)), 0 when dense.
  unsigned codeBits() const;
  /// The footprint model's view of this matrix (Footprint.h).
  StorageScheme storageScheme() const;

  /// Whether two specs lay a matrix out alike (the same region bytes for
  /// the same values).
  bool operator==(const MatrixSpec &other) const;
  bool operator!=(const MatrixSpec &other) const { return !(*this == other); }
};
/// Hashes the fields operator== compares.
llvm::hash_code hash_value(const MatrixSpec &spec);

/// An error message if `spec` cannot be laid out (bad width, a group or M
/// that does not divide K, ...); empty when it can.
std::string validate(const MatrixSpec &spec);

/// Where the four tensors of one tile lie, relative to the tile's start.
/// A tensor a matrix does not have has 0 bytes. `*Bytes` are the bytes the
/// tensor uses; each tensor is followed by zero padding up to kAlign.
struct TileLayout {
  int64_t rows = 0;
  uint64_t scales = 0, scaleBytes = 0;
  uint64_t zeroPoints = 0, zeroPointBytes = 0;
  uint64_t codes = 0, codeBytes = 0;
  uint64_t values = 0, valueBytes = 0;
  uint64_t bytes = 0; ///< the tile, padding included (a multiple of kAlign)
};

/// The tile of `rows` rows of a matrix laid out under `spec`.
TileLayout tileLayout(const MatrixSpec &spec, int64_t rows);

/// A matrix's region: `tiles` tiles of rowsPerTile rows, the last one of
/// the remaining rows; tile t starts at t * full.bytes.
struct MatrixLayout {
  int64_t tiles = 0;
  TileLayout full, last;
  uint64_t bytes = 0;
};
MatrixLayout matrixLayout(const MatrixSpec &spec);

/// The logical contents of a matrix, row-major.
struct MatrixData {
  /// [rows * cols]: integers as their value (unsigned for asymmetric,
  /// signed for symmetric); floats as their IEEE bit pattern. Pruned
  /// positions of a sparse matrix hold the zero point of their group (0 when
  /// symmetric, +0.0 for floats).
  std::vector<int64_t> values;
  /// [rows * cols / group]: the f16 bit patterns of the scales (integers).
  std::vector<uint16_t> scales;
  /// [rows * cols / group]: zero points (asymmetric integers).
  std::vector<int64_t> zeroPoints;
};

/// The rank of the N-subset `positions` (ascending, each < m) among all
/// N-subsets of {0..m-1} in lexicographic order of their ascending position
/// lists: {0,1} = 0, {0,2} = 1, ..., {2,3} = 5 for 2:4.
uint32_t patternCode(llvm::ArrayRef<unsigned> positions, unsigned m);
/// The inverse of patternCode; an error if `code` >= C(m, n).
llvm::Expected<std::vector<unsigned>> patternPositions(uint32_t code,
                                                       unsigned n, unsigned m);
/// C(m, n).
uint64_t binomial(unsigned m, unsigned n);

/// Writes `data` into `region` (matrixLayout(spec).bytes bytes, zeroed by
/// the caller). Fails when a value is out of range for the format, a sparse
/// group holds more than N stored values other than its zero point, or a
/// vector has the wrong size. A matrix can be packed a run of whole tiles at
/// a time: the run of rows [r, r + n), r a multiple of rowsPerTile, as a
/// matrix of n rows into its region from tile r / rowsPerTile on; its
/// errors then name the row as `firstRow` (r) plus the run's row.
llvm::Error packMatrix(const MatrixSpec &spec, const MatrixData &data,
                       llvm::MutableArrayRef<uint8_t> region,
                       int64_t firstRow = 0);
/// Integer values as B-bit fields packed LSB-first (bit j of the stream is
/// bit j mod 8 of byte j / 8; at B = 8 a byte per value): the layout of a
/// quantized constant's packed blob (accel/Support/IntElements.h),
/// row-major, the matrix's element 0 being element `first` of `bytes`.
struct PackedValues {
  llvm::ArrayRef<uint8_t> bytes;
  uint64_t first = 0;
};

/// packMatrix of an integer matrix whose values are read out of `values`
/// (so that a quantized weight is not widened to 64 bits per value first)
/// and whose scales and zero points are those of `groups` (its `values`
/// unused). The same bytes and the same errors as packMatrix of the values.
llvm::Error packMatrix(const MatrixSpec &spec, PackedValues values,
                       const MatrixData &groups,
                       llvm::MutableArrayRef<uint8_t> region,
                       int64_t firstRow = 0);
/// Reads a matrix back from its region. Fails on an invalid pattern code or
/// a region that is too small.
llvm::Expected<MatrixData> unpackMatrix(const MatrixSpec &spec,
                                        llvm::ArrayRef<uint8_t> region);

/// One matrix of an image: its spec and where its region lies.
struct ImageEntry {
  MatrixSpec spec;
  uint64_t offset = 0, bytes = 0;
};

/// A whole image.
struct Image {
  std::vector<ImageEntry> entries;
  std::vector<uint8_t> bytes;
  uint32_t crc32 = 0; ///< CRC-32 (zlib's) of bytes[kHeaderBytes, end)
};

/// Places the matrices of `specs` after the header and directory (in that
/// order, each region at a kAlign multiple): the entries of the image, and
/// its total size in `totalBytes`.
std::vector<ImageEntry> placeMatrices(llvm::ArrayRef<MatrixSpec> specs,
                                      uint64_t &totalBytes);

/// The first bytes of an image of `entries` (placeMatrices) that is
/// `totalBytes` long: the header (checksum 0) and the directory, zero-padded
/// up to the first region. An image can be written as this, then each
/// region padded to kAlign, then its checksum (setChecksum) over the header.
std::vector<uint8_t> imageHead(llvm::ArrayRef<ImageEntry> entries,
                               uint64_t totalBytes);
/// Writes `crc32` into an image's header (its first kHeaderBytes bytes).
void setChecksum(llvm::MutableArrayRef<uint8_t> header, uint32_t crc32);

/// An image of the matrices `specs` with its header (but no checksum yet)
/// and directory written and every matrix region zero: fill the regions with
/// packMatrix, then sealImage. Each spec must validate.
Image layoutImage(llvm::ArrayRef<MatrixSpec> specs);
/// The bytes of matrix `index`'s region.
llvm::MutableArrayRef<uint8_t> region(Image &image, unsigned index);
/// Computes the checksum and writes it into the header.
void sealImage(Image &image);

/// Builds an image of the matrices `specs` holding `data` (layoutImage,
/// packMatrix of each, sealImage).
llvm::Expected<Image> buildImage(llvm::ArrayRef<MatrixSpec> specs,
                                 llvm::ArrayRef<MatrixData> data);

/// What an image's header records.
struct ImageHeader {
  uint64_t matrices = 0, bytes = 0;
  uint32_t crc32 = 0;
};
/// Reads the header (the first kHeaderBytes of `bytes`), checking the magic
/// and version only.
llvm::Expected<ImageHeader> readHeader(llvm::ArrayRef<uint8_t> bytes);

/// Reads an image's header and directory, checking the magic, version,
/// size, checksum and that each entry's region is where placeMatrices puts
/// it. `image.bytes` is left empty.
llvm::Expected<Image> readDirectory(llvm::ArrayRef<uint8_t> bytes);

/// Reads matrix `index` of an image back (readDirectory, then unpackMatrix).
llvm::Expected<MatrixData> readMatrix(llvm::ArrayRef<uint8_t> bytes,
                                      unsigned index);

/// The CRC-32 (zlib's) of A followed by B, from A's CRC `first`, B's CRC
/// `second` and B's size: a checksum over parts written separately, without
/// reading them again.
uint32_t crc32Combine(uint32_t first, uint32_t second, uint64_t secondBytes);

/// An image whose regions lie in a file, as accelc packs each batch of
/// linears when it is compressed (accel::WeightPacker): the image is `head`
/// (its header, checksum included, and directory) followed, in order, by the
/// ranges [offset, offset + size) of `file`.
struct ImageParts {
  std::vector<uint8_t> head;
  std::string file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  uint64_t bytes = 0; ///< the image's size
  uint32_t crc32 = 0; ///< of the whole image, header included
};

} // namespace accel::image

#endif // ACCEL_TRANSFORMS_WEIGHTIMAGE_H
