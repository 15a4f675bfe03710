//===- Vector.cpp - the vector unit: element-wise, norms, RoPE, quant -----===//
//
// docs/ISA.md §5.4-5.6 and §5.8 with docs/NUMERICS.md §4 step 1, §2 and §8.
// Every instruction reads its operands before writing its results, so a
// destination may overlap a source. The attention stages are Attention.cpp;
// `vrset` (§5.7), the RoPE tables of `vqk rope=1`, and the rotation of one
// row that `vrope` and `vqk` share are here.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Sim/Machine.h"
#include "accel/Sim/Numerics.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>

using namespace accel;
using namespace accel::sim;
using isa::Opcode;
using llvm::Twine;

namespace {

uint64_t reg(const Op &op, llvm::StringRef name) {
  return uint64_t(uint32_t(op.get(name)));
}

/// `R[rX] + Ximm` counts.
uint64_t count(const Op &op, llvm::StringRef r, llvm::StringRef imm) {
  return reg(op, r) + uint64_t(op.get(imm));
}

llvm::Expected<std::vector<float>> readF32(Machine &m, unsigned buf,
                                           uint64_t addr, uint64_t n) {
  llvm::Expected<uint8_t *> p = m.buffers.span(buf, addr, 4 * n, Use::Read);
  if (!p)
    return p.takeError();
  std::vector<float> out(n);
  for (uint64_t i = 0; i < n; ++i)
    out[i] = loadF32(*p + 4 * i);
  return out;
}

llvm::Error writeF32(Machine &m, unsigned buf, uint64_t addr,
                     llvm::ArrayRef<float> values) {
  llvm::Expected<uint8_t *> p =
      m.buffers.span(buf, addr, 4 * values.size(), Use::Write);
  if (!p)
    return p.takeError();
  for (size_t i = 0; i < values.size(); ++i)
    storeF32(*p + 4 * i, values[i]);
  return llvm::Error::success();
}

float binary(Opcode op, float a, float b) {
  switch (op) {
  case Opcode::Vadd:
    return a + b;
  case Opcode::Vsub:
    return a - b;
  case Opcode::Vmul:
    return a * b;
  case Opcode::Vdiv:
    return a / b;
  case Opcode::Vmax:
    return b > a ? b : a;
  default:
    return b < a ? b : a;
  }
}

float unary(Opcode op, float a) {
  switch (op) {
  case Opcode::Vrelu:
    return num::relu(a);
  case Opcode::Vsilu:
    return num::silu(a);
  case Opcode::Vgelut:
    return num::geluTanh(a);
  case Opcode::Vgelue:
    return num::geluErf(a);
  default:
    return num::expA(a);
  }
}

llvm::Error elementwise(Machine &m, const Op &op) {
  Opcode code = op.instr->opcode;
  uint64_t n = count(op, "rn", "nimm");
  auto a = readF32(m, op.buf("abuf"), reg(op, "ra"), n);
  if (!a)
    return a.takeError();
  if (code >= Opcode::Vrelu) {
    for (float &v : *a)
      v = unary(code, v);
    return writeF32(m, op.buf("dbuf"), reg(op, "rd"), *a);
  }
  int64_t mode = op.get("bmode");
  std::vector<float> b;
  if (mode == 2) {
    b.assign(n, num::fromBits(uint32_t(op.get("f"))));
  } else if (n) {
    auto read = readF32(m, op.buf("bbuf"), reg(op, "rb"), mode == 0 ? n : 1);
    if (!read)
      return read.takeError();
    b = mode == 0 ? std::move(*read) : std::vector<float>(n, (*read)[0]);
  }
  for (uint64_t i = 0; i < n; ++i)
    (*a)[i] = binary(code, (*a)[i], b[i]);
  return writeF32(m, op.buf("dbuf"), reg(op, "rd"), *a);
}

llvm::Error copy(Machine &m, const Op &op) {
  uint64_t n = count(op, "rn", "nimm");
  llvm::Expected<uint8_t *> src =
      m.buffers.span(op.buf("abuf"), reg(op, "ra"), n, Use::Read);
  if (!src)
    return src.takeError();
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), n, Use::Write);
  if (!dst)
    return dst.takeError();
  std::memmove(*dst, *src, n);
  return llvm::Error::success();
}

llvm::Error fill(Machine &m, const Op &op) {
  uint64_t n = count(op, "rn", "nimm");
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), 4 * n, Use::Write);
  if (!dst)
    return dst.takeError();
  for (uint64_t i = 0; i < n; ++i)
    storeU32(*dst + 4 * i, uint32_t(op.get("f")));
  return llvm::Error::success();
}

llvm::Error norm(Machine &m, const Op &op) {
  bool layer = op.instr->opcode == Opcode::Vlnorm;
  uint64_t H = count(op, "rn", "nimm"), rows = count(op, "rm", "mimm");
  if (H == 0 || rows == 0)
    return llvm::Error::success();
  float eps = num::fromBits(uint32_t(op.get("eps")));
  auto x = readF32(m, op.buf("abuf"), reg(op, "ra"), H * rows);
  if (!x)
    return x.takeError();
  auto w = readF32(m, op.buf("bbuf"), reg(op, "rb"), H);
  if (!w)
    return w.takeError();
  std::vector<float> beta;
  bool hasBeta = layer && op.get("beta");
  if (hasBeta) {
    auto b = readF32(m, op.buf("cbuf"), reg(op, "rc"), H);
    if (!b)
      return b.takeError();
    beta = std::move(*b);
  }
  float h = float(H);
  for (uint64_t t = 0; t < rows; ++t) {
    float *row = x->data() + t * H;
    if (!layer) {
      float ss = row[0] * row[0];
      for (uint64_t k = 1; k < H; ++k)
        ss = ss + row[k] * row[k];
      float ms = ss / h;
      float r = 1.0f / std::sqrt(ms + eps);
      for (uint64_t k = 0; k < H; ++k)
        row[k] = (row[k] * r) * (*w)[k];
      continue;
    }
    float sum = row[0];
    for (uint64_t k = 1; k < H; ++k)
      sum = sum + row[k];
    float mu = sum / h;
    for (uint64_t k = 0; k < H; ++k)
      row[k] = row[k] - mu;
    float vs = row[0] * row[0];
    for (uint64_t k = 1; k < H; ++k)
      vs = vs + row[k] * row[k];
    float v = vs / h;
    float r = 1.0f / std::sqrt(v + eps);
    for (uint64_t k = 0; k < H; ++k) {
      float y = (row[k] * r) * (*w)[k];
      row[k] = hasBeta ? y + beta[k] : y;
    }
  }
  return writeF32(m, op.buf("dbuf"), reg(op, "rd"), *x);
}

llvm::Error rope(Machine &m, const Op &op) {
  uint64_t rows = count(op, "rm", "mimm"), p0 = reg(op, "rp");
  uint64_t D = uint64_t(op.get("hd")), R = uint64_t(op.get("rot"));
  uint64_t H = uint64_t(op.get("heads"));
  bool interleaved = op.get("style") != 0;
  auto x = readF32(m, op.buf("abuf"), reg(op, "ra"), rows * H * D);
  if (!x)
    return x.takeError();
  for (uint64_t t = 0; t < rows; ++t) {
    uint64_t p = p0 + t;
    auto cos = readF32(m, op.buf("bbuf"), reg(op, "rb") + 4 * p * R, R);
    if (!cos)
      return cos.takeError();
    auto sin = readF32(m, op.buf("cbuf"), reg(op, "rc") + 4 * p * R, R);
    if (!sin)
      return sin.takeError();
    for (uint64_t h = 0; h < H; ++h)
      detail::ropeRow(x->data() + (t * H + h) * D, cos->data(), sin->data(),
                      uint32_t(R), interleaved);
  }
  return writeF32(m, op.buf("dbuf"), reg(op, "rd"), *x);
}

/// vrset (ISA §5.7): the tables' places (registers read at dispatch) and
/// their rotation.
void setRope(Machine &m, const Op &op) {
  RopeConfig c;
  c.cosBuf = op.buf("bbuf");
  c.cos = reg(op, "rb");
  c.sinBuf = op.buf("cbuf");
  c.sin = reg(op, "rc");
  c.rot = uint32_t(op.get("rot"));
  c.interleaved = op.get("style") != 0;
  m.rope = c;
}

/// Groups of `g` (0: the row) along rows of `n`; faults if g does not divide.
llvm::Expected<uint64_t> groupOf(uint64_t g, uint64_t n) {
  if (g == 0)
    return n;
  if (n % g)
    return fault("group " + Twine(g) + " does not divide the row length " +
                 Twine(n));
  return g;
}

llvm::Error quantAct(Machine &m, const Op &op) {
  uint64_t K = count(op, "rn", "nimm"), rows = count(op, "rm", "mimm");
  if (K == 0 || rows == 0)
    return llvm::Error::success();
  llvm::Expected<uint64_t> G = groupOf(uint64_t(op.get("ga")), K);
  if (!G)
    return G.takeError();
  unsigned bits = unsigned(op.get("bits"));
  bool fake = op.get("fake") != 0;
  auto x = readF32(m, op.buf("abuf"), reg(op, "ra"), K * rows);
  if (!x)
    return x.takeError();
  uint64_t groups = K / *G;
  std::vector<float> scales(rows * groups);
  std::vector<int32_t> q(K * rows);
  for (uint64_t i = 0; i < rows * groups; ++i)
    scales[i] = num::quantizeActivation(
        llvm::ArrayRef<float>(*x).slice(i * *G, *G), bits,
        llvm::MutableArrayRef<int32_t>(q).slice(i * *G, *G));
  if (fake) {
    std::vector<float> y(K * rows);
    for (uint64_t i = 0; i < K * rows; ++i)
      y[i] = float(q[i]) * scales[i / *G];
    if (llvm::Error err = writeF32(m, op.buf("dbuf"), reg(op, "rd"), y))
      return err;
  } else {
    llvm::Expected<uint8_t *> d =
        m.buffers.span(op.buf("dbuf"), reg(op, "rd"), K * rows, Use::Write);
    if (!d)
      return d.takeError();
    for (uint64_t i = 0; i < K * rows; ++i)
      (*d)[i] = uint8_t(int8_t(q[i]));
  }
  return writeF32(m, op.buf("bbuf"), reg(op, "rb"), scales);
}

llvm::Error quant(Machine &m, const Op &op) {
  bool dequant = op.instr->opcode == Opcode::Vdequant;
  uint64_t n = count(op, "rn", "nimm"), rows = count(op, "rm", "mimm");
  if (n == 0 || rows == 0)
    return llvm::Error::success();
  llvm::Expected<uint64_t> G = groupOf(uint64_t(op.get("g")), n);
  if (!G)
    return G.takeError();
  unsigned bits = unsigned(op.get("bits"));
  bool sym = op.get("sym") != 0, f16 = op.get("f16") != 0;
  uint64_t groups = rows * (n / *G), scaleBytes = f16 ? 2 : 4;
  llvm::Expected<uint8_t *> scales =
      m.buffers.span(op.buf("bbuf"), reg(op, "rb"), scaleBytes * groups,
                     dequant ? Use::Read : Use::Write);
  if (!scales)
    return scales.takeError();
  uint8_t *zeros = nullptr;
  if (!sym) {
    llvm::Expected<uint8_t *> z =
        m.buffers.span(op.buf("cbuf"), reg(op, "rc"), groups,
                       dequant ? Use::Read : Use::Write);
    if (!z)
      return z.takeError();
    zeros = *z;
  }
  if (dequant) {
    llvm::Expected<uint8_t *> q =
        m.buffers.span(op.buf("abuf"), reg(op, "ra"), n * rows, Use::Read);
    if (!q)
      return q.takeError();
    std::vector<float> y(n * rows);
    for (uint64_t i = 0; i < n * rows; ++i) {
      uint64_t g = i / *G;
      float s = f16 ? num::fromF16(loadU16(*scales + 2 * g))
                    : loadF32(*scales + 4 * g);
      int32_t v = sym ? int32_t(int8_t((*q)[i])) : int32_t((*q)[i]);
      int32_t z = sym ? 0 : int32_t(zeros[g]);
      y[i] = s * float(v - z);
    }
    return writeF32(m, op.buf("dbuf"), reg(op, "rd"), y);
  }
  auto x = readF32(m, op.buf("abuf"), reg(op, "ra"), n * rows);
  if (!x)
    return x.takeError();
  std::vector<int32_t> q(n * rows);
  std::vector<num::GroupQuant> params(groups);
  for (uint64_t g = 0; g < groups; ++g)
    params[g] = num::quantizeGroup(
        llvm::ArrayRef<float>(*x).slice(g * *G, *G), bits, sym, f16,
        llvm::MutableArrayRef<int32_t>(q).slice(g * *G, *G));
  llvm::Expected<uint8_t *> d =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), n * rows, Use::Write);
  if (!d)
    return d.takeError();
  for (uint64_t i = 0; i < n * rows; ++i)
    (*d)[i] = uint8_t(q[i]);
  for (uint64_t g = 0; g < groups; ++g) {
    if (f16)
      std::memcpy(*scales + 2 * g, &params[g].f16, 2);
    else
      storeF32(*scales + 4 * g, params[g].scale);
    if (!sym)
      zeros[g] = uint8_t(params[g].zero);
  }
  return llvm::Error::success();
}

llvm::Error argmax(Machine &m, const Op &op) {
  uint64_t n = count(op, "rn", "nimm");
  auto x = readF32(m, op.buf("abuf"), reg(op, "ra"), n);
  if (!x)
    return x.takeError();
  uint32_t best = 0;
  bool found = false;
  for (uint64_t i = 0; i < n; ++i) {
    float v = (*x)[i];
    if (std::isnan(v))
      continue;
    if (!found || v > (*x)[best]) {
      best = uint32_t(i);
      found = true;
    }
  }
  llvm::Expected<uint8_t *> d =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), 4, Use::Write);
  if (!d)
    return d.takeError();
  storeU32(*d, best);
  return llvm::Error::success();
}

} // namespace

void sim::detail::ropeRow(float *x, const float *cos, const float *sin,
                         uint32_t R, bool interleaved) {
  // Each pair (j, k) rotates into itself: rot(x)_j = -x_k, rot(x)_k = x_j
  // (k = j + 1 for interleaved pairs, j + R/2 for rotate_half).
  uint32_t step = interleaved ? 2 : 1, half = interleaved ? 1 : R / 2;
  uint32_t pairs = R / 2;
  for (uint32_t i = 0; i < pairs; ++i) {
    uint32_t j = i * step, k = j + half;
    float a = x[j], b = x[k];
    x[j] = a * cos[j] + -b * sin[j];
    x[k] = b * cos[k] + a * sin[k];
  }
}

llvm::Error sim::executeVector(Machine &m, const Op &op) {
  switch (op.instr->opcode) {
  case Opcode::Vadd:
  case Opcode::Vsub:
  case Opcode::Vmul:
  case Opcode::Vdiv:
  case Opcode::Vmax:
  case Opcode::Vmin:
  case Opcode::Vrelu:
  case Opcode::Vsilu:
  case Opcode::Vgelut:
  case Opcode::Vgelue:
  case Opcode::Vexp:
    return elementwise(m, op);
  case Opcode::Vcopy:
    return copy(m, op);
  case Opcode::Vfill:
    return fill(m, op);
  case Opcode::Vrmsnorm:
  case Opcode::Vlnorm:
    return norm(m, op);
  case Opcode::Vrope:
    return rope(m, op);
  case Opcode::Vrset:
    setRope(m, op);
    return llvm::Error::success();
  case Opcode::Vqact:
    return quantAct(m, op);
  case Opcode::Vquant:
  case Opcode::Vdequant:
    return quant(m, op);
  case Opcode::Vargmax:
    return argmax(m, op);
  default:
    return executeAttention(m, op);
  }
}
