//===- Attribute.cpp - constant attributes as host tensors ----------------===//

#include "accel/Reference/Executor.h"

#include "Kernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

#include <cstring>

using namespace accel::reference;
using namespace accel::reference::detail;

static double apFloatToDouble(llvm::APFloat value) {
  bool losesInfo;
  value.convert(llvm::APFloat::IEEEdouble(),
                llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return value.convertToDouble();
}

/// The tensor type of a constant, its dtype, and its element count.
struct ConstantLayout {
  DType dtype;
  llvm::SmallVector<int64_t> shape;
  int64_t count;
};

static llvm::Expected<ConstantLayout> layoutOf(mlir::ShapedType type) {
  if (!type.hasStaticShape())
    return fail("constant of type " + describeType(type) +
                " has no static shape");
  std::optional<DType> dtype = dtypeFromMLIR(type.getElementType());
  if (!dtype) {
    if (type.getElementType().isSignlessInteger())
      return fail("constant of type " + describeType(type) +
                  " holds sub-byte integers: it needs the quantized golden "
                  "model, not the fp32 reference executor");
    return fail("constant of type " + describeType(type) +
                " has an element type the executor does not hold");
  }
  return ConstantLayout{*dtype, llvm::SmallVector<int64_t>(type.getShape()),
                        type.getNumElements()};
}

static llvm::Expected<Tensor> fromDense(mlir::DenseElementsAttr attr) {
  llvm::Expected<ConstantLayout> layout = layoutOf(attr.getType());
  if (!layout)
    return layout.takeError();
  Tensor tensor(layout->dtype, layout->shape);
  if (tensor.getDType() == DType::F32 && !attr.isSplat()) {
    llvm::ArrayRef<char> raw = attr.getRawData();
    std::memcpy(tensor.getFloats().data(), raw.data(),
                sizeof(float) * tensor.getNumElements());
    return tensor;
  }
  if (tensor.getDType() == DType::F16 && !attr.isSplat()) {
    llvm::ArrayRef<char> raw = attr.getRawData();
    llvm::MutableArrayRef<float> floats = tensor.getFloats();
    for (int64_t i = 0; i < tensor.getNumElements(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, raw.data() + 2 * i, sizeof(bits));
      floats[i] = f16BitsToFloat(bits);
    }
    return tensor;
  }
  bool isUnsigned = isUnsignedDType(tensor.getDType());
  int64_t i = 0;
  if (tensor.isFloat()) {
    for (const llvm::APFloat &value : attr.getValues<llvm::APFloat>())
      tensor.setDouble(i++, apFloatToDouble(value));
  } else {
    for (const llvm::APInt &value : attr.getValues<llvm::APInt>())
      tensor.setInt(i++, isUnsigned ? static_cast<int64_t>(value.getZExtValue())
                                    : value.getSExtValue());
  }
  return tensor;
}

/// Reads little-endian element `i` of `bytes` as `dtype`.
static void readElement(Tensor &tensor, int64_t i, const char *bytes) {
  auto load = [&](auto sample) {
    decltype(sample) value;
    std::memcpy(&value, bytes + i * sizeof(value), sizeof(value));
    return value;
  };
  switch (tensor.getDType()) {
  case DType::F16: tensor.getFloats()[i] = f16BitsToFloat(load(uint16_t())); return;
  case DType::BF16: {
    uint32_t bits = static_cast<uint32_t>(load(uint16_t())) << 16;
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    tensor.setDouble(i, value);
    return;
  }
  case DType::F32: tensor.getFloats()[i] = load(float()); return;
  case DType::F64: tensor.getDoubles()[i] = load(double()); return;
  case DType::I8: tensor.setInt(i, load(int8_t())); return;
  case DType::I16: tensor.setInt(i, load(int16_t())); return;
  case DType::I32: tensor.setInt(i, load(int32_t())); return;
  case DType::I64: tensor.setInt(i, load(int64_t())); return;
  case DType::U8: tensor.setInt(i, load(uint8_t())); return;
  case DType::Bool: tensor.setInt(i, load(uint8_t()) != 0); return;
  case DType::U16: tensor.setInt(i, load(uint16_t())); return;
  case DType::U32: tensor.setInt(i, load(uint32_t())); return;
  case DType::U64:
    tensor.setInt(i, static_cast<int64_t>(load(uint64_t())));
    return;
  }
}

static unsigned storageBytes(DType dtype) {
  switch (dtype) {
  case DType::F16: case DType::BF16: return 2;
  case DType::F32: return 4;
  case DType::F64: return 8;
  default: return std::max(1u, intBitWidth(dtype) / 8);
  }
}

/// A dense_resource constant's layout and its blob, checked to hold exactly
/// its type's elements.
struct ResourceData {
  ConstantLayout layout;
  llvm::ArrayRef<char> data;
};

static llvm::Expected<ResourceData>
resourceData(mlir::DenseResourceElementsAttr attr) {
  llvm::Expected<ConstantLayout> layout = layoutOf(attr.getType());
  if (!layout)
    return layout.takeError();
  mlir::AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob)
    return fail("dense_resource '" + attr.getRawHandle().getKey() +
                "' has no data");
  llvm::ArrayRef<char> data = blob->getData();
  uint64_t expected =
      static_cast<uint64_t>(layout->count) * storageBytes(layout->dtype);
  if (data.size() != expected)
    return fail("dense_resource '" + attr.getRawHandle().getKey() + "' holds " +
                llvm::Twine(data.size()) + " bytes, its type " +
                describeType(attr.getType()) + " needs " +
                llvm::Twine(expected));
  return ResourceData{std::move(*layout), data};
}

static llvm::Expected<Tensor>
fromResource(mlir::DenseResourceElementsAttr attr) {
  llvm::Expected<ResourceData> resource = resourceData(attr);
  if (!resource)
    return resource.takeError();
  Tensor tensor(resource->layout.dtype, resource->layout.shape);
  for (int64_t i = 0; i < resource->layout.count; ++i)
    readElement(tensor, i, resource->data.data());
  return tensor;
}

llvm::Expected<Tensor> accel::reference::fromAttribute(mlir::Attribute attr) {
  if (auto dense = llvm::dyn_cast_or_null<mlir::DenseElementsAttr>(attr))
    return fromDense(dense);
  if (auto resource =
          llvm::dyn_cast_or_null<mlir::DenseResourceElementsAttr>(attr))
    return fromResource(resource);
  // Scalars (index, integer and float attributes) are rank-0 tensors.
  if (auto integer = llvm::dyn_cast_or_null<mlir::IntegerAttr>(attr))
    if (std::optional<DType> dtype = dtypeFromMLIR(integer.getType())) {
      Tensor tensor(*dtype, {});
      llvm::APInt value = integer.getValue();
      tensor.setInt(0, isUnsignedDType(*dtype)
                           ? static_cast<int64_t>(value.getZExtValue())
                           : value.getSExtValue());
      return tensor;
    }
  if (auto real = llvm::dyn_cast_or_null<mlir::FloatAttr>(attr))
    if (std::optional<DType> dtype = dtypeFromMLIR(real.getType())) {
      Tensor tensor(*dtype, {});
      tensor.setDouble(0, apFloatToDouble(real.getValue()));
      return tensor;
    }
  std::string text = "null";
  if (attr) {
    text.clear();
    llvm::raw_string_ostream os(text);
    attr.print(os);
  }
  if (text.size() > 80)
    text = text.substr(0, 77) + "...";
  return fail("not a dense or dense_resource elements attribute nor a "
              "scalar the executor holds: " +
              text);
}

llvm::Expected<std::vector<float>>
accel::reference::floatsFromAttribute(mlir::Attribute attr) {
  llvm::Expected<Tensor> tensor = fromAttribute(attr);
  if (!tensor)
    return tensor.takeError();
  std::vector<float> values(tensor->getNumElements());
  for (int64_t i = 0; i < tensor->getNumElements(); ++i)
    values[i] = static_cast<float>(tensor->getDouble(i));
  return values;
}

llvm::Error accel::reference::forEachFloatRow(
    mlir::Attribute attr,
    llvm::function_ref<void(int64_t, llvm::ArrayRef<float>)> row) {
  auto typed = llvm::dyn_cast_or_null<mlir::TypedAttr>(attr);
  auto shaped =
      typed ? llvm::dyn_cast<mlir::ShapedType>(typed.getType()) : nullptr;
  int64_t columns = shaped && shaped.hasRank() && shaped.getRank() > 0
                        ? shaped.getShape().back()
                        : 1;
  auto resource = llvm::dyn_cast_or_null<mlir::DenseResourceElementsAttr>(attr);
  if (!resource) {
    llvm::Expected<std::vector<float>> values = floatsFromAttribute(attr);
    if (!values)
      return values.takeError();
    for (int64_t r = 0; columns > 0 && (r + 1) * columns <=
                                           int64_t(values->size());
         ++r)
      row(r, llvm::ArrayRef<float>(*values).slice(r * columns, columns));
    return llvm::Error::success();
  }
  llvm::Expected<ResourceData> data = resourceData(resource);
  if (!data)
    return data.takeError();
  if (columns <= 0)
    return llvm::Error::success();
  Tensor line(data->layout.dtype, {columns});
  std::vector<float> values(columns);
  int64_t rowBytes = columns * storageBytes(data->layout.dtype);
  for (int64_t r = 0; r < data->layout.count / columns; ++r) {
    for (int64_t c = 0; c < columns; ++c)
      readElement(line, c, data->data.data() + r * rowBytes);
    if (line.getStorage() == Storage::Float) {
      row(r, line.getFloats());
      continue;
    }
    for (int64_t c = 0; c < columns; ++c)
      values[c] = static_cast<float>(line.getDouble(c));
    row(r, values);
  }
  return llvm::Error::success();
}
