#!/usr/bin/python3
"""accel-eval: the perplexity of an ONNX decoder under each compression setting.

    accel-eval MODEL.onnx --text HELD_OUT.txt [--calibration-text TRAIN.txt]
               [--context 256] [--max-tokens 8192] [--lambda 4,64]
               [--settings NAME,...] [--json OUT.json] [--jobs 2]
               [--check-sim PROMPT --max-new-tokens 64]

The held-out text is tokenized with the model's tokenizer (tokenizer.json
next to the model, or --tokenizer; byte-level) and cut into windows of
--context tokens; every token after the first is predicted once, from the
tokens of its window before it. Each setting compresses the model as accelc
does (accel-prune, accel-quantize, accel-lambda-attention on the module
imported at the window's length) and runs its prefill function over every
window: the fp32 row on the reference executor, every other row on the
golden model, whose arithmetic the engine reproduces bit for bit (so its
perplexity is the simulated engine's). With Λ, the prefill computes Λ
attention (sink and window from --lambda). `calibrated` rows quantize with
GPTQ (accel-quantize{method=calibrated}) on --calibration-tokens tokens of
--calibration-text; they are skipped without it.

Prints a table and writes JSON (--json). With --check-sim, also compiles the
AccLLM default setting (2:4, W2A8KV4, Λ) with accelc to a package, decodes
PROMPT greedily on accel-sim and on the golden model, prints both texts and
fails unless the tokens agree.
"""

import argparse
import json
import math
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

QUANTS = ["none", "w8a8kv8", "w4a8kv4", "w2a8kv4"]


def settings():
    """Every setting, in table order: (name, dict)."""
    out = [("fp32", dict(quant="fp32", prune=False, lam=False, method="-"))]
    for quant in QUANTS:
        for prune in (False, True):
            for lam in (False, True):
                for method in (["-"] if quant == "none" else ["rtn", "calibrated"]):
                    name = "-".join([quant] + (["2:4"] if prune else [])
                                    + (["lambda"] if lam else [])
                                    + (["gptq"] if method == "calibrated" else []))
                    out.append((name, dict(quant=quant, prune=prune, lam=lam,
                                           method=method)))
    # The LM head quantized too (accelc --quant-head), after the AccLLM
    # setting and its 8-bit counterpart.
    for quant, prune, lam, method, head in [
            ("w8a8kv8", False, False, "rtn", 8),
            ("w2a8kv4", True, True, "rtn", 8), ("w2a8kv4", True, True, "rtn", 4),
            ("w2a8kv4", True, True, "rtn", 2),
            ("w2a8kv4", True, True, "calibrated", 8)]:
        name = "-".join([quant] + (["2:4"] if prune else [])
                        + (["lambda"] if lam else [])
                        + (["gptq"] if method == "calibrated" else [])
                        + [f"h{head}"])
        out.append((name, dict(quant=quant, prune=prune, lam=lam,
                               method=method, head=head)))
    # Integer attention (accelc --attention=int8, NUMERICS 6.5) beside the
    # fp32 attention of the same settings.
    for quant, prune, lam, method, head in [
            ("w8a8kv8", False, False, "rtn", 0),
            ("w8a8kv8", False, True, "rtn", 0),
            ("w4a8kv4", False, True, "rtn", 0),
            ("w2a8kv4", True, True, "rtn", 8),
            ("w2a8kv4", True, True, "calibrated", 8)]:
        name = "-".join([quant] + (["2:4"] if prune else [])
                        + (["lambda"] if lam else [])
                        + (["gptq"] if method == "calibrated" else [])
                        + ([f"h{head}"] if head else []) + ["ai8"])
        out.append((name, dict(quant=quant, prune=prune, lam=lam,
                               method=method, head=head, attention="int8")))
    return out


def find_build(arg):
    """The build directory: --build, $ACCEL_BUILD_DIR, the build this script
    was copied into (<build>/bin/accel-eval), or <source>/build."""
    if arg:
        return arg
    if os.environ.get("ACCEL_BUILD_DIR"):
        return os.environ["ACCEL_BUILD_DIR"]
    if os.path.isdir(os.path.join(HERE, "..", "python", "accel")):
        return os.path.dirname(HERE)
    return os.path.join(ROOT, "build")


def load_accel(build):
    if os.path.join(build, "python") not in sys.path:
        sys.path.insert(0, os.path.join(build, "python"))
    import accel
    return accel


class Tokenizer:
    """The byte-level tokenizer of tokenizer.json (`"type": "bytes"`)."""

    def __init__(self, path):
        with open(path) as f:
            spec = json.load(f)
        if spec.get("type") != "bytes":
            sys.exit(f"accel-eval: {path}: unsupported tokenizer type "
                     f"{spec.get('type')!r} (only \"bytes\")")

    def encode(self, text):
        return list(text.encode("utf-8"))

    def decode(self, ids):
        return bytes(ids).decode("utf-8", errors="replace")


def pipelines(s, args):
    """The module passes of setting `s`: after raising, as accelc runs them."""
    steps = []
    if s["prune"]:
        steps.append("func.func(accel-prune{n=2 m=4})")
    if s["quant"] not in ("fp32", "none"):
        options = f"scheme={s['quant']}"
        if s["method"] == "calibrated":
            options += f" method=calibrated calibration={args.calibration_file}"
        if s.get("head"):
            options += f" head-bits={s['head']}"
        steps.append(f"func.func(accel-quantize{{{options}}})")
    if s["lam"]:
        sink, window = args.sink_window
        steps.append(f"accel-lambda-attention{{sink={sink} window={window} "
                     "decode=false},cse")
    if s.get("attention") == "int8":
        steps.append("accel-int8-attention")
    return steps


def evaluate(job):
    """(name, setting, args) -> the setting's row: summed NLL over the
    windows, token count, weight bits per parameter."""
    name, s, args = job
    accel = load_accel(args.build)
    start = time.time()
    m = accel.import_onnx(args.model, dims={"batch": 1, "sequence": args.context})
    accel.raise_to_accel(m)
    for pipeline in pipelines(s, args):
        m.run_pipeline(pipeline)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        m.run_pipeline(f"accel-compression-report{{format=json output={report}}}")
        with open(report) as f:
            report = json.load(f)
    # the decoder layers' linears: those accelc compresses (not the LM head)
    layers = [op for op in report["ops"] if op["kind"] == "linear"
              and "lm_head" not in op["name"]]
    layer_bits = (8 * sum(op["bytes"] for op in layers)
                  / sum(op["rows"] * op["cols"] for op in layers))
    run = accel.reference_run if s["quant"] == "fp32" else accel.golden_run
    nll, count = 0.0, 0
    for window in args.windows:
        ids = np.array([window[:-1]], np.int64)
        logits = run(m, {"input_ids": ids})["logits"][0].astype(np.float64)
        top = logits.max(axis=-1, keepdims=True)
        logz = top[:, 0] + np.log(np.exp(logits - top).sum(axis=-1))
        targets = np.array(window[1:])
        nll += float((logz - logits[np.arange(len(targets)), targets]).sum())
        count += len(targets)
    return dict(name=name, **s, executor="reference" if s["quant"] == "fp32"
                else "golden", layer_bits=layer_bits,
                bits_per_param=report["total"]["bits_per_param"],
                weight_bytes=report["total"]["bytes"], nll=nll, tokens=count,
                ppl=math.exp(nll / count), seconds=time.time() - start)


def table(rows, sink_window):
    """bits/w: stored bits per weight of the decoder layers' linears (values,
    scales, zero points, 2:4 indices); bits/param: of every weight, the
    embedding and the LM head (fp32 unless an -hB setting quantizes it at B
    bits) included."""
    fp32 = next((r["ppl"] for r in rows if r["name"] == "fp32"), None)
    lam = f"Λ {sink_window[0]}+{sink_window[1]}"
    lines = [f"{'setting':<26} {'weights':<8} {'2:4':<4} {'attention':<10} "
             f"{'quantizer':<10} {'bits/w':>6} {'bits/param':>10} {'perplexity':>10} "
             f"{'vs fp32':>8}"]
    for r in rows:
        weights = "fp32" if r["quant"] in ("fp32", "none") else r["quant"]
        executor = "reference" if r["executor"] == "reference" else r["method"]
        if executor == "-":
            executor = "golden"
        elif executor == "calibrated":
            executor = "gptq"
        delta = (f"{100 * (r['ppl'] / fp32 - 1):+7.1f}%" if fp32 else "")
        lines.append(f"{r['name']:<26} {weights:<8} "
                     f"{'yes' if r['prune'] else 'no':<4} "
                     f"{(lam if r['lam'] else 'causal') + (' i8' if r.get('attention') == 'int8' else ''):<10} {executor:<10} "
                     f"{r['layer_bits']:>6.2f} {r['bits_per_param']:>10.2f} {r['ppl']:>10.3f} {delta:>8}")
    return "\n".join(lines)


def golden_greedy(accel, args, prompt, new):
    """Greedy tokens of the golden model on the AccLLM default setting,
    decoding the prompt, then its own tokens, one at a time."""
    m = accel.import_onnx(args.model, dims={"batch": 1, "sequence": 16})
    accel.raise_to_accel(m)
    sink, window = args.sink_window
    m.run_pipeline("func.func(accel-prune{n=2 m=4},accel-quantize{scheme=w2a8kv4})")
    m.run_pipeline(f"accel-lambda-attention{{sink={sink} window={window}}},cse")
    return accel.generate(m, prompt, new)[0]


def check_sim(accel, args, tokenizer):
    """Compiles the default setting with accelc, decodes on accel-sim and on
    the golden model; returns the JSON record (raises if they differ)."""
    bin_dir = os.path.join(args.build, "bin")
    sink, window = args.sink_window
    prompt = tokenizer.encode(args.check_sim)
    with tempfile.TemporaryDirectory() as tmp:
        package = os.path.join(tmp, "model.accel")
        accelc = [os.path.join(bin_dir, "accelc"), args.model,
                  "--dim", "batch=1,sequence=16", "--prune=2:4",
                  "--quant=w2a8kv4", f"--lambda={sink},{window}", "-o", package]
        subprocess.run(accelc, check=True, capture_output=True)
        sim = [os.path.join(bin_dir, "accel-sim"), package,
               "--prompt-ids=" + ",".join(map(str, prompt)),
               f"--max-new-tokens={args.max_new_tokens}"]
        out = subprocess.run(sim, check=True, capture_output=True, text=True).stdout
    found = re.search(r"tokens:([ \d]*)", out)
    if not found:
        raise RuntimeError(f"no 'tokens:' line in accel-sim's output:\n{out}")
    simulated = [int(t) for t in found.group(1).split()]
    golden = golden_greedy(accel, args, prompt, args.max_new_tokens)
    print(f"\nsimulator check: accelc {' '.join(accelc[2:-2])}; "
          f"accel-sim vs golden model, prompt {args.check_sim!r}, "
          f"{args.max_new_tokens} greedy tokens")
    print(f"  accel-sim: {args.check_sim + tokenizer.decode(simulated)!r}")
    print(f"  golden:    {args.check_sim + tokenizer.decode(golden)!r}")
    same = simulated == golden
    print(f"  tokens {'identical' if same else 'DIFFER'}")
    if not same:
        raise SystemExit("accel-eval: accel-sim's tokens differ from the golden model's")
    return dict(prompt=args.check_sim, accelc=accelc[2:-2], tokens=simulated,
                text=tokenizer.decode(simulated))


def main():
    parser = argparse.ArgumentParser(
        prog="accel-eval", description=__doc__.splitlines()[0])
    parser.add_argument("model", help="ONNX decoder, input_ids -> logits")
    parser.add_argument("--text", action="append", required=True,
                        help="held-out text file (repeatable)")
    parser.add_argument("--tokenizer", help="tokenizer.json (default: next to the model)")
    parser.add_argument("--context", type=int, default=256, help="window length in tokens")
    parser.add_argument("--max-tokens", type=int, default=8192,
                        help="held-out tokens used at most")
    parser.add_argument("--lambda", dest="lam", default="4,64",
                        help="Λ sink tokens and window: S,W")
    parser.add_argument("--calibration-text", action="append",
                        help="text for GPTQ's statistics (repeatable; training data)")
    parser.add_argument("--calibration-tokens", type=int, default=2048)
    parser.add_argument("--settings", help="comma-separated setting names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the setting names")
    parser.add_argument("--json", help="write the results as JSON to this file")
    parser.add_argument("--jobs", type=int, default=2, help="settings evaluated in parallel")
    parser.add_argument("--build", help="accel build directory")
    parser.add_argument("--check-sim", metavar="PROMPT",
                        help="also compare accel-sim's greedy decoding of PROMPT with the golden model's")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()

    chosen = settings()
    if args.list:
        print("\n".join(name for name, _ in chosen))
        return
    if args.settings:
        wanted = args.settings.split(",")
        unknown = set(wanted) - {name for name, _ in chosen}
        if unknown:
            parser.error(f"unknown settings: {', '.join(sorted(unknown))} (see --list)")
        chosen = [(n, s) for n, s in chosen if n in wanted]
    args.build = find_build(args.build)
    # the workers' errors are accel.AccelError: unpickling them needs accel
    sys.path.insert(0, os.path.join(args.build, "python"))
    args.sink_window = [int(v) for v in args.lam.split(",")]
    tokenizer = Tokenizer(args.tokenizer or os.path.join(
        os.path.dirname(os.path.abspath(args.model)), "tokenizer.json"))

    ids = []
    for path in args.text:
        with open(path, encoding="utf-8") as f:
            ids += tokenizer.encode(f.read())
    ids = ids[:args.max_tokens]
    c = args.context
    args.windows = [ids[s:s + c + 1] for s in range(0, len(ids) - c, c)]
    if not args.windows:
        sys.exit(f"accel-eval: fewer than {c + 1} held-out tokens")
    predicted = len(args.windows) * c
    print(f"accel-eval: {args.model}: {len(ids)} held-out tokens of "
          f"{' '.join(args.text)}, {len(args.windows)} windows of {c}: "
          f"{predicted} tokens predicted")

    calibration = None
    with tempfile.TemporaryDirectory() as tmp:
        args.calibration_file = os.path.join(tmp, "calibration.txt")
        if args.calibration_text:
            cal = []
            for path in args.calibration_text:
                with open(path, encoding="utf-8") as f:
                    cal += tokenizer.encode(f.read())
            cal = cal[:args.calibration_tokens // c * c]
            with open(args.calibration_file, "w") as f:
                f.write(" ".join(map(str, cal)) + "\n")
            calibration = dict(text=args.calibration_text, tokens=len(cal))
            print(f"calibration: {len(cal)} tokens of {' '.join(args.calibration_text)}")
        else:
            skipped = [n for n, s in chosen if s["method"] == "calibrated"]
            chosen = [(n, s) for n, s in chosen if s["method"] != "calibrated"]
            if skipped:
                print(f"no --calibration-text: skipping {len(skipped)} calibrated settings")
        start = time.time()
        jobs = [(name, s, args) for name, s in chosen]
        if args.jobs > 1 and len(jobs) > 1:
            with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
                rows = pool.map(evaluate, jobs, chunksize=1)
        else:
            rows = [evaluate(job) for job in jobs]
    print(table(rows, args.sink_window))
    print(f"{len(rows)} settings in {time.time() - start:.0f} s")

    result = dict(model=args.model, text=args.text, tokens=len(ids),
                  predicted=predicted, context=c, windows=len(args.windows),
                  sink_window=args.sink_window, calibration=calibration,
                  results=rows)
    if args.check_sim:
        result["simulator_check"] = check_sim(load_accel(args.build), args, tokenizer)
    if args.json:
        write_atomically(args.json,
                         json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def write_atomically(path, text):
    """Writes `text` to a temporary file next to `path`, renamed into place:
    never half a file, and a failed write leaves `path` as it was."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                prefix=os.path.basename(path) + ".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


if __name__ == "__main__":
    main()
