"""Writes a copy of a file with bits flipped.

    flip.py IN OUT [--after TEXT] OFFSET:MASK...

Each OFFSET:MASK xors the byte at OFFSET with MASK (both integers, 0x
allowed). With --after, offsets count from the first occurrence of TEXT
(Python escapes allowed, e.g. '\\x22\\x07Sigmoid') in the file.
"""

import argparse
import codecs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--after")
    parser.add_argument("flips", nargs="+")
    args = parser.parse_args()
    data = bytearray(open(args.input, "rb").read())
    base = 0
    if args.after is not None:
        text = codecs.escape_decode(args.after.encode())[0]
        base = data.find(text)
        if base < 0:
            raise SystemExit("flip.py: %r is not in %s" % (text, args.input))
    for flip in args.flips:
        offset, mask = (int(part, 0) for part in flip.split(":"))
        data[base + offset] ^= mask
    open(args.output, "wb").write(data)


if __name__ == "__main__":
    main()
