#!/usr/bin/python3
"""Writes a LLaMA-shaped ONNX decoder with deterministic pseudo-random weights.

    bench/gen_llama.py --shape=7b --seq=16 -o /tmp/llama7b/model.onnx

The graph is the one torch.onnx (opset 17) exports for the Hugging Face LLaMA
code, node for node as test/python/decoders.py's `Llama` exports it: RMSNorm
as Pow/ReduceMean/Add/Sqrt/Div/Mul/Mul, rotate-half RoPE with constant
cos/sin tables, repeat_kv as Unsqueeze/Expand/Reshape (GQA), the Trilu causal
mask added to the scores, Softmax, SwiGLU as Sigmoid/Mul, MatMul by [K, N]
weights. Batch 1 and the sequence length (--seq) are static, so every shape
is known and accel-raise-onnx raises all of it.

Weights go to one external data file beside the model (`<model>.data`,
4096-byte aligned), written as they are generated, in chunks: the script
never holds more than one chunk of a tensor in memory. Each tensor's values
are uniform in [-a, a] (a = sqrt(3) * 0.02, the standard deviation of
LLaMA's initialisation) from numpy's PCG64 seeded by (--seed, tensor index),
so a shape and seed always give the same bytes. RMSNorm weights are
1 + 0.1 * uniform, inline.

--dtype=fp16 (the default, as LLaMA-2's checkpoints are published) stores
fp16 initializers and makes the whole graph fp16, activations included (as
torch.onnx exports a `.half()` model; ONNX's MatMul needs both operands of one
type); accelc gives it the engine's fp32 activations and reads the f16
weights where they lie (accel-f32-activations). --dtype=fp32 writes the fp32
graph, twice the bytes.
"""

import argparse
import math
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

SHAPES = {
    # name: layers, hidden, heads, kv_heads, ffn, vocab
    "7b": (32, 4096, 32, 32, 11008, 32000),
    "1b": (16, 2048, 32, 8, 5632, 32000),
    "tiny": (2, 256, 4, 2, 512, 512),
}

ALIGN = 4096
CHUNK = 1 << 22  # elements generated at a time


class Writer:
    """Appends tensors to the external data file, chunk by chunk."""

    def __init__(self, path, dtype, seed):
        self.path, self.dtype, self.seed = path, dtype, seed
        self.file = open(path, "wb")
        self.offset = 0
        self.index = 0
        self.bytes = 0

    def tensor(self, name, dims, scale=math.sqrt(3.0) * 0.02):
        """A [dims] initializer of uniform values in [-scale, scale]."""
        pad = (-self.offset) % ALIGN
        if pad:
            self.file.write(b"\0" * pad)
            self.offset += pad
        rng = np.random.Generator(np.random.PCG64([self.seed, self.index]))
        self.index += 1
        count = int(np.prod(dims))
        start = self.offset
        done = 0
        while done < count:
            n = min(CHUNK, count - done)
            chunk = rng.random(n, dtype=np.float32)
            chunk *= 2.0 * scale
            chunk -= scale
            data = chunk.astype(self.dtype, copy=False).tobytes()
            self.file.write(data)
            self.offset += len(data)
            done += n
        length = self.offset - start
        self.bytes += length
        t = TensorProto()
        t.name = name
        t.data_type = (TensorProto.FLOAT16 if self.dtype == np.float16
                       else TensorProto.FLOAT)
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", os.path.basename(self.path)),
                           ("offset", str(start)), ("length", str(length))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        return t

    def close(self):
        self.file.close()


class Graph:
    """Nodes named as torch.onnx names them (the scope, then the op)."""

    def __init__(self, elem):
        self.elem = elem
        self.nodes, self.inits = [], []
        self.count = {}

    def const(self, scope, value, elem=None):
        name = self.unique(scope + "/Constant")
        arr = np.asarray(value)
        if elem is None:
            elem = TensorProto.INT64 if arr.dtype.kind == "i" else self.elem
        np_type = {TensorProto.INT64: np.int64, TensorProto.FLOAT: np.float32,
                   TensorProto.FLOAT16: np.float16}[elem]
        tensor = helper.make_tensor(name + "_value", elem, arr.shape,
                                    arr.astype(np_type).tobytes(), raw=True)
        out = name + "_output_0"
        self.nodes.append(helper.make_node("Constant", [], [out], name=name,
                                           value=tensor))
        return out

    def unique(self, name):
        n = self.count.get(name, 0)
        self.count[name] = n + 1
        return name if n == 0 else "%s_%d" % (name, n)

    def op(self, scope, op_type, inputs, **attrs):
        name = self.unique(scope + "/" + op_type)
        out = name + "_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=name,
                                           **attrs))
        return out


def rms_norm(g, scope, x, weight, eps):
    p = g.op(scope, "Pow", [x, g.const(scope, 2.0)])
    m = g.op(scope, "ReduceMean", [p], axes=[-1], keepdims=1)
    a = g.op(scope, "Add", [m, g.const(scope, eps)])
    s = g.op(scope, "Sqrt", [a])
    d = g.op(scope, "Div", [g.const(scope, 1.0), s])
    y = g.op(scope, "Mul", [x, d])
    return g.op(scope, "Mul", [weight, y])


def rope(g, scope, x, cos, sin, d):
    c = g.op(scope, "Mul", [x, cos])
    i64 = lambda v: g.const(scope, np.array([v], np.int64))
    lo = g.op(scope, "Slice", [x, i64(0), i64(d // 2), i64(3), i64(1)])
    hi = g.op(scope, "Slice", [x, i64(d // 2), i64(2 ** 63 - 1), i64(3),
                               i64(1)])
    neg = g.op(scope, "Neg", [hi])
    rot = g.op(scope, "Concat", [neg, lo], axis=-1)
    s = g.op(scope, "Mul", [rot, sin])
    return g.op(scope, "Add", [c, s])


def build(shape, seq, dtype, seed, out_path, progress):
    layers, hidden, heads, kv_heads, ffn, vocab = SHAPES[shape]
    d = hidden // heads
    np_dtype = np.float16 if dtype == "fp16" else np.float32
    elem = TensorProto.FLOAT16 if dtype == "fp16" else TensorProto.FLOAT
    data_path = out_path + ".data"
    w = Writer(data_path, np_dtype, seed)
    g = Graph(elem)
    eps = 1e-5
    t = seq

    def norm_weight(name):
        rng = np.random.Generator(np.random.PCG64([seed, 1 << 20, w.index]))
        w.index += 1
        values = (1.0 + 0.1 * (2.0 * rng.random(hidden, dtype=np.float32)
                               - 1.0)).astype(np_dtype)
        g.inits.append(helper.make_tensor(name, elem, [hidden],
                                          values.tobytes(), raw=True))
        return name

    g.inits.append(w.tensor("embed_tokens.weight", [vocab, hidden]))
    x = g.op("/embed_tokens", "Gather", ["embed_tokens.weight", "input_ids"])
    mask = g.op("", "Trilu", [g.const("", np.full((t, t), -np.inf)),
                              g.const("", np.array(1, np.int64))], upper=1)
    inv_freq = 1.0 / (10000 ** (np.arange(0, d, 2, dtype=np.float32) / d))
    freqs = np.outer(np.arange(t, dtype=np.float32), inv_freq)
    freqs = np.concatenate([freqs, freqs], axis=-1).astype(np.float32)
    cos_table, sin_table = np.cos(freqs), np.sin(freqs)

    started = time.time()
    for i in range(layers):
        pre = "/layers.%d" % i
        attn = pre + "/self_attn"

        def linear(scope, x, k, n, what):
            name = "layers.%d.%s.weight" % (i, what)
            g.inits.append(w.tensor(name, [k, n]))  # [K, N], as MatMul takes it
            return g.op(scope, "MatMul", [x, name])

        h = rms_norm(g, pre + "/input_layernorm", x,
                     norm_weight("layers.%d.input_layernorm.weight" % i), eps)
        q = linear(attn + "/q_proj", h, hidden, heads * d, "self_attn.q_proj")
        q = g.op(attn, "Reshape", [q, g.const(attn, np.array([1, t, heads, d]))],
                 allowzero=0)
        q = g.op(attn, "Transpose", [q], perm=[0, 2, 1, 3])
        k = linear(attn + "/k_proj", h, hidden, kv_heads * d, "self_attn.k_proj")
        k = g.op(attn, "Reshape",
                 [k, g.const(attn, np.array([1, t, kv_heads, d]))], allowzero=0)
        k = g.op(attn, "Transpose", [k], perm=[0, 2, 1, 3])
        v = linear(attn + "/v_proj", h, hidden, kv_heads * d, "self_attn.v_proj")
        v = g.op(attn, "Reshape",
                 [v, g.const(attn, np.array([1, t, kv_heads, d]))], allowzero=0)
        v = g.op(attn, "Transpose", [v], perm=[0, 2, 1, 3])
        q = rope(g, attn, q, g.const(attn, cos_table), g.const(attn, sin_table), d)
        k = rope(g, attn, k, g.const(attn, cos_table), g.const(attn, sin_table), d)
        rep = heads // kv_heads
        if rep > 1:
            def repeat(y):
                y = g.op(attn, "Unsqueeze", [y, g.const(attn, np.array([2]))])
                y = g.op(attn, "Expand",
                         [y, g.const(attn, np.array([1, kv_heads, rep, t, d]))])
                return g.op(attn, "Reshape",
                            [y, g.const(attn, np.array([1, heads, t, d]))],
                            allowzero=0)
            k, v = repeat(k), repeat(v)
        kt = g.op(attn, "Transpose", [k], perm=[0, 1, 3, 2])
        s = g.op(attn, "MatMul", [q, kt])
        s = g.op(attn, "Div", [s, g.const(attn, float(math.sqrt(d)))])
        s = g.op(attn, "Add", [s, mask])
        p = g.op(attn, "Softmax", [s], axis=-1)
        p = g.op(attn, "Cast", [p], to=elem)
        o = g.op(attn, "MatMul", [p, v])
        o = g.op(attn, "Transpose", [o], perm=[0, 2, 1, 3])
        o = g.op(attn, "Reshape", [o, g.const(attn, np.array([1, t, hidden]))],
                 allowzero=0)
        o = linear(attn + "/o_proj", o, heads * d, hidden, "self_attn.o_proj")
        x = g.op(pre, "Add", [x, o])
        h = rms_norm(g, pre + "/post_attention_layernorm", x,
                     norm_weight("layers.%d.post_attention_layernorm.weight" % i),
                     eps)
        mlp = pre + "/mlp"
        gate = linear(mlp + "/gate_proj", h, hidden, ffn, "mlp.gate_proj")
        act = g.op(mlp, "Mul", [gate, g.op(mlp, "Sigmoid", [gate])])
        up = linear(mlp + "/up_proj", h, hidden, ffn, "mlp.up_proj")
        down = linear(mlp + "/down_proj", g.op(mlp, "Mul", [act, up]), ffn,
                      hidden, "mlp.down_proj")
        x = g.op(pre, "Add", [x, down])
        if progress:
            print("\rgen_llama: layer %d/%d, %.2f GB, %.0f s" %
                  (i + 1, layers, w.bytes / 1e9, time.time() - started),
                  end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)

    x = rms_norm(g, "/norm", x, norm_weight("norm.weight"), eps)
    g.inits.append(w.tensor("lm_head.weight", [hidden, vocab]))
    g.nodes.append(helper.make_node("MatMul", [x, "lm_head.weight"], ["logits"],
                                    name="/lm_head/MatMul"))
    w.close()

    graph = helper.make_graph(
        g.nodes, "llama_" + shape,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, t])],
        [helper.make_tensor_value_info("logits", elem, [1, t, vocab])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="accel bench/gen_llama.py")
    model.ir_version = 8
    onnx.save(model, out_path)
    params = sum(int(np.prod(i.dims)) for i in g.inits)
    return params, w.bytes + sum(len(i.raw_data) for i in g.inits)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    parser.add_argument("--seq", type=int, default=16,
                        help="static sequence length of the traced graph")
    parser.add_argument("--dtype", choices=["fp32", "fp16"], default="fp16")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True,
                        help="model path (the weights go to <model>.data)")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    started = time.time()
    params, nbytes = build(args.shape, args.seq, args.dtype, args.seed,
                           args.output, sys.stderr.isatty())
    print("gen_llama: %s (%s, seq %d): %d parameters, %.3f GB of weights, "
          "%.1f s -> %s" % (args.shape, args.dtype, args.seq, params,
                            nbytes / 1e9, time.time() - started, args.output))


if __name__ == "__main__":
    main()
