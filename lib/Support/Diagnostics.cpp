//===- Diagnostics.cpp - compiler-style diagnostics -----------------------===//

#include "accel/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string accel::formatLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    std::string text = file.getFilename().str();
    if (file.getLine() != 0)
      text += ":" + std::to_string(file.getLine()) + ":" +
              std::to_string(file.getColumn());
    return text;
  }
  if (auto name = dyn_cast<NameLoc>(loc)) {
    std::string child = formatLocation(name.getChildLoc());
    std::string text = "'" + name.getName().str() + "'";
    return child.empty() ? text : child + ": " + text;
  }
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return formatLocation(callSite.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string text = formatLocation(inner); !text.empty())
        return text;
  return "";
}

static StringRef severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  llvm_unreachable("unknown severity");
}

/// `text` with control characters as `\xNN`: names read from a corrupt
/// file (a newline in an ONNX node name) keep a diagnostic on one line.
static std::string printable(StringRef text) {
  std::string out;
  llvm::raw_string_ostream os(out);
  for (char c : text) {
    if (llvm::isPrint(c) || (c & 0x80))
      os << c;
    else
      os << "\\x" << llvm::format_hex_no_prefix(uint8_t(c), 2);
  }
  return out;
}

std::string accel::formatDiagnostic(Diagnostic &diag) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (std::string where = formatLocation(diag.getLocation()); !where.empty())
    os << printable(where) << ": ";
  os << severityName(diag.getSeverity()) << ": " << printable(diag.str());
  for (Diagnostic &note : diag.getNotes()) {
    os << "\n";
    if (std::string where = formatLocation(note.getLocation()); !where.empty())
      os << printable(where) << ": ";
    os << "note: " << printable(note.str());
  }
  return text;
}

accel::DiagnosticCollector::DiagnosticCollector(MLIRContext &context)
    : handler(&context, [this](Diagnostic &diag) {
        each.push_back(formatDiagnostic(diag));
        if (!collected.empty())
          collected += "\n";
        collected += each.back();
        return success();
      }) {}

llvm::Error accel::DiagnosticCollector::takeError(StringRef fallback) const {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 collected.empty() ? fallback.str()
                                                   : collected);
}

std::string accel::resourceKey(StringRef name) {
  std::string key;
  for (char c : name)
    key += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (key.empty() || llvm::isDigit(key[0]))
    key = "w_" + key;
  return key;
}

std::string accel::locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().strref() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = locationName(inner); !name.empty())
        return name;
  return "";
}

std::string accel::optionReference(StringRef option, StringRef owner) {
  std::string text = ("`" + option + "`").str();
  return owner.empty() ? text : (owner + "'s " + text).str();
}

StringRef accel::referencedOption(StringRef argument) {
  size_t open = argument.find('`');
  if (open == StringRef::npos || !argument.ends_with("`") ||
      open + 1 >= argument.size() - 1)
    return "";
  StringRef owner = argument.take_front(open);
  if (!owner.empty() && !owner.ends_with("'s "))
    return "";
  StringRef option = argument.slice(open + 1, argument.size() - 1);
  return option.contains('`') ? StringRef() : option;
}
