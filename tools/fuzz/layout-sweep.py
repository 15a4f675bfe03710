#!/usr/bin/python3
"""Randomized sweep of hand-edited accel.attention_layout attributes
(docs/RELIABILITY.md "Fuzzing"): accel-lower-to-isa honours an edited layout
that passes its check (AttentionLayout.h), so every edit must either be
refused with one line of error, exit status 1, or lower to a program that
runs bit for bit as the planned package (same logits, same tokens) in
accel-sim's functional mode with races as errors.

The tiny LLaMA (4 heads over 2 KV heads, Λ(4, 12)) is compiled in four
forms: fp32 attention with RoPE by rank (rope-positions=cache) over the
u280 config, the same over a kv buffer of 4 KiB (streamed), and integer
attention over both; and in two more whose RoPE tables by rank do not fit
the scratch buffer, so that each query scores its keys in segments of
ranks: fp32 with Λ(4, 124) over a scratch buffer of 48 KiB (segments of
64 ranks) and Λ(40, 24) over 24 KiB (of 32 ranks, fewer than the sinks).
Each run edits one to three fields of one layer's decode or prefill
layout (a nearby multiple of 64, a random place in the buffer, a swap with
another field, 0, or a small count for tile, chunk, rows, segment; in the
segmented forms also a segment of another multiple of the HBM channels,
with `rows`, `end` and `tables` moved to fit it or not), lowers the module
again with accel-lower-to-isa and accel-insert-tokens, assembles it with
the planned package's sections and simulates the form's prompt (14 tokens;
in the segmented forms 140 and 70, past S + W) and 12 decode steps. The
summary counts the bit-exact edits of each form by the fields they
changed.

Usage: layout-sweep.py WORK_DIR TOOL... [--runs N] [--seed S] [--forms F,..]
(TOOL: the directory of accelc, accel-opt, accel-as, accel-sim and
accel-objdump, or their paths).
Exits 1 after printing each finding (a signal, an exit status other than 0
or 1, an error of more than one line, a timeout, different logits or
tokens, a refusal by accel-as or accel-sim); 0 otherwise.
"""

import argparse
import json
import pathlib
import random
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples/tiny_llama/model.onnx"
PROMPT = [89, 111, 117, 32, 109, 97, 121, 32, 98, 101, 32, 116, 104, 101]
BASE = ["--dim", "batch=1,sequence=16", "--quant=w8a8kv8",
        "--prefill-tile=4"]
TOOLS = ("accelc", "accel-opt", "accel-as", "accel-sim", "accel-objdump")
CACHE = "--rope-positions=cache"
# name: (accelc flags, Λ (sinks, window), config buffers made of BRAM36
# blocks of 4 KiB: {buffer: blocks}, prompt tokens)
FORMS = {
    "fp32": ([CACHE], (4, 12), {}, 14),
    "fp32-kv4k": ([CACHE], (4, 12), {"kv": 1}, 14),
    "int8": (["--attention=int8"], (4, 12), {}, 14),
    "int8-kv4k": (["--attention=int8"], (4, 12), {"kv": 1}, 14),
    "fp32-seg": ([CACHE], (4, 124), {"scr": 12}, 140),
    "fp32-seg40": ([CACHE], (40, 24), {"scr": 6}, 70),
}
HEADS, QPK, CHANNELS = 4, 2, 32
OFFSETS = ("keys", "values", "scores", "probs", "queries", "query_scales",
           "weights", "weight_scales", "bank", "end", "tables")
COUNTS = ("tile", "chunk", "rows", "segment", "record")

LAYOUT = re.compile(r"accel\.attention_layout = \{decode = \{([^}]*)\}, "
                    r"prefill = \{([^}]*)\}\}")
FIELD = re.compile(r"(\w+) = (-?\d+) : i64")


def run(cmd, timeout, **kw):
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout, **kw)


def check(proc, what):
    if proc.returncode != 0:
        sys.exit("%s failed (%d): %s" % (what, proc.returncode, proc.stderr))
    return proc


class Form:
    """One compiled form: its planned package's sections, its module with
    the program removed, and the planned run's logits and tokens."""

    def __init__(self, name, tools, work, timeout):
        self.name, self.tools, self.timeout = name, tools, timeout
        d = work / name
        d.mkdir(parents=True, exist_ok=True)
        self.dir = d
        extra, (self.sink, self.window), bram, prompt = FORMS[name]
        self.prompt = ",".join(str(PROMPT[i % len(PROMPT)] + i // len(PROMPT))
                               for i in range(prompt))
        config = json.loads((ROOT / "configs/u280.json").read_text())
        for buffer, blocks in bram.items():
            config["buffers"][buffer]["memory"]["value"] = "bram"
            config["buffers"][buffer]["blocks"]["value"] = blocks
        self.scratch = bram.get("scr", 0) * 4096
        cfg = d / "config.json"
        cfg.write_text(json.dumps(config))
        self.config = cfg
        flags = [str(MODEL)] + BASE + extra + [
            "--lambda=%d,%d" % (self.sink, self.window), "--config=%s" % cfg]
        accelc = tools["accelc"]
        check(run([accelc] + flags + ["-o", str(d / "plan.accel")],
                  timeout), "accelc")
        check(run([accelc] + flags + ["--emit=isa", "--print-weights", "-o",
                                      str(d / "plan.isa.mlir")], timeout),
              "accelc --emit=isa")
        objdump = tools["accel-objdump"]
        meta = check(run([objdump, "--section=metadata",
                          str(d / "plan.accel")], timeout), "objdump").stdout
        meta = json.loads(meta)
        for key in ("format", "entries"):
            meta.pop(key)
        (d / "meta.json").write_text(json.dumps(meta))
        for s in ("params", "weights", "config"):
            check(run([objdump, "--section=" + s, str(d / "plan.accel"),
                       "-o", str(d / s)], timeout), "objdump " + s)
        text = (d / "plan.isa.mlir").read_text()
        self.module = re.sub(r"(?ms)^  accelisa\.program @model.*?^  \}$\n",
                             "", text)
        # The segmented forms' bytes of a row of a RoPE table by rank: the
        # planned tables' area (2 x (segment + 1) rows) ends the buffer.
        self.row_bytes = 0
        for layout in LAYOUT.finditer(self.module):
            fields = dict(FIELD.findall(layout.group(1)))
            if int(fields["segment"]) > 0:
                self.row_bytes = ((self.scratch - int(fields["tables"])) //
                                  (2 * (int(fields["segment"]) + 1)))
        self.planned = self.simulate(d / "plan.accel")
        if self.planned[0] != 0:
            sys.exit("the planned %s package failed: %s" %
                     (name, self.planned[2]))

    def staged_at(self, fields):
        """Where a segment's vqk, or a prefill query's multi-row vqk of its
        sinks and of its window, writes its scores (AttentionLayout.h's
        segmentScoresAt): after `rows` rows of the scores of the keys a
        query sees."""
        seen = self.sink + self.window - 1 + fields["tile"]
        return fields["scores"] + up(max(fields["rows"], 1) * seen * 4)

    def segment_area(self, fields):
        """Where a segment's vqk writes its scores and their bytes (its
        segmentRows heads)."""
        rows = max(fields["rows"], 1)
        vqk = next(r for r in range(min(rows, 15), 0, -1) if rows % r == 0
                   and (r % QPK == 0 or QPK % r == 0))
        return self.staged_at(fields), vqk * fields["segment"] * 4

    def simulate(self, package):
        logits = self.dir / "run.logits"
        p = run([self.tools["accel-sim"], str(package),
                 "--prompt-ids=" + self.prompt, "--max-new-tokens=12",
                 "--mode=functional", "--no-summary", "--races=error",
                 "--logits-out=" + str(logits)], self.timeout)
        data = logits.read_bytes() if p.returncode == 0 else b""
        return p.returncode, p.stdout, p.stderr, data


def up(v):
    return -(-v // 64) * 64


def resegment(rng, fields, form):
    """Segments of another size (mostly a multiple of the HBM channels),
    sometimes over another `rows`, with `end` just past the segment's scores
    and the tables' area ending the buffer, each moved by 0 to 2 places of
    64 bytes either way (so that some edits are refused)."""
    edits = []
    old = dict(fields)
    most = form.scratch // (2 * form.row_bytes) - 1
    fields["segment"] = rng.choice(
        [CHANNELS * k for k in range(1, most // CHANNELS + 1)] * 4 +
        [CHANNELS // 2, CHANNELS + 1, most // CHANNELS * CHANNELS + CHANNELS])
    if rng.random() < 0.5:
        fields["rows"] = rng.choice([r for r in range(1, HEADS + 1)
                                     if HEADS % r == 0])
    at, size = form.segment_area(fields)
    slack = (0, 0, 0, 0, 1, 2, -1, -2)
    fields["end"] = up(at + size) + 64 * rng.choice(slack)
    tables = 2 * (fields["segment"] + 1) * form.row_bytes
    fields["tables"] = (form.scratch - tables) // 64 * 64 - 64 * rng.choice(
        slack)
    for name in ("segment", "rows", "end", "tables"):
        if fields[name] != old[name]:
            edits.append("%s %d -> %d" % (name, old[name], fields[name]))
    return edits


def mutate(rng, fields, form):
    """One to three edits of the layout `fields` (name -> value), at least
    one of them a change; an fp32 layout's `probs` mostly follows `scores`
    (the softmax in place); a segmented layout's are often a segment of
    another size (resegment)."""
    original = dict(fields)
    if fields["segment"] > 0 and rng.random() < 0.4:
        edits = resegment(rng, fields, form)
        if edits:
            return edits
    used = sorted(k for k, v in fields.items()
                  if k not in ("tile", "record")
                  and (v or k in ("chunk", "segment", "rows")))
    edits = []
    while fields == original:
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            name = rng.choice(used if rng.random() < 0.95 else sorted(fields))
            old, kind = fields[name], rng.random()
            if name == "segment":
                new = rng.choice((0, 1, 16, 32, 33, 64, 96, 128, old + 32,
                                  old - 32, old * 2, old // 2))
            elif name in COUNTS:
                new = rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17,
                                  32, 63, 64, old + 1, old - 1, old * 2,
                                  old // 2))
            elif kind < 0.45:
                new = old + 64 * rng.randint(-8, 8)
            elif kind < 0.65:
                new = rng.choice(list(fields.values()))
            elif kind < 0.72:
                new = 0
            elif kind < 0.75:
                new = old + rng.choice((1, -1, 32, 4))
            else:
                base = 2097152 if old >= 2097152 else 0
                new = base + 64 * rng.randint(0, 32767)
            fields[name] = new
            edits.append("%s %d -> %d" % (name, old, new))
            if (name == "scores" and original["probs"] == original["scores"]
                    and rng.random() < 0.8):
                fields["probs"] = new
    return edits


OUTSIDE = re.compile(r"'(\w+)' = \d+: its (\d+) bytes are not within "
                     r"the scratch buffer(?P<above> above)?.*\((\d+) \.\. "
                     r"(\d+)\)$")
STAGED = re.compile(r"'rows' = \d+: the sinks' and window's staged scores "
                    r"\(.*: (\d+) bytes at segmentScoresAt \d+\) are not "
                    r"within the scratch buffer's upper half up to 'end' "
                    r"\((\d+) \.\. \d+\)")
OVERLAP = re.compile(r"'(\w+)' = \d+: its \d+ bytes overlap '\w+' "
                     r"\(\d+ \.\. (\d+)\)$")


def repair(fields, error, form):
    """Moves the field a refusal names where that check would pass (the
    tables below the buffer's end, an area past the one it overlaps, `end`
    past an area, staged scores included, `probs` onto `scores`), so that
    more edits reach the code generator; False if the refusal is of another
    kind."""
    m = OUTSIDE.search(error)
    staged = STAGED.search(error)
    if staged or (m and m.group(1) == "segment"):
        # A segment's scores or a prefill query's staged runs: their place
        # follows `scores` and `rows`.
        size, lo = ((int(staged.group(1)), int(staged.group(2))) if staged
                    else (int(m.group(2)), int(m.group(4))))
        at = form.staged_at(fields)
        if at < lo or up(at + size) == fields["end"]:
            return False
        fields["end"] = up(at + size)
        return True
    if m and m.group(1) in OFFSETS:
        name, size = m.group(1), int(m.group(2))
        lo, hi = int(m.group(4)), int(m.group(5))
        if m.group("above"):
            fields[name] = (hi - size) // 64 * 64
        elif fields[name] < lo:
            fields[name] = lo
        else:
            fields["end"] = up(fields[name] + size)
        return True
    m = OVERLAP.search(error)
    if m and m.group(1) in OFFSETS:
        fields[m.group(1)] = up(int(m.group(2)))
        return True
    if "the softmax is in place" in error:
        fields["probs"] = fields["scores"]
        return True
    return False


def one_run(form, rng, index):
    """Edits one layout of `form` and judges the edit: (verdict, the edit,
    the reason; for a bit-exact run the fields it changed)."""
    layouts = list(LAYOUT.finditer(form.module))
    match = rng.choice(layouts)
    layer = layouts.index(match)
    step = rng.choice(("decode", "prefill"))
    group = 1 if step == "decode" else 2
    fields = {k: int(v) for k, v in FIELD.findall(match.group(group))}
    planned = dict(fields)
    edits = mutate(rng, fields, form)
    what = "%s layer %d %s: %s" % (form.name, layer, step, "; ".join(edits))
    d = form.dir
    src = d / ("edit%d.mlir" % index)
    cfg = form.config
    pipeline = ("builtin.module(accel-lower-to-isa{config=%s},"
                "accel-insert-tokens{config=%s})" % (cfg, cfg))
    lowered = d / "edit.lowered.mlir"
    for attempt in range(6):
        body = ", ".join("%s = %d : i64" % (k, fields[k])
                         for k in sorted(fields))
        start, end = match.span(group)
        src.write_text(form.module[:start] + body + form.module[end:])
        try:
            p = run([form.tools["accel-opt"], str(src),
                     "--pass-pipeline=" + pipeline, "-o", str(lowered)],
                    form.timeout)
        except subprocess.TimeoutExpired:
            return "finding", what, "TIMEOUT in accel-opt"
        lines = [l for l in p.stderr.splitlines() if "error" in l]
        if p.returncode != 0 and (p.returncode != 1 or len(lines) != 1):
            return "finding", what, "accel-opt exit %d: %s" % (
                p.returncode, p.stderr[-2000:])
        if p.returncode == 0:
            break
        if attempt == 5 or not repair(fields, lines[0], form):
            src.unlink()
            return "refused", what, lines[0]
    changed = sorted(k for k in fields if fields[k] != planned[k])
    if not changed:
        src.unlink()
        return "unchanged", what, "repaired back to the planned layout"
    what += " => " + body
    asm = d / "edit.s"
    p = run([form.tools["accelc"], str(lowered), "--emit=asm", "-o",
             str(asm)], form.timeout)
    if p.returncode != 0:
        return "finding", what, "accelc --emit=asm: " + p.stderr[-2000:]
    pkg = d / "edit.accel"
    p = run([form.tools["accel-as"], str(asm),
             "--metadata=%s" % (d / "meta.json"),
             "--params=%s" % (d / "params"), "--weights=%s" % (d / "weights"),
             "--config=%s" % (d / "config"), "-o", str(pkg)], form.timeout)
    if p.returncode != 0:
        return "finding", what, "accel-as: " + p.stderr[-2000:]
    try:
        code, out, err, logits = form.simulate(pkg)
    except subprocess.TimeoutExpired:
        return "finding", what, "TIMEOUT in accel-sim"
    if code != 0:
        return "finding", what, "accel-sim exit %d: %s" % (code, err[-2000:])
    if out != form.planned[1] or logits != form.planned[3]:
        return "finding", what, "different output: %r vs %r" % (
            out[:200], form.planned[1][:200])
    src.unlink()
    return "same", what, changed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work", type=pathlib.Path)
    ap.add_argument("tools", nargs="+",
                    help="a directory holding the tools, or their paths")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--forms", default=",".join(FORMS))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    given = [pathlib.Path(t) for t in args.tools]
    tools = {name: str(given[0] / name) if given[0].is_dir() else
             next((str(t) for t in given if t.name == name), name)
             for name in TOOLS}
    forms = [Form(n, tools, args.work, args.timeout)
             for n in args.forms.split(",")]
    counts = {"refused": 0, "unchanged": 0, "same": 0, "finding": 0}
    exact = {}
    for i in range(args.runs):
        form = rng.choice(forms)
        verdict, what, detail = one_run(form, rng, i)
        counts[verdict] += 1
        if verdict == "same":
            for field in detail:
                key = (form.name, field)
                exact[key] = exact.get(key, 0) + 1
        if verdict == "finding" or args.verbose:
            print("%s: %s: %s" % (verdict.upper(), what, detail), flush=True)
    for name in (f.name for f in forms):
        fields = ", ".join("%s %d" % (field, n) for (form, field), n
                           in sorted(exact.items()) if form == name)
        print("%s: bit-exact edits by field changed: %s" %
              (name, fields or "none"))
    print("runs %d: refused %d, repaired back to the plan %d, bit-exact %d, "
          "findings %d" % (args.runs, counts["refused"], counts["unchanged"],
                           counts["same"], counts["finding"]))
    return 1 if counts["finding"] else 0


if __name__ == "__main__":
    sys.exit(main())
