"""A small LLaMA-style decoder in PyTorch, written the way the Hugging Face
LLaMA code writes it: RMSNorm, rotary embeddings (rotate-half form), SwiGLU
and grouped-query attention (repeat_kv), a causal mask added to the scores.
It takes `input_ids` [B, T] and returns logits [B, T, V]; `export` writes it
to ONNX with torch.onnx as a user would (dynamic batch and sequence axes).

The tests' LLaMA variants (test/python/decoders.py: other RoPE, RMSNorm and
mask forms) subclass these classes through their hooks: `RMSNorm.for_config`,
`Attention.rope`, the `Norm`/`Attention`/`MLP`/`Layer` class attributes and
`Llama.rope_frequencies` / `Llama.causal_mask`.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

# Debian's torch calls the reference BLAS: its matmuls run at 1-3 GFLOPS,
# its oneDNN convolutions 10-20x faster. With CONV_KERNELS set (training),
# every matmul runs as the equivalent 1x1 convolution (grouped for the
# attention's per-head products); export leaves it off, so the ONNX graph has
# the MatMuls a user's model has.
CONV_KERNELS = False


def linear(layer, x):
    """`layer(x)` for a bias-free nn.Linear and x [B, T, K]."""
    if not CONV_KERNELS:
        return layer(x)
    return F.conv1d(x.transpose(1, 2), layer.weight[:, :, None]).transpose(1, 2)


def bmm(a, b):
    """`torch.matmul(a, b)` for a [..., M, K] and b [..., K, N] of the same
    leading dims."""
    if not CONV_KERNELS:
        return torch.matmul(a, b)
    *lead, m, k = a.shape
    n = b.shape[-1]
    g = a.numel() // (m * k)
    # channels (g, k) at positions m, filters (g, n) over k: groups=g
    out = F.conv1d(a.reshape(g, m, k).transpose(1, 2).reshape(1, g * k, m),
                   b.reshape(g, k, n).transpose(1, 2).reshape(g * n, k, 1),
                   groups=g)
    return out.reshape(g, n, m).transpose(1, 2).reshape(*lead, m, n)


@dataclass
class Config:
    vocab: int = 256
    hidden: int = 128
    layers: int = 4
    heads: int = 4
    kv_heads: int = 2
    ffn: int = 384
    max_positions: int = 256
    eps: float = 1e-5


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    @classmethod
    def for_config(cls, c):
        return cls(c.hidden, c.eps)

    def forward(self, x):
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c, self.d = c, c.hidden // c.heads
        self.q_proj = nn.Linear(c.hidden, c.heads * self.d, bias=False)
        self.k_proj = nn.Linear(c.hidden, c.kv_heads * self.d, bias=False)
        self.v_proj = nn.Linear(c.hidden, c.kv_heads * self.d, bias=False)
        self.o_proj = nn.Linear(c.heads * self.d, c.hidden, bias=False)

    def rope(self, x, cos, sin):
        return x * cos + rotate_half(x) * sin

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        c, d = self.c, self.d
        q = linear(self.q_proj, x).view(b, t, c.heads, d).transpose(1, 2)
        k = linear(self.k_proj, x).view(b, t, c.kv_heads, d).transpose(1, 2)
        v = linear(self.v_proj, x).view(b, t, c.kv_heads, d).transpose(1, 2)
        q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
        rep = c.heads // c.kv_heads
        if rep > 1:
            k = k[:, :, None].expand(b, c.kv_heads, rep, t, d).reshape(b, c.heads, t, d)
            v = v[:, :, None].expand(b, c.kv_heads, rep, t, d).reshape(b, c.heads, t, d)
        scores = bmm(q, k.transpose(2, 3)) / math.sqrt(d)
        probs = F.softmax(scores + mask, dim=-1, dtype=torch.float32)
        out = bmm(probs, v).transpose(1, 2).reshape(b, t, c.heads * d)
        return linear(self.o_proj, out)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.ffn, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.ffn, bias=False)
        self.down_proj = nn.Linear(c.ffn, c.hidden, bias=False)

    def forward(self, x):
        return linear(self.down_proj, F.silu(linear(self.gate_proj, x))
                                  * linear(self.up_proj, x))


class Layer(nn.Module):
    Norm, Attention, MLP = RMSNorm, Attention, MLP

    def __init__(self, c):
        super().__init__()
        self.input_layernorm = self.Norm.for_config(c)
        self.self_attn = self.Attention(c)
        self.post_attention_layernorm = self.Norm.for_config(c)
        self.mlp = self.MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    Norm, Layer = RMSNorm, Layer

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        self.layers = nn.ModuleList(self.Layer(c) for _ in range(c.layers))
        self.norm = self.Norm.for_config(c)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)
        freqs = self.rope_frequencies(c)
        self.register_buffer("cos_cached", freqs.cos(), persistent=False)
        self.register_buffer("sin_cached", freqs.sin(), persistent=False)

    def rope_frequencies(self, c):
        """The rotary angles [max_positions, head dim], each pair's angle
        twice (rotate-half form)."""
        d = c.hidden // c.heads
        inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        freqs = torch.outer(torch.arange(c.max_positions).float(), inv_freq)
        return torch.cat((freqs, freqs), dim=-1)

    def causal_mask(self, t):
        return torch.full((t, t), float("-inf")).triu(1)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        x = self.embed_tokens(input_ids)
        cos, sin = self.cos_cached[:t], self.sin_cached[:t]
        mask = self.causal_mask(t)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return linear(self.lm_head, self.norm(x))


def export(model, path, seq_len=16, opset=17):
    """Exports `model` with torch.onnx, input_ids [batch, sequence] ->
    logits [batch, sequence, vocab], both axes dynamic."""
    model.eval()
    ids = torch.zeros((1, seq_len), dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "sequence"},
            "logits": {0: "batch", 1: "sequence"}}
    with torch.no_grad():
        torch.onnx.export(model, (ids,), str(path), input_names=["input_ids"],
                          output_names=["logits"], dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True)
