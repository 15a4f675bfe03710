#!/usr/bin/python3
"""The LLaMA-scale benchmarks of docs/PERFORMANCE.md, in one run.

    bench/run.py [--build=build-bench] [--work=/tmp/accel-bench] [--shapes=1b,7b]

For each shape: generates the model (bench/gen_llama.py, unless present),
compiles it with accelc (2:4, W2A8KV4, Λ 4+1020) under /usr/bin/time -v
(wall time, peak RSS), runs accel-sim --mode=timing for decode steps at
context positions 2K, 8K and 32K and for a 2K-token prefill, and prints
token/s, achieved HBM bandwidth, the fraction of the modelled roofline,
the simulator's wall time per decode step, and the ratios to AccLLM
(164 token/s) and FlightLLM (55 token/s) on the U280. On the 1B shape it
also runs a few decode steps in functional mode (MAC/s per core). Writes
every figure to <work>/results.json and a roofline PNG to
<work>/roofline.png. Every engine figure is modelled (configs/u280.json),
not measured on hardware.

Generated models are large (7B: 27 GB of fp32 weights): keep --work out of
the repository.
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
# Prompt tokens per matrix-matrix prefill step: the lowering's default (16)
# does not fit the 7B step's live values in the 8 MiB act buffer.
PREFILL_TILE = {"7b": 4}
# The hardware config per shape: the 7B program (93,936 instructions) does not
# fit u280.json's 65,536-instruction memory; the variant has 2 MiB of it.
CONFIG = {"7b": os.path.join(ROOT, "bench", "u280-imem2m.json")}


def run(cmd, **kw):
    started = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit("bench: %s failed (%d):\n%s%s" % (
            " ".join(cmd[:3]), proc.returncode, proc.stdout[-2000:],
            proc.stderr[-4000:]))
    return proc, time.time() - started


def timed(cmd):
    """Runs `cmd` under /usr/bin/time -v: (stdout, wall s, peak RSS bytes)."""
    proc, wall = run(["/usr/bin/time", "-v"] + cmd)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                        proc.stderr).group(1)) * 1024
    return proc.stdout, proc.stderr, wall, rss


def sim(bin_dir, package, report, *args):
    cmd = [os.path.join(bin_dir, "accel-sim"), package, "--mode=timing",
           "--no-summary", "--report=" + report] + list(args)
    _, wall = run(cmd)
    with open(report) as f:
        return json.load(f), wall


def call_figures(call, clock_hz):
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
        "macs": call["compute"]["macs"],
        "mx_utilization": call["units"]["mx"]["utilization"],
        "vec_utilization": call["units"]["vec"]["utilization"],
        "ld_utilization": call["units"]["ld"]["utilization"],
    }


def bench_shape(shape, args, bin_dir):
    work = os.path.join(args.work, shape)
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "model.onnx")
    out = {"shape": shape}
    if not os.path.exists(model) or not os.path.exists(model + ".data"):
        proc, wall = run(["/usr/bin/python3", os.path.join(ROOT, "bench",
                                                           "gen_llama.py"),
                          "--shape=" + shape, "-o", model])
        out["generate_seconds"] = wall
        print("  " + proc.stdout.strip())
    out["weights_bytes"] = os.path.getsize(model + ".data")

    package = os.path.join(work, "model.accel")
    max_context = max(POSITIONS) + 64
    cmd = [os.path.join(bin_dir, "accelc"), model, "--dim",
           "batch=1,sequence=16", "--prune=2:4", "--quant=w2a8kv4",
           "--lambda=%d,%d" % LAMBDA, "--max-context=%d" % max_context,
           "--prefill-tile=%d" % PREFILL_TILE.get(shape, 16),
           "--config=" + CONFIG.get(shape, os.path.join(ROOT, "configs",
                                                        "u280.json")),
           "--report=" + os.path.join(work, "compression.txt"), "-o", package]
    if args.reuse and os.path.exists(package):
        stderr, wall, rss = "", float("nan"), 0
        print("  compile: reusing %s (not timed)" % package)
    else:
        _, stderr, wall, rss = timed(cmd)
    out["compile"] = {"seconds": wall, "peak_rss_bytes": rss,
                      "command": " ".join(cmd)}
    out["config"] = os.path.basename(CONFIG.get(shape, "u280.json"))
    if "warning" in stderr:
        out["compile"]["warnings"] = [l for l in stderr.splitlines()
                                      if "warning" in l]
    out["package_bytes"] = os.path.getsize(package)
    with open(os.path.join(work, "compression.txt")) as f:
        text = f.read()
    m = re.search(r"total: (\d+) instructions, (\d+) bytes of code", text)
    out["code"] = {"instructions": int(m.group(1)), "bytes": int(m.group(2))}
    m = re.search(r"total: (\d+) weight params in (\d+) bytes", text)
    out["weight_params"], out["weight_image_bytes"] = int(m.group(1)), int(m.group(2))
    print("  compile: %.1f s, peak RSS %.2f GB, package %.2f GB, %d instructions"
          % (wall, rss / 1e9, out["package_bytes"] / 1e9,
             out["code"]["instructions"]))

    decode = {}
    clock = None
    for pos in POSITIONS:
        report, wall = sim(bin_dir, package,
                           os.path.join(work, "decode-%d.json" % pos),
                           "--entry=decode", "--position=%d" % pos)
        clock = report["clock_mhz"] * 1e6
        call = report["calls"][-1]
        fig = call_figures(call, clock)
        fig["tokens_per_second"] = 1.0 / call["seconds"]
        fig["sim_wall_seconds"] = wall
        decode[pos] = fig
        print("  decode @%5d: %7.1f token/s, %.1f MB from HBM at %6.1f GB/s = "
              "%4.1f%% of the memory roofline; report's bound: %s, %4.1f%%; "
              "sim %.2f s" % (
                  pos, fig["tokens_per_second"], fig["hbm_bytes"] / 1e6,
                  fig["hbm_gbps"], 100 * fig["hbm_fraction_of_modelled_peak"],
                  fig["roofline_bound"], 100 * fig["roofline_fraction"], wall))
    out["decode"] = decode
    out["peak"] = report["peak"]

    # Simulator speed: steps beyond the first, so the package load cancels.
    steps = args.sim_steps
    _, wall1 = sim(bin_dir, package, os.path.join(work, "speed1.json"),
                   "--prompt-ids=1", "--max-new-tokens=1")
    _, walln = sim(bin_dir, package, os.path.join(work, "speedn.json"),
                   "--prompt-ids=1", "--max-new-tokens=%d" % (steps + 1))
    out["sim_seconds_per_decode_step"] = (walln - wall1) / steps
    out["sim_load_seconds"] = wall1
    print("  simulator: %.2f ms per timed decode step (%.2f s to load and run "
          "one step)" % (1e3 * out["sim_seconds_per_decode_step"], wall1))

    ids = ",".join(str(1 + i % 1000) for i in range(PREFILL))
    report, wall = sim(bin_dir, package, os.path.join(work, "prefill.json"),
                       "--prompt-ids=" + ids, "--max-new-tokens=0")
    call = report["calls"][0]
    fig = call_figures(call, clock)
    fig["tokens_per_second"] = PREFILL / call["seconds"]
    fig["sim_wall_seconds"] = wall
    # The compute roofline of a prefill: its MACs at the w2 2:4 MAC rate.
    rate = report["peak"]["macs_per_cycle"]["w2"] * 2
    fig["compute_roofline_cycles"] = call["compute"]["macs"] / rate
    fig["compute_roofline_fraction"] = fig["compute_roofline_cycles"] / call["cycles"]
    out["prefill"] = fig
    print("  prefill %d: %.1f token/s, %.2f s, compute roofline %.2f%%, HBM "
          "%.1f GB/s, sim %.1f s" % (
              PREFILL, fig["tokens_per_second"], call["seconds"],
              100 * fig["compute_roofline_fraction"], fig["hbm_gbps"], wall))

    if args.functional and shape == "1b":
        report, wall = None, 0.0
        cmd = [os.path.join(bin_dir, "accel-sim"), package,
               "--mode=functional", "--prompt-ids=1", "--max-new-tokens=3"]
        _, wall3 = run(cmd)
        cmd[-1] = "--max-new-tokens=1"
        _, wall1 = run(cmd)
        macs = out["decode"][POSITIONS[0]]["macs"]
        out["functional_macs_per_second"] = 2 * macs / max(wall3 - wall1, 1e-9)
        print("  functional: %.2f s per decode step, %.2f GMAC/s on one core"
              % ((wall3 - wall1) / 2, out["functional_macs_per_second"] / 1e9))
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
    clock = 225e6
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--work", default="/tmp/accel-bench")
    parser.add_argument("--shapes", default="1b,7b")
    parser.add_argument("--sim-steps", type=int, default=16)
    parser.add_argument("--no-functional", dest="functional",
                        action="store_false")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse packages already compiled in --work "
                             "(no compile figures)")
    args = parser.parse_args()
    bin_dir = os.path.join(args.build, "bin")
    print("bench: %d cores, build %s, work %s" % (os.cpu_count(), args.build,
                                                 args.work))
    results = {}
    for shape in args.shapes.split(","):
        print("%s:" % shape)
        results[shape] = bench_shape(shape, args, bin_dir)

    print("\nsummary (engine figures modelled on configs/u280.json)")
    print("%-5s %-12s %10s %9s %9s %10s %10s" % (
        "shape", "phase", "token/s", "vs AccLLM", "vs Flight", "HBM GB/s",
        "roofline"))
    for shape, r in results.items():
        rows = [("decode@%d" % p, r["decode"][p],
                 r["decode"][p]["hbm_fraction_of_modelled_peak"])
                for p in POSITIONS]
        rows.append(("prefill %d" % PREFILL, r["prefill"],
                     r["prefill"]["compute_roofline_fraction"]))
        for phase, f, frac in rows:
            print("%-5s %-12s %10.1f %8.2fx %8.2fx %10.1f %9.1f%%" % (
                shape, phase, f["tokens_per_second"],
                f["tokens_per_second"] / ACCLLM_TPS,
                f["tokens_per_second"] / FLIGHTLLM_TPS, f["hbm_gbps"],
                100 * frac))
        c = r["compile"]
        print("%-5s config %s" % (shape, r["config"]))
        print("%-5s compile %.1f s, peak RSS %.2f GB; code %d bytes; sim %.1f ms "
              "per decode step" % (shape, c["seconds"], c["peak_rss_bytes"] / 1e9,
                                   r["code"]["bytes"],
                                   1e3 * r["sim_seconds_per_decode_step"]))
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    plot(results, os.path.join(args.work, "roofline.png"))


if __name__ == "__main__":
    main()
