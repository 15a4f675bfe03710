"""`accel.simulate` on a package compiled by accelc: the three modes, the
report's fields, and errors.

A small LLaMA-style decoder (2:4 + W2A8KV4, Λ attention) is exported with
torch and compiled by `accelc`; `accel.simulate` runs it through accel-sim.
Functional and both modes must give the same tokens and bit-identical logits
(the timing model schedules the same semantics); timing-only mode needs no
data and gives the same cycles here.
"""

import os
import subprocess

import numpy as np
import pytest
import torch

import accel
import decoders

SEQ = 16
PROMPT = [3, 1, 4, 1, 5]
NEW = 4
VOCAB = 96


@pytest.fixture(scope="module")
def package(tmp_path_factory, build_dir, accelc):
    if not os.path.exists(os.path.join(build_dir, "bin", "accel-sim")):
        pytest.skip("accel-sim is not built")
    tmp = tmp_path_factory.mktemp("simulate")
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=64, ffn=128, vocab=VOCAB, layers=2)
    onnx_path = tmp / "model.onnx"
    decoders.export(model, onnx_path, seq_len=SEQ)
    out = tmp / "model.accel"
    subprocess.run([accelc, str(onnx_path), "--dim", f"batch=1,sequence={SEQ}",
                    "--prune=2:4", "--quant=w2a8kv4", "--lambda=2,4",
                    "-o", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def both(package):
    return accel.simulate(package, PROMPT, NEW)


def test_both_mode(both):
    assert len(both["tokens"]) == NEW
    assert all(0 <= t < VOCAB for t in both["tokens"])
    logits = both["logits"]
    assert isinstance(logits, np.ndarray) and logits.dtype == np.float32
    assert logits.shape == (VOCAB,)
    assert int(np.argmax(logits)) == both["tokens"][-1]
    report = both["report"]
    assert report["mode"] == "both" and report["config"] == "u280"
    assert report["tokens"] == both["tokens"]
    assert report["prompt_tokens"] == len(PROMPT)
    assert [c["entry"] for c in report["calls"]] == ["prefill"] + ["decode"] * (NEW - 1)
    assert [c["position"] for c in report["calls"][1:]] == list(
        range(len(PROMPT), len(PROMPT) + NEW - 1))
    prefill, decode = report["prefill"], report["decode"]
    assert prefill["tokens"] == len(PROMPT) and prefill["cycles"] > 0
    assert decode["steps"] == NEW - 1 and len(decode["cycles"]) == NEW - 1
    assert decode["mean_cycles"] == pytest.approx(np.mean(decode["cycles"]))
    clock = report["clock_mhz"] * 1e6
    assert decode["tokens_per_second"] == pytest.approx(clock / decode["mean_cycles"])
    assert decode["tokens_per_joule"] == pytest.approx(1 / decode["joules_per_token"])
    total = report["total"]
    assert total["cycles"] == sum(c["cycles"] for c in report["calls"])
    for unit in ("ctl", "ld", "st", "mx", "vec"):
        u = total["units"][unit]
        assert 0 <= u["busy_cycles"] <= total["cycles"]
        assert u["utilization"] == pytest.approx(u["busy_cycles"] / total["cycles"])
    assert total["units"]["mx"]["instructions"] > 0
    assert 0 < total["hbm"]["fraction_of_peak"] < 1
    assert total["hbm"]["read_bytes"] > 0 and total["compute"]["macs"] > 0
    energy = total["energy"]
    assert energy["total_j"] == pytest.approx(
        sum(energy[k] for k in ("mac_j", "fp32_j", "hbm_j", "sram_j", "static_j")))


def test_functional_mode_is_the_same_computation(package, both):
    functional = accel.simulate(package, PROMPT, NEW, mode="functional")
    assert functional["report"] is None
    assert functional["tokens"] == both["tokens"]
    assert functional["logits"].tobytes() == both["logits"].tobytes()


def test_thread_count_does_not_change_results(package, both):
    one = accel.simulate(package, PROMPT, NEW, mode="functional", threads=1)
    assert one["tokens"] == both["tokens"]
    assert one["logits"].tobytes() == both["logits"].tobytes()
    with pytest.raises(ValueError, match="threads"):
        accel.simulate(package, PROMPT, NEW, threads=0)


def test_timing_mode_needs_no_data(package, both):
    timing = accel.simulate(package, PROMPT, NEW, mode="timing")
    assert timing["logits"] is None
    assert timing["tokens"] == [0] * NEW  # generated tokens read as 0
    assert [c["cycles"] for c in timing["report"]["calls"]] == [
        c["cycles"] for c in both["report"]["calls"]]


def test_what_if(package, both):
    """what_if times the same package with timing-only config fields
    changed: at half the clock and half the HBM rate a step takes the same
    cycles and twice the seconds; one row in flight on the vector unit's
    reduction path cannot be faster than eight; a field the code depends on
    is refused."""
    import json
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "configs", "u280.json")) as f:
        u280 = json.load(f)
    clock = u280["clock_mhz"]["value"]
    gbps = u280["hbm"]["channel_gbps"]["value"]
    half = accel.simulate(package, PROMPT, NEW, mode="timing",
                          what_if={"clock_mhz": clock / 2,
                                   "hbm.channel_gbps": gbps / 2})["report"]
    assert half["clock_mhz"] == clock / 2
    assert half["what_if"] == [
        {"key": "clock_mhz", "value": clock / 2, "config_value": clock},
        {"key": "hbm.channel_gbps", "value": gbps / 2, "config_value": gbps}]
    for slow, fast in zip(half["calls"], both["report"]["calls"]):
        assert slow["cycles"] == fast["cycles"]
        assert slow["seconds"] == pytest.approx(2 * fast["seconds"])
    rows1 = accel.simulate(package, PROMPT, NEW, mode="timing",
                           what_if={"vector.reduction_rows": 1})["report"]
    assert rows1["what_if"] == [{"key": "vector.reduction_rows", "value": 1,
                                 "config_value": 8}]
    for slow, fast in zip(rows1["calls"], both["report"]["calls"]):
        assert slow["cycles"] >= fast["cycles"]
    with pytest.raises(accel.AccelError, match="queues.depth is not a timing"):
        accel.simulate(package, PROMPT, NEW, mode="timing",
                       what_if={"queues.depth": 4})


def test_trace(package, tmp_path):
    import json
    path = tmp_path / "trace.json"
    accel.simulate(package, PROMPT, 2, mode="timing", trace_path=path)
    events = json.load(open(path))["traceEvents"]
    units = {e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert units == {"ctl", "ld", "st", "mx", "vec", "calls"}
    slices = [e for e in events if e.get("ph") == "X" and e["cat"] != "call"]
    assert {"load", "mv", "halt"} <= {e["name"] for e in slices}
    assert all(e["dur"] > 0 and "index" in e["args"] for e in slices)


def test_plot(both, tmp_path):
    """utils/plot_report.py draws the report as a PNG."""
    pytest.importorskip("matplotlib")
    import json
    import sys
    report, png = tmp_path / "report.json", tmp_path / "report.png"
    report.write_text(json.dumps(both["report"]))
    script = os.path.join(os.path.dirname(__file__), "..", "..", "utils",
                          "plot_report.py")
    subprocess.run([sys.executable, script, str(report), "-o", str(png)],
                   check=True, capture_output=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors(package, tmp_path):
    with pytest.raises(ValueError, match="mode"):
        accel.simulate(package, PROMPT, 1, mode="fast")
    with pytest.raises(ValueError, match="prompt_ids"):
        accel.simulate(package, [], 1)
    with pytest.raises(accel.AccelError, match="no such file|No such file"):
        accel.simulate(tmp_path / "missing.accel", PROMPT, 1)
    bad = tmp_path / "bad.accel"
    bad.write_bytes(b"not a package")
    with pytest.raises(accel.AccelError, match="bad.accel"):
        accel.simulate(bad, PROMPT, 1)
