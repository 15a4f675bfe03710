//===- Formats.cpp - field layouts and the instruction table --------------===//
//
// The one place that says where every field of every instruction lies and
// how it is written in assembly. docs/ISA.md's bit tables are printed from
// these arrays (`accel-objdump --isa-reference`).
//
//===----------------------------------------------------------------------===//

#include "accel/ISA/ISA.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"

#include <cassert>

using namespace accel::isa;
using llvm::ArrayRef;
using llvm::StringRef;

namespace {

using K = FieldKind;
using O = OperandKind;

const char *const kBufNames[] = {"wgt", "act", "kv", "scr", "prm"};
const char *const kChannelNames[] = {"1", "2", "4", "8", "16", "32"};
const char *const kWeightFormats[] = {"asym", "sym", "f32", "f16", "bf16"};
const char *const kEpilogues[] = {"none", "relu", "silu", "gelut", "gelue"};
const char *const kBModes[] = {"vec", "bcast", "imm"};
const char *const kRopeStyles[] = {"half", "inter"};
const char *const kKvFormats[] = {"asym", "sym", "f32"};

// Shorthands for the common field kinds.
constexpr FieldSpec reg(const char *name, uint8_t lo, const char *doc) {
  return {name, lo, 5, K::Reg, 0, 0, 31, nullptr, doc};
}
constexpr FieldSpec buf(const char *name, uint8_t lo, const char *doc) {
  return {name, lo, 3, K::Buf, 0, 0, 4, kBufNames, doc};
}
constexpr FieldSpec uimm(const char *name, uint8_t lo, uint8_t width,
                         const char *doc, int64_t min = 0, uint8_t shift = 0) {
  return {name, lo, width, K::UImm, shift, min, -1, nullptr, doc};
}
constexpr FieldSpec flag(const char *name, uint8_t lo, const char *doc) {
  return {name, lo, 1, K::UImm, 0, 0, 1, nullptr, doc};
}
template <size_t N>
constexpr FieldSpec enumField(const char *name, uint8_t lo, uint8_t width,
                              const char *const (&names)[N], const char *doc) {
  return {name, lo, width, K::Enum, 0, 0, int64_t(N) - 1, names, doc};
}
constexpr FieldSpec funct(uint8_t lo) {
  return {"funct",  lo,      5,
          K::Funct, 0,       0,
          31,       nullptr, "operation, fixed by the mnemonic"};
}
constexpr FieldSpec f32(const char *name, uint8_t lo, const char *doc) {
  return {name, lo, 32, K::F32, 0, 0, -1, nullptr, doc};
}

constexpr std::array<int8_t, 3> f(int a, int b = -1, int c = -1) {
  return {int8_t(a), int8_t(b), int8_t(c)};
}

// ---- Control ---------------------------------------------------------------

const FieldSpec aluFields[] = {
    reg("rd", 18, "destination register"),
    reg("rs1", 23, "first source register"),
    reg("rs2", 28, "second source register"),
    funct(33),
};
const OperandSpec aluOps[] = {
    {O::Reg, "rd", f(0)}, {O::Reg, "rs1", f(1)}, {O::Reg, "rs2", f(2)}};

const FieldSpec aluImmFields[] = {
    reg("rd", 18, "destination register"),
    reg("rs1", 23, "source register"),
    funct(33),
    {"imm", 96, 32, K::SImm, 0, 0, -1, nullptr, "32-bit immediate"},
};
const OperandSpec aluImmOps[] = {
    {O::Reg, "rd", f(0)}, {O::Reg, "rs1", f(1)}, {O::Imm, "imm", f(3)}};

const FieldSpec branchFields[] = {
    reg("rs1", 23, "first compared register"),
    reg("rs2", 28, "second compared register"),
    funct(33),
    {"target", 96, 32, K::Target, 0, 0, -1, nullptr,
     "instruction index branched to"},
};
const OperandSpec branchOps[] = {
    {O::Reg, "rs1", f(0)}, {O::Reg, "rs2", f(1)}, {O::Target, "target", f(3)}};

const FieldSpec jumpFields[] = {
    {"target", 96, 32, K::Target, 0, 0, -1, nullptr,
     "instruction index jumped to"},
};
const OperandSpec jumpOps[] = {{O::Target, "target", f(0)}};

const FieldSpec jumpLinkFields[] = {
    reg("rd", 18, "receives the index of the next instruction"),
    {"target", 96, 32, K::Target, 0, 0, -1, nullptr,
     "instruction index jumped to"},
};
const OperandSpec jumpLinkOps[] = {{O::Reg, "rd", f(0)},
                                   {O::Target, "target", f(1)}};

const FieldSpec jumpRegFields[] = {
    reg("rs1", 23, "holds the instruction index jumped to"),
};
const OperandSpec jumpRegOps[] = {{O::Reg, "rs1", f(0)}};

const FieldSpec loadScalarFields[] = {
    reg("rd", 18, "destination register"),
    reg("rs1", 23, "base address register"),
    buf("buf", 38, "buffer read"),
    uimm("imm", 96, 32, "byte offset added to rs1"),
};
const OperandSpec loadScalarOps[] = {{O::Reg, "rd", f(0)},
                                     {O::Addr, "src", f(2, 1, 3)}};

const FieldSpec storeScalarFields[] = {
    reg("rs1", 23, "base address register"),
    reg("rs2", 28, "register stored"),
    buf("buf", 38, "buffer written"),
    uimm("imm", 96, 32, "byte offset added to rs1"),
};
const OperandSpec storeScalarOps[] = {{O::Addr, "dst", f(2, 0, 3)},
                                      {O::Reg, "rs2", f(1)}};

// ---- DMA -------------------------------------------------------------------

const FieldSpec dmaFields[] = {
    buf("buf", 18, "on-chip buffer"),
    uimm("ch", 21, 5, "first HBM pseudo-channel"),
    enumField("nch", 26, 3, kChannelNames,
              "log2 of the channels rows rotate over (1..32)"),
    reg("rh", 29, "HBM offset register (bytes, same in every channel)"),
    reg("rs", 34, "on-chip address register (bytes)"),
    reg("rn", 39, "row count register"),
    uimm("rimm", 44, 8, "row count added to rn"),
    uimm("len", 52, 14, "bytes per row / 64", 64, 6),
    uimm("hstride", 66, 14, "HBM bytes between a channel's rows / 64", 0, 6),
    uimm("sstride", 80, 14, "on-chip bytes between rows / 64", 0, 6),
    uimm("himm", 94, 16, "HBM offset added to rh, / 64", 0, 6),
    uimm("simm", 110, 18, "on-chip offset added to rs, / 64", 0, 6),
};
const OperandSpec dmaOps[] = {
    {O::Addr, "buffer", f(0, 4, 11)},
    {O::Hbm, "hbm", f(3, 10)},
    {O::Count, "rows", f(5, 6)},
    {O::Imm, "len", f(7)},
    {O::Attr, "ch", f(1)},
    {O::Attr, "nch", f(2)},
    {O::Attr, "hstride", f(8)},
    {O::Attr, "sstride", f(9)},
};

// ---- Matrix ----------------------------------------------------------------

const FieldSpec mcfgFields[] = {
    uimm("k", 18, 16, "reduction length K", 1),
    uimm("g", 34, 16, "weight group along K (0: per channel, or float)"),
    uimm("ga", 50, 16, "activation group along K (0: per token)"),
    uimm("r", 66, 16, "rows per weight tile (FORMATS 1.4)", 1),
    enumField("fmt", 82, 3, kWeightFormats, "weight format (FORMATS 1.3)"),
    uimm("bits", 85, 6, "weight value bits: 2, 3, 4, 8 / 32 / 16", 1),
    uimm("n", 91, 4, "n of n:m sparsity (0: dense)"),
    uimm("m", 95, 5, "m of n:m sparsity: 4, 8, 16 (0: dense)"),
    flag("afp", 100, "activations are fp32 (no act_quant)"),
};
const OperandSpec mcfgOps[] = {
    {O::Attr, "k", f(0)}, {O::Attr, "g", f(1)},   {O::Attr, "ga", f(2)},
    {O::Attr, "r", f(3)}, {O::Attr, "fmt", f(4)}, {O::Attr, "bits", f(5)},
    {O::Attr, "n", f(6)}, {O::Attr, "m", f(7)},   {O::Attr, "afp", f(8)},
};

#define ACCEL_MATRIX_COMMON_FIELDS                                             \
  buf("dbuf", 18, "output buffer"), reg("rd", 21, "output address"),           \
      buf("abuf", 26, "activation buffer"),                                    \
      reg("ra", 29, "activation address"),                                     \
      buf("sbuf", 34, "activation scale buffer"),                              \
      reg("rs", 37, "activation scale address"),                               \
      buf("wbuf", 42, "weight tile buffer"),                                   \
      reg("rw", 45, "first weight tile address"),                              \
      flag("bias", 50, "add a bias"), buf("bbuf", 51, "bias buffer"),          \
      reg("rb", 54, "bias address"),                                           \
      flag("rq", 59, "requantize the outputs to int8"),                        \
      buf("obuf", 60, "output scale buffer"),                                  \
      reg("ro", 63, "output scale address"),                                   \
      uimm("rows", 68, 16, "output rows", 1),                                  \
      enumField("ep", 84, 3, kEpilogues, "activation applied to the outputs")

const FieldSpec mvFields[] = {ACCEL_MATRIX_COMMON_FIELDS};
const FieldSpec mmFields[] = {
    ACCEL_MATRIX_COMMON_FIELDS,
    reg("rm", 87, "token count register"),
    uimm("astride", 92, 16, "activation bytes between tokens / 4", 0, 2),
    uimm("dstride", 108, 16, "output bytes between tokens / 4", 0, 2),
};
#undef ACCEL_MATRIX_COMMON_FIELDS

#define ACCEL_MATRIX_ADDR_OPERANDS                                             \
  {O::Addr, "y", f(0, 1)}, {O::Addr, "x", f(2, 3)}, {O::Addr, "xs", f(4, 5)},  \
      {O::Addr, "w", f(6, 7)}, {                                               \
    O::Imm, "rows", f(14)                                                      \
  }
const OperandSpec mvOps[] = {
    ACCEL_MATRIX_ADDR_OPERANDS,
    {O::Attr, "bias", f(8, 9, 10)},
    {O::Attr, "rq", f(11, 12, 13)},
    {O::Attr, "ep", f(15)},
};
const OperandSpec mmOps[] = {
    ACCEL_MATRIX_ADDR_OPERANDS,     {O::Reg, "m", f(16)},
    {O::Imm, "astride", f(17)},     {O::Imm, "dstride", f(18)},
    {O::Attr, "bias", f(8, 9, 10)}, {O::Attr, "rq", f(11, 12, 13)},
    {O::Attr, "ep", f(15)},
};
#undef ACCEL_MATRIX_ADDR_OPERANDS

// ---- Vector ----------------------------------------------------------------

#define ACCEL_D_A                                                              \
  buf("dbuf", 18, "destination buffer"), reg("rd", 21, "destination address"), \
      buf("abuf", 26, "source buffer"), reg("ra", 29, "source address")

const FieldSpec vBinaryFields[] = {
    ACCEL_D_A,
    buf("bbuf", 34, "second source buffer"),
    reg("rb", 37, "second source address"),
    reg("rn", 42, "element count register"),
    uimm("nimm", 47, 20, "element count added to rn"),
    enumField("bmode", 67, 2, kBModes,
              "b is a vector, b[0] broadcast, or the immediate f"),
    f32("f", 96, "the fp32 operand when bmode=imm"),
};
const OperandSpec vBinaryOps[] = {
    {O::Addr, "d", f(0, 1)},  {O::Addr, "a", f(2, 3)},  {O::Addr, "b", f(4, 5)},
    {O::Count, "n", f(6, 7)}, {O::Attr, "bmode", f(8)}, {O::Attr, "f", f(9)},
};

const FieldSpec vUnaryFields[] = {
    ACCEL_D_A,
    reg("rn", 42, "element count register"),
    uimm("nimm", 47, 20, "element count added to rn"),
};
const OperandSpec vUnaryOps[] = {
    {O::Addr, "d", f(0, 1)}, {O::Addr, "a", f(2, 3)}, {O::Count, "n", f(4, 5)}};

const FieldSpec vCopyFields[] = {
    ACCEL_D_A,
    reg("rn", 42, "byte count register"),
    uimm("nimm", 47, 20, "byte count added to rn"),
};

const FieldSpec vFillFields[] = {
    buf("dbuf", 18, "destination buffer"),
    reg("rd", 21, "destination address"),
    reg("rn", 42, "word count register"),
    uimm("nimm", 47, 20, "word count added to rn"),
    f32("f", 96, "the 32-bit pattern written"),
};
const OperandSpec vFillOps[] = {
    {O::Addr, "d", f(0, 1)}, {O::Count, "n", f(2, 3)}, {O::F32, "f", f(4)}};

const FieldSpec vRmsFields[] = {
    ACCEL_D_A,
    buf("bbuf", 34, "weight (gamma) buffer"),
    reg("rb", 37, "weight (gamma) address"),
    reg("rn", 42, "row length register"),
    uimm("nimm", 47, 20, "row length added to rn"),
    reg("rm", 67, "row count register"),
    uimm("mimm", 72, 8, "row count added to rm"),
    f32("eps", 96, "epsilon"),
};
const FieldSpec vNormFields[] = {
    ACCEL_D_A,
    buf("bbuf", 34, "weight (gamma) buffer"),
    reg("rb", 37, "weight (gamma) address"),
    reg("rn", 42, "row length register"),
    uimm("nimm", 47, 20, "row length added to rn"),
    reg("rm", 67, "row count register"),
    uimm("mimm", 72, 8, "row count added to rm"),
    flag("beta", 80, "add a shift (LayerNorm bias)"),
    buf("cbuf", 81, "shift buffer"),
    reg("rc", 84, "shift address"),
    f32("eps", 96, "epsilon"),
};
const OperandSpec vRmsOps[] = {
    {O::Addr, "d", f(0, 1)},     {O::Addr, "a", f(2, 3)},
    {O::Addr, "w", f(4, 5)},     {O::Count, "n", f(6, 7)},
    {O::Count, "rows", f(8, 9)}, {O::Attr, "eps", f(10)},
};
const OperandSpec vLnOps[] = {
    {O::Addr, "d", f(0, 1)},     {O::Addr, "a", f(2, 3)},
    {O::Addr, "w", f(4, 5)},     {O::Count, "n", f(6, 7)},
    {O::Count, "rows", f(8, 9)}, {O::Attr, "beta", f(10, 11, 12)},
    {O::Attr, "eps", f(13)},
};

const FieldSpec vRopeFields[] = {
    ACCEL_D_A,
    buf("bbuf", 34, "cos table buffer"),
    reg("rb", 37, "cos table address"),
    buf("cbuf", 42, "sin table buffer"),
    reg("rc", 45, "sin table address"),
    reg("rm", 50, "row (token) count register"),
    uimm("mimm", 55, 8, "row count added to rm"),
    reg("rp", 63, "position of row 0"),
    enumField("style", 68, 1, kRopeStyles, "rotate_half or interleaved pairs"),
    uimm("hd", 69, 12, "head dimension D", 2),
    uimm("rot", 81, 12, "rotated elements R per head (even, <= D)", 2),
    uimm("heads", 93, 8, "heads per row", 1),
};
const OperandSpec vRopeOps[] = {
    {O::Addr, "d", f(0, 1)},     {O::Addr, "a", f(2, 3)},
    {O::Addr, "cos", f(4, 5)},   {O::Addr, "sin", f(6, 7)},
    {O::Count, "rows", f(8, 9)}, {O::Reg, "pos", f(10)},
    {O::Attr, "hd", f(12)},      {O::Attr, "rot", f(13)},
    {O::Attr, "heads", f(14)},   {O::Attr, "style", f(11)},
};

const FieldSpec vSoftmaxFields[] = {
    ACCEL_D_A,
    reg("rn", 42, "key count register"),
    uimm("nimm", 47, 20, "key count added to rn"),
    reg("rp", 67, "query position"),
    reg("rk", 72, "position of key 0"),
    flag("mask", 77, "apply the causal / Lambda mask"),
    uimm("rows", 78, 6, "rows of n scores (query heads)", 1),
};
const OperandSpec vSoftmaxOps[] = {
    {O::Addr, "d", f(0, 1)}, {O::Addr, "a", f(2, 3)}, {O::Count, "n", f(4, 5)},
    {O::Reg, "qpos", f(6)},  {O::Reg, "kpos", f(7)},  {O::Imm, "rows", f(9)},
    {O::Attr, "mask", f(8)},
};

#define ACCEL_ATTENTION_FIELDS(BDOC)                                           \
  ACCEL_D_A, buf("bbuf", 34, BDOC " record buffer"),                           \
      reg("rb", 37, BDOC " record address"),                                   \
      reg("rn", 42, "key count register"),                                     \
      uimm("nimm", 47, 20, "key count added to rn"),                           \
      reg("rh", 67, "KV head register"),                                       \
      uimm("himm", 72, 8, "KV head added to rh"),                              \
      reg("rp", 80, "query position"), reg("rk", 85, "position of key 0"),     \
      flag("mask", 90, "apply the causal / Lambda mask")
#define ACCEL_ATTENTION_ROWS                                                   \
  uimm("rows", 92, 4, "rows (query heads) sharing the keys (0: 1)")
const FieldSpec vScoreFields[] = {
    ACCEL_ATTENTION_FIELDS("key"),
    flag("rope", 91, "rotate query and keys by table rows qpos, kpos + j"),
    ACCEL_ATTENTION_ROWS,
    f32("scale", 96, "score scale"),
};
const FieldSpec vContextFields[] = {
    ACCEL_ATTENTION_FIELDS("value"),
    flag("acc", 91, "continue the sum held in d"),
    ACCEL_ATTENTION_ROWS,
};
#undef ACCEL_ATTENTION_ROWS
#undef ACCEL_ATTENTION_FIELDS
#define ACCEL_ATTENTION_OPERANDS(A, B)                                         \
  {O::Addr, "d", f(0, 1)}, {O::Addr, A, f(2, 3)}, {O::Addr, B, f(4, 5)},       \
      {O::Count, "n", f(6, 7)}, {O::Count, "head", f(8, 9)},                   \
      {O::Reg, "qpos", f(10)}, {O::Reg, "kpos", f(11)}, {                      \
    O::Attr, "mask", f(12)                                                     \
  }
const OperandSpec vScoreOps[] = {
    ACCEL_ATTENTION_OPERANDS("q", "k"), {O::Attr, "rope", f(13)},
    {O::Attr, "rows", f(14)}, {O::Attr, "scale", f(15)}};
const OperandSpec vContextOps[] = {ACCEL_ATTENTION_OPERANDS("p", "v"),
                                   {O::Attr, "acc", f(13)},
                                   {O::Attr, "rows", f(14)}};
#undef ACCEL_ATTENTION_OPERANDS

const FieldSpec vAttnConfigFields[] = {
    uimm("hd", 18, 12, "head dimension D", 1),
    uimm("kvh", 30, 8, "KV heads per record", 1),
    uimm("kvg", 38, 12, "quantization group along D (0: D)"),
    enumField("kvfmt", 50, 2, kKvFormats, "KV format"),
    uimm("kvbits", 52, 4, "bits per value: 2, 3, 4, 8 (0 for f32)"),
    uimm("sink", 56, 16, "Lambda sink tokens S"),
    uimm("window", 72, 24, "Lambda window W (0: no Lambda)"),
    flag("causal", 96, "keys after the query are masked"),
    uimm("recu", 97, 10, "record stride in 64-byte units (0: the smallest)"),
    uimm("qpk", 107, 8, "rows per KV head of multi-row attention (0: 1)"),
};
const OperandSpec vAttnConfigOps[] = {
    {O::Attr, "hd", f(0)},     {O::Attr, "kvh", f(1)},
    {O::Attr, "kvg", f(2)},    {O::Attr, "kvfmt", f(3)},
    {O::Attr, "kvbits", f(4)}, {O::Attr, "sink", f(5)},
    {O::Attr, "window", f(6)}, {O::Attr, "causal", f(7)},
    {O::Attr, "recu", f(8)},   {O::Attr, "qpk", f(9)},
};

const FieldSpec vRopeConfigFields[] = {
    buf("bbuf", 18, "cos table buffer"),
    reg("rb", 21, "cos table address"),
    buf("cbuf", 26, "sin table buffer"),
    reg("rc", 29, "sin table address"),
    enumField("style", 34, 1, kRopeStyles, "rotate_half or interleaved pairs"),
    uimm("rot", 35, 12, "rotated elements R per head (even, <= D)", 2),
};
const OperandSpec vRopeConfigOps[] = {
    {O::Addr, "cos", f(0, 1)},
    {O::Addr, "sin", f(2, 3)},
    {O::Attr, "rot", f(5)},
    {O::Attr, "style", f(4)},
};

// The integer attention instructions (mqk, mpv, vpq): key j's record is
// at rb + j * rec for j < R[rc], else at rg + (j - R[rc]) * rec. mqk's and
// vpq's rows of n scores or probabilities lie R[rp] apart (r0: n apart).
#define ACCEL_ATTN_INT_FIELDS(A, S, B)                                         \
  buf("dbuf", 18, "destination buffer"), reg("rd", 21, "destination address"), \
      buf("abuf", 26, A " buffer"), reg("ra", 29, A " address"),               \
      buf("sbuf", 34, S " buffer"), reg("rs", 37, S " address"),               \
      buf("bbuf", 42, B " record buffer"),                                     \
      reg("rb", 45, "first run of records"),                                   \
      reg("rc", 50, "records in the first run"),                               \
      reg("rg", 55, "second run of records"),                                  \
      reg("rn", 60, "key count register"),                                     \
      uimm("nimm", 65, 7, "key count added to rn")
#define ACCEL_ATTN_INT_PITCH                                                   \
  reg("rp", 72, "row pitch in keys (r0: n)")
#define ACCEL_ATTN_INT_HEADS                                                   \
  reg("rh", 77, "KV head register"),                                           \
      uimm("himm", 82, 8, "KV head added to rh"),                              \
      uimm("rows", 90, 6, "rows (query heads)", 1)
const char *const kQuantParts[] = {"whole", "first", "next", "last", "quant"};
const char *const kSumParts[] = {"whole", "first", "next", "last"};
const FieldSpec attnScoreFields[] = {
    ACCEL_ATTN_INT_FIELDS("int8 query", "query scale", "key"),
    ACCEL_ATTN_INT_PITCH,
    ACCEL_ATTN_INT_HEADS,
    f32("scale", 96, "score scale"),
};
const FieldSpec attnQuantFields[] = {
    ACCEL_ATTN_INT_FIELDS("probability", "weight scale", "value"),
    ACCEL_ATTN_INT_PITCH,
    ACCEL_ATTN_INT_HEADS,
    enumField("part", 96, 3, kQuantParts,
              "the whole, a chunk's max pass (first, next, last) or its "
              "quantization"),
};
const FieldSpec attnIntFields[] = {
    ACCEL_ATTN_INT_FIELDS("int8 weight", "weight scale", "value"),
    ACCEL_ATTN_INT_HEADS,
    enumField("part", 96, 2, kSumParts,
              "the whole, or a chunk's int32 partial sum (first, next, last)"),
};
#undef ACCEL_ATTN_INT_FIELDS
#undef ACCEL_ATTN_INT_PITCH
#undef ACCEL_ATTN_INT_HEADS
#define ACCEL_ATTN_INT_OPERANDS(RH)                                            \
  {O::Addr, "d", f(0, 1)}, {O::Addr, "a", f(2, 3)}, {O::Addr, "s", f(4, 5)},   \
      {O::Addr, "b", f(6, 7)}, {O::Reg, "split", f(8)},                        \
      {O::Reg, "second", f(9)}, {O::Count, "n", f(10, 11)},                    \
      {O::Count, "head", f(RH, RH + 1)}, {                                     \
    O::Imm, "rows", f(RH + 2)                                                  \
  }
const OperandSpec attnScoreOps[] = {ACCEL_ATTN_INT_OPERANDS(13),
                                    {O::Attr, "pitch", f(12)},
                                    {O::Attr, "scale", f(16)}};
const OperandSpec attnQuantOps[] = {ACCEL_ATTN_INT_OPERANDS(13),
                                    {O::Attr, "pitch", f(12)},
                                    {O::Attr, "part", f(16)}};
const OperandSpec attnIntOps[] = {ACCEL_ATTN_INT_OPERANDS(12),
                                  {O::Attr, "part", f(15)}};
#undef ACCEL_ATTN_INT_OPERANDS

const FieldSpec vKvQuantFields[] = {
    ACCEL_D_A,
    reg("rm", 34, "row (token) count register"),
    uimm("mimm", 39, 8, "row count added to rm"),
};
const OperandSpec vKvQuantOps[] = {{O::Addr, "d", f(0, 1)},
                                   {O::Addr, "a", f(2, 3)},
                                   {O::Count, "rows", f(4, 5)}};

const FieldSpec vQuantActFields[] = {
    ACCEL_D_A,
    buf("bbuf", 34, "scale buffer (written)"),
    reg("rb", 37, "scale address"),
    reg("rn", 42, "row length register"),
    uimm("nimm", 47, 20, "row length added to rn"),
    reg("rm", 67, "row count register"),
    uimm("mimm", 72, 8, "row count added to rm"),
    uimm("ga", 80, 20, "group along the row (0: the whole row)"),
    uimm("bits", 100, 4, "bits, 2..8", 2),
    flag("fake", 104, "write f32(q) * s instead of q"),
};
const OperandSpec vQuantActOps[] = {
    {O::Addr, "d", f(0, 1)},     {O::Addr, "a", f(2, 3)},
    {O::Addr, "s", f(4, 5)},     {O::Count, "n", f(6, 7)},
    {O::Count, "rows", f(8, 9)}, {O::Attr, "ga", f(10)},
    {O::Attr, "bits", f(11)},    {O::Attr, "fake", f(12)},
};

const FieldSpec vQuantFields[] = {
    ACCEL_D_A,
    buf("bbuf", 34, "scale buffer"),
    reg("rb", 37, "scale address"),
    buf("cbuf", 42, "zero-point buffer"),
    reg("rc", 45, "zero-point address"),
    reg("rn", 50, "row length register"),
    uimm("nimm", 55, 20, "row length added to rn"),
    reg("rm", 75, "row count register"),
    uimm("mimm", 80, 8, "row count added to rm"),
    uimm("g", 88, 20, "group along the row (0: the whole row)"),
    uimm("bits", 108, 4, "bits, 2..8", 2),
    flag("sym", 112, "symmetric (no zero points)"),
    flag("f16", 113, "scales are fp16 (else fp32)"),
};
const OperandSpec vQuantOps[] = {
    {O::Addr, "d", f(0, 1)},  {O::Addr, "a", f(2, 3)},
    {O::Addr, "s", f(4, 5)},  {O::Addr, "z", f(6, 7)},
    {O::Count, "n", f(8, 9)}, {O::Count, "rows", f(10, 11)},
    {O::Attr, "g", f(12)},    {O::Attr, "bits", f(13)},
    {O::Attr, "sym", f(14)},  {O::Attr, "f16", f(15)},
};

const FieldSpec vArgmaxFields[] = {
    ACCEL_D_A,
    reg("rn", 42, "element count register"),
    uimm("nimm", 47, 20, "element count added to rn"),
};
#undef ACCEL_D_A

const FormatSpec fmtNone{"none", {}, {}};
const FormatSpec fmtAlu{"alu", aluFields, aluOps};
const FormatSpec fmtAluImm{"alu-imm", aluImmFields, aluImmOps};
const FormatSpec fmtBranch{"branch", branchFields, branchOps};
const FormatSpec fmtJump{"jump", jumpFields, jumpOps};
const FormatSpec fmtJumpLink{"jump-link", jumpLinkFields, jumpLinkOps};
const FormatSpec fmtJumpReg{"jump-reg", jumpRegFields, jumpRegOps};
const FormatSpec fmtLoadScalar{"load-scalar", loadScalarFields, loadScalarOps};
const FormatSpec fmtStoreScalar{"store-scalar", storeScalarFields,
                                storeScalarOps};
const FormatSpec fmtDma{"dma", dmaFields, dmaOps};
const FormatSpec fmtMatrixConfig{"matrix-config", mcfgFields, mcfgOps};
const FormatSpec fmtMatrixVector{"matrix-vector", mvFields, mvOps};
const FormatSpec fmtMatrixMatrix{"matrix-matrix", mmFields, mmOps};
const FormatSpec fmtVBinary{"v-binary", vBinaryFields, vBinaryOps};
const FormatSpec fmtVUnary{"v-unary", vUnaryFields, vUnaryOps};
const FormatSpec fmtVCopy{"v-copy", vCopyFields, vUnaryOps};
const FormatSpec fmtVFill{"v-fill", vFillFields, vFillOps};
const FormatSpec fmtVNorm{"v-rmsnorm", vRmsFields, vRmsOps};
const FormatSpec fmtVNormBeta{"v-layernorm", vNormFields, vLnOps};
const FormatSpec fmtVRope{"v-rope", vRopeFields, vRopeOps};
const FormatSpec fmtVSoftmax{"v-softmax", vSoftmaxFields, vSoftmaxOps};
const FormatSpec fmtVScore{"v-score", vScoreFields, vScoreOps};
const FormatSpec fmtVContext{"v-context", vContextFields, vContextOps};
const FormatSpec fmtVAttnConfig{"v-attn-config", vAttnConfigFields,
                                vAttnConfigOps};
const FormatSpec fmtVRopeConfig{"v-rope-config", vRopeConfigFields,
                                vRopeConfigOps};
const FormatSpec fmtVKvQuant{"v-kv-quant", vKvQuantFields, vKvQuantOps};
const FormatSpec fmtVQuantAct{"v-quant-act", vQuantActFields, vQuantActOps};
const FormatSpec fmtVQuant{"v-quant", vQuantFields, vQuantOps};
const FormatSpec fmtVArgmax{"v-argmax", vArgmaxFields, vUnaryOps};
const FormatSpec fmtAttnScore{"attn-score", attnScoreFields, attnScoreOps};
const FormatSpec fmtAttnInt{"attn-int", attnIntFields, attnIntOps};
const FormatSpec fmtAttnQuant{"attn-quant", attnQuantFields, attnQuantOps};

const InstrSpec kInstructions[] = {
#define ACCEL_INSN(ID, MNEMONIC, UNIT, OP, FUNCT, FORMAT, SUMMARY)             \
  {Opcode::ID, MNEMONIC, Unit::UNIT, OP, FUNCT, &fmt##FORMAT, SUMMARY},
#include "accel/ISA/Instructions.def"
};

const FormatSpec *const kFormats[] = {
    &fmtNone,         &fmtAlu,       &fmtAluImm,       &fmtBranch,
    &fmtJump,         &fmtJumpLink,  &fmtJumpReg,      &fmtLoadScalar,
    &fmtStoreScalar,  &fmtDma,       &fmtMatrixConfig, &fmtMatrixVector,
    &fmtMatrixMatrix, &fmtVBinary,   &fmtVUnary,       &fmtVCopy,
    &fmtVFill,        &fmtVNorm,     &fmtVNormBeta,    &fmtVRope,
    &fmtVSoftmax,     &fmtVScore,    &fmtVContext,     &fmtVAttnConfig,
    &fmtVKvQuant,     &fmtVQuantAct, &fmtVQuant,       &fmtVArgmax,
    &fmtAttnScore,    &fmtAttnInt,   &fmtVRopeConfig,  &fmtAttnQuant,
};

} // namespace

int64_t FieldSpec::minValue() const {
  if (kind == K::SImm)
    return -(int64_t(1) << (width - 1));
  return min;
}

int64_t FieldSpec::maxValue() const {
  if (max >= 0)
    return max;
  if (kind == K::SImm)
    return (int64_t(1) << (width - 1)) - 1;
  return ((int64_t(1) << width) - 1) << shift;
}

StringRef accel::isa::unitName(Unit unit) {
  static const char *const names[] = {"ctl", "ld", "st", "mx", "vec"};
  return names[unsigned(unit)];
}

StringRef accel::isa::bufferName(Buffer buffer) {
  return kBufNames[unsigned(buffer)];
}

ArrayRef<InstrSpec> accel::isa::instructions() { return kInstructions; }

const InstrSpec &accel::isa::spec(Opcode opcode) {
  assert(opcode < Opcode::NumOpcodes && "not an opcode");
  return kInstructions[unsigned(opcode)];
}

const InstrSpec *accel::isa::lookupMnemonic(StringRef mnemonic) {
  static const llvm::StringMap<const InstrSpec *> map = [] {
    llvm::StringMap<const InstrSpec *> m;
    for (const InstrSpec &s : kInstructions)
      m[s.mnemonic] = &s;
    return m;
  }();
  auto it = map.find(mnemonic);
  return it == map.end() ? nullptr : it->second;
}

ArrayRef<const FormatSpec *> accel::isa::formats() { return kFormats; }

std::optional<unsigned> accel::isa::fieldIndex(const FormatSpec &format,
                                               StringRef name) {
  for (unsigned i = 0; i < format.fields.size(); ++i)
    if (name == format.fields[i].name)
      return i;
  return std::nullopt;
}

int64_t accel::isa::kvRecordBytes(int64_t heads, int64_t dim, int64_t format,
                                  int64_t bits, int64_t group) {
  int64_t values = heads * dim;
  if (format == 2)
    return (values * 4 + 63) / 64 * 64;
  int64_t groups = heads * (dim / group);
  int64_t end = (values * bits + 7) / 8 + 2 * groups;
  if (format == 0)
    end += (groups * bits + 7) / 8;
  return (end + 63) / 64 * 64;
}

int64_t accel::isa::kvRecordStride(const Instruction &vaset) {
  if (int64_t units = vaset.get("recu"))
    return 64 * units;
  int64_t hd = vaset.get("hd");
  return kvRecordBytes(vaset.get("kvh"), hd, vaset.get("kvfmt"),
                       vaset.get("kvbits"),
                       vaset.get("kvg") ? vaset.get("kvg") : hd);
}

Instruction Instruction::create(Opcode opcode) {
  Instruction instr;
  instr.opcode = opcode;
  const InstrSpec &s = spec(opcode);
  if (std::optional<unsigned> i = fieldIndex(*s.format, "funct"))
    instr.fields[*i] = s.funct;
  return instr;
}

int64_t Instruction::get(StringRef name) const {
  std::optional<unsigned> i = fieldIndex(*getSpec().format, name);
  assert(i && "no such field");
  return fields[*i];
}

void Instruction::set(StringRef name, int64_t value) {
  std::optional<unsigned> i = fieldIndex(*getSpec().format, name);
  assert(i && "no such field");
  fields[*i] = value;
}
