//===- IntElements.cpp - the values of integer constants ------------------===//

#include "accel/Support/IntElements.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>

using namespace accel;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

uint64_t lowBits(unsigned bits) {
  return bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

/// Elements per parallel chunk: a multiple of 8, so that a packed chunk
/// starts on a byte.
constexpr uint64_t kChunk = uint64_t(1) << 16;

/// The `bytes` bytes at `in` as 8 / B fields of B bits each, LSB first.
template <unsigned B, typename T>
void unpackBytes(const uint8_t *in, uint64_t bytes, T *out) {
  constexpr unsigned per = 8 / B;
  for (uint64_t b = 0; b < bytes; ++b)
    for (unsigned j = 0; j < per; ++j)
      out[b * per + j] = T((in[b] >> (j * B)) & ((1u << B) - 1));
}

/// packIntFields for B dividing 8: each byte from 8 / B values.
template <unsigned B>
void packBytes(const uint8_t *values, uint64_t count, uint8_t *out) {
  constexpr unsigned per = 8 / B;
  uint64_t bytes = count / per;
  for (uint64_t b = 0; b < bytes; ++b) {
    uint8_t byte = 0;
    for (unsigned j = 0; j < per; ++j)
      byte |= uint8_t(values[b * per + j] << (j * B));
    out[b] = byte;
  }
  if (uint64_t rest = count % per) {
    uint8_t byte = 0;
    for (unsigned j = 0; j < rest; ++j)
      byte |= uint8_t(values[bytes * per + j] << (j * B));
    out[bytes] = byte;
  }
}

} // namespace

void accel::packIntFields(const uint8_t *values, uint64_t count, unsigned bits,
                          uint8_t *out) {
  switch (bits) {
  case 1:
    return packBytes<1>(values, count, out);
  case 2:
    return packBytes<2>(values, count, out);
  case 4:
    return packBytes<4>(values, count, out);
  case 8:
    return packBytes<8>(values, count, out);
  default:
    break;
  }
  uint64_t pending = 0;
  unsigned fill = 0;
  for (uint64_t i = 0; i < count; ++i) {
    pending |= uint64_t(values[i]) << fill;
    fill += bits;
    if (fill >= 8) {
      *out++ = uint8_t(pending);
      pending >>= 8;
      fill -= 8;
    }
  }
  if (fill)
    *out = uint8_t(pending);
}

template <typename T>
void accel::unpackIntFields(const uint8_t *bytes, unsigned bits, uint64_t first,
                            llvm::MutableArrayRef<T> out) {
  uint64_t i = 0, n = out.size();
  if (8 % bits == 0) {
    unsigned per = 8 / bits;
    for (; i < n && (first + i) % per; ++i)
      out[i] = T(intFieldAt(bytes, bits, first + i));
    uint64_t whole = (n - i) / per;
    const uint8_t *in = bytes + (first + i) / per;
    if (bits == 1)
      unpackBytes<1>(in, whole, out.data() + i);
    else if (bits == 2)
      unpackBytes<2>(in, whole, out.data() + i);
    else if (bits == 4)
      unpackBytes<4>(in, whole, out.data() + i);
    else
      unpackBytes<8>(in, whole, out.data() + i);
    i += whole * per;
  }
  for (; i < n; ++i)
    out[i] = T(intFieldAt(bytes, bits, first + i));
}

template void accel::unpackIntFields<uint64_t>(const uint8_t *, unsigned,
                                               uint64_t,
                                               llvm::MutableArrayRef<uint64_t>);
template void accel::unpackIntFields<int64_t>(const uint8_t *, unsigned,
                                              uint64_t,
                                              llvm::MutableArrayRef<int64_t>);

llvm::ArrayRef<uint8_t> IntElements::packedBytes() const {
  if (data && packed)
    return {data, intBlobBytes(count, bits)};
  if (data && bits == 8 && stride == 1)
    return {data, count};
  return {};
}

void IntElements::read(uint64_t begin,
                       llvm::MutableArrayRef<uint64_t> out) const {
  if (data && packed)
    return unpackIntFields(data, bits, begin, out);
  for (uint64_t i = 0; i < out.size(); ++i)
    out[i] = (*this)[begin + i];
}

uint64_t accel::intBlobBytes(uint64_t count, unsigned bits) {
  if (bits < 8)
    return (count * bits + 7) / 8;
  return count * ((bits + 7) / 8);
}

void accel::packIntElements(uint64_t count, unsigned bits,
                            llvm::function_ref<uint64_t(uint64_t)> bitsOf,
                            llvm::MutableArrayRef<uint8_t> blob) {
  uint64_t mask = lowBits(bits);
  uint64_t chunks = (count + kChunk - 1) / kChunk;
  llvm::parallelFor(0, chunks, [&](uint64_t chunk) {
    uint64_t begin = chunk * kChunk, end = std::min(count, begin + kChunk);
    if (bits >= 8) {
      unsigned width = (bits + 7) / 8;
      for (uint64_t i = begin; i < end; ++i) {
        uint64_t v = bitsOf(i) & mask;
        for (unsigned b = 0; b < width; ++b)
          blob[i * width + b] = uint8_t(v >> (8 * b));
      }
      return;
    }
    std::vector<uint8_t> values(end - begin);
    for (uint64_t i = begin; i < end; ++i)
      values[i - begin] = uint8_t(bitsOf(i) & mask);
    packIntFields(values.data(), values.size(), bits,
                  blob.data() + begin * bits / 8);
  });
}

llvm::Expected<IntElements> IntElements::get(mlir::Attribute attr) {
  auto typed = llvm::dyn_cast_or_null<mlir::TypedAttr>(attr);
  auto type = typed ? llvm::dyn_cast<mlir::RankedTensorType>(typed.getType())
                    : mlir::RankedTensorType();
  if (!type || !llvm::isa<mlir::IntegerType>(type.getElementType()))
    return fail("not an integer tensor constant");
  if (!type.hasStaticShape())
    return fail("an integer constant without a static shape");
  IntElements elements;
  elements.count = uint64_t(type.getNumElements());
  elements.bits = type.getElementTypeBitWidth();
  elements.mask = lowBits(elements.bits);
  if (elements.bits > 64)
    return fail("integers of more than 64 bits, got i" +
                llvm::Twine(elements.bits));
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(attr)) {
    if (dense.isSplat()) {
      elements.values.push_back(dense.getSplatValue<llvm::APInt>().getZExtValue() &
                                elements.mask);
      return elements;
    }
    elements.values.reserve(elements.count);
    for (const llvm::APInt &v : dense.getValues<llvm::APInt>())
      elements.values.push_back(v.getZExtValue() & elements.mask);
    return elements;
  }
  auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(attr);
  if (!resource)
    return fail("not a dense or dense_resource constant");
  mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return fail("dense_resource '" + resource.getRawHandle().getKey() +
                "' has no data");
  llvm::ArrayRef<char> data = blob->getData();
  elements.data = reinterpret_cast<const uint8_t *>(data.data());
  elements.stride = std::max(1u, (elements.bits + 7) / 8);
  uint64_t unpacked = elements.count * elements.stride;
  if (data.size() == unpacked)
    return elements;
  if (elements.bits < 8 &&
      data.size() == intBlobBytes(elements.count, elements.bits)) {
    elements.packed = true;
    return elements;
  }
  std::string layouts =
      std::to_string(intBlobBytes(elements.count, elements.bits));
  if (elements.bits < 8)
    layouts += " packed or " + std::to_string(unpacked) + " one per byte";
  return fail("dense_resource '" + resource.getRawHandle().getKey() +
              "' holds " + llvm::Twine(data.size()) + " bytes; " +
              llvm::Twine(elements.count) + " i" + llvm::Twine(elements.bits) +
              " elements take " + layouts);
}
