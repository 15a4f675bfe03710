"""Compile, then simulate: the engine's program computes what the golden
model computes, bit for bit.

A torch-exported LLaMA-style decoder is compiled by `accelc` to a package
(import, raising, compression, Λ attention, packing, lowering to the ISA),
run by `accel-sim` (prefill of the prompt, then greedy decoding), and checked
against the golden model running the same compressed module's decode
function token by token: the generated tokens must agree, and the logits of
the last step must be the same bits. The settings cover 2:4 + W2A8KV4 with a
Λ ring that wraps, W4A8KV4, W8A8KV8 without Λ, unquantized weights, and
grouped-query and interleaved-RoPE variants.
"""

import json
import os
import re
import subprocess

import numpy as np
import pytest
import torch

import accel
import decoders

SEQ = 16
PROMPT = [3, 1, 4, 1, 5, 9]
NEW = 10


def align(x):
    return (x + 63) // 64 * 64


@pytest.fixture(scope="module")
def tools(build_dir):
    paths = {name: os.path.join(build_dir, "bin", name)
             for name in ("accelc", "accel-sim", "accel-objdump")}
    for path in paths.values():
        if not os.path.exists(path):
            pytest.skip(f"{path} is not built")
    return paths


def u280_config(path, values):
    """configs/u280.json with `values` set (each keyed by its field's path,
    "hbm.channels" for config["hbm"]["channels"]["value"]), written to
    `path`; returns it."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "configs",
                           "u280.json")) as f:
        config = json.load(f)
    for field, value in values.items():
        node = config
        for key in field.split("."):
            node = node[key]
        node["value"] = value
    path.write_text(json.dumps(config))
    return path


def bram_config(tmp_path, buffer, blocks):
    """configs/u280.json with `buffer` made of `blocks` BRAM36 blocks (4 KiB
    each), written to `tmp_path`; returns its path."""
    return u280_config(tmp_path / f"{buffer}{4 * blocks}k.json",
                       {f"buffers.{buffer}.memory": "bram",
                        f"buffers.{buffer}.blocks": blocks})


def assembly(tools, path, setting, flags=()):
    """accelc's assembly of `path` with `setting`'s flags and `flags`."""
    return subprocess.run([tools["accelc"], str(path), "--dim",
                           "batch=1,sequence=16", *setting["cli"], *flags,
                           "--emit=asm", "-o", "-"],
                          check=True, capture_output=True, text=True).stdout


def export(tmp_path, kind="llama", hidden=64, layers=2, **config):
    torch.manual_seed(0)
    model = decoders.build(kind, hidden=hidden, ffn=128, vocab=96,
                           layers=layers, **config)
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=SEQ)
    return path


def golden(path, flags, prompt, new):
    """Greedy tokens and the last logits of the golden model, decoding the
    prompt and then its own tokens one at a time."""
    m = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    accel.raise_to_accel(m)
    if flags["passes"]:
        m.run_pipeline("func.func(" + ",".join(flags["passes"]) + ")")
    m.run_pipeline(flags["lambda"] + ",cse")
    return accel.generate(m, prompt, new)


def simulate(tools, package, prompt, new):
    """accel-sim's tokens and the logits it left in the io region."""
    meta = json.loads(subprocess.run(
        [tools["accel-objdump"], "--section=metadata", str(package)],
        check=True, capture_output=True).stdout)
    base = 0
    for region in ("weights", "kv", "act"):
        base = align(base + meta["hbm"].get(region, 0))
    logits = meta["io"]["logits"]
    run = subprocess.run(
        [tools["accel-sim"], str(package),
         "--prompt-ids=" + ",".join(map(str, prompt)),
         f"--max-new-tokens={new}",
         f"--dump=hbm{logits['channel']}:{base + logits['offset']}:"
         f"{logits['bytes']}:x32"],
        check=True, capture_output=True, text=True)
    tokens = [int(t) for t in re.search(r"tokens:([ \d]*)", run.stdout)
              .group(1).split()]
    words = [int(w, 16) for w in re.findall(r": 0x([0-9a-f]{8})", run.stdout)]
    return tokens, np.array(words, np.uint32).view(np.float32)


SETTINGS = {
    "w2a8kv4-2:4-lambda": dict(
        cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--lambda=2,5"],
        passes=["accel-prune{n=2 m=4}",
                "accel-quantize{scheme=w2a8kv4 group=32}"],
        lam="accel-lambda-attention{sink=2 window=5}"),
    "w4a8kv4-lambda": dict(
        cli=["--quant=w4a8kv4", "--group=32", "--lambda=4,8"],
        passes=["accel-quantize{scheme=w4a8kv4 group=32}"],
        lam="accel-lambda-attention{sink=4 window=8}"),
    "w8a8kv8-full-cache": dict(
        cli=["--quant=w8a8kv8", "--group=32", "--decode", "--max-context=64"],
        passes=["accel-quantize{scheme=w8a8kv8 group=32}"],
        lam="accel-lambda-attention{max-context=64}"),
    "fp32-lambda": dict(
        cli=["--lambda=2,6"], passes=[],
        lam="accel-lambda-attention{sink=2 window=6}"),
}


def assert_engine_matches_golden(tmp_path, tools, path, setting, prompt, new,
                                 extra_flags=()):
    """Compiles `path` with `setting`'s accelc flags, simulates greedy
    decoding of `prompt`, and checks the tokens and the last logits' bits
    against the golden model compiled by the same passes."""
    package = tmp_path / "model.accel"
    subprocess.run([tools["accelc"], str(path), "--dim", "batch=1,sequence=16",
                    *setting["cli"], *extra_flags, "-o", str(package)],
                   check=True, capture_output=True)
    want_tokens, want_logits = golden(
        path, {"passes": setting["passes"], "lambda": setting["lam"]}, prompt,
        new)
    got_tokens, got_logits = simulate(tools, package, prompt, new)
    assert got_tokens == want_tokens
    diff = got_logits.view(np.uint32) != want_logits.view(np.uint32)
    assert not diff.any(), (
        f"{diff.sum()} of {diff.size} logits differ; first at "
        f"{np.argwhere(diff)[0]}")


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_simulated_engine_matches_golden(tmp_path, tools, setting):
    assert_engine_matches_golden(tmp_path, tools,
                                 export(tmp_path, heads=4, kv_heads=2),
                                 SETTINGS[setting], PROMPT, NEW)


def test_weight_ring_wraps(tmp_path, tools):
    """accel-tile's ring by bytes in a weight buffer of 16 KiB (four BRAM36
    blocks): the step's groups wrap at the buffer's end several times, each
    load overwriting bytes that `mv`s of earlier groups read; a load that
    did not wait for them (the simulator runs the load unit ahead as far as
    the tokens let it) would change the logits."""
    path = bram_config(tmp_path, "wgt", 4)
    model = export(tmp_path, heads=4, kv_heads=2)
    setting = SETTINGS["w2a8kv4-2:4-lambda"]
    assert_engine_matches_golden(tmp_path, tools, model, setting, PROMPT, NEW,
                                 ["--config=" + str(path)])
    asm = assembly(tools, model, setting, ["--config=" + str(path)])
    # The decode step's loads into the weight buffer, at wgt[0] or at
    # wgt[r] after `addi r, r0, offset`.
    step = asm[asm.index("decode_step:"):asm.index("prefill_step:")]
    offsets, regs = [], {}
    for line in step.splitlines():
        if m := re.match(r"\s*addi\s+(r\d+), r0, (\d+)$", line):
            regs[m.group(1)] = int(m.group(2))
        elif m := re.match(r"\s*load\s+wgt\[(\w+)\]", line):
            offsets.append(regs[m.group(1)] if m.group(1) != "0" else 0)
    wraps = sum(b < a for a, b in zip(offsets, offsets[1:]))
    assert wraps >= 3 and max(offsets) < 16384


@pytest.mark.parametrize("variant", [dict(heads=4, kv_heads=1),
                                     dict(heads=2, kv_heads=2,
                                          rope="interleaved"),
                                     dict(kind="gpt2", heads=4)],
                         ids=["gqa-4:1", "mha-interleaved", "gpt2"])
def test_model_variants(tmp_path, tools, variant):
    """LLaMA variants, and GPT-2: LayerNorm with shifts, biases, GELU, a
    fused QKV projection split into three linears, learned positions (the
    embedding of the step's position) and a tied LM head."""
    assert_engine_matches_golden(tmp_path, tools, export(tmp_path, **variant),
                                 SETTINGS["w2a8kv4-2:4-lambda"], PROMPT, NEW)


def test_code_size_does_not_grow_with_context(tmp_path, tools):
    """One program for every length: the code of a model compiled for a
    1024-token window is the size of one compiled for 8."""
    path = export(tmp_path, heads=4, kv_heads=2)
    sizes = []
    for window in ("8", "1020"):
        report = subprocess.run(
            [tools["accelc"], str(path), "--dim", "batch=1,sequence=16",
             "--prune=2:4", "--quant=w2a8kv4", f"--lambda=4,{window}",
             "-o", str(tmp_path / f"m{window}.accel"), "--report=-"],
            check=True, capture_output=True, text=True).stdout
        sizes.append(re.search(r"total: (\d+) instructions, (\d+) bytes",
                               report).groups())
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("tile", [1, 4, 16])
def test_prefill_tiles(tmp_path, tools, tile):
    """The prefill step takes the prompt a tile at a time in matrix-matrix
    mode: a 23-token prompt in tiles of 1, 4 (the last one partial) or 16,
    with a Λ ring of 2 + 5 slots that wraps inside a tile, leaves the cache
    and the logits of decoding it token by token, bit for bit."""
    prompt = [(7 * i + 3) % 96 for i in range(23)]
    assert_engine_matches_golden(tmp_path, tools,
                                 export(tmp_path, heads=4, kv_heads=2),
                                 SETTINGS["w2a8kv4-2:4-lambda"], prompt, 6,
                                 [f"--prefill-tile={tile}"])


def test_text_in_text_out(tmp_path, tools):
    """accelc --tokenizer carries the bundled model's byte-level tokenizer;
    accel-sim --prompt tokenizes the text and prints the generated text,
    the bytes of the generated tokens. A package without a tokenizer
    refuses --prompt."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    model = os.path.join(root, "examples", "tiny_llama")
    package = tmp_path / "tiny.accel"
    subprocess.run([tools["accelc"], os.path.join(model, "model.onnx"),
                    "--dim", "batch=1,sequence=64", "--quant=w8a8kv8",
                    "--lambda=4,60",
                    "--tokenizer=" + os.path.join(model, "tokenizer.json"),
                    "-o", str(package)], check=True, capture_output=True)
    run = subprocess.run([tools["accel-sim"], str(package), "--prompt=You may ",
                          "--max-new-tokens=24", "--no-summary"],
                         check=True, capture_output=True, text=True)
    tokens = [int(t) for t in re.search(r"tokens:([ \d]*)", run.stdout)
              .group(1).split()]
    text = re.search(r"^text: (.*)$", run.stdout, re.M).group(1)
    generated = bytes(tokens).decode("ascii")
    assert text.startswith("You may ")
    assert generated.split("\n")[0] == text[len("You may "):]
    bare = tmp_path / "bare.accel"
    subprocess.run([tools["accelc"], os.path.join(model, "model.onnx"),
                    "--dim", "batch=1,sequence=64", "--decode", "-o",
                    str(bare)], check=True, capture_output=True)
    refused = subprocess.run([tools["accel-sim"], str(bare), "--prompt=x",
                              "--max-new-tokens=1"],
                             capture_output=True, text=True)
    assert refused.returncode == 1
    assert "--prompt needs a package with a tokenizer" in refused.stderr
