//===- ProgramSections.cpp - a program in and out of a package ------------===//

#include "accel/Package/ProgramSections.h"
#include "accel/ISA/Encoding.h"

#include "llvm/ADT/Twine.h"

using namespace accel;
using namespace accel::package;
namespace json = llvm::json;
using llvm::Twine;

namespace {

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::StringRef text(llvm::ArrayRef<uint8_t> bytes) {
  return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
}

llvm::Expected<std::vector<isa::Symbol>> parseSymbols(llvm::StringRef source,
                                                      uint64_t codeSize) {
  llvm::Expected<json::Value> parsed = json::parse(source);
  if (!parsed)
    return fail("symbols section: " + llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  const json::Array *list = root ? root->getArray("symbols") : nullptr;
  if (!list)
    return fail("symbols section: expected {\"symbols\": [...]}");
  std::vector<isa::Symbol> symbols;
  for (auto [i, v] : llvm::enumerate(*list)) {
    const json::Object *o = v.getAsObject();
    std::optional<llvm::StringRef> name =
        o ? o->getString("name") : std::nullopt;
    std::optional<int64_t> index = o ? o->getInteger("index") : std::nullopt;
    std::optional<bool> entry = o ? o->getBoolean("entry") : std::nullopt;
    if (!name || !index || !entry || *index < 0 || uint64_t(*index) > codeSize)
      return fail("symbols section: symbol " + Twine(i) +
                  " needs a name, an index in [0, " + Twine(codeSize) +
                  "] and entry true/false");
    symbols.push_back({name->str(), uint32_t(*index), *entry});
  }
  return symbols;
}

} // namespace

std::string accel::package::symbolsJSON(const isa::Program &program) {
  json::Array list;
  for (const isa::Symbol &s : program.symbols)
    list.push_back(json::Object{
        {"name", s.name}, {"index", int64_t(s.index)}, {"entry", s.entry}});
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}",
                      json::Value(json::Object{{"symbols", std::move(list)}}));
  return out;
}

llvm::Expected<std::string>
accel::package::metadataJSON(const isa::Program &program,
                             json::Object metadata) {
  for (llvm::StringRef key : {"format", "entries"})
    if (metadata.get(key))
      return fail("metadata: '" + key + "' is written by the assembler");
  json::Object entries;
  for (const isa::Symbol &s : program.symbols)
    if (s.entry)
      entries[s.name] = int64_t(s.index);
  metadata["format"] = "accel-package";
  metadata["entries"] = std::move(entries);
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", json::Value(std::move(metadata)));
  return out;
}

llvm::Expected<isa::Program>
accel::package::readProgram(const Package &package) {
  isa::Program program;
  llvm::Expected<std::vector<isa::Instruction>> code =
      isa::decodeCode(*package.get(SectionKind::Code));
  if (!code)
    return fail("code section: " + llvm::toString(code.takeError()));
  program.code = std::move(*code);
  if (auto symbols = package.get(SectionKind::Symbols)) {
    auto parsed = parseSymbols(text(*symbols), program.code.size());
    if (!parsed)
      return parsed.takeError();
    program.symbols = std::move(*parsed);
    return program;
  }
  if (auto metadata = package.get(SectionKind::Metadata)) {
    llvm::Expected<json::Value> parsed = json::parse(text(*metadata));
    if (!parsed)
      return fail("metadata section: " + llvm::toString(parsed.takeError()));
    const json::Object *root = parsed->getAsObject();
    if (const json::Object *entries =
            root ? root->getObject("entries") : nullptr)
      for (const auto &[name, index] : *entries) {
        std::optional<int64_t> i = index.getAsInteger();
        if (!i || *i < 0 || uint64_t(*i) > program.code.size())
          return fail("metadata section: entry '" + name.str() +
                      "' has no valid instruction index");
        program.symbols.push_back({name.str(), uint32_t(*i), true});
      }
    llvm::stable_sort(program.symbols,
                      [](const isa::Symbol &a, const isa::Symbol &b) {
                        return a.index < b.index;
                      });
  }
  return program;
}
