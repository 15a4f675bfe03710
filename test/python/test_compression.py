"""accel-prune and accel-quantize against independent numpy implementations.

* The round-to-nearest quantizer (docs/NUMERICS.md §2) must agree bit for bit
  with `rtn_numpy` below: the stored q, the fp16 scales, the zero points, on
  random shapes, bit widths, group sizes and symmetry, in both storages
  (dense attributes and dense_resource blobs).
* Magnitude N:M pruning (§3) must keep exactly the positions `nm_mask_numpy`
  keeps, ties going to the lower k, in both weight layouts.
* `method=calibrated` must beat `rtn` at 2 bits: logits MSE on held-out
  tokens of a small LLaMA-style decoder, the quantized weights dequantized
  here and loaded into the torch model (the reference executor is fp32 only).
* `accelc --prune=2:4 --quant=w2a8kv4` runs on exported decoders.
"""

import os
import re
import subprocess

import numpy as np
import pytest

import accel
from compress_helpers import CONST, LINEAR, hex_f32, int_blob, raised, resources

# --------------------------------------------------------------------------
# Reading compressed IR back
# --------------------------------------------------------------------------

_NP = {"f32": np.float32, "f16": np.float16, "i2": np.uint8, "i3": np.uint8,
       "i4": np.uint8, "i8": np.uint8}


def _parse_dense(body, dtype, count):
    if body.startswith('"0x'):
        data = bytes.fromhex(body[3:-1])
        values = np.frombuffer(data, dtype=_NP[dtype])
        return values if values.size == count else np.repeat(values, count)
    numbers = [s for s in re.split(r'[\[\],\s]+', body) if s]
    if dtype in ("f32", "f16"):
        values = np.array([float(s) for s in numbers], dtype=_NP[dtype])
    else:
        values = np.array([int(s) for s in numbers], dtype=np.int64)
    return values if values.size == count else np.repeat(values, count)


def constants(text):
    """%name -> numpy array (integers: the stored bits, unsigned)."""
    blobs = resources(text)
    out = {}
    for name, _, key, body, shape, dtype in CONST.findall(text):
        dims = [int(d) for d in shape.split('x')]
        count = int(np.prod(dims))
        if key and dtype in ("i2", "i3", "i4"):
            values = int_blob(blobs[key.strip('"')], int(dtype[1:]), count)
        elif key:
            values = np.frombuffer(blobs[key.strip('"')], dtype=_NP[dtype])
        else:
            values = _parse_dense(body, dtype, count)
        if dtype.startswith('i'):
            bits = int(dtype[1:])
            values = values.astype(np.int64) & ((1 << bits) - 1)
        out[name] = values.reshape(dims)
    return out


def linears(text):
    """Every accel.linear of `text`, in order: weight, scales, zero points,
    attributes."""
    consts = constants(text)
    result = []
    for weight, transposed, scales, zeros, attrs in LINEAR.findall(text):
        result.append(dict(weight=consts.get(weight), transposed=bool(transposed),
                           scales=consts.get(scales) if scales else None,
                           zeros=consts.get(zeros) if zeros else None,
                           attrs=attrs))
    return result


def signed(q, bits):
    return np.where(q >= 1 << (bits - 1), q - (1 << bits), q)


def dequantize(lin, bits, group, symmetric):
    q = lin["weight"].astype(np.int64)
    if symmetric:
        q = signed(q, bits)
    g = q.shape[1] if group == 0 else group
    s = np.repeat(lin["scales"].astype(np.float32), g, axis=1)
    z = 0 if symmetric else np.repeat(lin["zeros"], g, axis=1)
    return s * (q - z).astype(np.float32)


# --------------------------------------------------------------------------
# Independent implementations of NUMERICS §2 and §3
# --------------------------------------------------------------------------

def rtn_numpy(w, bits, group, symmetric):
    """q [N, K], scales [N, K/G] (f16), zero points [N, K/G]."""
    f = np.float32
    n, k = w.shape
    g = k if group == 0 else group
    wg = w.astype(f).reshape(n, k // g, g)
    if symmetric:
        P = f(2 ** (bits - 1) - 1)
        s = (np.abs(wg).max(axis=2) / P).astype(f)
    else:
        Q = f(2 ** bits - 1)
        lo = np.minimum(f(0), wg.min(axis=2))
        hi = np.maximum(f(0), wg.max(axis=2))
        s = ((hi - lo) / Q).astype(f)
    s = np.where(s == 0, f(1), s)
    s = np.clip(s, f(2.0 ** -24), f(65504)).astype(f)
    S = s.astype(np.float16)
    Sf = S.astype(f)[:, :, None]
    if symmetric:
        q = np.clip(np.rint(wg / Sf), -P, P).astype(np.int64)
        z = np.zeros(S.shape, np.int64)
    else:
        z = np.clip(np.rint(-lo / S.astype(f)), 0, Q).astype(np.int64)
        q = np.clip(np.rint(wg / Sf) + z[:, :, None], 0, Q).astype(np.int64)
    return q.reshape(n, k), S, z


def nm_mask_numpy(w, n, m):
    """Keep mask of magnitude N:M pruning along the last axis, ties to lower k."""
    rows, k = w.shape
    keep = np.zeros(w.shape, bool)
    for r in range(rows):
        for g0 in range(0, k, m):
            scores = np.abs(w[r, g0:g0 + m].astype(np.float64))
            order = np.lexsort((np.arange(m), -scores))   # score desc, k asc
            keep[r, g0 + order[:n]] = True
    return keep


def _linear_module(weights, transposed=False):
    """A function of one linear per weight ([N, K], or stored [K, N])."""
    lines, results, types = [], [], []
    k = weights[0].shape[1]
    for i, w in enumerate(weights):
        n = w.shape[0]
        stored = w.T if transposed else w
        st = f"tensor<{stored.shape[0]}x{stored.shape[1]}xf32>"
        lines.append(f'  %w{i} = arith.constant dense<{hex_f32(stored)}> : {st} loc("w{i}")')
        t = " transposed" if transposed else ""
        lines.append(f'  %y{i} = accel.linear %x, %w{i}{t} : tensor<1x{k}xf32>, {st} '
                     f'-> tensor<1x{n}xf32> loc("layer{i}/MatMul")')
        results.append(f"%y{i}")
        types.append(f"tensor<1x{n}xf32>")
    return (f"func.func @f(%x: tensor<1x{k}xf32>) -> ({', '.join(types)}) {{\n"
            + "\n".join(lines) + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")


def _random_weight(rng, n, k):
    w = rng.standard_normal((n, k)).astype(np.float32) * rng.choice([1e-3, 0.05, 1.0, 30.0])
    w[rng.random((n, k)) < 0.1] = 0.0                 # exact zeros
    if n > 1:
        w[0] = 0.0                                     # an all-zero row: s = 1
        w[1, :] = np.abs(w[1, :])                      # lo = 0
    return w


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_rtn_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    bits = [2, 3, 4, 8][seed % 4]
    symmetric = seed % 3 == 0
    group = [4, 8, 16, 32, 0, 64][seed % 6]
    k = (group or 8) * int(rng.integers(1, 5))
    weights = [_random_weight(rng, int(rng.integers(1, 40)), k) for _ in range(3)]
    if seed % 4 == 1:                                  # a large one: a blob
        weights.append(_random_weight(rng, 1100 // k + 3, k))
    transposed = seed % 2 == 1
    module = accel.parse_mlir(_linear_module(weights, transposed))
    module.run_pipeline(
        f"func.func(accel-quantize{{scheme=none weight-bits={bits} group={group} "
        f"symmetric={int(symmetric)} exclude=}})")
    text = module.to_mlir()
    got = linears(text)
    assert len(got) == len(weights)
    quant = "symmetric" if symmetric else "asymmetric"
    for w, lin in zip(weights, got):
        assert f"weight_quant = #accel.quant<bits = {bits}" in lin["attrs"]
        assert quant in lin["attrs"] and not lin["transposed"]
        q, s, z = rtn_numpy(w, bits, group, symmetric)
        stored = signed(lin["weight"], bits) if symmetric else lin["weight"]
        np.testing.assert_array_equal(stored, q)
        assert lin["scales"].dtype == np.float16
        np.testing.assert_array_equal(lin["scales"].view(np.uint16), s.view(np.uint16))
        if symmetric:
            assert lin["zeros"] is None
        else:
            np.testing.assert_array_equal(lin["zeros"], z)
        # zeros dequantize to exactly 0
        deq = dequantize(lin, bits, group, symmetric)
        assert np.all(deq[w == 0] == 0)
    if any(w.size > 1024 for w in weights):
        assert "dense_resource<" in text


@pytest.mark.parametrize("seed", range(8))
def test_prune_magnitude_matches_numpy(seed):
    rng = np.random.default_rng(100 + seed)
    m = [4, 8, 16][seed % 3]
    n = int(rng.integers(1, m + 1))
    k = m * int(rng.integers(1, 6))
    # few distinct magnitudes: many ties
    weights = [rng.integers(-3, 4, size=(int(rng.integers(1, 20)), k)).astype(np.float32) * 0.5
               for _ in range(2)]
    if seed % 4 == 0:
        weights.append(rng.standard_normal((1100 // k + 2, k)).astype(np.float32))
    transposed = seed % 2 == 1
    module = accel.parse_mlir(_linear_module(weights, transposed))
    module.run_pipeline(f"func.func(accel-prune{{n={n} m={m} exclude=}})")
    got = linears(module.to_mlir())
    for w, lin in zip(weights, got):
        assert f"sparsity = #accel.sparsity<{n}:{m}>" in lin["attrs"]
        assert lin["transposed"] == transposed
        pruned = lin["weight"].T if transposed else lin["weight"]
        keep = nm_mask_numpy(w, n, m)
        np.testing.assert_array_equal(pruned, np.where(keep, w, 0))


def test_prune_masks_override(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper
    rng = np.random.default_rng(7)
    w = rng.standard_normal((6, 16)).astype(np.float32)
    mask = np.zeros((6, 16), np.uint8)
    for r in range(6):
        for g in range(0, 16, 4):
            mask[r, g + rng.choice(4, size=2, replace=False)] = 1
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "masks",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
        [numpy_helper.from_array(mask.astype(bool), "w0")])
    path = tmp_path / "masks.onnx"
    onnx.save(helper.make_model(graph), str(path))
    module = accel.parse_mlir(_linear_module([w]))
    module.run_pipeline(f"func.func(accel-prune{{masks={path} exclude=}})")
    (lin,) = linears(module.to_mlir())
    np.testing.assert_array_equal(lin["weight"], np.where(mask == 1, w, 0))


# --------------------------------------------------------------------------
# Calibrated (GPTQ) vs round-to-nearest on a raised decoder
# --------------------------------------------------------------------------

SEQ = 16


@pytest.fixture(scope="module")
def llama_export(tmp_path_factory):
    torch = pytest.importorskip("torch")
    import decoders
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=128, ffn=256, vocab=96, layers=2)
    path = tmp_path_factory.mktemp("llama") / "llama.onnx"
    decoders.export(model, path, seq_len=8)
    return model, path


def _write_tokens(path, rng, sequences, vocab=96):
    with open(path, "w") as f:
        for _ in range(sequences):
            f.write(" ".join(str(int(t)) for t in rng.integers(0, vocab, SEQ)) + "\n")


def _load_into_torch(model, float_linears, quant_linears, bits, group):
    """A copy of `model` whose linear weights are the dequantized ones."""
    import copy
    import torch
    model = copy.deepcopy(model)
    params = {name: p for name, p in model.named_parameters() if p.dim() == 2}
    loaded = 0
    for f, q in zip(float_linears, quant_linears):
        if q["scales"] is None:
            continue
        wf = f["weight"].T if f["transposed"] else f["weight"]
        match = [p for p in params.values()
                 if tuple(p.shape) == wf.shape and np.array_equal(p.detach().numpy(), wf)]
        assert match, "no torch parameter holds this weight"
        with torch.no_grad():
            for p in match:
                p.copy_(torch.from_numpy(dequantize(q, bits, group, False)))
        loaded += 1
    assert loaded >= 14
    return model


def test_calibrated_beats_rtn_at_2_bits(llama_export, tmp_path):
    import torch
    model, path = llama_export
    rng = np.random.default_rng(0)
    calib, held = tmp_path / "calib.txt", tmp_path / "held.txt"
    _write_tokens(calib, rng, 16)
    _write_tokens(held, rng, 8)
    held_ids = torch.from_numpy(np.loadtxt(held, dtype=np.int64))

    def compressed(extra):
        m = raised(path, SEQ)
        before = linears(m.to_mlir())
        m.run_pipeline(f"func.func(accel-quantize{{scheme=w2a8kv4 group=32 {extra}}})")
        return before, linears(m.to_mlir())

    with torch.no_grad():
        reference = model(held_ids)
    errors = {}
    for method, extra in [("rtn", ""), ("calibrated", f"method=calibrated calibration={calib}")]:
        before, after = compressed(extra)
        q_model = _load_into_torch(model, before, after, 2, 32)
        with torch.no_grad():
            errors[method] = float(((q_model(held_ids) - reference) ** 2).mean())
    assert errors["calibrated"] < errors["rtn"], errors
    print("held-out logits MSE at W2 g32:", errors)


def test_calibrated_keeps_sparsity(llama_export, tmp_path):
    _, path = llama_export
    rng = np.random.default_rng(1)
    calib = tmp_path / "calib.txt"
    _write_tokens(calib, rng, 4)
    m = raised(path, SEQ)
    m.run_pipeline("func.func(accel-prune{criterion=wanda calibration=%s},"
                   "accel-quantize{scheme=w2a8kv4 group=32 method=calibrated "
                   "calibration=%s})" % (calib, calib))
    for lin in linears(m.to_mlir()):
        if lin["scales"] is None:
            continue
        assert "sparsity = #accel.sparsity<2:4>" in lin["attrs"]
        deq = dequantize(lin, 2, 32, False)
        nonzero = (deq != 0).reshape(deq.shape[0], -1, 4).sum(axis=2)
        assert nonzero.max() <= 2


# --------------------------------------------------------------------------
# accelc end to end
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_accelc_prune_quant(kind, accelc, tmp_path):
    torch = pytest.importorskip("torch")
    import decoders
    torch.manual_seed(0)
    model = decoders.build(kind, hidden=128, ffn=256, vocab=96, layers=2)
    path = tmp_path / f"{kind}.onnx"
    decoders.export(model, path, seq_len=8)
    run = subprocess.run([accelc, str(path), "--dim", "batch=1", "--dim", "sequence=8",
                          "--prune=2:4", "--quant=w2a8kv4", "--emit=accel"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    n_linear = decoders.expected_ops(kind, decoders.Config(hidden=128, ffn=256, vocab=96))["linear"]
    assert out.count("accel.linear") == n_linear
    # every linear but the LM head: 2:4 and W2 g128, with A8
    assert out.count("sparsity = #accel.sparsity<2:4>") == n_linear - 1
    assert out.count("weight_quant = #accel.quant<bits = 2, group = 128, asymmetric>") == n_linear - 1
    assert out.count("act_quant = #accel.quant<bits = 8, per_channel, symmetric>") == n_linear - 1
    assert re.search(r"kv_quant = #accel.quant<bits = 4, group = 32, asymmetric>", out)
    assert "xi2>" in out

    # calibrated variants through the flags
    calib = tmp_path / "calib.txt"
    _write_tokens(calib, np.random.default_rng(2), 2)
    run = subprocess.run([accelc, str(path), "--dim", "batch=1", "--dim", f"sequence={SEQ}",
                          "--prune=2:4", "--prune-criterion=wanda", "--quant=w4a8kv4",
                          "--quant-method=calibrated", f"--calibration={calib}",
                          "--group=64", "--emit=accel"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("weight_quant = #accel.quant<bits = 4, group = 64, asymmetric>") == n_linear - 1


def test_accelc_flag_errors(accelc, tmp_path):
    model = tmp_path / "m.onnxtxt"
    model.write_text('<ir_version: 8, opset_import: ["" : 17]>\n'
                     'g (float[1] x) => (float[1] y) { y = Identity(x) }\n')
    for flags, message in [(["--prune=2-4"], "--prune expects N:M"),
                           (["--prune=3:5"], "M in {4, 8, 16}"),
                           (["--quant=w1"], "unknown scheme 'w1'"),
                           (["--quant=w2a8kv4", "--quant-method=calibrated"],
                            "needs calibration"),
                           (["--masks=x.onnx"], "--masks needs --prune"),
                           (["--prune=2:4", "--emit=mlir"], "apply to --emit=accel")]:
        run = subprocess.run([accelc, str(model)] + flags, capture_output=True, text=True)
        assert run.returncode != 0 and message in run.stderr, (flags, run.stderr)
