"""Prints an ONNX text graph of ROWS rows of F features (argv: F ROWS):
y = (row3 - (x + row)) * half, with `row` an [F] row, `row3` a [1, 1, F]
row (several values each) and `half` a [1, 1, F] constant of one value."""

import sys

f, rows = int(sys.argv[1]), int(sys.argv[2])
values = ", ".join(str((i % 7) / 4 - 0.5) for i in range(f))
print('<ir_version: 8, opset_import: ["" : 17]>')
print(f"wide (float[1, {rows}, {f}] x) => (float[1, {rows}, {f}] y)")
print(f"<float[{f}] row = {{{values}}}, float[1, 1, {f}] row3 = {{{values}}},"
      f" float[1, 1, {f}] half = {{{', '.join(['0.5'] * f)}}}>")
print("{ a = Add(x, row)  b = Sub(row3, a)  y = Mul(b, half) }")
