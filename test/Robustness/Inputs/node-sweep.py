"""ONNX's node tests through accelc, each model in its own process.

    node-sweep.py ACCELC DATA_DIR --min-imported N

Every model must import (exit 0) or be refused with errors that all say
"unsupported" (exit 1); a signal, another exit code or any other error fails
the sweep. Prints the counts; fails if fewer than N models import.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys


def run(accelc, model):
    p = subprocess.run([accelc, model, "--emit=mlir", "-o", os.devnull],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
    errors = [line for line in p.stderr.decode(errors="replace").splitlines()
              if "error:" in line]
    if p.returncode == 0:
        return "imported", None
    if p.returncode == 1 and errors and all("unsupported" in e
                                            for e in errors):
        return "rejected as unsupported", None
    return "other", "%s: exit %d: %s" % (model, p.returncode,
                                         " | ".join(errors) or "no error")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("accelc")
    parser.add_argument("data")
    parser.add_argument("--min-imported", type=int, required=True)
    args = parser.parse_args()
    models = [os.path.join(args.data, name, "model.onnx")
              for name in sorted(os.listdir(args.data))]
    counts = {"imported": 0, "rejected as unsupported": 0, "other": 0}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for kind, problem in pool.map(lambda m: run(args.accelc, m), models):
            counts[kind] += 1
            if problem:
                print(problem)
    print("models: %d" % len(models))
    for kind, n in counts.items():
        print("%s: %d" % (kind, n))
    if counts["other"] or counts["imported"] < args.min_imported:
        sys.exit(1)


if __name__ == "__main__":
    main()
