"""Errors are AccelErrors (Python) or one `accelc: ...: error: ...` line and
exit code 1 (CLI) that say what and where: never a crash, a traceback from
the bindings, or a half-written output file."""

import os
import re
import subprocess
import threading

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

import accel  # noqa: E402



def save(tmp_path, name, nodes, inputs, outputs, opset=17, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / name
    onnx.save(model, str(path))
    return str(path)


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


@pytest.fixture
def unknown_op(tmp_path):
    return save(tmp_path, "unknown_op.onnx",
                [helper.make_node("Relu", ["x"], ["r"], name="relu0"),
                 helper.make_node("FancyOp", ["r"], ["y"], name="my_fancy_node")],
                [tensor("x", [2, 3])], [tensor("y", [2, 3])])


@pytest.fixture
def dangling(tmp_path):
    return save(tmp_path, "dangling.onnx",
                [helper.make_node("Add", ["x", "ghost"], ["y"], name="dangling_add")],
                [tensor("x", [2, 3])], [tensor("y", [2, 3])])


@pytest.fixture
def pool(tmp_path):
    """Valid ONNX the reference executor does not implement."""
    return save(tmp_path, "pool.onnx",
                [helper.make_node("MaxPool", ["x"], ["y"], name="pool0",
                                  kernel_shape=[2, 2], strides=[2, 2])],
                [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 2, 2])])


@pytest.fixture
def adder(tmp_path):
    """y = x + 1 on [B, 3] with a symbolic batch."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [3], [1.0, 1.0, 1.0])
    return save(tmp_path, "adder.onnx",
                [helper.make_node("Add", ["x", "one"], ["y"], name="add0")],
                [tensor("x", ["batch", 3])], [tensor("y", ["batch", 3])],
                initializers=[one])


@pytest.fixture
def truncated(adder, tmp_path):
    data = open(adder, "rb").read()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    return str(path)


# --- import ---------------------------------------------------------------

def test_unknown_op_is_an_error(unknown_op):
    with pytest.raises(accel.AccelError, match="FancyOp"):
        accel.import_onnx(unknown_op)


def test_unknown_op_names_the_node(unknown_op):
    with pytest.raises(accel.AccelError) as info:
        accel.import_onnx(unknown_op)
    assert "my_fancy_node" in str(info.value)


def test_dangling_input_is_an_error(dangling):
    with pytest.raises(accel.AccelError, match="'ghost'"):
        accel.import_onnx(dangling)


def test_dangling_input_names_the_node(dangling):
    with pytest.raises(accel.AccelError) as info:
        accel.import_onnx(dangling)
    assert "dangling_add" in str(info.value)


def test_truncated_model(truncated):
    with pytest.raises(accel.AccelError, match=re.escape(truncated) + ": error: .*truncated"):
        accel.import_onnx(truncated)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(accel.AccelError, match=re.escape(str(empty))):
        accel.import_onnx(str(empty))
    with pytest.raises(accel.AccelError, match="no such file|No such file"):
        accel.import_onnx(str(tmp_path / "nope.onnx"))


def test_shape_inference_crash_is_an_error(adder):
    """libonnx's shape inference dies on this model (SIGSEGV): it runs in a
    child process, so the Python process, with a thread of its own running
    meanwhile, gets an AccelError and goes on importing."""
    crasher = os.path.join(os.path.dirname(__file__), "..", "Frontend", "ONNX",
                           "Inputs", "fuzz", "layernorm-rank0.onnx")
    stop = threading.Event()
    spinner = threading.Thread(target=lambda: stop.wait(60))
    spinner.start()
    try:
        with pytest.raises(accel.AccelError,
                           match=r"layernorm-rank0\.onnx: error: ONNX shape "
                                 r"inference crashed on this model \(signal 11"):
            accel.import_onnx(crasher)
        assert accel.op_summary(accel.import_onnx(adder), "onnx") == {"node": 1}
    finally:
        stop.set()
        spinner.join()


def test_unsupported_by_the_executor_names_the_node(pool):
    module = accel.import_onnx(pool)      # valid ONNX: imports
    with pytest.raises(accel.AccelError, match=r"'pool0'.*MaxPool.*unsupported|'pool0'.*unsupported.*MaxPool"):
        accel.reference_run(module, {"x": np.zeros((1, 1, 4, 4), np.float32)})


# --- reference_run inputs ----------------------------------------------------

def test_reference_run_inputs(adder):
    module = accel.import_onnx(adder, dims={"batch": 2})
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(accel.reference_run(module, {"x": x})["y"], x + 1)
    with pytest.raises(accel.AccelError, match="missing input 'x'"):
        accel.reference_run(module, {})
    with pytest.raises(accel.AccelError, match="no input 'extra'"):
        accel.reference_run(module, {"x": x, "extra": x})
    with pytest.raises(accel.AccelError, match="missing input 'x'"):
        accel.reference_run(module, {"X": x})
    with pytest.raises(accel.AccelError, match="tensor<2x3xf64>.*tensor<2x3xf32>"):
        accel.reference_run(module, {"x": x.astype(np.float64)})
    with pytest.raises(accel.AccelError, match="tensor<3x3xf32>.*tensor<2x3xf32>"):
        accel.reference_run(module, {"x": np.zeros((3, 3), np.float32)})
    with pytest.raises(TypeError, match="unsupported numpy dtype"):
        accel.reference_run(module, {"x": np.zeros((2, 3), np.complex64)})


def test_reference_run_dynamic_dimension_takes_any_size(adder):
    module = accel.import_onnx(adder)
    assert module.inputs == [("x", "tensor<?x3xf32>")]
    for batch in (1, 5):
        x = np.ones((batch, 3), np.float32)
        assert np.array_equal(accel.reference_run(module, {"x": x})["y"], x + 1)


def test_non_contiguous_input(adder):
    module = accel.import_onnx(adder, dims={"batch": 2})
    x = np.arange(12, dtype=np.float32).reshape(3, 4)[:2, :3]     # a strided view
    assert np.array_equal(accel.reference_run(module, {"x": x})["y"], x + 1)


# --- accelc ----------------------------------------------------------------

def run_accelc(accelc, *args):
    return subprocess.run([accelc, *map(str, args)], capture_output=True, text=True, timeout=120)


def assert_one_error_line(result, where=None):
    """One `accelc: FILE[: 'node']: error: ...` line and exit code 1."""
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix = (f"accelc: {re.escape(where)}: ('[^']+': )?error: " if where
              else r"accelc: (.+: )?error: ")
    assert re.match(prefix + r"\S", lines[0]), lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("which", ["unknown_op", "dangling", "truncated"])
def test_accelc_errors(which, request, accelc, tmp_path):
    model = request.getfixturevalue(which)
    out = tmp_path / "out.mlir"
    result = run_accelc(accelc, model, "--emit=accel", "-o", out)
    assert_one_error_line(result, where=model)
    assert not out.exists()


def test_accelc_error_keeps_an_existing_output(accelc, truncated, tmp_path):
    out = tmp_path / "out.mlir"
    out.write_text("previous\n")
    assert_one_error_line(run_accelc(accelc, truncated, "-o", out), where=truncated)
    assert out.read_text() == "previous\n"


def test_accelc_missing_input(accelc, tmp_path):
    missing = tmp_path / "nope.onnx"
    assert_one_error_line(run_accelc(accelc, missing), where=str(missing))


@pytest.mark.parametrize("dim", ["batch=x", "batch=0", "=3", "batch"])
def test_accelc_bad_dim(accelc, adder, tmp_path, dim):
    out = tmp_path / "out.mlir"
    result = run_accelc(accelc, adder, "--dim", dim, "-o", out)
    assert_one_error_line(result)
    assert "--dim" in result.stderr and not out.exists()


def test_accelc_writes_output(accelc, adder, tmp_path):
    out = tmp_path / "out.mlir"
    result = run_accelc(accelc, adder, "--emit=mlir", "--dim", "batch=4", "-o", out)
    assert result.returncode == 0 and result.stderr == "", result
    text = out.read_text()
    assert 'onnx.node "Add"' in text and "tensor<4x3xf32>" in text
    # and the output parses back
    module = accel.parse_mlir(text)
    assert accel.op_summary(module, "onnx") == {"node": 1}
