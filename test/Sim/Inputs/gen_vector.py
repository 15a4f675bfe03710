"""Inputs and expected scr of vector.s, from the numpy model simref.py."""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from simref import *  # noqa: E402,F403

out = sys.argv[1]
rng = np.random.default_rng(6)
x = [f32(v) for v in rng.normal(0, 2, 16).astype(np.float32)]
x[3] = f32(-0.0)
y = [f32(v) for v in rng.normal(0, 1, 16).astype(np.float32)]
y[5] = f32(np.nan)
gamma = [f32(v) for v in rng.uniform(0.5, 1.5, 16).astype(np.float32)]
P, R = 4, 6
ang = [[f32((p * 1.0) / (10000 ** (j / R))) for j in range(R)] for p in range(P)]
cos = [f32(math.cos(a)) for row in ang for a in row]
sin = [f32(math.sin(a)) for row in ang for a in row]
rx = [f32(v) for v in rng.normal(0, 1, 32).astype(np.float32)]
qx = [f32(v) for v in rng.normal(0, 3, 32).astype(np.float32)]
am = [f32(v) for v in rng.normal(0, 1, 16).astype(np.float32)]
am[2] = f32(np.nan)
am[7] = am[11] = f32(5.0)

blob = bytearray(768)
for off, vals in [(0, x), (64, y), (128, gamma), (192, cos), (320, sin),
                  (448, rx), (576, qx), (704, am)]:
    blob[off:off + 4 * len(vals)] = f32bytes(vals)
package_inputs(blob, out)

scr = bytearray(1920)


def put(off, vals):
    scr[off:off + 4 * len(vals)] = f32bytes(vals)


put(0, [f32(a + b) for a, b in zip(x, y)])
put(64, [f32(a - y[0]) for a in x])
put(128, [f32(a * f32(-1.5)) for a in x])
put(192, [f32(a / b) for a, b in zip(x, y)])
put(256, [b if b > a else a for a, b in zip(x, y)])
put(320, [b if b < a else a for a, b in zip(x, y)])
put(384, [f32(0) if a < 0 else a for a in x])
put(448, [silu(a) for a in x])
put(512, [gelut(a) for a in x])
put(576, [gelue(a) for a in x])
put(640, [expa(a) for a in x])


def rms(row, w):
    ms = f32(seqsum([f32(v * v) for v in row]) / f32(len(row)))
    r = f32(f32(1) / np.sqrt(f32(ms + f32(1e-5))))
    return [f32(f32(v * r) * g) for v, g in zip(row, w)]


def ln(row, w, b):
    mu = f32(seqsum(row) / f32(len(row)))
    d = [f32(v - mu) for v in row]
    var = f32(seqsum([f32(v * v) for v in d]) / f32(len(row)))
    r = f32(f32(1) / np.sqrt(f32(var + f32(1e-5))))
    return [f32(f32(f32(v * r) * g) + c) for v, g, c in zip(d, w, b)]


put(704, rms(x[:8], gamma[:8]) + rms(x[8:], gamma[:8]))
put(768, ln(x[:8], gamma[:8], y[:8]) + ln(x[8:], gamma[:8], y[:8]))


def rope(style):
    res = []
    for t in range(2):
        p = 1 + t
        c, s = cos[p * R:(p + 1) * R], sin[p * R:(p + 1) * R]
        for h in range(2):
            v = rx[(t * 2 + h) * 8:(t * 2 + h + 1) * 8]
            rot = []
            for j in range(R):
                if style == "half":
                    rot.append(-v[j + R // 2] if j < R // 2 else v[j - R // 2])
                else:
                    rot.append(-v[j + 1] if j % 2 == 0 else v[j - 1])
            res += [f32(f32(v[j] * c[j]) + f32(rot[j] * s[j]))
                    for j in range(R)] + v[R:]
    return res


put(832, rope("half"))
put(960, rope("inter"))

q8, s8 = [], []
for g in range(4):
    q, s = quant_act(qx[g * 8:(g + 1) * 8], 8)
    q8 += q
    s8.append(s)
scr[1088:1120] = bytes(v & 0xff for v in q8)
put(1152, s8)
fake, s4 = [], []
for t in range(2):
    q, s = quant_act(qx[t * 16:(t + 1) * 16], 4)
    fake += [f32(f32(v) * s) for v in q]
    s4.append(s)
put(1216, fake)
put(1344, s4)

best = None
for i, v in enumerate(am):
    if not np.isnan(v) and (best is None or v > am[best]):
        best = i
scr[1408:1412] = best.to_bytes(4, "little")

deq = []
for g in range(4):
    q, S, hb, z = quant_group(x[g * 4:(g + 1) * 4], 4, False)
    scr[1472 + 4 * g:1476 + 4 * g] = bytes(q)
    scr[1536 + 2 * g:1538 + 2 * g] = hb.to_bytes(2, "little")
    scr[1600 + g] = z
    deq += [f32(S * f32(v - z)) for v in q]
put(1664, deq)
scr[1728:1792] = f32bytes(y)
scr[1792:1808] = (0x12345678).to_bytes(4, "little") * 4
q, S, hb, z = quant_group(y[8:], 8, True, f16=False)
scr[1808:1816] = bytes(v & 0xff for v in q)
put(1824, [S])
put(1856, [f32(S * f32(v)) for v in q])

open(out + ".expected", "w").write("\n".join(words_dump("scr", 0, scr)) + "\n")
