//===- Executor.cpp - running a func.func on host tensors -----------------===//
//
// Walks the single block of a function in order, keeping one host tensor per
// live SSA value (released after its last reader), and dispatches every op
// to its kernel: `onnx.node` by ONNX op type through the kernel tables,
// `accel` ops to runAccelOp (or the golden model's runGoldenAccelOp), float
// `arith` ops here, integer `arith` and `tensor` ops to ArithTensorOps.cpp.
// An `scf.for` runs its body block once per iteration with the same block
// walker, its iter_args carried from one scf.yield to the next. Index values
// are rank-0 i64 tensors. Every result is checked against the op's declared
// type, so a wrong shape is reported where it first appears.
//
//===----------------------------------------------------------------------===//

#include "accel/Reference/Executor.h"

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace accel::reference;
using namespace accel::reference::detail;

/// Every kernel table, one per source file.
static llvm::SmallVector<llvm::ArrayRef<KernelEntry>, 6> kernelTables() {
  return {elementwiseKernels(), reductionKernels(), shapeKernels(),
          indexingKernels(),    linalgKernels(),    nnKernels()};
}

static const llvm::StringMap<ONNXKernel> &kernelTable() {
  static const llvm::StringMap<ONNXKernel> table = [] {
    llvm::StringMap<ONNXKernel> map;
    for (llvm::ArrayRef<KernelEntry> entries : kernelTables())
      for (const KernelEntry &entry : entries)
        map[entry.opType] = entry.kernel;
    return map;
  }();
  return table;
}

llvm::ArrayRef<llvm::StringLiteral> accel::reference::supportedONNXOps() {
  static const std::vector<llvm::StringLiteral> names = [] {
    std::vector<llvm::StringLiteral> list;
    for (llvm::ArrayRef<KernelEntry> entries : kernelTables())
      for (const KernelEntry &entry : entries)
        list.push_back(entry.opType);
    llvm::sort(list, [](llvm::StringRef a, llvm::StringRef b) { return a < b; });
    return list;
  }();
  return names;
}

bool accel::reference::isSupportedONNXOp(llvm::StringRef opType) {
  return kernelTable().count(opType) != 0;
}

/// A short rendering of where an op comes from: the ONNX node name for an
/// imported node, file:line:col for parsed IR.
static std::string describeLocation(mlir::Location loc) {
  if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc))
    return "'" + name.getName().str() + "'";
  if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(loc))
    return (file.getFilename().strref() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc))
    return llvm::join(llvm::map_range(fused.getLocations(), describeLocation),
                      " ");
  if (auto callSite = llvm::dyn_cast<mlir::CallSiteLoc>(loc))
    return describeLocation(callSite.getCallee());
  return "unknown location";
}

/// The op as errors name it: `onnx.node "Gemm"` or `accel.attention`.
static std::string describeOp(mlir::Operation *op) {
  std::string name = op->getName().getStringRef().str();
  if (auto node = llvm::dyn_cast<accel::onnxir::NodeOp>(op)) {
    name += " \"" + node.getOpType().str() + "\"";
    if (!node.getDomain().empty())
      name += " (domain " + node.getDomain().str() + ")";
  }
  return name;
}

/// Checks that `tensor` fits `type`: same element type and rank, equal static
/// dimensions; a scalar type (index, integer, float) takes a rank-0 tensor
/// of its dtype (i64 for index). Unranked tensor and other types accept any
/// tensor.
static llvm::Error checkFits(const Tensor &tensor, mlir::Type type,
                             const llvm::Twine &what, bool golden = false) {
  if (llvm::isa<mlir::IndexType, mlir::IntegerType, mlir::FloatType>(type)) {
    if (dtypeFromMLIR(type) == tensor.getDType() && tensor.getRank() == 0)
      return llvm::Error::success();
    return fail(what + " is " + tensor.toString(4) + " but its type is " +
                describeType(type) + " (held as a rank-0 tensor)");
  }
  auto ranked = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!ranked)
    return llvm::Error::success();
  std::optional<DType> dtype = dtypeFromMLIR(ranked.getElementType());
  // The golden model holds sub-byte integers in I8 tensors.
  if (!dtype && golden && isSubByteInteger(ranked.getElementType()))
    dtype = DType::I8;
  if (!dtype && ranked.getElementType().isSignlessInteger())
    return fail(what + " has type " + describeType(type) +
                ": sub-byte integers need the quantized golden model, not "
                "the fp32 reference executor");
  bool fits = dtype == tensor.getDType() &&
              ranked.getRank() == tensor.getRank();
  for (int64_t i = 0; fits && i < ranked.getRank(); ++i)
    fits = ranked.isDynamicDim(i) || ranked.getDimSize(i) == tensor.getDim(i);
  if (fits)
    return llvm::Error::success();
  return fail(what + " is " + tensor.toString(4) + " but its type is " +
              describeType(type));
}

static llvm::Expected<Tensor> runArithBinary(mlir::Operation *op,
                                             const Tensor &lhs,
                                             const Tensor &rhs) {
  if (lhs.getShape() != rhs.getShape() || lhs.getDType() != rhs.getDType() ||
      !lhs.isFloat())
    return fail("needs float operands of one type and shape, got " +
                lhs.toString(4) + " and " + rhs.toString(4));
  Tensor result(lhs.getDType(), lhs.getShape());
  for (int64_t i = 0, e = lhs.getNumElements(); i < e; ++i) {
    double a = lhs.getDouble(i), b = rhs.getDouble(i);
    double value = llvm::TypeSwitch<mlir::Operation *, double>(op)
                       .Case([&](mlir::arith::AddFOp) { return a + b; })
                       .Case([&](mlir::arith::SubFOp) { return a - b; })
                       .Case([&](mlir::arith::MulFOp) { return a * b; })
                       .Default([&](mlir::Operation *) { return a / b; });
    result.setDouble(i, value);
  }
  return result;
}

namespace {
/// The values of one block that each of its ops is the last to read: an op
/// reading a value in a nested region (a loop body) counts as reading it.
using ReleaseMap =
    llvm::DenseMap<mlir::Operation *, llvm::SmallVector<mlir::Value, 2>>;

/// The state of one run: the live tensors by SSA value.
class Interpreter {
public:
  Interpreter(int64_t opset, bool golden) : opset(opset), golden(golden) {}

  /// Runs `block` with `arguments` for its arguments and returns the
  /// operands of its terminator (func.return or scf.yield).
  llvm::Expected<std::vector<Tensor>> runBlock(mlir::Block &block,
                                               std::vector<Tensor> arguments);

private:
  /// The tensor of `value`, or null for an absent input (`onnx.none`).
  llvm::Expected<const Tensor *> lookup(mlir::Value value);
  /// The tensors of `values`, as lookup gives them.
  llvm::Expected<std::vector<const Tensor *>>
  lookupAll(mlir::ValueRange values);
  /// Runs one op of a block and binds its results.
  llvm::Error runOp(mlir::Operation &op);
  Results execute(mlir::Operation *op);
  Results executeNode(accel::onnxir::NodeOp node);
  Results executeFor(mlir::scf::ForOp loop);
  /// The terminator's operands, moved out when it is their last reader.
  llvm::Expected<std::vector<Tensor>> takeResults(mlir::Operation &terminator,
                                                  const ReleaseMap &releases);
  const ReleaseMap &releasesOf(mlir::Block &block);

  int64_t opset;
  /// The golden model's mode: accel and arith ops follow docs/NUMERICS.md.
  bool golden;
  llvm::DenseMap<mlir::Value, Tensor> live;
  llvm::DenseMap<mlir::Block *, ReleaseMap> releaseMaps;
};
} // namespace

/// `describeLocation(op): describeOp(op): error`.
static llvm::Error inContext(mlir::Operation &op, llvm::Error error) {
  return fail(describeLocation(op.getLoc()) + ": " + describeOp(&op) + ": " +
              llvm::toString(std::move(error)));
}

llvm::Expected<const Tensor *> Interpreter::lookup(mlir::Value value) {
  if (llvm::isa<mlir::NoneType>(value.getType()))
    return nullptr;
  auto it = live.find(value);
  if (it == live.end())
    return fail("an operand is defined outside the function body or by an "
                "op that produced no tensor");
  return &it->second;
}

llvm::Expected<std::vector<const Tensor *>>
Interpreter::lookupAll(mlir::ValueRange values) {
  std::vector<const Tensor *> tensors;
  for (mlir::Value value : values) {
    llvm::Expected<const Tensor *> tensor = lookup(value);
    if (!tensor)
      return tensor.takeError();
    tensors.push_back(*tensor);
  }
  return tensors;
}

Results Interpreter::executeNode(accel::onnxir::NodeOp node) {
  llvm::StringRef domain = node.getDomain();
  if (!domain.empty() && domain != "ai.onnx")
    return fail("unsupported op: domain '" + domain + "' is not ai.onnx");
  auto kernel = kernelTable().find(node.getOpType());
  if (kernel == kernelTable().end())
    return fail("unsupported op: ONNX op type '" + node.getOpType() +
                "' is not implemented by the reference executor");
  llvm::Expected<std::vector<const Tensor *>> inputs =
      lookupAll(node.getInputs());
  if (!inputs)
    return inputs.takeError();
  NodeContext context(node, opset, std::move(*inputs));
  return kernel->second(context);
}

Results Interpreter::executeFor(mlir::scf::ForOp loop) {
  llvm::SmallVector<int64_t, 3> bounds;
  for (auto [value, what] :
       {std::make_pair(loop.getLowerBound(), "lower bound"),
        std::make_pair(loop.getUpperBound(), "upper bound"),
        std::make_pair(loop.getStep(), "step")}) {
    llvm::Expected<const Tensor *> tensor = lookup(value);
    if (!tensor)
      return tensor.takeError();
    llvm::Expected<int64_t> bound = scalarInt(*tensor, what);
    if (!bound)
      return bound.takeError();
    bounds.push_back(*bound);
  }
  int64_t lower = bounds[0], upper = bounds[1], step = bounds[2];
  if (step <= 0)
    return fail("the step is " + llvm::Twine(step) + ", must be > 0");
  std::optional<DType> ivType =
      dtypeFromMLIR(loop.getInductionVar().getType());
  if (!ivType)
    return fail("the induction variable's type " +
                describeType(loop.getInductionVar().getType()) +
                " is not an index or integer type");
  std::vector<Tensor> carried;
  for (mlir::Value init : loop.getInitArgs()) {
    llvm::Expected<const Tensor *> tensor = lookup(init);
    if (!tensor)
      return tensor.takeError();
    if (!*tensor)
      return fail("carries an absent (onnx.none) value");
    carried.push_back(**tensor);
  }
  for (int64_t iv = lower; iv < upper;) {
    std::vector<Tensor> arguments;
    arguments.push_back(Tensor(*ivType, {}, {iv}));
    std::move(carried.begin(), carried.end(), std::back_inserter(arguments));
    llvm::Expected<std::vector<Tensor>> yielded =
        runBlock(*loop.getBody(), std::move(arguments));
    if (!yielded)
      return fail("in the iteration with induction variable " +
                  llvm::Twine(iv) + ": " +
                  llvm::toString(yielded.takeError()));
    carried = std::move(*yielded);
    if (llvm::AddOverflow(iv, step, iv))
      break;
  }
  return carried;
}

Results Interpreter::execute(mlir::Operation *op) {
  if (auto node = llvm::dyn_cast<accel::onnxir::NodeOp>(op))
    return executeNode(node);
  if (llvm::isa<accel::onnxir::NoneOp>(op))
    return std::vector<Tensor>();
  if (auto loop = llvm::dyn_cast<mlir::scf::ForOp>(op))
    return executeFor(loop);
  if (op->getNumRegions() != 0)
    return fail("unsupported op: of the ops with regions, the reference "
                "executor runs scf.for only");
  if (auto constant = llvm::dyn_cast<mlir::arith::ConstantOp>(op))
    return single(golden ? goldenConstant(constant.getValue())
                         : fromAttribute(constant.getValue()));
  llvm::Expected<std::vector<const Tensor *>> operands =
      lookupAll(op->getOperands());
  if (!operands)
    return operands.takeError();
  llvm::ArrayRef<const Tensor *> tensors = *operands;
  if (llvm::isa<mlir::arith::AddFOp, mlir::arith::SubFOp, mlir::arith::MulFOp,
                mlir::arith::DivFOp>(op))
    return golden ? runGoldenArith(op, *tensors[0], *tensors[1])
                  : single(runArithBinary(op, *tensors[0], *tensors[1]));
  if (llvm::isa<mlir::arith::ArithDialect>(op->getDialect()))
    return runIntegerArith(op, tensors);
  if (llvm::isa<mlir::tensor::TensorDialect>(op->getDialect()))
    return runTensorOp(op, tensors);
  if (llvm::isa<accel::AccelDialect>(op->getDialect()))
    return golden ? runGoldenAccelOp(op, tensors) : runAccelOp(op, tensors);
  return fail("unsupported op: the reference executor does not implement '" +
              op->getName().getStringRef() + "'");
}

const ReleaseMap &Interpreter::releasesOf(mlir::Block &block) {
  auto [it, inserted] = releaseMaps.try_emplace(&block);
  if (!inserted)
    return it->second;
  // Values of this block only: those of enclosing blocks stay live while a
  // loop body reads them, until the loop op itself is their last reader.
  llvm::DenseMap<mlir::Value, mlir::Operation *> lastReader;
  for (mlir::Operation &op : block)
    op.walk([&](mlir::Operation *nested) {
      for (mlir::Value operand : nested->getOperands())
        if (operand.getParentBlock() == &block)
          lastReader[operand] = &op;
    });
  for (auto [value, reader] : lastReader)
    it->second[reader].push_back(value);
  return it->second;
}

llvm::Error Interpreter::runOp(mlir::Operation &op) {
  llvm::Expected<std::vector<Tensor>> results = execute(&op);
  if (!results)
    return results.takeError();
  unsigned expected = 0;
  for (mlir::Value result : op.getResults())
    expected += !llvm::isa<mlir::NoneType>(result.getType());
  if (results->size() < expected)
    return fail("produced " + llvm::Twine(results->size()) +
                " results, the op has " + llvm::Twine(expected));
  unsigned next = 0;
  for (mlir::OpResult result : op.getResults()) {
    if (llvm::isa<mlir::NoneType>(result.getType()))
      continue;
    Tensor &tensor = (*results)[next++];
    if (llvm::Error error = checkFits(
            tensor, result.getType(),
            "result #" + llvm::Twine(result.getResultNumber()), golden))
      return error;
    if (!result.use_empty())
      live.insert_or_assign(result, std::move(tensor));
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<Tensor>>
Interpreter::takeResults(mlir::Operation &terminator,
                         const ReleaseMap &releases) {
  auto released = releases.find(&terminator);
  std::vector<Tensor> results;
  for (auto [index, operand] : llvm::enumerate(terminator.getOperands())) {
    llvm::Expected<const Tensor *> tensor = lookup(operand);
    if (!tensor)
      return tensor.takeError();
    if (!*tensor)
      return fail("returns an absent (onnx.none) value");
    // The last reader of a value of this block may take it over.
    bool last = released != releases.end() &&
                llvm::is_contained(released->second, operand) &&
                llvm::find(terminator.getOperands().drop_front(index + 1),
                           operand) == terminator.getOperands().end();
    if (last) {
      results.push_back(std::move(live.find(operand)->second));
      live.erase(operand);
    } else {
      results.push_back(**tensor);
    }
  }
  return results;
}

llvm::Expected<std::vector<Tensor>>
Interpreter::runBlock(mlir::Block &block, std::vector<Tensor> arguments) {
  for (auto [argument, tensor] : llvm::zip(block.getArguments(), arguments))
    if (!argument.use_empty())
      live.insert_or_assign(argument, std::move(tensor));
  const ReleaseMap &releases = releasesOf(block);
  for (mlir::Operation &op : block) {
    if (op.hasTrait<mlir::OpTrait::IsTerminator>()) {
      if (!llvm::isa<mlir::func::ReturnOp, mlir::scf::YieldOp>(op))
        return inContext(op, fail("unsupported terminator: control flow "
                                  "other than scf.for is not executed"));
      llvm::Expected<std::vector<Tensor>> results =
          takeResults(op, releases);
      if (!results)
        return inContext(op, results.takeError());
      return results;
    }
    if (llvm::Error error = runOp(op))
      return inContext(op, std::move(error));
    auto released = releases.find(&op);
    if (released != releases.end())
      for (mlir::Value value : released->second)
        live.erase(value);
  }
  return fail("a block has no terminator");
}

/// The ai.onnx opset of the module holding `fn`.
static int64_t opsetOf(mlir::func::FuncOp fn) {
  auto module = fn->getParentOfType<mlir::ModuleOp>();
  if (!module)
    return kDefaultONNXOpset;
  auto opsets =
      llvm::dyn_cast_or_null<mlir::DictionaryAttr>(module->getAttr("onnx.opset"));
  if (!opsets)
    return kDefaultONNXOpset;
  for (llvm::StringRef domain : {"", "ai.onnx"})
    if (auto version =
            llvm::dyn_cast_or_null<mlir::IntegerAttr>(opsets.get(domain)))
      return version.getInt();
  return kDefaultONNXOpset;
}

llvm::Expected<std::vector<Tensor>>
accel::reference::run(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> inputs) {
  return runFunction(fn, inputs, /*golden=*/false);
}

llvm::Expected<std::vector<Tensor>>
detail::runFunction(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> inputs,
                    bool golden) {
  std::string name = "function '" + fn.getSymName().str() + "'";
  if (fn.isExternal())
    return fail(name + " has no body");
  if (!fn.getBody().hasOneBlock())
    return fail(name + " has more than one block; control flow other than "
                       "scf.for is not supported");
  if (inputs.size() != fn.getNumArguments())
    return fail(name + " takes " + llvm::Twine(fn.getNumArguments()) +
                " arguments, got " + llvm::Twine(inputs.size()) + " inputs");
  for (auto [index, input] : llvm::enumerate(inputs))
    if (llvm::Error error =
            checkFits(input, fn.getArgumentTypes()[index],
                      name + ": input #" + llvm::Twine(index), golden))
      return std::move(error);
  Interpreter interpreter(opsetOf(fn), golden);
  return interpreter.runBlock(
      fn.getBody().front(), std::vector<Tensor>(inputs.begin(), inputs.end()));
}
