"""accel-pack against an independent numpy reader of docs/FORMATS.md.

Random float models are pruned, quantized and packed by accel-opt; the image
is then read here from the document alone (header, directory, tiles, LSB-first
bit streams, pattern codes as ranks in `itertools.combinations` order) and
must give back exactly the integers, fp16 scale bits and zero points the IR
holds, at the offsets the IR records, with the size and CRC-32 the module
attribute states.
"""

import itertools
import json
import math
import os
import re
import subprocess
import zlib

import numpy as np
import pytest

from compress_helpers import CONST, LINEAR, hex_f32, int_blob, resources

BUILD = os.environ.get(
    "ACCEL_BUILD_DIR",
    os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "build"))

# --------------------------------------------------------------------------
# Reading the IR
# --------------------------------------------------------------------------

_BITS = {"f32": np.uint32, "f16": np.uint16}


def _constants(text):
    """%name -> numpy array of bit patterns (integers: the low B bits)."""
    blobs = resources(text)
    out = {}
    for name, _, key, body, shape, dtype in CONST.findall(text):
        dims = [int(d) for d in shape.split("x")]
        count = int(np.prod(dims))
        if dtype.startswith("i"):
            bits = int(dtype[1:])
            if key:
                v = int_blob(blobs[key.strip('"')], bits, count)
            elif body.startswith('"0x'):
                v = np.frombuffer(bytes.fromhex(body[3:-1]), np.uint8).astype(np.int64)
            else:
                v = np.array([int(s) for s in re.split(r"[\[\],\s]+", body) if s],
                             dtype=np.int64)
            v = v & ((1 << bits) - 1)
        else:
            ftype = np.float32 if dtype == "f32" else np.float16
            if key:
                v = np.frombuffer(blobs[key.strip('"')], dtype=ftype)
            elif body.startswith('"0x'):
                v = np.frombuffer(bytes.fromhex(body[3:-1]), dtype=ftype)
            else:
                v = np.array([float(s) for s in re.split(r"[\[\],\s]+", body) if s],
                             dtype=ftype)
            v = v.view(_BITS[dtype]).astype(np.int64)
        if v.size != count:
            v = np.repeat(v, count)
        out[name] = v.reshape(dims)
    return out


def _dict(text):
    return {k: int(v) for k, v in re.findall(r"(\w+) = (\d+) : i64", text)}


def _linears(text):
    consts = _constants(text)
    out = []
    for weight, transposed, scales, zeros, attrs in LINEAR.findall(text):
        lin = dict(weight=consts[weight], transposed=bool(transposed),
                   scales=consts.get(scales), zeros=consts.get(zeros))
        lin["image"] = _dict(re.search(r"accel\.image = \{([^}]*)\}", attrs).group(1))
        m = re.search(r"sparsity = #accel\.sparsity<(\d+):(\d+)>", attrs)
        lin["nm"] = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        m = re.search(r"weight_quant = #accel\.quant<bits = (\d+), "
                      r"(?:group = (\d+)|per_channel), (\w+)>", attrs)
        lin["quant"] = (int(m.group(1)), int(m.group(2) or 0),
                        m.group(3) == "symmetric") if m else None
        out.append(lin)
    return out


# --------------------------------------------------------------------------
# docs/FORMATS.md, read independently
# --------------------------------------------------------------------------

A = 64


def align(x):
    return (x + A - 1) // A * A


def fields(buf, count, width):
    """`count` LSB-first `width`-bit fields of a bit stream."""
    if count == 0 or width == 0:
        return np.zeros(count, np.int64)
    bits = np.unpackbits(np.frombuffer(buf, np.uint8), bitorder="little")
    bits = bits[:count * width].reshape(count, width).astype(np.int64)
    return bits @ (np.int64(1) << np.arange(width, dtype=np.int64))


def u(buf, off, size):
    return int.from_bytes(buf[off:off + size], "little")


def tile_layout(e, r):
    integer = e["format"] in (0, 1)
    groups = r * (e["K"] // e["G"]) if integer else 0
    sparse = e["m"] != 0
    kept = e["K"] // e["m"] * e["n"] if sparse else e["K"]
    sizes = [2 * groups,
             (groups * e["B"] + 7) // 8 if e["format"] == 0 else 0,
             (r * (e["K"] // e["m"]) * e["c"] + 7) // 8 if sparse else 0,
             (r * kept * e["B"] + 7) // 8]
    offsets, at = [], 0
    for s in sizes:
        offsets.append(at)
        at += align(s)
    return offsets, sizes, at


def read_image(data):
    assert data[:8] == b"ACCELWIM"
    assert u(data, 8, 4) == 1
    count, size, crc = u(data, 12, 4), u(data, 16, 8), u(data, 24, 4)
    assert size == len(data)
    assert crc == zlib.crc32(data[64:])
    assert data[28:64] == bytes(36)
    matrices, expect = [], align(64 + 64 * count)
    for i in range(count):
        d = data[64 + 64 * i: 128 + 64 * i]
        e = dict(offset=u(d, 0, 8), bytes=u(d, 8, 8), N=u(d, 16, 8), K=u(d, 24, 8),
                 G=u(d, 32, 8), R=u(d, 40, 8), format=d[48], B=d[49], n=d[50],
                 m=d[51], c=d[52])
        assert d[53:] == bytes(11)
        assert e["offset"] == expect
        if e["m"]:
            assert e["c"] == math.ceil(math.log2(math.comb(e["m"], e["n"])))
        subsets = (list(itertools.combinations(range(e["m"]), e["n"]))
                   if e["m"] else None)
        region = data[e["offset"]: e["offset"] + e["bytes"]]
        integer = e["format"] in (0, 1)
        gpr = e["K"] // e["G"] if integer else 0
        q = np.zeros((e["N"], e["K"]), np.int64)
        scales = np.zeros((e["N"], gpr), np.int64)
        zeros = np.zeros((e["N"], gpr), np.int64)
        tiles = -(-e["N"] // e["R"])
        full = tile_layout(e, min(e["R"], e["N"]))[2]
        total = 0
        for t in range(tiles):
            r0 = t * e["R"]
            r = min(e["R"], e["N"] - r0)
            (so, zo, co, vo), (ss, zs, cs, vs), tb = tile_layout(e, r)
            tile = region[t * full: t * full + tb]
            total += tb
            # padding is zero
            for off, used in ((so, ss), (zo, zs), (co, cs), (vo, vs)):
                assert tile[off + used: off + align(used)] == bytes(align(used) - used)
            if integer:
                scales[r0:r0 + r] = fields(tile[so:so + ss], r * gpr, 16).reshape(r, gpr)
            if e["format"] == 0:
                zeros[r0:r0 + r] = fields(tile[zo:zo + zs], r * gpr, e["B"]).reshape(r, gpr)
            if not e["m"]:
                q[r0:r0 + r] = fields(tile[vo:vo + vs], r * e["K"], e["B"]).reshape(r, e["K"])
                continue
            groups = e["K"] // e["m"]
            codes = fields(tile[co:co + cs], r * groups, e["c"]).reshape(r, groups)
            vals = fields(tile[vo:vo + vs], r * groups * e["n"], e["B"]).reshape(
                r, groups, e["n"])
            for i_r in range(r):
                n_ = r0 + i_r
                pruned = (np.repeat(zeros[n_], e["G"]) if e["format"] == 0
                          else np.zeros(e["K"], np.int64))
                q[n_] = pruned
                for g in range(groups):
                    for j, p in enumerate(subsets[codes[i_r, g]]):
                        q[n_, g * e["m"] + p] = vals[i_r, g, j]
        assert total == e["bytes"]
        expect += align(e["bytes"])
        matrices.append(dict(entry=e, q=q, scales=scales, zeros=zeros))
    assert expect == size
    return matrices


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

def _model(rng):
    """Float linears of random shapes (K a multiple of 64), one transposed,
    one an LM head; several above 1024 elements (dense_resource after
    quantization)."""
    shapes = [(37, 64, False, "l0"), (16, 128, False, "l1"), (5, 64, False, "l2"),
              (24, 192, True, "l3"), (11, 64, False, "lm_head")]
    args, body, rets = [], [], []
    for i, (n, k, t, name) in enumerate(shapes):
        w = rng.standard_normal((k, n) if t else (n, k)).astype(np.float32)
        wt = f"tensor<{k}x{n}xf32>" if t else f"tensor<{n}x{k}xf32>"
        args.append(f"%x{i}: tensor<2x{k}xf32>")
        body.append(f'  %w{i} = arith.constant dense<{hex_f32(w)}> : {wt} loc("{name}.weight")')
        body.append(f"  %y{i} = accel.linear %x{i}, %w{i}{' transposed' if t else ''} : "
                    f'tensor<2x{k}xf32>, {wt} -> tensor<2x{n}xf32> loc("{name}/MatMul")')
        rets.append((f"%y{i}", f"tensor<2x{n}xf32>"))
    return ("func.func @m(" + ", ".join(args) + ") -> (" +
            ", ".join(t for _, t in rets) + ") {\n" + "\n".join(body) +
            "\n  return " + ", ".join(v for v, _ in rets) + " : " +
            ", ".join(t for _, t in rets) + "\n}\n")


CONFIGS = [
    ("accel-prune{n=2 m=4}", "accel-quantize{group=32}", 16),
    ("accel-prune{n=1 m=8}", "accel-quantize{weight-bits=3 group=16 symmetric=1}", 5),
    ("", "accel-quantize{scheme=w4a8kv4 group=0}", 0),
    ("accel-prune{n=5 m=16}", "accel-quantize{scheme=w8a8kv8 group=32 symmetric=1}", 1),
    ("accel-prune{n=3 m=8 exclude=}", "accel-quantize{scheme=w4a8kv4 group=64 exclude=}", 7),
    ("accel-prune{n=2 m=4}", "accel-quantize{scheme=none}", 3),
]


@pytest.mark.parametrize("prune,quantize,rows", CONFIGS)
def test_image_matches_ir(tmp_path, prune, quantize, rows):
    opt = os.path.join(BUILD, "bin", "accel-opt")
    if not os.path.exists(opt):
        pytest.skip(f"{opt} is not built")
    rng = np.random.default_rng(zlib.crc32((prune + quantize).encode()))
    src = tmp_path / "m.mlir"
    src.write_text(_model(rng))
    img = tmp_path / "w.img"
    passes = ",".join(p for p in (prune, quantize) if p)
    pipeline = (f"builtin.module(func.func({passes}),"
                f"accel-pack{{output={img} rows-per-tile={rows}}})")
    text = subprocess.run([opt, str(src), f"--pass-pipeline={pipeline}"],
                          check=True, capture_output=True, text=True).stdout
    data = img.read_bytes()
    module = _dict(re.search(r"accel\.weight_image = \{([^}]*)\}", text).group(1))
    assert module == dict(bytes=len(data), crc32=zlib.crc32(data[64:]),
                          linears=5, version=1)

    lins = _linears(text)
    mats = read_image(data)
    assert len(lins) == len(mats) == 5
    for i, (lin, mat) in enumerate(zip(lins, mats)):
        e, image = mat["entry"], lin["image"]
        assert image["index"] == i
        assert (image["offset"], image["bytes"]) == (e["offset"], e["bytes"])
        assert image["rows_per_tile"] == e["R"]
        assert image["tiles"] == -(-e["N"] // e["R"])
        w = lin["weight"].T if lin["transposed"] else lin["weight"]
        assert (e["N"], e["K"]) == w.shape
        nm = lin["nm"] if lin["nm"][0] < lin["nm"][1] else (0, 0)
        assert (e["n"], e["m"]) == nm
        if lin["quant"]:
            bits, group, sym = lin["quant"]
            assert (e["format"], e["B"], e["G"]) == (int(sym), bits, group or e["K"])
            qm = mat["q"] & ((1 << bits) - 1)  # the IR's bits: low B of two's complement
            np.testing.assert_array_equal(qm, w)
            np.testing.assert_array_equal(mat["scales"], lin["scales"])
            if not sym:
                np.testing.assert_array_equal(mat["zeros"], lin["zeros"])
        else:
            assert (e["format"], e["B"], e["G"]) == (2, 32, 0)
            np.testing.assert_array_equal(mat["q"], w)


def square_model(tmp_path, name, nodes, seed):
    """A graph x [4, 8] -> `nodes` (helper.make_node arguments, reading the
    one 8x8 initializer W) -> y [4, 8], saved as `name`.onnx; and W."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    w = np.random.default_rng(seed).standard_normal((8, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node(*args, **attrs) for args, attrs in nodes],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
        [numpy_helper.from_array(w, "W")])
    model = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), model)
    return model, w


def accelc(model, image, package):
    subprocess.run([os.path.join(BUILD, "bin", "accelc"), str(model),
                    "--weight-image=" + str(image), "-o", str(package)],
                   check=True)


def test_square_weight_transposed_and_not(tmp_path):
    """accelc packs a batch at a time (WeightPacker): one square constant
    used transposed (MatMul) and not (Gemm, transB=1) is two matrices, W^T
    and W, not one region shared by both."""
    model, w = square_model(tmp_path, "square", [
        (("MatMul", ["x", "W"], ["h"]), dict(name="matmul")),
        (("Gemm", ["h", "W"], ["y"]), dict(transB=1, name="gemm"))], 4)
    img = tmp_path / "square.wimg"
    accelc(model, img, tmp_path / "square.accel")
    mats = read_image(img.read_bytes())
    assert len(mats) == 2
    np.testing.assert_array_equal(mats[0]["q"], w.T.view(np.uint32))
    np.testing.assert_array_equal(mats[1]["q"], w.view(np.uint32))


def test_shared_weight_placement_is_ordered(tmp_path):
    """Two linears reading one weight the same way share its image region
    but are placed apart in HBM: the package lists their segments in one
    order (image offset, channel, region offset), not the compiler's
    pointer order, so that two compiles write the same bytes."""
    model, _ = square_model(tmp_path, "shared", [
        (("MatMul", [a, "W"], [b]), dict(name=b))
        for a, b in [("x", "h"), ("h", "g"), ("g", "y")]], 5)
    packages = []
    for i in range(2):
        package = tmp_path / f"shared{i}.accel"
        accelc(model, tmp_path / f"shared{i}.wimg", package)
        packages.append(package.read_bytes())
    assert packages[0] == packages[1]
    metadata = json.loads(subprocess.run(
        [os.path.join(BUILD, "bin", "accel-objdump"), "--section=metadata",
         str(tmp_path / "shared0.accel")],
        check=True, capture_output=True, text=True).stdout)
    weights = [(s["offset"], s["channel"], s["region_offset"])
               for s in metadata["placement"] if s["section"] == "weights"]
    assert len(weights) == 3 and len({s[0] for s in weights}) == 1
    assert len(set(weights)) == 3
    assert weights == sorted(weights)
