"""Decoder LLMs written the way model code commonly writes them, for tests.

`Llama` follows the Hugging Face LLaMA code (RMSNorm, rotary embeddings in
the rotate-half or the interleaved-pair form, SwiGLU, grouped-query attention
with repeat_kv, causal mask added to the scores): examples/llama.py's model,
with the variants the tests need in subclasses; `GPT2` follows GPT-2 (learned
positions, LayerNorm, one fused QKV projection split in three, GELU in the erf
or tanh form, a causal mask applied with torch.where, LM head tied to the
token embedding). Both take `input_ids` [B, T] and return logits [B, T, V].
"""

import math
import os
import sys
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples"))
import llama as example  # noqa: E402  examples/llama.py


@dataclass
class Config:
    vocab: int = 96
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    ffn: int = 128
    max_positions: int = 64
    rope: str = "rotate_half"   # or "interleaved"
    rms_form: str = "rsqrt"     # or "div_sqrt", "weight_first"
    gelu: str = "tanh"          # GPT-2: "tanh" or "erf"
    mask: str = "triu"          # LLaMA: "triu" (opset >= 14) or "arange"
    tied: bool = True           # GPT-2: LM head shares the embedding
    eps: float = 1e-5


class RMSNorm(example.RMSNorm):
    """Weights away from 1, and the other ways model code writes the norm."""

    def __init__(self, dim, eps, form):
        super().__init__(dim, eps)
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(dim))
        self.form = form

    @classmethod
    def for_config(cls, c):
        return cls(c.hidden, c.eps, c.rms_form)

    def forward(self, x):
        if self.form == "weight_first":   # (w * x) * rsqrt(...): same value, other association
            return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        if self.form == "rsqrt":
            return super().forward(x)
        x = x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return self.weight * x


def rope_interleaved(x, cos, sin):
    # cos/sin hold one value per pair: [.., T, D/2]
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    x0, x1 = pairs[..., 0], pairs[..., 1]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)
    return out.flatten(-2)


class LlamaAttention(example.Attention):
    def rope(self, x, cos, sin):
        if self.c.rope == "rotate_half":
            return super().rope(x, cos, sin)
        return rope_interleaved(x, cos, sin)


class LlamaLayer(example.Layer):
    Norm, Attention = RMSNorm, LlamaAttention


class Llama(example.Llama):
    Norm, Layer = RMSNorm, LlamaLayer

    def rope_frequencies(self, c):
        freqs = super().rope_frequencies(c)
        if c.rope == "rotate_half":
            return freqs
        return freqs[:, : freqs.shape[1] // 2]

    def causal_mask(self, t):
        if self.c.mask == "triu":
            return super().causal_mask(t)
        positions = torch.arange(t)
        return torch.where(positions[None, :] > positions[:, None],
                           torch.tensor(float("-inf")), torch.tensor(0.0))


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c, self.d = c, c.hidden // c.heads
        self.ln_1 = nn.LayerNorm(c.hidden, eps=c.eps)
        self.c_attn = nn.Linear(c.hidden, 3 * c.hidden)
        self.c_proj = nn.Linear(c.hidden, c.hidden)
        self.ln_2 = nn.LayerNorm(c.hidden, eps=c.eps)
        self.c_fc = nn.Linear(c.hidden, c.ffn)
        self.mlp_proj = nn.Linear(c.ffn, c.hidden)
        self.register_buffer(
            "bias", torch.tril(torch.ones(c.max_positions, c.max_positions, dtype=torch.bool)),
            persistent=False)

    def attention(self, x):
        b, t, h = x.shape
        heads, d = self.c.heads, self.d
        q, k, v = self.c_attn(x).split(h, dim=2)
        q = q.view(b, t, heads, d).transpose(1, 2)
        k = k.view(b, t, heads, d).transpose(1, 2)
        v = v.view(b, t, heads, d).transpose(1, 2)
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
        causal = self.bias[:t, :t]
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min))
        w = F.softmax(w, dim=-1)
        out = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, t, h)
        return self.c_proj(out)

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        approximate = "tanh" if self.c.gelu == "tanh" else "none"
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate=approximate))


class GPT2(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c.vocab, c.hidden)
        self.wpe = nn.Embedding(c.max_positions, c.hidden)
        self.h = nn.ModuleList(GPT2Block(c) for _ in range(c.layers))
        self.ln_f = nn.LayerNorm(c.hidden, eps=c.eps)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)
        if c.tied:
            self.lm_head.weight = self.wte.weight

    def forward(self, input_ids):
        t = input_ids.shape[1]
        positions = torch.arange(t, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(positions)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def export(model, path, seq_len=8, opset=17, dynamic=True, batch=1):
    """Exports `model` with torch.onnx as a user would, input_ids -> logits."""
    model.eval()
    ids = torch.randint(0, model.c.vocab, (batch, seq_len))
    axes = {"input_ids": {0: "batch", 1: "sequence"},
            "logits": {0: "batch", 1: "sequence"}} if dynamic else None
    with torch.no_grad():
        torch.onnx.export(model, (ids,), str(path), input_names=["input_ids"],
                          output_names=["logits"], dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True)
    return ids


def perturb_layernorms(model, scale=0.1):
    """Moves every nn.LayerNorm's weight and bias away from their 1 / 0
    initialization, so that the tests see the affine part (a zero bias is
    dropped by canonicalization and would hide a lost one)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.add_(scale * torch.randn_like(module.weight))
                module.bias.add_(scale * torch.randn_like(module.bias))
    return model


def build(kind, **config):
    """A `Llama` or `GPT2` (kind "llama" / "gpt2") of `Config(**config)`,
    in eval mode, with non-trivial LayerNorm parameters."""
    cls = {"llama": Llama, "gpt2": GPT2}[kind]
    return perturb_layernorms(cls(Config(**config))).eval()


def expected_ops(kind, c: Config):
    """The accel ops raising must produce for a decoder of config `c`."""
    n = c.layers
    if kind == "llama":
        # q, k, v, o, gate, up, down per layer + the LM head; two RMSNorms
        # per layer + the final one; RoPE on q and on k; one gated SiLU.
        return {"embedding": 1, "linear": 7 * n + 1, "rmsnorm": 2 * n + 1,
                "rope": 2 * n, "attention": n, "activation": n}
    # q, k and v (the fused QKV projection split in three), attention output,
    # fc, proj per layer + the LM head; token and position embeddings; no
    # RoPE.
    return {"embedding": 2, "linear": 6 * n + 1, "layernorm": 2 * n + 1,
            "attention": n, "activation": n}
