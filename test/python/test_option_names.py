"""Pass errors name the option that sets what they refuse (optionReference):
accel.compile names its keyword argument (and import_onnx's dims for the
import's dimensions), accelc its flag (test/Target/ISA/option-names.test)."""

import os

import pytest

import accel
from test_engine import bram_config

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

DECODER = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "tiny_llama", "model.onnx")


def relu(path, shape):
    """A graph of one Relu over an input of `shape`."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)
    return accel.import_onnx(str(path))


def compile_error(module, path, **options):
    with pytest.raises(accel.AccelError) as error:
        accel.compile(module, path, **options)
    assert not path.exists()
    assert "--" not in str(error.value), str(error.value)
    return str(error.value)


def test_dynamic_rows_name_import_dims(tmp_path):
    message = compile_error(relu(tmp_path / "g.onnx", ["rows", 16]),
                            tmp_path / "m.accel")
    assert ("input 'x' is 'tensor<?x16xf32>', not a tensor of static shape "
            "(give its dimensions sizes: import_onnx's dims)") in message


def test_unaligned_rows_name_prefill_tile(tmp_path):
    message = compile_error(relu(tmp_path / "g.onnx", [3, 4, 5]),
                            tmp_path / "m.accel", prefill_tile=4)
    assert ("input 'x''s rows of 20 bytes need a prefill tile that is a "
            "multiple of 16 rows, not 4 (prefill_tile)") in message


def test_dynamic_decoder_names_import_dims(tmp_path):
    message = compile_error(accel.import_onnx(DECODER), tmp_path / "m.accel",
                            decode=True)
    assert ("note: the inputs have dynamic dimensions (batch, sequence): give "
            "them sizes (import_onnx's dims) so that shapes and masks fold")\
        in message


def test_prefill_tile_range_names_prefill_tile(tmp_path):
    module = accel.import_onnx(DECODER, dims={"batch": 1, "sequence": 16})
    message = compile_error(module, tmp_path / "m.accel", decode=True,
                            prefill_tile=0)
    assert "error: accel-tile: prefill_tile must be in 1..255" in message


def test_share_attention_checked_before_the_pipelines(tmp_path):
    # The driver refuses it before its pipelines run (not the pass, later).
    module = accel.import_onnx(DECODER, dims={"batch": 1, "sequence": 16})
    message = compile_error(module, tmp_path / "m.accel", decode=True,
                            prune="2:4", share_attention="bogus")
    assert ("error: share_attention must be auto, always or never, not "
            "'bogus'") in message
    assert "accel-lower-to-isa" not in message


def test_kv_records_name_prefill_tile(tmp_path):
    # A kv buffer of one BRAM36 block (4 KiB) the KV records of a step of 64
    # prompt rows do not fit.
    config = bram_config(tmp_path, "kv", 1)
    module = accel.import_onnx(DECODER, dims={"batch": 1, "sequence": 16})
    message = compile_error(module, tmp_path / "m.accel", decode=True,
                            prefill_tile=64, config=config)
    assert ("error: accel-tile: the 65 KV records a step of 64 rows reads "
            "(256 bytes each, keys and values) do not fit the kv buffer (4096 "
            "bytes); lower prefill_tile") in message
