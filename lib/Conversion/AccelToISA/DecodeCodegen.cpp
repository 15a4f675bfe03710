//===- DecodeCodegen.cpp - the decode step as engine instructions ---------===//

#include "DecodeCodegen.h"

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Reference/Executor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using isa::Buffer;
using isa::Opcode;

namespace {

/// The ABI registers (docs/ISA.md §7).
constexpr unsigned kWeights = 1, kKv = 2, kIo = 4, kPosition = 6;
/// Registers the step keeps while it runs (scratch registers, r16..r31,
/// live only until the next instruction that reads them): the return
/// address, the token's index in the call and its id, and the counts of
/// the keys attention reads.
constexpr unsigned kLink = 8, kTokenId = 9, kToken = 10, kSinks = 11,
                   kCount = 12, kWindowCount = 13, kRingStart = 14,
                   kCountA = 15;

unsigned space(Buffer buffer) { return static_cast<unsigned>(buffer); }

/// A value's home on chip.
struct Home {
  Buffer buffer;
  int64_t offset, bytes;
};

/// A bump-and-free allocator over one buffer, first fit.
class BufferAllocator {
public:
  BufferAllocator(Buffer buffer, int64_t size) : buffer(buffer), size(size) {}

  FailureOr<Home> allocate(Operation *op, int64_t bytes) {
    bytes = alignTo(bytes, kAlign);
    int64_t at = 0;
    for (auto [start, length] : used) {
      if (start - at >= bytes)
        break;
      at = std::max(at, start + length);
    }
    if (at + bytes > size)
      return op->emitError("the decode step's live values do not fit the ")
             << isa::bufferName(buffer) << " buffer (" << size << " bytes)";
    used[at] = bytes;
    return Home{buffer, at, bytes};
  }
  void release(const Home &home) { used.erase(home.offset); }

private:
  Buffer buffer;
  int64_t size;
  std::map<int64_t, int64_t> used;
};

/// The Λ cache of one attention layer in HBM and its record format.
struct CacheLayout {
  StripedRows keys, values;
  int64_t slots = 0, record = 0, headDim = 0, kvHeads = 0;
  int64_t group = 0, bits = 0, sink = 0, window = 0;
  unsigned format = 2; ///< vaset kvfmt: 0 asym, 1 sym, 2 f32
};

class Codegen {
public:
  Codegen(func::FuncOp decode, const hw::Config &config)
      : decode(decode), config(config),
        act(Buffer::Act, config.buffers[space(Buffer::Act)].bytes) {}

  FailureOr<LoweredModel> run(int64_t maxPrompt);

private:
  isa::Instruction make(Opcode opcode) {
    return isa::Instruction::create(opcode);
  }
  void alu(Opcode opcode, unsigned rd, unsigned rs1, unsigned rs2);
  void aluImm(Opcode opcode, unsigned rd, unsigned rs1, int64_t imm);
  /// A DMA of `rows` rows of `len` bytes (see docs/ISA.md §5.1).
  void dma(Opcode opcode, Buffer buffer, int64_t onChip, unsigned hbmReg,
           int64_t channel, int64_t channels, unsigned rowsReg,
           int64_t rowsImm, int64_t len, int64_t hstride, int64_t sstride,
           unsigned onChipReg = 0);
  /// `bytes` of the scratch buffer's staging area (reused round robin).
  int64_t stage(int64_t bytes);
  /// Sets the vector unit's attention state for `cache` (vaset).
  void setAttention(const CacheLayout &cache);
  FailureOr<Home> homeOf(Value value);
  FailureOr<Home> define(Value value, int64_t bytes);
  void freeDead(Operation *op);
  /// Copies `bytes` of parameters (a constant) to HBM once; returns the
  /// weights-region offset on channel `channel`.
  int64_t placeParams(const void *data, int64_t bytes, int64_t channel);
  /// Loads the constant `value` into the parameter buffer; returns where.
  FailureOr<int64_t> loadParam(Operation *user, Value value);

  LogicalResult lowerEmbedding(EmbeddingOp op);
  /// Loads the id of the call's token r10 from io into r9.
  void loadTokenId();
  LogicalResult lowerNorm(Operation *op, Value input, Value weight, Value bias,
                          float epsilon, bool centered);
  LogicalResult lowerLinear(LinearOp op, int64_t epilogue);
  LogicalResult lowerRope(RopeOp op);
  LogicalResult lowerCacheWrite(KVCacheWriteOp op);
  LogicalResult lowerAttention(CacheAttentionOp op);
  LogicalResult lowerActivation(ActivationOp op);
  LogicalResult lowerArith(Operation *op);
  LogicalResult lowerReturn(func::ReturnOp op);
  FailureOr<CacheLayout *> cacheOf(Value cache, Operation *user);

  func::FuncOp decode;
  const hw::Config &config;
  ProgramBuilder program;
  BufferAllocator act;
  LoweredModel model;
  RegionLayout weights, kv;
  llvm::DenseMap<Value, Home> homes;
  llvm::DenseMap<Value, Operation *> lastUse;
  llvm::DenseMap<Value, CacheLayout> caches;
  /// A value's int8 form and scales, made by the first linear reading it.
  struct Quantized {
    QuantAttr quant;
    Home values, scales;
  };
  llvm::DenseMap<Value, Quantized> quantizedInputs;
  llvm::DenseMap<Value, int64_t> paramOffsets; ///< constant -> HBM offset
  llvm::DenseMap<Value, int64_t> paramChannels;
  /// Linears whose activation the epilogue applies, and the fused result.
  llvm::DenseMap<Operation *, int64_t> epilogues;
  int64_t nextChannel = 0, prmNext = 0, scrNext = 0, wgtHalf = 0;
  /// The vaset fields last set (hd, kvh, kvg, kvfmt, kvbits, sink, window).
  std::optional<std::tuple<int64_t, int64_t, int64_t, unsigned, int64_t,
                           int64_t, int64_t>>
      attentionState;
};

void Codegen::alu(Opcode opcode, unsigned rd, unsigned rs1, unsigned rs2) {
  isa::Instruction i = make(opcode);
  i.set("rd", rd);
  i.set("rs1", rs1);
  i.set("rs2", rs2);
  program.emit(i);
}

void Codegen::aluImm(Opcode opcode, unsigned rd, unsigned rs1, int64_t imm) {
  isa::Instruction i = make(opcode);
  i.set("rd", rd);
  i.set("rs1", rs1);
  i.set("imm", imm);
  program.emit(i);
}

void Codegen::dma(Opcode opcode, Buffer buffer, int64_t onChip,
                  unsigned hbmReg, int64_t channel, int64_t channels,
                  unsigned rowsReg, int64_t rowsImm, int64_t len,
                  int64_t hstride, int64_t sstride, unsigned onChipReg) {
  isa::Instruction i = make(opcode);
  i.set("buf", static_cast<int64_t>(buffer));
  if (onChipReg) {
    i.set("rs", onChipReg);
    i.set("simm", onChip);
  } else {
    i.set("rs", program.constant(onChip));
  }
  i.set("rh", hbmReg);
  i.set("ch", channel % kChannels);
  int64_t log2 = 0;
  while ((int64_t(1) << log2) < channels)
    ++log2;
  i.set("nch", log2);
  i.set("rn", rowsReg);
  i.set("rimm", rowsImm);
  i.set("len", len);
  i.set("hstride", hstride);
  i.set("sstride", sstride);
  program.emit(i);
}

FailureOr<Home> Codegen::homeOf(Value value) {
  auto it = homes.find(value);
  if (it == homes.end()) {
    Operation *def = value.getDefiningOp();
    return (def ? def : decode.getOperation())
        ->emitError("internal: no on-chip home for a value");
  }
  return it->second;
}

FailureOr<Home> Codegen::define(Value value, int64_t bytes) {
  Operation *def = value.getDefiningOp();
  FailureOr<Home> home = act.allocate(def, bytes);
  if (succeeded(home))
    homes[value] = *home;
  return home;
}

void Codegen::freeDead(Operation *op) {
  for (Value operand : op->getOperands()) {
    auto last = lastUse.find(operand);
    if (last == lastUse.end() || last->second != op)
      continue;
    if (auto home = homes.find(operand); home != homes.end()) {
      act.release(home->second);
      homes.erase(home);
    }
    if (auto q = quantizedInputs.find(operand); q != quantizedInputs.end()) {
      act.release(q->second.values);
      act.release(q->second.scales);
      quantizedInputs.erase(q);
    }
  }
}

int64_t Codegen::placeParams(const void *data, int64_t bytes,
                             int64_t channel) {
  int64_t source = alignTo(static_cast<int64_t>(model.params.size()), kAlign);
  model.params.resize(source + alignTo(bytes, kAlign), 0);
  std::memcpy(model.params.data() + source, data, bytes);
  int64_t offset = weights.reserveOne(channel, bytes);
  model.segments.push_back({source, alignTo(bytes, kAlign), channel, offset});
  return offset;
}

/// The f32 values of a constant.
FailureOr<std::vector<float>> constantFloats(Operation *user, Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return user->emitError("the engine needs this operand as a constant");
  llvm::Expected<reference::Tensor> tensor =
      reference::fromAttribute(constant.getValue());
  if (!tensor)
    return user->emitError("cannot read a constant: ")
           << llvm::toString(tensor.takeError());
  std::vector<float> values(tensor->getNumElements());
  for (int64_t i = 0; i < tensor->getNumElements(); ++i)
    values[i] = static_cast<float>(tensor->getDouble(i));
  return values;
}

FailureOr<int64_t> Codegen::loadParam(Operation *user, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t bytes = type.getNumElements() * 4;
  if (!paramOffsets.count(value)) {
    FailureOr<std::vector<float>> values = constantFloats(user, value);
    if (failed(values))
      return failure();
    int64_t channel = nextChannel++ % kChannels;
    paramOffsets[value] =
        placeParams(values->data(), bytes, channel);
    paramChannels[value] = channel;
  }
  int64_t prmSize = config.buffers[space(Buffer::Prm)].bytes;
  int64_t padded = alignTo(bytes, kAlign);
  if (padded > prmSize)
    return user->emitError("a parameter of ")
           << bytes << " bytes does not fit the prm buffer";
  if (prmNext + padded > prmSize)
    prmNext = 0;
  int64_t at = prmNext;
  prmNext += padded;
  unsigned hbm = program.scratch();
  aluImm(Opcode::Addi, hbm, kWeights, paramOffsets[value]);
  dma(Opcode::Load, Buffer::Prm, at, hbm, paramChannels[value], 1, 0, 1,
      padded, 0, 0);
  return at;
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

LogicalResult Codegen::lowerEmbedding(EmbeddingOp op) {
  FailureOr<std::vector<float>> table = constantFloats(op, op.getTable());
  if (failed(table))
    return failure();
  auto type = op.getTable().getType();
  int64_t rows = type.getDimSize(0), hidden = type.getDimSize(1);
  StripedRows striped = stripeRows(rows, hidden * 4);
  striped.firstChannel = nextChannel;
  nextChannel += striped.channels;
  // Row r's piece i goes to channel firstChannel + i at base + r · stripe.
  std::vector<uint8_t> piece(striped.stripe);
  striped.base = -1;
  for (int64_t i = 0; i < striped.channels; ++i) {
    int64_t channel = (striped.firstChannel + i) % kChannels;
    std::vector<uint8_t> column(rows * striped.stripe, 0);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t from = i * striped.stripe, to = std::min(from + striped.stripe,
                                                       hidden * 4);
      if (from < to)
        std::memcpy(column.data() + r * striped.stripe,
                    reinterpret_cast<const uint8_t *>(table->data()) +
                        r * hidden * 4 + from,
                    to - from);
    }
    int64_t offset = placeParams(column.data(), column.size(), channel);
    if (striped.base >= 0 && offset != striped.base)
      return op.emitError("internal: embedding pieces at different offsets");
    striped.base = offset;
  }
  // The row of the token's id, or of the position (r6) for learned
  // positions (an embedding of the splat position).
  unsigned index = kPosition;
  if (!op.getIds().getDefiningOp<tensor::SplatOp>()) {
    loadTokenId();
    index = kTokenId;
  }
  unsigned row = program.scratch();
  aluImm(Opcode::Muli, row, index, striped.stripe);
  alu(Opcode::Add, row, row, kWeights);
  aluImm(Opcode::Addi, row, row, striped.base);
  FailureOr<Home> out = define(op.getResult(), striped.channels * striped.stripe);
  if (failed(out))
    return failure();
  dma(Opcode::Load, Buffer::Act, out->offset, row, striped.firstChannel,
      striped.channels, 0, striped.channels, striped.stripe, 0,
      striped.stripe);
  return success();
}

void Codegen::loadTokenId() {
  // The id of token r10 of the call: int32 number r10 of the io region's
  // ids, read through the 64-byte line that holds it.
  int64_t staging = stage(kAlign);
  unsigned line = program.scratch(), within = program.scratch();
  aluImm(Opcode::Slli, within, kToken, 2);
  aluImm(Opcode::Andi, line, within, ~(kAlign - 1));
  alu(Opcode::Add, line, line, kIo);
  aluImm(Opcode::Andi, within, within, kAlign - 1);
  dma(Opcode::Load, Buffer::Scr, staging, line, 0, 1, 0, 1, kAlign, 0, 0);
  isa::Instruction lds = make(Opcode::Lds);
  lds.set("rd", kTokenId);
  lds.set("rs1", within);
  lds.set("buf", static_cast<int64_t>(Buffer::Scr));
  lds.set("imm", staging);
  program.emit(lds);
}

LogicalResult Codegen::lowerNorm(Operation *op, Value input, Value weight,
                                 Value bias, float epsilon, bool centered) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t hidden = type.getDimSize(type.getRank() - 1);
  int64_t rows = type.getNumElements() / hidden;
  FailureOr<Home> in = homeOf(input);
  FailureOr<int64_t> gamma = loadParam(op, weight);
  if (failed(in) || failed(gamma))
    return failure();
  FailureOr<int64_t> beta = bias ? loadParam(op, bias) : FailureOr<int64_t>(0);
  if (failed(beta))
    return failure();
  FailureOr<Home> out = define(op->getResult(0), in->bytes);
  if (failed(out))
    return failure();
  isa::Instruction i = make(centered ? Opcode::Vlnorm : Opcode::Vrmsnorm);
  i.set("dbuf", static_cast<int64_t>(Buffer::Act));
  i.set("rd", program.constant(out->offset));
  i.set("abuf", static_cast<int64_t>(Buffer::Act));
  i.set("ra", program.constant(in->offset));
  i.set("bbuf", static_cast<int64_t>(Buffer::Prm));
  i.set("rb", program.constant(*gamma));
  i.set("nimm", hidden);
  i.set("mimm", rows);
  uint32_t bits;
  std::memcpy(&bits, &epsilon, 4);
  i.set("eps", bits);
  if (bias) {
    i.set("beta", 1);
    i.set("cbuf", static_cast<int64_t>(Buffer::Prm));
    i.set("rc", program.constant(*beta));
  }
  program.emit(i);
  return success();
}

/// The mcfg encoding of a linear's weight format.
struct WeightFormat {
  int64_t fmt = 2, bits = 32, group = 0, n = 0, m = 0;
};

FailureOr<WeightFormat> weightFormat(LinearOp op) {
  WeightFormat f;
  Type element = op.getWeight().getType().getElementType();
  if (QuantAttr quant = op.getWeightQuantAttr()) {
    f.fmt = quant.getSymmetric() ? 1 : 0;
    f.bits = quant.getBits();
    f.group = quant.isPerChannel() ? 0 : quant.getGroupSize();
  } else if (element.isF32()) {
    f.fmt = 2, f.bits = 32;
  } else if (element.isF16()) {
    f.fmt = 3, f.bits = 16;
  } else if (element.isBF16()) {
    f.fmt = 4, f.bits = 16;
  } else {
    return op.emitError("the matrix unit cannot read a ") << element
                                                          << " weight";
  }
  if (SparsityAttr sparsity = op.getSparsityAttr();
      sparsity && sparsity.getN() < sparsity.getM())
    f.n = sparsity.getN(), f.m = sparsity.getM();
  return f;
}

int64_t imageField(DictionaryAttr image, StringRef name) {
  auto attr = image ? image.getAs<IntegerAttr>(name) : IntegerAttr();
  return attr ? attr.getInt() : -1;
}

LogicalResult Codegen::lowerLinear(LinearOp op, int64_t epilogue) {
  auto image = op->getAttrOfType<DictionaryAttr>("accel.image");
  if (!image)
    return op.emitError("the weight is not in the weight image: run "
                        "accel-pack before lowering to the engine");
  FailureOr<WeightFormat> format = weightFormat(op);
  FailureOr<Home> in = homeOf(op.getInput());
  if (failed(format) || failed(in))
    return failure();
  int64_t rowsOut = op.getOutFeatures(), k = op.getInFeatures();
  int64_t tiles = imageField(image, "tiles"),
          tileBytes = imageField(image, "tile_bytes"),
          rowsPerTile = imageField(image, "rows_per_tile"),
          imageAt = imageField(image, "offset");
  if (rowsPerTile <= 0)
    rowsPerTile = rowsOut;

  // Placement: tile t on channel (c0 + t) mod 32 at base + (t div 32) · stride.
  TiledMatrix matrix;
  matrix.firstChannel = nextChannel++ % kChannels;
  matrix.tiles = tiles;
  matrix.tileBytes = tileBytes;
  matrix.base = weights.reserveAll(((tiles + kChannels - 1) / kChannels) *
                                   tileBytes);
  matrix.imageOffset = imageAt;
  matrix.bytes = imageField(image, "bytes");
  model.matrices.push_back(matrix);

  // Activations: int8 + per-group scales unless the weight takes fp32.
  QuantAttr actQuant = op.getActQuantAttr();
  bool floatActivations = !actQuant;
  Home x = *in, scales{Buffer::Act, 0, 0};
  std::optional<Home> quantized;
  int64_t actGroup = 0;
  // The q, k and v projections (and gate and up) quantize one input alike:
  // once is enough while the input lives.
  auto reuse = quantizedInputs.find(op.getInput());
  if (actQuant && format->fmt < 2 && reuse != quantizedInputs.end() &&
      reuse->second.quant == actQuant) {
    x = reuse->second.values;
    scales = reuse->second.scales;
    actGroup = actQuant.isPerChannel() ? 0 : actQuant.getGroupSize();
    actQuant = nullptr;
    floatActivations = false;
  }
  if (actQuant) {
    actGroup = actQuant.isPerChannel() ? 0 : actQuant.getGroupSize();
    int64_t groups = actGroup ? k / actGroup : 1;
    FailureOr<Home> q = act.allocate(op, k);
    if (failed(q))
      return failure();
    FailureOr<Home> s = act.allocate(op, groups * 4);
    if (failed(s))
      return failure();
    quantized = *q, scales = *s;
    bool fake = format->fmt >= 2; // a float weight with act_quant
    if (fake) {
      act.release(*q);
      FailureOr<Home> f = act.allocate(op, k * 4);
      if (failed(f))
        return failure();
      quantized = *f;
      floatActivations = true;
    }
    isa::Instruction i = make(Opcode::Vqact);
    i.set("dbuf", static_cast<int64_t>(Buffer::Act));
    i.set("rd", program.constant(quantized->offset));
    i.set("abuf", static_cast<int64_t>(Buffer::Act));
    i.set("ra", program.constant(in->offset));
    i.set("bbuf", static_cast<int64_t>(Buffer::Act));
    i.set("rb", program.constant(scales.offset));
    i.set("nimm", k);
    i.set("mimm", 1);
    i.set("ga", actGroup);
    i.set("bits", actQuant.getBits());
    i.set("fake", fake ? 1 : 0);
    program.emit(i);
    x = *quantized;
    if (fake)
      actGroup = 0;
    else
      quantizedInputs[op.getInput()] = {op.getActQuantAttr(), *quantized,
                                        scales};
  }

  int64_t bias = 0;
  if (Value b = op.getBias()) {
    FailureOr<int64_t> at = loadParam(op, b);
    if (failed(at))
      return failure();
    bias = *at;
  }
  FailureOr<Home> out = define(op.getResult(), rowsOut * 4);
  if (failed(out))
    return failure();

  isa::Instruction cfg = make(Opcode::Mcfg);
  cfg.set("k", k);
  cfg.set("g", format->group);
  cfg.set("ga", floatActivations ? 0 : actGroup);
  cfg.set("r", rowsPerTile);
  cfg.set("fmt", format->fmt);
  cfg.set("bits", format->bits);
  cfg.set("n", format->n);
  cfg.set("m", format->m);
  cfg.set("afp", floatActivations ? 1 : 0);
  program.emit(cfg);

  // Groups of G tiles (a power of two, G · stride within half the weight
  // buffer) alternate between the buffer's halves.
  int64_t half = config.buffers[space(Buffer::Wgt)].bytes / 2;
  int64_t group = kChannels;
  while (group > 1 && group * tileBytes > half)
    group /= 2;
  if (tileBytes > half)
    return op.emitError("a weight tile of ")
           << tileBytes << " bytes exceeds half the weight buffer; pack with "
           << "fewer rows per tile";
  for (int64_t first = 0; first < tiles; first += group) {
    int64_t count = std::min(group, tiles - first);
    int64_t at = wgtHalf * half;
    wgtHalf ^= 1;
    unsigned hbm = program.scratch();
    aluImm(Opcode::Addi, hbm, kWeights,
           matrix.base + first / kChannels * tileBytes);
    dma(Opcode::Load, Buffer::Wgt, at, hbm,
        matrix.firstChannel + first, group, 0, count, tileBytes, 0, tileBytes);
    int64_t firstRow = first * rowsPerTile;
    int64_t rows = std::min(count * rowsPerTile, rowsOut - firstRow);
    isa::Instruction mv = make(Opcode::Mv);
    mv.set("dbuf", static_cast<int64_t>(Buffer::Act));
    mv.set("rd", program.constant(out->offset + firstRow * 4));
    mv.set("abuf", static_cast<int64_t>(Buffer::Act));
    mv.set("ra", program.constant(x.offset));
    mv.set("sbuf", static_cast<int64_t>(Buffer::Act));
    mv.set("rs", program.constant(scales.offset));
    mv.set("wbuf", static_cast<int64_t>(Buffer::Wgt));
    mv.set("rw", program.constant(at));
    mv.set("rows", rows);
    mv.set("ep", epilogue);
    if (scales.bytes)
    if (op.getBias()) {
      mv.set("bias", 1);
      mv.set("bbuf", static_cast<int64_t>(Buffer::Prm));
      mv.set("rb", program.constant(bias + firstRow * 4));
    }
    program.emit(mv);
  }
  if (quantized && floatActivations)
    act.release(*quantized);
  return success();
}

LogicalResult Codegen::lowerRope(RopeOp op) {
  FailureOr<Home> in = homeOf(op.getInput());
  if (failed(in))
    return failure();
  int64_t rotary = op.getCos().getType().getDimSize(1);
  int64_t rowStride = alignTo(rotary * 4, kAlign);
  int64_t rows[2];
  Value tables[2] = {op.getCos(), op.getSin()};
  for (int index = 0; index < 2; ++index) {
    Value table = tables[index];
    auto slice = table.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getType().getDimSize(0) != 1)
      return op.emitError("the decode step's RoPE must read one row of a "
                          "table at the position (run accel-lambda-attention)");
    Value source = slice.getSource();
    if (!paramOffsets.count(source)) {
      FailureOr<std::vector<float>> values = constantFloats(op, source);
      if (failed(values))
        return failure();
      int64_t positions = values->size() / rotary;
      std::vector<float> padded(positions * rowStride / 4, 0.0f);
      for (int64_t p = 0; p < positions; ++p)
        std::copy_n(values->data() + p * rotary, rotary,
                    padded.data() + p * rowStride / 4);
      int64_t channel = nextChannel++ % kChannels;
      paramOffsets[source] =
          placeParams(padded.data(), padded.size() * 4, channel);
      paramChannels[source] = channel;
    }
    int64_t prmSize = config.buffers[space(Buffer::Prm)].bytes;
    if (prmNext + rowStride > prmSize)
      prmNext = 0;
    rows[index] = prmNext;
    prmNext += rowStride;
    unsigned hbm = program.scratch();
    aluImm(Opcode::Muli, hbm, kPosition, rowStride);
    alu(Opcode::Add, hbm, hbm, kWeights);
    aluImm(Opcode::Addi, hbm, hbm, paramOffsets[source]);
    dma(Opcode::Load, Buffer::Prm, rows[index], hbm, paramChannels[source], 1,
        0, 1, rowStride, 0, 0);
  }
  FailureOr<Home> out = define(op.getResult(), in->bytes);
  if (failed(out))
    return failure();
  int64_t heads = op.getNumHeads();
  int64_t headDim = op.getInput().getType().getDimSize(2) / heads;
  isa::Instruction i = make(Opcode::Vrope);
  i.set("dbuf", static_cast<int64_t>(Buffer::Act));
  i.set("rd", program.constant(out->offset));
  i.set("abuf", static_cast<int64_t>(Buffer::Act));
  i.set("ra", program.constant(in->offset));
  i.set("bbuf", static_cast<int64_t>(Buffer::Prm));
  i.set("rb", program.constant(rows[0]));
  i.set("cbuf", static_cast<int64_t>(Buffer::Prm));
  i.set("rc", program.constant(rows[1]));
  i.set("mimm", 1);
  i.set("rp", 0);
  i.set("hd", headDim);
  i.set("rot", rotary);
  i.set("heads", heads);
  i.set("style", op.getStyle() == RopeStyle::RotateHalf ? 0 : 1);
  program.emit(i);
  return success();
}

FailureOr<CacheLayout *> Codegen::cacheOf(Value cache, Operation *user) {
  auto found = caches.find(cache);
  if (found != caches.end())
    return &found->second;
  // The decode step's cache_attention reading this cache says its format.
  CacheAttentionOp attention;
  for (Operation *u : cache.getUsers())
    if (auto a = dyn_cast<CacheAttentionOp>(u))
      attention = a;
  if (!attention)
    return user->emitError("a KV cache that no accel.cache_attention reads");
  if (attention.getRopeCos())
    return attention.emitError(
        "the engine lowering does not implement RoPE by cache rank "
        "(rope-positions=cache) yet; compile with rope-positions=absolute");
  CacheLayout c;
  c.kvHeads = attention.getNumKvHeads();
  c.headDim = attention.getHeadDim();
  c.slots = attention.getKeyCache().getType().getDimSize(1);
  if (QuantAttr kv = attention.getKvQuantAttr()) {
    c.format = kv.getSymmetric() ? 1 : 0;
    c.bits = kv.getBits();
    c.group = kv.getEffectiveGroupSize(c.headDim);
  } else {
    c.group = c.headDim;
  }
  if (LambdaAttr lambda = attention.getLambdaAttr())
    c.sink = lambda.getSink(), c.window = lambda.getWindow();
  c.record = kvRecordBytes(c.kvHeads, c.headDim, c.format, c.bits, c.group);
  for (auto [rows, keyOrValue] :
       {std::pair<StripedRows *, Value>{&c.keys, attention.getKeyCache()},
        {&c.values, attention.getValueCache()}}) {
    *rows = stripeRows(c.slots, c.record);
    rows->firstChannel = nextChannel;
    nextChannel += rows->channels;
    rows->base = kv.reserveAll(c.slots * rows->stripe);
    (void)keyOrValue;
  }
  caches[attention.getKeyCache()] = c;
  caches[attention.getValueCache()] = c;
  return &caches[cache];
}

LogicalResult Codegen::lowerCacheWrite(KVCacheWriteOp op) {
  FailureOr<CacheLayout *> layout = cacheOf(op.getResult(), op);
  FailureOr<Home> in = homeOf(op.getRows());
  if (failed(layout) || failed(in))
    return failure();
  CacheLayout &c = **layout;
  bool isKey = false;
  for (Operation *u : op.getResult().getUsers())
    if (auto a = dyn_cast<CacheAttentionOp>(u))
      isKey = a.getKeyCache() == op.getResult();
  const StripedRows &rows = isKey ? c.keys : c.values;
  // The slot of the position: p < S ? p : S + (p - S) mod W (branch-free:
  // slot = p + (p >= S) · (S + (p - S) mod W - p)).
  unsigned slot = program.scratch();
  if (c.window > 0) {
    unsigned t = program.scratch(), ring = program.scratch();
    aluImm(Opcode::Addi, ring, kPosition, -c.sink);
    aluImm(Opcode::Remui, ring, ring, c.window);
    aluImm(Opcode::Addi, ring, ring, c.sink);
    alu(Opcode::Sub, ring, ring, kPosition);
    aluImm(Opcode::Sltiu, t, kPosition, c.sink);
    aluImm(Opcode::Xori, t, t, 1);
    alu(Opcode::Mul, ring, ring, t);
    alu(Opcode::Add, slot, kPosition, ring);
  } else {
    aluImm(Opcode::Addi, slot, kPosition, 0);
  }
  int64_t staging = stage(c.record);
  setAttention(c);
  isa::Instruction q = make(Opcode::Vkvq);
  q.set("dbuf", static_cast<int64_t>(Buffer::Scr));
  q.set("rd", program.constant(staging));
  q.set("abuf", static_cast<int64_t>(Buffer::Act));
  q.set("ra", program.constant(in->offset));
  q.set("mimm", 1);
  program.emit(q);
  unsigned hbm = program.scratch();
  aluImm(Opcode::Muli, hbm, slot, rows.stripe);
  alu(Opcode::Add, hbm, hbm, kKv);
  aluImm(Opcode::Addi, hbm, hbm, rows.base);
  dma(Opcode::Store, Buffer::Scr, staging, hbm, rows.firstChannel,
      rows.channels, 0, rows.channels, rows.stripe, 0, rows.stripe);
  return success();
}

int64_t Codegen::stage(int64_t bytes) {
  int64_t area = config.buffers[space(Buffer::Scr)].bytes / 4;
  bytes = alignTo(bytes, kAlign);
  if (scrNext + bytes > area)
    scrNext = 0;
  int64_t at = scrNext;
  scrNext += bytes;
  return at;
}

void Codegen::setAttention(const CacheLayout &c) {
  auto state = std::make_tuple(c.headDim, c.kvHeads, c.group, c.format,
                               c.bits, c.sink, c.window);
  if (attentionState == state)
    return;
  attentionState = state;
  isa::Instruction i = make(Opcode::Vaset);
  i.set("hd", c.headDim);
  i.set("kvh", c.kvHeads);
  i.set("kvg", c.format == 2 ? 0 : c.group);
  i.set("kvfmt", c.format);
  i.set("kvbits", c.format == 2 ? 0 : c.bits);
  i.set("sink", c.sink);
  i.set("window", c.window);
  i.set("causal", 1);
  program.emit(i);
}

LogicalResult Codegen::lowerAttention(CacheAttentionOp op) {
  FailureOr<CacheLayout *> layout = cacheOf(op.getKeyCache(), op);
  FailureOr<Home> q = homeOf(op.getQuery());
  if (failed(layout) || failed(q))
    return failure();
  CacheLayout &c = **layout;
  setAttention(c);
  int64_t loaded = c.window > 0 ? c.sink + c.window : c.slots;
  int64_t kvBytes = config.buffers[space(Buffer::Kv)].bytes;
  int64_t keysAt = 0, valuesAt = alignTo(loaded * c.record, kAlign);
  if (2 * valuesAt > kvBytes)
    return op.emitError("the ")
           << loaded << " KV records a query reads (" << c.record
           << " bytes each, keys and values) do not fit the kv buffer ("
           << kvBytes << " bytes)";

  // The keys the query sees, in ascending position: the sinks from slot 0,
  // then the window from its ring slot to the ring's end (A) and on from the
  // ring's start (B).
  // These live across the loads below, which use many scratch registers.
  unsigned next = program.scratch(), sinks = kSinks, count = kCount,
           windowCount = kWindowCount, ringStart = kRingStart,
           countA = kCountA, first = program.scratch();
  aluImm(Opcode::Addi, next, kPosition, 1);
  if (c.window > 0) {
    aluImm(Opcode::Minui, sinks, next, c.sink);
    aluImm(Opcode::Addi, first, next, -c.window);
    aluImm(Opcode::Maxi, first, first, c.sink);
    alu(Opcode::Sub, windowCount, next, first);
    aluImm(Opcode::Maxi, windowCount, windowCount, 0);
    aluImm(Opcode::Addi, ringStart, first, -c.sink);
    aluImm(Opcode::Remui, ringStart, ringStart, c.window);
    aluImm(Opcode::Addi, ringStart, ringStart, c.sink);
    aluImm(Opcode::Addi, countA, ringStart, -(c.sink + c.window));
    alu(Opcode::Sub, countA, 0, countA);
    alu(Opcode::Minu, countA, countA, windowCount);
    alu(Opcode::Add, count, sinks, windowCount);
  } else {
    aluImm(Opcode::Addi, sinks, next, 0);
    aluImm(Opcode::Addi, count, next, 0);
  }
  for (auto [rows, base] :
       {std::pair<const StripedRows *, int64_t>{&c.keys, keysAt},
        {&c.values, valuesAt}}) {
    auto loadRun = [&](unsigned records, unsigned slotReg, int64_t slotImm,
                       unsigned recordsBefore) {
      unsigned pieces = program.scratch(), hbm = program.scratch(),
               dst = program.scratch();
      aluImm(Opcode::Muli, pieces, records, rows->channels);
      aluImm(Opcode::Muli, hbm, slotReg, rows->stripe);
      alu(Opcode::Add, hbm, hbm, kKv);
      aluImm(Opcode::Addi, hbm, hbm, rows->base + slotImm * rows->stripe);
      aluImm(Opcode::Muli, dst, recordsBefore, c.record);
      dma(Opcode::Load, Buffer::Kv, base, hbm, rows->firstChannel,
          rows->channels, pieces, 0, rows->stripe, rows->stripe, rows->stripe, dst);
    };
    loadRun(sinks, 0, 0, 0);
    if (c.window > 0) {
      loadRun(countA, ringStart, 0, sinks);
      unsigned countB = program.scratch(), before = program.scratch();
      alu(Opcode::Sub, countB, windowCount, countA);
      alu(Opcode::Add, before, sinks, countA);
      loadRun(countB, 0, c.sink, before);
    }
  }

  int64_t heads = op.getNumHeads(), perKv = heads / c.kvHeads;
  int64_t scoresAt = config.buffers[space(Buffer::Scr)].bytes / 2;
  int64_t probsAt = scoresAt + alignTo(loaded * 4, kAlign);
  FailureOr<Home> out = define(op.getResult(), heads * c.headDim * 4);
  if (failed(out))
    return failure();
  float scale = op.getEffectiveScale();
  uint32_t scaleBits;
  std::memcpy(&scaleBits, &scale, 4);
  for (int64_t h = 0; h < heads; ++h) {
    int64_t qAt = q->offset + h * c.headDim * 4;
    int64_t oAt = out->offset + h * c.headDim * 4;
    isa::Instruction qk = make(Opcode::Vqk);
    qk.set("dbuf", static_cast<int64_t>(Buffer::Scr));
    qk.set("rd", program.constant(scoresAt));
    qk.set("abuf", static_cast<int64_t>(Buffer::Act));
    qk.set("ra", program.constant(qAt));
    qk.set("bbuf", static_cast<int64_t>(Buffer::Kv));
    qk.set("rb", program.constant(keysAt));
    qk.set("rn", count);
    qk.set("himm", h / perKv);
    qk.set("scale", scaleBits);
    program.emit(qk);
    isa::Instruction sm = make(Opcode::Vsoftmax);
    sm.set("dbuf", static_cast<int64_t>(Buffer::Scr));
    sm.set("rd", program.constant(probsAt));
    sm.set("abuf", static_cast<int64_t>(Buffer::Scr));
    sm.set("ra", program.constant(scoresAt));
    sm.set("rn", count);
    program.emit(sm);
    isa::Instruction pv = make(Opcode::Vpv);
    pv.set("dbuf", static_cast<int64_t>(Buffer::Act));
    pv.set("rd", program.constant(oAt));
    pv.set("abuf", static_cast<int64_t>(Buffer::Scr));
    pv.set("ra", program.constant(probsAt));
    pv.set("bbuf", static_cast<int64_t>(Buffer::Kv));
    pv.set("rb", program.constant(valuesAt));
    pv.set("rn", count);
    pv.set("himm", h / perKv);
    program.emit(pv);
  }
  return success();
}

/// The vector instruction of an element-wise accel/arith operation.
std::optional<Opcode> unaryOpcode(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::SiLU:
    return Opcode::Vsilu;
  case ActivationKind::GeluErf:
    return Opcode::Vgelue;
  case ActivationKind::GeluTanh:
    return Opcode::Vgelut;
  case ActivationKind::ReLU:
    return Opcode::Vrelu;
  }
  return std::nullopt;
}

int64_t epilogueOf(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::ReLU:
    return 1;
  case ActivationKind::SiLU:
    return 2;
  case ActivationKind::GeluTanh:
    return 3;
  case ActivationKind::GeluErf:
    return 4;
  }
  return 0;
}

/// Emits `d = a op b` (or `d = op(a)` when `b` is null) over `n` fp32 of act.
static void elementwise(ProgramBuilder &program, Opcode opcode,
                        const Home &d, const Home &a, const Home *b,
                        int64_t n) {
  isa::Instruction i = isa::Instruction::create(opcode);
  i.set("dbuf", static_cast<int64_t>(Buffer::Act));
  i.set("rd", program.constant(d.offset));
  i.set("abuf", static_cast<int64_t>(Buffer::Act));
  i.set("ra", program.constant(a.offset));
  if (b) {
    i.set("bbuf", static_cast<int64_t>(Buffer::Act));
    i.set("rb", program.constant(b->offset));
  }
  i.set("nimm", n);
  program.emit(i);
}

LogicalResult Codegen::lowerActivation(ActivationOp op) {
  FailureOr<Home> in = homeOf(op.getInput());
  if (failed(in))
    return failure();
  int64_t n = op.getInput().getType().getNumElements();
  auto producer = op.getInput().getDefiningOp<LinearOp>();
  bool fused = producer && epilogues.count(producer);
  Home activated = *in;
  if (!fused) {
    std::optional<Opcode> opcode = unaryOpcode(op.getKind());
    FailureOr<Home> tmp =
        op.getUp() ? act.allocate(op, n * 4) : define(op.getResult(), n * 4);
    if (failed(tmp) || !opcode)
      return failure();
    elementwise(program, *opcode, *tmp, *in, nullptr, n);
    activated = *tmp;
  }
  if (!op.getUp()) {
    homes[op.getResult()] = activated;
    if (fused)
      homes.erase(op.getInput()), lastUse.erase(op.getInput());
    return success();
  }
  FailureOr<Home> up = homeOf(op.getUp());
  if (failed(up))
    return failure();
  FailureOr<Home> out = define(op.getResult(), n * 4);
  if (failed(out))
    return failure();
  elementwise(program, Opcode::Vmul, *out, activated, &*up, n);
  if (!fused)
    act.release(activated);
  return success();
}

LogicalResult Codegen::lowerArith(Operation *op) {
  std::optional<Opcode> opcode =
      llvm::TypeSwitch<Operation *, std::optional<Opcode>>(op)
          .Case([](arith::AddFOp) { return Opcode::Vadd; })
          .Case([](arith::SubFOp) { return Opcode::Vsub; })
          .Case([](arith::MulFOp) { return Opcode::Vmul; })
          .Case([](arith::DivFOp) { return Opcode::Vdiv; })
          .Default([](Operation *) { return std::nullopt; });
  if (!opcode)
    return op->emitError("the engine lowering does not handle '")
           << op->getName() << "'";
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || op->getOperand(0).getType() != type ||
      op->getOperand(1).getType() != type)
    return op->emitError("element-wise operands of one shape are needed");
  FailureOr<Home> a = homeOf(op->getOperand(0)), b = homeOf(op->getOperand(1));
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Home> d = define(op->getResult(0), type.getNumElements() * 4);
  if (failed(d))
    return failure();
  elementwise(program, *opcode, *d, *a, &*b, type.getNumElements());
  return success();
}

LogicalResult Codegen::lowerReturn(func::ReturnOp op) {
  if (op.getNumOperands() == 0)
    return op.emitError("the decode step returns no logits");
  Value logits = op.getOperand(0);
  FailureOr<Home> home = homeOf(logits);
  if (failed(home))
    return failure();
  auto type = cast<RankedTensorType>(logits.getType());
  int64_t vocab = type.getDimSize(type.getRank() - 1);
  model.vocab = vocab;
  model.idsOffset = 0;
  model.logitsOffset = alignTo(model.maxTokens * 4, kAlign);
  model.tokenOffset = model.logitsOffset + alignTo(vocab * 4, kAlign);
  model.ioBytes = model.tokenOffset + kAlign;
  int64_t bytes = alignTo(vocab * 4, kAlign);
  dma(Opcode::Store, Buffer::Act, home->offset, kIo, 0, 1, 0, 1, bytes, 0, 0);
  program.getCode().back().instruction.set("himm", model.logitsOffset);
  int64_t token = stage(kAlign);
  isa::Instruction argmax = make(Opcode::Vargmax);
  argmax.set("dbuf", static_cast<int64_t>(Buffer::Scr));
  argmax.set("rd", program.constant(token));
  argmax.set("abuf", static_cast<int64_t>(Buffer::Act));
  argmax.set("ra", program.constant(home->offset));
  argmax.set("nimm", vocab);
  program.emit(argmax);
  dma(Opcode::Store, Buffer::Scr, token, kIo, 0, 1, 0, 1, kAlign, 0, 0);
  program.getCode().back().instruction.set("himm", model.tokenOffset);
  // Iterations of the step are ordered as a whole (its tokens pair within
  // one run of it).
  program.emit(make(Opcode::Barrier));
  isa::Instruction ret = make(Opcode::Jr);
  ret.set("rs1", kLink);
  program.emit(ret);
  return success();
}

FailureOr<LoweredModel> Codegen::run(int64_t maxPrompt) {
  model.maxTokens = maxPrompt;
  Block &body = decode.getBody().front();
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
  // A linear whose only user applies an activation to it (alone, or as the
  // gate of a gated one) computes the activation in its epilogue.
  for (Operation &op : body)
    if (auto activation = dyn_cast<ActivationOp>(op))
      if (auto linear = activation.getInput().getDefiningOp<LinearOp>();
          linear && linear->hasOneUse())
        epilogues[linear] = epilogueOf(activation.getKind());

  // The entry points (docs/ISA.md §7): decode runs the step for the one
  // token of the call; prefill runs it for each of the r5 prompt tokens at
  // positions r6, r6 + 1, ... (matrix-vector mode, token by token: the same
  // arithmetic as a whole-prompt prefill, NUMERICS being row-wise).
  auto jump = [&](Opcode opcode, StringRef target, unsigned rd = 0) {
    isa::Instruction i = make(opcode);
    if (opcode == Opcode::Jal)
      i.set("rd", rd);
    program.emit(i, target);
  };
  program.entry("decode");
  aluImm(Opcode::Addi, kToken, 0, 0);
  jump(Opcode::Jal, "step", kLink);
  program.emit(make(Opcode::Halt));
  program.entry("prefill");
  aluImm(Opcode::Addi, kToken, 0, 0);
  program.label("next_token");
  isa::Instruction done = make(Opcode::Bgeu);
  done.set("rs1", kToken);
  done.set("rs2", 5);
  program.emit(done, "prompt_done");
  jump(Opcode::Jal, "step", kLink);
  aluImm(Opcode::Addi, kToken, kToken, 1);
  aluImm(Opcode::Addi, kPosition, kPosition, 1);
  jump(Opcode::Jmp, "next_token");
  program.label("prompt_done");
  program.emit(make(Opcode::Halt));
  program.label("step");
  for (Operation &op : body) {
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case<arith::ConstantOp, tensor::ExtractSliceOp, tensor::SplatOp,
                  arith::TruncIOp>(
                [](Operation *) { return success(); })
            .Case([&](tensor::ExtractOp extract) -> LogicalResult {
              auto arg = dyn_cast<BlockArgument>(extract.getTensor());
              auto name = arg ? decode.getArgAttrOfType<StringAttr>(
                                    arg.getArgNumber(), "onnx.name")
                              : StringAttr();
              if (!name || name.getValue() != "position")
                return extract.emitError(
                    "the decode step reads only its position as a scalar");
              return success();
            })
            .Case([](arith::IndexCastOp) { return success(); })
            .Case([&](EmbeddingOp e) { return lowerEmbedding(e); })
            .Case([&](RMSNormOp n) {
              return lowerNorm(n, n.getInput(), n.getWeight(), Value(),
                               n.getEpsilon().convertToFloat(), false);
            })
            .Case([&](LayerNormOp n) {
              return lowerNorm(n, n.getInput(), n.getWeight(), n.getBias(),
                               n.getEpsilon().convertToFloat(), true);
            })
            .Case([&](LinearOp l) {
              auto it = epilogues.find(l);
              return lowerLinear(l, it == epilogues.end() ? 0 : it->second);
            })
            .Case([&](RopeOp r) { return lowerRope(r); })
            .Case([&](KVCacheWriteOp w) { return lowerCacheWrite(w); })
            .Case([&](CacheAttentionOp a) { return lowerAttention(a); })
            .Case([&](ActivationOp a) { return lowerActivation(a); })
            .Case([&](func::ReturnOp r) { return lowerReturn(r); })
            .Default([&](Operation *other) { return lowerArith(other); });
    if (failed(result))
      return failure();
    freeDead(&op);
  }
  model.code = std::move(program.getCode());
  model.weightsBytes = weights.perChannelBytes();
  model.kvBytes = kv.perChannelBytes();
  return std::move(model);
}

} // namespace

FailureOr<LoweredModel>
accel::lowering::lowerDecode(func::FuncOp decode, const hw::Config &config,
                             int64_t maxPrompt) {
  Codegen codegen(decode, config);
  return codegen.run(maxPrompt);
}
