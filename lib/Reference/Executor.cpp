//===- Executor.cpp - running a func.func on host tensors -----------------===//
//
// Walks the single block of a function in order, keeping one host tensor per
// live SSA value (released after its last use), and dispatches every op to
// its kernel: `onnx.node` by ONNX op type through the kernel tables, `accel`
// ops to runAccelOp, `arith` ops here. Every result is checked against the
// op's declared type, so a wrong shape is reported where it first appears.
//
//===----------------------------------------------------------------------===//

#include "accel/Reference/Executor.h"

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
/// dimensions. Unranked and non-tensor types accept any tensor.
static llvm::Error checkFits(const Tensor &tensor, mlir::Type type,
                             const llvm::Twine &what, bool golden = false) {
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
/// The state of one run: the live tensors by SSA value.
class Interpreter {
public:
  Interpreter(int64_t opset, bool golden) : opset(opset), golden(golden) {}

  llvm::Expected<std::vector<Tensor>> runBody(mlir::func::FuncOp fn,
                                              llvm::ArrayRef<Tensor> inputs);

private:
  /// The tensor of `value`, or null for an absent input (`onnx.none`).
  llvm::Expected<const Tensor *> lookup(mlir::Value value);
  /// The tensors of `values`, as lookup gives them.
  llvm::Expected<std::vector<const Tensor *>>
  lookupAll(mlir::ValueRange values);
  Results execute(mlir::Operation *op);
  Results executeNode(accel::onnxir::NodeOp node);

  int64_t opset;
  /// The golden model's mode: accel and arith ops follow docs/NUMERICS.md.
  bool golden;
  llvm::DenseMap<mlir::Value, Tensor> live;
};
} // namespace

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

Results Interpreter::execute(mlir::Operation *op) {
  if (auto node = llvm::dyn_cast<accel::onnxir::NodeOp>(op))
    return executeNode(node);
  if (llvm::isa<accel::onnxir::NoneOp>(op))
    return std::vector<Tensor>();
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
  if (llvm::isa<accel::AccelDialect>(op->getDialect()))
    return golden ? runGoldenAccelOp(op, tensors) : runAccelOp(op, tensors);
  // A cast only changes what the IR knows of the shape; the result check
  // after each op verifies that the value fits the new type.
  if (llvm::isa<mlir::tensor::CastOp>(op))
    return single(*tensors[0]);
  return fail("unsupported op: the reference executor does not implement '" +
              op->getName().getStringRef() + "'");
}

llvm::Expected<std::vector<Tensor>>
Interpreter::runBody(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> inputs) {
  mlir::Block &body = fn.getBody().front();
  for (auto [argument, input] : llvm::zip(body.getArguments(), inputs))
    live.try_emplace(argument, input);

  // The last op that reads each value, to release tensors early.
  llvm::DenseMap<mlir::Value, mlir::Operation *> lastUse;
  for (mlir::Operation &op : body)
    for (mlir::Value operand : op.getOperands())
      lastUse[operand] = &op;

  for (mlir::Operation &op : body) {
    auto context = [&](llvm::Error error) -> llvm::Error {
      return fail(describeLocation(op.getLoc()) + ": " + describeOp(&op) +
                  ": " + llvm::toString(std::move(error)));
    };
    if (auto ret = llvm::dyn_cast<mlir::func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (mlir::Value operand : ret.getOperands()) {
        llvm::Expected<const Tensor *> tensor = lookup(operand);
        if (!tensor)
          return context(tensor.takeError());
        if (!*tensor)
          return context(fail("returns an absent (onnx.none) value"));
        results.push_back(**tensor);
      }
      return results;
    }
    if (op.getNumRegions() != 0)
      return context(fail("unsupported op: ops with regions are not "
                          "executed"));
    llvm::Expected<std::vector<Tensor>> results = execute(&op);
    if (!results)
      return context(results.takeError());
    unsigned expected = 0;
    for (mlir::Value result : op.getResults())
      expected += !llvm::isa<mlir::NoneType>(result.getType());
    if (results->size() < expected)
      return context(fail("produced " + llvm::Twine(results->size()) +
                          " results, the op has " + llvm::Twine(expected)));
    unsigned next = 0;
    for (mlir::OpResult result : op.getResults()) {
      if (llvm::isa<mlir::NoneType>(result.getType()))
        continue;
      Tensor &tensor = (*results)[next];
      if (llvm::Error error =
              checkFits(tensor, result.getType(),
                        "result #" + llvm::Twine(result.getResultNumber()),
                        golden))
        return context(std::move(error));
      live.insert_or_assign(result, std::move(tensor));
      ++next;
    }
    for (mlir::Value operand : op.getOperands()) {
      auto last = lastUse.find(operand);
      if (last != lastUse.end() && last->second == &op)
        live.erase(operand);
    }
  }
  return fail("function '" + fn.getSymName() + "' has no func.return");
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
    return fail(name + " has more than one block; control flow is not "
                       "supported");
  if (inputs.size() != fn.getNumArguments())
    return fail(name + " takes " + llvm::Twine(fn.getNumArguments()) +
                " arguments, got " + llvm::Twine(inputs.size()) + " inputs");
  for (auto [index, input] : llvm::enumerate(inputs))
    if (llvm::Error error =
            checkFits(input, fn.getArgumentTypes()[index],
                      name + ": input #" + llvm::Twine(index), golden))
      return std::move(error);
  Interpreter interpreter(opsetOf(fn), golden);
  return interpreter.runBody(fn, inputs);
}
