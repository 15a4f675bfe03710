"""The golden model (`accel.golden_run`) against an independent numpy model.

`NumericsModel` below is written from docs/NUMERICS.md alone: it reads the
raised, pruned and quantized module's text (constants, quantized weights,
fp16 scales, zero points, op attributes) and evaluates it with np.float32
operations, one IEEE operation at a time, sums sequential in the order the
specification states (vectorised only across independent outputs), np.rint
for rne and np.float16 casts for fp16(). Its logits must equal the golden
model's bit for bit, on LLaMA-style and GPT-2-style decoders compressed as
w2a8kv4 with 2:4 pruning, w4a8kv4 and w8a8kv8 (plus Λ attention, activation
groups, GELU-erf and interleaved RoPE variants). A last test checks that
w8a8kv8 stays close to the fp32 reference executor.
"""

import re
import subprocess

import numpy as np
import pytest

import accel
from compress_helpers import int_blob, raised, resources

f32 = np.float32
SEQ = 8


# --------------------------------------------------------------------------
# NUMERICS.md in numpy
# --------------------------------------------------------------------------

_C = [f32(1.0), f32(0.693147182), f32(0.240226507), f32(0.0555041097),
      f32(0.00961812865), f32(0.00133335579), f32(0.000154035297)]


def exp_a(x):
    """§7, element-wise on a float32 array."""
    x = np.asarray(x, f32)
    t = x * f32(1.44269504)
    n = np.rint(np.clip(t, f32(-200), f32(200)))     # the clip only avoids
    fr = (t - n).astype(f32)                           # warnings where masked
    c0, c1, c2, c3, c4, c5, c6 = _C
    p = ((((((c6 * fr + c5) * fr + c4) * fr + c3) * fr + c2) * fr + c1) * fr + c0)
    with np.errstate(over="ignore"):
        r = np.ldexp(p, n.astype(np.int32)).astype(f32)
    r = np.where(x < f32(-87.0), f32(0), r)
    r = np.where(x > f32(88.0), f32(np.inf), r)
    return r.astype(f32)


def fp16(x):
    return np.asarray(x, f32).astype(np.float16).astype(f32)


def quantize_rows(w, bits, symmetric):
    """§2 (also §5) on the last axis of w (one group per row): q, S, z."""
    w = np.asarray(w, f32)
    if symmetric:
        P = f32(2 ** (bits - 1) - 1)
        s = (np.abs(w).max(axis=-1) / P).astype(f32)
    else:
        Q = f32(2 ** bits - 1)
        lo = np.minimum(f32(0), w.min(axis=-1))
        hi = np.maximum(f32(0), w.max(axis=-1))
        s = ((hi - lo) / Q).astype(f32)
    s = np.where(s == 0, f32(1), s)
    s = np.minimum(np.maximum(s, f32(2.0 ** -24)), f32(65504)).astype(f32)
    S = fp16(s)
    if symmetric:
        q = np.clip(np.rint(w / S[..., None]), -P, P)
        z = np.zeros_like(S)
    else:
        z = np.clip(np.rint(-lo / S), f32(0), Q)
        q = np.clip(np.rint(w / S[..., None]) + z[..., None], f32(0), Q)
    return q.astype(np.int64), S, z.astype(np.int64)


def kv_fake_quant(rows, bits, group, symmetric):
    """§5: rows [..., D], every group of `group` quantized and read back."""
    shape = rows.shape
    g = rows.reshape(*shape[:-1], shape[-1] // group, group)
    q, S, z = quantize_rows(g, bits, symmetric)
    deq = S[..., None] * (q - z[..., None]).astype(f32)
    return deq.astype(f32).reshape(shape)


def quantize_activation(x, group):
    """§4.1 on one token x [K]: q [K] int64, s_x per group."""
    k = x.shape[0]
    xg = x.reshape(k // group, group)
    a = np.abs(xg).max(axis=1)
    s = (a / f32(127)).astype(f32)
    s = np.where(a == 0, f32(1), s)
    q = np.clip(np.rint(xg / s[:, None]), f32(-127), f32(127)).astype(np.int64)
    return q.reshape(k), s


def seq_dot(x, w):
    """Σ_{k ascending} x[k] × w[:, k], starting from the k = 0 product,
    vectorised over the rows of w."""
    acc = x[0] * w[:, 0]
    for k in range(1, x.shape[0]):
        acc = acc + x[k] * w[:, k]
    return acc.astype(f32)


def linear_float(x, w, bias):
    y = seq_dot(x, w)
    return y + bias if bias is not None else y


def linear_quant(x, q, S, z, wgroup, agroup, bias):
    """§4 for one token: q [N, K] interpreted, S [N, K/G] f32, z [N, K/G]."""
    k = x.shape[0]
    qx, sx = quantize_activation(x, agroup)
    if agroup == k:
        t = None
        for g in range(k // wgroup):
            cols = slice(g * wgroup, (g + 1) * wgroup)
            acc = (q[:, cols] - z[:, g:g + 1]) @ qx[cols]        # exact int64
            assert np.all(np.abs(acc) < 2 ** 31)
            term = acc.astype(f32) * S[:, g]
            t = term if t is None else t + term
        y = t * sx[0]
    else:
        y, start = None, 0
        while start < k:
            wg, ag = start // wgroup, start // agroup
            end = min((wg + 1) * wgroup, (ag + 1) * agroup)
            acc = (q[:, start:end] - z[:, wg:wg + 1]) @ qx[start:end]
            term = (acc.astype(f32) * S[:, wg]) * sx[ag]
            y = term if y is None else y + term
            start = end
    return y + bias if bias is not None else y


def rmsnorm(x, w, eps):
    ss = x[..., 0] * x[..., 0]
    for k in range(1, x.shape[-1]):
        ss = ss + x[..., k] * x[..., k]
    ms = ss / f32(x.shape[-1])
    r = f32(1) / np.sqrt(ms + eps)
    return ((x * r[..., None]) * w).astype(f32)


def layernorm(x, w, b, eps):
    h = x.shape[-1]
    s = x[..., 0]
    for k in range(1, h):
        s = s + x[..., k]
    mu = s / f32(h)
    d = x - mu[..., None]
    v = d[..., 0] * d[..., 0]
    for k in range(1, h):
        v = v + d[..., k] * d[..., k]
    v = v / f32(h)
    r = f32(1) / np.sqrt(v + eps)
    y = (d * r[..., None]) * w
    return (y + b if b is not None else y).astype(f32)


def silu(x):
    return x / (f32(1) + exp_a(-x))


def gelu_tanh(x):
    u = f32(0.797884583) * (x + f32(0.044715) * ((x * x) * x))
    t = f32(1) - f32(2) / (exp_a(f32(2) * u) + f32(1))
    return (f32(0.5) * x) * (f32(1) + t)


def erf_a(v):
    a = np.abs(v)
    t = f32(1) / (f32(1) + f32(0.3275911) * a)
    poly = ((((f32(1.061405429) * t - f32(1.453152027)) * t + f32(1.421413741)) * t
             - f32(0.284496736)) * t + f32(0.254829592)) * t
    r = f32(1) - poly * exp_a((-v) * v)
    return np.where(v == 0, f32(0), np.where(v < 0, -r, r)).astype(f32)


def gelu_erf(x):
    return (f32(0.5) * x) * (f32(1) + erf_a(x * f32(0.707106769)))


def relu(x):
    return np.where(x < 0, f32(0), x).astype(f32)


def rope(x, cos, sin, heads, style):
    b, t, hd = x.shape
    d = hd // heads
    r = cos.shape[-1]
    xh = x.reshape(b, t, heads, d)
    out = xh.copy()
    c = cos.reshape(-1, t, 1, r) if cos.ndim == 3 else cos.reshape(1, t, 1, r)
    s = sin.reshape(c.shape)
    xr = xh[..., :r]
    if style == "rotate_half":
        rot = np.concatenate([-xr[..., r // 2:], xr[..., :r // 2]], axis=-1)
    else:
        rot = np.empty_like(xr)
        rot[..., 0::2] = -xr[..., 1::2]
        rot[..., 1::2] = xr[..., 0::2]
    out[..., :r] = xr * c + rot * s
    return out.reshape(b, t, hd).astype(f32)


def attention(q, k, v, heads, kv_heads, causal, scale, lam, kvq):
    """§6 with §5 (kvq = (bits, group, symmetric) or None); no past."""
    b, t, hd = q.shape
    d = hd // heads
    length = k.shape[1]
    k = k.reshape(b, length, kv_heads, d)
    v = v.reshape(b, length, kv_heads, d)
    if kvq:
        bits, group, sym = kvq
        k = kv_fake_quant(k, bits, group or d, sym)
        v = kv_fake_quant(v, bits, group or d, sym)
    out = np.zeros((b, t, heads, d), f32)
    qh = q.reshape(b, t, heads, d)
    for bi in range(b):
        for h in range(heads):
            kh = h // (heads // kv_heads)
            for p in range(t):
                seen = [j for j in range(length)
                        if not causal or (j <= p and (lam is None or j < lam[0]
                                                      or j > p - lam[1]))]
                if not seen:
                    continue
                keys = k[bi, seen, kh, :]                    # [J, D]
                scores = seq_dot(qh[bi, p, h], keys) * scale
                m = scores.max()
                e = exp_a(scores - m)
                z = e[0]
                for j in range(1, len(seen)):
                    z = z + e[j]
                pj = e / z
                vals = v[bi, seen, kh, :]                    # [J, D]
                o = pj[0] * vals[0]
                for j in range(1, len(seen)):
                    o = o + pj[j] * vals[j]
                out[bi, p, h] = o
    return out.reshape(b, t, hd)


# --------------------------------------------------------------------------
# Reading the module's text and evaluating it
# --------------------------------------------------------------------------

_NPTYPE = {"f32": "<f4", "f16": "<f2", "i64": "<i8", "i32": "<i4"}
_CONST = re.compile(r'(%[\w.]+) = arith\.constant (dense_resource<([^>]+)>|dense<(.*?)>) : '
                    r'tensor<((?:\d+x)*)(\w+)>')


def _element_bytes(dtype):
    if dtype in _NPTYPE:
        return np.dtype(_NPTYPE[dtype])
    return np.dtype(np.uint8)                            # i2, i3, i4, i8


def _decode(dtype, data, count):
    values = np.frombuffer(data, dtype=_element_bytes(dtype))
    return values if values.size == count else np.repeat(values, count)


def read_constants(text):
    """%name -> numpy array; integer iB (B <= 8) as their stored B bits,
    unsigned."""
    blobs = resources(text)
    out = {}
    for name, _, key, body, shape, dtype in _CONST.findall(text):
        dims = [int(d) for d in shape.split('x') if d]
        count = int(np.prod(dims)) if dims else 1
        if key and dtype in ("i2", "i3", "i4"):
            values = int_blob(blobs[key.strip('"')], int(dtype[1:]), count)
        elif key:
            values = _decode(dtype, blobs[key.strip('"')], count)
        elif body.startswith('"0x'):
            values = _decode(dtype, bytes.fromhex(body[3:-1]), count)
        else:
            numbers = [s for s in re.split(r'[\[\],\s]+', body) if s]
            if dtype == "f16":     # shortest decimal of the f16 value
                values = np.array([np.float16(s) for s in numbers], np.float16)
            elif dtype.startswith('f'):
                values = np.array([np.float32(s) for s in numbers], f32)
            else:
                values = np.array([int(s) for s in numbers], np.int64)
            if values.size != count:
                values = np.repeat(values, count)
        if dtype in ("i2", "i3", "i4", "i8"):
            values = values.astype(np.int64) & ((1 << int(dtype[1:])) - 1)
        elif dtype.startswith('f'):
            values = values.astype(f32)
        out[name] = values.reshape(dims)
    return out


def _quant(attrs, name):
    m = re.search(name + r' = #accel\.quant<bits = (\d+), (?:group = (\d+)|per_channel), '
                  r'(symmetric|asymmetric)>', attrs)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0), m.group(3) == "symmetric"


class NumericsModel:
    """Evaluates the raised module's function body with the numpy functions
    above (one op per line of its text)."""

    def __init__(self, text):
        self.text = text
        self.consts = read_constants(text)

    def run(self, ids):
        env = dict(self.consts)
        env["%arg0"] = ids
        body = self.text[self.text.index("func.func"):self.text.index("\n  }\n")]
        for line in body.splitlines()[1:]:
            line = line.strip()
            if not line or "arith.constant" in line:
                continue
            if line.startswith("return "):
                return env[line.split()[1]]
            lhs, rhs = line.split(" = ", 1)
            result = self.op(rhs, env)
            if ":" in lhs:
                name = lhs.split(":")[0]
                for i, r in enumerate(result):
                    env[f"{name}#{i}"] = r
            else:
                env[lhs] = result
        raise AssertionError("no return")

    def op(self, rhs, env):
        val = lambda name: env[name]
        if rhs.startswith("accel.embedding"):
            ids, table = re.match(r'accel\.embedding (\S+), (\S+) :', rhs).groups()
            return val(table)[val(ids)].astype(f32)
        if rhs.startswith("arith.addf"):
            a, b = re.match(r'arith\.addf (\S+), (\S+) :', rhs).groups()
            return (val(a) + val(b)).astype(f32)
        if rhs.startswith("accel.rmsnorm"):
            x, w, eps = re.match(r'accel\.rmsnorm (\S+), (\S+) epsilon\(([^)]+)\)', rhs).groups()
            return rmsnorm(val(x), val(w), f32(eps))
        if rhs.startswith("accel.layernorm"):
            m = re.match(r'accel\.layernorm (\S+), (\S+)(?: bias\((\S+) : [^)]*\))? '
                         r'epsilon\(([^)]+)\)', rhs)
            x, w, b, eps = m.groups()
            return layernorm(val(x), val(w), val(b) if b else None, f32(eps))
        if rhs.startswith("accel.rope"):
            style, x, c, s, h = re.match(
                r'accel\.rope (\w+) (\S+), (\S+), (\S+) heads\((\d+)\)', rhs).groups()
            return rope(val(x), val(c), val(s), int(h), style)
        if rhs.startswith("accel.activation"):
            m = re.match(r'accel\.activation (\w+) ([^,\s]+)(?:, (\S+))? :', rhs)
            kind, x, up = m.groups()
            fn = {"silu": silu, "gelu_tanh": gelu_tanh, "gelu_erf": gelu_erf,
                  "relu": relu}[kind]
            y = fn(val(x))
            return (y * val(up) if up else y).astype(f32)
        if rhs.startswith("accel.attention"):
            m = re.match(r'accel\.attention (\S+), (\S+), (\S+) heads\((\d+), (\d+)\)'
                         r'( causal)?(?: \{(.*)\})? :', rhs)
            q, k, v, h, hkv, causal, attrs = m.groups()
            attrs = attrs or ""
            assert "scale" not in attrs and "past" not in rhs
            lam = re.search(r'lambda = #accel\.lambda<sink = (\d+), window = (\d+)>', attrs)
            lam = (int(lam.group(1)), int(lam.group(2))) if lam else None
            d = val(q).shape[-1] // int(h)
            scale = f32(1) / np.sqrt(f32(d))
            return attention(val(q), val(k), val(v), int(h), int(hkv), bool(causal),
                             scale, lam, _quant(attrs, "kv_quant"))
        if rhs.startswith("accel.linear"):
            return self.linear(rhs, env)
        if rhs.startswith('onnx.node "Split"'):
            x, split = re.match(r'onnx\.node "Split"\((\S+), (\S+)\) \{axis = (?:-1|2)', rhs).groups()
            cuts = np.cumsum(val(split))[:-1]
            return np.split(val(x), cuts, axis=-1)
        raise NotImplementedError(rhs[:80])

    def linear(self, rhs, env):
        m = re.match(r'accel\.linear (\S+), (\S+)( transposed)?'
                     r'(?: scales\((\S+) : [^)]*\))?(?: zero_points\((\S+) : [^)]*\))?'
                     r'(?: bias\((\S+) : [^)]*\))?(?: \{(.*?)\})? :', rhs)
        x, w, transposed, scales, zeros, bias, attrs = m.groups()
        attrs = attrs or ""
        x, w = env[x], env[w]
        bias = env[bias] if bias else None
        k = x.shape[-1]
        rows = x.reshape(-1, k)
        wq, aq = _quant(attrs, "weight_quant"), _quant(attrs, "act_quant")
        outs = []
        if wq:
            bits, group, sym = wq
            assert not transposed and aq and aq[0] == 8 and aq[2]
            q = w.astype(np.int64)
            if sym:
                q = np.where(q >= 1 << (bits - 1), q - (1 << bits), q)
            S = env[scales].astype(f32)
            z = env[zeros].astype(np.int64) if zeros else np.zeros(S.shape, np.int64)
            for row in rows:
                outs.append(linear_quant(row, q, S, z, group or k, aq[1] or k, bias))
        else:
            wt = w.T if transposed else w                      # [N, K]
            for row in rows:
                if aq:
                    qx, sx = quantize_activation(row, aq[1] or k)
                    row = qx.astype(f32) * np.repeat(sx, (aq[1] or k))
                outs.append(linear_float(row, wt, bias))
        return np.stack(outs).reshape(*x.shape[:-1], -1).astype(f32)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    torch = pytest.importorskip("torch")
    import decoders
    out = {}
    root = tmp_path_factory.mktemp("golden")
    for name, kind, extra in [("llama", "llama", {}),
                              ("llama_interleaved", "llama", {"rope": "interleaved"}),
                              ("gpt2", "gpt2", {}),
                              ("gpt2_erf", "gpt2", {"gelu": "erf"})]:
        torch.manual_seed(0)
        model = decoders.build(kind, hidden=64, ffn=128, vocab=96, layers=2, **extra)
        path = root / f"{name}.onnx"
        decoders.export(model, path, seq_len=SEQ)
        out[name] = (model, path)
    return out


def compressed(path, scheme, prune, group=32, edit=None):
    m = raised(path, SEQ)
    passes = []
    if prune:
        passes.append("accel-prune{n=2 m=4}")
    if scheme != "none":
        passes.append(f"accel-quantize{{scheme={scheme} group={group}}}")
    if passes:
        m.run_pipeline("func.func(" + ",".join(passes) + ")")
    if edit:
        m = accel.parse_mlir(edit(m.to_mlir()))
    return m


def _ids(seed=0, batch=1):
    return np.random.default_rng(seed).integers(0, 96, (batch, SEQ)).astype(np.int64)


def _assert_bit_exact(module, ids):
    golden = accel.golden_run(module, {"input_ids": ids})["logits"]
    expected = NumericsModel(module.to_mlir()).run(ids)
    assert golden.dtype == np.float32 and expected.dtype == np.float32
    diff = golden.view(np.uint32) != expected.view(np.uint32)
    assert not diff.any(), (
        f"{diff.sum()} of {diff.size} logits differ; first at "
        f"{np.argwhere(diff)[0]}: golden {golden[diff][0]!r} numpy {expected[diff][0]!r}")
    return golden


def test_exp_a_numpy_values():
    """The numpy exp_a of this file at a few points: the same fp32 bit
    patterns as the C++ unit test's hand computation (GoldenTest.cpp)."""
    x = np.array([0.0, -1.0, 1.0, -0.5, -10.0, -88.0, 89.0], f32)
    bits = [0x3F800000, 0x3EBC5AB2, 0x402DF854, 0x3F1B4598, 0x383E6BCE, 0, 0x7F800000]
    assert exp_a(x).view(np.uint32).tolist() == bits
    grid = np.linspace(-20, 20, 4001).astype(f32)
    assert np.allclose(exp_a(grid), np.exp(grid.astype(np.float64)), rtol=4e-6, atol=0)


CASES = [
    ("llama", "w2a8kv4", True, 32),
    ("llama", "w4a8kv4", False, 32),
    ("llama", "w8a8kv8", False, 0),
    ("llama", "none", False, 0),
    ("llama_interleaved", "w4a8kv4", True, 16),
    ("gpt2", "w2a8kv4", True, 32),
    ("gpt2", "w4a8kv4", False, 64),
    ("gpt2", "w8a8kv8", False, 32),
    ("gpt2_erf", "w8a8kv8", True, 32),
]


@pytest.mark.parametrize("name,scheme,prune,group", CASES,
                         ids=[f"{c[0]}-{c[1]}{'-2:4' if c[2] else ''}-g{c[3]}" for c in CASES])
def test_golden_matches_numpy(exports, name, scheme, prune, group):
    _, path = exports[name]
    module = compressed(path, scheme, prune, group)
    text = module.to_mlir()
    if scheme != "none":
        assert "act_quant" in text and "kv_quant" in text and "weight_quant" in text
    if prune:
        assert "#accel.sparsity<2:4>" in text
    expected_op = {"llama_interleaved": "accel.rope interleaved",
                   "gpt2_erf": "accel.activation gelu_erf",
                   "gpt2": "accel.activation gelu_tanh",
                   "llama": "accel.rope rotate_half"}[name]
    assert expected_op in text
    for seed in range(2):
        _assert_bit_exact(module, _ids(seed))


def _with_lambda(text):
    return text.replace(" causal {", " causal {lambda = #accel.lambda<sink = 2, window = 3>, ")


def _with_act_groups(text):
    return text.replace("act_quant = #accel.quant<bits = 8, per_channel, symmetric>",
                        "act_quant = #accel.quant<bits = 8, group = 16, symmetric>")


@pytest.mark.parametrize("name", ["llama", "gpt2"])
def test_golden_lambda_and_act_groups(exports, name):
    _, path = exports[name]
    module = compressed(path, "w2a8kv4", True, 32,
                        edit=lambda t: _with_act_groups(_with_lambda(t)))
    text = module.to_mlir()
    assert "#accel.lambda<sink = 2, window = 3>" in text and "group = 16, symmetric" in text
    _assert_bit_exact(module, _ids(3))


def test_golden_accelc_path(exports, accelc, tmp_path):
    """accelc --prune=2:4 --quant=w2a8kv4 (per-channel weights: K = 64 < 128)."""
    _, path = exports["llama"]
    out = tmp_path / "llama.mlir"
    run = subprocess.run([accelc, str(path), "--dim", "batch=1", "--dim", f"sequence={SEQ}",
                          "--prune=2:4", "--quant=w2a8kv4", "--group=32", "--emit=accel",
                          "--print-weights", "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    module = accel.load_mlir(str(out))
    assert "xi2>" in module.to_mlir()
    _assert_bit_exact(module, _ids(4))


def test_golden_close_to_fp32(exports):
    """w8a8kv8 golden logits stay near the fp32 reference's; greedy tokens
    mostly agree."""
    for name in ("llama", "gpt2"):
        _, path = exports[name]
        ids = _ids(5)
        reference = accel.reference_run(compressed(path, "none", False),
                                         {"input_ids": ids})["logits"]
        golden = accel.golden_run(compressed(path, "w8a8kv8", False, 32),
                                  {"input_ids": ids})["logits"]
        rel = np.linalg.norm(golden - reference) / np.linalg.norm(reference)
        print(f"{name}: w8a8kv8 golden vs fp32 relative error {rel:.2e}")
        assert rel < 5e-2, (name, rel)
        agree = (accel.greedy_tokens(golden) == accel.greedy_tokens(reference)).mean()
        assert agree >= 0.75, (name, agree)
        # the unquantized module: the golden fp32 path is close as well
        golden_fp32 = accel.golden_run(compressed(path, "none", False),
                                       {"input_ids": ids})["logits"]
        assert np.abs(golden_fp32 - reference).max() <= 1e-4 * np.abs(reference).max()


def test_greedy_tokens():
    logits = np.array([[1.0, 3.0, 3.0, np.nan], [np.nan, -1.0, -2.0, -1.0],
                       [np.nan] * 4], f32)
    assert accel.greedy_tokens(logits).tolist() == [1, 1, 0]
    assert accel.greedy_tokens(logits[None]).shape == (1, 3)


def test_golden_refuses_what_numerics_does_not_define():
    text = """
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<1> : tensor<4x8xi4>
  %s = arith.constant dense<1.0> : tensor<4x1xf16>
  %z = arith.constant dense<0> : tensor<4x1xi4>
  %y = accel.linear %x, %w scales(%s : tensor<4x1xf16>) zero_points(%z : tensor<4x1xi4>)
         {weight_quant = #accel.quant<bits = 4, per_channel, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, asymmetric>}
         : tensor<1x8xf32>, tensor<4x8xi4> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}"""
    module = accel.parse_mlir(text)
    with pytest.raises(accel.AccelError, match="asymmetric activation quantization"):
        accel.golden_run(module, {"arg0": np.ones((1, 8), f32)})
    with pytest.raises(accel.AccelError, match="golden model"):
        accel.reference_run(module, {"arg0": np.ones((1, 8), f32)})
