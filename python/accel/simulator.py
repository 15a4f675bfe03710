"""`accel.simulate`: run a compiled package on the bundled engine simulator.

The simulator stays behind its wall (docs/SIMULATOR.md): this runs the
`accel-sim` executable of the build as a subprocess, reads its JSON report
(`--report`) and the last step's logits (`--logits-out`, raw little-endian
fp32), and never links the simulator into the compiler's extension module.
The executable is `$ACCEL_SIM`, else `bin/accel-sim` of the build tree this
package sits in, else `accel-sim` on the PATH.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

MODES = ("functional", "timing", "both")


def _accel_sim() -> str:
    env = os.environ.get("ACCEL_SIM")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "bin", "accel-sim")
    if os.path.exists(built):
        return os.path.normpath(built)
    found = shutil.which("accel-sim")
    if not found:
        raise FileNotFoundError(
            "accel-sim not found: set ACCEL_SIM or build accel (bin/accel-sim)")
    return found


def simulate(package_path, prompt_ids, max_new_tokens, mode="both",
             trace_path=None, threads=None, what_if=None):
    """Runs `package_path` on the simulated engine: the prefill entry over
    `prompt_ids`, then greedy decoding to `max_new_tokens` tokens.

    `mode` is "functional" (data only), "timing" (the timing model without
    data: no weights needed, generated tokens read as 0) or "both". Returns a
    dict: "tokens" (list of int), "logits" (numpy float32 of the last call,
    None in timing mode) and "report" (the JSON report as a dict, None in
    functional mode). `trace_path` also writes the Perfetto trace there.
    `threads` caps the threads of the functional matrix unit (default: every
    core; the results are the same for any count).
    `what_if` ({"vector.reduction_rows": 1, ...}) times the run with those
    config fields changed (accel-sim --what-if, docs/SIMULATOR.md
    "What-if": only the fields the timing model alone reads); the report's
    "what_if" lists them.
    Raises `accel.AccelError` with accel-sim's message when the run fails.
    """
    import numpy as np
    from ._accel import AccelError

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    ids = [int(i) for i in prompt_ids]
    if not ids or any(i < 0 for i in ids):
        raise ValueError("prompt_ids must be a non-empty list of token ids")
    if int(max_new_tokens) < 0:
        raise ValueError("max_new_tokens must not be negative")
    if trace_path is not None and mode == "functional":
        raise ValueError("a trace needs mode 'timing' or 'both'")
    if threads is not None and int(threads) < 1:
        raise ValueError("threads must be at least 1")

    with tempfile.TemporaryDirectory(prefix="accel-sim-") as tmp:
        logits_path = os.path.join(tmp, "logits.bin")
        report_path = os.path.join(tmp, "report.json")
        cmd = [_accel_sim(), os.fspath(package_path),
               "--prompt-ids=" + ",".join(map(str, ids)),
               f"--max-new-tokens={int(max_new_tokens)}",
               f"--mode={mode}", "--no-summary"]
        if mode != "timing":
            cmd.append(f"--logits-out={logits_path}")
        if mode != "functional":
            cmd.append(f"--report={report_path}")
        if trace_path is not None:
            cmd.append(f"--trace={os.fspath(trace_path)}")
        if threads is not None:
            cmd.append(f"--threads={int(threads)}")
        cmd += [f"--what-if={key}={value}"
                for key, value in (what_if or {}).items()]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise AccelError(proc.stderr.strip() or
                             f"accel-sim exited with status {proc.returncode}")
        match = re.search(r"^tokens:(.*)$", proc.stdout, re.M)
        if not match:
            raise AccelError("accel-sim printed no tokens: " + proc.stdout)
        tokens = [int(t) for t in match.group(1).split()]
        logits = (np.fromfile(logits_path, dtype="<f4").astype(np.float32)
                  if mode != "timing" else None)
        report = None
        if mode != "functional":
            with open(report_path) as f:
                report = json.load(f)
    return {"tokens": tokens, "logits": logits, "report": report}
