#!/usr/bin/env python3
"""From a torch model to the simulated engine in a few lines.

Builds a small LLaMA-style decoder in plain torch (RMSNorm, rotary
embeddings, grouped-query attention, SwiGLU; random weights), hands it to
`accel.from_torch` (which exports it with torch.onnx and imports the ONNX),
raises it to accel ops, prints what it became, and checks that accel's
reference executor gives torch's logits. Then compiles it the AccLLM way
(2:4 pruning, W2A8KV4, Λ attention) with `accel.compile`, runs the package
on the simulated engine with `accel.simulate`, and prints the generated
tokens next to torch's fp32 greedy ones (2-bit weights may change them) and
a few figures of the performance report.

    /usr/bin/python3 examples/from_torch.py    # after the build, in build/

It imports `accel` from PYTHONPATH if set, else from the build tree named by
ACCEL_BUILD_DIR (default: build/).
"""

import math
import os
import sys
import tempfile
import warnings

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.join(os.environ.get("ACCEL_BUILD_DIR", os.path.join(ROOT, "build")),
                             "python"))
import accel  # noqa: E402

VOCAB, HIDDEN, HEADS, KV_HEADS, FFN, LAYERS, SEQ = 128, 64, 4, 2, 172, 2, 12
PROMPT, NEW_TOKENS = [5, 17, 42, 99, 3, 64, 8, 21], 8


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.d = HIDDEN // HEADS
        self.norm1, self.norm2 = RMSNorm(HIDDEN), RMSNorm(HIDDEN)
        self.q = nn.Linear(HIDDEN, HEADS * self.d, bias=False)
        self.k = nn.Linear(HIDDEN, KV_HEADS * self.d, bias=False)
        self.v = nn.Linear(HIDDEN, KV_HEADS * self.d, bias=False)
        self.o = nn.Linear(HEADS * self.d, HIDDEN, bias=False)
        self.gate = nn.Linear(HIDDEN, FFN, bias=False)
        self.up = nn.Linear(HIDDEN, FFN, bias=False)
        self.down = nn.Linear(FFN, HIDDEN, bias=False)

    def attention(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q(x).view(b, t, HEADS, self.d).transpose(1, 2)
        k = self.k(x).view(b, t, KV_HEADS, self.d).transpose(1, 2)
        v = self.v(x).view(b, t, KV_HEADS, self.d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        # Grouped-query heads as Hugging Face's repeat_kv writes it
        # (repeat_interleave with dynamic axes exports an ONNX Loop over
        # sequences, which accel does not import).
        rep = HEADS // KV_HEADS
        k = k[:, :, None].expand(b, KV_HEADS, rep, t, self.d).reshape(b, HEADS, t, self.d)
        v = v[:, :, None].expand(b, KV_HEADS, rep, t, self.d).reshape(b, HEADS, t, self.d)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d) + mask
        out = F.softmax(scores, dim=-1) @ v
        return self.o(out.transpose(1, 2).reshape(b, t, HEADS * self.d))

    def forward(self, x, cos, sin, mask):
        x = x + self.attention(self.norm1(x), cos, sin, mask)
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class TinyLlama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = RMSNorm(HIDDEN)
        self.head = nn.Linear(HIDDEN, VOCAB, bias=False)
        d = HIDDEN // HEADS
        inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        freqs = torch.outer(torch.arange(256).float(), inv_freq)
        freqs = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", freqs.cos(), persistent=False)
        self.register_buffer("sin", freqs.sin(), persistent=False)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.embed(input_ids)
        for block in self.blocks:
            x = block(x, self.cos[:t], self.sin[:t], mask)
        return self.head(self.norm(x))


def main():
    torch.manual_seed(0)
    model = TinyLlama().eval()
    ids = torch.randint(0, VOCAB, (1, SEQ))

    # Export as users do (dynamic batch and sequence); from_torch imports the
    # model at the example's sizes, so the shapes raising needs are static.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # torch.onnx's tracer warnings
        module = accel.from_torch(
            model, (ids,), input_names=["input_ids"], output_names=["logits"],
            opset=17, dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch", 1: "sequence"}})
    print("imported:", module.inputs, "->", module.outputs)

    accel.raise_to_accel(module)
    summary = accel.op_summary(module)
    print("accel ops:", ", ".join(f"{name} x{n}" for name, n in sorted(summary.items())))
    left = accel.op_summary(module, "onnx").get("node", 0)
    print(f"onnx nodes left: {left}")

    with torch.no_grad():
        expected = model(ids).numpy()
    logits = accel.reference_run(module, {"input_ids": ids.numpy()})["logits"]
    error = float(np.abs(logits - expected).max() / np.abs(expected).max())
    print(f"max relative error vs torch: {error:.2e}")
    ok = error < 1e-4 and summary.get("attention") == LAYERS

    # The AccLLM way, as `accelc --prune=2:4 --quant=w2a8kv4 --lambda=4,1020`
    # would compile it, then the prompt through the simulated engine.
    with tempfile.TemporaryDirectory() as tmp:
        package = accel.compile(module, os.path.join(tmp, "model.accel"),
                                prune="2:4", quant="w2a8kv4", lambda_=(4, 1020))
        print(f"package: {os.path.getsize(package)} bytes")
        result = accel.simulate(package, PROMPT, NEW_TOKENS)
    report = result["report"]
    print("prompt:         ", " ".join(map(str, PROMPT)))
    print("engine tokens:  ", " ".join(map(str, result["tokens"])))
    reference = greedy(model, PROMPT, NEW_TOKENS)
    print("fp32 tokens:    ", " ".join(map(str, reference)))
    same = sum(a == b for a, b in zip(result["tokens"], reference))
    print(f"same as fp32: {same}/{NEW_TOKENS} (2-bit weights and 2:4 pruning may change them)")
    hbm = report["total"]["hbm"]
    print(f"prefill: {report['prefill']['tokens']} tokens, "
          f"{report['prefill']['tokens_per_second']:.0f} token/s")
    print(f"decode: {report['decode']['steps']} steps, "
          f"{report['decode']['tokens_per_second']:.0f} token/s, "
          f"{report['decode']['tokens_per_joule']:.1f} token/J")
    print(f"HBM: {hbm['read_bytes']} bytes read, {hbm['gbps']:.2f} GB/s "
          f"({100 * hbm['fraction_of_peak']:.1f}% of the peak "
          f"{report['peak']['hbm_gbps']:.0f} GB/s)")
    ok = ok and len(result["tokens"]) == NEW_TOKENS
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


def greedy(model, prompt, new_tokens):
    """torch's fp32 greedy continuation of `prompt`."""
    ids = torch.tensor([prompt])
    with torch.no_grad():
        for _ in range(new_tokens):
            next_id = model(ids)[0, -1].argmax()
            ids = torch.cat([ids, next_id.view(1, 1)], dim=1)
    return ids[0, len(prompt):].tolist()


if __name__ == "__main__":
    sys.exit(main())
