"""A program that would not fit the instruction memory shares a step's
attention between its layers (accel-lower-to-isa): the prefill step's
layers call one subroutine with `jal r8` (the step entered by `jmp`), and
if that is not enough the decode step's too; the call moves r2 by the
layer's KV cache offset. An 8-layer decoder on a config of 8 HBM channels
(every layer's caches start on the same channels) and a few thousand
instructions of instruction memory computes what the golden model
computes, bit for bit, with the race detector on."""

import json
import os
import re
import subprocess

import pytest
import torch

import decoders
from test_attention_stream import SETTINGS as STREAM
from test_engine import (PROMPT, NEW, SEQ,  # noqa: F401
                         assert_engine_matches_golden, tools)
from test_int8_attention import SETTINGS as INT8
from test_rope_cache import SETTINGS as ROPE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CASES = {
    # setting, URAM blocks of instruction memory (2,048 instructions each),
    # a kv buffer of 4 KiB (streamed), the steps sharing their attention
    # and how many subroutines each has.
    "rope-by-rank": (ROPE["w2a8kv4-2:4-lambda"], 3, False,
                     {"decode": 1, "prefill": 1}),
    "int8": (INT8["w2a8kv4-2:4-lambda"], 3, False,
             {"decode": 1, "prefill": 1}),
    # fp32 records take 4 of the 8 channels: layers alternate between two
    # placements, so each step has two subroutines.
    "fp32-rope-by-rank": (ROPE["fp32-lambda"], 3, False,
                          {"decode": 2, "prefill": 2}),
    # Streamed through a kv buffer of 4 KiB: sharing the prefill step's
    # attention is enough.
    "streamed-kv4": (STREAM["kv4"], 4, True, {"prefill": 1}),
}


def export8(tmp_path):
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=64, ffn=128, vocab=96, layers=8,
                           heads=4, kv_heads=2)
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=SEQ)
    return path


def small_config(tmp_path, imem_uram, streamed):
    config = json.load(open(os.path.join(ROOT, "configs", "u280.json")))
    config["hbm"]["channels"]["value"] = 8
    config["control"]["imem_uram"]["value"] = imem_uram
    if streamed:
        config["buffers"]["kv"]["memory"]["value"] = "bram"
        config["buffers"]["kv"]["blocks"]["value"] = 1
    path = tmp_path / f"imem{imem_uram}.json"
    path.write_text(json.dumps(config))
    return path


def assembly(tools, path, setting, flags):
    return subprocess.run([tools["accelc"], str(path), "--dim",
                           "batch=1,sequence=16", *setting["cli"], *flags,
                           "--emit=asm", "-o", "-"],
                          check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("case", list(CASES))
def test_shared_attention_matches_golden(tmp_path, tools, case):
    setting, imem_uram, streamed, subroutines = CASES[case]
    path = export8(tmp_path)
    flags = ["--config=" + str(small_config(tmp_path, imem_uram, streamed)),
             "--prefill-tile=4"]
    asm = assembly(tools, path, setting, flags)
    instructions = sum(1 for line in asm.splitlines()
                       if line.startswith("  "))
    assert instructions <= imem_uram * 2048
    for step in ("decode", "prefill"):
        names = set(re.findall(rf"^({step}_attention_\d+):", asm, re.M))
        assert len(names) == subroutines.get(step, 0), step
        calls = re.findall(rf"^  jal +r8, ({step}_attention_\d+)$", asm, re.M)
        assert len(calls) == (8 if step in subroutines else 0), step
        assert set(calls) == names
        entered = re.search(rf"^  jmp +{step}_step$", asm, re.M)
        assert bool(entered) == (step in subroutines), step
    if streamed:
        assert re.search(r"^chunk_\d+_of_prefill:", asm, re.M)
    # In line (the config's 32 blocks), the same program would not fit.
    inline = assembly(tools, path, setting,
                      ["--config=" + str(small_config(tmp_path, 32, streamed)),
                       "--prefill-tile=4"])
    assert "_attention_" not in inline
    assert sum(1 for line in inline.splitlines()
               if line.startswith("  ")) > imem_uram * 2048
    assert_engine_matches_golden(tmp_path, tools, path, setting, PROMPT, NEW,
                                 flags)
