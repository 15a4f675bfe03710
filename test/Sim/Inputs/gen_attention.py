"""Inputs and expected kv and scr of attention.s, from simref.py."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from simref import *  # noqa: E402,F403

out = sys.argv[1]
rng = np.random.default_rng(7)
H, D = 2, 8
K = [f32(v) for v in rng.normal(0, 1, 5 * H * D).astype(np.float32)]
V = [f32(v) for v in rng.normal(0, 1, 5 * H * D).astype(np.float32)]
Q = [f32(v) for v in rng.normal(0, 1, H * D).astype(np.float32)]
blob = f32bytes(K) + f32bytes(V) + f32bytes(Q)
package_inputs(blob, out)


def record(row, fmt, bits, G):
    """(record bytes, dequantized values) of one token (ISA §5.7)."""
    if fmt == "f32":
        data = f32bytes(row)
        return data + bytes(align(len(data)) - len(data)), list(row)
    qs, scales, zeros, deq = [], b"", [], []
    for g in range(len(row) // G):
        q, S, hb, z = quant_group(row[g * G:(g + 1) * G], bits, fmt == "sym")
        qs += q
        scales += hb.to_bytes(2, "little")
        zeros.append(z)
        deq += [f32(S * f32(v - z)) for v in q]
    data = pack_bits(qs, bits) + scales
    if fmt == "asym":
        data += pack_bits(zeros, bits)
    return data + bytes(align(len(data)) - len(data)), deq


kv = bytearray(1280)
Kd, Vd = [], []
for t in range(5):
    r, d = record(K[t * 16:(t + 1) * 16], "asym", 4, 4)
    kv[t * 64:(t + 1) * 64] = r
    Kd.append(d)
    r, d = record(V[t * 16:(t + 1) * 16], "asym", 4, 4)
    kv[512 + t * 64:512 + (t + 1) * 64] = r
    Vd.append(d)
kv[1024:1088] = record(K[:16], "f32", 0, 0)[0]
for t in range(2):
    kv[1152 + t * 64:1152 + (t + 1) * 64] = record(
        K[t * 16:(t + 1) * 16], "sym", 8, 8)[0]

scale = f32(0.353553385)


def attend(q, h, seen, n):
    s = [f32(0)] * n
    for j in range(n):
        if seen[j]:
            k = Kd[j][h * D:(h + 1) * D]
            s[j] = f32(seqsum([f32(a * b) for a, b in zip(q, k)]) * scale)
    m = None
    for j in range(n):
        if seen[j] and (m is None or s[j] > m):
            m = s[j]
    e = [expa(f32(s[j] - m)) if seen[j] else f32(0) for j in range(n)]
    Z = seqsum([e[j] for j in range(n) if seen[j]])
    p = [f32(e[j] / Z) if seen[j] else f32(0) for j in range(n)]
    o = [seqsum([f32(p[j] * Vd[j][h * D + d]) for j in range(n) if seen[j]])
         for d in range(D)]
    return s, p, o


scr = bytearray(384)
pos, S, W = 3, 1, 2
seen = [(kp <= pos) and (kp < S or kp > pos - W) for kp in range(5)]
s, p, o = attend(Q[8:], 1, seen, 5)
scr[0:20] = f32bytes(s)
scr[64:84] = f32bytes(p)
scr[128:160] = f32bytes(o)
s, p, o = attend(Q[:8], 0, [True] * 3, 3)
scr[192:204] = f32bytes(s)
scr[256:268] = f32bytes(p)
scr[320:352] = f32bytes(o)

lines = words_dump("kv", 0, kv) + words_dump("scr", 0, scr)
open(out + ".expected", "w").write("\n".join(lines) + "\n")
