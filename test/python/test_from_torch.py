"""accel.from_torch and the example script built on it."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import accel  # noqa: E402
import decoders  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_example_script(build_dir):
    """examples/from_torch.py as a user runs it: torch model, from_torch,
    compile, simulate, report. It finds the build itself (ACCEL_BUILD_DIR)."""
    if not os.path.exists(os.path.join(build_dir, "bin", "accel-sim")):
        pytest.skip("accel-sim is not built")
    env = dict(os.environ, ACCEL_BUILD_DIR=build_dir)
    env.pop("PYTHONPATH", None)
    result = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "examples", "from_torch.py")],
                            capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "attention x2" in out and "rope x4" in out and "rmsnorm x5" in out, out
    assert "onnx nodes left: 0" in out, out      # residual Adds become arith ops
    lines = {line.split(":")[0].strip(): line.split(":", 1)[1].split()
             for line in out.splitlines() if ":" in line}
    assert len(lines["engine tokens"]) == 8 and len(lines["fp32 tokens"]) == 8, out
    assert re.search(r"^decode: 7 steps, \d+ token/s", out, re.M), out
    assert re.search(r"^HBM: \d+ bytes read, [\d.]+ GB/s", out, re.M), out
    assert out.rstrip().endswith("OK"), out
    assert "Warning" not in result.stderr, result.stderr


@pytest.mark.parametrize("dynamic", ["dict", "list", None])
def test_from_torch_dims_default_to_the_example(dynamic):
    model = decoders.build("gpt2", layers=1)
    ids = torch.randint(0, model.c.vocab, (2, 6))
    axes = {"dict": {"input_ids": {0: "batch", 1: "sequence"}},
            "list": {"input_ids": [0, 1]},
            None: None}[dynamic]
    module = accel.from_torch(model, (ids,), input_names=["input_ids"],
                              output_names=["logits"], opset=17, dynamic_axes=axes)
    assert module.inputs == [("input_ids", "tensor<2x6xi64>")]
    accel.raise_to_accel(module)
    # Static or dynamic trace, the position-embedding lookup stays an
    # accel.embedding: its table is kept whole, not folded for the traced T.
    assert accel.op_summary(module) == decoders.expected_ops("gpt2", model.c)
    with torch.no_grad():
        expected = model(ids).numpy()
    out = accel.reference_run(module, {"input_ids": ids.numpy()})["logits"]
    assert np.abs(out - expected).max() / np.abs(expected).max() < 1e-4


def test_from_torch_explicit_dims():
    model = decoders.build("llama", layers=1)
    ids = torch.randint(0, model.c.vocab, (1, 8))
    axes = {"input_ids": {0: "batch", 1: "sequence"}}
    dynamic = accel.from_torch(model, ids, input_names=["input_ids"], output_names=["logits"],
                               dynamic_axes=axes, dims={})
    assert dynamic.inputs == [("input_ids", "tensor<?x?xi64>")]
    fixed = accel.from_torch(model, ids, input_names=["input_ids"], output_names=["logits"],
                             dynamic_axes=axes, dims={"batch": 3, "sequence": 5})
    assert fixed.inputs == [("input_ids", "tensor<3x5xi64>")]
    ids = torch.randint(0, model.c.vocab, (3, 5))
    with torch.no_grad():
        expected = model(ids).numpy()
    for module in (dynamic, fixed):
        out = accel.reference_run(module, {"input_ids": ids.numpy()})["logits"]
        assert np.abs(out - expected).max() / np.abs(expected).max() < 1e-4


def test_from_torch_default_names():
    model = decoders.build("llama", layers=1)
    module = accel.from_torch(model, torch.zeros(1, 4, dtype=torch.long))
    assert [name for name, _ in module.inputs] == ["input_0"]
    assert [name for name, _ in module.outputs] == ["output"]
