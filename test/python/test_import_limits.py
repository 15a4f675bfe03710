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


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """test/Robustness/Inputs/wide-chain.py's model: 100 Identity nodes on a
    rank-20000 input, whose inference takes libonnx about 0.3 s and 150 MB
    while the file stays small."""
    path = str(tmp_path_factory.mktemp("limits") / "wide.onnx")
    subprocess.run([sys.executable, WIDE_CHAIN, "20000", "100", path],
                   check=True)
    return path


def test_defaults_import_the_model(wide):
    module = accel.import_onnx(wide)
    assert module.op_counts()["onnx.node"] == 100


def test_timeout(wide):
    with pytest.raises(accel.AccelError) as error:
        accel.import_onnx(wide, shape_inference_timeout=0.01)
    assert ("ONNX shape inference did not finish within its time limit of "
            "0.01 s on this model, so it was stopped (import_onnx's "
            "shape_inference_timeout sets the limit)") in str(error.value)
    assert "wide.onnx" in str(error.value)
    module = accel.import_onnx(wide, shape_inference_timeout=60)
    assert module.op_counts()["onnx.node"] == 100


def test_timeout_out_of_range(wide):
    with pytest.raises(accel.AccelError,
                       match=r"the time limit of ONNX shape inference must be "
                             r"in \(0, 86400\] s, got 0 \(import_onnx's "
                             r"shape_inference_timeout sets the limit\)"):
        accel.import_onnx(wide, shape_inference_timeout=0)


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="ASan's allocator reserves its address space up "
                           "front: the cap does not bound it")
def test_memory(wide):
    with pytest.raises(accel.AccelError) as error:
        accel.import_onnx(wide, shape_inference_memory=16)
    assert ("ONNX shape inference ran out of its memory limit of 16 MiB on "
            "this model (import_onnx's shape_inference_memory sets the "
            "limit)") in str(error.value)
