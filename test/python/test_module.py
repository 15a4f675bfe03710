"""The Python module: parse, inspect, transform, and errors as exceptions."""

import os

import pytest

import accel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DECODER_BLOCK = """
func.func @block(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>, %w: tensor<64x64xf32>,
                 %b: tensor<64xf32>) -> tensor<1x8x64xf32> {
  %zero = arith.constant dense<0.0> : tensor<64xf32>
  %h = accel.rmsnorm %x, %g epsilon(1.0e-5) : tensor<1x8x64xf32>, tensor<64xf32>
  %q = accel.linear %h, %w bias(%zero : tensor<64xf32>) : tensor<1x8x64xf32>, tensor<64x64xf32> -> tensor<1x8x64xf32>
  %o = accel.attention %q, %q, %q heads(4, 4) causal : tensor<1x8x64xf32>, tensor<1x8x64xf32>, tensor<1x8x64xf32> -> tensor<1x8x64xf32>
  %a = accel.activation silu %o : tensor<1x8x64xf32>
  return %a : tensor<1x8x64xf32>
}
"""


def test_parse_and_summary():
    module = accel.parse_mlir(DECODER_BLOCK, name="block.mlir")
    assert accel.op_summary(module) == {
        "rmsnorm": 1, "linear": 1, "attention": 1, "activation": 1}
    counts = accel.op_summary(module, dialect="")
    assert counts["func.func"] == 1 and counts["arith.constant"] == 1
    assert "accel.attention" in module.to_mlir()
    assert '"accel.attention"' in module.to_mlir(generic=True)
    assert str(module) == module.to_mlir()


def test_round_trip_through_text():
    module = accel.parse_mlir(DECODER_BLOCK)
    again = accel.parse_mlir(module.to_mlir())
    assert again.to_mlir() == module.to_mlir()


def test_pipeline_runs_in_place():
    module = accel.parse_mlir(DECODER_BLOCK)
    module.run_pipeline("canonicalize")
    text = module.to_mlir()
    assert "bias(" not in text and "arith.constant" not in text


def test_compression_report_to_file(tmp_path):
    module = accel.parse_mlir(DECODER_BLOCK)
    out = tmp_path / "report.json"
    module.run_pipeline(f"accel-compression-report{{format=json output={out}}}")
    import json
    report = json.loads(out.read_text())
    assert report["total"]["params"] == 64 * 64
    assert report["total"]["bytes"] == 64 * 64 * 4


def test_verifier_error_is_an_exception_with_location():
    bad = DECODER_BLOCK.replace("heads(4, 4)", "heads(3, 3)")
    with pytest.raises(accel.AccelError) as info:
        accel.parse_mlir(bad, name="bad.mlir")
    message = str(info.value)
    assert "bad.mlir:" in message
    assert "num_heads (3) does not divide the query hidden size 64" in message


def test_bad_pipeline_is_an_exception():
    module = accel.parse_mlir(DECODER_BLOCK)
    with pytest.raises(accel.AccelError, match="no-such-pass"):
        module.run_pipeline("no-such-pass")


def test_failing_pass_is_an_exception():
    module = accel.parse_mlir(DECODER_BLOCK)
    with pytest.raises(accel.AccelError, match="unknown format 'xml'"):
        module.run_pipeline("accel-compression-report{format=xml}")


def test_load_example_file():
    module = accel.load_mlir(os.path.join(ROOT, "examples", "decoder_layer.mlir"))
    summary = accel.op_summary(module)
    assert summary["linear"] == 7 and summary["attention"] == 1


def test_load_missing_file():
    with pytest.raises(accel.AccelError, match="/no/such/file.mlir"):
        accel.load_mlir("/no/such/file.mlir")
