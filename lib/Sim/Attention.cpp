//===- Attention.cpp - the attention instructions -------------------------===//
//
// docs/ISA.md §5.7: KV records (values, fp16 scales, zero points), the
// causal / Λ mask, and the attention stages of docs/NUMERICS.md §5-§6
// (vaset, vkvq, vqk, vsoftmax, vpv; vqk rotating query and keys by rank
// with rope=1); §5.9: the integer attention of
// NUMERICS §6.5 (maset, mqk and mpv on the matrix unit, vpq on the vector
// unit).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/ISA/AsmPrinter.h"
#include "accel/Sim/Numerics.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <utility>

using namespace accel;
using namespace accel::sim;
using isa::Opcode;
using llvm::Twine;

namespace {

enum KvFormat : unsigned { Asym = 0, Sym = 1, F32 = 2 };

uint64_t reg(const Op &op, llvm::StringRef name) {
  return uint64_t(uint32_t(op.get(name)));
}

void putField(uint8_t *base, uint64_t index, unsigned width, uint32_t value) {
  uint64_t bit = index * width;
  for (unsigned b = 0; b < width; ++b)
    if (value >> b & 1)
      base[(bit + b) / 8] |= uint8_t(1u << ((bit + b) % 8));
}

/// Where the parts of a record start (ISA §5.7).
struct RecordLayout {
  uint64_t scales, zeros;
  explicit RecordLayout(const AttnConfig &c) {
    uint64_t values = uint64_t(c.kvh) * c.hd;
    scales = (values * c.bits + 7) / 8;
    zeros = scales + 2 * uint64_t(c.kvh) * (c.hd / c.group());
  }
};

/// Writes one token's row of kvh x hd values as a record (zeroed first).
void packRecord(const AttnConfig &c, const float *row, uint8_t *rec) {
  uint64_t bytes = c.recordBytes();
  std::memset(rec, 0, bytes);
  uint64_t values = uint64_t(c.kvh) * c.hd;
  if (c.fmt == F32) {
    for (uint64_t i = 0; i < values; ++i)
      storeF32(rec + 4 * i, row[i]);
    return;
  }
  RecordLayout l(c);
  uint32_t G = c.group();
  std::vector<int32_t> q(G);
  uint32_t mask = (1u << c.bits) - 1;
  for (uint64_t g = 0; g < values / G; ++g) {
    num::GroupQuant p = num::quantizeGroup(
        llvm::ArrayRef<float>(row + g * G, G), c.bits, c.fmt == Sym,
        /*f16Scale=*/true, q);
    for (uint32_t i = 0; i < G; ++i)
      putField(rec, g * G + i, c.bits, uint32_t(q[i]) & mask);
    std::memcpy(rec + l.scales + 2 * g, &p.f16, 2);
    if (c.fmt == Asym)
      putField(rec + l.zeros, g, c.bits, uint32_t(p.zero));
  }
}

/// f32(S) of group `g` of head `h` of an integer record.
float groupScale(const AttnConfig &c, const uint8_t *rec, uint64_t h,
                 uint64_t g) {
  uint64_t groups = c.hd / c.group();
  return num::fromF16(
      loadU16(rec + RecordLayout(c).scales + 2 * (h * groups + g)));
}

/// Head `h` of an integer record: `w[d] = q - z` (D values), `scales[g]` =
/// f32(S) per group; `zeros` is scratch.
void unpackHeadInts(const AttnConfig &c, const uint8_t *rec, uint64_t h,
                    std::vector<int16_t> &zeros, int16_t *w, float *scales) {
  uint64_t D = c.hd;
  RecordLayout l(c);
  uint32_t G = c.group();
  uint64_t groups = D / G, g0 = h * groups;
  zeros.assign(groups, 0);
  detail::unpackInts(rec, h * D * c.bits, D, c.bits, c.fmt == Sym, w);
  if (c.fmt == Asym)
    detail::unpackInts(rec + l.zeros, g0 * c.bits, groups, c.bits,
                       /*sym=*/false, zeros.data());
  for (uint64_t g = 0; g < groups; ++g) {
    scales[g] = groupScale(c, rec, h, g);
    for (uint64_t d = g * G; d < (g + 1) * G; ++d)
      w[d] = int16_t(w[d] - zeros[g]);
  }
}

/// The dequantized values of head `h` of a record; `q` is scratch.
void unpackHead(const AttnConfig &c, const uint8_t *rec, uint64_t h,
                std::vector<int16_t> &q, float *out) {
  uint64_t D = c.hd;
  if (c.fmt == F32) {
    for (uint64_t d = 0; d < D; ++d)
      out[d] = loadF32(rec + 4 * (h * D + d));
    return;
  }
  uint32_t G = c.group();
  std::vector<int16_t> zeros;
  std::vector<float> scales(D / G);
  q.resize(D);
  unpackHeadInts(c, rec, h, zeros, q.data(), scales.data());
  for (uint64_t d = 0; d < D; ++d)
    out[d] = scales[d / G] * float(q[d]);
}

/// Which of `n` keys the query sees (ISA §5.7 "Masks").
std::vector<bool> seenKeys(const AttnConfig &c, const Op &op, uint64_t n) {
  std::vector<bool> seen(n, true);
  if (!op.get("mask"))
    return seen;
  int64_t p = int64_t(reg(op, "rp")), k0 = int64_t(reg(op, "rk"));
  int64_t S = int64_t(c.sink), W = int64_t(c.window);
  for (uint64_t j = 0; j < n; ++j) {
    int64_t kp = k0 + int64_t(j);
    seen[j] = (!c.causal || kp <= p) && (W == 0 || kp < S || kp > p - W);
  }
  return seen;
}

AttnConfig readConfig(const Op &op) {
  AttnConfig c;
  c.hd = uint32_t(op.get("hd"));
  c.kvh = uint32_t(op.get("kvh"));
  c.kvg = uint32_t(op.get("kvg"));
  c.fmt = unsigned(op.get("kvfmt"));
  c.bits = unsigned(op.get("kvbits"));
  c.sink = uint64_t(op.get("sink"));
  c.window = uint64_t(op.get("window"));
  c.causal = op.get("causal") != 0;
  c.recu = uint32_t(op.get("recu"));
  c.qpk = uint32_t(op.get("qpk"));
  return c;
}

/// Writes `values` as fp32 at `dst`.
void storeFloats(uint8_t *dst, llvm::ArrayRef<float> values) {
  for (size_t j = 0; j < values.size(); ++j)
    storeF32(dst + 4 * j, values[j]);
}

llvm::Error quantizeRecords(Machine &m, const Op &op, const AttnConfig &c) {
  uint64_t rows = reg(op, "rm") + uint64_t(op.get("mimm"));
  uint64_t values = uint64_t(c.kvh) * c.hd, rec = c.recordBytes();
  llvm::Expected<uint8_t *> src = m.buffers.span(op.buf("abuf"), reg(op, "ra"),
                                                 4 * values * rows, Use::Read);
  if (!src)
    return src.takeError();
  std::vector<float> x(values * rows);
  for (uint64_t i = 0; i < values * rows; ++i)
    x[i] = loadF32(*src + 4 * i);
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), rec * rows, Use::Write);
  if (!dst)
    return dst.takeError();
  for (uint64_t t = 0; t < rows; ++t)
    packRecord(c, x.data() + t * values, *dst + t * rec);
  return llvm::Error::success();
}

/// The KV head of each of `rows` rows of an attention instruction (ISA
/// §5.7, §5.9): `qpk` rows per head from R[rh] + himm on, checked against
/// kvh.
llvm::Expected<std::vector<uint64_t>> rowHeads(const Op &op,
                                               const AttnConfig &c,
                                               uint64_t rows) {
  uint64_t h = reg(op, "rh") + uint64_t(op.get("himm"));
  if (h >= c.kvh)
    return fault("KV head " + Twine(h) + " is not below kvh = " + Twine(c.kvh));
  std::vector<uint64_t> heads;
  for (uint64_t r = 0; r < rows; ++r)
    heads.push_back(c.rowHead(h, r));
  if (heads.back() >= c.kvh)
    return fault("row " + Twine(rows - 1) + "'s KV head " +
                 Twine(heads.back()) + " is not below kvh = " + Twine(c.kvh));
  return heads;
}

/// The rows of vqk / vpv (`rows` 0 and 1: one) and their KV heads.
llvm::Expected<std::vector<uint64_t>> vectorRowHeads(const Op &op,
                                                     const AttnConfig &c) {
  return rowHeads(op, c, std::max<uint64_t>(uint64_t(op.get("rows")), 1));
}

/// The end of the run of rows from `r0` that read the KV head of row `r0`.
uint64_t headRunEnd(llvm::ArrayRef<uint64_t> heads, uint64_t r0) {
  uint64_t r1 = r0 + 1;
  while (r1 < heads.size() && heads[r1] == heads[r0])
    ++r1;
  return r1;
}

/// vqk's rotation (rope=1, ISA §5.7): `x` (D fp32) rotated in place by row
/// `row` of the vrset tables.
class KeyRotation {
public:
  static llvm::Expected<KeyRotation> make(Machine &m, const AttnConfig &c) {
    llvm::Expected<const RopeConfig *> rope = vqkRotation(m, c);
    if (!rope)
      return rope.takeError();
    return KeyRotation(m, **rope);
  }
  llvm::Error rotate(uint64_t row, float *x) {
    uint64_t R = rope.rot;
    llvm::Expected<uint8_t *> cos =
        m.buffers.span(rope.cosBuf, rope.cos + 4 * row * R, 4 * R, Use::Read);
    if (!cos)
      return cos.takeError();
    llvm::Expected<uint8_t *> sin =
        m.buffers.span(rope.sinBuf, rope.sin + 4 * row * R, 4 * R, Use::Read);
    if (!sin)
      return sin.takeError();
    for (uint64_t j = 0; j < R; ++j) {
      cosRow[j] = loadF32(*cos + 4 * j);
      sinRow[j] = loadF32(*sin + 4 * j);
    }
    detail::ropeRow(x, cosRow.data(), sinRow.data(), uint32_t(R),
                    rope.interleaved);
    return llvm::Error::success();
  }

private:
  KeyRotation(Machine &m, const RopeConfig &rope)
      : m(m), rope(rope), cosRow(rope.rot), sinRow(rope.rot) {}
  Machine &m;
  RopeConfig rope;
  std::vector<float> cosRow, sinRow;
};

/// vqk: row r's query at ra + 4*r*D, its n scores at rd + 4*r*n. Each key
/// is dequantized (and rotated) once for the rows that read its KV head.
/// Every span is checked before anything of size n is allocated (n is a
/// 32-bit register).
llvm::Error scores(Machine &m, const Op &op, const AttnConfig &c) {
  uint64_t n = reg(op, "rn") + uint64_t(op.get("nimm"));
  llvm::Expected<std::vector<uint64_t>> heads = vectorRowHeads(op, c);
  if (!heads)
    return heads.takeError();
  uint64_t rows = heads->size(), D = c.hd, rec = c.recordBytes();
  llvm::Expected<uint8_t *> qp =
      m.buffers.span(op.buf("abuf"), reg(op, "ra"), 4 * D * rows, Use::Read);
  if (!qp)
    return qp.takeError();
  llvm::Expected<uint8_t *> keys =
      m.buffers.span(op.buf("bbuf"), reg(op, "rb"), rec * n, Use::Read);
  if (!keys)
    return keys.takeError();
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), 4 * n * rows, Use::Write);
  if (!dst)
    return dst.takeError();
  std::vector<float> q(D * rows), k(D), out(n * rows, 0.0f);
  for (uint64_t d = 0; d < D * rows; ++d)
    q[d] = loadF32(*qp + 4 * d);
  float scale = num::fromBits(uint32_t(op.get("scale")));
  std::vector<bool> seen = seenKeys(c, op, n);
  // rope=1: every row's query by row R[rp], key j by row R[rk] + j.
  std::optional<KeyRotation> rotation;
  if (op.get("rope") && n > 0) {
    llvm::Expected<KeyRotation> made = KeyRotation::make(m, c);
    if (!made)
      return made.takeError();
    rotation.emplace(std::move(*made));
    for (uint64_t r = 0; r < rows; ++r)
      if (llvm::Error error =
              rotation->rotate(reg(op, "rp"), q.data() + r * D))
        return error;
  }
  // kFloatRows keys side by side: kT[d * kFloatRows + i] is key j0 + i's d.
  constexpr unsigned L = detail::kFloatRows;
  std::vector<float> kT(D * L);
  std::vector<int16_t> scratch;
  float dots[L];
  for (uint64_t r0 = 0, r1; r0 < rows; r0 = r1) {
    r1 = headRunEnd(*heads, r0);
    for (uint64_t j0 = 0; j0 < n; j0 += L) {
      uint64_t count = std::min<uint64_t>(L, n - j0);
      std::fill(kT.begin(), kT.end(), 0.0f);
      for (uint64_t i = 0; i < count; ++i) {
        if (!seen[j0 + i])
          continue;
        unpackHead(c, *keys + (j0 + i) * rec, (*heads)[r0], scratch,
                   k.data());
        if (rotation)
          if (llvm::Error error =
                  rotation->rotate(reg(op, "rk") + j0 + i, k.data()))
            return error;
        for (uint64_t d = 0; d < D; ++d)
          kT[d * L + i] = k[d];
      }
      for (uint64_t r = r0; r < r1; ++r) {
        detail::dotFloatRows(kT.data(), q.data() + r * D, uint32_t(D), dots);
        for (uint64_t i = 0; i < count; ++i)
          if (seen[j0 + i])
            out[r * n + j0 + i] = dots[i] * scale;
      }
    }
  }
  storeFloats(*dst, out);
  return llvm::Error::success();
}

/// NUMERICS §6.3 over the seen scores of one row: `out` (+0 where unseen).
void softmaxRow(llvm::ArrayRef<float> s, const std::vector<bool> &seen,
                float *out) {
  bool any = false;
  float mx = 0;
  for (uint64_t j = 0; j < s.size(); ++j)
    if (seen[j] && (!any || s[j] > mx)) {
      mx = s[j];
      any = true;
    }
  if (!any)
    return;
  float Z = 0;
  bool first = true;
  for (uint64_t j = 0; j < s.size(); ++j) {
    if (!seen[j])
      continue;
    out[j] = num::expA(s[j] - mx);
    Z = first ? out[j] : Z + out[j];
    first = false;
  }
  for (uint64_t j = 0; j < s.size(); ++j)
    if (seen[j])
      out[j] = out[j] / Z;
}

/// `rows` rows of n scores at 4n apart, each with the same mask.
llvm::Error softmax(Machine &m, const Op &op, const AttnConfig &c) {
  uint64_t n = reg(op, "rn") + uint64_t(op.get("nimm"));
  uint64_t rows = uint64_t(op.get("rows"));
  llvm::Expected<uint8_t *> src =
      m.buffers.span(op.buf("abuf"), reg(op, "ra"), 4 * n * rows, Use::Read);
  if (!src)
    return src.takeError();
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), 4 * n * rows, Use::Write);
  if (!dst)
    return dst.takeError();
  std::vector<float> s(n * rows), out(n * rows, 0.0f);
  for (uint64_t j = 0; j < n * rows; ++j)
    s[j] = loadF32(*src + 4 * j);
  std::vector<bool> seen = seenKeys(c, op, n);
  for (uint64_t r = 0; r < rows; ++r)
    softmaxRow(llvm::ArrayRef<float>(s).slice(r * n, n), seen,
               out.data() + r * n);
  storeFloats(*dst, out);
  return llvm::Error::success();
}

/// vpv: row r's n probabilities at ra + 4*r*n, its D outputs at rd + 4*r*D.
/// Each value record is dequantized once for the rows that read its head.
llvm::Error context(Machine &m, const Op &op, const AttnConfig &c) {
  uint64_t n = reg(op, "rn") + uint64_t(op.get("nimm"));
  llvm::Expected<std::vector<uint64_t>> heads = vectorRowHeads(op, c);
  if (!heads)
    return heads.takeError();
  uint64_t rows = heads->size(), D = c.hd, rec = c.recordBytes();
  llvm::Expected<uint8_t *> pp =
      m.buffers.span(op.buf("abuf"), reg(op, "ra"), 4 * n * rows, Use::Read);
  if (!pp)
    return pp.takeError();
  llvm::Expected<uint8_t *> values =
      m.buffers.span(op.buf("bbuf"), reg(op, "rb"), rec * n, Use::Read);
  if (!values)
    return values.takeError();
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), 4 * D * rows, Use::Write);
  if (!dst)
    return dst.takeError();
  bool acc = op.get("acc") != 0;
  std::vector<float> out(D * rows, 0.0f), v(D);
  std::vector<int16_t> scratch;
  if (acc)
    for (uint64_t d = 0; d < D * rows; ++d)
      out[d] = loadF32(*dst + 4 * d);
  std::vector<bool> seen = seenKeys(c, op, n);
  for (uint64_t r0 = 0, r1; r0 < rows; r0 = r1) {
    r1 = headRunEnd(*heads, r0);
    bool started = acc;
    for (uint64_t j = 0; j < n; ++j) {
      if (!seen[j])
        continue;
      unpackHead(c, *values + j * rec, (*heads)[r0], scratch, v.data());
      for (uint64_t r = r0; r < r1; ++r) {
        float p = loadF32(*pp + 4 * (r * n + j));
        float *o = out.data() + r * D;
        for (uint64_t d = 0; d < D; ++d)
          o[d] = started ? o[d] + p * v[d] : p * v[d];
      }
      started = true;
    }
  }
  for (uint64_t d = 0; d < D * rows; ++d)
    storeF32(*dst + 4 * d, out[d]);
  return llvm::Error::success();
}

// ---- Integer attention (ISA §5.9, NUMERICS §6.5) --------------------------

/// The operands every integer attention instruction has: n keys (at most
/// 65536, the int32 bound), `rows` rows and each row's KV head (`qpk` rows
/// per head from R[rh] + himm on), and the records of keys 0 .. n-1: the
/// first min(R[rc], n) from rb, the rest from rg, `rec` bytes apart.
struct KeyRuns {
  uint64_t n = 0, rows = 0;
  std::vector<uint64_t> heads;
  std::vector<const uint8_t *> records;
};

llvm::Expected<KeyRuns> keyRuns(Machine &m, const Op &op,
                                const AttnConfig &c) {
  KeyRuns k;
  k.n = reg(op, "rn") + uint64_t(op.get("nimm"));
  if (k.n > 65536)
    return fault(Twine(k.n) + " keys: integer attention takes at most 65536");
  k.rows = uint64_t(op.get("rows"));
  llvm::Expected<std::vector<uint64_t>> heads = rowHeads(op, c, k.rows);
  if (!heads)
    return heads.takeError();
  k.heads = std::move(*heads);
  uint64_t rec = c.recordBytes(), first = std::min(reg(op, "rc"), k.n);
  llvm::Expected<uint8_t *> a =
      m.buffers.span(op.buf("bbuf"), reg(op, "rb"), rec * first, Use::Read);
  if (!a)
    return a.takeError();
  llvm::Expected<uint8_t *> b = m.buffers.span(op.buf("bbuf"), reg(op, "rg"),
                                               rec * (k.n - first), Use::Read);
  if (!b)
    return b.takeError();
  k.records.resize(k.n);
  for (uint64_t j = 0; j < k.n; ++j)
    k.records[j] = j < first ? *a + j * rec : *b + (j - first) * rec;
  return k;
}

/// Calls `f(r0, r1, j, w, scales)` for every key j and every run [r0, r1)
/// of rows that read one KV head, with that head of key j's record unpacked
/// once for the run (`w[d]` = q - z, `scales[g]` = f32(S)): keys inside the
/// head, so a record is unpacked once per KV head, not once per row.
template <typename F>
void forEachHeadKey(const AttnConfig &c, const KeyRuns &k, F f) {
  std::vector<int16_t> w(c.hd), zeros;
  std::vector<float> scales(c.hd / c.group());
  for (uint64_t r0 = 0, r1 = 0; r0 < k.rows; r0 = r1) {
    r1 = headRunEnd(k.heads, r0);
    for (uint64_t j = 0; j < k.n; ++j) {
      unpackHeadInts(c, k.records[j], k.heads[r0], zeros, w.data(),
                     scales.data());
      f(r0, r1, j, w.data(), scales.data());
    }
  }
}

/// The keys between the starts of two rows of mqk's scores or vpq's
/// probabilities: R[rp], or n with rp = r0; a fault below n.
llvm::Expected<uint64_t> rowPitch(const Op &op, uint64_t n) {
  int64_t field = op.instr->get("rp");
  if (field == 0)
    return n;
  uint64_t pitch = reg(op, "rp");
  if (pitch < n)
    return fault("row pitch " + Twine(pitch) + " (r" + Twine(field) +
                 ") is below the key count " + Twine(n));
  return pitch;
}

/// `rows` rows of `n` elements of `size` bytes, `pitch` elements apart, at
/// buffer[addr]: checked against the buffer over the whole extent, but
/// logged for the race detector row by row, as only the rows are touched
/// (ISA §5.9), not the gaps between them.
llvm::Expected<uint8_t *> pitchedSpan(Machine &m, unsigned buffer,
                                      uint64_t addr, uint64_t rows, uint64_t n,
                                      uint64_t pitch, uint64_t size, Use use) {
  uint64_t extent = rows && n ? size * ((rows - 1) * pitch + n) : 0;
  std::vector<Access> *log = std::exchange(m.buffers.log, nullptr);
  llvm::Expected<uint8_t *> all = m.buffers.span(buffer, addr, extent, use);
  m.buffers.log = log;
  if (all && log && extent)
    for (uint64_t r = 0; r < rows; ++r) {
      uint64_t lo = addr + size * r * pitch;
      log->push_back({lo, lo + size * n, buffer, use});
    }
  return all;
}

/// mqk: row r's int8 query at ra + r*D and its scale at rs + 4r; its n
/// scores at rd + 4*r*pitch.
llvm::Error intScores(Machine &m, const Op &op, const AttnConfig &c) {
  llvm::Expected<KeyRuns> keys = keyRuns(m, op, c);
  if (!keys)
    return keys.takeError();
  uint64_t n = keys->n, rows = keys->rows;
  uint64_t D = c.hd, G = c.group(), groups = D / G;
  llvm::Expected<uint64_t> pitch = rowPitch(op, n);
  if (!pitch)
    return pitch.takeError();
  llvm::Expected<uint8_t *> qp =
      m.buffers.span(op.buf("abuf"), reg(op, "ra"), D * rows, Use::Read);
  if (!qp)
    return qp.takeError();
  llvm::Expected<uint8_t *> sp =
      m.buffers.span(op.buf("sbuf"), reg(op, "rs"), 4 * rows, Use::Read);
  if (!sp)
    return sp.takeError();
  llvm::Expected<uint8_t *> dst = pitchedSpan(
      m, op.buf("dbuf"), reg(op, "rd"), rows, n, *pitch, 4, Use::Write);
  if (!dst)
    return dst.takeError();
  float scale = num::fromBits(uint32_t(op.get("scale")));
  std::vector<int16_t> q(D * rows);
  std::vector<float> sq(rows), out(n * rows);
  for (uint64_t i = 0; i < D * rows; ++i)
    q[i] = int16_t(int8_t((*qp)[i]));
  for (uint64_t r = 0; r < rows; ++r)
    sq[r] = loadF32(*sp + 4 * r);
  forEachHeadKey(c, *keys,
                 [&](uint64_t r0, uint64_t r1, uint64_t j, const int16_t *w,
                     const float *scales) {
                   for (uint64_t r = r0; r < r1; ++r) {
                     const int16_t *qr = q.data() + r * D;
                     float t = 0;
                     for (uint64_t g = 0; g < groups; ++g) {
                       int32_t acc = 0;
                       for (uint64_t d = g * G; d < (g + 1) * G; ++d)
                         acc += int32_t(qr[d]) * int32_t(w[d]);
                       float product = float(acc) * scales[g];
                       t = g == 0 ? product : t + product;
                     }
                     out[r * n + j] = (t * sq[r]) * scale;
                   }
                 });
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t j = 0; j < n; ++j)
      storeF32(*dst + 4 * (r * *pitch + j), out[r * n + j]);
  return llvm::Error::success();
}

/// `vpq`'s and `mpv`'s `part` (ISA §5.9).
enum Part : int64_t { Whole = 0, First = 1, Next = 2, Last = 3, Quant = 4 };
const char *partName(int64_t part) {
  static const char *const names[] = {"whole", "first", "next", "last",
                                      "quant"};
  return names[part];
}

/// NUMERICS §4 step 1 at 8 bits, in the three pieces a chunked vpq runs
/// separately: the running max |w| (NaNs ignored) from `a`, the scale of a
/// max, and the int8 of `w` at a scale.
float runningMax(llvm::ArrayRef<float> w, float a) {
  for (float v : w)
    if (std::fabs(v) > a)
      a = std::fabs(v);
  return a;
}
float scaleOfMax(float a) {
  float s = a / 127.0f;
  return s == 0 ? 1.0f : s;
}
void quantizeAt(llvm::ArrayRef<float> w, float s, uint8_t *q) {
  for (size_t j = 0; j < w.size(); ++j)
    q[j] = uint8_t(int8_t(num::rneClamp(w[j] / s, -127, 127)));
}

/// vpq: row r's n probabilities at ra + 4*r*pitch; with k = r*groups + g,
/// group g's int8 weights at rd + k*n and its scale (or running max) at
/// rs + 4k.
llvm::Error quantizeWeights(Machine &m, const Op &op, const AttnConfig &c) {
  llvm::Expected<KeyRuns> values = keyRuns(m, op, c);
  if (!values)
    return values.takeError();
  uint64_t n = values->n, rows = values->rows, groups = c.hd / c.group();
  llvm::Expected<uint64_t> pitch = rowPitch(op, n);
  if (!pitch)
    return pitch.takeError();
  llvm::Expected<uint8_t *> pp = pitchedSpan(
      m, op.buf("abuf"), reg(op, "ra"), rows, n, *pitch, 4, Use::Read);
  if (!pp)
    return pp.takeError();
  llvm::Expected<uint8_t *> sp =
      m.buffers.span(op.buf("sbuf"), reg(op, "rs"), 4 * rows * groups,
                     op.get("part") == Quant ? Use::Read : Use::Write);
  if (!sp)
    return sp.takeError();
  int64_t part = op.get("part");
  std::vector<float> held(rows * groups);
  for (uint64_t k = 0; k < rows * groups; ++k) {
    held[k] = loadF32(*sp + 4 * k);
    auto bad = [&](const char *what, const char *want) {
      return fault(llvm::formatv("vpq part={0}: {1} {2} (row {3}, group {4}) "
                                 "is {5}, not {6}",
                                 partName(part), what, k, k / groups,
                                 k % groups,
                                 isa::formatF32(loadU32(*sp + 4 * k)), want)
                       .str());
    };
    if (part == Quant && !(held[k] > 0 && std::isfinite(held[k])))
      return bad("scale", "a positive finite number");
    if ((part == Next || part == Last) && !(held[k] >= 0))
      return bad("running max", "a number >= 0");
  }
  // Calls f(k, j, w_j) for w_j = p_j x f32(S_{j,g}), k = r * groups + g:
  // each record's scales read once per KV head.
  auto forEachWeight = [&](auto f) {
    for (uint64_t r0 = 0, r1 = 0; r0 < rows; r0 = r1) {
      r1 = headRunEnd(values->heads, r0);
      for (uint64_t j = 0; j < n; ++j)
        for (uint64_t g = 0; g < groups; ++g) {
          float S = groupScale(c, values->records[j], values->heads[r0], g);
          for (uint64_t r = r0; r < r1; ++r)
            f(r * groups + g, j, loadF32(*pp + 4 * (r * *pitch + j)) * S);
        }
    }
  };
  if (part == First || part == Next || part == Last) {
    // The running max alone: no int8 weights, nothing kept per key.
    std::vector<float> a(rows * groups, 0.0f);
    if (part != First)
      a = held;
    forEachWeight([&](uint64_t k, uint64_t, float w) {
      a[k] = runningMax(w, a[k]);
    });
    for (uint64_t k = 0; k < rows * groups; ++k)
      storeF32(*sp + 4 * k, part == Last ? scaleOfMax(a[k]) : a[k]);
    return llvm::Error::success();
  }
  // whole and quant write rows x groups x n int8 weights.
  llvm::Expected<uint8_t *> dst = m.buffers.span(op.buf("dbuf"), reg(op, "rd"),
                                                 rows * groups * n, Use::Write);
  if (!dst)
    return dst.takeError();
  std::vector<float> w(rows * groups * n);
  forEachWeight([&](uint64_t k, uint64_t j, float v) { w[k * n + j] = v; });
  std::vector<float> scales = held;
  if (part == Whole)
    for (uint64_t k = 0; k < rows * groups; ++k)
      scales[k] = scaleOfMax(
          runningMax(llvm::ArrayRef<float>(w).slice(k * n, n), 0.0f));
  for (uint64_t k = 0; k < rows * groups; ++k)
    quantizeAt(llvm::ArrayRef<float>(w).slice(k * n, n), scales[k],
               *dst + k * n);
  if (part == Whole)
    for (uint64_t k = 0; k < rows * groups; ++k)
      storeF32(*sp + 4 * k, scales[k]);
  return llvm::Error::success();
}

/// mpv: row r's weights and scales as vpq writes them; its D outputs (or
/// int32 partial sums) at rd + 4*r*D.
llvm::Error intContext(Machine &m, const Op &op, const AttnConfig &c) {
  llvm::Expected<KeyRuns> values = keyRuns(m, op, c);
  if (!values)
    return values.takeError();
  uint64_t n = values->n, rows = values->rows, D = c.hd, G = c.group(),
           groups = D / G;
  llvm::Expected<uint8_t *> wp = m.buffers.span(op.buf("abuf"), reg(op, "ra"),
                                                rows * groups * n, Use::Read);
  if (!wp)
    return wp.takeError();
  int64_t part = op.get("part");
  llvm::Expected<uint8_t *> sp = m.buffers.span(
      op.buf("sbuf"), reg(op, "rs"),
      part == Whole || part == Last ? 4 * rows * groups : 0, Use::Read);
  if (!sp)
    return sp.takeError();
  llvm::Expected<uint8_t *> dst =
      m.buffers.span(op.buf("dbuf"), reg(op, "rd"), 4 * rows * D, Use::Write);
  if (!dst)
    return dst.takeError();
  // This instruction's exact sums: |sum| < 2^31 for its n <= 65536 keys
  // (NUMERICS §6.5), so int32 lanes hold them.
  std::vector<int32_t> sum(rows * D, 0);
  forEachHeadKey(c, *values,
                 [&](uint64_t r0, uint64_t r1, uint64_t j, const int16_t *v,
                     const float *) {
                   for (uint64_t r = r0; r < r1; ++r) {
                     const uint8_t *weights = *wp + r * groups * n + j;
                     int32_t *row = sum.data() + r * D;
                     for (uint64_t g = 0; g < groups; ++g) {
                       int32_t w = int8_t(weights[g * n]);
                       for (uint64_t d = g * G; d < (g + 1) * G; ++d)
                         row[d] += w * int32_t(v[d]);
                     }
                   }
                 });
  // part=next and last add the int32 held at d: a total outside int32 (more
  // than 65536 keys over all parts) is a fault.
  if (part == Next || part == Last)
    for (uint64_t i = 0; i < rows * D; ++i) {
      int64_t total = int64_t(int32_t(loadU32(*dst + 4 * i))) + sum[i];
      if (total < INT32_MIN || total > INT32_MAX)
        return fault("mpv: row " + Twine(i / D) + "'s sum for d = " +
                     Twine(i % D) + " is " + Twine(total) +
                     ", outside int32 (at most 65536 keys over all parts)");
      sum[i] = int32_t(total);
    }
  if (part == First || part == Next) {
    for (uint64_t i = 0; i < rows * D; ++i)
      storeU32(*dst + 4 * i, uint32_t(sum[i]));
    return llvm::Error::success();
  }
  std::vector<float> out(rows * D);
  for (uint64_t i = 0; i < rows * D; ++i)
    out[i] = float(sum[i]) * loadF32(*sp + 4 * (i / D * groups + i % D / G));
  for (uint64_t i = 0; i < rows * D; ++i)
    storeF32(*dst + 4 * i, out[i]);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<const RopeConfig *> sim::vqkRotation(const Machine &m,
                                                    const AttnConfig &c) {
  if (!m.rope)
    return fault("vqk rope=1 before any vrset: the vector unit has no "
                 "RoPE tables");
  if (m.rope->rot > c.hd)
    return fault("vrset rot = " + Twine(m.rope->rot) +
                 " is more than the head dimension hd = " + Twine(c.hd));
  return &*m.rope;
}

llvm::Error sim::executeAttention(Machine &m, const Op &op) {
  switch (op.instr->opcode) {
  case Opcode::Maset:
    m.matrixAttn = readConfig(op);
    return llvm::Error::success();
  case Opcode::Vaset:
    m.attn = readConfig(op);
    return llvm::Error::success();
  case Opcode::Mqk:
  case Opcode::Mpv:
    if (!m.matrixAttn)
      return fault(Twine(op.instr->getSpec().mnemonic) +
                   " before any maset: the matrix unit has no attention "
                   "state");
    return op.instr->opcode == Opcode::Mqk ? intScores(m, op, *m.matrixAttn)
                                           : intContext(m, op, *m.matrixAttn);
  default:
    break;
  }
  if (!m.attn)
    return fault(Twine(op.instr->getSpec().mnemonic) +
                 " before any vaset: the vector unit has no attention state");
  const AttnConfig &c = *m.attn;
  switch (op.instr->opcode) {
  case Opcode::Vkvq:
    return quantizeRecords(m, op, c);
  case Opcode::Vqk:
    return scores(m, op, c);
  case Opcode::Vsoftmax:
    return softmax(m, op, c);
  case Opcode::Vpv:
    return context(m, op, c);
  case Opcode::Vpq:
    return quantizeWeights(m, op, c);
  default:
    return fault(Twine(op.instr->getSpec().mnemonic) +
                 " is not a vector instruction");
  }
}
