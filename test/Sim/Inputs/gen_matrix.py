"""Tiles, activations and expected outputs of matrix.s, from simref.py."""
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from simref import *  # noqa: E402,F403

out = sys.argv[1]
rng = np.random.default_rng(8)
K = 16


def tile(rows_q, scales, zeros, codes, kept, bits, code_bits):
    """One tile (FORMATS §1.4): scales, zero points, codes, values."""
    t = b""
    for part, present in [
            (b"".join(int(h).to_bytes(2, "little") for h in scales), scales),
            (pack_bits(zeros, bits), zeros),
            (pack_bits(codes, code_bits), codes),
            (pack_bits(kept, bits), True)]:
        if present:
            t += part + bytes(align(len(part)) - len(part))
    return t


blob = bytearray(1280)

# A: 6 x 16, 2-bit asymmetric g8, 2:4, tiles of 4 rows.
subsets = list(itertools.combinations(range(4), 2))
A_q, A_S, A_z, A_codes, A_kept = [], [], [], [], []
for n in range(6):
    S = [fp16(v) for v in rng.uniform(0.01, 0.5, 2)]
    z = [int(v) for v in rng.integers(0, 4, 2)]
    row, codes, kept = [], [], []
    for grp in range(4):
        code = int(rng.integers(0, 6))
        codes.append(code)
        vals = [int(v) for v in rng.integers(0, 4, 2)]
        kept += vals
        g = (grp * 4) // 8
        full = [z[g]] * 4
        for pos, v in zip(subsets[code], vals):
            full[pos] = v
        row += full
    A_q.append(row)
    A_S.append(S)
    A_z.append(z)
    A_codes.append(codes)
    A_kept.append(kept)
for t, r0 in enumerate([0, 4]):
    rows = range(r0, min(r0 + 4, 6))
    data = tile([A_q[n] for n in rows],
                [np.array(s).view(np.uint16) for n in rows for s in A_S[n]],
                [z for n in rows for z in A_z[n]],
                [c for n in rows for c in A_codes[n]],
                [v for n in rows for v in A_kept[n]], 2, 3)
    assert len(data) == 256
    blob[t * 256:(t + 1) * 256] = data
xa = [int(v) for v in rng.integers(-127, 128, K)]
sa = f32(0.0123)
blob[832:848] = bytes(v & 0xff for v in xa)
blob[896:900] = f32bytes([sa])
bias = [f32(v) for v in rng.normal(0, 1, 6).astype(np.float32)]
blob[1088:1112] = f32bytes(bias)

# B: 3 x 16, 8-bit symmetric, per channel, tiles of 2 rows.
B_q = [[int(v) for v in rng.integers(-127, 128, K)] for _ in range(3)]
B_S = [fp16(v) for v in rng.uniform(0.001, 0.01, 3)]
for t, r0 in enumerate([0, 2]):
    rows = range(r0, min(r0 + 2, 3))
    data = tile(None, [np.array(B_S[n]).view(np.uint16) for n in rows], [],
                [], [v for n in rows for v in B_q[n]], 8, 0)
    assert len(data) == 128
    blob[512 + t * 128:512 + (t + 1) * 128] = data
xb = [[int(v) for v in rng.integers(-127, 128, K)] for _ in range(2)]
sb = [[f32(v) for v in rng.uniform(0.01, 0.1, 2).astype(np.float32)]
      for _ in range(2)]
for t in range(2):
    blob[960 + 16 * t:976 + 16 * t] = bytes(v & 0xff for v in xb[t])
blob[1024:1040] = f32bytes(sb[0] + sb[1])

# C: 2 x 16 f16 weights, fp32 activations.
C_w = [fp16(v) for v in rng.normal(0, 1, 2 * K)]
blob[768:832] = b"".join(np.array(w).view(np.uint16).tobytes() for w in C_w)
xc = [f32(v) for v in rng.normal(0, 1, K).astype(np.float32)]
blob[1152:1216] = f32bytes(xc)
package_inputs(blob, out)

scr = bytearray(256)
ya = []
for n in range(6):
    t = None
    for g in range(2):
        acc = sum(xa[k] * (A_q[n][k] - A_z[n][g]) for k in range(8 * g, 8 * g + 8))
        p = f32(f32(acc) * f32(A_S[n][g]))
        t = p if t is None else f32(t + p)
    ya.append(silu(f32(f32(t * sa) + bias[n])))
scr[0:24] = f32bytes(ya)
scales = []
for t in range(2):
    yb = []
    for n in range(3):
        y = None
        for blk in range(2):
            acc = sum(xb[t][k] * B_q[n][k] for k in range(8 * blk, 8 * blk + 8))
            p = f32(f32(f32(acc) * f32(B_S[n])) * sb[t][blk])
            y = p if y is None else f32(y + p)
        yb.append(y)
    q, s = quant_act(yb, 8)
    scr[64 + 32 * t:67 + 32 * t] = bytes(v & 0xff for v in q)
    scales.append(s)
scr[128:136] = f32bytes(scales)
yc = [seqsum([f32(xc[k] * f32(C_w[n * K + k])) for k in range(K)])
      for n in range(2)]
scr[192:200] = f32bytes(yc)
open(out + ".expected", "w").write("\n".join(words_dump("scr", 0, scr)) + "\n")
