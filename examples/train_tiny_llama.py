"""Trains the bundled tiny LLaMA-style model and exports it to ONNX.

    /usr/bin/python3 examples/train_tiny_llama.py [--out examples/tiny_llama]

The corpus is the license texts of Debian's base system,
/usr/share/common-licenses (package base-files, on every Debian machine),
read as bytes (one token per byte, vocabulary 256). Apache-2.0 is held out
for evaluation (tools/accel-eval); the model trains on the other 13 files.
The model (examples/llama.py: RMSNorm, rotary embeddings, SwiGLU,
grouped-query attention) has 4 layers, hidden 128, 4 query heads of 32 and
2 KV heads, FFN 384, a context of 256 bytes; seeded, it trains in a few
minutes on 2 CPU cores. Writes to the output folder:

    model.onnx       torch.onnx export, opset 17, dynamic batch and sequence
    tokenizer.json   the byte-level tokenizer
    samples.json     the fp32 model's greedy continuations of a few prompts
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import llama

CORPUS = "/usr/share/common-licenses"
HELD_OUT = ["Apache-2.0"]
PROMPTS = ["This License", "You may ", "the Free Software Foundation"]
SAMPLE_TOKENS = 160


def corpus_files():
    """The corpus's files in sorted order, each once (GPL, LGPL and GFDL
    are symlinks to a versioned file)."""
    return [name for name in sorted(os.listdir(CORPUS))
            if not os.path.islink(os.path.join(CORPUS, name))]


def read_bytes(names):
    return b"\n\n".join(open(os.path.join(CORPUS, n), "rb").read()
                        for n in names)


def tokenizer():
    return {
        "type": "bytes",
        "vocab_size": 256,
        "description": "byte-level: the token id of a byte is its value; "
                       "text is encoded as UTF-8 and decoded from bytes",
    }


def greedy(model, prompt, count):
    ids = list(prompt.encode())
    with torch.no_grad():
        for _ in range(count):
            window = torch.tensor([ids[-model.c.max_positions:]])
            ids.append(int(model(window)[0, -1].argmax()))
    return bytes(ids[len(prompt.encode()):]).decode(errors="replace")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "tiny_llama"))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    config = llama.Config()
    train_names = [n for n in corpus_files() if n not in HELD_OUT]
    train = np.frombuffer(read_bytes(train_names), np.uint8).astype(np.int64)
    held = np.frombuffer(read_bytes(HELD_OUT), np.uint8).astype(np.int64)
    print(f"corpus: {CORPUS}: training on {len(train)} bytes of "
          f"{len(train_names)} files, holding out {' '.join(HELD_OUT)} "
          f"({len(held)} bytes)")

    model = llama.Llama(config)
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {config}, {params} parameters")
    decay = [p for p in model.parameters() if p.dim() == 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 20)

    def lr_at(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    ctx = config.max_positions
    start = time.time()
    llama.CONV_KERNELS = True
    model.train()
    for step in range(args.steps):
        offsets = rng.integers(0, len(train) - ctx - 1, args.batch)
        batch = torch.from_numpy(np.stack([train[o:o + ctx + 1] for o in offsets]))
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, config.vocab),
                               batch[:, 1:].reshape(-1))
        for group in opt.param_groups:
            group["lr"] = args.lr * lr_at(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 20 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {loss.item():.3f}  "
                  f"{time.time() - start:.0f} s", flush=True)
    model.eval()
    with torch.no_grad():
        windows = torch.from_numpy(held[:len(held) // (ctx + 1) * (ctx + 1)]
                                   .reshape(-1, ctx + 1))
        held_loss = F.cross_entropy(
            model(windows[:, :-1]).reshape(-1, config.vocab),
            windows[:, 1:].reshape(-1)).item()
    llama.CONV_KERNELS = False
    print(f"trained in {time.time() - start:.0f} s; held-out loss "
          f"{held_loss:.3f} nats/byte (perplexity {math.exp(held_loss):.2f})")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    llama.export(model, onnx_path)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer(), f, indent=2)
        f.write("\n")
    samples = [{"prompt": p, "greedy": greedy(model, p, SAMPLE_TOKENS)}
               for p in PROMPTS]
    with open(os.path.join(args.out, "samples.json"), "w") as f:
        json.dump(samples, f, indent=2)
        f.write("\n")
    for s in samples:
        print(f"--- {s['prompt']!r} ->\n{s['prompt']}{s['greedy']}")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), "
          f"tokenizer.json and samples.json")


if __name__ == "__main__":
    main()
