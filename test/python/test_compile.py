"""`accel.compile`: a module to an .accel package as accelc compiles it.

A small LLaMA-style decoder is exported with torch; `accel.compile` on the
imported module must write the very package `accelc` writes from the ONNX
file with the same flags (compiling the module in place, as accelc does),
and give a package that `accel.simulate` runs. Bad options raise
`AccelError` naming the keyword argument (accelc's errors name its flags).
"""

import os
import subprocess

import pytest

torch = pytest.importorskip("torch")

import accel  # noqa: E402
import decoders  # noqa: E402

SEQ = 16
PROMPT = [3, 1, 4, 1, 5]
FLAGS = ["--prune=2:4", "--quant=w2a8kv4", "--lambda=2,8"]


@pytest.fixture(scope="module")
def onnx_path(tmp_path_factory):
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=64, ffn=128, vocab=96, layers=2)
    path = tmp_path_factory.mktemp("compile") / "model.onnx"
    decoders.export(model, path, seq_len=SEQ)
    return path


@pytest.fixture
def module(onnx_path):
    return accel.import_onnx(str(onnx_path), dims={"batch": 1, "sequence": SEQ})


def test_the_package_accelc_writes(module, onnx_path, accelc, tmp_path):
    expected = tmp_path / "accelc.accel"
    subprocess.run([accelc, str(onnx_path), "--dim", f"batch=1,sequence={SEQ}",
                    *FLAGS, "-o", str(expected)], check=True, capture_output=True)
    path = tmp_path / "api.accel"
    assert accel.compile(module, path, prune="2:4", quant="w2a8kv4",
                         lambda_=(2, 8)) == path
    assert path.read_bytes() == expected.read_bytes()
    assert "accelisa.program" in module.op_counts()     # compiled in place


def test_raised_module_and_strings(onnx_path, accelc, tmp_path):
    """A raised module compiles alike; N:M and S,W may be strings or tuples."""
    expected = tmp_path / "accelc.accel"
    subprocess.run([accelc, str(onnx_path), "--dim", f"batch=1,sequence={SEQ}",
                    *FLAGS, "-o", str(expected)], check=True, capture_output=True)
    module = accel.raise_to_accel(
        accel.import_onnx(str(onnx_path), dims={"batch": 1, "sequence": SEQ}))
    path = accel.compile(module, str(tmp_path / "raised.accel"), prune=(2, 4),
                         quant="w2a8kv4", lambda_="2,8")
    assert open(path, "rb").read() == expected.read_bytes()


def test_the_package_simulates(module, build_dir, tmp_path):
    if not os.path.exists(os.path.join(build_dir, "bin", "accel-sim")):
        pytest.skip("accel-sim is not built")
    package = accel.compile(module, tmp_path / "m.accel", prune="2:4",
                            quant="w2a8kv4", lambda_=(2, 8), prefill_tile=8)
    result = accel.simulate(package, PROMPT, 4)
    assert len(result["tokens"]) == 4
    assert result["report"]["decode"]["tokens_per_second"] > 0
    assert result["report"]["total"]["hbm"]["read_bytes"] > 0


def test_report_and_weight_image(module, tmp_path):
    report, image = tmp_path / "report.txt", tmp_path / "weights.wimg"
    accel.compile(module, tmp_path / "m.accel", quant="w4a8kv4", group=32,
                  kv_group=8, decode=True, report=report, weight_image=image)
    text = report.read_text()
    assert "w4b g32" in text and "entry    instructions" in text, text
    assert "kv4b g8 asym" in text, text
    assert image.stat().st_size > 0


@pytest.mark.parametrize("options, message", [
    ({"prune": "2-4"}, "prune expects N:M (e.g. 2:4) or none, got '2-4'"),
    ({"prune": (3, 5)}, "M in {4, 8, 16}"),
    ({"quant": "w1"}, "unknown scheme 'w1'"),
    ({"quant": "w2a8kv4", "quant_method": "calibrated"}, "needs calibration"),
    ({"masks": "x.onnx"}, "error: masks needs prune=N:M"),
    ({"quant": "w2a8kv4", "kv_group": -2}, "error: kv_group expects a group size"),
    ({"lambda_": (4,)}, "error: lambda_ expects S,W"),
    ({"lambda_": (4, 0)}, "error: lambda_ expects S,W"),
    ({"quant": "w2a8kv4", "quant_head": "w3a8"},
     "error: quant_head expects w8a8, w4a8, w2a8 or none, got 'w3a8'"),
    ({"quant_head": "w8a8"}, "error: quant_head=w8a8 needs quant"),
    ({"quant": "w2a8kv4", "decode": True, "attention": "int4"},
     "error: attention expects f32 or int8, got 'int4'"),
    ({}, "the graph has attention: the engine runs it as a decoder step "
         "over a KV cache; compile with decode or lambda_"),
    ({"lambda_": (2, 8), "share_attention": "sometimes"},
     "error: share_attention must be auto, always or never, not 'sometimes'"),
    # The passes' errors name their options as accel.compile's arguments.
    ({"decode": True, "max_context": 0},
     "error: accel-lambda-attention: max_context must be in 1..1048576, got 0"),
    ({"decode": True, "rope_positions": "sideways"},
     "error: accel-lambda-attention: rope_positions must be `absolute` or "
     "`cache`, got 'sideways'"),
    ({"decode": True, "attention": "int8"},
     "integer attention reads the cache's integers (quantize it: quant)"),
    ({"quant": "w8a8kv8", "decode": True, "attention": "int8",
      "max_context": 70000},
     "use Λ (lambda_) or a smaller max_context)"),
    ({"lambda_": (2, 8), "config": "/nonexistent/u280.json"}, "/nonexistent/u280.json"),
    ({"lambda_": (2, 8), "tokenizer": "/nonexistent/tok.json"},
     "cannot read '/nonexistent/tok.json'"),
])
def test_bad_options(module, tmp_path, options, message):
    path = tmp_path / "m.accel"
    with pytest.raises(accel.AccelError) as error:
        accel.compile(module, path, **options)
    assert message in str(error.value), str(error.value)
    # Errors name the keyword argument, not accelc's flag.
    assert "--" not in str(error.value), str(error.value)
    assert not path.exists()


def test_not_to_stdout(module):
    with pytest.raises(accel.AccelError, match="a package is binary"):
        accel.compile(module, "-")
