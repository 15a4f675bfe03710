"""Runs a command that must reject its input the way accel's tools do.

    expect-error.py [--absent PATH]... [--names TEXT] -- COMMAND ARGS...

Checks that the command exits with status 1 (not another code, not a
signal) within a minute; that its standard error is exactly one line besides
warnings (a compiler may warn before it fails); that the line contains TEXT
(the file at fault; by default the command's first argument that names an
existing file); and that every --absent PATH is missing afterwards, with no
temporary file PATH.* left next to it. Prints the error line, for
FileCheck; exits 1 with the reason otherwise.
"""

import argparse
import glob
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--absent", action="append", default=[])
    parser.add_argument("--names")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    names = args.names
    if names is None:
        names = next((os.path.basename(a) for a in command[1:]
                      if os.path.isfile(a)), "")

    def fail(why):
        sys.exit("expect-error: %s: %s" % (" ".join(command), why))

    try:
        run = subprocess.run(command, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        fail("no answer within 60 s (a hang?)")
    err = run.stderr.decode("utf-8", errors="backslashreplace")
    lines = [line for line in err.splitlines() if ": warning: " not in line]
    if run.returncode < 0:
        fail("killed by signal %d; stderr:\n%s" % (-run.returncode, err))
    if run.returncode != 1:
        fail("exit status %d, not 1; stderr:\n%s" % (run.returncode, err))
    if len(lines) != 1 or not lines[0].strip():
        fail("%d lines of error, not one:\n%s" % (len(lines), err))
    if names not in lines[0]:
        fail("the error does not name '%s': %s" % (names, lines[0]))
    for path in args.absent:
        left = [p for p in [path] + glob.glob(glob.escape(path) + ".*")
                if os.path.lexists(p)]
        if left:
            fail("left behind: %s" % ", ".join(left))
    print(lines[0])


if __name__ == "__main__":
    main()
