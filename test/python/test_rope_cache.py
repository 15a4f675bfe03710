"""RoPE by rank within the cache (accelc --rope-positions=cache,
StreamingLLM's positions, docs/NUMERICS.md §6): keys are cached unrotated and
every query rotates the keys it sees by their rank and itself by the last
rank, inside `vqk` (rope=1, the tables `vrset` points at, docs/ISA.md §5.7).
The engine's program computes what the golden model computes, bit for bit:
KV4 and KV8 and fp32 caches, grouped-query and interleaved RoPE, decoding
far past S + W (ranks are not positions once the window slides), and
prefill tiles whose queries see their sinks and window apart; and with a
scratch buffer too small for the whole tables by rank, the keys scored in
segments of ranks, each segment's table rows loaded apart."""

import os
import re
import subprocess

import pytest
import torch

import decoders
from test_engine import (PROMPT, NEW, SEQ,  # noqa: F401
                         assembly, assert_engine_matches_golden, bram_config,
                         export, tools)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CACHE = "--rope-positions=cache"

SETTINGS = {
    "w2a8kv4-2:4-lambda": dict(
        cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--lambda=2,5",
             CACHE],
        passes=["accel-prune{n=2 m=4}",
                "accel-quantize{scheme=w2a8kv4 group=32}"],
        lam="accel-lambda-attention{sink=2 window=5 rope-positions=cache}"),
    "w8a8kv8-lambda": dict(
        cli=["--quant=w8a8kv8", "--group=32", "--lambda=4,8", CACHE],
        passes=["accel-quantize{scheme=w8a8kv8 group=32}"],
        lam="accel-lambda-attention{sink=4 window=8 rope-positions=cache}"),
    "fp32-lambda": dict(
        cli=["--lambda=2,6", CACHE], passes=[],
        lam="accel-lambda-attention{sink=2 window=6 rope-positions=cache}"),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("heads", [(4, 2), (4, 1)], ids=["gqa-4:2", "gqa-4:1"])
def test_rope_by_rank_matches_golden(tmp_path, tools, setting, heads):
    """6 prompt tokens and 10 decode steps: positions up to 15, past
    S + W, so the window wraps and a key's rank is not its position."""
    assert_engine_matches_golden(
        tmp_path, tools, export(tmp_path, heads=heads[0], kv_heads=heads[1]),
        SETTINGS[setting], PROMPT, NEW)


def test_rope_by_rank_interleaved(tmp_path, tools):
    assert_engine_matches_golden(
        tmp_path, tools,
        export(tmp_path, heads=2, kv_heads=2, rope="interleaved"),
        SETTINGS["w2a8kv4-2:4-lambda"], PROMPT, NEW)


@pytest.mark.parametrize("tile", [1, 4, 16])
def test_rope_by_rank_prefill_tiles(tmp_path, tools, tile):
    """A 23-token prompt in tiles, the Λ ring of 2 + 5 slots wrapping inside
    a tile: each query's sinks (ranks from 0) and window (ranks from the
    sink count) are two segments."""
    prompt = [(7 * i + 3) % 96 for i in range(23)]
    assert_engine_matches_golden(tmp_path, tools,
                                 export(tmp_path, heads=4, kv_heads=2),
                                 SETTINGS["w2a8kv4-2:4-lambda"], prompt, 6,
                                 [f"--prefill-tile={tile}"])


def absolute(setting):
    """`setting` with RoPE at absolute positions."""
    return dict(setting, cli=[f for f in setting["cli"] if f != CACHE],
                lam=setting["lam"].replace(" rope-positions=cache", ""))


def assert_sinks_apart_matches_golden(tmp_path, tools, path, setting, flags,
                                      asm, rope, heads, tokens):
    """Checks that `asm` (two layers) rotates keys by rank only with
    rope-positions=cache and copies each of its `heads` heads' two runs of
    scores into the head's row, and that a prompt of `tokens` tokens in its
    prefill tiles (the Λ ring wrapping inside them) and 6 decode steps
    match the golden model bit for bit."""
    assert ("rope=1" in asm) == (rope == "cache")
    copies = re.findall(r"^ +vcopy +scr\[r\d+\], scr\[", asm, re.M)
    assert len(copies) == 2 * heads * 2
    prompt = [(7 * i + 3) % 96 for i in range(tokens)]
    assert_engine_matches_golden(tmp_path, tools, path, setting, prompt, 6,
                                 flags)


@pytest.mark.parametrize("rope", ["cache", "absolute"])
@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("heads", [(4, 2), (4, 1), (4, 4)],
                         ids=["gqa-4:2", "gqa-4:1", "mha"])
def test_prefill_sinks_apart_multi_row(tmp_path, tools, rope, setting, heads):
    """A prefill tile's queries score their sinks apart from their window
    (over the whole tables, or at absolute positions) with the 4 heads a
    vqk: one vqk for each run of keys (before S, a query sees no window),
    each head's two runs of scores copied into its row, one vsoftmax of the
    4 rows, a vpv a head for each run. A 23-token prompt in tiles of 4, the
    Λ ring wrapping inside tiles, and 6 decode steps, bit for bit."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    chosen = SETTINGS[setting] if rope == "cache" else absolute(
        SETTINGS[setting])
    flags = ["--prefill-tile=4"]
    asm = assembly(tools, path, chosen, flags)
    # Two layers: the decode step's vqk, the prefill step's two.
    vqk = re.findall(r"^ +vqk .*$", asm, re.M)
    assert len(vqk) == 2 * 3 and all("rows=4" in v for v in vqk), vqk
    assert_sinks_apart_matches_golden(tmp_path, tools, path, chosen, flags,
                                      asm, rope, 4, 23)


# Λ(4, 60) over a model of 8 query heads on 2 KV heads (4 each, head
# dimension 16): a scratch buffer of `blocks` BRAM36 blocks holds the
# prefill's rows of scores and their staging area (2 x rows x 67 keys) for
# `rows` heads a pass only (below the RoPE tables by rank with
# rope-positions=cache), while the decode step's vqk takes all 8.
SCRATCH_BLOCKS = {("absolute", 2): 1, ("absolute", 4): 2, ("cache", 2): 5,
          ("cache", 4): 6}


@pytest.mark.parametrize("rope", ["cache", "absolute"])
@pytest.mark.parametrize("rows", [2, 4], ids=["part-of-a-kv-head",
                                              "a-kv-head"])
def test_prefill_sinks_apart_head_passes(tmp_path, tools, rope, rows):
    """A prefill tile's queries score their sinks apart with `rows` < 8
    heads a vqk: 8 / rows passes over the heads (the KV head h / 4 of pass
    h, its query and output h heads in, the staging area reused), with 2
    rows part of one KV head. A 75-token prompt in tiles of 4, the Λ ring
    of 4 + 60 slots wrapping inside tiles, and 6 decode steps, bit for
    bit."""
    path = export(tmp_path, hidden=128, heads=8, kv_heads=2)
    setting = dict(
        cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--lambda=4,60",
             *([CACHE] if rope == "cache" else [])],
        passes=["accel-prune{n=2 m=4}",
                "accel-quantize{scheme=w2a8kv4 group=32}"],
        lam="accel-lambda-attention{sink=4 window=60%s}" % (
            " rope-positions=cache" if rope == "cache" else ""))
    config = bram_config(tmp_path, "scr", SCRATCH_BLOCKS[(rope, rows)])
    flags = ["--prefill-tile=4", f"--config={config}"]
    asm = assembly(tools, path, setting, flags)
    assert not re.search(r"^segment_\d+_of_prefill:", asm, re.M)
    # Two layers: the decode step's vqk of the 8 heads; the prefill step's
    # two a pass (sinks, window) of `rows` heads.
    vqk = re.findall(r"^ +vqk .*$", asm, re.M)
    assert len([v for v in vqk if "rows=8" in v]) == 2, vqk
    assert len(vqk) == 2 + 2 * 8 // rows * 2, vqk
    # Pass h's two vqk read KV head h / 4 (the immediate after the count).
    kv_heads = [int(m) for m in re.findall(
        rf"^ +vqk +(?:[^,]+, ){{4}}(\d+), .*\brows={rows}\b", asm, re.M)]
    assert kv_heads == 2 * [h // 4 for h in range(0, 8, rows)
                            for _ in range(2)], vqk
    assert_sinks_apart_matches_golden(tmp_path, tools, path, setting, flags,
                                      asm, rope, 8, 75)


def test_rope_by_rank_tiny_llama(tmp_path, tools):
    model = os.path.join(ROOT, "examples", "tiny_llama", "model.onnx")
    setting = dict(cli=["--quant=w8a8kv8", "--lambda=4,12", CACHE],
                   passes=["accel-quantize{scheme=w8a8kv8}"],
                   lam="accel-lambda-attention{sink=4 window=12 "
                       "rope-positions=cache}")
    assert_engine_matches_golden(tmp_path, tools, model, setting,
                                 [72, 101, 108, 108, 111, 32], 24)


def test_rope_by_rank_needs_whole_table_rows(tmp_path, tools):
    """The engine loads table rows of whole 64-byte units: a head dimension
    of 8 (rows of 32 bytes) is one error line, exit 1, and no package."""
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=32, heads=4, kv_heads=2, ffn=64,
                           vocab=96, layers=1)
    path = tmp_path / "narrow.onnx"
    decoders.export(model, path, seq_len=SEQ)
    package = tmp_path / "narrow.accel"
    run = subprocess.run([tools["accelc"], str(path), "--dim",
                          "batch=1,sequence=16", "--lambda=2,5", CACHE, "-o",
                          str(package)], capture_output=True, text=True)
    assert run.returncode == 1
    assert ("error: the engine reads RoPE table rows of whole 64-byte units; "
            "the rotary dimension 8 is not a multiple of 16") in run.stderr
    assert not package.exists()


# A scratch buffer of 16 KiB: the whole tables by rank of Λ(S, W) with
# S + W = 128 (2 x 8 KiB) do not fit its upper half above the scores, so
# each query scores its keys in segments of 32 ranks (one per HBM channel),
# loading each segment's table rows (CodegenRope.cpp).
def segmented(tmp_path, tools, model, sink, flags, quantized=True):
    """The settings of Λ(sink, 128 - sink) (W2A8KV4, or fp32) and the flags
    of the 16 KiB scratch buffer, after checking that the program scores in
    segments."""
    window = 128 - sink
    quant = (["--prune=2:4", "--quant=w2a8kv4", "--group=32"], [
        "accel-prune{n=2 m=4}", "accel-quantize{scheme=w2a8kv4 group=32}"
    ]) if quantized else ([], [])
    setting = dict(
        cli=[*quant[0], f"--lambda={sink},{window}", CACHE],
        passes=quant[1],
        lam=f"accel-lambda-attention{{sink={sink} window={window} "
            "rope-positions=cache}")
    flags = ["--config=" + str(bram_config(tmp_path, "scr", 4)), *flags]
    asm = assembly(tools, model, setting, flags)
    for step in ("decode", "prefill"):
        assert re.search(rf"^segment_\d+_of_{step}:", asm, re.M)
    return setting, flags


@pytest.mark.parametrize("heads", [(4, 2), (4, 1), (4, 4)],
                         ids=["gqa-4:2", "gqa-4:1", "mha"])
@pytest.mark.parametrize("sink", [1, 4])
def test_rope_by_rank_segments_decode(tmp_path, tools, heads, sink):
    """A 23-token prompt one token a step and 110 decode steps: positions
    up to 132, past S + W = 128, through 4 segments once the window is
    full (the last query rank in the last segment)."""
    model = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    setting, flags = segmented(tmp_path, tools, model, sink,
                               ["--prefill-tile=1"])
    prompt = [(7 * i + 3) % 96 for i in range(23)]
    assert_engine_matches_golden(tmp_path, tools, model, setting, prompt,
                                 110, flags)


@pytest.mark.parametrize("tile", [5, 16])
@pytest.mark.parametrize("sink", [1, 40])
def test_rope_by_rank_segments_prefill(tmp_path, tools, tile, sink):
    """A 150-token prompt in tiles, the ring wrapping inside the prompt:
    each query's sinks and window are scored apart, a segment holding
    sinks, window keys or (40 sinks, segments of 32) both."""
    model = export(tmp_path, heads=4, kv_heads=2)
    setting, flags = segmented(tmp_path, tools, model, sink,
                               [f"--prefill-tile={tile}"])
    prompt = [(5 * i + 1) % 96 for i in range(150)]
    assert_engine_matches_golden(tmp_path, tools, model, setting, prompt, 8,
                                 flags)


def test_rope_by_rank_segments_fp32_cache(tmp_path, tools):
    """An fp32 model and cache (records of 128 bytes), decoding past
    S + W in segments."""
    model = export(tmp_path, heads=4, kv_heads=2)
    setting, flags = segmented(tmp_path, tools, model, 4,
                               ["--prefill-tile=4"], quantized=False)
    prompt = [(3 * i + 2) % 96 for i in range(40)]
    assert_engine_matches_golden(tmp_path, tools, model, setting, prompt,
                                 100, flags)
