"""Half-precision models: an fp16 graph (weights and activations f16, as
torch exports a `.half()` model and bench/gen_llama.py writes by default)
compiles, and the engine's program computes what the golden model computes
from the same graph, bit for bit; with the LM head quantized too
(`--quant-head`). (This torch cannot trace a `.half()` model on the CPU:
its RMSNorm's rsqrt/sqrt have no f16 CPU kernel, so the graph comes from
bench/gen_llama.py, which writes the nodes torch.onnx exports.)"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import accel
from test_engine import SEQ, assert_engine_matches_golden, tools  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "bench", "gen_llama.py")

AccLLM = dict(
    cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32", "--lambda=2,5"],
    passes=["accel-prune{n=2 m=4}", "accel-quantize{scheme=w2a8kv4 group=32}"],
    lam="accel-lambda-attention{sink=2 window=5}")
HEAD_W8 = dict(
    cli=AccLLM["cli"] + ["--quant-head=w8a8"],
    passes=["accel-prune{n=2 m=4}",
            "accel-quantize{scheme=w2a8kv4 group=32 head-bits=8}"],
    lam=AccLLM["lam"])


def gen_tiny(tmp_path):
    """bench/gen_llama.py's tiny shape at its default dtype, fp16."""
    path = tmp_path / "tiny.onnx"
    subprocess.run([sys.executable, GEN, "--shape=tiny", "-o", str(path)],
                   check=True, capture_output=True)
    return path


def test_fp16_graph_is_f16_and_raises_to_f32_activations(tmp_path):
    path = gen_tiny(tmp_path)
    imported = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    assert "xf16>" in str(imported)
    raised = str(accel.raise_to_accel(imported))
    assert "onnx.node" not in raised
    # Activations are the engine's fp32; weights and RoPE tables keep f16.
    assert "-> (tensor<1x16x512xf32>" in raised
    assert re.search(r"accel\.embedding .*tensor<512x256xf16> -> "
                     r"tensor<1x16x256xf32>", raised)
    assert re.search(r"accel\.linear .*transposed : tensor<1x16x256xf32>, "
                     r"tensor<256x256xf16>", raised)
    assert "tensor<16x64xf16>" in raised
    assert "x256xf16>, tensor<256xf16>" not in raised  # norm weights widened


@pytest.mark.parametrize("setting", [AccLLM, HEAD_W8], ids=["head-float",
                                                            "head-w8"])
def test_fp16_engine_matches_golden(tmp_path, tools, setting):
    assert_engine_matches_golden(tmp_path, tools, gen_tiny(tmp_path), setting,
                                 [3, 1, 4, 1, 5, 9], 8)


def test_quant_head_from_python(tmp_path, tools):
    """accel.compile(quant_head=...) writes accelc --quant-head's package."""
    path = gen_tiny(tmp_path)
    flags = ["--prune=2:4", "--quant=w2a8kv4", "--quant-head=w4a8",
             "--lambda=2,5"]
    subprocess.run([tools["accelc"], str(path), "--dim", "batch=1,sequence=16",
                    *flags, "-o", str(tmp_path / "cli.accel")],
                   check=True, capture_output=True)
    m = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    accel.compile(m, tmp_path / "py.accel", prune="2:4", quant="w2a8kv4",
                  quant_head="w4a8", lambda_=(2, 5))
    assert ((tmp_path / "py.accel").read_bytes()
            == (tmp_path / "cli.accel").read_bytes())


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_half_embedding_table_matches_golden(tmp_path, tools, dtype):
    """An f16 or bf16 embedding table (a dense_resource blob, which the
    lowering converts to the parameter blob's fp32 a row at a time) gives
    the golden model's rows, bit for bit, through a linear of its dtype."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    rng = np.random.default_rng(6)

    def tensor(name, values):
        if dtype == "f16":
            return helper.make_tensor(name, TensorProto.FLOAT16, values.shape,
                                      values.astype(np.float16).tobytes(),
                                      raw=True)
        bits = (values.astype(np.float32).view(np.uint32) >> 16)
        return helper.make_tensor(name, TensorProto.BFLOAT16, values.shape,
                                  bits.astype(np.uint16).tobytes(), raw=True)

    elem = TensorProto.FLOAT16 if dtype == "f16" else TensorProto.BFLOAT16
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["e"], name="embed"),
         helper.make_node("MatMul", ["e", "W"], ["y"], name="proj")], "emb",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 5])],
        [helper.make_tensor_value_info("y", elem, [1, 5, 32])],
        [tensor("table", rng.standard_normal((50, 64))),
         tensor("W", rng.standard_normal((64, 32)) * 0.2)])
    path = tmp_path / "emb.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)
    package = tmp_path / "emb.accel"
    subprocess.run([tools["accelc"], str(path), "-o", str(package)],
                   check=True, capture_output=True)
    m = accel.import_onnx(str(path))
    accel.raise_to_accel(m)
    assert re.search(rf"dense_resource<table> : tensor<50x64x{dtype}>", str(m))
    ids = np.array([[3, 7, 49, 0, 12]])
    got = accel.simulate(package, inputs={"ids": ids},
                         mode="functional")["outputs"]["y"]
    want = accel.golden_run(m, {"ids": ids})["y"]
    assert got.shape == want.shape == (1, 5, 32)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
