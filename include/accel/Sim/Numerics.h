//===- Numerics.h - the simulator's bit-exact arithmetic --------*- C++ -*-===//
//
// docs/NUMERICS.md, written for the simulator alone: the golden model
// (lib/Reference) is the other, independent implementation, and the two must
// agree bit for bit. Every floating-point step is one IEEE fp32 operation
// (lib/Sim is built with -ffp-contract=off).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SIM_NUMERICS_H
#define ACCEL_SIM_NUMERICS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace accel::sim::num {

uint32_t bitsOf(float x);
float fromBits(uint32_t bits);

/// fp32 -> fp16 bits, round to nearest even (NUMERICS §1 `fp16`); overflow
/// gives ±inf, NaNs stay (quiet) NaNs.
uint16_t toF16(float x);
/// fp16 bits -> fp32, exactly.
float fromF16(uint16_t bits);
/// bfloat16 bits -> fp32, exactly.
float fromBF16(uint16_t bits);

/// `rne` of NUMERICS §1 followed by `clamp(., lo, hi)`, as an integer. NaN
/// (which NUMERICS leaves open) gives `lo`: clamp is maxNum then minNum.
int32_t rneClamp(float x, int32_t lo, int32_t hi);

/// `exp_a` of NUMERICS §7.
float expA(float x);
/// NUMERICS §8.
float silu(float x);
float geluTanh(float x);
float erfA(float v);
float geluErf(float x);
float relu(float x);

/// One quantization group of NUMERICS §2 computed at run time.
struct GroupQuant {
  float scale = 1;  ///< f32(S): the scale the values are divided by
  uint16_t f16 = 0; ///< fp16(s) when the scale is stored as fp16
  int32_t zero = 0; ///< z (0 when symmetric)
};

/// NUMERICS §2 over `w` with `bits` bits: asymmetric (`q` in [0, 2^b - 1])
/// or symmetric (`q` in [-P, P]); the scale is rounded to fp16 when
/// `f16Scale`, else kept as the clamped fp32 `s` (NUMERICS §8 f32 scales).
GroupQuant quantizeGroup(llvm::ArrayRef<float> w, unsigned bits, bool symmetric,
                         bool f16Scale, llvm::MutableArrayRef<int32_t> q);

/// NUMERICS §4 step 1 for one activation group at `bits` bits: returns s_x
/// and writes `q`.
float quantizeActivation(llvm::ArrayRef<float> x, unsigned bits,
                         llvm::MutableArrayRef<int32_t> q);

} // namespace accel::sim::num

#endif // ACCEL_SIM_NUMERICS_H
