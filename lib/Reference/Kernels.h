//===- Kernels.h - internals shared by the executor's kernels ---*- C++ -*-===//
//
// Kernels compute one op from host tensors. Those of `onnx.node` take a
// NodeContext (inputs, attributes, opset) and are listed, by ONNX op type, in
// one table per source file; Executor.cpp dispatches through the tables and
// prefixes every kernel error with the op it came from.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_REFERENCE_KERNELS_H
#define ACCEL_LIB_REFERENCE_KERNELS_H

#include "accel/Dialect/Accel/AccelAttrs.h"
#include "accel/Dialect/ONNX/ONNXDialect.h"
#include "accel/Reference/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <vector>

namespace accel::reference::detail {

/// The most elements the executor allocates for one computed tensor, so that
/// a malformed shape fails cleanly instead of exhausting memory.
constexpr int64_t kMaxElements = int64_t(1) << 28;

/// What a kernel returns: its results in order, or an error.
using Results = llvm::Expected<std::vector<Tensor>>;

/// An error carrying `message`; the executor adds which op it came from.
llvm::Error fail(const llvm::Twine &message);

/// The results of a kernel with one result.
Results single(Tensor tensor);
Results single(llvm::Expected<Tensor> tensor);

/// `[2, 3, 4]`.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// An MLIR type as it prints, `tensor<2x3xf32>`.
std::string describeType(mlir::Type type);

/// A zero-filled tensor, or an error if the shape is negative or too large.
llvm::Expected<Tensor> allocate(DType dtype, llvm::ArrayRef<int64_t> shape);

/// `axis` made non-negative for a tensor of rank `rank`, or an error when it
/// is outside [-rank, rank).
llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Steps the multi-index `index` to the next element of `shape` in row-major
/// order, wrapping to all zeros after the last one.
void advanceIndex(llvm::MutableArrayRef<int64_t> index,
                  llvm::ArrayRef<int64_t> shape);

/// An error naming both dtypes when `a` and `b` differ in dtype.
llvm::Error requireSameDType(const Tensor &a, const Tensor &b);

/// The numpy (multidirectional) broadcast of `shapes`, or an error naming
/// the shapes that do not broadcast.
llvm::Expected<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

/// Walks the elements of a broadcast result in row-major order, tracking the
/// offset of the corresponding element of every operand.
class BroadcastWalker {
public:
  BroadcastWalker(llvm::ArrayRef<int64_t> resultShape,
                  llvm::ArrayRef<llvm::ArrayRef<int64_t>> operandShapes);
  int64_t offset(unsigned operand) const { return offsets[operand]; }
  void next();

private:
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<int64_t> index;
  llvm::SmallVector<llvm::SmallVector<int64_t>> strides;
  llvm::SmallVector<int64_t> offsets;
};

/// The elements of an integer tensor of rank 0 or 1, as a list.
llvm::Expected<llvm::SmallVector<int64_t>> toIntList(const Tensor &tensor,
                                                     llvm::StringRef what);

/// A tensor as `outer x axis x inner` around one of its dimensions.
struct AxisSplit {
  int64_t outer = 1, size = 1, inner = 1;
};
AxisSplit splitAround(llvm::ArrayRef<int64_t> shape, int64_t axis);

/// Copies `source` permuted by `perm` (result dim i is source dim perm[i]).
Tensor transposeTensor(const Tensor &source, llvm::ArrayRef<int64_t> perm);

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

/// Softmax, LogSoftmax or Hardmax of `x` along the middle dimension of
/// `split`, computed in double and rounded once to `x`'s type.
Tensor softmaxAlong(const Tensor &x, AxisSplit split, SoftmaxKind kind);

/// The mean and 1/sqrt(variance + epsilon) of `count` consecutive elements of
/// a tensor, as the normalisations use them.
struct Moments {
  double mean = 0.0, invStdDev = 0.0;
};
/// The moments of elements [base, base + count) of `x`, accumulated in
/// double in index order; with `centered` false the mean is taken as 0 (an
/// RMS norm).
Moments momentsOf(const Tensor &x, int64_t base, int64_t count, double epsilon,
                  bool centered = true);

/// Inputs, attributes and opset of one `onnx.node` being executed.
class NodeContext {
public:
  NodeContext(onnxir::NodeOp op, int64_t opset,
              std::vector<const Tensor *> inputs)
      : op(op), opset(opset), inputs(std::move(inputs)) {}

  onnxir::NodeOp getOp() const { return op; }
  /// The ai.onnx opset version the node follows.
  int64_t getOpset() const { return opset; }
  unsigned getNumInputs() const { return inputs.size(); }
  unsigned getNumOutputs() const { return op->getNumResults(); }
  /// Input `i`, or null when it is absent (past the end or `onnx.none`).
  const Tensor *input(unsigned i) const {
    return i < inputs.size() ? inputs[i] : nullptr;
  }
  /// Input `i`, or an error when it is absent.
  llvm::Expected<const Tensor &> required(unsigned i) const;
  /// An error naming the first absent input among the first `count`; after
  /// success, `*input(i)` is valid for each of them.
  llvm::Error requireInputs(unsigned count) const;
  /// Input `i` as an integer list (see toIntList), or an error when it is
  /// absent or not such a list; `what` names it in errors.
  llvm::Expected<llvm::SmallVector<int64_t>>
  requiredList(unsigned i, llvm::StringRef what) const;
  /// All present inputs, at least `minimum` of them.
  llvm::Expected<std::vector<const Tensor *>> variadic(unsigned minimum) const;

  bool hasAttr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t fallback) const;
  float floatAttr(llvm::StringRef name, float fallback) const;
  llvm::StringRef stringAttr(llvm::StringRef name,
                             llvm::StringRef fallback) const;
  /// An INTS attribute, or none when absent.
  std::optional<llvm::SmallVector<int64_t>>
  intsAttr(llvm::StringRef name) const;
  /// A TENSOR attribute converted to a tensor, or none when absent.
  llvm::Expected<std::optional<Tensor>> tensorAttr(llvm::StringRef name) const;

  /// The `axis` attribute (`fallback` when absent) made non-negative for a
  /// tensor of rank `rank`, or an error when it is out of range.
  llvm::Expected<int64_t> axisAttr(int64_t fallback, int64_t rank) const;
  /// An integer list that ONNX moved from an attribute to an input: read
  /// from input `inputIndex` from opset `sinceOpset`, and from the INTS
  /// attribute `name` before; none when absent.
  llvm::Expected<std::optional<llvm::SmallVector<int64_t>>>
  listArgument(llvm::StringRef name, unsigned inputIndex,
               int64_t sinceOpset) const;

private:
  // Op handles are values whose accessors are not const-qualified.
  mutable onnxir::NodeOp op;
  int64_t opset;
  std::vector<const Tensor *> inputs;
};

using ONNXKernel = Results (*)(NodeContext &);

struct KernelEntry {
  llvm::StringLiteral opType;
  ONNXKernel kernel;
};

/// The kernel tables, one per source file.
llvm::ArrayRef<KernelEntry> elementwiseKernels();
llvm::ArrayRef<KernelEntry> reductionKernels();
llvm::ArrayRef<KernelEntry> shapeKernels();
llvm::ArrayRef<KernelEntry> indexingKernels();
llvm::ArrayRef<KernelEntry> linalgKernels();
llvm::ArrayRef<KernelEntry> nnKernels();

//===----------------------------------------------------------------------===//
// Operand checks shared by the fp32 (AccelOps.cpp) and golden (GoldenOps.cpp)
// accel kernels
//===----------------------------------------------------------------------===//

/// The operand tensors of one op, looked up by operand value.
class AccelOperands {
public:
  AccelOperands(mlir::Operation *op, llvm::ArrayRef<const Tensor *> tensors)
      : op(op), tensors(tensors) {}

  /// The tensor of `value`, or null when `value` is an absent optional.
  const Tensor *get(mlir::Value value) const {
    if (!value)
      return nullptr;
    for (auto [operand, tensor] : llvm::zip(op->getOperands(), tensors))
      if (operand == value)
        return tensor;
    return nullptr;
  }

private:
  mlir::Operation *op;
  llvm::ArrayRef<const Tensor *> tensors;
};

/// accel.linear's sizes: input [..., K] times weight [N, K] (transposed:
/// [K, N]) gives `resultShape` [..., N], `rows` rows of K.
struct LinearShape {
  int64_t n = 0, k = 0, rows = 0;
  llvm::SmallVector<int64_t> resultShape;
};
/// The sizes of accel.linear on `x`, `w` and the optional `bias`, or an
/// error when their shapes do not agree.
llvm::Expected<LinearShape> linearShape(const Tensor &x, const Tensor &w,
                                        const Tensor *bias, bool transposed);

/// An error when an operand of accel.attention (null for an absent past) is
/// refused by `checkType` or is not of rank 3.
llvm::Error checkAttentionOperands(
    llvm::ArrayRef<const Tensor *> operands,
    llvm::function_ref<llvm::Error(const Tensor *)> checkType);
/// The head size of attention with `heads` query and `kvHeads` key/value
/// heads, or an error when they do not fit the query `q` and the new keys
/// `k` and values `v`.
llvm::Expected<int64_t> attentionHeadDim(int64_t heads, int64_t kvHeads,
                                         const Tensor &q, const Tensor &k,
                                         const Tensor &v);

/// The normalised width H of rmsnorm/layernorm on `x` [..., H], or an error
/// when `weight` or the optional `bias` do not have H elements.
llvm::Expected<int64_t> normWidth(const Tensor &x, const Tensor &weight,
                                  const Tensor *bias);

/// accel.rope's sizes: input [batch, tokens, heads * headDim], cos/sin
/// [tokens, rotary] or (`batched`) [batch, tokens, rotary].
struct RopeShape {
  int64_t batch = 0, tokens = 0, headDim = 0, rotary = 0;
  bool batched = false;
};
llvm::Expected<RopeShape> ropeShape(int64_t heads, const Tensor &x,
                                    const Tensor &cos, const Tensor &sin);

/// An error when accel.activation's optional `up` differs from `x` in shape.
llvm::Error checkUpShape(const Tensor *up, const Tensor &x);

/// accel.broadcast `op` of `input`: the input repeated to the op's static
/// result shape (numpy rules; the copies are exact in both modes).
Results runBroadcast(mlir::Operation *op, const Tensor &input);

/// Element `i` of accel.embedding's `ids`, or an error when it is outside
/// [0, vocab).
llvm::Expected<int64_t> embeddingId(const Tensor &ids, int64_t i,
                                    int64_t vocab);

/// Runs an `accel` op on its operands (null for absent optional ones).
Results runAccelOp(mlir::Operation *op,
                   llvm::ArrayRef<const Tensor *> operands);

/// An error saying that `what` needs the quantized golden model.
llvm::Error needsGoldenModel(const llvm::Twine &what);

/// RoPE of one head row (AccelOps.td): `x` and `y` hold D values, `cos` and
/// `sin` the R ≤ D values of one table row; elements from R on pass through.
void rotateRow(llvm::ArrayRef<double> x, llvm::ArrayRef<double> cos,
               llvm::ArrayRef<double> sin, bool interleaved,
               llvm::MutableArrayRef<double> y);

//===----------------------------------------------------------------------===//
// Index arithmetic and tensor slicing (ArithTensorOps.cpp), both modes
//===----------------------------------------------------------------------===//

/// The value of an index or integer scalar (a rank-0 integer tensor), or an
/// error naming `what`.
llvm::Expected<int64_t> scalarInt(const Tensor *tensor,
                                  const llvm::Twine &what);

/// arith.addi/subi/muli/divsi/remsi/maxsi/minsi/cmpi/select/index_cast(ui)
/// on integer and index tensors (exact, wrapped to the type); any other
/// arith op is reported as unsupported.
Results runIntegerArith(mlir::Operation *op,
                        llvm::ArrayRef<const Tensor *> operands);

/// tensor.extract, extract_slice, insert_slice, empty and cast.
Results runTensorOp(mlir::Operation *op,
                    llvm::ArrayRef<const Tensor *> operands);

//===----------------------------------------------------------------------===//
// Which keys each query sees (AttentionLayout.cpp), both modes
//===----------------------------------------------------------------------===//

/// The `#accel.lambda<sink = S, window = W>` of Λ-shaped attention.
struct LambdaMask {
  int64_t sink = 0, window = 1;
};

/// The slot of key position `position` in a cache of `slots` slots: the
/// position itself, or with Λ the sink slot or the window's ring slot
/// (S + (j − S) mod W); an error when it is not below `slots`.
llvm::Expected<int64_t> cacheSlot(int64_t position,
                                  std::optional<LambdaMask> lambda,
                                  int64_t slots);

/// An attention op (accel.attention, band_attention, cache_attention) in
/// terms of rows: its keys and values are `keyParts` / `valueParts`
/// concatenated along dimension 1 into [B, rows, Hkv·D], and each query
/// sees some of those rows in ascending key position.
struct AttentionLayout {
  enum class Kind { Sequence, Band, Cache };
  Kind kind = Kind::Sequence;
  const Tensor *query = nullptr; ///< [B, T, H·D]
  llvm::SmallVector<const Tensor *, 2> keyParts, valueParts;
  int64_t batch = 0, queries = 0, heads = 1, kvHeads = 1, headDim = 0;
  int64_t rows = 0;
  /// The position of query row 0; row t sits at queryPosition + t.
  int64_t queryPosition = 0;
  bool causal = true;
  std::optional<LambdaMask> lambda;
  /// The `scale` attribute; none for 1 / sqrt(D).
  std::optional<float> scale;
  /// The `kv_quant` attribute, or null.
  accel::QuantAttr kvQuant;
  /// Rank-indexed RoPE (band/cache `rope(...)`): [P, R] tables, or null.
  const Tensor *ropeCos = nullptr, *ropeSin = nullptr;
  bool interleaved = false;
  /// Band: rows [0, sinkRows) hold positions 0.., rows from sinkRows on the
  /// band's positions bandStart...
  int64_t sinkRows = 0, bandStart = 0;

  /// The rows query `t` sees, in ascending key position. Fails, naming the
  /// query position and the key position, when a key the query sees is held
  /// by no row (a band or cache that misses it), or when the query sees
  /// more keys than the RoPE tables have rows.
  llvm::Error visibleRows(int64_t t,
                          llvm::SmallVectorImpl<int64_t> &rows) const;
};

/// The layout of an attention op after checking its operands' shapes and
/// positions; `checkType` refuses the tensors a mode does not compute with.
llvm::Expected<AttentionLayout>
attentionLayout(mlir::Operation *op, const AccelOperands &operands,
                llvm::function_ref<llvm::Error(const Tensor *)> checkType);

/// accel.kv_cache_write: the cache with the rows written to their slots.
Results runKVCacheWrite(mlir::Operation *op, const AccelOperands &operands);

/// The fp32 executor's attention ops (AccelAttention.cpp).
Results runAttentionOp(mlir::Operation *op, const AccelOperands &operands);

//===----------------------------------------------------------------------===//
// The golden model's hooks (GoldenOps.cpp)
//===----------------------------------------------------------------------===//

/// Runs `fn` in the fp32 reference mode or, with `golden`, as the quantized
/// golden model (docs/NUMERICS.md); `run` and `runGolden` call it.
llvm::Expected<std::vector<Tensor>> runFunction(mlir::func::FuncOp fn,
                                                llvm::ArrayRef<Tensor> inputs,
                                                bool golden);

/// True for signless iB with 1 < B < 8, which only the golden mode holds
/// (one I8 tensor element per value, the low B bits zero-extended).
bool isSubByteInteger(mlir::Type type);
/// A constant as the golden mode holds it: sub-byte integers as above,
/// everything else as fromAttribute gives it.
llvm::Expected<Tensor> goldenConstant(mlir::Attribute attr);
/// arith.addf/subf/mulf/divf in fp32 (one IEEE operation per element).
Results runGoldenArith(mlir::Operation *op, const Tensor &lhs,
                       const Tensor &rhs);
/// An `accel` op with the arithmetic of docs/NUMERICS.md.
Results runGoldenAccelOp(mlir::Operation *op,
                         llvm::ArrayRef<const Tensor *> operands);
/// An error unless `t` (if any) is an f32 tensor, the golden model's only
/// activation type.
llvm::Error requireF32(const Tensor *t, llvm::StringRef what);
/// The golden model's attention ops (GoldenAttention.cpp).
Results runGoldenAttentionOp(mlir::Operation *op,
                             const AccelOperands &operands);

} // namespace accel::reference::detail

#endif // ACCEL_LIB_REFERENCE_KERNELS_H
