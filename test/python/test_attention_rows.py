"""Multi-row vqk and vpv (docs/ISA.md §5.7 "Rows of vqk and vpv"): the fp32
attention of a step that loads its keys once takes the query heads of whole
KV heads (or of part of one) in one vqk, vsoftmax and vpv, the keys
dequantized and, with rope-positions=cache, rotated once for all of them.
The engine's program still computes what the golden model computes, bit for
bit: grouped-query (2 and 4 query heads a KV head) and multi-head
attention, KV4, KV8 and fp32 caches, RoPE at absolute positions and by
rank. A prefill tile's queries score their sinks apart from their window:
a multi-row vqk for each, each head's two runs of scores copied into its
row, and a vpv for each run one head at a time."""

import re

import pytest

from test_engine import (PROMPT, NEW, assembly,  # noqa: F401
                         assert_engine_matches_golden, export, tools)

SETTINGS = {
    "kv4-cache": dict(
        cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--lambda=2,5",
             "--rope-positions=cache"],
        passes=["accel-prune{n=2 m=4}",
                "accel-quantize{scheme=w2a8kv4 group=32}"],
        lam="accel-lambda-attention{sink=2 window=5 rope-positions=cache}"),
    "kv8-cache": dict(
        cli=["--quant=w8a8kv8", "--group=32", "--lambda=4,8",
             "--rope-positions=cache"],
        passes=["accel-quantize{scheme=w8a8kv8 group=32}"],
        lam="accel-lambda-attention{sink=4 window=8 rope-positions=cache}"),
    "fp32-absolute": dict(
        cli=["--lambda=2,6"], passes=[],
        lam="accel-lambda-attention{sink=2 window=6}"),
}


def attention_lines(tools, path, setting, flags=()):
    """The vqk, vsoftmax and vpv lines of `path`'s assembly."""
    return re.findall(r"^\s*(?:vqk|vsoftmax|vpv)\b.*$",
                      assembly(tools, path, setting, flags), re.M)


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("heads", [(4, 2), (4, 1), (4, 4)],
                         ids=["gqa-4:2", "gqa-4:1", "mha"])
def test_multi_row_attention_matches_golden(tmp_path, tools, setting, heads):
    """6 prompt tokens one a step and 10 decode steps, past S + W: every
    step's attention is one vqk, vsoftmax and vpv of the 4 heads a layer."""
    path = export(tmp_path, heads=heads[0], kv_heads=heads[1])
    flags = ["--prefill-tile=1"]
    lines = attention_lines(tools, path, SETTINGS[setting], flags)
    # Two layers, two steps (decode, and the prefill step of one row).
    assert len(lines) == 2 * 2 * 3, lines
    for line in lines:
        assert re.search(r"\brows=4\b|, 4(,|$)", line), line
    assert_engine_matches_golden(tmp_path, tools, path, SETTINGS[setting],
                                 PROMPT, NEW, flags)


def test_prefill_tile_scores_sinks_apart(tmp_path, tools):
    """A prefill tile of 4 with sinks: its queries' sinks and window are two
    runs of keys, a vqk of the 4 heads each (their rows of scores copied
    into each head's row), one vsoftmax of the 4 rows, and a vpv of one
    head for each run (vpv has no row pitch); the decode step's vqk and
    vpv are multi-row; both match the golden model."""
    path = export(tmp_path, heads=4, kv_heads=2)
    setting = SETTINGS["kv4-cache"]
    lines = attention_lines(tools, path, setting, ["--prefill-tile=4"])
    multi = [l for l in lines if "rows=4" in l]
    # A layer: the decode step's vqk and vpv, the prefill step's two vqk.
    assert len(multi) == 2 * (2 + 2), lines
    softmax = [l for l in lines if l.split()[0] == "vsoftmax"]
    assert len(softmax) == 2 * 2 and all(l.endswith(", 4") for l in softmax)
    assert len(lines) - len(multi) - len(softmax) == 2 * 4 * 2, lines
    prompt = [(7 * i + 3) % 96 for i in range(13)]
    assert_engine_matches_golden(tmp_path, tools, path, setting, prompt, 4,
                                 ["--prefill-tile=4"])
