"""`accel.import_onnx`'s limits on ONNX shape inference (its child process):
`shape_inference_timeout` seconds and `shape_inference_memory` MiB, 10 s and
1024 MiB by default as accelc's. A model whose inference exceeds one is an
AccelError naming the limit, its value and the keyword that sets it."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("onnx")

import accel  # noqa: E402

WIDE_CHAIN = os.path.join(os.path.dirname(__file__), "..", "Robustness",
                          "Inputs", "wide-chain.py")


def chain(tmp_path_factory, name, rank):
    """test/Robustness/Inputs/wide-chain.py's model: 100 Identity nodes on a
    rank-`rank` input, written to `name`.onnx."""
    path = str(tmp_path_factory.mktemp("limits") / (name + ".onnx"))
    subprocess.run([sys.executable, WIDE_CHAIN, str(rank), "100", path],
                   check=True)
    return path


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """The chain on a rank-20000 input, whose inference takes libonnx about
    0.3 s and 150 MB while the file stays small."""
    return chain(tmp_path_factory, "wide", 20000)


@pytest.fixture(scope="module")
def narrow(tmp_path_factory):
    """The chain on a rank-2000 input: a tenth of the work."""
    return chain(tmp_path_factory, "narrow", 2000)


def test_defaults_import_the_model(wide, narrow):
    """The default time limit (10 s) imports a model whose inference takes
    about 0.03 s, far enough below it that a loaded machine or ASan does not
    stop it (the wide model's 0.3 s took 1.5 s beside other builds, and ran
    past 10 s under ASan); the default memory limit (1024 MiB) imports the
    wide model's 150 MB."""
    module = accel.import_onnx(narrow)
    assert module.op_counts()["onnx.node"] == 100
    module = accel.import_onnx(wide, shape_inference_timeout=60)
    assert module.op_counts()["onnx.node"] == 100


# ASan's allocator reserves its address space up front: the cap does not
# bound it (as shape-inference-memory.test is UNSUPPORTED there).
ASAN = "asan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.parametrize("limit, message", [
    ({"shape_inference_timeout": 0.01},
     "ONNX shape inference did not finish within its time limit of 0.01 s "
     "on this model, so it was stopped (import_onnx's "
     "shape_inference_timeout sets the limit)"),
    ({"shape_inference_timeout": 0},
     "the time limit of ONNX shape inference must be in (0, 86400] s, got 0 "
     "(import_onnx's shape_inference_timeout sets the limit)"),
    pytest.param({"shape_inference_memory": 16},
                 "ONNX shape inference ran out of its memory limit of 16 MiB "
                 "on this model (import_onnx's shape_inference_memory sets "
                 "the limit)",
                 marks=pytest.mark.skipif(ASAN, reason="ASan")),
])
def test_limits(wide, limit, message):
    with pytest.raises(accel.AccelError) as error:
        accel.import_onnx(wide, **limit)
    assert message in str(error.value) and "wide.onnx" in str(error.value)


def test_a_longer_timeout_imports(wide):
    module = accel.import_onnx(wide, shape_inference_timeout=60,
                               shape_inference_memory=4096)
    assert module.op_counts()["onnx.node"] == 100
