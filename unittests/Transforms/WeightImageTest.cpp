//===- WeightImageTest.cpp - the weight image of docs/FORMATS.md ----------===//
//
// Unpacking what was packed gives back the same integers: exhaustively for
// the pattern codes, every 2:4 pattern and every 2-bit value combination of
// small groups, and every setting (widths 2, 3, 4, 8; symmetric and
// asymmetric; dense and every N:M with M in {4, 8, 16}) over every small
// shape; on random shapes with a fixed seed. The layout matches the
// footprint model plus alignment padding. The worked example of
// docs/FORMATS.md is checked byte for byte.
//
//===----------------------------------------------------------------------===//

#include "accel/Transforms/WeightImage.h"

#include "accel/Dialect/Accel/Footprint.h"

#include "llvm/Support/CRC.h"
#include "llvm/Support/MathExtras.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <numeric>
#include <random>

using namespace accel;
using namespace accel::image;

namespace {

/// Every N-subset of {0..m-1}, in lexicographic order.
std::vector<std::vector<unsigned>> allSubsets(unsigned n, unsigned m) {
  std::vector<std::vector<unsigned>> out;
  std::vector<unsigned> s(n);
  std::iota(s.begin(), s.end(), 0u);
  while (true) {
    out.push_back(s);
    int i = int(n) - 1;
    while (i >= 0 && s[i] == m - n + unsigned(i))
      --i;
    if (i < 0)
      return out;
    ++s[i];
    for (unsigned j = unsigned(i) + 1; j < n; ++j)
      s[j] = s[j - 1] + 1;
  }
}

std::string describe(const MatrixSpec &s) {
  return std::to_string(s.rows) + "x" + std::to_string(s.cols) + " fmt" +
         std::to_string(unsigned(s.format)) + " b" + std::to_string(s.bits) +
         " g" + std::to_string(s.group) + " " + std::to_string(s.sparseN) +
         ":" + std::to_string(s.sparseM) + " R" +
         std::to_string(s.rowsPerTile);
}

/// Random contents valid for `spec`: a sparse group keeps a random N-subset
/// whose values may themselves equal the zero point (kept weights that
/// quantized to zero), the other positions hold the zero point.
MatrixData randomData(const MatrixSpec &spec, std::mt19937_64 &rng) {
  MatrixData d;
  bool integer = isInteger(spec.format);
  bool asym = spec.format == ValueFormat::IntAsymmetric;
  int64_t gpr = integer ? spec.cols / spec.group : 0;
  int64_t lo = 0, hi = (int64_t(1) << spec.bits) - 1;
  if (spec.format == ValueFormat::IntSymmetric)
    hi = (int64_t(1) << (spec.bits - 1)) - 1, lo = -hi;
  auto uniform = [&](int64_t a, int64_t b) {
    return std::uniform_int_distribution<int64_t>(a, b)(rng);
  };
  for (int64_t i = 0; i < spec.rows * gpr; ++i) {
    d.scales.push_back(uint16_t(uniform(0, 0xffff)));
    if (asym)
      d.zeroPoints.push_back(uniform(0, hi));
  }
  d.values.resize(spec.rows * spec.cols);
  for (int64_t n = 0; n < spec.rows; ++n)
    for (int64_t k = 0; k < spec.cols; ++k)
      d.values[n * spec.cols + k] = uniform(lo, hi);
  if (!spec.sparse())
    return d;
  std::vector<unsigned> perm(spec.sparseM);
  for (int64_t n = 0; n < spec.rows; ++n)
    for (int64_t k0 = 0; k0 < spec.cols; k0 += spec.sparseM) {
      std::iota(perm.begin(), perm.end(), 0u);
      std::shuffle(perm.begin(), perm.end(), rng);
      for (unsigned j = spec.sparseN; j < spec.sparseM; ++j) {
        int64_t k = k0 + perm[j];
        d.values[n * spec.cols + k] =
            asym ? d.zeroPoints[n * gpr + k / spec.group] : 0;
      }
    }
  return d;
}

/// `data`'s integer values as B-bit fields (PackedValues), after `first`
/// fields of ones.
PackedValues packFields(const MatrixSpec &spec, const MatrixData &data,
                        uint64_t first, std::vector<uint8_t> &bytes) {
  uint64_t count = first + data.values.size();
  bytes.assign((count * spec.bits + 7) / 8, 0);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t value =
        i < first ? ~uint64_t(0) : uint64_t(data.values[i - first]);
    for (unsigned b = 0; b < spec.bits; ++b) {
      uint64_t bit = i * spec.bits + b;
      bytes[bit / 8] |= uint8_t((value >> b & 1) << (bit % 8));
    }
  }
  return {bytes, first};
}

/// The message of packing `data` that must fail; integer data must fail
/// alike from its packed fields.
std::string packError(const MatrixSpec &spec, const MatrixData &data) {
  std::vector<uint8_t> region(matrixLayout(spec).bytes);
  llvm::Error err = packMatrix(spec, data, region);
  if (!err) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  std::string message = llvm::toString(std::move(err));
  if (isInteger(spec.format)) {
    std::vector<uint8_t> bytes;
    llvm::Error packed =
        packMatrix(spec, packFields(spec, data, 5, bytes), data, region);
    EXPECT_EQ(packed ? llvm::toString(std::move(packed)) : "", message);
  }
  return message;
}

/// Packs, unpacks, compares; checks the layout against the footprint model.
void roundTrip(const MatrixSpec &spec, const MatrixData &data) {
  SCOPED_TRACE(describe(spec));
  ASSERT_EQ(validate(spec), "");
  MatrixLayout layout = matrixLayout(spec);
  std::vector<uint8_t> region(layout.bytes, 0);
  llvm::Error err = packMatrix(spec, data, region);
  ASSERT_FALSE(err) << llvm::toString(std::move(err));
  // Packed from B-bit fields (from an element offset that varies with the
  // shape, mid-byte too): the same bytes.
  if (isInteger(spec.format)) {
    uint64_t first = uint64_t(spec.rows % 3);
    std::vector<uint8_t> bytes, again(layout.bytes, 0);
    llvm::Error packed =
        packMatrix(spec, packFields(spec, data, first, bytes), data, again);
    ASSERT_FALSE(packed) << llvm::toString(std::move(packed));
    ASSERT_EQ(again, region) << "from fields after " << first;
  }
  llvm::Expected<MatrixData> back = unpackMatrix(spec, region);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->values, data.values);
  ASSERT_EQ(back->scales, data.scales);
  ASSERT_EQ(back->zeroPoints, data.zeroPoints);

  // Footprint: each tile's tensors use exactly the bytes the footprint model
  // gives its rows, each padded to 64; the tiles' bits add up to the
  // matrix's.
  StorageScheme scheme = spec.storageScheme();
  std::optional<MatrixFootprint> whole =
      matrixFootprint(spec.rows, spec.cols, scheme);
  ASSERT_TRUE(whole);
  MatrixFootprint sum;
  uint64_t bytes = 0;
  for (int64_t t = 0; t < layout.tiles; ++t) {
    const TileLayout &tile = t + 1 == layout.tiles ? layout.last : layout.full;
    auto fp = matrixFootprint(tile.rows, spec.cols, scheme);
    ASSERT_TRUE(fp);
    EXPECT_EQ(tile.valueBytes, (fp->valueBits + 7) / 8);
    EXPECT_EQ(tile.codeBytes, (fp->indexBits + 7) / 8);
    EXPECT_EQ(tile.scaleBytes, (fp->scaleBits + 7) / 8);
    EXPECT_EQ(tile.zeroPointBytes, (fp->zeroPointBits + 7) / 8);
    bytes += llvm::alignTo(tile.valueBytes, kAlign) +
             llvm::alignTo(tile.codeBytes, kAlign) +
             llvm::alignTo(tile.scaleBytes, kAlign) +
             llvm::alignTo(tile.zeroPointBytes, kAlign);
    sum.valueBits += fp->valueBits;
    sum.indexBits += fp->indexBits;
    sum.scaleBits += fp->scaleBits;
    sum.zeroPointBits += fp->zeroPointBits;
  }
  EXPECT_EQ(sum.valueBits, whole->valueBits);
  EXPECT_EQ(sum.indexBits, whole->indexBits);
  EXPECT_EQ(sum.scaleBits, whole->scaleBits);
  EXPECT_EQ(sum.zeroPointBits, whole->zeroPointBits);
  EXPECT_EQ(layout.bytes, bytes);
  EXPECT_GE(layout.bytes, whole->totalBytes());
}

std::vector<std::pair<unsigned, unsigned>> allSparsities() {
  std::vector<std::pair<unsigned, unsigned>> out{{0, 0}};
  for (unsigned m : {4u, 8u, 16u})
    for (unsigned n = 1; n <= m; ++n)
      out.push_back({n, m});
  return out;
}

} // namespace

TEST(WeightImage, PatternCodesAreLexicographicRanks) {
  for (unsigned m : {4u, 8u, 16u})
    for (unsigned n = 1; n <= m; ++n) {
      auto subsets = allSubsets(n, m);
      ASSERT_EQ(subsets.size(), binomial(m, n));
      for (uint32_t rank = 0; rank < subsets.size(); ++rank) {
        ASSERT_EQ(patternCode(subsets[rank], m), rank);
        auto back = patternPositions(rank, n, m);
        ASSERT_TRUE(bool(back));
        ASSERT_EQ(*back, subsets[rank]);
        if (n < m) {
          ASSERT_LT(rank, uint64_t(1) << sparsePatternBits(n, m));
        }
      }
      auto bad = patternPositions(uint32_t(subsets.size()), n, m);
      EXPECT_FALSE(bool(bad));
      llvm::consumeError(bad.takeError());
    }
  // The 2:4 codes as docs/FORMATS.md lists them.
  std::vector<std::vector<unsigned>> twoFour{{0, 1}, {0, 2}, {0, 3},
                                             {1, 2}, {1, 3}, {2, 3}};
  for (uint32_t c = 0; c < 6; ++c)
    EXPECT_EQ(patternCode(twoFour[c], 4), c);
}

// Every 2:4 pattern with every 2-bit value of the kept positions and every
// zero point; every row of four 2-bit values that is not 2:4 is refused.
TEST(WeightImage, Exhaustive2of4TwoBit) {
  for (ValueFormat format :
       {ValueFormat::IntAsymmetric, ValueFormat::IntSymmetric}) {
    bool asym = format == ValueFormat::IntAsymmetric;
    MatrixSpec spec;
    spec.format = format;
    spec.bits = 2;
    spec.cols = 4;
    spec.group = 4;
    spec.sparseN = 2;
    spec.sparseM = 4;
    MatrixData data;
    std::vector<int64_t> range =
        asym ? std::vector<int64_t>{0, 1, 2, 3} : std::vector<int64_t>{-1, 0, 1};
    std::vector<int64_t> zeros = asym ? range : std::vector<int64_t>{0};
    int64_t refused = 0;
    for (int64_t z : zeros)
      for (int64_t a : range)
        for (int64_t b : range)
          for (int64_t c : range)
            for (int64_t d : range) {
              std::vector<int64_t> row{a, b, c, d};
              int64_t nonzero = std::count_if(
                  row.begin(), row.end(), [&](int64_t v) { return v != z; });
              if (nonzero > 2) {
                MatrixSpec one = spec;
                one.rows = 1;
                MatrixData bad{row, {0x3c00}, {}};
                if (asym)
                  bad.zeroPoints = {z};
                EXPECT_NE(packError(one, bad), "");
                ++refused;
                continue;
              }
              if (nonzero == 2) {
                // The code is the rank of the two positions holding values
                // other than z; the values follow in ascending k.
                MatrixSpec one = spec;
                one.rows = 1;
                MatrixData single{row, {0x3c00}, {}};
                if (asym)
                  single.zeroPoints = {z};
                MatrixLayout layout = matrixLayout(one);
                std::vector<uint8_t> region(layout.bytes);
                ASSERT_FALSE(bool(packMatrix(one, single, region)));
                std::vector<unsigned> kept;
                for (unsigned j = 0; j < 4; ++j)
                  if (row[j] != z)
                    kept.push_back(j);
                auto subsets = allSubsets(2, 4);
                uint8_t code = region[layout.full.codes] & 7;
                ASSERT_EQ(subsets[code], kept);
                uint8_t v = region[layout.full.values] & 15;
                ASSERT_EQ(v, ((row[kept[0]] & 3) | (row[kept[1]] & 3) << 2));
              }
              data.values.insert(data.values.end(), row.begin(), row.end());
              data.scales.push_back(uint16_t(0x3c00 + spec.rows));
              if (asym)
                data.zeroPoints.push_back(z);
              ++spec.rows;
            }
    EXPECT_GT(refused, 0);
    for (int64_t r : {int64_t(1), int64_t(7), int64_t(16), spec.rows}) {
      spec.rowsPerTile = r;
      roundTrip(spec, data);
    }
  }
}

// Every combination of 8 two-bit values in a dense row (4^8 rows), and every
// 3-bit and 4-bit combination of 4 values.
TEST(WeightImage, ExhaustiveDenseValues) {
  for (auto [bits, cols] : {std::pair{2u, 8}, std::pair{3u, 4},
                            std::pair{4u, 4}, std::pair{8u, 2}})
    for (ValueFormat format :
         {ValueFormat::IntAsymmetric, ValueFormat::IntSymmetric}) {
      bool asym = format == ValueFormat::IntAsymmetric;
      int64_t lo = asym ? 0 : -((1 << (bits - 1)) - 1);
      int64_t hi = asym ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
      int64_t span = hi - lo + 1;
      MatrixSpec spec;
      spec.format = format;
      spec.bits = bits;
      spec.cols = cols;
      spec.group = cols / 2 ? cols / 2 : 1;
      spec.rows = 1;
      for (int c = 0; c < cols; ++c)
        spec.rows *= span;
      spec.rowsPerTile = 5;
      MatrixData data;
      for (int64_t r = 0; r < spec.rows; ++r) {
        int64_t x = r;
        for (int c = 0; c < cols; ++c, x /= span)
          data.values.push_back(lo + x % span);
        for (int64_t g = 0; g < cols / spec.group; ++g) {
          data.scales.push_back(uint16_t(r * 7 + g));
          if (asym)
            data.zeroPoints.push_back((r + g) % (hi + 1));
        }
      }
      roundTrip(spec, data);
    }
}

// Every width, symmetry, sparsity over every small shape and tiling.
TEST(WeightImage, EverySettingOnSmallShapes) {
  std::mt19937_64 rng(20240601);
  for (unsigned bits : {2u, 3u, 4u, 8u})
    for (ValueFormat format :
         {ValueFormat::IntAsymmetric, ValueFormat::IntSymmetric})
      for (auto [n, m] : allSparsities())
        for (int64_t rows = 1; rows <= 5; ++rows)
          for (int64_t groupsOfM : {1, 2, 3})
            for (int64_t tile : {int64_t(1), int64_t(2), int64_t(4), rows}) {
              MatrixSpec spec;
              spec.format = format;
              spec.bits = bits;
              spec.rows = rows;
              spec.cols = (m ? m : 4) * groupsOfM;
              spec.group = groupsOfM == 3 ? spec.cols / 3 : spec.cols;
              spec.sparseN = n;
              spec.sparseM = m;
              spec.rowsPerTile = tile;
              roundTrip(spec, randomData(spec, rng));
              if (HasFatalFailure())
                return;
            }
}

// Random shapes, settings and tilings with a fixed seed.
TEST(WeightImage, RandomShapes) {
  std::mt19937_64 rng(4);
  auto pick = [&](auto const &v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  auto sparsities = allSparsities();
  for (int iter = 0; iter < 400; ++iter) {
    MatrixSpec spec;
    spec.format = pick(std::vector<ValueFormat>{
        ValueFormat::IntAsymmetric, ValueFormat::IntSymmetric,
        ValueFormat::F32, ValueFormat::F16, ValueFormat::BF16});
    spec.bits = isInteger(spec.format)
                    ? pick(std::vector<unsigned>{2, 3, 4, 8})
                    : (spec.format == ValueFormat::F32 ? 32 : 16);
    auto [n, m] = pick(sparsities);
    spec.sparseN = n;
    spec.sparseM = m;
    spec.group = pick(std::vector<int64_t>{16, 32, 48, 64, 128});
    int64_t unit = std::lcm<int64_t>(spec.group, m ? m : 1);
    spec.cols = unit * std::uniform_int_distribution<int64_t>(1, 6)(rng);
    if (!isInteger(spec.format))
      spec.group = 0;
    spec.rows = std::uniform_int_distribution<int64_t>(1, 70)(rng);
    spec.rowsPerTile = std::uniform_int_distribution<int64_t>(1, 80)(rng);
    roundTrip(spec, randomData(spec, rng));
    if (HasFatalFailure())
      return;
  }
}

TEST(WeightImage, FloatsKeepTheirBits) {
  // -0.0 and NaN patterns are values like any other; only +0.0 is "pruned".
  MatrixSpec spec;
  spec.format = ValueFormat::F32;
  spec.bits = 32;
  spec.rows = 2;
  spec.cols = 8;
  spec.sparseN = 2;
  spec.sparseM = 4;
  MatrixData data;
  data.values = {0x80000000, 0, 0, 0,          0, 0x3f800000, 0x7fc00000, 0,
                 0,          0, 0, 0xbf800000, 0, 0,          0,          0};
  roundTrip(spec, data);
  data.values[1] = data.values[2] = 0x40000000; // three non-zero: not 2:4
  EXPECT_EQ(packError(spec, data),
            "row 0, k 0..3: 3 non-zero weights in a group that keeps 2 of 4");
}

TEST(WeightImage, RefusesValuesOutOfRange) {
  MatrixSpec spec;
  spec.format = ValueFormat::IntSymmetric;
  spec.bits = 2;
  spec.rows = 1;
  spec.cols = 4;
  spec.group = 4;
  EXPECT_EQ(packError(spec, {{0, 1, -2, 0}, {0x3c00}, {}}),
            "row 0, k 2: value -2 outside [-1, 1]");
  spec.format = ValueFormat::IntAsymmetric;
  EXPECT_EQ(packError(spec, {{0, 1, 2, 3}, {0x3c00}, {4}}),
            "row 0, group 0: zero point 4 outside [0, 3]");
  spec.group = 3;
  EXPECT_EQ(validate(spec), "quantization group 3 does not divide K = 4");
}

// A realistic layer has no padding at all: 4096 x 4096, W2 g128 asymmetric,
// 2:4, tiles of 16 rows.
TEST(WeightImage, LargeLayerIsExactlyTheFootprint) {
  MatrixSpec spec;
  spec.rows = spec.cols = 4096;
  spec.bits = 2;
  spec.group = 128;
  spec.sparseN = 2;
  spec.sparseM = 4;
  spec.rowsPerTile = 16;
  MatrixLayout layout = matrixLayout(spec);
  auto fp = matrixFootprint(4096, 4096, spec.storageScheme());
  ASSERT_TRUE(fp);
  EXPECT_EQ(layout.bytes, fp->totalBytes());
  EXPECT_EQ(layout.tiles, 256);
  // Per tile: scales 16*32*2 = 1024, zero points
  // 16*32*2/8 = 128, codes 16*1024*3/8 = 6144, values 16*2048*2/8 = 8192.
  EXPECT_EQ(layout.full.scales, 0u);
  EXPECT_EQ(layout.full.zeroPoints, 1024u);
  EXPECT_EQ(layout.full.codes, 1152u);
  EXPECT_EQ(layout.full.values, 7296u);
  EXPECT_EQ(layout.full.bytes, 15488u);
}

// The worked example of docs/FORMATS.md, byte for byte.
TEST(WeightImage, WorkedExample) {
  MatrixSpec w;
  w.rows = 2;
  w.cols = 8;
  w.bits = 2;
  w.group = 4;
  w.sparseN = 2;
  w.sparseM = 4;
  MatrixData wd;
  wd.values = {2, 2, 3, 0, 3, 2, 0, 0, //
               3, 0, 2, 2, 0, 0, 0, 3};
  wd.scales = {0x40ab, 0x3155, 0x3955, 0x3444};
  wd.zeroPoints = {2, 0, 2, 0};
  MatrixSpec h;
  h.format = ValueFormat::F16;
  h.bits = 16;
  h.rows = 1;
  h.cols = 4;
  MatrixData hd;
  hd.values = {0x3c00, 0xc000, 0x0000, 0x3800};
  llvm::Expected<Image> image = buildImage({w, h}, {wd, hd});
  ASSERT_TRUE(bool(image)) << llvm::toString(image.takeError());
  const std::vector<uint8_t> &b = image->bytes;
  ASSERT_EQ(b.size(), 512u);
  auto at = [&](size_t offset, std::vector<uint8_t> expected) {
    EXPECT_EQ(std::vector<uint8_t>(b.begin() + offset,
                                   b.begin() + offset + expected.size()),
              expected)
        << "at " << offset;
  };
  at(0, {'A', 'C', 'C', 'E', 'L', 'W', 'I', 'M', 1, 0, 0, 0, 2, 0, 0, 0,
         0x00, 0x02, 0, 0, 0, 0, 0, 0});
  // Directory entry 0: offset 192, 256 bytes, 2 x 8, group 4, 16 rows per
  // tile, format 0, 2 bits, 2:4, 3-bit codes.
  at(64, {192, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
          2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0,
          4, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0,
          0, 2, 2, 4, 3, 0, 0, 0});
  at(128, {0xc0, 0x01, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0,
           1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
           0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0,
           3, 16, 0, 0, 0});
  at(192, {0xab, 0x40, 0x55, 0x31, 0x55, 0x39, 0x44, 0x34, 0});
  at(256, {0x22, 0});
  at(320, {0x05, 0x04, 0});
  at(384, {0xb3, 0xc3, 0});
  at(448, {0x00, 0x3c, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x38, 0});
  EXPECT_EQ(image->crc32, llvm::crc32(llvm::ArrayRef<uint8_t>(b).drop_front(64)));
  for (size_t i = 0; i < b.size(); ++i) // everything else is zero padding
    if (!(i < 24 || (i >= 24 && i < 28) || (i >= 64 && i < 64 + 53) ||
          (i >= 128 && i < 128 + 53) || (i >= 192 && i < 200) || i == 256 ||
          (i >= 320 && i < 322) || (i >= 384 && i < 386) ||
          (i >= 448 && i < 456))) {
      ASSERT_EQ(b[i], 0) << "at " << i;
    }

  llvm::Expected<MatrixData> back = readMatrix(b, 0);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->values, wd.values);
  EXPECT_EQ(back->scales, wd.scales);
  EXPECT_EQ(back->zeroPoints, wd.zeroPoints);
  back = readMatrix(b, 1);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->values, hd.values);
}

TEST(WeightImage, ImageRoundTripAndSize) {
  std::mt19937_64 rng(7);
  std::vector<MatrixSpec> specs;
  std::vector<MatrixData> data;
  uint64_t regions = 0;
  for (unsigned i = 0; i < 9; ++i) {
    MatrixSpec s;
    s.format = i % 3 == 2 ? ValueFormat::F32
                          : (i % 3 ? ValueFormat::IntSymmetric
                                   : ValueFormat::IntAsymmetric);
    s.bits = s.format == ValueFormat::F32 ? 32 : (i % 2 ? 3 : 2);
    s.rows = 3 + 5 * i;
    s.cols = 32 * (1 + i % 4);
    s.group = isInteger(s.format) ? 32 : 0;
    s.sparseN = i % 4 == 0 ? 0 : 2 + i % 3;
    s.sparseM = i % 4 == 0 ? 0 : (i % 2 ? 8 : 16);
    s.rowsPerTile = 1 + i;
    specs.push_back(s);
    data.push_back(randomData(s, rng));
    regions += llvm::alignTo(matrixLayout(s).bytes, kAlign);
  }
  llvm::Expected<Image> image = buildImage(specs, data);
  ASSERT_TRUE(bool(image)) << llvm::toString(image.takeError());
  EXPECT_EQ(image->bytes.size(),
            llvm::alignTo(kHeaderBytes + kEntryBytes * specs.size(), kAlign) +
                regions);
  for (unsigned i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(image->entries[i].offset % kAlign, 0u);
    llvm::Expected<MatrixData> back = readMatrix(image->bytes, i);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->values, data[i].values);
    EXPECT_EQ(back->scales, data[i].scales);
    EXPECT_EQ(back->zeroPoints, data[i].zeroPoints);
  }
  // A flipped bit is caught by the checksum; a foreign file by the magic.
  std::vector<uint8_t> corrupt = image->bytes;
  corrupt.back() ^= 1;
  llvm::Expected<Image> bad = readDirectory(corrupt);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("checksum mismatch"),
            std::string::npos);
  corrupt = image->bytes;
  corrupt[0] = 'X';
  bad = readDirectory(corrupt);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()), "not a weight image (bad magic)");
  corrupt = image->bytes;
  corrupt.pop_back();
  bad = readDirectory(corrupt);
  ASSERT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
}

TEST(WeightImage, Crc32CombineIsTheCrcOfTheConcatenation) {
  std::mt19937 rng(7);
  std::vector<uint8_t> bytes(5000);
  for (uint8_t &b : bytes)
    b = uint8_t(rng());
  llvm::ArrayRef<uint8_t> all(bytes);
  // Empty parts, one byte, odd and 64-byte-aligned splits, the whole.
  for (size_t split : {size_t(0), size_t(1), size_t(63), size_t(64),
                       size_t(2500), size_t(4999), size_t(5000)}) {
    llvm::ArrayRef<uint8_t> a = all.take_front(split), b = all.drop_front(split);
    EXPECT_EQ(crc32Combine(llvm::crc32(a), llvm::crc32(b), b.size()),
              llvm::crc32(all))
        << "split at " << split;
  }
  // Three parts, combined left to right as accelc checksums an image.
  uint32_t crc = llvm::crc32(all.take_front(100));
  crc = crc32Combine(crc, llvm::crc32(all.slice(100, 900)), 900);
  crc = crc32Combine(crc, llvm::crc32(all.drop_front(1000)), 4000);
  EXPECT_EQ(crc, llvm::crc32(all));
}
