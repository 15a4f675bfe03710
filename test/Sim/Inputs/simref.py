"""An independent numpy model of docs/NUMERICS.md and the record and tile
layouts of docs/ISA.md §5.7 and docs/FORMATS.md §1.4, for the simulator's
tests. numpy float32 scalars round every operation to fp32 (no FMA)."""
import numpy as np

f32 = np.float32


def bits(x):
    return int(np.array(x, dtype=np.float32).view(np.uint32))


def expa(x):
    x = f32(x)
    if np.isnan(x):
        return x
    if x < f32(-87.0):
        return f32(0)
    if x > f32(88.0):
        return f32(np.inf)
    t = f32(x * f32(1.44269504))
    n = np.rint(t)
    f = f32(t - n)
    c = [1.0, 0.693147182, 0.240226507, 0.0555041097, 0.00961812865,
         0.00133335579, 0.000154035297]
    p = f32(c[6])
    for k in range(5, -1, -1):
        p = f32(f32(p * f) + f32(c[k]))
    return f32(np.float64(p) * 2.0 ** int(n))


def silu(x):
    x = f32(x)
    return f32(x / f32(f32(1) + expa(-x)))


def gelut(x):
    x = f32(x)
    cube = f32(f32(x * x) * x)
    u = f32(f32(0.797884583) * f32(x + f32(f32(0.044715) * cube)))
    t = f32(f32(1) - f32(f32(2) / f32(expa(f32(2) * u) + f32(1))))
    return f32(f32(f32(0.5) * x) * f32(f32(1) + t))


def erfa(v):
    v = f32(v)
    if v == 0:
        return f32(0)
    t = f32(f32(1) / f32(f32(1) + f32(f32(0.3275911) * abs(v))))
    p = f32(f32(f32(1.061405429) * t) - f32(1.453152027))
    p = f32(f32(p * t) + f32(1.421413741))
    p = f32(f32(p * t) - f32(0.284496736))
    p = f32(f32(p * t) + f32(0.254829592))
    p = f32(p * t)
    r = f32(f32(1) - f32(p * expa(f32(-v) * v)))
    return -r if v < 0 else r


def gelue(x):
    x = f32(x)
    return f32(f32(f32(0.5) * x) * f32(f32(1) + erfa(f32(x * f32(0.707106769)))))


def seqsum(values):
    acc = None
    for v in values:
        acc = f32(v) if acc is None else f32(acc + f32(v))
    return acc


def fp16(x):
    return np.array(x, dtype=np.float32).astype(np.float16)


def rne_clamp(x, lo, hi):
    return int(min(max(np.rint(f32(x)), lo), hi))


def quant_group(w, b, sym, f16=True):
    """NUMERICS §2 at run time: (q list, S as f32, f16 bits, z)."""
    w = [f32(v) for v in w]
    if sym:
        P = 2 ** (b - 1) - 1
        s = f32(max(abs(v) for v in w) / f32(P))
    else:
        Q = 2 ** b - 1
        lo = min(f32(0), min(w))
        hi = max(f32(0), max(w))
        s = f32(f32(hi - lo) / f32(Q))
    if s == 0:
        s = f32(1)
    s = f32(min(max(s, f32(2.0 ** -24)), f32(65504)))
    h = fp16(s)
    S = f32(h) if f16 else s
    hb = int(np.array(h).view(np.uint16))
    if sym:
        return [rne_clamp(f32(v / S), -P, P) for v in w], S, hb, 0
    z = rne_clamp(f32(-lo / S), 0, Q)
    q = [min(max(int(np.rint(f32(v / S))) + z, 0), Q) for v in w]
    return q, S, hb, z


def quant_act(x, b=8):
    x = [f32(v) for v in x]
    P = 2 ** (b - 1) - 1
    a = max([abs(v) for v in x if not np.isnan(v)] + [f32(0)])
    s = f32(a / f32(P))
    if s == 0:
        s = f32(1)
    return [rne_clamp(f32(v / s), -P, P) for v in x], s


def pack_bits(fields, width):
    """FORMATS §1.1 bit stream."""
    total = 0
    for i, v in enumerate(fields):
        total |= (int(v) & ((1 << width) - 1)) << (i * width)
    n = (len(fields) * width + 7) // 8
    return total.to_bytes(n, "little")


def align(x, a=64):
    return (x + a - 1) // a * a


def f32bytes(values):
    return np.array(values, dtype=np.float32).tobytes()


def words_dump(space, addr, data):
    """The lines `accel-sim --dump=SPACE:ADDR:N` prints (x32)."""
    out = []
    for i in range(0, len(data), 4):
        w = int.from_bytes(data[i:i + 4], "little")
        out.append("%s+0x%x: 0x%08x" % (space, addr + i, w))
    return out


def package_inputs(blob, path):
    """params blob and metadata placing it at weights-region offset 0,
    channel 0."""
    blob = bytes(blob) + bytes(align(len(blob)) - len(blob))
    open(path + ".params", "wb").write(blob)
    import json
    meta = {"hbm": {"weights": len(blob), "kv": 0, "act": 0, "io": 0},
            "placement": [{"section": "params", "offset": 0,
                           "bytes": len(blob), "region": "weights",
                           "channel": 0, "region_offset": 0}]}
    open(path + ".json", "w").write(json.dumps(meta))
    return len(blob)
