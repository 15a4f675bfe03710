//===- Kernels.h - the functional hot loops ---------------------*- C++ -*-===//
//
// The loops the functional simulator spends its time in, written so the
// compiler vectorises them: bit streams unpacked into 16-bit integer lanes;
// a weight row of a docs/FORMATS.md §1.4 tile unpacked once (`q - z`, pruned
// positions 0, or fp32 values) for the NUMERICS §4 dot products (Matrix.cpp
// drives them); float dot products of many rows side by side (the float
// path of mv/mm and vqk). Every sum is taken in the order NUMERICS fixes
// (the integer sums are exact, so only their float combination has an
// order), so results do not depend on how rows are spread over threads.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_SIM_MATRIXKERNELS_H
#define ACCEL_LIB_SIM_MATRIXKERNELS_H

#include "accel/Sim/Machine.h"

namespace accel::sim::detail {

enum WeightFormat : unsigned { Asym = 0, Sym = 1, F32 = 2, F16 = 3, BF16 = 4 };

/// Offsets of a tile's tensors for `r` rows (docs/FORMATS.md §1.4).
struct TileLayout {
  uint64_t scales = 0, zeros = 0, codes = 0, values = 0, bytes = 0;
};
TileLayout tileLayout(const MatrixConfig &c, uint64_t r);

/// `count` integer fields of `bits` (at most 8) from bit `bit` of the
/// docs/FORMATS.md §1.1 stream at `base`, sign-extended when `sym`.
void unpackInts(const uint8_t *base, uint64_t bit, uint64_t count,
                unsigned bits, bool sym, int16_t *out);

inline uint32_t weightGroup(const MatrixConfig &c) { return c.g ? c.g : c.k; }
inline bool isIntFormat(const MatrixConfig &c) { return c.fmt <= Sym; }

/// The largest index, in bits, of an expansion table.
constexpr unsigned kMaxExpansionBits = 12;

/// For N:4 integer weights whose pattern code and N values take at most
/// kMaxExpansionBits: for every index `code | values << codeBits` (the
/// values as they lie in the stream), the four lanes of the group (the kept
/// values sign-extended for sym, else 0) then four masks (-1 kept, 0
/// pruned); 8 int16 per index. Else empty.
std::vector<int16_t> expansionTable(const MatrixConfig &c);

/// Scratch of one thread: a row unpacked, and its intermediates.
struct RowScratch {
  std::vector<int16_t> w;     ///< integer weights: q - z, pruned 0
  std::vector<int16_t> kept;  ///< sparse: -1 at kept positions, else 0
  std::vector<int16_t> raw;   ///< sparse: the kept values in stream order
  std::vector<float> rawF;    ///< sparse float weights: the same
  std::vector<float> scale;   ///< integer weights: per weight group
  std::vector<int16_t> zero;  ///< asym: per weight group
  std::vector<float> f;       ///< afp=1: the value each position stands for
};

/// Unpacks row `i` of the tile at `tile` (laid out as `l`): `s.w` and
/// `s.scale` for integer weights, plus `s.f` with afp=1; `s.f` alone for
/// float weights. Faults on an invalid pattern code.
llvm::Error unpackRow(const MatrixConfig &c, const uint8_t *tile,
                      const TileLayout &l, uint64_t i, RowScratch &s);

/// NUMERICS §4 steps 2-3 for one row and one token: `w` and `scale` from
/// unpackRow, `a` the token's int8 activations widened to 16 bits, `as` its
/// activation scales (one, or one per activation group).
float dotInt(const MatrixConfig &c, const int16_t *w, const float *scale,
             const int16_t *a, const float *as);

/// Rows the float path computes side by side.
constexpr unsigned kFloatRows = 16;

/// Float dot products of kFloatRows rows at once: `wT[k * kFloatRows + r]` is
/// row r's weight at k; y[r] = Σ_{k ascending} x[k] × wT[k * kFloatRows + r],
/// each row's sum in NUMERICS's order, the rows in the vector lanes.
void dotFloatRows(const float *wT, const float *x, uint32_t K, float *y);

/// RoPE of one head's row in place (NUMERICS §8): for j < R, x_j becomes
/// x_j × cos_j + rot(x)_j × sin_j (rotate_half, or interleaved pairs) of
/// the row before; the values from R on stay. R is even.
void ropeRow(float *x, const float *cos, const float *sin, uint32_t R,
             bool interleaved);

} // namespace accel::sim::detail

#endif // ACCEL_LIB_SIM_MATRIXKERNELS_H
