"""Makes a compiled program racy, as a bug in accel-insert-tokens would:
reads accel-objdump's listing (argv[1]) and metadata (argv[2]), writes the
listing without one token (argv[3]) and the metadata the assembler takes
(argv[4]: without the keys accel-as writes itself). The first ld
instruction that gives mx a token no longer does, nor does the first mx
instruction that waits for ld: the FIFO pairs those two, so the counters
still balance, but what the load wrote is no longer ordered before the
matrix instruction that reads it."""
import json
import re
import sys

MX = ("mcfg", "mv", "mm", "maset", "mqk", "mpv")


def drop(line, field, unit):
    """`line` with `unit` removed from its `field=` mask (the field too when
    it was the only unit)."""
    def edit(m):
        units = [u for u in m.group(1).split("|") if u != unit]
        return (", %s=%s" % (field, "|".join(units))) if units else ""
    return re.sub(r", %s=([a-z|]+)" % field, edit, line)


lines = open(sys.argv[1]).read().split("\n")
gave = took = False
for i, line in enumerate(lines):
    words = line.split()
    if not words:
        continue
    mnemonic = words[0]
    if not gave and mnemonic == "load" and re.search(r"rel=[a-z|]*\bmx\b", line):
        lines[i], gave = drop(line, "rel", "mx"), True
    elif gave and not took and mnemonic in MX and \
            re.search(r"wait=[a-z|]*\bld\b", line):
        lines[i], took = drop(line, "wait", "ld"), True
if not (gave and took):
    sys.exit("no load giving mx a token and mx instruction waiting for it")
open(sys.argv[3], "w").write("\n".join(lines))

metadata = json.load(open(sys.argv[2]))
for key in ("format", "entries"):
    metadata.pop(key, None)
json.dump(metadata, open(sys.argv[4], "w"))
