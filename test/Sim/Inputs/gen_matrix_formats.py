"""matrix-formats.test: an mm per weight format the matrix unit's kernels
treat apart (byte-table and bit-reader unpacking, rows that do not start on
a byte, the N:4 expansion table and the general N:M expansion, weight groups
that split an N:4 group, activation groups, the float path over int,
f16, bf16 and f32 weights), each over more rows than one thread's block and
tiles with a short last one, four of them large enough to be spread over
threads (≥ 2^16 MACs); the program (PATH.s), its params and
metadata, and the expected output words (PATH.expected) from simref.py."""
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from simref import align, f32, f32bytes, fp16, pack_bits, package_inputs, seqsum, words_dump  # noqa: E402

out = sys.argv[1]
SCR_BYTES = 16384  # the outputs, as matrix-formats.test dumps them
rng = np.random.default_rng(66)

# (fmt, bits, K, G, GA, n, m, afp, R, rows, tokens)
CASES = [
    ("asym", 2, 128, 16, 0, 2, 4, 0, 16, 150, 4),  # 2:4 table, W2
    ("asym", 4, 64, 32, 16, 2, 4, 0, 8, 70, 2),    # 2:4 table, W4, block form
    ("sym", 3, 48, 0, 0, 1, 4, 0, 16, 66, 1),      # 1:4 table, 3 bits
    ("sym", 3, 48, 12, 0, 3, 4, 0, 5, 67, 2),      # 3:4 table
    ("sym", 4, 48, 12, 0, 3, 4, 0, 5, 67, 1),      # 3:4, 4 bits: general
    ("asym", 8, 64, 16, 0, 2, 4, 0, 16, 65, 2),    # 2:4, 8 bits: general
    ("sym", 2, 128, 32, 0, 4, 8, 0, 16, 80, 7),    # 4:8: general
    ("asym", 2, 36, 18, 0, 2, 4, 0, 7, 65, 1),     # 2:4 table, group 18
    ("asym", 3, 36, 12, 0, 0, 0, 0, 16, 70, 2),    # dense 3 bits, rows off bytes
    ("sym", 2, 38, 0, 19, 0, 0, 0, 16, 66, 2),     # dense 2 bits, rows off bytes
    ("asym", 8, 128, 0, 32, 0, 0, 0, 16, 66, 8),   # dense 8 bits
    ("sym", 4, 64, 16, 0, 0, 0, 0, 9, 100, 1),     # dense 4 bits
    ("asym", 2, 128, 16, 0, 2, 4, 1, 16, 90, 6),   # afp=1 over int weights
    ("bf16", 16, 32, 0, 0, 2, 4, 1, 16, 70, 2),    # sparse bf16
    ("f16", 16, 32, 0, 0, 0, 0, 1, 12, 66, 1),     # dense f16
    ("f32", 32, 16, 0, 0, 0, 0, 1, 16, 81, 2),     # dense f32
]


def parts(sections):
    """A tile: its sections, each 64-byte aligned."""
    t = b""
    for part in sections:
        t += part + bytes(align(len(part)) - len(part))
    return t


def case_weights(fmt, bits, K, G, n, m, R, rows):
    """Tiles and, per row, the value each position stands for in the dot
    products: (q - z, S per group) for int weights, or the float value."""
    is_int = fmt in ("asym", "sym")
    G = G or K
    groups = K // G if is_int else 0
    pats = list(itertools.combinations(range(m), n)) if m else []
    code_bits = (len(pats) - 1).bit_length() if m else 0
    rows_w, rows_s, tiles = [], [], b""
    for r0 in range(0, rows, R):
        S, Z, codes, kept = [], [], [], []
        for _ in range(r0, min(r0 + R, rows)):
            s = [fp16(v) for v in rng.uniform(0.01, 0.5, groups)]
            z = [int(v) for v in rng.integers(0, 2 ** bits, groups)] \
                if fmt == "asym" else [0] * groups
            if fmt == "sym":
                raw = rng.integers(-2 ** (bits - 1), 2 ** (bits - 1), K)
            elif fmt == "asym":
                raw = rng.integers(0, 2 ** bits, K)
            elif fmt == "f32":
                raw = rng.normal(0, 1, K).astype(np.float32).view(np.uint32)
            elif fmt == "f16":
                raw = rng.normal(0, 1, K).astype(np.float16).view(np.uint16)
            else:
                raw = rng.normal(0, 1, K).astype(np.float32).view(np.uint32) >> 16
            keep = [True] * K
            if m:
                for grp in range(K // m):
                    c = int(rng.integers(0, len(pats)))
                    codes.append(c)
                    for pos in range(m):
                        keep[grp * m + pos] = pos in pats[c]
            kept += [int(raw[k]) for k in range(K) if keep[k]]
            S += s
            Z += z
            if is_int:
                rows_w.append([int(raw[k]) - z[k // G] if keep[k] else 0
                               for k in range(K)])
                rows_s.append([f32(v) for v in s])
            else:
                if fmt == "f32":
                    vals = np.array(raw, dtype=np.uint32).view(np.float32)
                elif fmt == "f16":
                    vals = np.array(raw, dtype=np.uint16).view(np.float16)
                else:
                    vals = (np.array(raw, dtype=np.uint32) << 16).view(np.float32)
                rows_w.append([f32(vals[k]) if keep[k] else f32(0)
                               for k in range(K)])
        tiles += parts([
            b"".join(int(np.array(v).view(np.uint16)).to_bytes(2, "little")
                     for v in S),
            pack_bits(Z, bits) if fmt == "asym" else b"",
            pack_bits(codes, code_bits),
            pack_bits(kept, bits)])
    return tiles, rows_w, rows_s, code_bits


def expected(fmt, K, G, GA, afp, w, s, x, xs):
    """One output (NUMERICS §4; ISA §5.3's afp=1 sum over every k)."""
    G = G or K
    if afp:
        if fmt in ("asym", "sym"):
            w = [f32(s[k // G] * f32(w[k])) for k in range(K)]
        return seqsum([f32(x[k] * w[k]) for k in range(K)])
    if GA == 0 or GA >= K:
        t = seqsum([f32(f32(sum(x[k] * w[k] for k in range(g * G, g * G + G)))
                        * s[g]) for g in range(K // G)])
        return f32(t * xs[0])
    blocks, k0 = [], 0
    while k0 < K:
        g, a = k0 // G, k0 // GA
        k1 = min((g + 1) * G, (a + 1) * GA)
        acc = sum(x[k] * w[k] for k in range(k0, k1))
        blocks.append(f32(f32(f32(acc) * s[g]) * xs[a]))
        k0 = k1
    return seqsum(blocks)


blob = bytearray()
scr = bytearray()
asm = ["; generated by gen_matrix_formats.py", ".entry main",
       "  load     wgt[0], hbm[r1], 1, {blob}, rel=mx"]


def place(data):
    at = len(blob)
    blob.extend(data + bytes(align(len(data)) - len(data)))
    return at


for i, (fmt, bits, K, G, GA, n, m, afp, R, rows, tokens) in enumerate(CASES):
    tiles, rows_w, rows_s, _ = case_weights(fmt, bits, K, G, n, m, R, rows)
    w_at = place(tiles)
    if afp:
        xs_tok = [[f32(v) for v in rng.normal(0, 1, K).astype(np.float32)]
                  for _ in range(tokens)]
        a_at = place(b"".join(f32bytes(x) for x in xs_tok))
        s_at, sc = 0, [[]] * tokens
        astride = 4 * K
    else:
        xs_tok = [[int(v) for v in rng.integers(-128, 128, K)]
                  for _ in range(tokens)]
        astride = align(K, 4)
        a_at = place(b"".join(bytes(v & 0xff for v in x) + bytes(astride - K)
                              for x in xs_tok))
        per = K // GA if GA else 1
        sc = [[f32(v) for v in rng.uniform(0.001, 0.1, per).astype(np.float32)]
              for _ in range(tokens)]
        s_at = place(b"".join(f32bytes(s) for s in sc))
    d_at = len(scr)
    for t in range(tokens):
        scr.extend(f32bytes([expected(fmt, K, G, GA, afp, rows_w[r], rows_s[r]
                                      if rows_s else None, xs_tok[t], sc[t])
                             for r in range(rows)]))
    scr.extend(bytes(align(len(scr)) - len(scr)))
    fields = "k=%d, g=%d, ga=%d, r=%d, fmt=%s, bits=%d, n=%d, m=%d, afp=%d" % (
        K, G, GA, R, fmt, bits, n, m, afp)
    asm += ["  addi     r10, r0, %d" % a_at, "  addi     r11, r0, %d" % s_at,
            "  addi     r12, r0, %d" % w_at, "  addi     r13, r0, %d" % d_at,
            "  addi     r14, r0, %d" % tokens,
            "  mcfg     " + fields,
            "  mm       scr[r13], wgt[r10], wgt[r11], wgt[r12], %d, r14, %d, %d%s"
            % (rows, astride, 4 * rows, ", wait=ld" if i == 0 else "")]
asm.append("  halt")
size = package_inputs(blob, out)
open(out + ".s", "w").write("\n".join(asm).format(blob=size) + "\n")
assert len(scr) <= SCR_BYTES
scr.extend(bytes(SCR_BYTES - len(scr)))
open(out + ".expected", "w").write("\n".join(words_dump("scr", 0, scr)) + "\n")
