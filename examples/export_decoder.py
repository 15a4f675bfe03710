"""Exports a small LLaMA-style decoder (RMSNorm, rotary embeddings, SwiGLU,
grouped-query attention) to ONNX with torch.onnx, as a user's model would be.

    /usr/bin/python3 examples/export_decoder.py OUT.onnx [--layers N] [--hidden H]

The weights are random (seeded): the model shows the compiler's path, not
language. Issue 7's bundled model is trained.
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "python"))
import decoders  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--ffn", type=int, default=768)
    parser.add_argument("--vocab", type=int, default=256)
    args = parser.parse_args()
    torch.manual_seed(0)
    config = decoders.Config(vocab=args.vocab, hidden=args.hidden,
                             layers=args.layers, heads=args.heads,
                             kv_heads=args.kv_heads, ffn=args.ffn,
                             max_positions=512)
    model = decoders.Llama(config)
    decoders.export(model, args.output, seq_len=16, opset=17)
    params = sum(p.numel() for p in model.parameters())
    print(f"exported a {args.layers}-layer LLaMA-style decoder "
          f"({params / 1e6:.2f} M parameters) to {args.output}")


if __name__ == "__main__":
    main()
