# -*- Python -*-
# lit configuration of accel's regression tests.

import fcntl
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ACCEL"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.accel_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%accel_src", config.accel_src_root))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# FileCheck, not, split-file come from LLVM; our tools from the build.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.accel_tools_dir, config.llvm_tools_dir]
tools = ["accel-opt", "accelc", "accel-onnx-node-tests", "accel-as",
         "accel-translate",
         "accel-objdump", "accel-sim"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features that gate groups of tests, as CIRCT does for its integration tests.
if config.accel_enable_python:
    config.available_features.add("python")
    llvm_config.with_environment("PYTHONPATH", config.accel_python_dir,
                                 append_path=True)
# -DACCEL_SANITIZE=address,... (utils/sanitize.sh): ASan reserves its
# allocator's address space up front, so tests of an address-space cap do
# not apply.
if "address" in config.accel_sanitize.split(","):
    config.available_features.add("asan")

# Every test starts with `rm -rf %t`, and %t lies under this build's
# test/ (test_exec_root): two lit runs over one build at once (engineers
# sharing a build directory) remove each other's files midway, which fails
# the long tests (Robustness/onnx, package, outputs, Sim/errors) at once.
# So a run holds an exclusive lock on test/.lit.lock until it exits (a raw
# descriptor, which nothing closes before then; the environment marks it
# taken, should this file be loaded twice), and a second run waits for it.
if "ACCEL_LIT_LOCK" not in os.environ:
    lock_path = os.path.join(config.test_exec_root, ".lit.lock")
    lock = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lit_config.note("waiting for another lit run over this build (%s)"
                        % lock_path)
        fcntl.flock(lock, fcntl.LOCK_EX)
    os.environ["ACCEL_LIT_LOCK"] = lock_path
