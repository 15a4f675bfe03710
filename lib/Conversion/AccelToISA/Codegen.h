//===- Codegen.h - the step of a decoder as engine code ---------*- C++ -*-===//
//
// Internal to the accel -> ISA lowering. The code generator turns the
// one-token decode function into a *step*: engine code that runs the model
// over `rows` consecutive tokens of a call (1 <= rows <= the step's tile, a
// count in r11) at positions r6, r6 + 1, ..., reading their ids from io and
// leaving the logits of the last one. It is generated twice: a decode step
// of one row (matrix-vector mode) and a prefill step of a tile of rows
// (matrix-matrix mode); both share one HBM placement. Codegen.cpp holds the
// driver, CodegenOps.cpp the token-wise ops, CodegenAttention.cpp the KV
// cache and attention (CodegenAttentionStream.cpp: over a cache streamed
// through the kv buffer).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_CONVERSION_ACCELTOISA_CODEGEN_H
#define ACCEL_LIB_CONVERSION_ACCELTOISA_CODEGEN_H

#include "AttentionLayout.h"
#include "DecodeCodegen.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace accel::lowering::detail {

/// The fp32 bits of `value`'s every element when it is an fp32 splat
/// constant.
std::optional<uint32_t> splatBits(mlir::Value value);

using isa::Buffer;
using isa::Opcode;

/// Registers (docs/ISA.md §7 gives r1..r7 at entry). The step keeps r3, r7
/// and r8..r15; scratch registers r16..r31 live only until the next
/// instruction that reads them.
constexpr unsigned kWeights = 1, kKv = 2, kIo = 4, kTokens = 5,
                   kPosition = 6;
constexpr unsigned kLink = 8, kTokenId = 9, kFirstToken = 10, kRows = 11,
                   kLayerBase = 12, kQuery = 13, kSinkKeys = 14,
                   kWindowKeys = 15, kWindowAt = 3, kQueryAt = 7;
/// A streamed attention's registers across its chunk loops: the chunk's
/// first position and its record count (a query's key count n is in
/// kWindowKeys).
constexpr unsigned kChunkAt = kSinkKeys, kChunkKeys = kWindowAt;
/// The head a streamed fp32 attention's head loop is at (the embedding's
/// token id register, free during attention).
constexpr unsigned kHead = kTokenId;
/// The query's rank (RoPE by rank) across the heads of an attention that
/// loads its cache whole (the same register, free during attention).
constexpr unsigned kQueryRank = kTokenId;
/// A streamed attention's pass (its first head): kLayerBase, which it
/// restates when done (its records' index base, chunk - r6).
constexpr unsigned kPass = kLayerBase;

inline unsigned space(Buffer buffer) { return static_cast<unsigned>(buffer); }

/// A value's home on chip: `bytes` per row, the step's rows one after the
/// other from `offset` (accel-allocate-buffers' #accel.homes).
struct Home {
  Buffer buffer;
  int64_t offset, bytes;
};

/// The bits of the fp32 scale of `op`'s scores.
uint32_t scaleBits(CacheAttentionOp op);

/// The f32 values of a constant.
mlir::FailureOr<std::vector<float>> constantFloats(mlir::Operation *user,
                                                   mlir::Value value);
/// Calls `row(r, values)` for each row r of the 2-D constant `value` in f32
/// (reference::forEachFloatRow: a blob a row at a time, so that an
/// embedding table is never whole in f32 beside its f16 blob).
mlir::LogicalResult
forEachConstantRow(mlir::Operation *user, mlir::Value value,
                   llvm::function_ref<void(int64_t, llvm::ArrayRef<float>)> row);

/// What the two steps share: the HBM placement (read from accel-place-hbm's
/// attributes) and the parameter blob.
struct SharedPlacement {
  LoweredModel model;
  llvm::DenseMap<mlir::Value, int64_t> paramOffsets, paramChannels;
  llvm::DenseMap<mlir::Operation *, TiledMatrix> matrices;
  llvm::DenseMap<mlir::Operation *, StripedRows> tables;
  llvm::DenseMap<mlir::Value, CacheLayout> caches;
  /// The RoPE tables by rank already in the parameter blob.
  llvm::DenseSet<mlir::Operation *> rankTables;
  /// accel-place-hbm's kv_records_per_row bound (accel.hbm_regions), read
  /// by the first moveRecords.
  std::optional<int64_t> kvRecordsMost;
  /// The attention subroutines of the steps that call them (Codegen::run's
  /// `back`), one for each distinct body, until placed after the steps.
  struct Subroutine {
    std::string name;
    std::vector<Emitted> code;
  };
  std::vector<Subroutine> subroutines;
};

/// An instruction with `fields` set (the others 0).
isa::Instruction
instruction(Opcode opcode,
            llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> fields);

/// The entry point `entry` (ISA §7): the r5 rows from r10 = 0, a tile of
/// at most `tile` rows (r11) at a time, each a call of `step` (at the label
/// `loop`; `done` halts); with `positions`, r6 advances with the rows.
/// With `back`, the step is entered by `jmp` and returns to that label.
void emitTileLoop(ProgramBuilder &program, llvm::StringRef entry,
                  llvm::StringRef loop, llvm::StringRef done,
                  llvm::StringRef step, int64_t tile, bool positions,
                  llvm::StringRef back = {});

/// The lowered model: `shared`'s, with `program`'s code, the matrices in
/// weight image order and a weights region of `weightsBytes`.
LoweredModel finishModel(SharedPlacement &shared, ProgramBuilder &program,
                         int64_t weightsBytes);

/// A run of a streamed query's key (or value) records in the kv buffer:
/// `count` (a register kept across its instructions) records from the
/// address `records()` makes, the first being key `key()` of the query's
/// row of n (registers made again at each use); `own`: the query's own,
/// the last run.
struct StreamRun {
  llvm::function_ref<unsigned()> records, key;
  unsigned count;
  bool own;
};

class Codegen {
public:
  /// The step `step` ("decode", "prefill" or "forward", the accel.act entry
  /// it reads) of `tile` rows of the function `decode`.
  Codegen(mlir::func::FuncOp decode, const hw::Config &config,
          SharedPlacement &shared, ProgramBuilder &program,
          llvm::StringRef step, int64_t tile)
      : decode(decode), config(config), shared(shared), program(program),
        step(step), tile(tile) {}

  /// Emits the step at the label `name`; it returns by `jr r8`, or with
  /// `back` (for a program that would not fit the instruction memory) by a
  /// jump to that label, its attention layers calling subroutines with
  /// `jal r8` (callAttention).
  mlir::LogicalResult run(llvm::StringRef name, llvm::StringRef back = {});

private:
  /// hbm.channels: what tiles, stripes and parameters rotate over.
  int64_t hbmChannels() const { return shared.model.channels; }
  isa::Instruction make(Opcode opcode) {
    return isa::Instruction::create(opcode);
  }
  void alu(Opcode opcode, unsigned rd, unsigned rs1, unsigned rs2);
  void aluImm(Opcode opcode, unsigned rd, unsigned rs1, int64_t imm);
  /// A DMA of `rows` rows of `len` bytes (docs/ISA.md §5.1); the on-chip
  /// address is `onChipReg` + `onChip`, or the constant `onChip`.
  void dma(Opcode opcode, Buffer buffer, int64_t onChip, unsigned hbmReg,
           int64_t channel, int64_t channels, unsigned rowsReg,
           int64_t rowsImm, int64_t len, int64_t hstride, int64_t sstride,
           unsigned onChipReg = 0);
  /// A scratch register holding rows × `factor`.
  unsigned rowsTimes(int64_t factor);
  /// `bytes` of the scratch buffer's staging area (reused round robin).
  int64_t stage(int64_t bytes);
  void setAttention(const CacheLayout &cache);
  /// One instruction of each data unit that accesses nothing, where
  /// accel-insert-tokens puts the tokens of a call's boundary: a `load` and
  /// a `store` of no rows, an `mcfg` (each linear sets its own) and the
  /// `vaset` of `cache`.
  void tokenSlots(const CacheLayout &cache);
  mlir::FailureOr<Home> homeOf(mlir::Value value);
  /// accel-allocate-buffers' homes of `op` in this step.
  mlir::FailureOr<HomesAttr> homesOf(mlir::Operation *op);
  /// The home of `bytes` per row at `offset`, a slot of `homesOf(op)`; an
  /// error at `op` if the slot is empty (-1).
  mlir::FailureOr<Home> slot(mlir::Operation *op, int64_t offset,
                             int64_t bytes);
  /// `value`'s home: its op's result slot, `bytes` per row.
  mlir::FailureOr<Home> define(mlir::Value value, int64_t bytes);
  /// accel-place-hbm's placement of the data `holder` carries, which `user`
  /// reads; an error at `user` if there is none or it does not fit.
  mlir::FailureOr<HbmAttr> placementOf(mlir::Operation *user,
                                       mlir::Operation *holder);
  /// Appends `bytes` of zeros to the parameter blob, to be copied to
  /// `offset` of the weights region in `channel`; where they start.
  int64_t reserveParams(int64_t bytes, int64_t channel, int64_t offset);
  /// reserveParams, filled with `data`.
  void copyParams(const void *data, int64_t bytes, int64_t channel,
                  int64_t offset);
  /// Copies the constant `value` into the blob (once), where its placement
  /// says (paramOffsets, paramChannels).
  mlir::LogicalResult placeParam(mlir::Operation *user, mlir::Value value);
  /// Where accel-allocate-buffers put the `index`th parameter `op` loads
  /// in the prm buffer (accel.prm) in this step.
  mlir::FailureOr<int64_t> prmOf(mlir::Operation *op, unsigned index);
  /// Loads the constant `value`, the `index`th parameter `user` loads, into
  /// the prm buffer; returns where.
  mlir::FailureOr<int64_t> loadParam(mlir::Operation *user, mlir::Value value,
                                     unsigned index);

  mlir::LogicalResult lowerEmbedding(EmbeddingOp op);
  mlir::LogicalResult lowerNorm(mlir::Operation *op, mlir::Value input,
                                mlir::Value weight, mlir::Value bias,
                                float epsilon, bool centered);
  mlir::LogicalResult lowerLinear(LinearOp op);
  mlir::LogicalResult lowerRope(RopeOp op);
  mlir::LogicalResult lowerAttention(CacheAttentionOp op);
  mlir::LogicalResult lowerActivation(ActivationOp op);
  mlir::LogicalResult lowerArith(mlir::Operation *op);
  mlir::LogicalResult lowerReturn(mlir::func::ReturnOp op);
  /// A forward step (CodegenForward.cpp): loads the tile's rows of the fp32
  /// inputs from the io region into their homes (accel.act of the
  /// arguments).
  mlir::LogicalResult loadInputs();
  /// A forward step's return: stores the tile's rows of every output.
  mlir::LogicalResult storeOutputs(mlir::func::ReturnOp op);
  /// The step's end: a barrier, then back to the entry (`jr` of the link
  /// register, or `jmp` to the shared steps' return label).
  void endStep();
  /// Moves the tile's r11 rows of `home` between the act buffer and the
  /// packed rows at `ioOffset` of the io region (row r10 first).
  void moveRows(Opcode opcode, const Home &home, int64_t ioOffset);
  /// The prefill step's output tail, as accel-tile marked it: the row-wise
  /// ops only the logits need (the final norm and the LM head), and the one
  /// activation they read.
  mlir::LogicalResult findOutputTail(mlir::Block &body);
  /// Enters the tail: the prompt's last tile goes on with its last row
  /// alone (r11 = 1), every other tile skips to the step's end.
  mlir::LogicalResult enterOutputTail();
  mlir::FailureOr<CacheLayout *> cacheOf(CacheAttentionOp attention);
  /// lowerAttention's code after the RoPE tables (its vaset before them):
  /// the earlier records, the own ones, the queries and the stores.
  void emitAttention(CacheAttentionOp op, const CacheLayout &c, const Home &q,
                     const Home &newKeys, const Home &newValues,
                     const Home &out, const AttentionLayout &at);
  /// emitAttention as a call (a step with `back`): its code made with the
  /// caches at the step's first attention's HBM offsets is a subroutine
  /// (between token slots, ending with `jr r8`), shared by every layer whose
  /// code is the same; the call moves r2 by the layer's offset from the
  /// first and back around the `jal r8`, token slots right after it.
  void callAttention(CacheAttentionOp op, const CacheLayout &c, const Home &q,
                     const Home &newKeys, const Home &newValues,
                     const Home &out, const AttentionLayout &at);
  /// Loads (or stores) `records` (a register) cache records between slot
  /// `slot` (a register) + `slotImm` of the striped cache `rows` and record
  /// index `index` (a register) of `base` in the kv buffer. `bounded`
  /// restates that the run after a row's lead holds at most `records`
  /// (minu), so that accel-insert-tokens bounds its bytes by the range of
  /// `records` (a streamed chunk's half). `aligned`: the slot is known to
  /// start a row (a multiple of recordsPerRow), so no lead is moved.
  void moveRecords(Opcode opcode, const StripedRows &rows,
                   const CacheLayout &c, int64_t base, unsigned records,
                   unsigned slot, int64_t slotImm, unsigned index,
                   bool bounded = false, bool aligned = false);
  /// How many records of the striped cache `rows` share a row of channels
  /// (kvRecordsPerRow with accel-place-hbm's bound).
  int64_t recordsPerRow(const StripedRows &rows);
  /// The attention of query `kQuery` of the tile, every head (with
  /// int8_attention, of queriesPerPass queries from `kQuery`).
  void attendQuery(CacheAttentionOp op, const CacheLayout &c, const Home &q,
                   const Home &out, const AttentionLayout &at);
  /// One vqk (scores of `head`'s query at `src` against `count` key records
  /// from `records`, key 0 of rank `firstRank`, the query of rank R[`rank`]
  /// with RoPE by rank) or vpv (context, `acc`
  /// continues the sum at `dst`), of `rows` query heads, the first of KV
  /// head `headReg` (a register) + `head`.
  void scoreOrContext(CacheAttentionOp op, Opcode opcode, int64_t dstBuf,
                      unsigned dst, int64_t srcBuf, unsigned src,
                      unsigned records, unsigned count, int64_t head,
                      bool acc, unsigned rank, unsigned firstRank = 0,
                      int64_t rows = 1, unsigned headReg = 0);
  /// The operands of an integer attention instruction `i` (ISA §5.9) of
  /// `rows` rows from KV head `headReg` (a register) + `kvHead`: destination `d` in `dBuf`, `a` and
  /// `s` in the scratch buffer, `count` keys (registers) as two runs of
  /// records, `firstCount` from `first` and the rest from `second`.
  void intOperands(isa::Instruction &i, int64_t rows, int64_t dBuf,
                   unsigned d, unsigned a, unsigned s, unsigned first,
                   unsigned firstCount, unsigned second, unsigned count,
                   int64_t kvHead, unsigned headReg = 0);
  /// The matrix unit's KV record format (maset) of the cache `c`.
  isa::Instruction matrixRecords(const CacheLayout &c);
  /// One vsoftmax of `rows` rows of `count` (a register) scores at `scores`
  /// to probabilities at `probs` (registers; scratch buffer).
  void softmax(unsigned probs, unsigned scores, unsigned count, int64_t rows);
  /// One vcopy of R[`bytes`] bytes from R[`from`] to R[`to`] in the scratch
  /// buffer (a head's run of scores into its row).
  void copyScores(unsigned to, unsigned from, unsigned bytes);
  /// A runtime loop over the step's earlier positions [0, r6) (with Λ
  /// query kQuery's window's, [min(ws, r6), r6), a chunk never past the
  /// ring's end) in chunks of `chunk` (once, with none, when there are
  /// none), between barriers:
  /// `load(base, first, offset, count)` loads `count` (a register) of a
  /// chunk's records, from position `first` (a register; with Λ ring slot
  /// S + `offset`, a register), to `base` of the kv buffer (the chunks'
  /// room at `room`) and `use(base, first)` works on them, kChunkKeys the
  /// chunk's count. With `pipelined`, a pass
  /// takes kChunksPerPass chunks of half the size, alternately in the two
  /// halves of the chunk's room, each loaded while the one before is used
  /// (accel-insert-tokens orders a load after the use of the half it
  /// overwrites; the record formats are restated after the label for it).
  /// `skip`: the most records a load takes before its chunk's first (from
  /// its row's start), which its half holds too. `again` (pipelined): the
  /// loop right after one of the same chunks into the same room; when that
  /// one took them all in one pass, the halves still hold them and `count`
  /// is 0.
  void chunkLoop(
      const CacheLayout &c, int64_t chunk, bool pipelined, int64_t room,
      int64_t skip,
      llvm::function_ref<void(int64_t, unsigned, unsigned, unsigned)> load,
      llvm::function_ref<void(int64_t, unsigned)> use, bool again = false);
  /// `body(run)` over a streamed query's runs of key (or `values`) records
  /// in key order (`pipelined`: as chunkLoop's): with Λ its sinks (resident
  /// before the own records), the chunks of the earlier positions it sees
  /// (streamed through the room at keys or values), then its own records.
  /// `again`: chunkLoop's, the runs of the pass right before.
  void streamRuns(const CacheLayout &c, const AttentionLayout &at,
                  bool values, bool pipelined,
                  llvm::function_ref<void(const StreamRun &)> body,
                  bool again = false);
  /// A streamed attention's scores and probabilities: `scores(run)` over
  /// streamRuns' key runs, then one vsoftmax of `rows` rows of n, in place.
  void streamKeys(const CacheLayout &c, const AttentionLayout &at,
                  int64_t rows, bool pipelined,
                  llvm::function_ref<void(const StreamRun &)> scores);
  /// With Λ, query kQuery's shift into `reg`: its window's first position
  /// ws = max(S, p - W + 1) less S, so that window position j is key
  /// j - shift of its row (after the S sinks).
  void windowShift(const CacheLayout &c, unsigned reg);
  /// A runtime loop over heads [kPass, kPass + rows), `unroll` a pass
  /// between barriers: `body(u)` emits head kHead + u's instructions.
  void headLoop(int64_t rows, int64_t unroll,
                llvm::function_ref<void(int64_t)> body);
  /// A runtime loop over the passes of `rows` of `heads` heads, kPass the
  /// pass's first head (no loop for one pass), so that the code does not
  /// grow when a longer context takes more passes.
  void passLoop(int64_t heads, int64_t rows, llvm::function_ref<void()> body);
  /// A runtime loop of `counter` over [first, end) by `by`, fenced by
  /// barriers, its label `name`_N_of_<step>.
  void fencedLoop(llvm::StringRef name, unsigned counter, int64_t first,
                  int64_t by, int64_t end, llvm::function_ref<void()> body);
  /// The attention of query kQuery over a cache streamed through the kv
  /// buffer (CodegenAttentionStream.cpp): attendQueryStreamFloat or
  /// attendQueryStreamInt8.
  void attendQueryStream(CacheAttentionOp op, const CacheLayout &c,
                         const Home &q, const Home &out,
                         const AttentionLayout &at);
  /// fp32 (vqk, vsoftmax, vpv; a runtime loop over the heads).
  void attendQueryStreamFloat(CacheAttentionOp op, const CacheLayout &c,
                              const Home &q, const Home &out,
                              const AttentionLayout &at);
  /// With int8_attention (mqk, vsoftmax, vpq and mpv over chunks, ISA
  /// §5.9).
  void attendQueryStreamInt8(CacheAttentionOp op, const CacheLayout &c,
                             const Home &q, const Home &out,
                             const AttentionLayout &at);
  /// rope-positions=cache (CodegenRope.cpp): loads the rows of `op`'s RoPE
  /// tables the step's queries rotate by to the top of the scratch buffer
  /// (where the attention layout `at` puts them) and points the vector unit
  /// at them (vrset), unless the step already has these tables.
  mlir::LogicalResult loadRankTables(CacheAttentionOp op, const CacheLayout &c,
                                     const AttentionLayout &at);
  /// Where RoPE table `index` (0 cos, 1 sin) by rank starts in the scratch
  /// buffer when a query loads it a segment or a run at a time.
  int64_t rankArea(int index) const;
  /// Loads R[`count`] rows of each RoPE table by rank, from the rank
  /// R[`first`] rounded down to a multiple of the HBM channels (one load
  /// over every channel takes them), the cos table's to R[`onChip`] and
  /// the sin table's as far after it as their areas are apart.
  void loadRankRows(unsigned first, unsigned count, unsigned onChip);
  /// The query's rank R[`rank`]'s row to the last row of each table's area
  /// (rankAreaRows), the rows before it from their multiple of the
  /// channels into the rows a segment or run loads again.
  void loadQueryRankRows(unsigned rank);
  /// A streamed cache's RoPE by rank (nothing without): the query's row,
  /// once a query; a run's ranks' rows to the areas' rows from R[first] mod
  /// C (first its first rank), before its vqk; that vqk's registers: the
  /// area row of the query's rank (a scratch register either way, 0 without)
  /// and of the run's first rank R[`key`] (R[key] without).
  void loadStreamedQueryRank(CacheAttentionOp op);
  void loadStreamedRanks(CacheAttentionOp op, const StreamRun &run);
  unsigned streamedQueryRank(CacheAttentionOp op);
  unsigned streamedFirstRank(CacheAttentionOp op, unsigned key);
  /// attendQuery's form when the RoPE tables by rank do not fit whole
  /// (`at.segment` > 0, CodegenRope.cpp): per pass of `at.headsPerPass`
  /// heads, a runtime loop over the query's keys in segments, loading each
  /// segment's table rows; `split` as attendQuery's.
  void attendQueryBySegments(CacheAttentionOp op, const CacheLayout &c,
                             const Home &q, const Home &out,
                             const AttentionLayout &at, bool split);
  /// With RoPE by rank, the query's rank n - 1 (n its keys: the sinks and
  /// the window when `split`, else kWindowKeys) into `reg`, returned; 0
  /// (r0) without.
  unsigned queryRank(CacheAttentionOp op, bool split, unsigned reg);
  /// Makes the vqk `score` rotate by rank when `op` has RoPE by rank: the
  /// query by row R[`rank`] (queryRank's), key j by row `firstRank` + j.
  void rotateByRank(CacheAttentionOp op, isa::Instruction &score,
                    unsigned firstRank, unsigned rank);
  /// attendQuery's integer form (int8_attention, NUMERICS §6.5) of
  /// `queries` queries, software-pipelined; `select(j)` sets the registers
  /// of query kQuery + j.
  void attendQueryInt8(CacheAttentionOp op, const CacheLayout &c,
                       const Home &q, const Home &out,
                       const AttentionLayout &at, bool split,
                       uint32_t scaleBits, int64_t queries,
                       llvm::function_ref<void(int64_t)> select);

  mlir::func::FuncOp decode;
  const hw::Config &config;
  SharedPlacement &shared;
  ProgramBuilder &program;
  std::string step;
  int64_t tile;
  llvm::DenseMap<mlir::Value, Home> homes;
  /// A value's shared int8 form and scales (accel-fuse's accel.quantized),
  /// made by the first linear reading it.
  struct Quantized {
    Home values, scales;
  };
  llvm::DenseMap<mlir::Value, Quantized> quantizedInputs;
  int64_t scrNext = 0;
  std::optional<std::tuple<int64_t, int64_t, int64_t, unsigned, int64_t,
                           int64_t, int64_t, int64_t, int64_t>>
      attentionState;
  unsigned loops = 0;
  /// The RoPE tables by rank the vector unit rotates by (loadRankTables):
  /// the cos table, where in the scratch buffer and in areas of how many
  /// rows (rankAreaRows; 0: whole), and both tables' HBM placements.
  struct RankTables {
    mlir::Value cos;
    int64_t at = 0, areaRows = 0;
    HbmAttr places[2];
  } rankTables;
  /// The label the step returns to (run's `back`; empty: jr r8, the
  /// attention in line).
  std::string returnLabel;
  /// With `back`, the step's first attention's key cache offset.
  std::optional<int64_t> kvOrigin;
  mlir::Operation *tailStart = nullptr;
  mlir::Value tailInput;
  std::string tailEnd;
};

} // namespace accel::lowering::detail

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_CODEGEN_H
