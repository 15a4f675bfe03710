//===- CodegenOps.cpp - the token-wise ops of the step --------------------===//
//
// Embedding, normalisation, linear layers (weight tiles streamed through the
// weight buffer's ring, `mv` for one row, `mm` for a tile),
// RoPE, element-wise ops and the step's outputs. Every op works on the
// step's `rows` (r11) tokens, one row each in its on-chip home.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

namespace {

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

/// The epilogue code of `mv`/`mm` for an activation.
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

/// The vector instruction of an activation.
Opcode unaryOpcode(ActivationKind kind) {
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
  return Opcode::Vrelu;
}

} // namespace

std::optional<uint32_t> accel::lowering::detail::splatBits(Value value) {
  DenseFPElementsAttr splat;
  if (!matchPattern(value, m_Constant(&splat)) || !splat.isSplat() ||
      !splat.getElementType().isF32())
    return std::nullopt;
  return static_cast<uint32_t>(
      splat.getSplatValue<APFloat>().bitcastToAPInt().getZExtValue());
}

LogicalResult Codegen::lowerEmbedding(EmbeddingOp op) {
  auto type = op.getTable().getType();
  int64_t rows = type.getDimSize(0), hidden = type.getDimSize(1);
  StripedRows &striped = shared.tables[op.getTable().getDefiningOp()];
  if (striped.rows == 0) {
    FailureOr<HbmAttr> at = placementOf(op, op.getTable().getDefiningOp());
    if (failed(at))
      return failure();
    striped = stripedRows(*at, rows);
    if (striped.rowBytes != alignTo(hidden * 4, kAlign))
      return op.emitError("the HBM placement ")
             << *at << " does not stripe rows of " << hidden * 4 << " bytes";
    // Row r's piece i goes to channel firstChannel + i at base + r · stripe,
    // converted to f32 a row at a time straight into the parameter blob.
    SmallVector<int64_t> columns;
    for (int64_t i = 0; i < striped.channels; ++i)
      columns.push_back(reserveParams(striped.rows * striped.stripe,
                                      striped.channelOf(i, hbmChannels()),
                                      striped.base));
    if (failed(forEachConstantRow(
            op, op.getTable(), [&](int64_t r, ArrayRef<float> values) {
              auto *bytes = reinterpret_cast<const uint8_t *>(values.data());
              for (auto [i, column] : llvm::enumerate(columns)) {
                auto [from, to] = striped.piece(i, hidden * 4);
                if (from < to)
                  std::memcpy(shared.model.params.data() + column +
                                  r * striped.stripe,
                              bytes + from, to - from);
              }
            })))
      return failure();
  }
  if (tile > 1 && striped.channels * striped.stripe != hidden * 4)
    return op.emitError("the prefill step needs embedding rows of whole "
                        "64-byte units; the hidden size ")
           << hidden << " is not a multiple of 16";
  FailureOr<Home> out =
      define(op.getResult(), striped.channels * striped.stripe);
  if (failed(out))
    return failure();
  bool positions = bool(op.getIds().getDefiningOp<tensor::SplatOp>());
  // Row t of the tile: the embedding of token r10 + t's id (read from io),
  // or of position r6 + t (learned positions); rows past r11 load nothing.
  for (int64_t t = 0; t < tile; ++t) {
    unsigned index = kTokenId;
    if (positions) {
      index = program.scratch();
      aluImm(Opcode::Addi, index, kPosition, t);
    } else {
      int64_t staging = stage(kAlign);
      unsigned line = program.scratch(), within = program.scratch();
      aluImm(Opcode::Addi, within, kFirstToken, t);
      aluImm(Opcode::Slli, within, within, 2);
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
    unsigned row = program.scratch(), pieces = program.scratch();
    aluImm(Opcode::Muli, row, index, striped.stripe);
    alu(Opcode::Add, row, row, kWeights);
    aluImm(Opcode::Addi, row, row, striped.base);
    if (tile > 1) {
      aluImm(Opcode::Sltiu, pieces, kRows, t + 1);
      aluImm(Opcode::Xori, pieces, pieces, 1);
      aluImm(Opcode::Muli, pieces, pieces, striped.channels);
    }
    dma(Opcode::Load, Buffer::Act, out->offset + t * out->bytes, row,
        striped.firstChannel, striped.channels, tile > 1 ? pieces : 0,
        tile > 1 ? 0 : striped.channels, striped.stripe, 0, striped.stripe);
  }
  return success();
}

LogicalResult Codegen::lowerNorm(Operation *op, Value input, Value weight,
                                 Value bias, float epsilon, bool centered) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t hidden = type.getDimSize(type.getRank() - 1);
  FailureOr<Home> in = homeOf(input);
  FailureOr<int64_t> gamma = loadParam(op, weight, 0);
  if (failed(in) || failed(gamma))
    return failure();
  FailureOr<int64_t> beta =
      bias ? loadParam(op, bias, 1) : FailureOr<int64_t>(0);
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
  i.set("rm", kRows);
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

LogicalResult Codegen::lowerLinear(LinearOp op) {
  auto image = op->getAttrOfType<DictionaryAttr>("accel.image");
  if (!image)
    return op.emitError("the weight is not in the weight image: run "
                        "accel-pack before lowering to the engine");
  FailureOr<WeightFormat> format = weightFormat(op);
  FailureOr<Home> in = homeOf(op.getInput());
  FailureOr<HomesAttr> slots = homesOf(op);
  auto group = op->getAttrOfType<IntegerAttr>(kLoadTilesAttr);
  if (failed(format) || failed(in) || failed(slots))
    return failure();
  if (!group)
    return op.emitError("no weight load group (accel.load_tiles): run "
                        "accel-tile before accel-lower-to-isa");
  auto epilogueAttr = op->getAttrOfType<EpilogueAttr>(kEpilogueAttr);
  int64_t epilogue = epilogueAttr ? epilogueOf(epilogueAttr.getKind()) : 0;
  int64_t rowsOut = op.getOutFeatures(), k = op.getInFeatures();
  int64_t tiles = imageField(image, "tiles"),
          tileBytes = imageField(image, "tile_bytes"),
          rowsPerTile = imageField(image, "rows_per_tile");
  if (rowsPerTile <= 0)
    rowsPerTile = rowsOut;

  // Placement (accel-place-hbm): tile t on channel (c0 + t) mod C at
  // base + (t div C) · stride.
  int64_t hbm = hbmChannels();
  TiledMatrix &matrix = shared.matrices[op];
  if (matrix.tiles == 0) {
    FailureOr<HbmAttr> at = placementOf(op, op);
    if (failed(at))
      return failure();
    if (at->getChannels() != hbm || at->getStride() != tileBytes)
      return op.emitError("the HBM placement ")
             << *at << " does not rotate the image's tiles of " << tileBytes
             << " bytes over the " << hbm << " channels";
    matrix.firstChannel = at->getChannel();
    matrix.base = at->getOffset();
    matrix.tiles = tiles;
    matrix.tileBytes = tileBytes;
    matrix.imageOffset = imageField(image, "offset");
    matrix.bytes = imageField(image, "bytes");
  }

  // Activations: int8 and per-group scales unless the weight takes fp32;
  // an int8 form accel-fuse shares (accel.quantized) is made once, by the
  // first linear reading it.
  QuantAttr actQuant = op.getActQuantAttr();
  bool floatActivations = !actQuant;
  Home x = *in, scales{Buffer::Act, 0, 0};
  int64_t actGroup = 0;
  Operation *def = op.getInput().getDefiningOp();
  bool shared = actQuant && format->fmt < 2 && def &&
                def->getAttr(kQuantizedAttr) == actQuant;
  auto reuse = shared ? quantizedInputs.find(op.getInput())
                      : quantizedInputs.end();
  if (reuse != quantizedInputs.end()) {
    x = reuse->second.values;
    scales = reuse->second.scales;
    actGroup = actQuant.isPerChannel() ? 0 : actQuant.getGroupSize();
    floatActivations = false;
  } else if (actQuant) {
    actGroup = actQuant.isPerChannel() ? 0 : actQuant.getGroupSize();
    int64_t groups = actGroup ? k / actGroup : 1;
    bool fake = format->fmt >= 2; // a float weight with act_quant
    FailureOr<Home> q = slot(op, slots->getQuantized(), fake ? 4 * k : k);
    FailureOr<Home> s = slot(op, slots->getScales(), groups * 4);
    if (failed(q) || failed(s))
      return failure();
    scales = *s;
    isa::Instruction i = make(Opcode::Vqact);
    i.set("dbuf", static_cast<int64_t>(Buffer::Act));
    i.set("rd", program.constant(q->offset));
    i.set("abuf", static_cast<int64_t>(Buffer::Act));
    i.set("ra", program.constant(in->offset));
    i.set("bbuf", static_cast<int64_t>(Buffer::Act));
    i.set("rb", program.constant(s->offset));
    i.set("nimm", k);
    i.set("rm", kRows);
    i.set("ga", actGroup);
    i.set("bits", actQuant.getBits());
    i.set("fake", fake ? 1 : 0);
    program.emit(i);
    x = *q;
    if (fake) {
      floatActivations = true;
      actGroup = 0;
      scales = Home{Buffer::Act, 0, 0};
    } else {
      floatActivations = false;
      if (shared)
        quantizedInputs[op.getInput()] = {*q, *s};
    }
  }

  int64_t bias = 0;
  if (Value b = op.getBias()) {
    FailureOr<int64_t> at = loadParam(op, b, 0);
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

  // Groups of G tiles (accel-tile's accel.load_tiles: a power of two),
  // each loaded where accel.weight_offsets says in the weight buffer's
  // ring, taking its tiles from up to G of the C channels; a load waits
  // only for the `mv`/`mm` that last read the bytes it overwrites.
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kWeightOffsetsAttr);
  int64_t groups = (tiles + group.getInt() - 1) / group.getInt();
  if (!offsets || int64_t(offsets.size()) != groups)
    return op.emitError("no weight buffer offset for each of its ")
           << groups << " load groups (accel.weight_offsets): run "
           << "accel-tile before accel-lower-to-isa";
  int64_t wgtBytes = config.buffers[space(Buffer::Wgt)].bytes;
  int64_t channels = std::min(group.getInt(), hbm);
  for (int64_t first = 0; first < tiles; first += group.getInt()) {
    int64_t count = std::min(group.getInt(), tiles - first);
    int64_t at = offsets[first / group.getInt()];
    if (at < 0 || at % kAlign != 0 || at + count * tileBytes > wgtBytes)
      return op.emitError("a load group of ")
             << count << " weight tiles of " << tileBytes
             << " bytes at weight buffer offset " << at
             << " does not fit the buffer (" << wgtBytes
             << " bytes): run accel-tile with this config";
    unsigned address = program.scratch();
    aluImm(Opcode::Addi, address, kWeights,
           matrix.base + first / hbm * tileBytes);
    dma(Opcode::Load, Buffer::Wgt, at, address, matrix.firstChannel + first,
        channels, 0, count, tileBytes, count > hbm ? tileBytes : 0,
        tileBytes);
    int64_t firstRow = first * rowsPerTile;
    int64_t rows = std::min(count * rowsPerTile, rowsOut - firstRow);
    isa::Instruction mul = make(tile > 1 ? Opcode::Mm : Opcode::Mv);
    mul.set("dbuf", static_cast<int64_t>(Buffer::Act));
    mul.set("rd", program.constant(out->offset + firstRow * 4));
    mul.set("abuf", static_cast<int64_t>(Buffer::Act));
    mul.set("ra", program.constant(x.offset));
    mul.set("sbuf", static_cast<int64_t>(Buffer::Act));
    mul.set("rs", program.constant(scales.offset));
    mul.set("wbuf", static_cast<int64_t>(Buffer::Wgt));
    mul.set("rw", program.constant(at));
    mul.set("rows", rows);
    mul.set("ep", epilogue);
    if (tile > 1) {
      mul.set("rm", kRows);
      mul.set("astride", x.bytes);
      mul.set("dstride", out->bytes);
    }
    if (op.getBias()) {
      mul.set("bias", 1);
      mul.set("bbuf", static_cast<int64_t>(Buffer::Prm));
      mul.set("rb", program.constant(bias + firstRow * 4));
    }
    program.emit(mul);
  }
  return success();
}

LogicalResult Codegen::lowerRope(RopeOp op) {
  FailureOr<Home> in = homeOf(op.getInput());
  if (failed(in))
    return failure();
  int64_t rotary = op.getCos().getType().getDimSize(1);
  int64_t rowBytes = rotary * 4;
  if (rowBytes % kAlign != 0)
    return op.emitError("the engine reads RoPE table rows of whole 64-byte "
                        "units; the rotary dimension ")
           << rotary << " is not a multiple of 16";
  int64_t tables[2];
  Value sources[2] = {op.getCos(), op.getSin()};
  for (int index = 0; index < 2; ++index) {
    auto slice = sources[index].getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getType().getDimSize(0) != 1)
      return op.emitError("the decode step's RoPE must read one row of a "
                          "table at the position (run accel-lambda-attention)");
    Value source = slice.getSource();
    // The rows of positions r6 .. r6 + rows - 1.
    FailureOr<int64_t> at = prmOf(op, index);
    if (failed(at) || failed(placeParam(op, source)))
      return failure();
    tables[index] = *at;
    unsigned hbm = program.scratch();
    aluImm(Opcode::Muli, hbm, kPosition, rowBytes);
    alu(Opcode::Add, hbm, hbm, kWeights);
    aluImm(Opcode::Addi, hbm, hbm, shared.paramOffsets[source]);
    dma(Opcode::Load, Buffer::Prm, tables[index], hbm,
        shared.paramChannels[source], 1, kRows, 0, rowBytes, rowBytes,
        rowBytes);
  }
  // accel-fuse's accel.in_place: the rows rotate where they are.
  FailureOr<Home> out = op->hasAttr(kInPlaceAttr)
                            ? FailureOr<Home>(*in)
                            : define(op.getResult(), in->bytes);
  if (failed(out))
    return failure();
  homes[op.getResult()] = *out;
  int64_t heads = op.getNumHeads();
  int64_t headDim = op.getInput().getType().getDimSize(2) / heads;
  isa::Instruction i = make(Opcode::Vrope);
  i.set("dbuf", static_cast<int64_t>(Buffer::Act));
  i.set("rd", program.constant(out->offset));
  i.set("abuf", static_cast<int64_t>(Buffer::Act));
  i.set("ra", program.constant(in->offset));
  i.set("bbuf", static_cast<int64_t>(Buffer::Prm));
  i.set("rb", program.constant(tables[0]));
  i.set("cbuf", static_cast<int64_t>(Buffer::Prm));
  i.set("rc", program.constant(tables[1]));
  i.set("rm", kRows);
  i.set("rp", 0);
  i.set("hd", headDim);
  i.set("rot", rotary);
  i.set("heads", heads);
  i.set("style", op.getStyle() == RopeStyle::RotateHalf ? 0 : 1);
  program.emit(i);
  return success();
}

/// Emits `d = a op b` (or `d = op(a)` when `b` is null) over the step's rows
/// of `width` fp32 each (homes of `width` · 4 bytes per row, rows adjacent).
static void elementwise(ProgramBuilder &program, Opcode opcode,
                        const Home &d, const Home &a, const Home *b,
                        unsigned count) {
  isa::Instruction i = isa::Instruction::create(opcode);
  i.set("dbuf", static_cast<int64_t>(d.buffer));
  i.set("rd", program.constant(d.offset));
  i.set("abuf", static_cast<int64_t>(a.buffer));
  i.set("ra", program.constant(a.offset));
  if (b) {
    i.set("bbuf", static_cast<int64_t>(b->buffer));
    i.set("rb", program.constant(b->offset));
  }
  i.set("rn", count);
  program.emit(i);
}

LogicalResult Codegen::lowerActivation(ActivationOp op) {
  FailureOr<Home> in = homeOf(op.getInput());
  if (failed(in))
    return failure();
  auto type = op.getInput().getType();
  int64_t width = type.getDimSize(type.getRank() - 1);
  auto producer = op.getInput().getDefiningOp<LinearOp>();
  bool fused = producer && producer->hasAttr(kEpilogueAttr);
  Home activated = *in;
  if (!fused) {
    FailureOr<HomesAttr> slots = homesOf(op);
    if (failed(slots))
      return failure();
    FailureOr<Home> tmp =
        slot(op, op.getUp() ? slots->getTemp() : slots->getResult(),
             width * 4);
    if (failed(tmp))
      return failure();
    elementwise(program, unaryOpcode(op.getKind()), *tmp, *in, nullptr,
                rowsTimes(width));
    activated = *tmp;
  }
  if (!op.getUp()) {
    homes[op.getResult()] = activated;
    return success();
  }
  FailureOr<Home> up = homeOf(op.getUp());
  FailureOr<Home> out = define(op.getResult(), width * 4);
  if (failed(up) || failed(out))
    return failure();
  elementwise(program, Opcode::Vmul, *out, activated, &*up, rowsTimes(width));
  return success();
}

/// Repeats the row of `bytes` at `prm` of the prm buffer over the `rows`
/// rows of `d` (a vcopy of it, then copies of the rows repeated so far,
/// doubling them); returns `d`, or the row where it is when `rows` is 1.
static Home repeatRow(ProgramBuilder &program, int64_t prm, int64_t bytes,
                      const Home &d, int64_t rows) {
  if (rows == 1)
    return Home{Buffer::Prm, prm, bytes};
  auto copy = [&](Buffer from, int64_t source, int64_t to, int64_t size) {
    isa::Instruction i = isa::Instruction::create(Opcode::Vcopy);
    i.set("dbuf", static_cast<int64_t>(Buffer::Act));
    i.set("rd", program.constant(to));
    i.set("abuf", static_cast<int64_t>(from));
    i.set("ra", program.constant(source));
    // nimm holds up to 2^20 - 1 bytes (ISA.md, format v-copy).
    if (size < (int64_t(1) << 20))
      i.set("nimm", size);
    else
      i.set("rn", program.constant(size));
    program.emit(i);
  };
  copy(Buffer::Prm, prm, d.offset, bytes);
  for (int64_t done = 1; done < rows; done *= 2)
    copy(Buffer::Act, d.offset, d.offset + done * bytes,
         std::min(done, rows - done) * bytes);
  return d;
}

LogicalResult Codegen::lowerArith(Operation *op) {
  // An accel.broadcast is no code: the element-wise op reading it loads
  // its row.
  if (llvm::isa<BroadcastOp>(op))
    return success();
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
      op->getOperand(1).getType() != type || type.getRank() < 1)
    return op->emitError("element-wise operands of one [.., rows, features] "
                         "shape are needed");
  int64_t width = type.getDimSize(type.getRank() - 1);
  std::optional<uint32_t> first = splatBits(op->getOperand(0)),
                          second = splatBits(op->getOperand(1));
  FailureOr<Value> firstRow = broadcastRow(op, op->getOperand(0)),
                   secondRow = broadcastRow(op, op->getOperand(1));
  if (failed(firstRow) || failed(secondRow))
    return failure();
  bool constantFirst = first || *firstRow,
       constantSecond = second || *secondRow;
  if (!constantFirst && !constantSecond) {
    FailureOr<Home> a = homeOf(op->getOperand(0)),
                    b = homeOf(op->getOperand(1));
    if (failed(a) || failed(b))
      return failure();
    FailureOr<Home> d = define(op->getResult(0), width * 4);
    if (failed(d))
      return failure();
    elementwise(program, *opcode, *d, *a, &*b, rowsTimes(width));
    return success();
  }
  if (constantFirst && constantSecond)
    return op->emitError("the engine runs element-wise ops on rows, not on "
                         "two constants");
  Value rows = op->getOperand(constantFirst ? 1 : 0);
  FailureOr<Home> x = homeOf(rows);
  if (failed(x))
    return failure();
  FailureOr<Home> d = define(op->getResult(0), width * 4);
  if (failed(d))
    return failure();
  // One operand is a constant row r repeated along the rows
  // (accel.broadcast): a parameter loaded into prm, where a step of one row
  // reads it; a tile's repeats it over the result's rows first and reads
  // those, so that `x op r` and `r op x` are each one op.
  if (Value row = constantFirst ? *firstRow : *secondRow) {
    FailureOr<HomesAttr> slots = homesOf(op);
    FailureOr<int64_t> at =
        succeeded(slots) ? loadParam(op, row, 0) : FailureOr<int64_t>();
    if (failed(at))
      return failure();
    Home r = repeatRow(program, *at, width * 4, *d, slots->getRows());
    elementwise(program, *opcode, *d, constantFirst ? r : *x,
                constantFirst ? &*x : &r, rowsTimes(width));
    return success();
  }
  // One operand is a value c of every element: `x op c` with b the
  // immediate c (c + x and c · x commute); `c - x` and `c / x` fill the
  // result rows with c first and take x as b.
  unsigned count = rowsTimes(width);
  uint32_t c = first ? *first : *second;
  if (first && (*opcode == Opcode::Vsub || *opcode == Opcode::Vdiv)) {
    isa::Instruction fill = make(Opcode::Vfill);
    fill.set("dbuf", static_cast<int64_t>(Buffer::Act));
    fill.set("rd", program.constant(d->offset));
    fill.set("rn", count);
    fill.set("f", c);
    program.emit(fill);
    elementwise(program, *opcode, *d, *d, &*x, count);
    return success();
  }
  isa::Instruction i = make(*opcode);
  i.set("dbuf", static_cast<int64_t>(Buffer::Act));
  i.set("rd", program.constant(d->offset));
  i.set("abuf", static_cast<int64_t>(Buffer::Act));
  i.set("ra", program.constant(x->offset));
  i.set("rn", count);
  i.set("bmode", 2);
  i.set("f", c);
  program.emit(i);
  return success();
}

LogicalResult Codegen::lowerReturn(func::ReturnOp op) {
  if (isForward(decode))
    return storeOutputs(op);
  if (op.getNumOperands() == 0)
    return op.emitError("the decode step returns no logits");
  Value logits = op.getOperand(0);
  FailureOr<Home> home = homeOf(logits);
  if (failed(home))
    return failure();
  auto type = cast<RankedTensorType>(logits.getType());
  int64_t vocab = type.getDimSize(type.getRank() - 1);
  LoweredModel &model = shared.model;
  model.vocab = vocab;
  model.idsOffset = 0;
  model.logitsOffset = alignTo(model.maxTokens * 4, kAlign);
  model.tokenOffset = model.logitsOffset + alignTo(vocab * 4, kAlign);
  model.ioBytes = model.tokenOffset + kAlign;
  // The last row's logits (copied to a 64-byte-aligned staging area, as a
  // DMA needs) and greedy token.
  unsigned row = program.scratch();
  aluImm(Opcode::Addi, row, kRows, -1);
  aluImm(Opcode::Muli, row, row, home->bytes);
  aluImm(Opcode::Addi, row, row, home->offset);
  int64_t staged = stage(vocab * 4);
  isa::Instruction copy = make(Opcode::Vcopy);
  copy.set("dbuf", static_cast<int64_t>(Buffer::Scr));
  copy.set("rd", program.constant(staged));
  copy.set("abuf", static_cast<int64_t>(Buffer::Act));
  copy.set("ra", row);
  copy.set("nimm", vocab * 4);
  program.emit(copy);
  dma(Opcode::Store, Buffer::Scr, staged, kIo, 0, 1, 0, 1,
      alignTo(vocab * 4, kAlign), 0, 0);
  program.getCode().back().instruction.set("himm", model.logitsOffset);
  int64_t token = stage(kAlign);
  isa::Instruction argmax = make(Opcode::Vargmax);
  argmax.set("dbuf", static_cast<int64_t>(Buffer::Scr));
  argmax.set("rd", program.constant(token));
  argmax.set("abuf", static_cast<int64_t>(Buffer::Act));
  argmax.set("ra", row);
  argmax.set("nimm", vocab);
  program.emit(argmax);
  dma(Opcode::Store, Buffer::Scr, token, kIo, 0, 1, 0, 1, kAlign, 0, 0);
  program.getCode().back().instruction.set("himm", model.tokenOffset);
  // After the output tail, the tile's row count again (the prefill entry
  // advances by it): min(r5 - r10, tile).
  if (tailStart) {
    program.label(tailEnd);
    alu(Opcode::Sub, kRows, kTokens, kFirstToken);
    aluImm(Opcode::Minui, kRows, kRows, tile);
  }
  endStep();
  return success();
}

void Codegen::endStep() {
  // Runs of the step are ordered as a whole (their tokens pair within one).
  program.emit(make(Opcode::Barrier));
  if (!returnLabel.empty()) {
    program.emit(make(Opcode::Jmp), returnLabel);
    return;
  }
  isa::Instruction ret = make(Opcode::Jr);
  ret.set("rs1", kLink);
  program.emit(ret);
}
