"""A KV cache streamed through the kv buffer (a cache, or a Λ window, larger
than the buffer, docs/ENGINE.md §3): each query loads its earlier positions
(with Λ its window's; the sinks stay for the step) a chunk at a time, scores
every chunk into one row per head, takes one softmax over the row and sums
the values chunk by chunk. The engine's program computes what the golden
model computes, bit for bit: a kv buffer of one BRAM36 block (4 KiB) holds
a handful of records, so prompts and decode steps run through several chunk
boundaries (and the Λ ring's wrap), with fp32, KV8 and KV4 caches,
grouped-query attention, prefill tiles and rope-positions=cache."""

import json
import re
import subprocess

import pytest

from test_engine import (assembly, assert_engine_matches_golden,  # noqa: F401
                         bram_config, export, tools, u280_config)
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
    asm = assembly(tools, path, setting, flags)
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
    path = u280_config(tmp_path / "kv4k-scr4k.json",
                       {"buffers.kv.memory": "bram", "buffers.kv.blocks": 1,
                        "buffers.scr.memory": "bram",
                        "buffers.scr.blocks": 1})
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


def lam(setting, sink, window, attention="f32"):
    """`setting` (no Λ) with Λ: `sink` sinks and a ring of `window`
    positions (and int8 attention)."""
    with_lambda = dict(
        setting,
        cli=[f for f in setting["cli"]
             if f != "--decode" and not f.startswith("--max-context")]
        + [f"--lambda={sink},{window}"],
        lam=f"accel-lambda-attention{{sink={sink} window={window}}}")
    return int8(with_lambda) if attention == "int8" else with_lambda


def streamed_lambda(tools, path, setting, flags, steps, aligned=False):
    """`streamed` for a Λ cache in `steps`: each chunk loop starts at the
    query's window (minu r14, r14, r6) and ends its chunks at the ring's
    end (remui of the position less S by W; after the record formats
    restated for a pipelined loop). `aligned` (S and W multiples of the 4
    records of a row): its loads start at a row, with no lead (sltu)."""
    asm = assembly(tools, path, setting, flags)
    for step in steps:
        loop = re.search(rf"^ +minu +r14, r14, r6\nchunk_\d+_of_{step}:\n"
                         r"(?: +(?:maset|vaset) .*\n)*"
                         r" +sub +r3, r6, r14\n +minui +r3, r3, \d+\n"
                         r" +addi +(r\d+), r14, -\d+\n +remui +\1, \1, \d+$",
                         asm, re.M)
        assert loop, f"no Λ chunk loop in the {step} step"
        body = asm[loop.end():asm.index("bltu     r14, r6", loop.end())]
        assert ("sltu" in body) != aligned
    return asm


@pytest.mark.parametrize("sinks", [3, 4], ids=["lead", "aligned"])
@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("heads", [(4, 2), (4, 4)], ids=["gqa-4:2", "mha"])
def test_streamed_lambda_matches_golden(tmp_path, tools, setting, heads,
                                        sinks):
    """A Λ cache (3 or 4 sinks, a ring of 40) over a 4 KiB kv buffer streams
    its window a chunk at a time (a chunk ends where the ring does, so a
    window is one or two runs of chunks), the sinks resident for the step:
    a 23-token prompt one token a step, then 24 decode steps to position
    46, past the ring's wrap and through several chunks (of 28 or fewer
    records), bit for bit. With 4 sinks a chunk loads from its row's
    start (no lead), the records before its first unused, unless the chunk
    has fewer than 4 records (fp32 MHA: 3)."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             "--prefill-tile=1"]
    aligned = sinks == 4 and (setting, heads) != ("fp32", (4, 4))
    setting = lam(SETTINGS[setting], sinks, 40)
    streamed_lambda(tools, path, setting, flags, ["decode"], aligned)
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, 24,
                                 flags)


@pytest.mark.parametrize("tile", [4, 8])
@pytest.mark.parametrize("setting,heads", [("kv8", (4, 4)), ("fp32", (4, 2))],
                         ids=["kv8-mha", "fp32-gqa-4:2"])
def test_streamed_lambda_prefill_tiles(tmp_path, tools, setting, heads, tile):
    """Prefill tiles over a streamed Λ cache (2 sinks, a ring of 16, the
    23-token prompt longer than it; records of 128 bytes, chunks of 10 and
    6): each query streams the window before the tile, then sees the
    tile's sinks and its own window's records."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    setting = lam(SETTINGS[setting], 2, 16)
    streamed_lambda(tools, path, setting, flags, ["prefill"])
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, 6,
                                 flags)


@pytest.mark.parametrize("setting,heads,tile,sinks", [
    ("kv8", (4, 2), 1, 2), ("kv4", (4, 2), 4, 4), ("kv8", (4, 4), 4, 2),
    ("kv4", (4, 4), 1, 4), ("kv8", (4, 4), 1, 4)])
def test_streamed_lambda_int8_attention(tmp_path, tools, setting, heads,
                                        tile, sinks):
    """Integer attention over a streamed Λ cache (2 or 4 sinks, a ring of
    40): mqk, vpq and mpv take the sinks, each chunk of the window (two
    half-chunks a pass; with 4 sinks loaded from their rows' starts) and
    the own records as runs in key order, the scales' max and the int32
    sums exact, so the context is bit for bit the whole-cache one; decode
    steps past the ring's wrap."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    setting = lam(SETTINGS[setting], sinks, 40, "int8")
    streamed_lambda(tools, path, setting, flags, ["decode"], sinks == 4)
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, 24,
                                 flags)


def decode_reads(tools, package, position):
    """HBM bytes accel-sim's timing mode reads in a decode step at
    `position` of `package`."""
    report = package.with_suffix(".json")
    subprocess.run([tools["accel-sim"], str(package), "--mode=timing",
                    "--no-summary", "--report=" + str(report),
                    "--entry=decode", f"--position={position}"],
                   check=True, capture_output=True)
    return json.loads(report.read_text())["calls"][0]["hbm"]["read_bytes"]


def test_streamed_lambda_int8_values_read_once(tmp_path, tools):
    """Integer attention reads a streamed window's values twice, for their
    scales (vpq max) and then for the products (vpq quant, mpv); when both
    value loops take the window in one pass (two half-chunks of 12 KV8
    records here), the second finds it still in the kv buffer and loads
    nothing. A decode step then reads what the fp32 attention's reads (the
    keys and the values once, the same weights), and more once the window
    takes several passes (Λ 3 + 40 over a 4 KiB kv buffer)."""
    path = export(tmp_path, heads=4, kv_heads=2)
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             "--prefill-tile=1"]
    reads = {}
    for attention in ("f32", "int8"):
        setting = lam(SETTINGS["kv8"], 3, 40, attention)
        package = tmp_path / f"{attention}.accel"
        subprocess.run([tools["accelc"], str(path), "--dim",
                        "batch=1,sequence=16", *setting["cli"], *flags,
                        "-o", str(package)], check=True)
        reads[attention] = [decode_reads(tools, package, p)
                            for p in (5, 20, 30)]
    assert reads["int8"][:2] == reads["f32"][:2]
    assert reads["int8"][2] > reads["f32"][2]


@pytest.mark.parametrize("setting,tile,attention", [
    ("fp32", 5, "f32"), ("kv8", 12, "f32"), ("kv8", 12, "int8")])
def test_streamed_lambda_tile_over_window(tmp_path, tools, setting, tile,
                                          attention):
    """MHA prefill tiles longer than the ring (2 sinks, a ring of 4): the
    ring wraps inside a tile, whose queries see their window among the
    tile's own records and the earlier ones from the ring, streamed a
    record or two at a time (a chunk of 1 and 2)."""
    path = export(tmp_path, heads=4, kv_heads=4)
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    setting = lam(SETTINGS[setting], 2, 4, attention)
    streamed_lambda(tools, path, setting, flags, ["prefill"])
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, 8,
                                 flags)


def rope_by_rank(setting):
    """`setting` (with Λ) under rope-positions=cache."""
    return dict(setting, cli=setting["cli"] + ["--rope-positions=cache"],
                lam=setting["lam"][:-1] + " rope-positions=cache}")


@pytest.mark.parametrize("setting,heads,tile,sinks", [
    ("kv4", (4, 2), 1, 3), ("fp32", (4, 4), 1, 3), ("kv8", (4, 2), 5, 3),
    ("kv4", (4, 1), 4, 3), ("kv8", (4, 2), 1, 4), ("kv4", (4, 1), 4, 4),
    ("kv8", (4, 2), 1, 20), ("fp32", (4, 2), 1, 8)])
def test_streamed_lambda_rope_by_rank(tmp_path, tools, setting, heads, tile,
                                      sinks):
    """rope-positions=cache over a streamed Λ cache (3, 4, 8 or 20 sinks, a
    ring of 40): each run of a query's keys (its sinks, each chunk, its own
    records) loads the table rows of its ranks from their multiple of the
    32 HBM channels, the query's rank row once a query (CodegenRope.cpp):
    a 23-token prompt and 24 decode steps, bit for bit. With 4, 8 or 20
    sinks the chunks load from their rows' starts (no lead); with 20 (a
    chunk of 11) and 8 (fp32, a chunk of 7) the sinks are the longest run,
    which sizes the tables' areas (rankAreaRows)."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--config=" + str(bram_config(tmp_path, "kv", 1)),
             f"--prefill-tile={tile}"]
    setting = rope_by_rank(lam(SETTINGS[setting], sinks, 40))
    asm = streamed_lambda(tools, path, setting, flags, ["decode", "prefill"],
                          sinks % 4 == 0)
    assert "vrset" in asm and "rope=1" in asm
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, 24,
                                 flags)
