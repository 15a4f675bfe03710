"""Weights in an external data file (what large models need): import,
numerics, and a missing or truncated weights file as an AccelError that names
the tensor and the file, not a crash."""

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

import accel  # noqa: E402
import decoders  # noqa: E402

SEQ = 8


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(1)
    return decoders.build("llama", layers=2, heads=4, kv_heads=2)


@pytest.fixture
def external(model, tmp_path):
    """An exported model re-saved with all weights in weights.bin."""
    src = tmp_path / "src.onnx"
    decoders.export(model, src, seq_len=SEQ, opset=17)
    out = tmp_path / "ext"
    out.mkdir()
    onnx.save_model(onnx.load(str(src)), str(out / "model.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    return out / "model.onnx", out / "weights.bin"


def external_tensors(model_path):
    """name -> (offset, length) of the initializers stored externally."""
    proto = onnx.load(str(model_path), load_external_data=False)
    tensors = {}
    for init in proto.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            info = {e.key: e.value for e in init.external_data}
            tensors[init.name] = (int(info.get("offset", 0)), int(info["length"]))
    return tensors


def logits(model, ids):
    with torch.no_grad():
        return model(torch.from_numpy(ids)).numpy()


def test_weights_are_external(external):
    path, weights = external
    tensors = external_tensors(path)
    assert len(tensors) > 10
    assert os.path.getsize(weights) >= max(o + n for o, n in tensors.values())
    # the .onnx file holds the graph only
    assert os.path.getsize(path) < os.path.getsize(weights) / 2


def test_import_and_run(external, model):
    path, _ = external
    ids = np.random.default_rng(0).integers(0, model.c.vocab, (1, SEQ), dtype=np.int64)
    expected = logits(model, ids)
    module = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    out = accel.reference_run(module, {"input_ids": ids})["logits"]
    assert np.abs(out - expected).max() / np.abs(expected).max() < 1e-4
    accel.raise_to_accel(module)
    assert accel.op_summary(module) == decoders.expected_ops("llama", model.c)
    out = accel.reference_run(module, {"input_ids": ids})["logits"]
    assert np.abs(out - expected).max() / np.abs(expected).max() < 1e-4


def test_relative_to_the_model_not_the_working_directory(external, model, monkeypatch, tmp_path):
    path, _ = external
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    module = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    ids = np.zeros((1, SEQ), np.int64)
    out = accel.reference_run(module, {"input_ids": ids})["logits"]
    assert np.abs(out - logits(model, ids)).max() / np.abs(logits(model, ids)).max() < 1e-4


def test_missing_weights_file(external):
    path, weights = external
    os.remove(weights)
    with pytest.raises(accel.AccelError) as info:
        accel.import_onnx(str(path), dims={"sequence": SEQ})
    message = str(info.value)
    assert "weights.bin" in message
    assert any(name in message for name in external_tensors(path)), message


@pytest.mark.parametrize("keep", [0.5, 0.0])
def test_truncated_weights_file(external, keep):
    path, weights = external
    size = os.path.getsize(weights)
    new_size = int(size * keep)
    os.truncate(weights, new_size)
    with pytest.raises(accel.AccelError) as info:
        accel.import_onnx(str(path), dims={"sequence": SEQ})
    message = str(info.value)
    assert "weights.bin" in message and "too short" in message, message
    # it names a tensor that really does not fit
    cut = [name for name, (o, n) in external_tensors(path).items() if o + n > new_size]
    assert any(f"'{name}'" in message for name in cut), message


def test_location_outside_the_model_directory(external, tmp_path):
    path, weights = external
    proto = onnx.load(str(path), load_external_data=False)
    os.rename(weights, tmp_path / "weights.bin")
    for init in proto.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                entry.value = "../weights.bin"
    onnx.save_model(proto, str(path))
    with pytest.raises(accel.AccelError, match=r"\.\./weights\.bin"):
        accel.import_onnx(str(path), dims={"sequence": SEQ})
