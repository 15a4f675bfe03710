//===- ONNXImport.cpp - ONNX models into MLIR -----------------------------===//
//
// ModelProto -> `func.func @main_graph` of `onnx.node` ops. The model is read
// through an mmapped llvm::MemoryBuffer, checked with ONNX's checker, its
// shapes inferred by ONNX's shape inference in a child process (with data
// propagation, after fixing the symbolic dimensions the user gave sizes
// for), and every node turned into one op. Weights become DenseResourceElementsAttr blobs that
// alias the parsed model or the mmapped external data file.
//
//===----------------------------------------------------------------------===//

#include "accel/Frontend/ONNXImport.h"

#include "ONNXShapeInference.h"
#include "ONNXTensors.h"

#include "accel/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>

using namespace mlir;
using namespace accel;
using namespace accel::onnx_import;

namespace {

/// The first paragraph of an exception message, on one line: ONNX's messages
/// append context after a blank line, and some break their first sentence
/// over lines ("input 'z' of node: \nname: ... is not output of ...").
std::string firstLine(const char *what) {
  StringRef paragraph = StringRef(what).split("\n\n").first;
  std::string text;
  for (StringRef line : llvm::split(paragraph, '\n')) {
    SmallVector<StringRef> parts;
    line.split(parts, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
    for (StringRef part : parts)
      text += (text.empty() ? "" : " ") + part.str();
  }
  return text;
}

class Importer {
public:
  Importer(MLIRContext &context, StringRef fileName, StringRef baseDir,
           std::shared_ptr<onnx::ModelProto> model)
      : context(context), builder(&context), fileName(fileName.str()),
        tensors(context, fileName, baseDir, model), model(std::move(model)) {}

  /// Checks that every node input names a graph input, an initializer or
  /// the output of an earlier node, before shape inference. Reports the
  /// first such input at its node. ONNX 1.12's inference reads the type of
  /// some inputs without checking that it exists (Shape's in data
  /// propagation, EyeLike's): its child process would die on a dangling
  /// name, and the error would not say which.
  LogicalResult checkNames();
  OwningOpRef<ModuleOp> run();

private:
  InFlightDiagnostic errorAt(const onnx::NodeProto &node) {
    return emitError(nodeLoc(node)) << "node '" << nodeName(node) << "' ("
                                    << node.op_type() << "): ";
  }
  void danglingInput(const onnx::NodeProto &node, StringRef input) {
    errorAt(node) << "input '" << input
                  << "' is not a graph input, an initializer or the output of "
                     "an earlier node (dangling name, or the graph is not in "
                     "topological order)";
  }
  InFlightDiagnostic error() {
    return emitError(FileLineColLoc::get(&context, fileName, 0, 0));
  }

  std::string nodeName(const onnx::NodeProto &node) {
    return node.name().empty() ? node.op_type() + "#" + std::to_string(index)
                               : node.name();
  }
  /// A node's location: its name, within the model file.
  Location nodeLoc(const onnx::NodeProto &node) {
    return NameLoc::get(builder.getStringAttr(nodeName(node)),
                        FileLineColLoc::get(&context, fileName, 0, 0));
  }

  /// The MLIR type of a value; errors are reported at `loc` (the file when
  /// null).
  FailureOr<Type> typeOf(const onnx::TypeProto &type, StringRef what,
                         std::optional<Location> loc = std::nullopt);
  LogicalResult importInputs(func::FuncOp &func);
  LogicalResult importInitializers();
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult importConstantNode(const onnx::NodeProto &node);
  FailureOr<Attribute> importAttribute(const onnx::NodeProto &node,
                                       const onnx::AttributeProto &attr);
  LogicalResult importOutputs();

  MLIRContext &context;
  OpBuilder builder;
  std::string fileName;
  TensorImporter tensors;
  std::shared_ptr<onnx::ModelProto> model;
  llvm::StringMap<Value> values;
  llvm::StringSet<> poisonedValues;
  llvm::StringMap<const onnx::TypeProto *> knownTypes;
  std::map<std::string, int> opsets;
  size_t index = 0;
  bool nodeFailed = false;
};

FailureOr<Type> Importer::typeOf(const onnx::TypeProto &type, StringRef what,
                                 std::optional<Location> loc) {
  auto error = [&] {
    return loc ? emitError(*loc) : this->error();
  };
  if (!type.has_tensor_type()) {
    error() << "unsupported: " << what
            << " is not a tensor (sequences, maps and optionals are not "
               "supported)";
    return failure();
  }
  const onnx::TypeProto_Tensor &tensor = type.tensor_type();
  FailureOr<Type> element = elementType(context, tensor.elem_type());
  if (failed(element)) {
    error() << "unsupported: " << what << " has element type "
            << elementTypeName(tensor.elem_type());
    return failure();
  }
  if (!tensor.has_shape())
    return Type(UnrankedTensorType::get(*element));
  SmallVector<int64_t> shape;
  for (const onnx::TensorShapeProto_Dimension &dim : tensor.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) {
        error() << what << " has a negative dimension " << dim.dim_value();
        return failure();
      }
      shape.push_back(dim.dim_value());
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
  }
  return Type(RankedTensorType::get(shape, *element));
}

LogicalResult Importer::importInputs(func::FuncOp &func) {
  const onnx::GraphProto &graph = model->graph();
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &init : graph.initializer())
    initializerNames.insert(init.name());

  SmallVector<Type> argTypes, resultTypes;
  SmallVector<Attribute> argAttrs, resultAttrs;
  SmallVector<std::string> argNames;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    // Before IR version 4, initializers were listed among the inputs too.
    if (initializerNames.contains(input.name()))
      continue;
    FailureOr<Type> type =
        typeOf(input.type(), "graph input '" + input.name() + "'");
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argNames.push_back(input.name());
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("onnx.name", builder.getStringAttr(input.name()))};
    if (input.type().tensor_type().has_shape()) {
      SmallVector<Attribute> dimParams;
      for (const auto &dim : input.type().tensor_type().shape().dim())
        dimParams.push_back(builder.getStringAttr(dim.dim_param()));
      if (llvm::any_of(dimParams, [](Attribute a) {
            return !cast<StringAttr>(a).getValue().empty();
          }))
        attrs.push_back(builder.getNamedAttr("onnx.dim_params",
                                             builder.getArrayAttr(dimParams)));
    }
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
  }
  for (const onnx::ValueInfoProto &output : graph.output()) {
    FailureOr<Type> type =
        typeOf(output.type(), "graph output '" + output.name() + "'");
    if (failed(type))
      return failure();
    resultTypes.push_back(*type);
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        "onnx.name", builder.getStringAttr(output.name()))));
  }
  func = func::FuncOp::create(
      FileLineColLoc::get(&context, fileName, 0, 0), "main_graph",
      builder.getFunctionType(argTypes, resultTypes));
  func.setAllArgAttrs(argAttrs);
  func.setAllResultAttrs(resultAttrs);
  Block *entry = func.addEntryBlock();
  for (auto [name, arg] : llvm::zip(argNames, entry->getArguments()))
    values[name] = arg;
  builder.setInsertionPointToStart(entry);
  return success();
}

LogicalResult Importer::importInitializers() {
  for (const onnx::TensorProto &init : model->graph().initializer()) {
    FailureOr<ElementsAttr> value = tensors.import(init);
    if (failed(value))
      return failure();
    Location loc = NameLoc::get(builder.getStringAttr(init.name()));
    values[init.name()] =
        builder.create<arith::ConstantOp>(loc, cast<TypedAttr>(*value));
  }
  if (model->graph().sparse_initializer_size() > 0) {
    error() << "unsupported: sparse initializer '"
            << model->graph().sparse_initializer(0).values().name() << "'";
    return failure();
  }
  return success();
}

FailureOr<Attribute>
Importer::importAttribute(const onnx::NodeProto &node,
                          const onnx::AttributeProto &attr) {
  switch (attr.type()) {
  case onnx::AttributeProto::INT:
    return Attribute(builder.getI64IntegerAttr(attr.i()));
  case onnx::AttributeProto::FLOAT:
    return Attribute(builder.getF32FloatAttr(attr.f()));
  case onnx::AttributeProto::STRING:
    return Attribute(builder.getStringAttr(attr.s()));
  case onnx::AttributeProto::INTS:
    return Attribute(builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end())));
  case onnx::AttributeProto::FLOATS:
    return Attribute(builder.getDenseF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end())));
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> strings;
    for (const std::string &s : attr.strings())
      strings.push_back(builder.getStringAttr(s));
    return Attribute(builder.getArrayAttr(strings));
  }
  case onnx::AttributeProto::TENSOR: {
    FailureOr<ElementsAttr> value = tensors.import(attr.t());
    if (failed(value))
      return failure();
    return Attribute(*value);
  }
  default:
    errorAt(node) << "unsupported: attribute '" << attr.name()
                  << "' is a graph, sparse tensor or type (control flow and "
                     "subgraphs are not supported)";
    return failure();
  }
}

LogicalResult Importer::importConstantNode(const onnx::NodeProto &node) {
  if (node.attribute_size() != 1 || node.output_size() != 1) {
    errorAt(node) << "a Constant node needs exactly one value attribute";
    return failure();
  }
  const onnx::AttributeProto &attr = node.attribute(0);
  Location loc = nodeLoc(node);
  TypedAttr value;
  if (attr.name() == "value") {
    FailureOr<ElementsAttr> tensor = tensors.import(
        attr.t(), onnx_import::TensorImporter::kConstantNodeInlineElements);
    if (failed(tensor))
      return failure();
    value = cast<TypedAttr>(*tensor);
  } else if (attr.name() == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, builder.getF32Type()),
                                   attr.f());
  } else if (attr.name() == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, builder.getI64Type()),
                                   int64_t(attr.i()));
  } else if (attr.name() == "value_floats") {
    SmallVector<float> data(attr.floats().begin(), attr.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(data.size())}, builder.getF32Type()),
        ArrayRef<float>(data));
  } else if (attr.name() == "value_ints") {
    SmallVector<int64_t> data(attr.ints().begin(), attr.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(data.size())}, builder.getI64Type()),
        ArrayRef<int64_t>(data));
  } else {
    errorAt(node) << "unsupported: Constant with attribute '" << attr.name()
                  << "'";
    return failure();
  }
  values[node.output(0)] = builder.create<arith::ConstantOp>(loc, value);
  return success();
}

LogicalResult Importer::importNode(const onnx::NodeProto &node) {
  std::string domain =
      node.domain() == "ai.onnx" ? std::string() : node.domain();
  auto opset = opsets.find(domain);
  if (opset == opsets.end()) {
    errorAt(node) << "unsupported: domain '" << domain
                  << "' has no opset import";
    return failure();
  }
  // Operators of ONNX's own domains must exist; those of a custom domain
  // (com.microsoft, ...) have no schema here and are imported as they are,
  // typed from the model's value_info.
  bool onnxDomain = domain.empty() || domain == "ai.onnx.ml" ||
                    StringRef(domain).starts_with("ai.onnx.");
  if (onnxDomain &&
      !onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second, domain)) {
    errorAt(node) << "unsupported op type '" << node.op_type() << "'"
                  << (domain.empty() ? "" : " in domain '" + domain + "'")
                  << " at opset " << opset->second
                  << ": ONNX defines no such operator";
    return failure();
  }
  if (domain.empty() && node.op_type() == "Constant")
    return importConstantNode(node);

  SmallVector<Value> operands;
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      operands.push_back(
          builder.create<onnxir::NoneOp>(nodeLoc(node), builder.getNoneType())
              .getResult());
      continue;
    }
    auto it = values.find(input);
    if (it == values.end()) {
      danglingInput(node, input);
      return failure();
    }
    operands.push_back(it->second);
  }
  SmallVector<Type> resultTypes;
  for (const std::string &output : node.output()) {
    if (output.empty()) {
      resultTypes.push_back(builder.getNoneType());
      continue;
    }
    auto known = knownTypes.find(output);
    if (known == knownTypes.end()) {
      // After an earlier node failed, a missing type is most likely its
      // consequence (inference stopped there): that error stands alone.
      if (!nodeFailed)
        errorAt(node) << "cannot infer the type of output '" << output
                      << "': ONNX shape inference gave none";
      return failure();
    }
    FailureOr<Type> type =
        typeOf(*known->second,
               "output '" + output + "' of node '" + nodeName(node) + "'",
               nodeLoc(node));
    if (failed(type))
      return failure();
    resultTypes.push_back(*type);
  }
  SmallVector<NamedAttribute> attrs;
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.name() == "op_type" || attr.name() == "domain") {
      errorAt(node) << "unsupported: attribute named '" << attr.name() << "'";
      return failure();
    }
    FailureOr<Attribute> value = importAttribute(node, attr);
    if (failed(value))
      return failure();
    attrs.push_back(builder.getNamedAttr(attr.name(), *value));
  }
  auto op = builder.create<onnxir::NodeOp>(nodeLoc(node), resultTypes,
                                           node.op_type(), domain, operands);
  for (NamedAttribute attr : attrs)
    op->setAttr(attr.getName(), attr.getValue());
  for (auto [output, result] : llvm::zip(node.output(), op.getResults()))
    if (!output.empty())
      values[output] = result;
  return success();
}

LogicalResult Importer::importOutputs() {
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : model->graph().output()) {
    if (poisonedValues.contains(output.name()))
      return failure();
    auto it = values.find(output.name());
    if (it == values.end()) {
      error() << "graph output '" << output.name()
              << "' is not produced by any node, initializer or input";
      return failure();
    }
    results.push_back(it->second);
  }
  builder.create<func::ReturnOp>(
      FileLineColLoc::get(&context, fileName, 0, 0), results);
  return success();
}

LogicalResult Importer::checkNames() {
  const onnx::GraphProto &graph = model->graph();
  llvm::StringSet<> defined;
  for (const onnx::ValueInfoProto &input : graph.input())
    defined.insert(input.name());
  for (const onnx::TensorProto &init : graph.initializer())
    defined.insert(init.name());
  for (index = 0; index < size_t(graph.node_size()); ++index) {
    const onnx::NodeProto &node = graph.node(int(index));
    for (const std::string &input : node.input()) {
      if (!input.empty() && !defined.contains(input)) {
        danglingInput(node, input);
        return failure();
      }
    }
    for (const std::string &output : node.output())
      defined.insert(output);
  }
  index = 0;
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      onnxir::ONNXDialect>();
  for (const onnx::OperatorSetIdProto &opset : model->opset_import())
    opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] =
        static_cast<int>(opset.version());
  const onnx::GraphProto &graph = model->graph();
  for (const onnx::ValueInfoProto &info : graph.input())
    knownTypes[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.value_info())
    knownTypes[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.output())
    knownTypes[info.name()] = &info.type();

  auto module = ModuleOp::create(FileLineColLoc::get(&context, fileName, 0, 0));
  // The default domain is keyed "ai.onnx": MLIR dictionaries have no empty
  // keys.
  SmallVector<NamedAttribute> opsetAttrs;
  for (const auto &[domain, version] : opsets)
    opsetAttrs.push_back(builder.getNamedAttr(
        domain.empty() ? "ai.onnx" : domain, builder.getI64IntegerAttr(version)));
  module->setAttr("onnx.opset", builder.getDictionaryAttr(opsetAttrs));
  if (!model->producer_name().empty())
    module->setAttr("onnx.producer",
                    builder.getStringAttr(model->producer_name() + " " +
                                          model->producer_version()));
  OwningOpRef<ModuleOp> owned(module);

  func::FuncOp func;
  if (failed(importInputs(func)))
    return nullptr;
  module.push_back(func);
  if (failed(importInitializers()))
    return nullptr;
  // One error per problem: the outputs of a node that failed are poisoned,
  // and nodes that read them fail silently.
  for (const onnx::NodeProto &node : graph.node()) {
    bool poisoned = llvm::any_of(node.input(), [&](const std::string &input) {
      return poisonedValues.contains(input);
    });
    if (poisoned || failed(importNode(node))) {
      nodeFailed = true;
      for (const std::string &output : node.output())
        poisonedValues.insert(output);
    }
    ++index;
  }
  if (nodeFailed || failed(importOutputs()) || failed(verify(module)))
    return nullptr;
  return owned;
}

/// Gives symbolic input dimensions their requested sizes before inference.
void fixDimensions(onnx::ModelProto &model, const ONNXImportOptions &options) {
  for (onnx::ValueInfoProto &input : *model.mutable_graph()->mutable_input()) {
    if (!input.type().has_tensor_type() ||
        !input.type().tensor_type().has_shape())
      continue;
    for (onnx::TensorShapeProto_Dimension &dim :
         *input.mutable_type()->mutable_tensor_type()->mutable_shape()
              ->mutable_dim()) {
      if (dim.has_dim_value())
        continue;
      auto it = options.dimValues.find(dim.dim_param());
      int64_t size = it != options.dimValues.end() ? it->second
                                                    : options.defaultDimValue;
      if (size > 0)
        dim.set_dim_value(size);
    }
  }
}

/// Whether the inline data of `tensor` holds as many values as its shape
/// needs (external data and types accel does not take are checked later).
bool dataFitsShape(MLIRContext &context, const onnx::TensorProto &tensor) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return true;
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim != 0 && count > UINT64_MAX / uint64_t(dim)))
      return false;
    count *= uint64_t(dim);
  }
  if (tensor.has_raw_data()) {
    FailureOr<Type> type = elementType(context, tensor.data_type());
    if (failed(type))
      return true;
    uint64_t bytes = (type->getIntOrFloatBitWidth() + 7) / 8;
    return tensor.raw_data().size() % bytes == 0 &&
           tensor.raw_data().size() / bytes == count;
  }
  // A value in another field than the data type's is not one shape
  // inference reads.
  return uint64_t(onnx_import::typedValueCount(tensor)) == count;
}

/// Whether every initializer and Constant node value holds the values its
/// shape needs. ONNX 1.12's shape inference reads shape inputs (Range's
/// bounds, ...) without checking: its child process would die on an empty
/// scalar, and the error would not say which. Without inference the importer
/// names the tensor at fault.
bool tensorsFitShapes(MLIRContext &context, const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &init : graph.initializer())
    if (!dataFitsShape(context, init))
      return false;
  for (const onnx::NodeProto &node : graph.node())
    for (const onnx::AttributeProto &attr : node.attribute())
      if (attr.has_t() && !dataFitsShape(context, attr.t()))
        return false;
  return true;
}

/// Checks, completes (dimensions, shapes) and imports a parsed model.
OwningOpRef<ModuleOp> importParsed(MLIRContext &context,
                                   std::shared_ptr<onnx::ModelProto> model,
                                   StringRef name, StringRef baseDir,
                                   const ONNXImportOptions &options,
                                   bool checkFromPath) {
  Location fileLoc = FileLineColLoc::get(&context, name, 0, 0);
  // Dimensions, names (a dangling one crashes shape inference) and shape
  // inference first (in a child process: ONNXShapeInference.h), then
  // accel's own checks while building the IR (they name the node at fault),
  // then ONNX's checker for whatever else is malformed.
  fixDimensions(*model, options);
  Importer importer(context, name, baseDir, model);
  if (failed(importer.checkNames()))
    return nullptr;
  std::string inferenceError;
  if (options.inferShapes && tensorsFitShapes(context, model->graph())) {
    if (failed(inferShapes(*model, fileLoc, options, inferenceError)))
      return nullptr;
    inferenceError = firstLine(inferenceError.c_str());
  }
  OwningOpRef<ModuleOp> module = importer.run();
  if (!module)
    return nullptr;
  try {
    if (checkFromPath)
      onnx::checker::check_model(name.str());
    else
      onnx::checker::check_model(*model);
  } catch (const std::exception &e) {
    emitError(fileLoc) << "invalid ONNX model: " << firstLine(e.what());
    return nullptr;
  }
  if (!inferenceError.empty()) {
    emitError(fileLoc) << "ONNX shape inference failed: " << inferenceError;
    return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp> importModel(MLIRContext &context, StringRef bytes,
                                  StringRef name, StringRef baseDir,
                                  const ONNXImportOptions &options,
                                  bool checkFromPath) {
  Location fileLoc = FileLineColLoc::get(&context, name, 0, 0);
  if (bytes.size() > size_t(INT32_MAX)) {
    emitError(fileLoc) << "the model file is over 2 GB: keep its weights in "
                          "external data files";
    return nullptr;
  }
  auto model = std::make_shared<onnx::ModelProto>();
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(fileLoc) << "not a valid ONNX model (the protobuf does not "
                          "parse: truncated or not ONNX)";
    return nullptr;
  }
  return importParsed(context, std::move(model), name, baseDir, options,
                      checkFromPath);
}

} // namespace

OwningOpRef<ModuleOp> accel::importONNXFile(MLIRContext &context,
                                            StringRef path,
                                            const ONNXImportOptions &options) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "cannot read '" << path << "': " << file.getError().message();
    return nullptr;
  }
  StringRef dir = llvm::sys::path::parent_path(path);
  return importModel(context, (*file)->getBuffer(), path,
                     dir.empty() ? "." : dir, options, /*checkFromPath=*/true);
}

OwningOpRef<ModuleOp>
accel::importONNXBuffer(MLIRContext &context, StringRef bytes,
                        StringRef bufferName, StringRef baseDir,
                        const ONNXImportOptions &options) {
  return importModel(context, bytes, bufferName, baseDir, options,
                     /*checkFromPath=*/false);
}

OwningOpRef<ModuleOp> accel::importONNXText(MLIRContext &context,
                                            StringRef text,
                                            StringRef bufferName,
                                            StringRef baseDir,
                                            const ONNXImportOptions &options) {
  auto model = std::make_shared<onnx::ModelProto>();
  std::string source = text.str();
  onnx::Common::Status status;
  // The parser reports most errors in its status, but throws on some
  // (std::stof on a literal it cannot read, such as `-inf`).
  try {
    status = onnx::OnnxParser::Parse(*model, source.c_str());
  } catch (const std::exception &e) {
    emitError(FileLineColLoc::get(&context, bufferName, 0, 0))
        << "cannot parse the ONNX text: " << firstLine(e.what());
    return nullptr;
  }
  if (!status.IsOK()) {
    emitError(FileLineColLoc::get(&context, bufferName, 0, 0))
        << "cannot parse the ONNX text: "
        << llvm::join(llvm::split(StringRef(status.ErrorMessage()).trim(), '\n'),
                      " ");
    return nullptr;
  }
  return importParsed(context, std::move(model), bufferName, baseDir, options,
                      /*checkFromPath=*/false);
}
