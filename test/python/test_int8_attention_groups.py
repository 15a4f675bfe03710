"""Integer attention (NUMERICS §6.5) with KV groups smaller than the head
dimension: each key's scores sum several groups' int32 products, each with
its own fp16 scale and zero point, and the value scales are folded and the
weights quantized per group, so each group of the context has its own s_g.
The engine's program computes what the golden model computes, bit for bit,
with KV4 and KV8, in decode steps and in prefill tiles. accelc has no flag
for the KV group (accel-quantize's kv-group), so the package is compiled
from a module quantized by that pass, through accel.compile."""

import pytest

import accel
from test_engine import SEQ, export, golden, simulate, tools  # noqa: F401
from test_int8_attention import INT8

LAMBDA = "accel-lambda-attention{sink=2 window=5}"
SCHEMES = {"kv4": "w2a8kv4", "kv8": "w8a8kv8"}
# The test model's head dimension: hidden 64 over 4 heads.
HEAD_DIM = 16


def compile_and_compare(tmp_path, tools, scheme, kv_group, prompt, new,
                        tile=None):
    path = export(tmp_path, heads=4, kv_heads=2)
    quantize = (f"accel-quantize{{scheme={SCHEMES[scheme]} group=32 "
                f"kv-group={kv_group}}}")
    m = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    accel.raise_to_accel(m)
    m.run_pipeline(f"func.func({quantize})")
    groups = str(m).count(f"group = {kv_group}, asymmetric>")
    assert groups > 0, "no KV cache quantized in groups of %d" % kv_group
    package = tmp_path / "model.accel"
    accel.compile(m, package, lambda_=(2, 5), attention="int8",
                  prefill_tile=tile)
    want_tokens, want_logits = golden(
        path, {"passes": [quantize], "lambda": LAMBDA + "," + INT8}, prompt,
        new)
    got_tokens, got_logits = simulate(tools, package, prompt, new)
    assert got_tokens == want_tokens
    diff = got_logits.view("u4") != want_logits.view("u4")
    assert not diff.any(), (f"{diff.sum()} of {diff.size} logits differ; "
                            f"first at {diff.nonzero()[0][0]}")


@pytest.mark.parametrize("kv_group", [4, 8])
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_kv_groups_decode(tmp_path, tools, scheme, kv_group):
    """A 6-token prompt, then 10 decode steps past the Λ ring's 2 + 5."""
    assert kv_group < HEAD_DIM
    compile_and_compare(tmp_path, tools, scheme, kv_group, [3, 1, 4, 1, 5, 9],
                        10)


@pytest.mark.parametrize("tile", [1, 4])
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_kv_groups_prefill_tiles(tmp_path, tools, scheme, tile):
    """A 23-token prompt in tiles, the ring wrapping inside a tile."""
    prompt = [(7 * i + 3) % 96 for i in range(23)]
    compile_and_compare(tmp_path, tools, scheme, 4, prompt, 4, tile)
