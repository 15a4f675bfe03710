"""A KV cache streamed through the kv buffer (no Λ, a cache larger than the
buffer, docs/ENGINE.md §3): each query loads its earlier positions a chunk
at a time, scores every chunk into one row per head, takes one softmax over
the row and sums the values chunk by chunk. The engine's program computes
what the golden model computes, bit for bit: a kv buffer of one BRAM36
block (4 KiB) holds a handful of records, so prompts and decode steps run
through several chunk boundaries, with fp32, KV8 and KV4 caches,
grouped-query attention, prefill tiles and rope-positions=cache."""

import json
import re
import subprocess

import pytest

from test_engine import (assert_engine_matches_golden, bram_config,  # noqa: F401
                         export, tools)
from test_int8_attention import INT8

CONTEXT = 64
SETTINGS = {
    "kv8": dict(
        cli=["--quant=w8a8kv8", "--group=32", "--decode",
             f"--max-context={CONTEXT}"],
        passes=["accel-quantize{scheme=w8a8kv8 group=32}"],
        lam=f"accel-lambda-attention{{max-context={CONTEXT}}}"),
    "kv4": dict(
        cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--decode",
             f"--max-context={CONTEXT}"],
        passes=["accel-prune{n=2 m=4}",
                "accel-quantize{scheme=w2a8kv4 group=32}"],
        lam=f"accel-lambda-attention{{max-context={CONTEXT}}}"),
    "fp32": dict(
        cli=["--decode", f"--max-context={CONTEXT}"], passes=[],
        lam=f"accel-lambda-attention{{max-context={CONTEXT}}}"),
}
PROMPT = [(7 * i + 3) % 96 for i in range(23)]


def streamed(tmp_path, tools, path, setting, flags):
    """The assembly of `path` compiled with a kv buffer of 4 KiB: it
    streams (a chunk loop) and does not load the whole cache."""
    asm = subprocess.run([tools["accelc"], str(path), "--dim",
                          "batch=1,sequence=16", *setting["cli"], *flags,
                          "--emit=asm", "-o", "-"],
                         check=True, capture_output=True, text=True).stdout
    for step in ("decode", "prefill"):
        assert re.search(rf"^chunk_\d+_of_{step}:", asm, re.M)
    return asm


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("heads", [(4, 2), (4, 4)], ids=["gqa-4:2", "mha"])
def test_streamed_cache_matches_golden(tmp_path, tools, setting, heads):
    """A 23-token prompt one token a step, then 12 decode steps: positions
    up to 34, through several chunks of the cache."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             "--prefill-tile=1"]
    streamed(tmp_path, tools, path, SETTINGS[setting], flags)
    assert_engine_matches_golden(tmp_path, tools, path, SETTINGS[setting],
                                 PROMPT, 12, flags)


@pytest.mark.parametrize("tile", [4, 8])
@pytest.mark.parametrize("setting", ["kv8", "fp32"])
def test_streamed_cache_prefill_tiles(tmp_path, tools, setting, tile):
    """The prompt in tiles: every query of a tile streams the earlier
    positions and then sees the tile's own records up to its own."""
    path = export(tmp_path, heads=4, kv_heads=2)
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    streamed(tmp_path, tools, path, SETTINGS[setting], flags)
    assert_engine_matches_golden(tmp_path, tools, path, SETTINGS[setting],
                                 PROMPT, 6, flags)


@pytest.mark.parametrize("setting", ["kv4", "fp32"])
def test_streamed_cache_rope_by_rank(tmp_path, tools, setting):
    """rope-positions=cache without Λ: a key's rank is its position, so
    accel-lambda-attention keeps RoPE by position (vrope before the cache,
    no vrset / vqk rope=1) and the streamed cache matches the golden model
    as with absolute positions."""
    rank = dict(SETTINGS[setting])
    rank["cli"] = rank["cli"] + ["--rope-positions=cache"]
    rank["lam"] = (f"accel-lambda-attention{{max-context={CONTEXT} "
                   "rope-positions=cache}")
    path = export(tmp_path, heads=4, kv_heads=2)
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             "--prefill-tile=4"]
    asm = streamed(tmp_path, tools, path, rank, flags)
    assert "vrope" in asm and "vrset" not in asm
    assert_engine_matches_golden(tmp_path, tools, path, rank, PROMPT, 12,
                                 flags)


def instructions(asm):
    """The instructions of an assembly listing (indented; not its labels
    or directives)."""
    return sum(line.startswith("  ") for line in asm.splitlines())


def int8(setting):
    """`setting` with int8 attention (NUMERICS §6.5)."""
    return dict(setting, cli=setting["cli"] + ["--attention=int8"],
                lam=setting["lam"] + "," + INT8)


@pytest.mark.parametrize("tile", [1, 4])
@pytest.mark.parametrize("setting", ["kv8", "kv4"])
@pytest.mark.parametrize("heads", [(4, 2), (4, 4)], ids=["gqa-4:2", "mha"])
def test_streamed_cache_int8_attention(tmp_path, tools, setting, heads, tile):
    """Integer attention over a streamed cache (2 chunks of KV8/KV4 records
    with 2 KV heads, 3 with 4): mqk per chunk into the rows of scores (pitch
    n), one vsoftmax, each group's weight scale as the max over every chunk
    (vpq first/next/last), then each chunk's int8 weights and exact int32
    sums (vpq quant, mpv first/next/last)."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    streamed(tmp_path, tools, path, int8(SETTINGS[setting]), flags)
    assert_engine_matches_golden(tmp_path, tools, path,
                                 int8(SETTINGS[setting]), PROMPT, 12, flags)


@pytest.mark.parametrize("tile,chunk", [(12, 4), (15, 1)])
def test_streamed_cache_int8_small_chunk(tmp_path, tools, tile, chunk):
    """A prefill tile of 12 or 15 MHA KV8 records of 128 bytes leaves a
    chunk of 4 or 1 earlier records in a 4 KiB kv buffer's half: too few for
    two half-chunks, the integer chunk loops take the whole chunk a pass
    (no maset / vaset restated after the label)."""
    path = export(tmp_path, heads=4, kv_heads=4)
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    setting = int8(SETTINGS["kv8"])
    asm = streamed(tmp_path, tools, path, setting, flags)
    assert re.search(rf"^chunk_\d+_of_prefill:\n  sub .*\n  minui .*, {chunk}$",
                     asm, re.M)
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, 6,
                                 flags)


def passes_setting(attention, context):
    """KV8 at `context` positions, fp32 or int8 attention."""
    setting = dict(
        cli=["--quant=w8a8kv8", "--group=32", "--decode",
             f"--max-context={context}"],
        passes=["accel-quantize{scheme=w8a8kv8 group=32}"],
        lam=f"accel-lambda-attention{{max-context={context}}}")
    return int8(setting) if attention == "int8" else setting


@pytest.mark.parametrize("attention", ["f32", "int8"])
def test_streamed_cache_head_passes(tmp_path, tools, attention):
    """With 4 KiB kv and scratch buffers and 256 positions a pass takes one
    head's row of scores: the query's heads are a runtime loop of passes
    (each streaming the cache), so the code does not grow with their
    number: no more instructions than at 128 positions (2 heads a pass)."""
    config = json.loads(bram_config(tmp_path, "kv", 1).read_text())
    config["buffers"]["scr"]["memory"]["value"] = "bram"
    config["buffers"]["scr"]["blocks"]["value"] = 1
    path = tmp_path / "kv4k-scr4k.json"
    path.write_text(json.dumps(config))
    model = export(tmp_path, heads=4, kv_heads=2)
    flags = ["--config=" + str(path), "--prefill-tile=1"]
    setting = passes_setting(attention, 256)
    asm = streamed(tmp_path, tools, model, setting, flags)
    fewer = streamed(tmp_path, tools, model, passes_setting(attention, 128),
                     flags)
    assert re.search(r"^pass_\d+_of_decode:", asm, re.M)
    assert instructions(asm) <= instructions(fewer)
    assert_engine_matches_golden(tmp_path, tools, model, setting, PROMPT, 12,
                                 flags)
