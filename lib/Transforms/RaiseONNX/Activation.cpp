//===- Activation.cpp - raising SiLU, SwiGLU, GELU and ReLU ---------------===//
//
//   SiLU    x * Sigmoid(x)
//   SwiGLU  silu(g) * u
//   GELU    0.5 * x * (1 + Erf(x / sqrt(2)))                         (erf)
//           0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))  (tanh)
//   ReLU    Relu(x)
// The GELU factors may come in any order and association; the matchers
// follow the chain from the Erf or Tanh outwards.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include <cmath>

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

Value createActivation(PatternRewriter &rewriter, Operation *root,
                       ActivationKind kind, Value x, Value up = {}) {
  auto act = rewriter.create<ActivationOp>(
      root->getLoc(), resultType(root, rankedFloat(x)), kind, x, up);
  replaceKeepingType(rewriter, root, act.getResult());
  return act.getResult();
}

/// Mul(x, Sigmoid(x)) -> silu(x).
struct RaiseSiLU : NodePattern {
  RaiseSiLU(MLIRContext *context) : NodePattern(context, "Mul") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      NodeOp sigmoid = producer(op.getInputs()[i], "Sigmoid");
      Value x = op.getInputs()[1 - i];
      if (sigmoid && sigmoid.getInputs()[0] == x && rankedFloat(x)) {
        createActivation(rewriter, op, ActivationKind::SiLU, x);
        return success();
      }
    }
    return failure();
  }
};

/// Mul(silu(g), u) -> silu(g, u), the SwiGLU gate.
struct RaiseGated : NodePattern {
  RaiseGated(MLIRContext *context) : NodePattern(context, "Mul") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      auto act = stripCasts(op.getInputs()[i]).getDefiningOp<ActivationOp>();
      Value up = op.getInputs()[1 - i];
      if (!act || act.getUp() || !act->hasOneUse() ||
          up.getType() != act.getInput().getType())
        continue;
      createActivation(rewriter, op, act.getKind(), act.getInput(), up);
      rewriter.eraseOp(act);
      return success();
    }
    return failure();
  }
};

/// Relu(x) -> relu(x).
struct RaiseReLU : NodePattern {
  RaiseReLU(MLIRContext *context) : NodePattern(context, "Relu") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    if (!rankedFloat(op.getInputs()[0]))
      return failure();
    createActivation(rewriter, op, ActivationKind::ReLU, op.getInputs()[0]);
    return success();
  }
};

/// `x * c` or `x / (1/c)` for a scalar constant; returns x.
Value matchScaled(Value value, double c) {
  if (NodeOp mul = producer(value, "Mul"))
    for (unsigned i = 0; i < 2; ++i)
      if (isScalar(mul.getInputs()[i], c))
        return mul.getInputs()[1 - i];
  if (NodeOp div = producer(value, "Div"))
    if (isScalar(div.getInputs()[1], 1.0 / c))
      return div.getInputs()[0];
  return {};
}

/// `x^3` as Pow(x, 3) or x * x * x; returns x.
Value matchCube(Value value) {
  if (NodeOp pow = producer(value, "Pow"))
    return isScalar(pow.getInputs()[1], 3.0) ? pow.getInputs()[0] : Value();
  if (NodeOp mul = producer(value, "Mul")) {
    for (unsigned i = 0; i < 2; ++i) {
      Value x = mul.getInputs()[i];
      NodeOp sq = producer(mul.getInputs()[1 - i], "Mul");
      if (sq && sq.getInputs()[0] == x && sq.getInputs()[1] == x)
        return x;
    }
  }
  return {};
}

/// The argument of tanh in GELU's tanh form; returns x.
Value matchTanhArgument(Value value) {
  Value inner = matchScaled(value, std::sqrt(2.0 / M_PI));
  NodeOp add = inner ? producer(inner, "Add") : NodeOp();
  if (!add)
    return {};
  for (unsigned i = 0; i < 2; ++i) {
    Value x = add.getInputs()[i];
    Value cube = matchScaled(add.getInputs()[1 - i], 0.044715);
    if (cube && matchCube(cube) == x)
      return x;
  }
  return {};
}

/// From `t` = Erf(..) or Tanh(..) of x, follows 0.5 * x * (1 + t) to its
/// last node; returns that node, or null.
NodeOp matchGeluTail(Value t, Value x) {
  NodeOp add = soleUser(t, "Add");
  if (!add || !isScalar(otherOperand(add, t), 1.0))
    return {};
  NodeOp first = soleUser(add.getResult(0), "Mul");
  if (!first)
    return {};
  Value other = otherOperand(first, add.getResult(0));
  if (other == x) { // (x * (1 + t)) * 0.5
    NodeOp half = soleUser(first.getResult(0), "Mul");
    return half && isScalar(otherOperand(half, first.getResult(0)), 0.5)
               ? half
               : NodeOp();
  }
  if (matchScaled(other, 0.5) == x) // (0.5 * x) * (1 + t)
    return first;
  if (isScalar(other, 0.5)) { // (0.5 * (1 + t)) * x
    NodeOp byX = soleUser(first.getResult(0), "Mul");
    return byX && otherOperand(byX, first.getResult(0)) == x ? byX : NodeOp();
  }
  return {};
}

struct RaiseGeluErf : NodePattern {
  RaiseGeluErf(MLIRContext *context) : NodePattern(context, "Erf") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    Value x = matchScaled(op.getInputs()[0], 1.0 / std::sqrt(2.0));
    NodeOp tail = x && rankedFloat(x) ? matchGeluTail(op.getResult(0), x)
                                      : NodeOp();
    if (!tail)
      return failure();
    rewriter.setInsertionPoint(tail);
    createActivation(rewriter, tail, ActivationKind::GeluErf, x);
    return success();
  }
};

struct RaiseGeluTanh : NodePattern {
  RaiseGeluTanh(MLIRContext *context) : NodePattern(context, "Tanh") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    Value x = matchTanhArgument(op.getInputs()[0]);
    NodeOp tail = x && rankedFloat(x) ? matchGeluTail(op.getResult(0), x)
                                      : NodeOp();
    if (!tail)
      return failure();
    rewriter.setInsertionPoint(tail);
    createActivation(rewriter, tail, ActivationKind::GeluTanh, x);
    return success();
  }
};

} // namespace

void accel::raise::populateActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseSiLU, RaiseGated, RaiseReLU, RaiseGeluErf, RaiseGeluTanh>(
      patterns.getContext());
}
