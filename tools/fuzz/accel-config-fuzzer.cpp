//===- accel-config-fuzzer.cpp - libFuzzer target: hardware configs -------===//
//
// JSON text -> hw::parseConfig (lib/Hardware), the loader and checks behind
// accel-sim --config, accel-as --config and the packages' config sections.
// A config that passes the checks must give sane derived figures.
//
//===----------------------------------------------------------------------===//

#include "accel/Hardware/Config.h"

using namespace accel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<hw::Config> config = hw::parseConfig(text, "<fuzz>");
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
