//===- ONNXTensors.cpp - ONNX tensors as MLIR attributes ------------------===//

#include "ONNXTensors.h"

#include "accel/Support/Diagnostics.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace accel::onnx_import;

namespace {

/// Bytes per element of an ONNX data type as raw_data stores it.
unsigned elementBytes(int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::BOOL:
    return 1;
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return 2;
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  default:
    return 8;
  }
}

/// Copies a repeated protobuf field into little-endian element bytes.
template <typename Field>
std::vector<char> packField(const Field &field, unsigned bytes) {
  std::vector<char> data(size_t(field.size()) * bytes);
  for (int i = 0; i < field.size(); ++i) {
    uint64_t value;
    auto element = field.Get(i);
    if constexpr (std::is_floating_point_v<decltype(element)>) {
      if (bytes == 4) {
        float f = static_cast<float>(element);
        std::memcpy(&data[size_t(i) * 4], &f, 4);
        continue;
      }
      double d = static_cast<double>(element);
      std::memcpy(&value, &d, 8);
    } else {
      value = static_cast<uint64_t>(element);
    }
    std::memcpy(&data[size_t(i) * bytes], &value, bytes);
  }
  return data;
}

} // namespace

FailureOr<Type> accel::onnx_import::elementType(MLIRContext &context,
                                                int32_t onnxType) {
  auto integer = [&](unsigned width, bool isUnsigned) -> Type {
    return IntegerType::get(&context, width,
                            isUnsigned ? IntegerType::Unsigned
                                       : IntegerType::Signless);
  };
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return Type(Float32Type::get(&context));
  case onnx::TensorProto::FLOAT16:
    return Type(Float16Type::get(&context));
  case onnx::TensorProto::BFLOAT16:
    return Type(BFloat16Type::get(&context));
  case onnx::TensorProto::DOUBLE:
    return Type(Float64Type::get(&context));
  case onnx::TensorProto::INT8:
    return integer(8, false);
  case onnx::TensorProto::INT16:
    return integer(16, false);
  case onnx::TensorProto::INT32:
    return integer(32, false);
  case onnx::TensorProto::INT64:
    return integer(64, false);
  case onnx::TensorProto::UINT8:
    return integer(8, true);
  case onnx::TensorProto::UINT16:
    return integer(16, true);
  case onnx::TensorProto::UINT32:
    return integer(32, true);
  case onnx::TensorProto::UINT64:
    return integer(64, true);
  case onnx::TensorProto::BOOL:
    return integer(1, false);
  default:
    return failure();
  }
}

std::string accel::onnx_import::elementTypeName(int32_t onnxType) {
  if (onnx::TensorProto_DataType_IsValid(onnxType))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(onnxType));
  return "<invalid " + std::to_string(onnxType) + ">";
}

int accel::onnx_import::typedValueCount(const onnx::TensorProto &tensor) {
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    return tensor.float_data_size();
  case onnx::TensorProto::DOUBLE:
    return tensor.double_data_size();
  case onnx::TensorProto::INT64:
    return tensor.int64_data_size();
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    return tensor.uint64_data_size();
  case onnx::TensorProto::STRING:
    return tensor.string_data_size();
  default:
    return tensor.int32_data_size();
  }
}

FailureOr<ElementsAttr>
TensorImporter::import(const onnx::TensorProto &tensor,
                       int64_t inlineElements) {
  Location loc = NameLoc::get(StringAttr::get(&context, tensor.name()),
                              FileLineColLoc::get(&context, fileName, 0, 0));
  auto fail = [&]() { return emitError(loc) << "tensor '" << tensor.name() << "': "; };

  FailureOr<Type> element = elementType(context, tensor.data_type());
  if (failed(element)) {
    fail() << "unsupported element type " << elementTypeName(tensor.data_type());
    return failure();
  }
  SmallVector<int64_t> shape;
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || __builtin_mul_overflow(count, uint64_t(dim), &count) ||
        count > (uint64_t(1) << 40)) {
      fail() << "absurd dimension " << dim;
      return failure();
    }
    shape.push_back(dim);
  }
  auto type = RankedTensorType::get(shape, *element);
  unsigned bytes = elementBytes(tensor.data_type());
  uint64_t expected = count * bytes;

  // Where the bytes are, and who keeps them alive.
  ArrayRef<char> data;
  std::vector<char> packed;
  std::shared_ptr<llvm::MemoryBuffer> mapped;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = expected;
    for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset" || entry.key() == "length") {
        uint64_t value = 0;
        if (StringRef(entry.value()).getAsInteger(10, value)) {
          fail() << "external data " << entry.key() << " '" << entry.value()
                 << "' is not a number";
          return failure();
        }
        (entry.key() == "offset" ? offset : length) = value;
      }
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        StringRef(location).contains("..")) {
      fail() << "external data location '" << location
             << "' must be a relative path inside the model's directory";
      return failure();
    }
    if (length != expected) {
      fail() << "external data length " << length << " does not match "
             << shape.size() << "-d shape of " << count << " elements ("
             << expected << " bytes)";
      return failure();
    }
    SmallString<256> path(baseDir);
    llvm::sys::path::append(path, location);
    uint64_t fileSize = 0;
    if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize)) {
      fail() << "cannot open external data file '" << path
             << "': " << ec.message();
      return failure();
    }
    if (offset > fileSize || length > fileSize - offset) {
      fail() << "external data file '" << path << "' is too short: needs "
             << length << " bytes at offset " << offset << ", has "
             << fileSize;
      return failure();
    }
    if (length > 0) {
      auto slice = llvm::MemoryBuffer::getFileSlice(path, length, offset,
                                                    /*IsVolatile=*/false);
      if (!slice) {
        fail() << "cannot map external data file '" << path
               << "': " << slice.getError().message();
        return failure();
      }
      mapped = std::move(*slice);
      data = ArrayRef<char>(mapped->getBufferStart(), mapped->getBufferSize());
    }
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != expected) {
      fail() << "raw data holds " << tensor.raw_data().size()
             << " bytes, but its shape and type need " << expected;
      return failure();
    }
    data = ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
  } else {
    int stored = typedValueCount(tensor);
    if (uint64_t(stored) != count) {
      fail() << "holds " << stored << " values, but its shape needs " << count;
      return failure();
    }
    switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      packed = packField(tensor.float_data(), bytes);
      break;
    case onnx::TensorProto::DOUBLE:
      packed = packField(tensor.double_data(), bytes);
      break;
    case onnx::TensorProto::INT64:
      packed = packField(tensor.int64_data(), bytes);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      packed = packField(tensor.uint64_data(), bytes);
      break;
    default: // as typedValueCount: int32_data
      packed = packField(tensor.int32_data(), bytes);
      break;
    }
    data = ArrayRef<char>(packed.data(), packed.size());
  }

  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> values(data.begin(), data.end());
    return ElementsAttr(DenseElementsAttr::get(type, ArrayRef<bool>(values)));
  }
  if (int64_t(count) <= inlineElements) {
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, data, detectedSplat)) {
      fail() << "its data does not fit its type " << type;
      return failure();
    }
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, data));
  }

  // A blob that aliases the bytes where they are, if they are aligned for
  // the element type; otherwise an aligned copy.
  AsmResourceBlob blob;
  bool aligned = reinterpret_cast<uintptr_t>(data.data()) % bytes == 0;
  if (!aligned || !packed.empty()) {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, bytes);
  } else if (mapped) {
    blob = AsmResourceBlob(
        data, bytes,
        [keep = std::move(mapped)](void *, size_t, size_t) mutable {
          keep.reset();
        },
        /*dataIsMutable=*/false);
  } else {
    blob = AsmResourceBlob(
        data, bytes,
        [keep = model](void *, size_t, size_t) mutable { keep.reset(); },
        /*dataIsMutable=*/false);
  }
  return ElementsAttr(DenseResourceElementsAttr::get(
      type, accel::resourceKey(tensor.name()), std::move(blob)));
}
