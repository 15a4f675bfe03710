//===- LambdaAttention.cpp - accel-lambda-attention -----------------------===//
//
// Turns the whole-sequence attention of a raised decoder into what the engine
// runs: Λ-attention prefill tiled into bounded key bands, and a one-token
// decode function over a bounded KV cache (a ring buffer for the window),
// with RoPE positions absolute or within the cache (AccelPasses.td).
//
//===----------------------------------------------------------------------===//

#include "RopeTable.h"

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

namespace accel {
#define GEN_PASS_DEF_LAMBDAATTENTION
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::compression;

namespace {

/// The largest max-context: 2^20 positions (a LLaMA-7B RoPE table of that
/// many rows is 512 MiB).
constexpr int64_t kMaxContext = int64_t(1) << 20;

/// How one attention op takes its RoPE under `rope-positions=cache`: the
/// pre-RoPE query and key and the rope ops' tables and style.
struct RankRope {
  RopeOp query, key;
};

/// What the pass knows of one attention op of the main function.
struct Layer {
  AttentionOp op;
  std::optional<RankRope> rankRope; ///< set under `rope-positions=cache`
  int64_t slots = 0;                ///< cache slots C
};

/// The function a module runs: `main_graph` if there is one, else the only
/// function.
func::FuncOp mainFunction(ModuleOp module) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main_graph"))
    return main;
  auto funcs = module.getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) == 1)
    return *funcs.begin();
  return {};
}

/// Replaces the sequence dimension (1) of an activation type by `length`.
Type withSequence(Type type, int64_t sequence, int64_t length) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getRank() < 2 || tensor.getDimSize(1) != sequence)
    return type;
  SmallVector<int64_t> shape(tensor.getShape());
  shape[1] = length;
  return tensor.clone(shape);
}

class LambdaAttentionPass
    : public accel::impl::LambdaAttentionBase<LambdaAttentionPass> {
public:
  using LambdaAttentionBase::LambdaAttentionBase;

  void runOnOperation() override;

private:
  LogicalResult checkOptions();
  LogicalResult collectLayers(func::FuncOp main);
  LogicalResult prepareTables(func::FuncOp main);
  FailureOr<Value> tableConstant(OpBuilder &builder, RopeOp rope, bool cos,
                                 int64_t rows);
  LogicalResult buildDecode(func::FuncOp main);
  LogicalResult cloneForDecode(OpBuilder &builder, Operation &op,
                               IRMapping &mapping, Value position,
                               SmallVectorImpl<Value> &caches,
                               ValueRange cacheArgs);
  void tilePrefill(func::FuncOp main);
  Value tileAttention(OpBuilder &builder, Layer &layer);
  void returnPrefillCaches(func::FuncOp main);

  bool cacheMode() const { return ropePositions == "cache"; }

  SmallVector<Layer> layers;
  int64_t sequence = 0, batch = 0;
  /// Extended tables per (rope op table value, rows), created on demand.
  llvm::DenseMap<std::pair<Value, int64_t>, RopeTable> tables;
  llvm::DenseMap<std::pair<Value, int64_t>, Value> tableValues;
  /// The decode step's row of each extended table, at its position.
  llvm::DenseMap<Value, Value> positionRows;
  /// The decode step's position as an i64.
  Value positionI64;
  /// The positions the decode step can take are 0 .. maxPositions - 1
  /// (bounded by the tables and caches it reads; none: unbounded).
  std::optional<int64_t> maxPositions;
  void boundPositions(int64_t count) {
    maxPositions = std::min(maxPositions.value_or(count), count);
  }
};

LogicalResult LambdaAttentionPass::checkOptions() {
  ModuleOp module = getOperation();
  // Errors name the option (a driver names its own that sets it).
  auto bad = [&](StringRef option) {
    return emitError(module.getLoc(), "accel-lambda-attention: ")
           << optionReference(option);
  };
  if (ropePositions != "absolute" && ropePositions != "cache")
    return bad("rope-positions") << " must be `absolute` or `cache`, got '"
                                 << ropePositions << "'";
  if (window < 0 || sink < 0)
    return emitError(module.getLoc(),
                     "accel-lambda-attention: sink and window must be >= 0");
  if (window > 0 && failed(LambdaAttr::verify(
                        [&] { return emitError(module.getLoc()); }, sink,
                        window)))
    return failure();
  if (tile <= 0)
    return bad("tile") << " must be > 0, got " << tile.getValue();
  // The RoPE table and the caches get max-context rows: a bound keeps an
  // absurd value an error rather than an allocation that cannot succeed.
  if (maxContext <= 0 || maxContext > kMaxContext)
    return bad("max-context") << " must be in 1.." << kMaxContext << ", got "
                              << maxContext.getValue();
  return success();
}

LogicalResult LambdaAttentionPass::collectLayers(func::FuncOp main) {
  MLIRContext *context = &getContext();
  WalkResult walk = main.walk([&](AttentionOp op) {
    if (op.getPastKey()) {
      op.emitError("attention already takes past keys and values; "
                   "accel-lambda-attention derives the KV cache from a "
                   "whole-sequence graph (export without past_key_values)");
      return WalkResult::interrupt();
    }
    if (window > 0 && op.getCausal() && !op.getLambdaAttr())
      op.setLambdaAttr(LambdaAttr::get(context, sink, window));
    auto query = op.getQuery().getType();
    if (query.isDynamicDim(0) || query.isDynamicDim(1)) {
      op.emitError("attention needs a static batch and sequence length, got ")
          << query << " (give them sizes: "
          << optionReference("dim", "the import")
          << ", e.g. batch=1,sequence=128)";
      return WalkResult::interrupt();
    }
    if (!layers.empty() && (query.getDimSize(1) != sequence ||
                            query.getDimSize(0) != batch)) {
      op.emitError("attention layers disagree on the batch or sequence "
                   "length: ")
          << query << " vs [" << batch << ", " << sequence << ", ...]";
      return WalkResult::interrupt();
    }
    batch = query.getDimSize(0);
    sequence = query.getDimSize(1);
    Layer layer{op, std::nullopt, 0};
    LambdaAttr lambda = op.getLambdaAttr();
    if (lambda) {
      layer.slots = lambda.getSpan();
    } else {
      layer.slots = maxContext;
      boundPositions(maxContext);
      if (decode && op.getCausal() && sequence > maxContext) {
        op.emitError("the prompt (")
            << sequence << " tokens) does not fit a cache of max-context = "
            << maxContext.getValue() << " slots";
        return WalkResult::interrupt();
      }
    }
    if (cacheMode() && lambda) {
      auto queryRope = op.getQuery().getDefiningOp<RopeOp>();
      auto keyRope = op.getKey().getDefiningOp<RopeOp>();
      if (bool(queryRope) != bool(keyRope) ||
          (queryRope && (queryRope.getCos() != keyRope.getCos() ||
                         queryRope.getSin() != keyRope.getSin() ||
                         queryRope.getStyle() != keyRope.getStyle()))) {
        op.emitError("rope-positions=cache needs the query and the key "
                     "rotated by one accel.rope table (or neither)");
        return WalkResult::interrupt();
      }
      if (queryRope && (!queryRope->hasOneUse() || !keyRope->hasOneUse())) {
        op.emitError("rope-positions=cache moves RoPE into the attention, "
                     "but the rotated query or key has other users");
        return WalkResult::interrupt();
      }
      if (queryRope)
        layer.rankRope = RankRope{queryRope, keyRope};
    }
    layers.push_back(layer);
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult LambdaAttentionPass::prepareTables(func::FuncOp main) {
  auto extend = [&](RopeOp rope, int64_t rows) -> LogicalResult {
    auto key = std::make_pair(rope.getCos(), rows);
    if (tables.count(key))
      return success();
    llvm::Expected<RopeTable> table =
        extendRopeTable(rope.getCos(), rope.getSin(), rows);
    if (!table)
      return rope.emitError(llvm::toString(table.takeError()));
    tables.try_emplace(key, std::move(*table));
    return success();
  };
  for (Layer &layer : layers)
    if (layer.rankRope &&
        failed(extend(layer.rankRope->query, layer.op.getLambdaAttr().getSpan())))
      return failure();
  if (!decode)
    return success();
  // The decode step reads the row of its absolute position from every rope
  // that stays a rope.
  WalkResult walk = main.walk([&](RopeOp rope) {
    bool movedIntoAttention = llvm::any_of(layers, [&](const Layer &layer) {
      return layer.rankRope && (layer.rankRope->query == rope ||
                                layer.rankRope->key == rope);
    });
    if (movedIntoAttention)
      return WalkResult::advance();
    return failed(extend(rope, std::max(sequence, maxContext.getValue())))
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// The extended table of `rope` with `rows` rows as a constant, created once
/// at the start of the function `builder` inserts into.
FailureOr<Value> LambdaAttentionPass::tableConstant(OpBuilder &builder,
                                                    RopeOp rope, bool cos,
                                                    int64_t rows) {
  auto tableIt = tables.find(std::make_pair(rope.getCos(), rows));
  if (tableIt == tables.end())
    return rope.emitError("internal error: no extended RoPE table");
  Block *block = builder.getInsertionBlock();
  auto key = std::make_pair(cos ? rope.getCos() : rope.getSin(), rows);
  if (Value value = tableValues.lookup(key);
      value && value.getParentBlock() == block)
    return value;
  const RopeTable &table = tableIt->second;
  auto type = RankedTensorType::get({table.rows, table.rotary},
                                    builder.getF32Type());
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(block);
  Value value = builder.create<arith::ConstantOp>(
      rope.getLoc(),
      DenseElementsAttr::get(type, llvm::ArrayRef<float>(cos ? table.cos
                                                             : table.sin)));
  tableValues[key] = value;
  return value;
}

//===----------------------------------------------------------------------===//
// Decode: the main function at one token, over bounded caches
//===----------------------------------------------------------------------===//

LogicalResult LambdaAttentionPass::buildDecode(func::FuncOp main) {
  MLIRContext *context = &getContext();
  OpBuilder builder(context);
  builder.setInsertionPointAfter(main);
  Location loc = main.getLoc();

  SmallVector<Type> argTypes, resultTypes;
  SmallVector<DictionaryAttr> argAttrs, resultAttrs;
  auto named = [&](StringRef name) {
    return builder.getDictionaryAttr(
        builder.getNamedAttr("onnx.name", builder.getStringAttr(name)));
  };
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    argTypes.push_back(withSequence(main.getArgumentTypes()[i], sequence, 1));
    argAttrs.push_back(main.getArgAttrDict(i) ? main.getArgAttrDict(i)
                                              : DictionaryAttr::get(context));
  }
  unsigned positionArg = argTypes.size();
  argTypes.push_back(RankedTensorType::get({}, builder.getI64Type()));
  argAttrs.push_back(named("position"));
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    resultTypes.push_back(withSequence(main.getResultTypes()[i], sequence, 1));
    resultAttrs.push_back(main.getResultAttrDict(i)
                              ? main.getResultAttrDict(i)
                              : DictionaryAttr::get(context));
  }
  for (auto [index, layer] : llvm::enumerate(layers)) {
    auto kv = layer.op.getKey().getType();
    auto cacheType = RankedTensorType::get(
        {batch, layer.slots, kv.getDimSize(2)}, kv.getElementType());
    for (StringRef kind : {"key_cache.", "value_cache."}) {
      argTypes.push_back(cacheType);
      argAttrs.push_back(named((kind + Twine(index)).str()));
      resultTypes.push_back(cacheType);
      resultAttrs.push_back(named((kind + Twine(index)).str()));
    }
  }

  auto fn = builder.create<func::FuncOp>(
      loc, (main.getSymName() + "_decode").str(),
      builder.getFunctionType(argTypes, resultTypes));
  fn.setAllArgAttrs(argAttrs);
  fn.setAllResultAttrs(resultAttrs);
  fn->setAttr("accel.entry", builder.getStringAttr("decode"));
  Block *entry = fn.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  IRMapping mapping;
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    mapping.map(main.getArgument(i), entry->getArgument(i));
  positionI64 = builder.create<tensor::ExtractOp>(
      loc, entry->getArgument(positionArg), ValueRange{});
  Value position = builder.create<arith::IndexCastOp>(
      loc, builder.getIndexType(), positionI64);
  ValueRange cacheArgs = entry->getArguments().drop_front(positionArg + 1);

  SmallVector<Value> caches;
  for (Operation &op : main.getBody().front())
    if (failed(cloneForDecode(builder, op, mapping, position, caches,
                              cacheArgs)))
      return failure();
  // The main function's constants that only its whole-sequence ops used.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*entry)))
    if (isOpTriviallyDead(&op))
      op.erase();
  if (failed(verify(fn)))
    return failure();
  if (maxPositions)
    fn->setAttr("accel.max_positions",
                builder.getI64IntegerAttr(*maxPositions));
  main->setAttr("accel.entry", builder.getStringAttr("prefill"));
  return success();
}

LogicalResult LambdaAttentionPass::cloneForDecode(
    OpBuilder &builder, Operation &op, IRMapping &mapping, Value position,
    SmallVectorImpl<Value> &caches, ValueRange cacheArgs) {
  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    SmallVector<Value> results;
    for (Value operand : ret.getOperands())
      results.push_back(mapping.lookup(operand));
    results.append(caches.begin(), caches.end());
    builder.create<func::ReturnOp>(ret.getLoc(), results);
    return success();
  }
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    // A constant of one value whose type has the sequence dimension takes
    // the step's one row, as the ops that read it do: its values do not
    // depend on the row. A weight (a linear's weight, scales, zero points or
    // bias, an embedding's table) keeps its shape, whatever its sizes.
    auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
    auto type = dyn_cast<RankedTensorType>(
        withSequence(constant.getType(), sequence, 1));
    Value value = constant.getResult();
    bool weight = llvm::any_of(constant->getUsers(), [&](Operation *user) {
      if (auto linear = dyn_cast<LinearOp>(user))
        return linear.getWeight() == value || linear.getScales() == value ||
               linear.getZeroPoints() == value || linear.getBias() == value;
      if (auto embedding = dyn_cast<EmbeddingOp>(user))
        return embedding.getTable() == value;
      return false;
    });
    if (splat && type && type != constant.getType() && !weight) {
      mapping.map(value, builder.create<arith::ConstantOp>(
                             constant.getLoc(),
                             SplatElementsAttr::get(
                                 type, splat.getSplatValue<Attribute>())));
      return success();
    }
    builder.clone(op, mapping);
    return success();
  }
  // Learned positions (GPT-2): an embedding of the constant ids 0 .. T-1 is
  // the embedding of the step's position.
  if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
    if (auto ids = embedding.getIds().getDefiningOp<arith::ConstantOp>()) {
      auto values = dyn_cast<DenseIntElementsAttr>(ids.getValue());
      auto idsType = embedding.getIds().getType();
      bool positions = values && idsType.getRank() == 2 &&
                       idsType.getDimSize(1) == sequence;
      if (positions)
        for (auto [i, v] : llvm::enumerate(values.getValues<APInt>()))
          positions = positions && v.getSExtValue() == int64_t(i) % sequence;
      if (!positions)
        return op.emitError("cannot derive the decode step: an embedding of "
                            "constant ids that are not the positions 0 .. ")
               << sequence - 1;
      Value position = positionI64;
      if (!idsType.getElementType().isInteger(64))
        position = builder.create<arith::TruncIOp>(
            op.getLoc(), idsType.getElementType(), position);
      boundPositions(
          cast<ShapedType>(embedding.getTable().getType()).getDimSize(0));
      Value splat = builder.create<tensor::SplatOp>(
          op.getLoc(), position,
          RankedTensorType::get({idsType.getDimSize(0), 1},
                                idsType.getElementType()));
      Value rows = builder.create<EmbeddingOp>(
          op.getLoc(), withSequence(embedding.getType(), sequence, 1), splat,
          mapping.lookup(embedding.getTable()));
      mapping.map(embedding.getResult(), rows);
      return success();
    }
  }
  Layer *layer = nullptr;
  for (Layer &candidate : layers)
    if (candidate.op.getOperation() == &op)
      layer = &candidate;
  if (auto rope = dyn_cast<RopeOp>(op)) {
    bool moved = llvm::any_of(layers, [&](const Layer &l) {
      return l.rankRope &&
             (l.rankRope->query == rope || l.rankRope->key == rope);
    });
    if (moved) {
      mapping.map(rope.getResult(), mapping.lookup(rope.getInput()));
      return success();
    }
    int64_t rows = std::max(sequence, maxContext.getValue());
    boundPositions(rows);
    FailureOr<Value> cos = tableConstant(builder, rope, true, rows);
    FailureOr<Value> sin = tableConstant(builder, rope, false, rows);
    if (failed(cos) || failed(sin))
      return failure();
    auto rowOf = [&](Value table) {
      Value &row = positionRows[table];
      if (row)
        return row;
      int64_t rotary = cast<RankedTensorType>(table.getType()).getDimSize(1);
      SmallVector<OpFoldResult> offsets = {position, builder.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1),
                                         builder.getIndexAttr(rotary)};
      SmallVector<OpFoldResult> strides(2, builder.getIndexAttr(1));
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointAfterValue(position);
      row = builder.create<tensor::ExtractSliceOp>(rope.getLoc(), table,
                                                   offsets, sizes, strides);
      return row;
    };
    Value input = mapping.lookup(rope.getInput());
    Value rotated = builder.create<RopeOp>(
        rope.getLoc(), input.getType(), rope.getStyleAttr(), input,
        rowOf(*cos), rowOf(*sin), rope.getNumHeadsAttr());
    mapping.map(rope.getResult(), rotated);
    return success();
  }
  if (layer) {
    AttentionOp attention = layer->op;
    if (!attention.getCausal())
      return attention.emitError(
          "a decode step needs causal attention; this attention is not");
    unsigned index = caches.size() / 2;
    Location loc = attention.getLoc();
    LambdaAttr lambda = attention.getLambdaAttr();
    Value key = mapping.lookup(attention.getKey());
    Value value = mapping.lookup(attention.getValue());
    Value keyCache = builder.create<KVCacheWriteOp>(
        loc, cacheArgs[2 * index].getType(), cacheArgs[2 * index], key,
        position, lambda);
    Value valueCache = builder.create<KVCacheWriteOp>(
        loc, cacheArgs[2 * index + 1].getType(), cacheArgs[2 * index + 1],
        value, position, lambda);
    Value cos, sin;
    RopeStyleAttr style;
    if (layer->rankRope) {
      RopeOp rope = layer->rankRope->query;
      FailureOr<Value> c =
          tableConstant(builder, rope, true, lambda.getSpan());
      FailureOr<Value> s =
          tableConstant(builder, rope, false, lambda.getSpan());
      if (failed(c) || failed(s))
        return failure();
      cos = *c, sin = *s;
      style = rope.getStyleAttr();
    }
    Value query = mapping.lookup(attention.getQuery());
    Value out = builder.create<CacheAttentionOp>(
        loc, query.getType(), query, keyCache, valueCache, position, cos, sin,
        attention.getNumHeadsAttr(), attention.getNumKvHeadsAttr(),
        attention.getScaleAttr(), lambda, attention.getKvQuantAttr(), style,
        attention.getInt8AttentionAttr());
    mapping.map(attention.getResult(), out);
    caches.push_back(keyCache);
    caches.push_back(valueCache);
    return success();
  }
  bool elementwise = isa<arith::ArithDialect>(op.getDialect()) &&
                     op.getNumRegions() == 0;
  if (!isa<AccelDialect>(op.getDialect()) && !elementwise &&
      !isa<tensor::CastOp>(op))
    return op.emitError("cannot derive the decode step: '")
           << op.getName()
           << "' was not raised to accel ops (the decode step is built "
              "from accel ops, arith element-wise ops and constants)";
  Operation *clone = builder.clone(op, mapping);
  for (OpResult result : clone->getResults())
    result.setType(withSequence(result.getType(), sequence, 1));
  return success();
}

//===----------------------------------------------------------------------===//
// Prefill: Λ attention tiled into key bands; the caches the prompt leaves
//===----------------------------------------------------------------------===//

/// `[B, size, E]` rows of `source` from `offset` along the sequence.
Value sliceRows(OpBuilder &builder, Location loc, Value source,
                OpFoldResult offset, int64_t size) {
  auto type = cast<RankedTensorType>(source.getType());
  if (size == type.getDimSize(1) && isConstantIntValue(offset, 0))
    return source;
  SmallVector<OpFoldResult> offsets = {builder.getIndexAttr(0), offset,
                                       builder.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(type.getDimSize(0)),
                                     builder.getIndexAttr(size),
                                     builder.getIndexAttr(type.getDimSize(2))};
  SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
  return builder.create<tensor::ExtractSliceOp>(loc, source, offsets, sizes,
                                                strides);
}

Value LambdaAttentionPass::tileAttention(OpBuilder &builder, Layer &layer) {
  AttentionOp attention = layer.op;
  Location loc = attention.getLoc();
  LambdaAttr lambda = attention.getLambdaAttr();
  Value query = attention.getQuery(), key = attention.getKey(),
        value = attention.getValue();
  Value cos, sin;
  RopeStyleAttr style;
  if (layer.rankRope) {
    query = layer.rankRope->query.getInput();
    key = layer.rankRope->key.getInput();
    cos = *tableConstant(builder, layer.rankRope->query, true,
                         lambda.getSpan());
    sin = *tableConstant(builder, layer.rankRope->query, false,
                         lambda.getSpan());
    style = layer.rankRope->query.getStyleAttr();
  }
  int64_t rows = std::min<int64_t>(tile, sequence);
  // The keys a tile of `rows` queries may see in its window, and the sinks
  // before that band.
  int64_t band = std::min<int64_t>(sequence, rows + lambda.getWindow() - 1);
  int64_t sinkRows = band < sequence ? std::min(lambda.getSink(), sequence) : 0;
  Value sinkKey, sinkValue;
  if (sinkRows > 0) {
    sinkKey = sliceRows(builder, loc, key, builder.getIndexAttr(0), sinkRows);
    sinkValue =
        sliceRows(builder, loc, value, builder.getIndexAttr(0), sinkRows);
  }
  auto queryType = cast<RankedTensorType>(query.getType());

  // One tile of `size` queries from `start`.
  auto emitTile = [&](OpBuilder &b, Value start, int64_t size) -> Value {
    Value windowStart = b.createOrFold<arith::SubIOp>(
        loc, start,
        b.create<arith::ConstantIndexOp>(loc, lambda.getWindow() - 1));
    Value keyStart = b.createOrFold<arith::MinSIOp>(
        loc,
        b.createOrFold<arith::MaxSIOp>(
            loc, windowStart, b.create<arith::ConstantIndexOp>(loc, 0)),
        b.create<arith::ConstantIndexOp>(loc, sequence - band));
    Value queries = sliceRows(b, loc, query, start, size);
    Value keys = sliceRows(b, loc, key, keyStart, band);
    Value values = sliceRows(b, loc, value, keyStart, band);
    return b.create<BandAttentionOp>(
        loc, cast<RankedTensorType>(queries.getType()), queries, start, keys,
        values, keyStart, sinkKey, sinkValue, cos, sin,
        attention.getNumHeadsAttr(), attention.getNumKvHeadsAttr(),
        attention.getScaleAttr(), lambda, attention.getKvQuantAttr(), style,
        attention.getInt8AttentionAttr());
  };
  auto insertRows = [&](OpBuilder &b, Value tileResult, Value into,
                        Value start, int64_t size) -> Value {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), start,
                                         b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        b.getIndexAttr(batch), b.getIndexAttr(size),
        b.getIndexAttr(queryType.getDimSize(2))};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return b.create<tensor::InsertSliceOp>(loc, tileResult, into, offsets,
                                           sizes, strides);
  };

  if (sequence <= rows)
    return emitTile(builder, builder.create<arith::ConstantIndexOp>(loc, 0),
                    sequence);
  int64_t full = sequence / rows * rows, tail = sequence - full;
  Value result = builder.create<tensor::EmptyOp>(
      loc, queryType.getShape(), queryType.getElementType());
  auto loop = builder.create<scf::ForOp>(
      loc, builder.create<arith::ConstantIndexOp>(loc, 0),
      builder.create<arith::ConstantIndexOp>(loc, full),
      builder.create<arith::ConstantIndexOp>(loc, rows), ValueRange{result},
      [&](OpBuilder &b, Location, Value start, ValueRange carried) {
        Value out = emitTile(b, start, rows);
        b.create<scf::YieldOp>(
            loc, insertRows(b, out, carried.front(), start, rows));
      });
  result = loop.getResult(0);
  if (tail > 0) {
    Value start = builder.create<arith::ConstantIndexOp>(loc, full);
    result = insertRows(builder, emitTile(builder, start, tail), result, start,
                        tail);
  }
  return result;
}

void LambdaAttentionPass::tilePrefill(func::FuncOp main) {
  OpBuilder builder(&getContext());
  for (Layer &layer : layers) {
    if (!layer.op.getLambdaAttr())
      continue;
    builder.setInsertionPoint(layer.op);
    Value tiled = tileAttention(builder, layer);
    layer.op.getResult().replaceAllUsesWith(tiled);
  }
}

void LambdaAttentionPass::returnPrefillCaches(func::FuncOp main) {
  MLIRContext *context = &getContext();
  OpBuilder builder(context);
  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    resultAttrs.push_back(main.getResultAttrDict(i)
                              ? main.getResultAttrDict(i)
                              : DictionaryAttr::get(context));
  builder.setInsertionPoint(ret);
  Value zero;
  for (auto [index, layer] : llvm::enumerate(layers)) {
    AttentionOp attention = layer.op;
    Location loc = attention.getLoc();
    if (!zero)
      zero = builder.create<arith::ConstantIndexOp>(loc, 0);
    auto kv = attention.getKey().getType();
    auto cacheType = RankedTensorType::get(
        {batch, layer.slots, kv.getDimSize(2)}, kv.getElementType());
    Value empty = builder.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(cacheType,
                                    builder.getZeroAttr(kv.getElementType())));
    Value key = layer.rankRope ? layer.rankRope->key.getInput()
                               : attention.getKey();
    for (auto [kind, rows] : {std::pair<StringRef, Value>{"key_cache.", key},
                              {"value_cache.", attention.getValue()}}) {
      results.push_back(builder.create<KVCacheWriteOp>(
          loc, cacheType, empty, rows, zero, attention.getLambdaAttr()));
      resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
          "onnx.name", builder.getStringAttr((kind + Twine(index)).str()))));
    }
  }
  builder.create<func::ReturnOp>(ret.getLoc(), results);
  ret.erase();
  SmallVector<Type> types;
  for (Value result : results)
    types.push_back(result.getType());
  main.setType(builder.getFunctionType(main.getArgumentTypes(), types));
  main.setAllResultAttrs(resultAttrs);
}

void LambdaAttentionPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(checkOptions()))
    return signalPassFailure();
  func::FuncOp main = mainFunction(module);
  if (!main || main.isExternal()) {
    emitError(module.getLoc(),
              "accel-lambda-attention: the module has no main_graph function "
              "nor a single function to work on");
    return signalPassFailure();
  }
  if (failed(collectLayers(main)) || failed(prepareTables(main)))
    return signalPassFailure();
  if (layers.empty()) {
    main.emitError("accel-lambda-attention: '")
        << main.getSymName()
        << "' has no accel.attention to work on (attention that "
           "accel-raise-onnx could not raise stays ONNX ops; see its "
           "warnings)";
    return signalPassFailure();
  }
  if (decode && failed(buildDecode(main)))
    return signalPassFailure();
  tilePrefill(main);
  if (decode)
    returnPrefillCaches(main);
  // The whole-sequence attention ops, and under rope-positions=cache the
  // ropes whose work moved into the attention, are dead now.
  for (Layer &layer : layers) {
    if (layer.op.getLambdaAttr() && layer.op->use_empty())
      layer.op.erase();
    if (layer.rankRope) {
      for (RopeOp rope : {layer.rankRope->query, layer.rankRope->key})
        if (rope->use_empty())
          rope.erase();
    }
  }
}

} // namespace
