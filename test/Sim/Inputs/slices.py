"""Prints the instruction slices of an accel-sim --trace file, one per line:
unit, instruction index, mnemonic, start cycle, cycles (time order)."""
import json
import sys

trace = json.load(open(sys.argv[1]))
for e in trace["traceEvents"]:
    if e.get("ph") == "X" and e["cat"] != "call":
        a = e["args"]
        print(e["cat"], a["index"], e["name"], a["start_cycle"], a["cycles"])
