"""Decoder LLMs written the way model code commonly writes them, for tests.

`Llama` follows the Hugging Face LLaMA code (RMSNorm, rotary embeddings in
the rotate-half or the interleaved-pair form, SwiGLU, grouped-query attention
with repeat_kv, causal mask added to the scores); `GPT2` follows GPT-2 (learned
positions, LayerNorm, one fused QKV projection split in three, GELU in the erf
or tanh form, a causal mask applied with torch.where, LM head tied to the
token embedding). Both take `input_ids` [B, T] and return logits [B, T, V].
"""

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F


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


class RMSNorm(nn.Module):
    def __init__(self, dim, eps, form):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(dim))
        self.eps, self.form = eps, form

    def forward(self, x):
        if self.form == "weight_first":   # (w * x) * rsqrt(...): same value, other association
            return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        if self.form == "rsqrt":
            x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        else:
            x = x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return self.weight * x


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_rotate_half(x, cos, sin):
    return x * cos + rotate_half(x) * sin


def rope_interleaved(x, cos, sin):
    # cos/sin hold one value per pair: [.., T, D/2]
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    x0, x1 = pairs[..., 0], pairs[..., 1]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)
    return out.flatten(-2)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c, self.d = c, c.hidden // c.heads
        self.q_proj = nn.Linear(c.hidden, c.heads * self.d, bias=False)
        self.k_proj = nn.Linear(c.hidden, c.kv_heads * self.d, bias=False)
        self.v_proj = nn.Linear(c.hidden, c.kv_heads * self.d, bias=False)
        self.o_proj = nn.Linear(c.heads * self.d, c.hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        c, d = self.c, self.d
        q = self.q_proj(x).view(b, t, c.heads, d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, c.kv_heads, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, c.kv_heads, d).transpose(1, 2)
        rope = rope_rotate_half if c.rope == "rotate_half" else rope_interleaved
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = c.heads // c.kv_heads
        if rep > 1:
            k = k[:, :, None].expand(b, c.kv_heads, rep, t, d).reshape(b, c.heads, t, d)
            v = v[:, :, None].expand(b, c.kv_heads, rep, t, d).reshape(b, c.heads, t, d)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(d)
        probs = F.softmax(scores + mask, dim=-1, dtype=torch.float32)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, c.heads * d)
        return self.o_proj(out)


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.ffn, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.ffn, bias=False)
        self.down_proj = nn.Linear(c.ffn, c.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden, c.eps, c.rms_form)
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden, c.eps, c.rms_form)
        self.mlp = LlamaMLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        d = c.hidden // c.heads
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        self.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.hidden, c.eps, c.rms_form)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        freqs = torch.outer(torch.arange(c.max_positions).float(), inv_freq)
        if c.rope == "rotate_half":
            freqs = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", freqs.cos(), persistent=False)
        self.register_buffer("sin_cached", freqs.sin(), persistent=False)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        x = self.embed_tokens(input_ids)
        cos, sin = self.cos_cached[:t], self.sin_cached[:t]
        if self.c.mask == "triu":
            mask = torch.full((t, t), float("-inf")).triu(1)
        else:
            positions = torch.arange(t)
            mask = torch.where(positions[None, :] > positions[:, None],
                               torch.tensor(float("-inf")), torch.tensor(0.0))
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


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
