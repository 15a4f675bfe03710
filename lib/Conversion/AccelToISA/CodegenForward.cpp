//===- CodegenForward.cpp - a graph that is not a decoder -----------------===//
//
// The `forward` entry (docs/ISA.md §7): a graph without attention runs once
// over its r5 input rows, a tile of accel.prefill_tile rows at a time, with
// the prefill step's machinery (`mm` over the tile, the same homes,
// placement and tokens). A row is one position of the flattened leading
// dimensions of the graph's [.., rows, features] tensors, so every op must
// be row-wise: row r of a result depends on row r of the operands alone.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "accel/Support/Diagnostics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

namespace {

/// The rows of a static `type`: the product of its leading dimensions
/// (every dimension of token ids); nullopt past int64.
std::optional<int64_t> rowsOf(RankedTensorType type, bool ids) {
  int64_t rows = 1;
  for (int64_t d : type.getShape().drop_back(ids ? 0 : 1))
    if (llvm::MulOverflow(rows, d, rows))
      return std::nullopt;
  return rows;
}

/// The bytes of a packed row of `type` (4 for token ids); nullopt past int64.
std::optional<int64_t> rowBytesOf(RankedTensorType type, bool ids) {
  int64_t bytes;
  if (llvm::MulOverflow(ids ? int64_t(1) : type.getShape().back(), int64_t(4),
                        bytes))
    return std::nullopt;
  return bytes;
}

/// The name ONNX gave argument or result `index` (its onnx.name), or
/// `fallback` followed by the index.
std::string ioName(DictionaryAttr attrs, StringRef fallback, unsigned index) {
  auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
  return name ? name.getValue().str()
              : (fallback + std::to_string(index)).str();
}

bool isTokenIds(BlockArgument arg) {
  auto type = dyn_cast<RankedTensorType>(arg.getType());
  return type && llvm::isa<IntegerType>(type.getElementType());
}

/// Checks that the engine can run `fn` row by row, every input's and
/// output's rows in an HBM channel of `channelBytes`; returns its rows.
FailureOr<int64_t> checkRowWise(func::FuncOp fn, int64_t tile,
                                uint64_t channelBytes) {
  Block &body = fn.getBody().front();
  std::optional<int64_t> rows;
  auto fewerRows = [&](Operation *at, Type type, const Twine &what) {
    return at->emitError("the io region holds every input's and output's "
                         "rows: ")
           << what << " (" << type << ") does not fit an HBM channel ("
           << channelBytes << " bytes): give the graph fewer rows";
  };
  // The rows of `type` at `what` (an error at `at` unless static and the
  // graph's).
  auto sameRows = [&](Operation *at, Type type, bool ids,
                      const Twine &what) -> LogicalResult {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked || !ranked.hasStaticShape() || ranked.getRank() < 1)
      return at->emitError("the engine runs a graph row by row: ")
             << what << " is " << type
             << ", not a tensor of static shape (give its dimensions sizes: "
             << optionReference("dim", "the import") << ")";
    std::optional<int64_t> r = rowsOf(ranked, ids);
    if (!r)
      return fewerRows(at, type, what);
    if (rows && *r != *rows)
      return at->emitError("the engine runs a graph row by row: ")
             << what << " has " << *r << " rows (" << type
             << "), the graph's inputs " << *rows;
    rows = *r;
    return success();
  };
  // An input's or output's rows of `type` (the graph's) in io, a tile of
  // them moved in 64-byte units.
  auto rowFits = [&](Operation *at, Type type, bool ids,
                     const Twine &what) -> LogicalResult {
    auto ranked = cast<RankedTensorType>(type);
    std::optional<int64_t> bytes = rowBytesOf(ranked, ids);
    int64_t all;
    if (!bytes || llvm::MulOverflow(*rows, *bytes, all) ||
        uint64_t(all) > channelBytes)
      return fewerRows(at, type, what);
    if (ids || *bytes % kAlign == 0 || tile * *bytes % kAlign == 0)
      return success();
    return at->emitError("the engine moves rows in 64-byte units: ")
           << what << "'s rows of " << *bytes << " bytes need a prefill tile "
           << "that is a multiple of " << kAlign / std::gcd(*bytes, kAlign)
           << " rows, not " << tile << " ("
           << optionReference("prefill-tile", "accel-tile") << ")";
  };
  // What the engine cannot run at all first.
  for (Operation &op : body) {
    if (op.getName().getStringRef() == "onnx.node") {
      auto type = op.getAttrOfType<StringAttr>("op_type");
      return op.emitError()
             << (type ? type.getValue() : StringRef("the node"))
             << " was not raised to an accel op: the engine cannot run it";
    }
    if (llvm::isa<AttentionOp, CacheAttentionOp, BandAttentionOp>(op))
      return op.emitError("the graph has attention: compile its decoder "
                          "step (")
             << optionReference("decode", "the driver") << " or "
             << optionReference("window", "accel-lambda-attention")
             << "; the engine runs attention over a KV cache)";
  }
  int64_t idsInputs = 0;
  for (BlockArgument arg : body.getArguments()) {
    std::string what = "input '" +
                       ioName(fn.getArgAttrDict(arg.getArgNumber()), "input",
                              arg.getArgNumber()) +
                       "'";
    bool ids = isTokenIds(arg);
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!ids && !(type && type.getElementType().isF32()))
      return fn.emitError("the engine takes fp32 rows or token ids: ")
             << what << " is " << arg.getType();
    if (ids && ++idsInputs > 1)
      return fn.emitError("the engine reads one input of token ids: ")
             << what << " is another";
    if (failed(sameRows(fn, arg.getType(), ids, what)) ||
        failed(rowFits(fn, arg.getType(), ids, what)))
      return failure();
    if (ids && llvm::any_of(arg.getUsers(), [](Operation *user) {
          return !llvm::isa<EmbeddingOp>(user);
        }))
      return fn.emitError("the engine reads token ids only to look up an "
                          "embedding: ")
             << what << " has other users";
  }
  for (Operation &op : body) {
    if (llvm::isa<arith::ConstantOp, BroadcastOp>(op))
      continue;
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
        std::string what =
            "output '" + ioName(fn.getResultAttrDict(index), "output", index) +
            "'";
        auto type = dyn_cast<RankedTensorType>(value.getType());
        if (value.getDefiningOp<arith::ConstantOp>())
          return op.emitError("the engine returns rows it computes from the "
                              "inputs: ")
                 << what << " is a constant";
        if (!type || !type.getElementType().isF32())
          return op.emitError("the engine returns fp32 rows: ")
                 << what << " is " << value.getType();
        if (failed(sameRows(&op, type, false, what)) ||
            failed(rowFits(&op, type, false, what)))
          return failure();
      }
      continue;
    }
    bool rowWise =
        llvm::isa<EmbeddingOp, RMSNormOp, LayerNormOp, LinearOp, ActivationOp,
                  arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp>(
            op);
    if (!rowWise)
      return op.emitError("the engine runs a graph row by row and cannot "
                          "run '")
             << op.getName() << "' in it";
    if (auto embedding = dyn_cast<EmbeddingOp>(op);
        embedding && !llvm::isa<BlockArgument>(embedding.getIds()))
      return op.emitError("the engine reads an embedding's token ids from "
                          "the graph's input");
    bool arith =
        llvm::isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp>(
            op);
    if (arith &&
        (op.getOperand(0).getType() != op.getResult(0).getType() ||
         op.getOperand(1).getType() != op.getResult(0).getType()))
      return op.emitError("the engine runs element-wise ops on operands of "
                          "the result's shape, not broadcast: ")
             << op.getOperand(0).getType() << " and "
             << op.getOperand(1).getType();
    // An element-wise op takes rows and at most one constant: of one value
    // (b the immediate, or a fill) or a row repeated along the rows (a
    // parameter); an activation takes rows alone.
    int64_t constants = 0;
    for (Value operand : op.getOperands()) {
      if (!(arith || llvm::isa<ActivationOp>(op)))
        continue;
      FailureOr<Value> row = broadcastRow(&op, operand);
      if (failed(row))
        return failure();
      if (!*row && !operand.getDefiningOp<arith::ConstantOp>())
        continue;
      if (!arith || !(*row || splatBits(operand)) || ++constants > 1)
        return op.emitError("the engine runs element-wise ops on rows and "
                            "at most one constant (of one value, or a row "
                            "repeated along the rows), not on this constant "
                            "operand");
    }
    if (failed(sameRows(&op, op.getResult(0).getType(), false,
                        "the result of '" + op.getName().getStringRef() + "'")))
      return failure();
  }
  if (!rows)
    return fn.emitError("the graph has no inputs: the engine runs it over "
                        "input rows");
  return *rows;
}

} // namespace

void Codegen::moveRows(Opcode opcode, const Home &home, int64_t ioOffset) {
  // The tile's rows are one run of r11 · bytes from r10 · bytes, the same
  // packing in io as on chip: whole rows when they are 64-byte multiples,
  // else 64-byte units (accel-tile's tile makes r10 · bytes one).
  unsigned hbm = program.scratch();
  aluImm(Opcode::Muli, hbm, kFirstToken, home.bytes);
  alu(Opcode::Add, hbm, hbm, kIo);
  aluImm(Opcode::Addi, hbm, hbm, ioOffset);
  if (home.bytes % kAlign == 0) {
    dma(opcode, Buffer::Act, home.offset, hbm, 0, 1, kRows, 0, home.bytes,
        home.bytes, home.bytes);
    return;
  }
  unsigned units = program.scratch();
  aluImm(Opcode::Muli, units, kRows, home.bytes);
  aluImm(Opcode::Addi, units, units, kAlign - 1);
  aluImm(Opcode::Srli, units, units, 6);
  dma(opcode, Buffer::Act, home.offset, hbm, 0, 1, units, 0, kAlign, kAlign,
      kAlign);
}

LogicalResult Codegen::loadInputs() {
  for (BlockArgument arg : decode.getArguments()) {
    auto steps =
        decode.getArgAttrOfType<DictionaryAttr>(arg.getArgNumber(), kActAttr);
    auto at = steps ? steps.getAs<HomesAttr>(step) : HomesAttr();
    if (isTokenIds(arg) || arg.use_empty())
      continue;
    if (!at || at.getRows() != tile)
      return decode.emitError("no act-buffer home (accel.act) of ")
             << tile << " rows for input " << arg.getArgNumber()
             << ": run accel-allocate-buffers before accel-lower-to-isa";
    auto type = cast<RankedTensorType>(arg.getType());
    Home home{Buffer::Act, at.getResult(),
              type.getDimSize(type.getRank() - 1) * 4};
    moveRows(Opcode::Load, home,
             shared.model.inputs[arg.getArgNumber()].offset);
    homes[arg] = home;
  }
  return success();
}

LogicalResult Codegen::storeOutputs(func::ReturnOp op) {
  for (auto [index, value] : llvm::enumerate(op.getOperands())) {
    FailureOr<Home> home = homeOf(value);
    if (failed(home))
      return failure();
    moveRows(Opcode::Store, *home, shared.model.outputs[index].offset);
  }
  endStep();
  return success();
}

FailureOr<LoweredModel> accel::lowering::lowerForward(func::FuncOp forward,
                                                      const hw::Config &config,
                                                      int64_t prefillTile) {
  FailureOr<int64_t> rows =
      checkRowWise(forward, prefillTile, config.hbmChannelBytes);
  if (failed(rows))
    return failure();
  auto regions =
      forward->getParentOfType<ModuleOp>()->getAttrOfType<DictionaryAttr>(
          kRegionsAttr);
  auto weights =
      regions ? regions.getAs<IntegerAttr>("weights") : IntegerAttr();
  if (!weights)
    return forward.emitError("the module has no accel.hbm_regions: run "
                             "accel-place-hbm before accel-lower-to-isa");
  SharedPlacement shared;
  LoweredModel &model = shared.model;
  model.channels = static_cast<int64_t>(config.hbmChannels);
  model.maxRows = *rows;
  // The io region: the token ids first (the embedding reads them at io
  // offset 0, as a prompt's), then the other inputs, then the outputs.
  auto tensor = [&](DictionaryAttr attrs, StringRef fallback, unsigned index,
                    Type type, bool ids) {
    auto ranked = cast<RankedTensorType>(type);
    IoTensor t;
    t.name = ioName(attrs, fallback, index);
    t.ids = ids;
    t.rowBytes = *rowBytesOf(ranked, ids);
    t.bytes = alignTo(*rows * t.rowBytes, kAlign);
    t.shape.assign(ranked.getShape().begin(), ranked.getShape().end());
    return t;
  };
  for (BlockArgument arg : forward.getArguments())
    model.inputs.push_back(tensor(forward.getArgAttrDict(arg.getArgNumber()),
                                  "input", arg.getArgNumber(), arg.getType(),
                                  isTokenIds(arg)));
  for (unsigned i = 0; i < forward.getNumResults(); ++i)
    model.outputs.push_back(tensor(forward.getResultAttrDict(i), "output", i,
                                   forward.getResultTypes()[i], false));
  // Each slot is at most a channel (checkRowWise): the sum cannot wrap.
  int64_t next = 0;
  for (bool ids : {true, false})
    for (IoTensor &t : model.inputs)
      if (t.ids == ids) {
        t.offset = next;
        next += t.bytes;
      }
  for (IoTensor &t : model.outputs) {
    t.offset = next;
    next += t.bytes;
  }
  model.ioBytes = next;
  if (uint64_t(alignTo(weights.getInt(), kAlign) + next) >
      config.hbmChannelBytes)
    return forward.emitError("the io region's ")
           << next << " bytes (" << *rows
           << " rows of every input and output) and the weights do not fit "
              "an HBM channel ("
           << config.hbmChannelBytes << " bytes): give the graph fewer rows";

  // forward: the r5 rows, a tile at a time (the prefill entry's loop).
  ProgramBuilder program;
  emitTileLoop(program, "forward", "next_rows", "rows_done", "forward_step",
               prefillTile, /*positions=*/false);

  Codegen codegen(forward, config, shared, program, "forward", prefillTile);
  if (failed(codegen.run("forward_step")))
    return failure();
  return finishModel(shared, program, weights.getInt());
}
