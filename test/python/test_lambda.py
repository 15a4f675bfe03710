"""accel-lambda-attention, numerically: the tiled prefill and the derived
decode step over a bounded KV cache compute what Λ attention means.

On torch-exported LLaMA-style decoders (compressed 2:4 + W2A8KV4 and not):

* decoding a prompt one token at a time from empty caches gives, in the
  golden model, the prefill's logits at every position bit for bit, with the
  ring buffer wrapping several times (the prefill tiles and the decode cache
  are two routes to one definition);
* the caches the prefill returns equal those the decode steps leave;
* with a window as long as the prompt, Λ attention is plain causal attention
  and the fp32 result matches torch;
* decoding past the traced length (absolute RoPE, table extended by the
  pass) matches a prefill traced at the longer length;
* `rope-positions=cache` (StreamingLLM) agrees with `absolute` while the
  context fits the cache, and decodes bit-exactly like its own prefill.
"""

import numpy as np
import pytest
import torch

import accel
import decoders
from compress_helpers import raised

SEQ = 16
SINK, WINDOW = 2, 5


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=64, ffn=128, vocab=96, layers=2,
                           heads=4, kv_heads=2)
    path = tmp_path_factory.mktemp("lambda") / "llama.onnx"
    decoders.export(model, path, seq_len=SEQ)
    return model, path


def compile_lambda(path, seq=SEQ, compress=True, window=WINDOW, tile=4,
                   rope="absolute", max_context=64):
    m = raised(path, seq)
    if compress:
        m.run_pipeline("func.func(accel-prune{n=2 m=4},"
                       "accel-quantize{scheme=w2a8kv4 group=32})")
    m.run_pipeline(f"accel-lambda-attention{{sink={SINK} window={window} "
                   f"tile={tile} rope-positions={rope} "
                   f"max-context={max_context}}},cse")
    return m


def cache_names(module, function):
    return [name for name, _ in module.inputs(function)
            if name.startswith(("key_cache.", "value_cache."))]


def empty_caches(module, function):
    caches = {}
    for name, type_text in module.inputs(function):
        if name.startswith(("key_cache.", "value_cache.")):
            dims = [int(d) for d in type_text[len("tensor<"):].split("x")[:-1]]
            caches[name] = np.zeros(dims, np.float32)
    return caches


def decode_all(module, ids, run, start=0, caches=None):
    """Feeds ids[:, start:] one token at a time to the decode function;
    returns the logits [B, T, V] of those steps and the final caches."""
    fn = "main_graph_decode"
    caches = caches if caches is not None else empty_caches(module, fn)
    logits = []
    for p in range(start, ids.shape[1]):
        out = run(module, {"input_ids": ids[:, p:p + 1],
                           "position": np.array(p, np.int64), **caches},
                  function=fn)
        logits.append(out["logits"])
        caches = {name: out[name] for name in caches}
    return np.concatenate(logits, axis=1), caches


def ids_of(seed, length=SEQ):
    return np.random.default_rng(seed).integers(0, 96, (1, length)).astype(np.int64)


def assert_bits_equal(a, b, what):
    assert a.shape == b.shape, what
    diff = a.view(np.uint32) != b.view(np.uint32)
    assert not diff.any(), (
        f"{what}: {diff.sum()} of {diff.size} values differ; first at "
        f"{np.argwhere(diff)[0]}: {a[diff][0]!r} vs {b[diff][0]!r}")


@pytest.mark.parametrize("compress", [True, False], ids=["w2a8kv4-2:4", "fp32"])
@pytest.mark.parametrize("tile", [4, 5, 16])
def test_decode_matches_prefill_bit_exact(llama, compress, tile):
    _, path = llama
    m = compile_lambda(path, compress=compress, tile=tile)
    ids = ids_of(tile)
    prefill = accel.golden_run(m, {"input_ids": ids})
    stepped, caches = decode_all(m, ids, accel.golden_run)
    assert_bits_equal(stepped, prefill["logits"], "decode vs prefill logits")
    for name, cache in caches.items():
        assert cache.shape[1] == SINK + WINDOW
        assert_bits_equal(cache, prefill[name], name)


def test_prefill_caches_continue_decoding(llama):
    """Prefill the first 9 tokens (a module traced at 9), then decode the
    rest with the caches it returned: the same logits as decoding them all."""
    _, path = llama
    ids = ids_of(1)
    full = compile_lambda(path)
    short = compile_lambda(path, seq=9)
    prefill = accel.golden_run(short, {"input_ids": ids[:, :9]})
    caches = {name: prefill[name] for name in cache_names(short, "main_graph_decode")}
    continued, _ = decode_all(short, ids, accel.golden_run, start=9, caches=caches)
    stepped, _ = decode_all(full, ids, accel.golden_run)
    # Both decode positions 9..15 with tables extended past the 9 traced rows
    # (short) or traced (full): equal up to the table's last-digit rounding.
    np.testing.assert_allclose(continued, stepped[:, 9:], rtol=0, atol=2e-3)
    assert_bits_equal(prefill["logits"], stepped[:, :9], "prefill vs decode")


def test_full_window_is_causal_attention(llama):
    model, path = llama
    m = compile_lambda(path, compress=False, window=SEQ, tile=4)
    ids = ids_of(2)
    with torch.no_grad():
        expected = model(torch.from_numpy(ids)).numpy()
    got = accel.reference_run(m, {"input_ids": ids})["logits"]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    stepped, _ = decode_all(m, ids, accel.reference_run)
    np.testing.assert_allclose(stepped, expected, rtol=1e-4, atol=1e-4)


def test_window_changes_the_result(llama):
    """Λ with a short window is not causal attention: the logits of late
    positions move, those of positions inside the window do not."""
    model, path = llama
    ids = ids_of(3)
    with torch.no_grad():
        causal = model(torch.from_numpy(ids)).numpy()
    got = accel.reference_run(compile_lambda(path, compress=False),
                              {"input_ids": ids})["logits"]
    inside = SINK + WINDOW
    np.testing.assert_allclose(got[:, :inside], causal[:, :inside],
                               rtol=1e-4, atol=1e-4)
    assert np.abs(got[:, inside:] - causal[:, inside:]).max() > 1e-3


def test_decode_beyond_traced_length(llama):
    """Absolute RoPE: a module traced at 16 tokens decodes positions 16..31
    with the table the pass extended; a module traced at 32 has them traced."""
    _, path = llama
    ids = ids_of(4, 32)
    short = compile_lambda(path, compress=False)
    long = compile_lambda(path, seq=32, compress=False)
    stepped, _ = decode_all(short, ids, accel.reference_run)
    prefill = accel.reference_run(long, {"input_ids": ids})["logits"]
    np.testing.assert_allclose(stepped, prefill, rtol=1e-4, atol=1e-4)


def test_cache_positions(llama):
    _, path = llama
    ids = ids_of(5)
    cache = compile_lambda(path, rope="cache")
    prefill = accel.golden_run(cache, {"input_ids": ids})
    stepped, caches = decode_all(cache, ids, accel.golden_run)
    assert_bits_equal(stepped, prefill["logits"], "cache-mode decode vs prefill")
    for name, value in caches.items():
        assert_bits_equal(value, prefill[name], name)
    # While every token is still in the cache, ranks are positions (with an
    # fp32 cache: a quantized one stores keys before RoPE in cache mode,
    # after it in absolute mode).
    span = SINK + WINDOW
    plain = accel.golden_run(compile_lambda(path, compress=False, rope="cache"),
                             {"input_ids": ids})["logits"]
    absolute = accel.golden_run(compile_lambda(path, compress=False),
                                {"input_ids": ids})["logits"]
    assert_bits_equal(plain[:, :span], absolute[:, :span],
                      "cache vs absolute inside the cache")
    assert not np.array_equal(plain[:, span:], absolute[:, span:])


def test_cache_mode_decodes_without_a_position_limit(llama):
    """rope-positions=cache needs table rows for S + W ranks only: decoding
    far beyond the traced length and max-context works, at constant cache
    size."""
    _, path = llama
    m = compile_lambda(path, rope="cache", max_context=8)
    ids = ids_of(6, 40)
    stepped, caches = decode_all(m, ids, accel.golden_run)
    assert np.isfinite(stepped).all()
    assert all(c.shape[1] == SINK + WINDOW for c in caches.values())


def test_absolute_positions_stop_at_max_context(llama):
    _, path = llama
    m = compile_lambda(path, compress=False, max_context=20)
    ids = ids_of(7, 21)
    with pytest.raises(accel.AccelError, match="out of range|outside"):
        decode_all(m, ids, accel.reference_run)


def _nll(logits, ids):
    """Mean next-token negative log-likelihood of ids under logits."""
    logits = logits[0, :-1].astype(np.float64)
    logits -= logits.max(axis=-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -logp[np.arange(len(logp)), ids[0, 1:]].mean()


def test_perplexity_of_compressed_lambda_models(llama):
    """A perplexity-style check on the imported model: 2:4 + W2A8KV4 + Λ runs
    end to end (prefill and decode agree) with a finite likelihood, and
    W8A8KV8 with a window covering the prompt stays within 1% of fp32."""
    model, path = llama
    ids = ids_of(8)
    with torch.no_grad():
        fp32 = _nll(model(torch.from_numpy(ids)).numpy(), ids)
    w2 = accel.golden_run(compile_lambda(path), {"input_ids": ids})["logits"]
    assert np.isfinite(_nll(w2, ids))
    m = raised(path, SEQ)
    m.run_pipeline("func.func(accel-quantize{scheme=w8a8kv8 group=32})")
    m.run_pipeline(f"accel-lambda-attention{{sink={SINK} window={SEQ}}}")
    w8 = accel.golden_run(m, {"input_ids": ids})["logits"]
    assert abs(_nll(w8, ids) - fp32) < 0.01 * fp32
