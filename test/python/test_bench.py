"""bench/run.py end to end on gen_llama.py's tiny shape, with the test
build's binaries (--no-build) and a scratch --work: it generates the model,
compiles it the AccLLM way, simulates decode steps and a 2048-token prefill
and prints its tables, so the bench script cannot rot unnoticed. (The 1B and
7B runs are the benchmarks themselves: minutes each.)"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench", "run.py")


def bench_tiny(tmp_path, build_dir, *flags):
    """bench/run.py's stdout on the tiny shape with `flags`, --work at
    `tmp_path`."""
    run = subprocess.run(
        [sys.executable, BENCH, "--no-build", "--build=" + build_dir,
         "--work=" + str(tmp_path), "--shapes=tiny"] + list(flags),
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return run.stdout


def test_bench_runs_the_tiny_shape(tmp_path, build_dir, accelc):
    out = bench_tiny(tmp_path, build_dir, "--sim-steps=4")
    assert re.search(r"^shape\s+phase\s+token/s\s+vs AccLLM.*\|\s+"
                     r"vector\.reduction_rows=1 token/s\s+cycles\s+roofline$",
                     out, re.M), out
    for phase in ("decode@2048", "decode@8192", "decode@32768",
                  "prefill 2048"):
        assert re.search(r"^tiny\s+%s\s+[\d.]+\s+[\d.]+x" % phase, out,
                         re.M), phase
    # The conservative reduction path beside the config's figures: token/s,
    # cycles and roofline fraction both ways for every phase.
    both = r"\s+[\d.]+%\s+\d+ \|\s+[\d.]+\s+\d+\s+[\d.]+%$"
    for phase in ("decode@2048", "decode@8192", "decode@32768",
                  "prefill 2048"):
        assert re.search(r"^tiny\s+%s\s.*%s" % (phase, both), out, re.M), phase
    assert re.search(r"^tiny\s+compile [\d.]+ s", out, re.M), out

    with open(tmp_path / "results.json") as f:
        tiny = json.load(f)["tiny"]
    assert sorted(tiny["decode"], key=int) == ["2048", "8192", "32768"]
    for figures in list(tiny["decode"].values()) + [tiny["prefill"]]:
        assert figures["cycles"] > 0 and figures["tokens_per_second"] > 0
    for figures in list(tiny["decode"].values()) + [tiny["prefill"]]:
        rows1 = figures["reduction_rows_1"]
        assert rows1["what_if"] == [{"key": "vector.reduction_rows",
                                     "value": 1, "config_value": 8}]
        # One row in flight cannot be faster than eight.
        assert rows1["cycles"] >= figures["cycles"]
        assert rows1["tokens_per_second"] <= figures["tokens_per_second"]
    assert tiny["compile"]["code"]["instructions"] > 0


def test_bench_runs_flightllm_only(tmp_path, build_dir, accelc):
    """--only=flightllm: FlightLLM's design point alone (its flags, its
    config, its three decode positions), on the shape given, and no AccLLM
    table."""
    out = bench_tiny(tmp_path, build_dir, "--only=flightllm")
    assert "summary" not in out and "decode@2048" not in out, out
    assert re.search(r"^FlightLLM's design point \(flightllm-u280\.json, "
                     r"--prune=8:16 .*--max-context=2048 .*\), tiny:$", out,
                     re.M), out
    for pos in (512, 1024, 2047):
        assert re.search(r"^  decode@%-5d\s+[\d.]+ token/s = [\d.]+x its 55 "
                         r"token/s" % pos, out, re.M), pos

    with open(tmp_path / "results.json") as f:
        results = json.load(f)
    assert "tiny" not in results
    point = results["flightllm"]["tiny"]
    assert point["config"] == "flightllm-u280.json"
    assert sorted(point["decode"], key=int) == ["512", "1024", "2047"]
    cycles = [point["decode"][p]["cycles"] for p in ("512", "1024", "2047")]
    # No Λ: a longer context reads more of the cache.
    assert 0 < cycles[0] < cycles[1] < cycles[2], cycles
    assert point["compile"]["code"]["instructions"] > 0
    assert not (tmp_path / "roofline.png").exists()
