"""Running named functions: the tiled prefill and the one-token decode step
that accel-lambda-attention derives, on the fp32 reference executor and the
golden model.

A one-layer decoder with random weights (RoPE tables cos/sin(t * theta), Λ
attention with S = 1, W = 3) is compiled with accel-lambda-attention; its
decode function is then run token by token from empty caches, the position
given as a 0-d int64 array. Every step's logits must equal the prefill's row
for that position (bit for bit in the golden model, also with a 4-bit KV
cache and with RoPE positions within the cache), and the caches the steps
leave must equal those the prefill returns.
"""

import numpy as np
import pytest

import accel

T, VOCAB, HIDDEN, D = 8, 16, 8, 4
THETA = np.array([1.0, 0.01], np.float32)


def _dense(array):
    """An f32 constant; each value's repr reads back as the same float32."""
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]"
                     for row in np.asarray(array, np.float32))
    shape = "x".join(str(d) for d in array.shape)
    return f"dense<[{rows}]> : tensor<{shape}xf32>"


def _decoder(kv_quant=False):
    rng = np.random.default_rng(7)
    w = {name: rng.uniform(-1, 1, shape).astype(np.float32)
         for name, shape in [("table", (VOCAB, HIDDEN)), ("wq", (8, HIDDEN)),
                             ("wk", (4, HIDDEN)), ("wv", (4, HIDDEN)),
                             ("wo", (VOCAB, HIDDEN))]}
    angles = np.arange(T, dtype=np.float32)[:, None] * THETA[None, :]
    cos = np.concatenate([np.cos(angles)] * 2, axis=1).astype(np.float32)
    sin = np.concatenate([np.sin(angles)] * 2, axis=1).astype(np.float32)
    quant = (", kv_quant = #accel.quant<bits = 4, group = 2, asymmetric>"
             if kv_quant else "")
    return f"""
func.func @main_graph(%ids: tensor<1x{T}xi64> {{onnx.name = "input_ids"}}) -> (tensor<1x{T}x{VOCAB}xf32> {{onnx.name = "logits"}}) {{
  %table = arith.constant {_dense(w["table"])}
  %cos = arith.constant {_dense(cos)}
  %sin = arith.constant {_dense(sin)}
  %wq = arith.constant {_dense(w["wq"])}
  %wk = arith.constant {_dense(w["wk"])}
  %wv = arith.constant {_dense(w["wv"])}
  %wo = arith.constant {_dense(w["wo"])}
  %x = accel.embedding %ids, %table : tensor<1x{T}xi64>, tensor<{VOCAB}x8xf32> -> tensor<1x{T}x8xf32>
  %q = accel.linear %x, %wq : tensor<1x{T}x8xf32>, tensor<8x8xf32> -> tensor<1x{T}x8xf32>
  %k = accel.linear %x, %wk : tensor<1x{T}x8xf32>, tensor<4x8xf32> -> tensor<1x{T}x4xf32>
  %v = accel.linear %x, %wv : tensor<1x{T}x8xf32>, tensor<4x8xf32> -> tensor<1x{T}x4xf32>
  %qr = accel.rope rotate_half %q, %cos, %sin heads(2) : tensor<1x{T}x8xf32>, tensor<{T}x4xf32>
  %kr = accel.rope rotate_half %k, %cos, %sin heads(1) : tensor<1x{T}x4xf32>, tensor<{T}x4xf32>
  %a = accel.attention %qr, %kr, %v heads(2, 1) causal {{lambda = #accel.lambda<sink = 1, window = 3>{quant}}}
         : tensor<1x{T}x8xf32>, tensor<1x{T}x4xf32>, tensor<1x{T}x4xf32> -> tensor<1x{T}x8xf32>
  %r = arith.addf %x, %a : tensor<1x{T}x8xf32>
  %logits = accel.linear %r, %wo : tensor<1x{T}x8xf32>, tensor<{VOCAB}x8xf32> -> tensor<1x{T}x{VOCAB}xf32>
  return %logits : tensor<1x{T}x{VOCAB}xf32>
}}
"""


IDS = np.array([[3, 14, 1, 5, 9, 2, 6, 5]], np.int64)


def _compiled(rope_positions="absolute", kv_quant=False):
    module = accel.parse_mlir(_decoder(kv_quant))
    module.run_pipeline(f"accel-lambda-attention{{tile=3 max-context=16 "
                        f"rope-positions={rope_positions}}}")
    return module


def _assert_same(got, want, golden):
    if golden:
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


CASES = [("absolute", False, False), ("absolute", False, True),
         ("absolute", True, True), ("cache", False, False),
         ("cache", False, True), ("cache", True, True)]


@pytest.mark.parametrize("rope_positions,kv_quant,golden", CASES)
def test_decode_steps_equal_the_prefill(rope_positions, kv_quant, golden):
    run = accel.golden_run if golden else accel.reference_run
    module = _compiled(rope_positions, kv_quant)
    prefill = run(module, {"input_ids": IDS})
    if rope_positions == "absolute":
        # Tiling changes nothing: the whole-sequence module agrees.
        whole = run(accel.parse_mlir(_decoder(kv_quant)), {"input_ids": IDS})
        _assert_same(prefill["logits"], whole["logits"], golden)
    signature = dict(module.inputs("main_graph_decode"))
    cache_type = signature["key_cache.0"]
    slots, width = (int(d) for d in cache_type.split("x")[1:3])
    caches = {name: np.zeros((1, slots, width), np.float32)
              for name in ("key_cache.0", "value_cache.0")}
    for p in range(T):
        step = run(module, {"input_ids": IDS[:, p:p + 1], "position": np.array(p),
                            **caches}, function="main_graph_decode")
        _assert_same(step["logits"][0, 0], prefill["logits"][0, p], golden)
        caches = {name: step[name] for name in caches}
    for name, cache in caches.items():
        _assert_same(cache, prefill[name], golden)


def test_functions_and_their_signatures():
    module = _compiled()
    assert module.functions == ["main_graph", "main_graph_decode"]
    assert [name for name, _ in module.inputs("main_graph_decode")] == [
        "input_ids", "position", "key_cache.0", "value_cache.0"]
    assert dict(module.inputs("main_graph_decode"))["position"] == "tensor<i64>"
    assert [name for name, _ in module.outputs("main_graph_decode")] == [
        "logits", "key_cache.0", "value_cache.0"]
    assert module.function_inputs("main_graph_decode") == module.inputs(
        "main_graph_decode")
    # Without a name: main_graph, as a list or called.
    assert module.inputs == [("input_ids", "tensor<1x8xi64>")]
    assert module.inputs() == module.inputs
    assert [name for name, _ in module.outputs] == ["logits", "key_cache.0",
                                                    "value_cache.0"]


def test_unknown_function_and_bad_position():
    module = _compiled()
    with pytest.raises(accel.AccelError,
                       match="no function 'decode' with a body; its functions: "
                             "'main_graph', 'main_graph_decode'"):
        accel.golden_run(module, {"input_ids": IDS}, function="decode")
    with pytest.raises(accel.AccelError, match="no function 'nope'"):
        module.inputs("nope")
    caches = {name: np.zeros((1, 4, 4), np.float32)
              for name in ("key_cache.0", "value_cache.0")}
    # Absolute RoPE positions read the table row first; positions within
    # the cache reach the cache write.
    with pytest.raises(accel.AccelError, match="tensor.extract_slice: offset -1 "
                                               "with size 1 .* out of range"):
        accel.reference_run(module, {"input_ids": IDS[:, :1], "position": -1,
                                     **caches}, function="main_graph_decode")
    with pytest.raises(accel.AccelError, match="accel.kv_cache_write: the "
                                               "position is -1, must be >= 0"):
        accel.reference_run(_compiled("cache"),
                            {"input_ids": IDS[:, :1], "position": -1, **caches},
                            function="main_graph_decode")
    with pytest.raises(accel.AccelError, match="has no input 'extra'"):
        accel.reference_run(module, {"input_ids": IDS[:, :1], "position": 0,
                                     "extra": 1, **caches},
                            function="main_graph_decode")
