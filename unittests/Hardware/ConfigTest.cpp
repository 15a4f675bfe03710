//===- ConfigTest.cpp - configs/u280.json and the loader's checks ---------===//

#include "accel/Hardware/Config.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

#include <functional>

using namespace accel::hw;
namespace json = llvm::json;

namespace {

const std::string kPath = std::string(ACCEL_SOURCE_DIR) + "/configs/u280.json";

json::Value u280() {
  auto buffer = llvm::MemoryBuffer::getFile(kPath);
  EXPECT_TRUE(bool(buffer));
  return cantFail(json::parse((*buffer)->getBuffer()));
}

/// The loader's error for u280.json after `edit`.
std::string errorAfter(llvm::function_ref<void(json::Object &)> edit) {
  json::Value v = u280();
  edit(*v.getAsObject());
  std::string text;
  llvm::raw_string_ostream(text) << v;
  llvm::Expected<Config> c = parseConfig(text, "u280.json");
  return c ? "" : llvm::toString(c.takeError());
}

json::Object &obj(json::Object &o, llvm::StringRef key) {
  return *o.getObject(key);
}

TEST(Config, U280LoadsWithItsDerivedQuantities) {
  llvm::Expected<Config> c = loadConfig(kPath);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->hbmChannels, 32u);
  EXPECT_EQ(c->hbmChannelBytes, 256u << 20);
  EXPECT_NEAR(c->hbmBytesPerCycle(), 63.89, 0.01);
  EXPECT_NEAR(c->hbmEffectiveBytesPerCycle() * 32, 1737.8, 0.1);
  EXPECT_EQ(c->macsPerCycle(8), 16384u);
  EXPECT_EQ(c->macsPerCycle(4), 32768u);
  EXPECT_EQ(c->macsPerCycle(3), 32768u);
  EXPECT_EQ(c->macsPerCycle(2), 65536u);
  EXPECT_EQ(c->macsPerCycle(16), 0u);
  EXPECT_DOUBLE_EQ(c->effectiveMacsPerCycle(2, 2, 4), 131072.0);
  EXPECT_EQ(c->buffers[0].bytes, 8u << 20);
  EXPECT_EQ(c->buffers[1].bytes, 8u << 20);
  EXPECT_EQ(c->buffers[2].bytes, 8u << 20);
  EXPECT_EQ(c->buffers[3].bytes, 4u << 20);
  EXPECT_EQ(c->buffers[4].bytes, 1u << 20);
  EXPECT_EQ(c->weightReadBytesPerCycle(), 2048u);
  EXPECT_EQ(c->imemInstructions(), 65536u);
  EXPECT_EQ(c->matrixDsp + c->vectorDsp, 8832u);
}

TEST(Config, RejectsMissingFields) {
  EXPECT_EQ(
      errorAfter([](json::Object &o) { obj(o, "hbm").erase("channels"); }),
      "u280.json: hbm.channels: missing");
  EXPECT_EQ(errorAfter([](json::Object &o) { o.erase("energy"); }),
            "u280.json: energy: missing");
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(o, "hbm"), "latency_cycles").erase("source");
            }),
            "u280.json: hbm.latency_cycles.source: missing: every number "
            "needs a source");
}

TEST(Config, RejectsWrongTypes) {
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(o, "hbm"), "channels")["value"] = "32";
            }),
            "u280.json: hbm.channels.value: expected an integer");
  EXPECT_EQ(errorAfter([](json::Object &o) { o["vector"] = 3; }),
            "u280.json: vector: expected an object");
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(obj(o, "buffers"), "kv"), "memory")["value"] = "dram";
            }),
            "u280.json: buffers.kv.memory.value: 'dram' is neither \"uram\" "
            "nor \"bram\"");
}

TEST(Config, RejectsImpossibleValues) {
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(o, "hbm"), "channels")["value"] = 0;
            }),
            "u280.json: hbm.channels.value: 0 is out of range [1, 32]");
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(o, "hbm"), "efficiency")["value"] = 1.5;
            }),
            "u280.json: hbm.efficiency.value: 1.500000 is out of range (0, "
            "1.000000]");
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(obj(o, "buffers"), "act"), "blocks")["value"] = 300;
            }),
            "u280.json: buffers: 1004 URAM blocks (with control.imem_uram) "
            "exceed the device's 960");
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(obj(o, "buffers"), "kv"), "blocks")["value"] = 600;
            }),
            "u280.json: buffers.kv.blocks: 19660800 bytes exceed the 16 MiB "
            "an ISA buffer address reaches");
  EXPECT_EQ(errorAfter([](json::Object &o) {
              obj(obj(o, "matrix"), "dsp")["value"] = 9000;
            }),
            "u280.json: matrix.dsp: 9000 + vector.dsp 640 exceed the device's "
            "9024 DSPs");
  EXPECT_EQ(errorAfter([](json::Object &o) { o["format"] = 2; }),
            "u280.json: format: expected 1, the config format this reader "
            "knows");
}

TEST(Config, ReportsUnreadableFiles) {
  llvm::Expected<Config> c = loadConfig("/nonexistent/u280.json");
  ASSERT_FALSE(bool(c));
  EXPECT_EQ(llvm::toString(c.takeError()),
            "/nonexistent/u280.json: cannot read: No such file or directory");
  llvm::Expected<Config> bad = parseConfig("{", "x.json");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("x.json: invalid JSON"),
            std::string::npos);
}

TimingOverride whatIf(llvm::StringRef text) {
  llvm::Expected<TimingOverride> o = parseTimingOverride(text);
  EXPECT_TRUE(bool(o)) << llvm::toString(o.takeError());
  return o ? *o : TimingOverride();
}

TEST(Config, TimingOverridesApplyInOrder) {
  llvm::Expected<Config> c =
      loadConfig(kPath, {whatIf("vector.reduction_rows=1"),
                         whatIf(" hbm.efficiency = 0.5 ")});
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->vectorReductionRows, 1u);
  EXPECT_DOUBLE_EQ(c->hbmEfficiency, 0.5);
  ASSERT_EQ(c->timingOverrides.size(), 2u);
  EXPECT_EQ(c->timingOverrides[0].key, "vector.reduction_rows");
  EXPECT_EQ(c->timingOverrides[0].configValue.getAsInteger(), 8);
  EXPECT_EQ(c->timingOverrides[1].text, "0.5");
  EXPECT_EQ(c->timingOverrides[1].configValue.getAsNumber(), 0.85);
}

TEST(Config, EveryTimingKeyIsAFieldOfU280) {
  // Each key, set to the value u280.json has, reads back the same config.
  json::Value file = u280();
  for (llvm::StringRef key : timingOverrideKeys()) {
    const json::Object *o = file.getAsObject();
    llvm::SmallVector<llvm::StringRef> parts;
    key.split(parts, '.');
    for (llvm::StringRef part : parts)
      o = o ? o->getObject(part) : nullptr;
    ASSERT_TRUE(o && o->get("value")) << key.str();
    std::string value;
    llvm::raw_string_ostream(value) << *o->get("value");
    llvm::Expected<Config> c =
        loadConfig(kPath, {whatIf(key.str() + "=" + value)});
    EXPECT_TRUE(bool(c)) << key.str() << ": " << llvm::toString(c.takeError());
  }
}

TEST(Config, EveryOtherFieldIsRefusedAsAWhatIf) {
  // The leaves of u280.json outside timingOverrideKeys(): each, set to its
  // own value, is refused as one the code or the structure depends on.
  std::vector<std::string> others;
  std::function<void(const json::Object &, const std::string &)> walk =
      [&](const json::Object &o, const std::string &path) {
        for (const auto &[key, value] : o) {
          std::string at = path.empty() ? key.str() : path + "." + key.str();
          const json::Object *child = value.getAsObject();
          if (child && child->get("value")) {
            if (!llvm::is_contained(timingOverrideKeys(), at))
              others.push_back(at);
          } else if (child) {
            walk(*child, at);
          }
        }
      };
  json::Value file = u280();
  walk(*file.getAsObject(), "");
  EXPECT_GT(others.size(), 20u);
  for (const std::string &key : others) {
    llvm::Expected<Config> c = loadConfig(kPath, {whatIf(key + "=1")});
    ASSERT_FALSE(bool(c)) << key;
    EXPECT_NE(llvm::toString(c.takeError()).find(key + " is not a timing"),
              std::string::npos)
        << key;
  }
}

} // namespace
