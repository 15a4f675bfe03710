"""A program that would not fit the instruction memory shares a step's
attention between its layers (accel-lower-to-isa): the prefill step's
layers call subroutines with `jal r8` (the step entered by `jmp`), and if
that is not enough the decode step's too; the call moves r2 by the
layer's KV cache offset, and layers whose attention code differs (caches on
other channels, other activation homes) call different subroutines. An
8-layer decoder on a config of 8 or 16 HBM channels and a few thousand
instructions of instruction memory computes what the golden model
computes, bit for bit, with the race detector on."""

import re

import pytest

from test_attention_stream import SETTINGS as STREAM
from test_engine import (PROMPT, NEW, assembly,  # noqa: F401
                         assert_engine_matches_golden, export, tools,
                         u280_config)
from test_int8_attention import SETTINGS as INT8
from test_rope_cache import SETTINGS as ROPE

CASES = {
    # setting, HBM channels, URAM blocks of instruction memory (2,048
    # instructions each), a kv buffer of 4 KiB (streamed), and for each step
    # sharing its attention the subroutine each layer calls (numbered in
    # the order of first call).
    "rope-by-rank": (ROPE["w2a8kv4-2:4-lambda"], 8, 3, False,
                     {"decode": "00000000", "prefill": "00000000"}),
    "int8": (INT8["w2a8kv4-2:4-lambda"], 8, 3, False,
             {"decode": "00000000", "prefill": "00000000"}),
    # Every layer's fp32 caches take all 8 channels, but layer 0's
    # activation homes differ from the other layers' (the immediates of
    # the addi making its rows' addresses): it has a subroutine of its own.
    "fp32-rope-by-rank": (ROPE["fp32-lambda"], 8, 3, False,
                          {"decode": "01111111", "prefill": "01111111"}),
    # On 16 channels a kv4 cache takes 4 (4 records of 64 bytes to a row),
    # a layer's K and V 8: the layers' caches alternate between two halves
    # of the channels, and so do their subroutines.
    "kv4-16-channels": (ROPE["w2a8kv4-2:4-lambda"], 16, 3, False,
                        {"decode": "01010101", "prefill": "01010101"}),
    # Streamed through a kv buffer of 4 KiB: sharing the prefill step's
    # attention is enough.
    "streamed-kv4": (STREAM["kv4"], 8, 4, True, {"prefill": "00000000"}),
}


def small_config(tmp_path, channels, imem_uram, streamed):
    """configs/u280.json on `channels` HBM channels with `imem_uram` URAM
    blocks of instruction memory and, if `streamed`, a kv buffer of one
    BRAM36 block."""
    kv = {"buffers.kv.memory": "bram", "buffers.kv.blocks": 1}
    return u280_config(tmp_path / f"c{channels}-imem{imem_uram}.json",
                       {"hbm.channels": channels,
                        "control.imem_uram": imem_uram,
                        **(kv if streamed else {})})


def kv_channels(asm, name, channels):
    """The HBM channels subroutine `name`'s K/V loads (`load kv[...]`)
    read, from its label to its `jr r8`."""
    body = re.search(rf"^{name}:\n(.*?)^  jr +r8$", asm, re.M | re.S).group(1)
    loads = re.findall(r"^  load +kv\[.*?ch=(\d+)(?:, nch=(\d+))?", body,
                       re.M)
    assert loads, name
    return frozenset((int(first) + i) % channels for first, n in loads
                     for i in range(int(n or 1)))


@pytest.mark.parametrize("case", list(CASES))
def test_shared_attention_matches_golden(tmp_path, tools, case):
    setting, channels, imem_uram, streamed, calls_by_layer = CASES[case]
    path = export(tmp_path, layers=8, heads=4, kv_heads=2)
    flags = ["--config=" + str(small_config(tmp_path, channels, imem_uram,
                                            streamed)),
             "--prefill-tile=4"]
    asm = assembly(tools, path, setting, flags)
    instructions = sum(1 for line in asm.splitlines()
                       if line.startswith("  "))
    assert instructions <= imem_uram * 2048
    for step in ("decode", "prefill"):
        names = re.findall(rf"^({step}_attention_\d+):", asm, re.M)
        calls = re.findall(rf"^  jal +r8, ({step}_attention_\d+)$", asm, re.M)
        entered = re.search(rf"^  jmp +{step}_step$", asm, re.M)
        assert bool(entered) == (step in calls_by_layer), step
        if step not in calls_by_layer:
            assert not names and not calls, step
            continue
        # Layer l calls the subroutine calls_by_layer[step][l] says (in the
        # order of first call), and every subroutine is called.
        first = list(dict.fromkeys(calls))
        assert "".join(str(first.index(c)) for c in calls) == \
            calls_by_layer[step], step
        assert sorted(names) == sorted(first), step
        # Each layer's K and V take 8 channels; the subroutines of layers
        # whose caches sit on other channels read other channels.
        placements = {kv_channels(asm, name, channels) for name in names}
        assert all(len(p) == 8 for p in placements), step
        assert len(placements) == channels // 8, step
    if streamed:
        assert re.search(r"^chunk_\d+_of_prefill:", asm, re.M)
    # In line (the config's 32 blocks), the same program would not fit.
    inline = assembly(tools, path, setting,
                      ["--config=" + str(small_config(tmp_path, channels, 32,
                                                      streamed)),
                       "--prefill-tile=4"])
    assert "_attention_" not in inline
    assert sum(1 for line in inline.splitlines()
               if line.startswith("  ")) > imem_uram * 2048
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, NEW,
                                 flags)


# Sharing forced (--share-attention=always) on the bundled config's
# instruction memory, where the program would fit in line: every layer of
# both steps calls its step's attention, with no barrier at the call or the
# return (accel-insert-tokens' entry, exit and return slots).
ALWAYS = {
    "int8-gqa": (INT8["w2a8kv4-2:4-lambda"], dict(heads=4, kv_heads=2),
                 False),
    "rope-by-rank-gqa-4:1": (ROPE["w2a8kv4-2:4-lambda"],
                             dict(heads=4, kv_heads=1), False),
    "fp32-mha": (ROPE["fp32-lambda"], dict(heads=4, kv_heads=4), False),
    "streamed-kv4": (STREAM["kv4"], dict(heads=4, kv_heads=2), True),
}


@pytest.mark.parametrize("case", list(ALWAYS))
def test_always_shared_matches_golden(tmp_path, tools, case):
    setting, heads, streamed = ALWAYS[case]
    path = export(tmp_path, layers=3, **heads)
    flags = ["--config=" + str(small_config(tmp_path, 8, 32, streamed)),
             "--prefill-tile=4", "--share-attention=always"]
    asm = assembly(tools, path, setting, flags)
    lines = [line.strip() for line in asm.splitlines()]
    for step in ("decode", "prefill"):
        calls = [n for n, line in enumerate(lines)
                 if re.match(rf"jal +r8, {step}_attention_\d+$", line)]
        assert len(calls) == 3, step
        for n in calls:
            before = n - 1
            while lines[before].startswith("addi") and " r2, r2," in \
                    lines[before]:
                before -= 1
            assert lines[before] != "barrier", (step, lines[before])
    returns = [n for n, line in enumerate(lines)
               if re.match(r"jr +r8$", line)]
    assert returns and all(lines[n - 1] != "barrier" for n in returns)
    # Tokens cross the boundaries: a subroutine's exit slots (its last four
    # instructions) give tokens to the code after its calls.
    assert any("rel=" in slot for n in returns for slot in lines[n - 4:n])
    if streamed:
        assert re.search(r"^chunk_\d+_of_prefill:", asm, re.M)
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, NEW,
                                 flags)
