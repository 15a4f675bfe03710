"""Writes a copy of an .accel package with one thing changed
(docs/FORMATS.md §5), then the CRCs made to match again, so that the reader
meets the change itself rather than a CRC mismatch.

    edit-package.py IN OUT [--header FIELD=VALUE] [--entry I:FIELD=VALUE]
                    [--section NAME --flip OFFSET:MASK | --json PATH=VALUE]
                    [--keep-crcs]

Header fields: version, count, size, and byteN (one byte); entry fields:
kind, offset, size. --flip xors a byte of a section, --json sets a value
(JSON) at a dotted path (list indices are numbers) of a JSON section.
--keep-crcs leaves every CRC as it was.
"""

import argparse
import json
import struct
import zlib

KINDS = {"code": 1, "weights": 2, "params": 3, "metadata": 4, "config": 5,
         "symbols": 6, "tokenizer": 7}
HEADER = 64
ENTRY = 32


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--entry", action="append", default=[])
    parser.add_argument("--section")
    parser.add_argument("--flip")
    parser.add_argument("--json")
    parser.add_argument("--keep-crcs", action="store_true")
    args = parser.parse_args()
    data = bytearray(open(args.input, "rb").read())
    count = struct.unpack_from("<I", data, 12)[0]
    entries = [list(struct.unpack_from("<I4xQQI", data, HEADER + ENTRY * i))
               for i in range(count)]

    if args.section:
        index = next(i for i, e in enumerate(entries)
                     if e[0] == KINDS[args.section])
        kind, offset, size, crc = entries[index]
        body = bytes(data[offset:offset + size])
        if args.flip:
            at, mask = (int(x, 0) for x in args.flip.split(":"))
            body = bytearray(body)
            body[at] ^= mask
        if args.json:
            path, value = args.json.split("=", 1)
            root = json.loads(body)
            node = root
            keys = [int(k) if k.isdigit() else k for k in path.split(".")]
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = json.loads(value)
            body = json.dumps(root).encode()
        # Rebuild with the section's new size, every later section moved.
        sections = [bytes(data[o:o + s]) for _, o, s, _ in entries]
        sections[index] = bytes(body)
        table_end = HEADER + ENTRY * count
        offset = (table_end + 63) // 64 * 64
        out = bytearray(data[:table_end])
        for i, body in enumerate(sections):
            out += bytes(offset - len(out))
            entries[i][1], entries[i][2] = offset, len(body)
            entries[i][3] = zlib.crc32(body)
            out += body
            offset = (offset + len(body) + 63) // 64 * 64
        out += bytes(offset - len(out))
        data = out
        struct.pack_into("<Q", data, 16, len(data))
        for i, e in enumerate(entries):
            struct.pack_into("<I4xQQI", data, HEADER + ENTRY * i, *e)

    for change in args.header:
        field, value = change.split("=")
        value = int(value, 0)
        if field.startswith("byte"):
            data[int(field[4:])] = value
        else:
            at, fmt = {"version": (8, "<I"), "count": (12, "<I"),
                       "size": (16, "<Q")}[field]
            struct.pack_into(fmt, data, at, value)
    for change in args.entry:
        where, value = change.split("=")
        index, field = where.split(":")
        at = HEADER + ENTRY * int(index) + {"kind": 0, "offset": 8,
                                            "size": 16}[field]
        struct.pack_into("<I" if field == "kind" else "<Q", data, at,
                         int(value, 0))

    if not args.keep_crcs:
        table_end = min(HEADER + ENTRY * struct.unpack_from("<I", data, 12)[0],
                        len(data))
        table = bytearray(data[:table_end])
        struct.pack_into("<I", table, 24, 0)
        struct.pack_into("<I", data, 24, zlib.crc32(table))
    open(args.output, "wb").write(data)


if __name__ == "__main__":
    main()
