//===- FootprintTest.cpp - the storage model of compressed tensors --------===//

#include "accel/Dialect/Accel/Footprint.h"

#include "gtest/gtest.h"

using namespace accel;

TEST(Footprint, SparsePatternBitsIsLog2OfTheNumberOfPatterns) {
  EXPECT_EQ(sparsePatternBits(2, 4), 3u);   // C(4,2) = 6
  EXPECT_EQ(sparsePatternBits(1, 4), 2u);   // 4
  EXPECT_EQ(sparsePatternBits(3, 4), 2u);   // 4
  EXPECT_EQ(sparsePatternBits(4, 8), 7u);   // 70
  EXPECT_EQ(sparsePatternBits(2, 16), 7u);  // 120
  EXPECT_EQ(sparsePatternBits(8, 16), 14u); // 12870
  EXPECT_EQ(sparsePatternBits(4, 4), 0u);   // dense: one pattern
}

TEST(Footprint, DenseFloat) {
  StorageScheme fp16;
  fp16.floatBits = 16;
  auto fp = matrixFootprint(4096, 11008, fp16);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->valueBits, 4096ull * 11008 * 16);
  EXPECT_EQ(fp->indexBits + fp->scaleBits + fp->zeroPointBits, 0u);
  EXPECT_EQ(fp->totalBytes(), 4096ull * 11008 * 2);
}

TEST(Footprint, GroupedAsymmetric) {
  StorageScheme w2;
  w2.bits = 2;
  w2.groupSize = 128;
  w2.scaleBits = 16;
  w2.zeroPointBits = 8;
  auto fp = matrixFootprint(4096, 4096, w2);
  ASSERT_TRUE(fp);
  uint64_t groups = 4096ull * 4096 / 128;
  EXPECT_EQ(fp->valueBits, 4096ull * 4096 * 2);
  EXPECT_EQ(fp->scaleBits, groups * 16);
  EXPECT_EQ(fp->zeroPointBits, groups * 8);
  EXPECT_EQ(fp->indexBits, 0u);
  // 2 bits + 24 bits per 128 values = 2.1875 bits per weight.
  EXPECT_DOUBLE_EQ(double(fp->totalBits()) / (4096.0 * 4096), 2.1875);
}

TEST(Footprint, SymmetricHasNoZeroPoints) {
  StorageScheme w4;
  w4.bits = 4;
  w4.symmetric = true;
  auto fp = matrixFootprint(8, 64, w4);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->zeroPointBits, 0u);
  EXPECT_EQ(fp->scaleBits, 8u * 16); // per channel: one scale per row
}

TEST(Footprint, TwoFourSparsityHalvesValuesAndAddsPatterns) {
  StorageScheme s;
  s.bits = 2;
  s.groupSize = 64;
  s.sparseN = 2;
  s.sparseM = 4;
  auto fp = matrixFootprint(16, 64, s);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->valueBits, 16u * 32 * 2);
  EXPECT_EQ(fp->indexBits, 16u * 16 * 3); // 3 bits per group of 4
  // Scales are per group of the dense row, whatever the sparsity.
  EXPECT_EQ(fp->scaleBits, 16u * 1 * 16);
}

TEST(Footprint, DenseNMIsDense) {
  StorageScheme s;
  s.sparseN = 8;
  s.sparseM = 8;
  auto fp = matrixFootprint(2, 8, s);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->indexBits, 0u);
  EXPECT_EQ(fp->valueBits, 2u * 8 * 32);
}

TEST(Footprint, RejectsSchemesThatDoNotFitTheShape) {
  StorageScheme grouped;
  grouped.bits = 4;
  grouped.groupSize = 32;
  EXPECT_FALSE(matrixFootprint(4, 48, grouped));
  StorageScheme sparse;
  sparse.sparseN = 2;
  sparse.sparseM = 4;
  EXPECT_FALSE(matrixFootprint(4, 6, sparse));
  EXPECT_FALSE(matrixFootprint(-1, 4, StorageScheme()));
}

TEST(Footprint, TotalBytesRoundsUp) {
  StorageScheme s;
  s.bits = 3;
  s.symmetric = true;
  s.scaleBits = 0;
  auto fp = matrixFootprint(1, 3, s); // 9 bits
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->totalBits(), 9u);
  EXPECT_EQ(fp->totalBytes(), 2u);
}
