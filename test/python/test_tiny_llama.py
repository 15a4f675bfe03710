"""The bundled trained model, examples/tiny_llama: its files, the fp32
reference executor writing the text the folder's README shows, accelc
compiling it with the AccLLM default settings to a package that accel-sim
runs to the golden model's tokens, and accel-eval's table on a small
held-out slice (with its own simulator check, on a Λ ring that wraps).
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import accel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.path.join(ROOT, "examples", "tiny_llama")
MODEL = os.path.join(MODEL_DIR, "model.onnx")
HELD_OUT = "/usr/share/common-licenses/Apache-2.0"
PROMPT = "This License"
NEW = 16


def encode(text):
    return list(text.encode("utf-8"))


def test_bundled_files():
    assert os.path.getsize(MODEL) < 5 * 2**20
    with open(os.path.join(MODEL_DIR, "tokenizer.json")) as f:
        tokenizer = json.load(f)
    assert tokenizer["type"] == "bytes" and tokenizer["vocab_size"] == 256


def test_reference_writes_the_readme_sample():
    """Teacher-forced on prompt + sample, the fp32 reference executor's
    argmax at every position is the sample's next byte: greedy decoding
    writes the sample."""
    with open(os.path.join(MODEL_DIR, "samples.json")) as f:
        sample = json.load(f)[0]
    prompt = encode(sample["prompt"])
    text = encode(sample["greedy"])[:64]
    ids = np.array([prompt + text[:-1]], np.int64)
    m = accel.import_onnx(MODEL, dims={"batch": 1, "sequence": ids.shape[1]})
    accel.raise_to_accel(m)
    logits = accel.reference_run(m, {"input_ids": ids})["logits"][0]
    assert bytes(np.argmax(logits[len(prompt) - 1:], axis=-1).tolist()) == bytes(text)


def golden_greedy(prompt, new):
    """Greedy tokens of the golden model compiled as accelc compiles the
    package below, decoding one token at a time."""
    m = accel.import_onnx(MODEL, dims={"batch": 1, "sequence": 16})
    accel.raise_to_accel(m)
    m.run_pipeline("func.func(accel-prune{n=2 m=4},accel-quantize{scheme=w2a8kv4})")
    m.run_pipeline("accel-lambda-attention{sink=4 window=1020},cse")
    return accel.generate(m, prompt, new)[0]


def test_default_settings_simulate_to_the_golden_tokens(tmp_path, build_dir):
    tools = {name: os.path.join(build_dir, "bin", name)
             for name in ("accelc", "accel-sim")}
    for path in tools.values():
        if not os.path.exists(path):
            pytest.skip(f"{path} is not built")
    package = tmp_path / "model.accel"
    subprocess.run([tools["accelc"], MODEL, "--dim", "batch=1,sequence=16",
                    "--prune=2:4", "--quant=w2a8kv4", "--lambda=4,1020",
                    "-o", str(package)], check=True, capture_output=True)
    prompt = encode(PROMPT)
    run = subprocess.run([tools["accel-sim"], str(package),
                          "--prompt-ids=" + ",".join(map(str, prompt)),
                          f"--max-new-tokens={NEW}"],
                         check=True, capture_output=True, text=True)
    simulated = [int(t) for t in re.search(r"tokens:([ \d]*)", run.stdout)
                 .group(1).split()]
    assert simulated == golden_greedy(prompt, NEW)


def test_accel_eval_on_a_small_slice(tmp_path, build_dir):
    if not os.path.exists(os.path.join(build_dir, "bin", "accel-sim")):
        pytest.skip("accel-sim is not built")
    out = tmp_path / "eval.json"
    settings = "fp32,none,w2a8kv4-2:4-lambda,w2a8kv4-2:4-lambda-gptq"
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "accel-eval", "accel-eval.py"),
         MODEL, "--text", HELD_OUT, "--max-tokens", "257",
         "--calibration-text", "/usr/share/common-licenses/GPL-3",
         "--calibration-tokens", "256", "--settings", settings,
         "--build", build_dir, "--json", str(out),
         "--check-sim", PROMPT, "--max-new-tokens", "64"],
        check=True, capture_output=True, text=True)
    assert "256 tokens predicted" in run.stdout
    for name in settings.split(","):
        assert re.search(rf"^{re.escape(name)} .* \d+\.\d+ +[-+]\d+\.\d%$",
                         run.stdout, re.M), run.stdout
    assert "tokens identical" in run.stdout
    result = json.loads(out.read_text())
    rows = {r["name"]: r for r in result["results"]}
    assert set(rows) == set(settings.split(","))
    # the golden model without compression is the fp32 model to rounding
    assert abs(rows["none"]["ppl"] / rows["fp32"]["ppl"] - 1) < 1e-3
    assert rows["w2a8kv4-2:4-lambda"]["ppl"] > rows["fp32"]["ppl"]
    assert result["simulator_check"]["tokens"]
