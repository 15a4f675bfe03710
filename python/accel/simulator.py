"""`accel.simulate`: run a compiled package on the bundled engine simulator.

The simulator stays behind its wall (docs/SIMULATOR.md): this runs the
`accel-sim` executable of the build as a subprocess, reads its JSON report
(`--report`) and the last step's logits (`--logits-out`, raw little-endian
fp32) or a forward package's outputs (`--output`), and never links the
simulator into the compiler's extension module.
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


def _forward_io(package_path):
    """A forward package's io (docs/FORMATS.md §5.2) as accel-sim checked
    it (--print-io: max_rows, and each input's and output's name, dtype and
    row_bytes), or None for a decoder's; AccelError with accel-sim's message
    when the package cannot be read."""
    from ._accel import AccelError

    proc = subprocess.run([_accel_sim(), os.fspath(package_path), "--print-io"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise AccelError(proc.stderr.strip() or
                         f"accel-sim exited with status {proc.returncode}")
    io = json.loads(proc.stdout)
    return io if "max_rows" in io else None


def _rows(name, array, ids):
    """`array` as the little-endian int32 token ids or fp32 values of input
    `name` (ValueError when it holds something else)."""
    import numpy as np

    array = np.asarray(array)
    if ids:
        if array.dtype == np.bool_ or not np.issubdtype(array.dtype,
                                                         np.integer):
            raise ValueError(f"input {name!r} holds token ids: an integer "
                             f"array, not {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= 2**31):
            raise ValueError(f"input {name!r}: token ids are in [0, 2^31), "
                             f"not {array.min()}..{array.max()}")
        return array.astype("<i4")
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.floating)
                                       or np.issubdtype(array.dtype,
                                                        np.integer)):
        raise ValueError(f"input {name!r} holds fp32 rows: a real array, not "
                         f"{array.dtype}")
    return array.astype("<f4")


def _simulate_forward(io, inputs, mode, cmd, tmp):
    """Writes `inputs` for accel-sim --input (added to `cmd`, with
    --output), and returns the function reading the outputs back as arrays
    of the inputs' rows."""
    import numpy as np

    given = set(inputs)
    names = [t["name"] for t in io["inputs"]]
    if given != set(names):
        raise ValueError(f"inputs must name the package's inputs {names}, "
                         f"not {sorted(given)}")
    leading = None
    for i, t in enumerate(io["inputs"]):
        ids = t["dtype"] == "i32"
        array = _rows(t["name"], inputs[t["name"]], ids)
        if not ids and (array.ndim < 1 or array.shape[-1] * 4 != t["row_bytes"]):
            raise ValueError(f"input {t['name']!r} has rows of "
                             f"{t['row_bytes'] // 4} values, not shape "
                             f"{array.shape}")
        # The outputs take the first input's leading dimensions (accel-sim
        # checks that every input gives the same rows).
        if leading is None:
            leading = array.shape if ids else array.shape[:-1]
        path = os.path.join(tmp, f"input{i}.bin")
        array.tofile(path)
        cmd.append(f"--input={t['name']}={path}")
    outputs = []
    if mode != "timing":
        for i, t in enumerate(io["outputs"]):
            path = os.path.join(tmp, f"output{i}.bin")
            cmd.append(f"--output={t['name']}={path}")
            outputs.append((t["name"], path, t["row_bytes"] // 4))

    def read(stdout):
        if mode == "timing":
            return {"outputs": None}
        return {"outputs": {
            name: np.fromfile(path, dtype="<f4").astype(np.float32)
            .reshape(*leading, width) for name, path, width in outputs}}
    return read


def simulate(package_path, prompt_ids=None, max_new_tokens=None, mode="both",
             trace_path=None, threads=None, what_if=None, inputs=None):
    """Runs `package_path` on the simulated engine: the prefill entry over
    `prompt_ids`, then greedy decoding to `max_new_tokens` tokens; or, for
    a forward package (a graph without attention, compiled without
    `decode`), its graph once over `inputs`.

    `inputs` ({name: array}) gives each graph input: fp32 rows [..., F]
    (F its features; a float or integer array) or token ids [...] (an
    integer array, each in [0, 2^31) and below the model's vocabulary), the
    same rows (the product of the leading dimensions, at most the graph's)
    in each; the result's "outputs" ({name: float32 array [..., F_out]} of
    those rows, None in timing mode) replaces "tokens" and "logits". Only
    then is the package's io read (accel-sim --print-io); a forward package
    given prompt_ids is refused by accel-sim.

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
    if trace_path is not None and mode == "functional":
        raise ValueError("a trace needs mode 'timing' or 'both'")
    if threads is not None and int(threads) < 1:
        raise ValueError("threads must be at least 1")
    if inputs is not None:
        if prompt_ids is not None or max_new_tokens is not None:
            raise ValueError("inputs are for a forward package, prompt_ids "
                             "and max_new_tokens for a decoder: not both")
        io = _forward_io(package_path)
        if io is None:
            raise ValueError("inputs are for a forward package (a graph "
                             "without attention); a decoder takes prompt_ids")
        return _run(package_path, mode, trace_path, threads, what_if,
                    lambda cmd, tmp: _simulate_forward(io, inputs, mode, cmd,
                                                       tmp))
    ids = [int(i) for i in prompt_ids or []]
    if not ids or any(i < 0 for i in ids):
        raise ValueError("prompt_ids must be a non-empty list of token ids "
                         "(a forward package takes inputs={name: array})")
    if max_new_tokens is None or int(max_new_tokens) < 0:
        raise ValueError("max_new_tokens must be given and not negative")

    def decoder(cmd, tmp):
        logits_path = os.path.join(tmp, "logits.bin")
        cmd += ["--prompt-ids=" + ",".join(map(str, ids)),
                f"--max-new-tokens={int(max_new_tokens)}"]
        if mode != "timing":
            cmd.append(f"--logits-out={logits_path}")

        def read(stdout):
            match = re.search(r"^tokens:(.*)$", stdout, re.M)
            if not match:
                raise AccelError("accel-sim printed no tokens: " + stdout)
            return {"tokens": [int(t) for t in match.group(1).split()],
                    "logits": (np.fromfile(logits_path, dtype="<f4")
                               .astype(np.float32)
                               if mode != "timing" else None)}
        return read
    return _run(package_path, mode, trace_path, threads, what_if, decoder)


def _run(package_path, mode, trace_path, threads, what_if, prepare):
    """Runs accel-sim on `package_path` with the flags all calls share and
    those `prepare(cmd, tmp)` adds: the result is the dict the function
    `prepare` returns makes of accel-sim's standard output, with the
    "report"."""
    from ._accel import AccelError

    with tempfile.TemporaryDirectory(prefix="accel-sim-") as tmp:
        report_path = os.path.join(tmp, "report.json")
        cmd = [_accel_sim(), os.fspath(package_path), f"--mode={mode}",
               "--no-summary"]
        read = prepare(cmd, tmp)
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
        result = read(proc.stdout)
        result["report"] = None
        if mode != "functional":
            with open(report_path) as f:
                result["report"] = json.load(f)
    return result
