"""Integer attention (accelc --attention=int8, docs/NUMERICS.md §6.5): the
engine's program (vqact, then mqk, vsoftmax, vpq and mpv with a row per
query head) computes what the golden model computes, bit for bit, in
decode and in prefill tiles (with Λ, whose sinks and window are two runs
of records, and without), on multi-head and grouped-query models and on
the bundled tiny model; and its logits stay close to the fp32
attention's."""

import os
import re
import subprocess

import numpy as np
import pytest

import accel
from test_engine import (PROMPT, NEW, SEQ, assert_engine_matches_golden,
                         bram_config, export, golden, tools)  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INT8 = "accel-int8-attention"

SETTINGS = {
    "w2a8kv4-2:4-lambda": dict(
        cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--lambda=2,5",
             "--attention=int8"],
        passes=["accel-prune{n=2 m=4}",
                "accel-quantize{scheme=w2a8kv4 group=32}"],
        lam="accel-lambda-attention{sink=2 window=5}," + INT8),
    "w8a8kv8-kvgroup-full-cache": dict(
        cli=["--quant=w8a8kv8", "--group=32", "--decode", "--max-context=64",
             "--attention=int8"],
        passes=["accel-quantize{scheme=w8a8kv8 group=32}"],
        lam="accel-lambda-attention{max-context=64}," + INT8),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("heads", [(4, 4), (4, 2), (4, 1)],
                         ids=["mha-4:4", "gqa-4:2", "gqa-4:1"])
def test_int8_attention_matches_golden(tmp_path, tools, setting, heads):
    """One mqk, vsoftmax, vpq and mpv take a query's 4 heads (ISA §5.9):
    a KV head per row (qpk=1), per 2 rows or for all 4."""
    assert_engine_matches_golden(
        tmp_path, tools, export(tmp_path, heads=heads[0], kv_heads=heads[1]),
        SETTINGS[setting], PROMPT, NEW)


@pytest.mark.parametrize("tile", [1, 4, 16])
def test_int8_attention_prefill_tiles(tmp_path, tools, tile):
    """A 23-token prompt in tiles, the Λ ring of 2 + 5 slots wrapping inside
    a tile: each query's sinks and window are apart."""
    prompt = [(7 * i + 3) % 96 for i in range(23)]
    assert_engine_matches_golden(tmp_path, tools,
                                 export(tmp_path, heads=4, kv_heads=2),
                                 SETTINGS["w2a8kv4-2:4-lambda"], prompt, 6,
                                 [f"--prefill-tile={tile}"])


@pytest.mark.parametrize("tile", [1, 4])
def test_int8_attention_heads_in_groups(tmp_path, tools, tile):
    """A scratch buffer of 4 KiB (one BRAM36) holds the scores of one head
    of the full cache (65 keys of decode, 68 of a prefill tile), not two: the
    query's 4 heads (2 per KV head) take four one-row groups, alternating
    between two banks, each group's KV head from its first head."""
    path = bram_config(tmp_path, "scr", 1)
    model = export(tmp_path, heads=4, kv_heads=2)
    setting = SETTINGS["w8a8kv8-kvgroup-full-cache"]
    flags = ["--config=" + str(path), f"--prefill-tile={tile}"]
    assert_engine_matches_golden(tmp_path, tools, model, setting, PROMPT, NEW,
                                 flags)
    asm = subprocess.run([tools["accelc"], str(model), "--dim",
                          "batch=1,sequence=16", *setting["cli"], *flags,
                          "--emit=asm", "-o", "-"],
                         check=True, capture_output=True, text=True).stdout
    step = asm[asm.index("decode_step:"):asm.index("prefill_step:")]
    # Per layer: mqk of KV heads 0, 0, 1, 1, one row each.
    heads = [int(m.group(1)) for m in re.finditer(
        r"\bmqk\s.*, (\d+), 1, scale=", step)]
    assert heads == [0, 0, 1, 1] * 2


def test_int8_attention_tiny_llama(tmp_path, tools):
    model = os.path.join(ROOT, "examples", "tiny_llama", "model.onnx")
    setting = dict(cli=["--quant=w8a8kv8", "--lambda=4,12",
                        "--attention=int8"],
                   passes=["accel-quantize{scheme=w8a8kv8}"],
                   lam="accel-lambda-attention{sink=4 window=12}," + INT8)
    assert_engine_matches_golden(tmp_path, tools, model, setting,
                                 [72, 101, 108, 108, 111, 32], 12)


def test_int8_attention_is_close_to_f32(tmp_path):
    """The golden model's logits with and without int8_attention, over the
    same compressed model: close (the two int8 quantizations), not equal."""
    path = export(tmp_path, heads=4, kv_heads=2)
    flags = SETTINGS["w2a8kv4-2:4-lambda"]
    prompt = [(5 * i + 2) % 96 for i in range(14)]
    f32_lambda = flags["lam"].replace("," + INT8, "")
    _, f32 = golden(path, {"passes": flags["passes"], "lambda": f32_lambda},
                    prompt, 1)
    _, int8 = golden(path, {"passes": flags["passes"],
                            "lambda": flags["lam"]}, prompt, 1)
    error = np.abs(int8 - f32).max() / np.abs(f32).max()
    assert 0 < error < 0.05, error


def test_int8_attention_from_python(tmp_path, tools):
    """accel.compile(attention="int8") writes accelc --attention=int8's
    package."""
    path = export(tmp_path, heads=4, kv_heads=2)
    flags = SETTINGS["w2a8kv4-2:4-lambda"]["cli"]
    subprocess.run([tools["accelc"], str(path), "--dim", "batch=1,sequence=16",
                    *flags, "-o", str(tmp_path / "cli.accel")],
                   check=True, capture_output=True)
    m = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    accel.compile(m, tmp_path / "py.accel", prune="2:4", quant="w2a8kv4",
                  group=32, lambda_=(2, 5), attention="int8")
    assert ((tmp_path / "py.accel").read_bytes()
            == (tmp_path / "cli.accel").read_bytes())


def test_int8_attention_flag_errors(tmp_path, tools):
    path = export(tmp_path, heads=4, kv_heads=2)
    for flags, message in (
            (["--attention=int4", "--quant=w8a8kv8", "--decode"],
             "--attention expects f32 or int8, got 'int4'"),
            (["--attention=int8", "--decode"],
             "the attention has no quantized KV cache (kv_quant); integer "
             "attention reads the cache's integers (quantize it: --quant)")):
        run = subprocess.run([tools["accelc"], str(path), "--dim",
                              "batch=1,sequence=16", *flags, "-o",
                              str(tmp_path / "x.accel")],
                             capture_output=True, text=True)
        assert run.returncode == 1
        assert message in run.stderr
        assert not (tmp_path / "x.accel").exists()


def test_int8_attention_needs_a_quantized_cache(tmp_path):
    m = accel.import_onnx(str(export(tmp_path, heads=4, kv_heads=2)),
                          dims={"batch": 1, "sequence": SEQ})
    accel.raise_to_accel(m)
    m.run_pipeline("accel-lambda-attention{sink=2 window=5}")
    with pytest.raises(Exception, match="no quantized KV cache"):
        m.run_pipeline(INT8)
