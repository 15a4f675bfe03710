//===- Numerics.cpp - the simulator's bit-exact arithmetic ----------------===//
//
// Written from docs/NUMERICS.md alone; see Numerics.h.
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Numerics.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace accel::sim;

uint32_t num::bitsOf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return bits;
}

float num::fromBits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}

uint16_t num::toF16(float x) {
  uint32_t b = bitsOf(x);
  uint16_t sign = uint16_t((b >> 16) & 0x8000);
  uint32_t exp = (b >> 23) & 0xff, mant = b & 0x7fffff;
  if (exp == 0xff)
    return sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0);
  int e = int(exp) - 127 + 15;
  if (e >= 31)
    return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10)
      return sign;
    uint32_t m = mant | 0x800000;
    unsigned shift = unsigned(14 - e);
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1),
             half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1)))
      ++r;
    return sign | uint16_t(r);
  }
  uint32_t r = (uint32_t(e) << 10) | (mant >> 13), rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
    ++r;
  return sign | uint16_t(r);
}

float num::fromF16(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0x1f)
    return fromBits(sign | 0x7f800000 | (mant << 13));
  if (exp == 0) {
    // Subnormal: mant x 2^-24, exact in fp32.
    float v = float(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return fromBits(sign | ((exp + 112) << 23) | (mant << 13));
}

float num::fromBF16(uint16_t bits) { return fromBits(uint32_t(bits) << 16); }

int32_t num::rneClamp(float x, int32_t lo, int32_t hi) {
  if (std::isnan(x))
    return lo;
  float r = std::nearbyint(x);
  if (r <= float(lo))
    return lo;
  if (r >= float(hi))
    return hi;
  return int32_t(r);
}

float num::expA(float x) {
  if (std::isnan(x))
    return x;
  if (x < -87.0f)
    return 0.0f;
  if (x > 88.0f)
    return std::numeric_limits<float>::infinity();
  float t = x * 1.44269504f;
  float nf = std::nearbyint(t);
  float f = t - nf;
  float p = 0.000154035297f;
  p = p * f + 0.00133335579f;
  p = p * f + 0.00961812865f;
  p = p * f + 0.0555041097f;
  p = p * f + 0.240226507f;
  p = p * f + 0.693147182f;
  p = p * f + 1.0f;
  // The product is exact in double; the one conversion rounds to nearest
  // even, subnormal results included.
  return float(std::ldexp(double(p), int(nf)));
}

float num::silu(float x) { return x / (1.0f + expA(-x)); }

float num::geluTanh(float x) {
  float cube = (x * x) * x;
  float u = 0.797884583f * (x + 0.044715f * cube);
  float t = 1.0f - 2.0f / (expA(2.0f * u) + 1.0f);
  return (0.5f * x) * (1.0f + t);
}

float num::erfA(float v) {
  if (v == 0.0f)
    return 0.0f;
  float t = 1.0f / (1.0f + 0.3275911f * std::fabs(v));
  float poly = 1.061405429f * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  poly = poly * t;
  float r = 1.0f - poly * expA(-v * v);
  return v < 0 ? -r : r;
}

float num::geluErf(float x) {
  return (0.5f * x) * (1.0f + erfA(x * 0.707106769f));
}

float num::relu(float x) { return x < 0 ? 0.0f : x; }

num::GroupQuant num::quantizeGroup(llvm::ArrayRef<float> w, unsigned bits,
                                   bool symmetric, bool f16Scale,
                                   llvm::MutableArrayRef<int32_t> q) {
  GroupQuant g;
  float s;
  if (symmetric) {
    float a = 0;
    for (float v : w)
      if (std::fabs(v) > a)
        a = std::fabs(v);
    s = a / float((1 << (bits - 1)) - 1);
  } else {
    float lo = 0, hi = 0;
    for (float v : w) {
      if (v < lo)
        lo = v;
      if (v > hi)
        hi = v;
    }
    s = (hi - lo) / float((1 << bits) - 1);
    if (s == 0)
      s = 1;
    s = std::fmin(std::fmax(s, 5.9604644775390625e-8f), 65504.0f);
    g.f16 = toF16(s);
    g.scale = f16Scale ? fromF16(g.f16) : s;
    int32_t qmax = (1 << bits) - 1;
    g.zero = rneClamp(-lo / g.scale, 0, qmax);
    for (size_t i = 0; i < w.size(); ++i) {
      int32_t r = rneClamp(w[i] / g.scale, -(1 << 20), 1 << 20);
      q[i] = std::min(std::max(r + g.zero, 0), qmax);
    }
    return g;
  }
  if (s == 0)
    s = 1;
  s = std::fmin(std::fmax(s, 5.9604644775390625e-8f), 65504.0f);
  g.f16 = toF16(s);
  g.scale = f16Scale ? fromF16(g.f16) : s;
  int32_t p = (1 << (bits - 1)) - 1;
  for (size_t i = 0; i < w.size(); ++i)
    q[i] = rneClamp(w[i] / g.scale, -p, p);
  return g;
}

float num::quantizeActivation(llvm::ArrayRef<float> x, unsigned bits,
                              llvm::MutableArrayRef<int32_t> q) {
  float a = 0;
  for (float v : x)
    if (std::fabs(v) > a)
      a = std::fabs(v);
  int32_t p = (1 << (bits - 1)) - 1;
  float s = a / float(p);
  if (s == 0)
    s = 1;
  for (size_t i = 0; i < x.size(); ++i)
    q[i] = rneClamp(x[i] / s, -p, p);
  return s;
}
