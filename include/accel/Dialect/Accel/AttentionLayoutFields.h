//===- AttentionLayoutFields.h - accel.attention_layout's fields -*- C++ -*-===//
//
// The fields of a step's accel.attention_layout dictionary, in the order the
// lowering records them: the dialect's verifier accepts these names only,
// and the lowering's AttentionLayout.cpp checks at compile time that its
// fields are these (AttentionLayout.h says what each holds).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_DIALECT_ACCEL_ATTENTIONLAYOUTFIELDS_H
#define ACCEL_DIALECT_ACCEL_ATTENTIONLAYOUTFIELDS_H

#include "llvm/ADT/StringRef.h"

namespace accel {

inline constexpr llvm::StringLiteral kAttentionLayoutFields[] = {
    "tile",   "record", "keys",    "values",       "chunk",   "rows",
    "scores", "probs",  "queries", "query_scales", "weights", "weight_scales",
    "bank",   "end",    "tables",  "segment"};

} // namespace accel

#endif // ACCEL_DIALECT_ACCEL_ATTENTIONLAYOUTFIELDS_H
