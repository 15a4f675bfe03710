#!/usr/bin/python3
"""The LLaMA-scale benchmarks of docs/PERFORMANCE.md, in one run.

    bench/run.py [--build=build-bench] [--work=/tmp/accel-bench] [--shapes=1b,7b]
                 [--only=flightllm]

Any shape gen_llama.py offers runs (tiny: a check of the script in seconds,
test/python/test_bench.py); the prompts' token ids stay within the package's
vocabulary.

First builds --build from the checked-out tree (utils/setup.sh; --no-build
uses its binaries as they are). For each shape: generates the fp16 model (bench/gen_llama.py, unless
present), compiles it with accelc the AccLLM way (2:4, W2A8KV4 with the LM
head at W8A8, int8 attention, Λ 4+1020) under /usr/bin/time -v (wall time,
peak RSS), runs accel-sim --mode=timing for decode steps at context
positions 2K, 8K and 32K and for a 2K-token prefill, and prints token/s,
achieved HBM bandwidth, the fraction of the modelled roofline, the
simulator's wall time per decode step, and the ratios to AccLLM (164
token/s) and FlightLLM (55 token/s) on the U280. The decode steps and the
prefill are also timed with the vector unit's conservative reduction path
(accel-sim --what-if=vector.reduction_rows=1, the same package), printed
beside the config's figures. On the 1B shape it also
runs a few decode steps in functional mode (MAC/s per core). On the 7B
shape it also compiles and times FlightLLM's design point
(configs/flightllm-u280.json: 8-bit weights, 8:16 sparse, int8
attention, no Λ, 2,048 positions) beside its 55 token/s board figure;
--only=flightllm runs that alone, on each shape of --shapes. Writes every figure to
<work>/results.json and a roofline PNG to <work>/roofline.png. Every
engine figure is modelled, not measured on hardware.

Both shapes took 8.3 minutes on this 2-core machine with the models
present (2026-11-25, shared with other work at a load average of 6 to 9;
the three compiles dominate; the 7B ones peak at 2.4 GB of RAM the AccLLM
way and 7.3 GB at FlightLLM's design point).
Generated models are large (15.2 GB for both): keep --work out of the
repository.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCLLM_TPS, FLIGHTLLM_TPS = 164.0, 55.0
POSITIONS = (2048, 8192, 32768)
PREFILL = 2048
LAMBDA = (4, 1020)
# Prompt tokens per matrix-matrix prefill step (accelc --prefill-tile): 16
# for both shapes (a 7B step of 16 tokens fits the 8 MiB act buffer since
# accel-allocate-buffers frees a layer's K and V rows, 6483941).
PREFILL_TILE = 16
# The LM head's precision (accelc --quant-head): 8-bit like FlightLLM's and
# AccLLM's matrix units run it (docs/PERFORMANCE.md, docs/ACCURACY.md).
HEAD = "w8a8"
# The attention numerics (accelc --attention): int8 query and probabilities
# on the matrix unit, as AccLLM's int8 datapath runs attention; +0.3%
# perplexity on the AccLLM setting (docs/ACCURACY.md, docs/NUMERICS.md 6.5).
ATTENTION = "int8"
# FlightLLM's design point: 8-bit weights and activations, N:M sparsity with
# M = 16 (half kept: its published N is 2, 4, 8 or 16 per layer), the LM
# head and attention's two products on the matrix unit in int8 (its MPE
# computes every matrix product of a layer, attention's included, on int8
# operands; its SFU only the softmax and norms), no Λ: a full KV cache of
# 2,048 positions, the longest FlightLLM compiles for (a 7B layer's 8-bit
# keys and values, 4,224 bytes each per position, fit the 8 MiB kv buffer
# for at most 992 positions: a longer cache streams through it in chunks;
# compile_model falls back to imem_variant's config only if accelc refuses
# the program for the config's instruction memory, which the streamed 7B
# program fits since f37192c).
FLIGHTLLM = dict(config=os.path.join(ROOT, "configs", "flightllm-u280.json"),
                 flags=["--prune=8:16", "--quant=w8a8kv8", "--quant-head=w8a8",
                        "--attention=" + ATTENTION, "--decode", "--max-context=2048",
                        "--prefill-tile=4"],
                 positions=(512, 1024, 2047))
# The conservative setting of the vector unit's reduction path (one row in
# flight, each row's sweep and chain in turn; configs/u280.json has 8): the
# decode steps and the prefill are also timed with it, through accel-sim's
# what-if on the same package (docs/SIMULATOR.md "What-if"; a 7B step takes
# about 1.5 s to simulate).
CONSERVATIVE = "vector.reduction_rows=1"
# Instruction memory of the variant a program too large for its config's is
# compiled for (2 MiB, the code budget).
IMEM_URAM = 64
# accelc's error for a program larger than the config's instruction memory.
IMEM_ERROR = "do not fit the instruction memory"


def imem_variant(config_path, work):
    """The config at `config_path` with 2 MiB of instruction memory (the URAM
    taken from the kv buffer), written to <work>/<name>-imem2m.json; its
    path."""
    with open(config_path) as f:
        config = json.load(f)
    moved = IMEM_URAM - config["control"]["imem_uram"]["value"]
    config["name"] += "-imem2m"
    config["control"]["imem_uram"] = {
        "value": IMEM_URAM, "unit": "URAM",
        "source": "bench/run.py: 2 MiB of instruction memory (the issue's "
                  "2 MB code budget); the URAM come from the kv buffer"}
    config["buffers"]["kv"]["blocks"]["value"] -= moved
    path = os.path.join(work, config["name"] + ".json")
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return path


def imem_instructions(config_path):
    with open(config_path) as f:
        config = json.load(f)
    return config["control"]["imem_uram"]["value"] * 32768 // 16


def run(cmd, tolerate=None, **kw):
    """Runs `cmd`: (the process, wall s). A failure ends the bench unless its
    standard error contains `tolerate`."""
    started = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0 and not (tolerate and tolerate in proc.stderr):
        sys.exit("bench: %s failed (%d):\n%s%s" % (
            " ".join(cmd[:3]), proc.returncode, proc.stdout[-2000:],
            proc.stderr[-4000:]))
    return proc, time.time() - started


def timed(cmd, tolerate=None):
    """Runs `cmd` under /usr/bin/time -v: (stderr, wall s, user + sys CPU s,
    peak RSS bytes); None if it failed with `tolerate` (run)."""
    proc, wall = run(["/usr/bin/time", "-v"] + cmd, tolerate)
    if proc.returncode != 0:
        return None
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                        proc.stderr).group(1)) * 1024
    cpu = sum(float(re.search(r"%s time \(seconds\): ([\d.]+)" % kind,
                              proc.stderr).group(1))
              for kind in ("User", "System"))
    return proc.stderr, wall, cpu, rss


def sim(bin_dir, package, report, *args):
    cmd = [os.path.join(bin_dir, "accel-sim"), package, "--mode=timing",
           "--no-summary", "--report=" + report] + list(args)
    _, wall = run(cmd)
    with open(report) as f:
        return json.load(f), wall


def vocabulary(bin_dir, package):
    """The package's vocabulary size (its metadata's model.vocab)."""
    proc, _ = run([os.path.join(bin_dir, "accel-objdump"), "--section=metadata",
                   package])
    return json.loads(proc.stdout)["model"]["vocab"]


def call_figures(call):
    hbm = call["hbm"]
    roof = call["roofline"]
    return {
        "cycles": call["cycles"],
        "seconds": call["seconds"],
        "hbm_bytes": hbm["read_bytes"] + hbm["write_bytes"],
        "hbm_gbps": hbm["gbps"],
        "hbm_fraction_of_modelled_peak": hbm["fraction_of_modelled_peak"],
        "roofline_bound": roof["bound"],
        "roofline_fraction": roof["fraction_of_bound"],
        "roofline_bound_cycles": roof["bound_cycles"],
        "macs": call["compute"]["macs"],
        "mx_utilization": call["units"]["mx"]["utilization"],
        "vec_utilization": call["units"]["vec"]["utilization"],
        "ld_utilization": call["units"]["ld"]["utilization"],
    }


def busy(fig):
    return "ld / mx / vec busy %.1f / %.1f / %.1f%%" % tuple(
        100 * fig[u + "_utilization"] for u in ("ld", "mx", "vec"))


def generate(shape, args):
    """The fp16 model of `shape` under --work (written unless present):
    (path, seconds spent generating or None)."""
    model = os.path.join(args.work, shape, "model-fp16.onnx")
    os.makedirs(os.path.dirname(model), exist_ok=True)
    if os.path.exists(model) and os.path.exists(model + ".data"):
        return model, None
    proc, wall = run(["/usr/bin/python3", os.path.join(ROOT, "bench",
                                                       "gen_llama.py"),
                      "--shape=" + shape, "--dtype=fp16", "-o", model])
    print("  " + proc.stdout.strip())
    return model, wall


def compile_model(bin_dir, model, package, flags, config, args):
    """accelc `model` to `package` with `flags` for the hardware `config`
    under /usr/bin/time -v: the compile figures, the code size and the
    weight image from the report. A program larger than the config's
    instruction memory (accelc refuses it) is compiled again for its 2 MiB
    variant."""
    out = compile_once(bin_dir, model, package, flags + ["--config=" + config],
                       args, tolerate=IMEM_ERROR)
    if out is None or out["code"]["instructions"] > imem_instructions(config):
        print("  the program exceeds %s's instruction memory: compiling for "
              "a variant with 2 MiB" % os.path.basename(config))
        config = imem_variant(config, os.path.dirname(package))
        out = compile_once(bin_dir, model, package,
                           flags + ["--config=" + config], args)
    out["config"] = os.path.basename(config)
    return out


def compile_once(bin_dir, model, package, flags, args, tolerate=None):
    """compile_model's accelc run; None if it failed with `tolerate`."""
    report = package + ".report.txt"
    cmd = ([os.path.join(bin_dir, "accelc"), model, "--dim",
            "batch=1,sequence=16"] + flags + ["--report=" + report, "-o", package])
    if args.reuse and os.path.exists(package) and os.path.exists(report):
        stderr, wall, cpu, rss = "", float("nan"), float("nan"), 0
        print("  compile: reusing %s (not timed)" % package)
    else:
        result = timed(cmd, tolerate)
        if result is None:
            return None
        stderr, wall, cpu, rss = result
    out = {"seconds": wall, "cpu_seconds": cpu, "peak_rss_bytes": rss,
           "command": " ".join(cmd),
           "package_bytes": os.path.getsize(package)}
    if "warning" in stderr:
        out["warnings"] = [l for l in stderr.splitlines() if "warning" in l]
    with open(report) as f:
        text = f.read()
    m = re.search(r"total: (\d+) instructions, (\d+) bytes of code", text)
    out["code"] = {"instructions": int(m.group(1)), "bytes": int(m.group(2))}
    m = re.search(r"total: (\d+) weight params in (\d+) bytes", text)
    out["weight_params"], out["weight_image_bytes"] = (int(m.group(1)),
                                                       int(m.group(2)))
    print("  compile: %.1f s (%.1f s user + sys CPU), peak RSS %.2f GB, "
          "package %.2f GB, %d instructions, %d bytes of code"
          % (wall, cpu, rss / 1e9, out["package_bytes"] / 1e9,
             out["code"]["instructions"], out["code"]["bytes"]))
    return out


def decode_step(bin_dir, package, report_path, pos, *what_if):
    """One timed decode step at `pos`: its figures and the report."""
    report, wall = sim(bin_dir, package, report_path, "--entry=decode",
                       "--position=%d" % pos, *what_if)
    call = report["calls"][-1]
    fig = call_figures(call)
    fig["tokens_per_second"] = 1.0 / call["seconds"]
    fig["sim_wall_seconds"] = wall
    return fig, report


def decode_steps(bin_dir, package, work, positions, tag="",
                 conservative=False):
    """Timed decode steps at `positions`: {position: figures}, and the
    report's peak rates. With `conservative`, each is also timed with
    CONSERVATIVE, in its figures' "reduction_rows_1"."""
    decode = {}
    for pos in positions:
        fig, report = decode_step(
            bin_dir, package,
            os.path.join(work, "decode%s-%d.json" % (tag, pos)), pos)
        decode[pos] = fig
        print("  decode @%5d: %7.1f token/s (%d cycles, %.2f ms), %.1f MB from "
              "HBM at %6.1f GB/s = %4.1f%% of the memory roofline; report's "
              "bound: %s, %4.1f%% (%d cycles); %s; sim %.2f s" % (
                  pos, fig["tokens_per_second"], fig["cycles"],
                  1e3 * fig["seconds"], fig["hbm_bytes"] / 1e6,
                  fig["hbm_gbps"], 100 * fig["hbm_fraction_of_modelled_peak"],
                  fig["roofline_bound"], 100 * fig["roofline_fraction"],
                  fig["roofline_bound_cycles"], busy(fig), fig["sim_wall_seconds"]))
        if not conservative:
            continue
        rows1, what_if = decode_step(
            bin_dir, package,
            os.path.join(work, "decode%s-%d-rows1.json" % (tag, pos)), pos,
            "--what-if=" + CONSERVATIVE)
        rows1["what_if"] = what_if["what_if"]
        fig["reduction_rows_1"] = rows1
        print("  decode @%5d with %s: %7.1f token/s (%d cycles), %4.1f%% of "
              "the memory roofline; %s" % (
                  pos, CONSERVATIVE, rows1["tokens_per_second"],
                  rows1["cycles"],
                  100 * rows1["hbm_fraction_of_modelled_peak"], busy(rows1)))
    return decode, dict(report["peak"], clock_mhz=report["clock_mhz"])


def bench_flightllm(shape, model, args, bin_dir):
    """FlightLLM's design point on `shape`'s model: compile, decode steps."""
    work = os.path.join(args.work, shape)
    print("%s, FlightLLM's design point (%s):" % (shape, os.path.basename(
        FLIGHTLLM["config"])))
    out = {"config": os.path.basename(FLIGHTLLM["config"]),
           "flags": FLIGHTLLM["flags"]}
    package = os.path.join(work, "flightllm.accel")
    out["compile"] = compile_model(bin_dir, model, package, FLIGHTLLM["flags"],
                                   FLIGHTLLM["config"], args)
    out["decode"], out["peak"] = decode_steps(
        bin_dir, package, work, FLIGHTLLM["positions"], "-flightllm")
    return out


def bench_shape(shape, model, args, bin_dir):
    work = os.path.join(args.work, shape)
    out = {"shape": shape, "model": model, "dtype": "fp16",
           "weights_bytes": os.path.getsize(model + ".data")}

    package = os.path.join(work, "model.accel")
    out["compile"] = compile_model(
        bin_dir, model, package,
        ["--prune=2:4", "--quant=w2a8kv4", "--quant-head=" + HEAD,
         "--attention=" + ATTENTION, "--lambda=%d,%d" % LAMBDA,
         "--max-context=%d" % (max(POSITIONS) + 64),
         "--prefill-tile=%d" % PREFILL_TILE],
        os.path.join(ROOT, "configs", "u280.json"), args)
    out["config"] = out["compile"]["config"]
    out["decode"], out["peak"] = decode_steps(bin_dir, package, work, POSITIONS,
                                              conservative=True)

    # Simulator speed: steps beyond the first, so the package load cancels
    # (the fastest of three runs each: the load dominates a short run).
    steps = args.sim_steps
    wall1 = min(sim(bin_dir, package, os.path.join(work, "speed1.json"),
                    "--prompt-ids=1", "--max-new-tokens=1")[1] for _ in range(3))
    walln = min(sim(bin_dir, package, os.path.join(work, "speedn.json"),
                    "--prompt-ids=1", "--max-new-tokens=%d" % (steps + 1))[1]
                for _ in range(3))
    out["sim_seconds_per_decode_step"] = (walln - wall1) / steps
    out["sim_load_seconds"] = wall1
    print("  simulator: %.2f ms per timed decode step (%.2f s to load and run "
          "one step)" % (1e3 * out["sim_seconds_per_decode_step"], wall1))

    # Ids 1..1000 in turn, or 1..vocab-1 for a smaller vocabulary.
    cycle = min(1000, vocabulary(bin_dir, package) - 1)
    ids = ",".join(str(1 + i % cycle) for i in range(PREFILL))

    def prefill(name, *what_if):
        report, wall = sim(bin_dir, package, os.path.join(work, name),
                           "--prompt-ids=" + ids, "--max-new-tokens=0",
                           *what_if)
        call = report["calls"][0]
        fig = call_figures(call)
        fig["tokens_per_second"] = PREFILL / call["seconds"]
        fig["sim_wall_seconds"] = wall
        # The compute roofline of a prefill: its MACs at the w2 2:4 MAC rate.
        rate = report["peak"]["macs_per_cycle"]["w2"] * 2
        fig["compute_roofline_cycles"] = call["compute"]["macs"] / rate
        fig["compute_roofline_fraction"] = (fig["compute_roofline_cycles"] /
                                            call["cycles"])
        return fig, report

    fig, _ = prefill("prefill.json")
    out["prefill"] = fig
    print("  prefill %d: %.1f token/s (%d cycles, %.2f s), compute roofline "
          "%.2f%%, HBM %.1f GB/s, %.1f MB per token; %s; sim %.1f s" % (
              PREFILL, fig["tokens_per_second"], fig["cycles"],
              fig["seconds"], 100 * fig["compute_roofline_fraction"],
              fig["hbm_gbps"], fig["hbm_bytes"] / PREFILL / 1e6, busy(fig),
              fig["sim_wall_seconds"]))
    rows1, report = prefill("prefill-rows1.json", "--what-if=" + CONSERVATIVE)
    rows1["what_if"] = report["what_if"]
    fig["reduction_rows_1"] = rows1
    print("  prefill %d with %s: %.1f token/s (%d cycles), compute roofline "
          "%.2f%%; %s" % (PREFILL, CONSERVATIVE, rows1["tokens_per_second"],
                         rows1["cycles"],
                         100 * rows1["compute_roofline_fraction"], busy(rows1)))

    if args.functional and shape == "1b":
        # One thread, so that the figure is per core; steps beyond the first.
        cmd = [os.path.join(bin_dir, "accel-sim"), package, "--mode=functional",
               "--threads=1", "--prompt-ids=1"]
        steps = 4
        wall1 = min(run(cmd + ["--max-new-tokens=1"])[1] for _ in range(2))
        walln = min(run(cmd + ["--max-new-tokens=%d" % (steps + 1)])[1]
                    for _ in range(2))
        per_step = (walln - wall1) / steps
        # Their MACs, from the timing model's report of the same steps.
        report, _ = sim(bin_dir, package, os.path.join(work, "steps.json"),
                        "--prompt-ids=1", "--max-new-tokens=%d" % (steps + 1))
        macs = sum(c["compute"]["macs"] for c in report["calls"][1:]) / steps
        out["functional_seconds_per_decode_step"] = per_step
        out["functional_macs_per_second"] = macs / max(per_step, 1e-9)
        print("  functional: %.3f s per decode step, %.2f GMAC/s on one core"
              % (per_step, out["functional_macs_per_second"] / 1e9))
    return out


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: no matplotlib; no roofline plot")
        return
    fig, ax = plt.subplots(figsize=(7, 5))
    peak = next(iter(results.values()))["peak"]
    clock = peak["clock_mhz"] * 1e6
    bw = peak["hbm_modelled_gbps"] * 1e9
    for name, rate, style in (("w2 2:4", peak["macs_per_cycle"]["w2"] * 2, "-"),
                              ("w2 dense", peak["macs_per_cycle"]["w2"], "--"),
                              ("fp32 path", peak["macs_per_cycle"]["fp32"], ":")):
        xs = [10 ** (i / 20) for i in range(-20, 101)]
        ax.plot(xs, [min(x * bw, rate * clock) for x in xs], "k" + style,
                lw=1, label="roof: %s, %.0f GB/s" % (name, bw / 1e9))
    for shape, r in results.items():
        # With Λ every position from sink + window on times the same.
        points = [("decode@%s" % "/".join("%dK" % (p // 1024) for p in POSITIONS),
                   r["decode"][POSITIONS[0]])]
        points.append(("prefill %d" % PREFILL, r["prefill"]))
        for label, f in points:
            x = f["macs"] / max(f["hbm_bytes"], 1)
            y = f["macs"] / f["seconds"]
            ax.plot([x], [y], "o")
            ax.annotate("%s %s" % (shape, label), (x, y), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MAC per HBM byte")
    ax.set_ylabel("MAC/s (modelled)")
    ax.set_title("accel on the modelled U280 (%s)" % ", ".join(
        "%s: %s" % (shape, r["config"]) for shape, r in results.items()))
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print("bench: roofline plot %s" % path)


def summary(results):
    """Prints the AccLLM-way figures of every shape in `results`."""
    print("\nsummary (engine figures modelled; fp16 models; LM head %s; "
          "roofline: decode of the memory, prefill of the compute roofline; "
          "right of |: the same package timed with accel-sim --what-if=%s)"
          % (HEAD, CONSERVATIVE))
    print("%-5s %-12s %10s %9s %9s %10s %10s %11s | %31s %11s %10s" % (
        "shape", "phase", "token/s", "vs AccLLM", "vs Flight", "HBM GB/s",
        "roofline", "cycles", CONSERVATIVE + " token/s", "cycles",
        "roofline"))
    for shape, r in results.items():
        rows = [("decode@%d" % p, r["decode"][p], "hbm_fraction_of_modelled_peak")
                for p in POSITIONS]
        rows.append(("prefill %d" % PREFILL, r["prefill"],
                     "compute_roofline_fraction"))
        for phase, f, frac in rows:
            line = "%-5s %-12s %10.1f %8.2fx %8.2fx %10.1f %9.1f%% %11d | " % (
                shape, phase, f["tokens_per_second"],
                f["tokens_per_second"] / ACCLLM_TPS,
                f["tokens_per_second"] / FLIGHTLLM_TPS, f["hbm_gbps"],
                100 * f[frac], f["cycles"])
            rows1 = f["reduction_rows_1"]
            print(line + "%31.1f %11d %9.1f%%" % (
                rows1["tokens_per_second"], rows1["cycles"],
                100 * rows1[frac]))
        c = r["compile"]
        print("%-5s config %s" % (shape, r["config"]))
        print("%-5s compile %.1f s (%.1f s CPU), peak RSS %.2f GB (targets for "
              "7B: 60 s, 3 GB); code %d bytes; sim %.1f ms per decode step" % (
                  shape, c["seconds"], c["cpu_seconds"],
                  c["peak_rss_bytes"] / 1e9, c["code"]["bytes"],
                  1e3 * r["sim_seconds_per_decode_step"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--work", default="/tmp/accel-bench")
    parser.add_argument("--shapes", default="1b,7b")
    # Enough steps that they outweigh the noise of loading the package
    # (7B: 2.2 GB) on a loaded machine: at 128, 7B measured below zero.
    parser.add_argument("--sim-steps", type=int, default=1024)
    parser.add_argument("--no-functional", dest="functional",
                        action="store_false")
    parser.add_argument("--no-flightllm", dest="flightllm",
                        action="store_false",
                        help="skip FlightLLM's design point (7B)")
    parser.add_argument("--only", choices=["flightllm"],
                        help="flightllm: only FlightLLM's design point, on "
                             "each shape of --shapes")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse packages already compiled in --work "
                             "(no compile figures)")
    parser.add_argument("--no-build", dest="build_first",
                        action="store_false",
                        help="use --build's binaries as they are (by default "
                             "utils/setup.sh configures and builds it first, "
                             "so the figures are the checked-out tree's)")
    args = parser.parse_args()
    started = time.time()
    if args.build_first:
        _, wall = run(["bash", os.path.join(ROOT, "utils", "setup.sh")],
                      env=dict(os.environ, ACCEL_BUILD_DIR=args.build))
        print("bench: built %s (%.0f s)" % (args.build, wall))
    bin_dir = os.path.join(args.build, "bin")
    print("bench: %d cores, build %s, work %s" % (os.cpu_count(), args.build,
                                                 args.work))
    results, flightllm = {}, {}
    for shape in args.shapes.split(","):
        print("%s:" % shape)
        model, generated = generate(shape, args)
        if args.only != "flightllm":
            results[shape] = bench_shape(shape, model, args, bin_dir)
            if generated is not None:
                results[shape]["generate_seconds"] = generated
        if args.only == "flightllm" or (shape == "7b" and args.flightllm):
            flightllm[shape] = bench_flightllm(shape, model, args, bin_dir)

    if results:
        summary(results)
    for shape, point in flightllm.items():
        c = point["compile"]
        print("FlightLLM's design point (%s, %s), %s:" % (
            c["config"], " ".join(point["flags"]), shape))
        for pos, f in point["decode"].items():
            print("  decode@%-5d %8.1f token/s = %.2fx its 55 token/s on the "
                  "U280 board; HBM %.1f GB/s, %.1f%% of the modelled roofline"
                  "; %s" % (pos, f["tokens_per_second"],
                            f["tokens_per_second"] / FLIGHTLLM_TPS,
                            f["hbm_gbps"],
                            100 * f["hbm_fraction_of_modelled_peak"], busy(f)))
        print("  compile %.1f s (%.1f s CPU), peak RSS %.2f GB, package %.2f "
              "GB" % (c["seconds"], c["cpu_seconds"],
                      c["peak_rss_bytes"] / 1e9, c["package_bytes"] / 1e9))
    if flightllm:
        results["flightllm"] = flightllm
    results["bench_seconds"] = time.time() - started
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    if args.only != "flightllm":
        plot({k: v for k, v in results.items() if k in args.shapes.split(",")},
             os.path.join(args.work, "roofline.png"))
    print("bench: %.1f minutes" % (results["bench_seconds"] / 60))


if __name__ == "__main__":
    main()
