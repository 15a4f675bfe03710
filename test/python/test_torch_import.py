"""The front end on real torch exports.

LLaMA- and GPT-2-style decoders (decoders.py) are exported by torch.onnx as a
user would (dynamic batch and sequence axes), imported with the sequence
fixed, and raised. After raising no MatMul, Gemm or Softmax may be left (the
engine cannot run them), the accel ops must be exactly those the decoder is
made of, and the logits of the imported and of the raised module must match
PyTorch's within 1e-4 relative (max abs error / max abs logit).
"""

import collections
import re
import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import accel  # noqa: E402
import decoders  # noqa: E402

RTOL = 1e-4
UNRUNNABLE = ("MatMul", "Gemm", "Softmax")


def onnx_op_types(module):
    """Op type -> count of the module's onnx.node ops."""
    return collections.Counter(re.findall(r'onnx\.node "(\w+)"', module.to_mlir()))


def relative_error(actual, expected):
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == np.float32
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


@dataclass
class Case:
    kind: str                    # "llama" | "gpt2"
    opset: int
    seq: int
    batch: int = 1               # batch the module is imported and run at
    export_batch: int = 1        # batch of the trace (the axis is dynamic)
    config: dict = field(default_factory=dict)

    @property
    def id(self):
        c = decoders.Config(**self.config)
        parts = [self.kind, f"op{self.opset}", f"h{c.hidden}", f"L{c.layers}",
                 f"T{self.seq}", f"B{self.batch}"]
        if self.kind == "llama":
            parts += [c.rope, c.rms_form, c.mask,
                      "mha" if c.kv_heads == c.heads else f"gqa{c.heads}x{c.kv_heads}"]
        else:
            parts += [f"gelu_{c.gelu}", "tied" if c.tied else "untied", f"heads{c.heads}"]
        return "-".join(parts)


def llama(opset, seq, batch=1, export_batch=1, **config):
    return Case("llama", opset, seq, batch, export_batch, config)


def gpt2(opset, seq, batch=1, export_batch=1, **config):
    config.setdefault("heads", 4)
    config["kv_heads"] = config["heads"]     # GPT-2 has no grouped-query heads
    return Case("gpt2", opset, seq, batch, export_batch, config)


# Every opset 13-17 for both families; every RoPE form, RMSNorm form, mask
# form (triu exports Trilu, so opset >= 14), GQA ratio and MHA, GELU form and
# head tying; hidden 32/64/96, 1-3 layers, sequence 4/8/16, batch 1 and 2.
CASES = [
    # LLaMA
    llama(13, 8, rope="rotate_half", rms_form="rsqrt", mask="arange"),
    llama(13, 16, 2, rope="interleaved", rms_form="div_sqrt", mask="arange",
          hidden=32, heads=2, kv_heads=1, ffn=64, layers=3),
    llama(14, 8, rope="rotate_half", rms_form="rsqrt", mask="triu"),
    llama(14, 4, rope="interleaved", rms_form="div_sqrt", mask="triu",
          hidden=32, heads=4, kv_heads=4, ffn=64, layers=1),
    llama(15, 16, rope="rotate_half", rms_form="div_sqrt", mask="triu",
          hidden=96, heads=6, kv_heads=2, ffn=160, layers=3),
    llama(15, 8, 2, rope="interleaved", rms_form="rsqrt", mask="arange",
          hidden=64, heads=4, kv_heads=1),
    llama(16, 8, 2, 2, rope="rotate_half", rms_form="rsqrt", mask="triu",
          hidden=64, heads=8, kv_heads=8),
    llama(16, 16, rope="interleaved", rms_form="rsqrt", mask="triu",
          hidden=96, heads=6, kv_heads=3, ffn=192, layers=2),
    llama(17, 8, rope="rotate_half", rms_form="div_sqrt", mask="arange",
          hidden=32, heads=4, kv_heads=2, ffn=96, layers=1),
    llama(17, 8, rope="interleaved", rms_form="div_sqrt", mask="triu"),
    llama(17, 4, 2, rope="rotate_half", rms_form="rsqrt", mask="triu",
          hidden=96, heads=3, kv_heads=3, ffn=128, layers=2),
    llama(17, 16, rope="interleaved", rms_form="rsqrt", mask="arange",
          hidden=64, heads=4, kv_heads=2, layers=3),
    # GPT-2
    gpt2(13, 8, gelu="tanh", tied=True),
    gpt2(13, 16, 2, 2, gelu="erf", tied=False, hidden=96, heads=3, ffn=192),
    gpt2(14, 4, gelu="erf", tied=True, hidden=32, heads=4, ffn=64, layers=1),
    gpt2(14, 8, gelu="tanh", tied=False, hidden=64, heads=2, layers=3),
    gpt2(15, 16, gelu="tanh", tied=True, hidden=96, heads=6, ffn=192, layers=3),
    gpt2(15, 8, 2, gelu="erf", tied=True),
    gpt2(16, 8, gelu="erf", tied=False, hidden=64, heads=8, layers=1),
    gpt2(16, 4, 2, gelu="tanh", tied=True, hidden=32, heads=2, ffn=128),
    gpt2(17, 8, gelu="tanh", tied=False),
    gpt2(17, 16, gelu="erf", tied=True, hidden=96, heads=4, ffn=96, layers=2),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Case -> (torch model, ONNX path), exported once per module."""
    cache = {}

    def get(case):
        if case.id not in cache:
            torch.manual_seed(zlib.crc32(case.id.encode()))
            model = decoders.build(case.kind, **case.config)
            path = tmp_path_factory.mktemp("export") / f"{case.id}.onnx"
            decoders.export(model, path, seq_len=case.seq, opset=case.opset,
                            batch=case.export_batch)
            cache[case.id] = (model, path)
        return cache[case.id]
    return get


def torch_logits(model, ids):
    with torch.no_grad():
        return model(torch.from_numpy(ids)).numpy()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_decoder(case, exported):
    model, path = exported(case)
    c = model.c
    module = accel.import_onnx(str(path), dims={"batch": case.batch, "sequence": case.seq})
    assert module.inputs == [("input_ids", f"tensor<{case.batch}x{case.seq}xi64>")]
    # (static from opset 14; see test_static_types_after_raising for 13)
    [(name, type)] = module.outputs
    assert name == "logits" and re.fullmatch(
        rf"tensor<({case.batch}|\?)x({case.seq}|\?)x{c.vocab}xf32>", type), type

    before = onnx_op_types(module)
    assert before["MatMul"] + before["Gemm"] > 0 and before["Softmax"] == c.layers
    assert accel.op_summary(module) == {}

    # Fresh ids, not the trace's: the graph must not depend on the example.
    rng = np.random.default_rng(case.seq * 100 + case.opset)
    ids = rng.integers(0, c.vocab, size=(case.batch, case.seq), dtype=np.int64)
    expected = torch_logits(model, ids)

    imported = accel.reference_run(module, {"input_ids": ids})
    assert list(imported) == ["logits"]
    assert relative_error(imported["logits"], expected) < RTOL

    accel.raise_to_accel(module)
    left = {t: n for t, n in onnx_op_types(module).items() if t in UNRUNNABLE}
    assert left == {}, f"not raised: {left}"
    assert accel.op_summary(module) == decoders.expected_ops(case.kind, c)

    # The raised ops carry the decoder's configuration.
    text = module.to_mlir()
    assert len(re.findall(rf"accel\.attention .* heads\({c.heads}, {c.kv_heads}\) causal", text)) == c.layers
    if case.kind == "llama":
        assert len(re.findall(rf"accel\.rope {c.rope} ", text)) == 2 * c.layers
        assert len(re.findall(r"accel\.activation silu %\w+, %\w+ ", text)) == c.layers
    else:
        gelu = {"tanh": "gelu_tanh", "erf": "gelu_erf"}[c.gelu]
        assert len(re.findall(rf"accel\.activation {gelu} %\w+ :", text)) == c.layers

    raised = accel.reference_run(module, {"input_ids": ids})
    assert relative_error(raised["logits"], expected) < RTOL
    # Raising rewrites the arithmetic, so the two runs need not be bitwise
    # equal, but they must agree far below the tolerance.
    assert relative_error(raised["logits"], imported["logits"]) < RTOL


def test_case_coverage():
    """The matrix covers what the file's docstring promises."""
    opsets = collections.defaultdict(set)
    for case in CASES:
        opsets[case.kind].add(case.opset)
        if case.config.get("mask", "triu") == "triu" and case.kind == "llama":
            assert case.opset >= 14, case.id
    assert opsets["llama"] == opsets["gpt2"] == {13, 14, 15, 16, 17}
    configs = [(case.kind, decoders.Config(**case.config)) for case in CASES]
    llamas = [c for k, c in configs if k == "llama"]
    gpts = [c for k, c in configs if k == "gpt2"]
    assert {c.rope for c in llamas} == {"rotate_half", "interleaved"}
    assert {c.rms_form for c in llamas} == {"rsqrt", "div_sqrt"}
    assert {c.mask for c in llamas} == {"triu", "arange"}
    assert any(c.kv_heads < c.heads for c in llamas)
    assert any(c.kv_heads == c.heads for c in llamas)
    assert {c.gelu for c in gpts} == {"tanh", "erf"}
    assert {c.tied for c in gpts} == {True, False}
    assert {c.hidden for _, c in configs} == {32, 64, 96}
    assert {c.layers for _, c in configs} == {1, 2, 3}
    assert {case.seq for case in CASES} == {4, 8, 16}
    assert {case.batch for case in CASES} == {1, 2}
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_dynamic_import_runs_any_shape(kind, tmp_path):
    """Imported without dims, the module keeps `?` dimensions and runs at any
    batch and sequence length (the trace was at 1 x 8)."""
    model = decoders.build(kind, layers=1, heads=4, kv_heads=2 if kind == "llama" else 4)
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=8, opset=17)
    module = accel.import_onnx(str(path))
    assert module.inputs == [("input_ids", "tensor<?x?xi64>")]
    assert module.outputs == [("logits", f"tensor<?x?x{model.c.vocab}xf32>")]
    rng = np.random.default_rng(1)
    for batch, seq in [(1, 3), (2, 8), (3, 11)]:
        ids = rng.integers(0, model.c.vocab, size=(batch, seq), dtype=np.int64)
        out = accel.reference_run(module, {"input_ids": ids})["logits"]
        assert relative_error(out, torch_logits(model, ids)) < RTOL


def test_default_dim_fixes_every_symbolic_dimension(tmp_path):
    model = decoders.build("llama", layers=1)
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=8, opset=17)
    module = accel.import_onnx(str(path), dims={"sequence": 6}, default_dim=3)
    assert module.inputs == [("input_ids", "tensor<3x6xi64>")]
    accel.raise_to_accel(module)
    assert accel.op_summary(module) == decoders.expected_ops("llama", model.c)
    ids = np.random.default_rng(2).integers(0, model.c.vocab, size=(3, 6), dtype=np.int64)
    out = accel.reference_run(module, {"input_ids": ids})["logits"]
    assert relative_error(out, torch_logits(model, ids)) < RTOL


@pytest.mark.parametrize("kind", ["llama", "gpt2"])
def test_raise_with_dynamic_batch(kind, tmp_path):
    model = decoders.build(kind, layers=1, heads=4, kv_heads=2 if kind == "llama" else 4)
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=8, opset=17)
    module = accel.import_onnx(str(path), dims={"sequence": 8})
    assert module.inputs == [("input_ids", "tensor<?x8xi64>")]
    accel.raise_to_accel(module)
    # Numerics hold either way (what is not raised still runs) ...
    ids = np.random.default_rng(3).integers(0, model.c.vocab, size=(2, 8), dtype=np.int64)
    out = accel.reference_run(module, {"input_ids": ids})["logits"]
    assert relative_error(out, torch_logits(model, ids)) < RTOL
    # ... but the engine cannot run what is left.
    left = {t: n for t, n in onnx_op_types(module).items() if t in UNRUNNABLE}
    assert left == {}, f"not raised: {left}"
    assert accel.op_summary(module) == decoders.expected_ops(kind, model.c)


def test_raise_pipeline_constant_matches_raise_to_accel(exported):
    case = CASES[0]
    _, path = exported(case)
    a = accel.import_onnx(str(path), dims={"batch": 1, "sequence": case.seq})
    b = accel.import_onnx(str(path), dims={"batch": 1, "sequence": case.seq})
    a.run_pipeline(accel.RAISE_PIPELINE)
    accel.raise_to_accel(b)
    assert a.to_mlir() == b.to_mlir()




@pytest.mark.parametrize("kind,opset", [
    ("llama", 13), ("llama", 17), ("gpt2", 13), ("gpt2", 17),
])
def test_static_types_after_raising(kind, opset, tmp_path):
    """With static inputs, the raised module has no dynamic dimension left
    (what the lowering to the engine's fixed buffers will need)."""
    config = dict(mask="arange") if kind == "llama" else {}   # triu needs opset 14
    model = decoders.build(kind, layers=1, heads=4, kv_heads=2 if kind == "llama" else 4, **config)
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=8, opset=opset)
    module = accel.import_onnx(str(path), dims={"batch": 1, "sequence": 8})
    accel.raise_to_accel(module)
    assert module.outputs == [("logits", f"tensor<1x8x{model.c.vocab}xf32>")]
    dynamic = [line.strip() for line in module.to_mlir().splitlines()
               if re.search(r"tensor<[^>]*[?*]", line)]
    assert dynamic == []


def test_rmsnorm_weight_first(tmp_path):
    model = decoders.build("llama", layers=1, rms_form="weight_first")
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=8, opset=17)
    module = accel.import_onnx(str(path), dims={"batch": 1, "sequence": 8})
    accel.raise_to_accel(module)
    ids = np.random.default_rng(4).integers(0, model.c.vocab, size=(1, 8), dtype=np.int64)
    out = accel.reference_run(module, {"input_ids": ids})["logits"]
    assert relative_error(out, torch_logits(model, ids)) < RTOL      # holds
    assert accel.op_summary(module) == decoders.expected_ops("llama", model.c)
