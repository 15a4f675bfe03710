//===- RoundToNearest.h - the compiler's round-to-nearest quantizer -*- C++ -*-===//
//
// Internal to lib/Transforms: docs/NUMERICS.md §2's round-to-nearest of a
// weight's groups as accel-quantize runs it over every weight of a model.
// It gives, bit for bit, what the golden model's groupParams and
// quantizeValue give (unittests/Transforms/RoundToNearestTest.cpp checks
// extremes, NaN, infinities, subnormals and random groups), but in loops
// the compiler vectorises: called per element, the golden functions were a
// fifth of a 7B compile. Only the compiler uses it; the golden executor and
// the simulator keep their own arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_TRANSFORMS_ROUNDTONEAREST_H
#define ACCEL_LIB_TRANSFORMS_ROUNDTONEAREST_H

#include "accel/Reference/Golden.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace accel::compression {

/// Quantizes the `values` of one group to `bits` (2, 3, 4 or 8) bits: its
/// scale and zero point (golden::groupParams) and, in `q` (values.size()
/// bytes), the low `bits` bits of each value's golden::quantizeValue.
reference::golden::GroupParams quantizeGroup(llvm::ArrayRef<float> values,
                                             unsigned bits, bool symmetric,
                                             uint8_t *q);

} // namespace accel::compression

#endif // ACCEL_LIB_TRANSFORMS_ROUNDTONEAREST_H
