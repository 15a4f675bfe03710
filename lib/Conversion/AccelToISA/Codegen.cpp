//===- Codegen.cpp - the step of a decoder as engine code -----------------===//
//
// The driver of the code generator (Codegen.h): registers, DMA, on-chip
// allocation, parameters, the walk over the decode function, and the two
// entry points around the decode and prefill steps.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "accel/Reference/Executor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>
#include <tuple>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

FailureOr<std::vector<float>>
accel::lowering::detail::constantFloats(Operation *user, Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return user->emitError("the engine needs this operand as a constant");
  llvm::Expected<std::vector<float>> values =
      reference::floatsFromAttribute(constant.getValue());
  if (!values)
    return user->emitError("cannot read a constant: ")
           << llvm::toString(values.takeError());
  return std::move(*values);
}

LogicalResult accel::lowering::detail::forEachConstantRow(
    Operation *user, Value value,
    function_ref<void(int64_t, ArrayRef<float>)> row) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return user->emitError("the engine needs this operand as a constant");
  if (llvm::Error error =
          reference::forEachFloatRow(constant.getValue(), row))
    return user->emitError("cannot read a constant: ")
           << llvm::toString(std::move(error));
  return success();
}

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
  i.set("ch", channel % hbmChannels());
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

unsigned Codegen::rowsTimes(int64_t factor) {
  unsigned reg = program.scratch();
  aluImm(Opcode::Muli, reg, kRows, factor);
  return reg;
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
                               c.bits, c.sink, c.window, c.record, c.qpk);
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
  if (c.qpk > 1)
    i.set("qpk", c.qpk);
  if (c.record != isa::kvRecordBytes(c.kvHeads, c.headDim, c.format, c.bits,
                                     c.group))
    i.set("recu", c.record / kAlign);
  program.emit(i);
}

void Codegen::tokenSlots(const CacheLayout &c) {
  for (Opcode dma : {Opcode::Load, Opcode::Store})
    program.emit(instruction(dma, {{"len", kAlign}}));
  // Every mv and mm follows its own mcfg: this one (fp32 weights and
  // activations, K = 1) configures nothing used.
  program.emit(instruction(
      Opcode::Mcfg, {{"k", 1}, {"r", 1}, {"fmt", 2}, {"bits", 32}, {"afp", 1}}));
  attentionState.reset();
  setAttention(c);
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

FailureOr<HomesAttr> Codegen::homesOf(Operation *op) {
  auto steps = op->getAttrOfType<DictionaryAttr>(kActAttr);
  auto homes = steps ? steps.getAs<HomesAttr>(step) : HomesAttr();
  if (!homes)
    return op->emitError("no act-buffer homes (accel.act) for the ")
           << step << " step: run accel-allocate-buffers before "
           << "accel-lower-to-isa";
  // The output tail runs on one row.
  int64_t rows = op->hasAttr(kLastRowAttr) ? 1 : tile;
  if (homes.getRows() != rows)
    return op->emitError("accel-allocate-buffers allocated the ")
           << step << " step for " << homes.getRows() << " rows, not "
           << rows << " (run it after accel-tile)";
  return homes;
}

FailureOr<Home> Codegen::slot(Operation *op, int64_t offset, int64_t bytes) {
  if (offset < 0)
    return op->emitError("internal: accel.act gives no home for a value");
  return Home{Buffer::Act, offset, bytes};
}

FailureOr<Home> Codegen::define(Value value, int64_t bytes) {
  Operation *def = value.getDefiningOp();
  FailureOr<HomesAttr> at = homesOf(def);
  if (failed(at))
    return failure();
  FailureOr<Home> home = slot(def, at->getResult(), bytes);
  if (succeeded(home))
    homes[value] = *home;
  return home;
}

FailureOr<HbmAttr> Codegen::placementOf(Operation *user, Operation *holder) {
  auto attr = holder ? holder->getAttrOfType<HbmAttr>(kHbmAttr) : HbmAttr();
  if (!attr)
    return user->emitError("no HBM placement (#accel.hbm) for this op's "
                           "data: run accel-place-hbm before "
                           "accel-lower-to-isa");
  if (attr.getChannel() >= hbmChannels() ||
      attr.getChannels() > hbmChannels())
    return user->emitError("the HBM placement ")
           << attr << " does not fit the config's " << hbmChannels()
           << " channels";
  return attr;
}

int64_t Codegen::reserveParams(int64_t bytes, int64_t channel,
                               int64_t offset) {
  LoweredModel &model = shared.model;
  int64_t source = alignTo(static_cast<int64_t>(model.params.size()), kAlign);
  model.params.resize(source + alignTo(bytes, kAlign), 0);
  model.segments.push_back({source, alignTo(bytes, kAlign), channel, offset});
  return source;
}

void Codegen::copyParams(const void *data, int64_t bytes, int64_t channel,
                         int64_t offset) {
  int64_t source = reserveParams(bytes, channel, offset);
  std::memcpy(shared.model.params.data() + source, data, bytes);
}

LogicalResult Codegen::placeParam(Operation *user, Value value) {
  if (shared.paramOffsets.count(value))
    return success();
  FailureOr<std::vector<float>> values = constantFloats(user, value);
  if (failed(values))
    return failure();
  FailureOr<HbmAttr> at = placementOf(user, value.getDefiningOp());
  if (failed(at))
    return failure();
  // Striped as one embedding row is: piece i of `stride` bytes on channel
  // first + i (accel-place-hbm); whole when on one channel (a RoPE table,
  // whose placement has no stride).
  int64_t bytes = values->size() * 4;
  StripedRows striped = stripedRows(*at, 1);
  if (striped.channels == 1)
    striped.stripe = alignTo(bytes, kAlign);
  forEachStripedColumn(
      striped, reinterpret_cast<const uint8_t *>(values->data()), bytes,
      hbmChannels(), [&](ArrayRef<uint8_t> column, int64_t channel) {
        copyParams(column.data(), column.size(), channel, at->getOffset());
      });
  shared.paramOffsets[value] = at->getOffset();
  shared.paramChannels[value] = at->getChannel();
  return success();
}

FailureOr<int64_t> Codegen::prmOf(Operation *op, unsigned index) {
  auto steps = op->getAttrOfType<DictionaryAttr>(kPrmAttr);
  auto offsets = steps ? steps.getAs<DenseI64ArrayAttr>(step)
                       : DenseI64ArrayAttr();
  if (!offsets || offsets.size() <= index)
    return op->emitError("no prm-buffer place (accel.prm) for the ")
           << step << " step's parameter " << index
           << ": run accel-allocate-buffers before accel-lower-to-isa";
  return offsets[index];
}

FailureOr<int64_t> Codegen::loadParam(Operation *user, Value value,
                                      unsigned index) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t padded = alignTo(type.getNumElements() * 4, kAlign);
  FailureOr<int64_t> at = prmOf(user, index);
  if (failed(at) || failed(placeParam(user, value)))
    return failure();
  // The placement placeParam checked; its pieces from all their channels at
  // once, side by side on chip.
  auto placed = value.getDefiningOp()->getAttrOfType<HbmAttr>(kHbmAttr);
  int64_t pieces = placed.getChannels();
  int64_t piece = pieces > 1 ? placed.getStride() : padded;
  unsigned hbm = program.scratch();
  aluImm(Opcode::Addi, hbm, kWeights, placed.getOffset());
  dma(Opcode::Load, Buffer::Prm, *at, hbm, placed.getChannel(), pieces, 0,
      pieces, piece, 0, piece);
  return at;
}

LogicalResult Codegen::findOutputTail(Block &body) {
  // accel-tile's accel.last_row ops, after the one activation they read
  // from outside.
  SetVector<Value> inputs;
  for (Operation &op : body) {
    if (!op.hasAttr(kLastRowAttr))
      continue;
    if (!tailStart)
      tailStart = &op;
    for (Value operand : op.getOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.getType());
      Operation *def = operand.getDefiningOp();
      if (type && type.getRank() == 3 && !(def && def->hasAttr(kLastRowAttr)))
        inputs.insert(operand);
    }
  }
  if (!tailStart)
    return success();
  if (inputs.size() != 1)
    return tailStart->emitError("accel-tile's output tail (accel.last_row) "
                                "reads ")
           << inputs.size() << " activations from before it, not one";
  tailInput = inputs[0];
  return success();
}

LogicalResult Codegen::enterOutputTail() {
  FailureOr<Home> input = homeOf(tailInput);
  if (failed(input))
    return failure();
  // Ordered as a whole before the branch, so that no dependency token pairs
  // across it (accel-insert-tokens).
  program.emit(make(Opcode::Barrier));
  unsigned end = program.scratch();
  alu(Opcode::Add, end, kFirstToken, kRows);
  isa::Instruction skip = make(Opcode::Bltu);
  skip.set("rs1", end);
  skip.set("rs2", kTokens);
  program.emit(skip, tailEnd);
  unsigned last = program.scratch();
  aluImm(Opcode::Addi, last, kRows, -1);
  aluImm(Opcode::Muli, last, last, input->bytes);
  aluImm(Opcode::Addi, last, last, input->offset);
  isa::Instruction copy = make(Opcode::Vcopy);
  copy.set("dbuf", static_cast<int64_t>(Buffer::Act));
  copy.set("rd", program.constant(input->offset));
  copy.set("abuf", static_cast<int64_t>(Buffer::Act));
  copy.set("ra", last);
  copy.set("nimm", input->bytes);
  program.emit(copy);
  aluImm(Opcode::Addi, kRows, 0, 1);
  return success();
}

LogicalResult Codegen::run(StringRef name, StringRef back) {
  Block &body = decode.getBody().front();
  if (tile > 1 && failed(findOutputTail(body)))
    return failure();
  tailEnd = (name + "_tail_skipped").str();
  returnLabel = back.str();

  program.label(name);
  // Entered by a jump over other code: no token pairs across it.
  if (!returnLabel.empty())
    program.emit(make(Opcode::Barrier));
  if (isForward(decode) && failed(loadInputs()))
    return failure();
  for (Operation &op : body) {
    if (&op == tailStart && failed(enterOutputTail()))
      return failure();
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case<arith::ConstantOp, tensor::ExtractSliceOp, tensor::SplatOp,
                  arith::TruncIOp, arith::IndexCastOp, KVCacheWriteOp>(
                [](Operation *) { return success(); })
            .Case([&](tensor::ExtractOp extract) -> LogicalResult {
              auto arg = dyn_cast<BlockArgument>(extract.getTensor());
              auto argName = arg ? decode.getArgAttrOfType<StringAttr>(
                                       arg.getArgNumber(), "onnx.name")
                                 : StringAttr();
              if (!argName || argName.getValue() != "position")
                return extract.emitError(
                    "the decode step reads only its position as a scalar");
              return success();
            })
            .Case([&](EmbeddingOp e) { return lowerEmbedding(e); })
            .Case([&](RMSNormOp n) {
              return lowerNorm(n, n.getInput(), n.getWeight(), Value(),
                               n.getEpsilon().convertToFloat(), false);
            })
            .Case([&](LayerNormOp n) {
              return lowerNorm(n, n.getInput(), n.getWeight(), n.getBias(),
                               n.getEpsilon().convertToFloat(), true);
            })
            .Case([&](LinearOp l) { return lowerLinear(l); })
            .Case([&](RopeOp r) { return lowerRope(r); })
            .Case([&](CacheAttentionOp a) { return lowerAttention(a); })
            .Case([&](ActivationOp a) { return lowerActivation(a); })
            .Case([&](func::ReturnOp r) { return lowerReturn(r); })
            .Default([&](Operation *other) { return lowerArith(other); });
    if (failed(result))
      return failure();
  }
  return success();
}

isa::Instruction accel::lowering::detail::instruction(
    Opcode opcode, ArrayRef<std::pair<StringRef, int64_t>> fields) {
  isa::Instruction i = isa::Instruction::create(opcode);
  for (auto [name, value] : fields)
    i.set(name, value);
  return i;
}

/// Enters the step `step`: `jal` to it, or, when it returns by `jmp` to
/// `back` (a step whose attention is shared), `jmp` to it and the label
/// `back` after.
static void emitStepCall(ProgramBuilder &program, StringRef step,
                         StringRef back) {
  if (back.empty()) {
    program.emit(instruction(Opcode::Jal, {{"rd", kLink}}), step);
  } else {
    program.emit(instruction(Opcode::Jmp, {}), step);
    program.label(back);
  }
}

void accel::lowering::detail::emitTileLoop(ProgramBuilder &program,
                                           StringRef entry, StringRef loop,
                                           StringRef done, StringRef step,
                                           int64_t tile, bool positions,
                                           StringRef back) {
  program.entry(entry);
  program.emit(instruction(Opcode::Addi, {{"rd", kFirstToken}}));
  program.label(loop);
  program.emit(
      instruction(Opcode::Bgeu, {{"rs1", kFirstToken}, {"rs2", kTokens}}),
      done);
  program.emit(instruction(Opcode::Sub, {{"rd", kRows},
                                         {"rs1", kTokens},
                                         {"rs2", kFirstToken}}));
  program.emit(instruction(Opcode::Minui,
                           {{"rd", kRows}, {"rs1", kRows}, {"imm", tile}}));
  emitStepCall(program, step, back);
  program.emit(instruction(Opcode::Add, {{"rd", kFirstToken},
                                         {"rs1", kFirstToken},
                                         {"rs2", kRows}}));
  if (positions)
    program.emit(instruction(Opcode::Add, {{"rd", kPosition},
                                           {"rs1", kPosition},
                                           {"rs2", kRows}}));
  program.emit(instruction(Opcode::Jmp, {}), loop);
  program.label(done);
  program.emit(instruction(Opcode::Halt, {}));
}

LoweredModel accel::lowering::detail::finishModel(SharedPlacement &shared,
                                                  ProgramBuilder &program,
                                                  int64_t weightsBytes) {
  LoweredModel model = std::move(shared.model);
  model.code = std::move(program.getCode());
  for (auto &entry : shared.matrices)
    model.matrices.push_back(entry.second);
  // Linears sharing an image region (accel-pack) are placed apart in HBM:
  // order on every field, not the map's pointer order, so that the package
  // is the same from run to run.
  auto key = [](const TiledMatrix &m) {
    return std::tie(m.imageOffset, m.firstChannel, m.base, m.bytes, m.tiles,
                    m.tileBytes);
  };
  llvm::sort(model.matrices, [&](const TiledMatrix &a, const TiledMatrix &b) {
    return key(a) < key(b);
  });
  model.weightsBytes = weightsBytes;
  return model;
}

namespace {
/// One step of lowerDecode's program, lowered on its own from its label,
/// and where its scratch registers end (the next step's go on from there).
struct StepCode {
  std::vector<Emitted> code;
  unsigned scratchAt = 0;
};
} // namespace

/// The label a step whose attention is shared returns to (by `jmp`).
static StringRef returnLabel(StringRef step) {
  return step == "decode" ? "decode_done" : "tile_done";
}

/// The entry points `decode` (one token at position r6, the step of one
/// row) and `prefill` (the r5 prompt tokens from position r6, a tile at a
/// time) of lowerDecode's program; a step whose attention is shared is
/// entered by `jmp` (an instruction where `jal` would be: either way the
/// same size).
static void emitEntries(ProgramBuilder &program, bool shareDecode,
                        bool sharePrefill, int64_t prefillTile) {
  program.entry("decode");
  program.emit(instruction(Opcode::Addi, {{"rd", kFirstToken}}));
  program.emit(instruction(Opcode::Addi, {{"rd", kRows}, {"imm", 1}}));
  emitStepCall(program, "decode_step",
               shareDecode ? returnLabel("decode") : "");
  program.emit(instruction(Opcode::Halt, {}));
  emitTileLoop(program, "prefill", "next_tile", "prompt_done", "prefill_step",
               prefillTile, /*positions=*/true,
               sharePrefill ? returnLabel("prefill") : "");
}

/// The step `step` of `tile` rows, its scratch registers going on from
/// `scratchAt`; with `share` its attention layers call subroutines (added
/// to `shared`'s).
static FailureOr<StepCode> lowerStep(func::FuncOp decode,
                                     const hw::Config &config,
                                     SharedPlacement &shared, StringRef step,
                                     int64_t tile, bool share,
                                     unsigned scratchAt) {
  ProgramBuilder program(scratchAt);
  Codegen codegen(decode, config, shared, program, step, tile);
  if (failed(codegen.run((step + "_step").str(),
                         share ? returnLabel(step) : "")))
    return failure();
  return StepCode{std::move(program.getCode()), program.scratchAt()};
}

FailureOr<LoweredModel>
accel::lowering::lowerDecode(func::FuncOp decode, const hw::Config &config,
                             int64_t maxPrompt, int64_t prefillTile,
                             SharePolicy share) {
  auto regions = decode->getParentOfType<ModuleOp>()->getAttrOfType<
      DictionaryAttr>(kRegionsAttr);
  auto regionBytes = [&](StringRef name) {
    auto attr = regions ? regions.getAs<IntegerAttr>(name) : IntegerAttr();
    return attr ? attr.getInt() : -1;
  };
  if (regionBytes("weights") < 0 || regionBytes("kv") < 0 ||
      regionBytes("prefill_tile") < 0)
    return decode.emitError("the module has no accel.hbm_regions: run "
                            "accel-place-hbm before accel-lower-to-isa");
  if (prefillTile > regionBytes("prefill_tile"))
    return decode.emitError("accel-place-hbm sized the KV records for "
                            "steps of ")
           << regionBytes("prefill_tile") << " rows, fewer than prefill-tile="
           << prefillTile;
  SharedPlacement shared;
  shared.model.channels = static_cast<int64_t>(config.hbmChannels);
  shared.model.maxTokens = maxPrompt;
  // Each layer's attention in line, unless the program would then not fit
  // the instruction memory: then the prefill step's attention is shared
  // between its layers, and if that is not enough the decode step's too
  // (a call costs 1B's decode step about 1 %, prefill less). Only a step
  // whose code changes is lowered again (the parameter blob and the
  // placement are made once): the prefill step when it shares; both when
  // the decode step does, since the prefill step's scratch registers and
  // subroutine numbers go on from the decode step's. A step's code too big
  // is released before it is lowered again. `share` Always or Never
  // decides without the size.
  bool shareDecode = share == SharePolicy::Always, sharePrefill = shareDecode;
  // The decode and the prefill step; lower(first) lowers them again from
  // `first` on, the prefill step's scratch registers from the decode
  // step's end.
  StepCode steps[2];
  auto lower = [&](size_t first) -> LogicalResult {
    for (size_t n = first; n < 2; ++n)
      steps[n] = StepCode();
    for (size_t n = first; n < 2; ++n) {
      FailureOr<StepCode> code =
          n == 0 ? lowerStep(decode, config, shared, "decode", 1,
                             shareDecode, 0)
                 : lowerStep(decode, config, shared, "prefill", prefillTile,
                             sharePrefill, steps[0].scratchAt);
      if (failed(code))
        return failure();
      steps[n] = std::move(*code);
    }
    return success();
  };
  auto fits = [&] {
    ProgramBuilder entries;
    emitEntries(entries, shareDecode, sharePrefill, prefillTile);
    size_t size = entries.getCode().size() + steps[0].code.size() +
                  steps[1].code.size();
    for (const SharedPlacement::Subroutine &subroutine : shared.subroutines)
      size += subroutine.code.size();
    return size <= config.imemInstructions();
  };
  if (failed(lower(0)))
    return failure();
  if (share == SharePolicy::Auto && !fits()) {
    sharePrefill = true;
    if (failed(lower(1)))
      return failure();
  }
  if (share == SharePolicy::Auto && !fits()) {
    shareDecode = true;
    shared.subroutines.clear();
    if (failed(lower(0)))
      return failure();
  }
  ProgramBuilder program;
  emitEntries(program, shareDecode, sharePrefill, prefillTile);
  for (StepCode &step : steps)
    program.append(std::move(step.code));
  for (SharedPlacement::Subroutine &subroutine : shared.subroutines) {
    subroutine.code.front().labels.insert(
        subroutine.code.front().labels.begin(), subroutine.name);
    program.append(std::move(subroutine.code));
  }
  LoweredModel model = finishModel(shared, program, regionBytes("weights"));
  model.kvBytes = regionBytes("kv");
  return model;
}
