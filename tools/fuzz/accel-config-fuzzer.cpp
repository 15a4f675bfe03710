//===- accel-config-fuzzer.cpp - libFuzzer target: hardware configs -------===//
//
// JSON text -> hw::parseConfig (lib/Hardware), the loader and checks behind
// accel-sim --config, accel-as --config and the packages' config sections.
// A config that passes the checks must give sane derived figures. After the
// JSON, a NUL byte may start accel-sim's what-ifs, one KEY=VALUE a line
// (hw::parseTimingOverride), which parseConfig applies and checks in turn.
//
//===----------------------------------------------------------------------===//

#include "accel/Hardware/Config.h"

#include "llvm/ADT/SmallVector.h"

using namespace accel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef input(reinterpret_cast<const char *>(data), size);
  auto [text, whatIfs] = input.split('\0');
  llvm::SmallVector<llvm::StringRef> lines;
  whatIfs.split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::vector<hw::TimingOverride> overrides;
  for (llvm::StringRef line : lines) {
    llvm::Expected<hw::TimingOverride> o = hw::parseTimingOverride(line);
    if (!o) {
      llvm::consumeError(o.takeError());
      continue;
    }
    overrides.push_back(std::move(*o));
  }
  llvm::Expected<hw::Config> config =
      hw::parseConfig(text, "<fuzz>", overrides);
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  // The derived figures the simulator and the compiler use.
  (void)config->hbmEffectiveBytesPerCycle();
  for (unsigned bits : {2u, 4u, 8u})
    (void)config->effectiveMacsPerCycle(bits, 2, 4);
  (void)config->imemInstructions();
  (void)config->weightReadBytesPerCycle();
  return 0;
}
