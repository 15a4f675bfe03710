"""Graphs that are not decoders (docs/ISA.md §7, the `forward` entry): an
MLP and a norm + linear + GELU block, compiled by accelc without --decode
and run by accel-sim over 1 row, a partial prefill tile and several tiles,
give what the golden model gives on the same compressed graph, bit for bit
(docs/NUMERICS.md); ONNX's node tests that raise fully give their expected
outputs; and what the engine cannot run is a compile error naming it."""

import glob
import os
import subprocess

import numpy as np
import pytest
import torch

import accel
import decoders
from test_engine import (PROMPT, NEW, SEQ, SETTINGS as DECODER,  # noqa: F401
                         assert_engine_matches_golden, tools)

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROWS = 40  # the graphs' rows: the most a call takes
SETTINGS = {
    "fp32": dict(cli=[], passes=[]),
    "2:4-w2a8": dict(cli=["--prune=2:4", "--quant=w2a8kv4", "--group=32"],
                     passes=["accel-prune{n=2 m=4}",
                             "accel-quantize{scheme=w2a8kv4 group=32}"]),
    "w8a8": dict(cli=["--quant=w8a8kv8", "--group=32"],
                 passes=["accel-quantize{scheme=w8a8kv8 group=32}"]),
}
NODE_TESTS = "/usr/share/libonnx-testdata/data/node"


def save(path, nodes, inits, hidden=64, rows=ROWS):
    graph = helper.make_graph(
        nodes, "graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [1, rows, hidden])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [1, rows, hidden])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)
    return path


def weights(rng, **shapes):
    return [numpy_helper.from_array(
        (rng.standard_normal(shape) * 0.2).astype(np.float32), name)
        for name, shape in shapes.items()]


def mlp(tmp_path, hidden=64, ffn=128):
    """MatMul -> x · Sigmoid(x) (SiLU) -> MatMul."""
    rng = np.random.default_rng(1)
    return save(tmp_path / "mlp.onnx", [
        helper.make_node("MatMul", ["x", "W1"], ["h"], name="fc1"),
        helper.make_node("Sigmoid", ["h"], ["s"], name="sigmoid"),
        helper.make_node("Mul", ["h", "s"], ["a"], name="silu"),
        helper.make_node("MatMul", ["a", "W2"], ["y"], name="fc2")],
        weights(rng, W1=(hidden, ffn), W2=(ffn, hidden)))


def block(tmp_path, norm, hidden=64, ffn=128):
    """LayerNorm (or RMSNorm) -> MatMul + bias -> GELU (erf) -> MatMul."""
    rng = np.random.default_rng(2)
    scalar = lambda name, v: numpy_helper.from_array(  # noqa: E731
        np.array(v, np.float32), name)
    inits = weights(rng, gamma=(hidden,), beta=(hidden,), W1=(hidden, ffn),
                    b1=(ffn,), W2=(ffn, hidden))
    inits += [scalar("two", 2.0), scalar("eps", 1e-6),
              scalar("sqrt2", np.sqrt(2.0)), scalar("one", 1.0),
              scalar("half", 0.5)]
    if norm == "layernorm":
        nodes = [helper.make_node("LayerNormalization", ["x", "gamma", "beta"],
                                  ["n"], axis=-1, epsilon=1e-5, name="norm")]
    else:
        nodes = [helper.make_node("Pow", ["x", "two"], ["sq"], name="pow"),
                 helper.make_node("ReduceMean", ["sq"], ["ms"], axes=[-1],
                                  name="mean"),
                 helper.make_node("Add", ["ms", "eps"], ["mse"], name="add"),
                 helper.make_node("Sqrt", ["mse"], ["rms"], name="sqrt"),
                 helper.make_node("Div", ["x", "rms"], ["xn"], name="div"),
                 helper.make_node("Mul", ["xn", "gamma"], ["n"], name="mul")]
    nodes += [helper.make_node("MatMul", ["n", "W1"], ["h0"], name="fc1"),
              helper.make_node("Add", ["h0", "b1"], ["h"], name="bias"),
              helper.make_node("Div", ["h", "sqrt2"], ["hs"], name="gdiv"),
              helper.make_node("Erf", ["hs"], ["he"], name="erf"),
              helper.make_node("Add", ["he", "one"], ["he1"], name="gadd"),
              helper.make_node("Mul", ["h", "he1"], ["hm"], name="gmul"),
              helper.make_node("Mul", ["hm", "half"], ["a"], name="ghalf"),
              helper.make_node("MatMul", ["a", "W2"], ["y"], name="fc2")]
    return save(tmp_path / f"{norm}.onnx", nodes, inits)


def scaled(tmp_path, hidden=64, ffn=128):
    """MatMul -> x · 0.5 -> 0.25 - x -> x + 1 -> 3 / x -> x / 2 -> MatMul:
    element-wise ops with a scalar constant on either side."""
    rng = np.random.default_rng(5)
    scalar = lambda name, v: numpy_helper.from_array(  # noqa: E731
        np.array(v, np.float32), name)
    inits = weights(rng, W1=(hidden, ffn), W2=(ffn, hidden))
    inits += [scalar("half", 0.5), scalar("quarter", 0.25),
              numpy_helper.from_array(np.ones((1, 1), np.float32), "one"),
              scalar("three", 3.0), scalar("two", 2.0)]
    return save(tmp_path / "scaled.onnx", [
        helper.make_node("MatMul", ["x", "W1"], ["h"], name="fc1"),
        helper.make_node("Mul", ["h", "half"], ["a"], name="scale"),
        helper.make_node("Sub", ["quarter", "a"], ["b"], name="flip"),
        helper.make_node("Add", ["b", "one"], ["c"], name="shift"),
        helper.make_node("Div", ["three", "c"], ["d"], name="invert"),
        helper.make_node("Div", ["d", "two"], ["e"], name="halve"),
        helper.make_node("MatMul", ["e", "W2"], ["y"], name="fc2")], inits)


def rowed(tmp_path, hidden=64, ffn=128, rows=ROWS):
    """MatMul -> s1 · h -> b1 + m -> b2 - a -> b / s2 -> q - b3 -> e + b4
    -> g · s3 -> s4 / (n · n + 1) -> MatMul: Add/Sub/Mul/Div with a
    constant row of the features on either side, as [F], [1, F] and
    [1, 1, F] constants (a bias or a per-channel scale in its own node;
    the importer keeps one of more than 1024 features as a dense_resource
    blob). With `rows` 1, a [1, 1, F] row has the result's own shape."""
    rng = np.random.default_rng(8)
    row = lambda name, shape, low, high: numpy_helper.from_array(  # noqa: E731
        rng.uniform(low, high, shape).astype(np.float32), name)
    inits = weights(rng, W1=(hidden, ffn), W2=(ffn, hidden))
    inits += [row("s1", (ffn,), 0.5, 1.5), row("b1", (1, ffn), -1, 1),
              row("b2", (1, 1, ffn), -1, 1), row("s2", (ffn,), 0.5, 1.5),
              row("b3", (1, ffn), -1, 1), row("b4", (1, 1, ffn), -1, 1),
              row("s3", (1, ffn), 0.5, 1.5), row("s4", (1, 1, ffn), 0.5, 1.5),
              numpy_helper.from_array(np.array(1.0, np.float32), "one")]
    ops = [("MatMul", "x", "W1", "h"), ("Mul", "s1", "h", "m"),
           ("Add", "b1", "m", "a"), ("Sub", "b2", "a", "b"),
           ("Div", "b", "s2", "q"), ("Sub", "q", "b3", "e"),
           ("Add", "e", "b4", "g"), ("Mul", "g", "s3", "n"),
           ("Mul", "n", "n", "p"), ("Add", "p", "one", "p1"),
           ("Div", "s4", "p1", "r"), ("MatMul", "r", "W2", "y")]
    return save(tmp_path / f"rowed-{ffn}-{rows}.onnx",
                [helper.make_node(op, [a, b], [out], name=out)
                 for op, a, b, out in ops], inits, hidden, rows)


def golden(path, passes, x, rows=ROWS):
    """The golden model's y for the rows of `x` (the graph's other `rows`
    zero: every op is row-wise)."""
    m = accel.import_onnx(str(path))
    accel.raise_to_accel(m)
    if passes:
        m.run_pipeline("func.func(" + ",".join(passes) + ")")
    padded = np.zeros((1, rows, x.shape[-1]), np.float32)
    padded[0, :x.shape[0]] = x
    return accel.golden_run(m, {"x": padded})["y"][0, :x.shape[0]]


def assert_bits(got, want):
    diff = got.view(np.uint32) != want.view(np.uint32)
    assert not diff.any(), (f"{diff.sum()} of {diff.size} values differ; "
                            f"first at {np.argwhere(diff)[0]}")


def compile_graph(tools, path, package, flags):
    subprocess.run([tools["accelc"], str(path), *flags, "-o", str(package)],
                   check=True, capture_output=True)


def check_rows(tools, path, setting, seed, counts=(1, 5, ROWS), flags=(),
               broadcasts=None):
    """Compiles `path` at `setting` (and `flags`) and runs 1 row, a partial
    tile (5 of 16) and several tiles (40: 16, 16, 8) of one package (or
    the row `counts` of a graph of max(counts) rows) against the golden
    model, bit for bit. With `broadcasts`, first checks that raising
    `path` makes that many accel.broadcast ops."""
    if broadcasts is not None:
        m = accel.import_onnx(str(path))
        accel.raise_to_accel(m)
        assert str(m).count("accel.broadcast") == broadcasts
    package = path.with_suffix(".accel")
    compile_graph(tools, path, package, SETTINGS[setting]["cli"] + [*flags])
    rng = np.random.default_rng(seed)
    for rows in counts:
        x = rng.standard_normal((rows, 64)).astype(np.float32)
        got = accel.simulate(package, inputs={"x": x},
                             mode="functional")["outputs"]["y"]
        assert got.shape == (rows, 64)
        assert_bits(got, golden(path, SETTINGS[setting]["passes"], x,
                                max(counts)))


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_mlp_matches_golden(tmp_path, tools, setting):
    check_rows(tools, mlp(tmp_path), setting, 3)


@pytest.mark.parametrize("setting", ["fp32", "2:4-w2a8"])
def test_scalar_operands_match_golden(tmp_path, tools, setting):
    """x · c, c - x, x + c, c / x and x / c (bmode=imm, or a fill of c for
    c - x and c / x)."""
    check_rows(tools, scaled(tmp_path), setting, 6)


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_row_operands_match_golden(tmp_path, tools, setting):
    """x op r and r op x for a constant row r of the features (its own
    node, not a linear's bias): each is an accel.broadcast of the row, and
    the engine loads the row as a parameter and runs one op over the rows
    (in a tile of several, on the row repeated over them)."""
    check_rows(tools, rowed(tmp_path), setting, 9, broadcasts=8)


@pytest.mark.parametrize("setting", ["fp32", "2:4-w2a8"])
@pytest.mark.parametrize("ffn", [1100, 2048, 4096])
def test_wide_row_operands_match_golden(tmp_path, tools, setting, ffn):
    """Rows of more than 1024 features (a real model's hidden size), which
    the importer keeps as dense_resource blobs, are raised to
    accel.broadcast as dense ones are, placed, loaded and run bit-exact."""
    check_rows(tools, rowed(tmp_path, ffn=ffn), setting, 11, broadcasts=8)


@pytest.mark.parametrize("setting", ["fp32", "2:4-w2a8"])
@pytest.mark.parametrize("ffn", [128, 1100])
def test_one_row_graph_row_operands_match_golden(tmp_path, tools, setting,
                                                 ffn):
    """A graph of one row: its [1, 1, F] rows have the result's own shape
    and are rows as [F] and [1, F] are (an accel.broadcast each)."""
    check_rows(tools, rowed(tmp_path, ffn=ffn, rows=1), setting, 12,
               counts=(1,), broadcasts=8)


def test_row_operands_uneven_tile_match_golden(tmp_path, tools):
    """A prefill tile of 12 rows: the row is copied, then copies of 1, 2
    and 4 rows double it and the last copies 4 (not 8); 40 rows are tiles
    of 12, 12, 12 and 4."""
    check_rows(tools, rowed(tmp_path), "2:4-w2a8", 13,
               flags=["--prefill-tile=12"])


def test_row_operands_reference(tmp_path):
    """The fp32 reference executor runs accel.broadcast: the raised graph
    computes what numpy computes from the ONNX initializers."""
    path = rowed(tmp_path)
    w = {i.name: numpy_helper.to_array(i)
         for i in onnx.load(str(path)).graph.initializer}
    m = accel.import_onnx(str(path))
    accel.raise_to_accel(m)
    x = np.random.default_rng(10).standard_normal((1, ROWS, 64)).astype(
        np.float32)
    g = (w["b2"] - (w["b1"] + w["s1"] * (x @ w["W1"]))) / w["s2"] - w["b3"]
    n = (g + w["b4"]) * w["s3"]
    want = (w["s4"] / (n * n + w["one"])) @ w["W2"]
    np.testing.assert_allclose(accel.reference_run(m, {"x": x})["y"], want,
                               rtol=1e-4, atol=1e-5)


class RowLayer(decoders.LlamaLayer):
    """A LLaMA layer whose output goes on as (shift - y · scale) / divisor
    · 0.5: three rows of the features in nodes of their own, and a
    constant of one value."""

    def __init__(self, c):
        super().__init__(c)
        self.scale = torch.nn.Parameter(1.0 + 0.1 * torch.randn(c.hidden))
        self.shift = torch.nn.Parameter(0.1 * torch.randn(c.hidden))
        self.divisor = torch.nn.Parameter(1.0 + 0.1 * torch.randn(c.hidden))

    def forward(self, x, cos, sin, mask):
        y = super().forward(x, cos, sin, mask)
        return (self.shift - y * self.scale) / self.divisor * 0.5


class RowLlama(decoders.Llama):
    Layer = RowLayer


@pytest.mark.parametrize("setting", ["fp32-lambda", "w2a8kv4-2:4-lambda"])
@pytest.mark.parametrize("hidden,heads,layers", [(64, 4, 2), (2048, 16, 1)])
def test_decoder_row_operands_match_golden(tmp_path, tools, setting, hidden,
                                           heads, layers):
    """A decoder with row operands between its layers: the prefill step
    (tiles of rows, the row repeated over them) and the decode step (one
    row, the op reading the row in prm) give the golden model's tokens and
    logits, bit for bit (the decode step's constant of one value has the
    step's one row); at a hidden size of 2048 the rows are dense_resource
    blobs."""
    torch.manual_seed(0)
    model = RowLlama(decoders.Config(hidden=hidden, ffn=128, vocab=96,
                                     layers=layers, heads=heads,
                                     kv_heads=heads // 2)).eval()
    path = tmp_path / "model.onnx"
    decoders.export(model, path, seq_len=SEQ)
    m = accel.import_onnx(str(path), dims={"batch": 1, "sequence": SEQ})
    accel.raise_to_accel(m)
    assert str(m).count("accel.broadcast") == 3 * layers
    assert_engine_matches_golden(tmp_path, tools, path, DECODER[setting],
                                 PROMPT, NEW)


@pytest.mark.parametrize("setting", ["fp32", "2:4-w2a8"])
@pytest.mark.parametrize("norm", ["layernorm", "rmsnorm"])
def test_block_matches_golden(tmp_path, tools, norm, setting):
    """A tile of 4 rows: 1, 3 and 40 rows are one partial tile, a partial
    tile and ten tiles."""
    path = block(tmp_path, norm)
    package = tmp_path / "block.accel"
    compile_graph(tools, path, package,
                  SETTINGS[setting]["cli"] + ["--prefill-tile=4"])
    rng = np.random.default_rng(4)
    for rows in (1, 3, ROWS):
        x = rng.standard_normal((1, rows, 64)).astype(np.float32)
        result = accel.simulate(package, inputs={"x": x})
        assert result["outputs"]["y"].shape == (1, rows, 64)
        assert_bits(result["outputs"]["y"][0],
                    golden(path, SETTINGS[setting]["passes"], x[0]))
        assert result["report"]["calls"][0]["entry"] == "forward"


def test_token_ids_matches_golden(tmp_path, tools):
    """Token ids in (int32 at io offset 0, as a prompt's), through an
    embedding (Gather from a constant table) and a linear."""
    rng = np.random.default_rng(6)
    table, w = weights(rng, table=(50, 64), W=(64, 32))
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["e"], name="embed"),
         helper.make_node("MatMul", ["e", "W"], ["y"], name="proj")], "emb",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 20])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 20, 32])],
        [table, w])
    path = tmp_path / "emb.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)
    package = tmp_path / "emb.accel"
    compile_graph(tools, path, package, [])
    m = accel.import_onnx(str(path))
    accel.raise_to_accel(m)
    for ids in ([[3]], [[3, 7, 49, 0, 12]], [list(range(20))]):
        ids = np.array(ids)
        got = accel.simulate(package, inputs={"ids": ids},
                             mode="functional")["outputs"]["y"]
        padded = np.zeros((1, 20), np.int64)
        padded[0, :ids.size] = ids
        want = accel.golden_run(m, {"ids": padded})["y"][0, :ids.size]
        assert got.shape == (1, ids.size, 32)
        assert_bits(got[0], want)
    with pytest.raises(accel.AccelError, match=r"token id 50 \(input 'ids', "
                       r"row 1\) is not in the model's vocabulary \[0, 50\)"):
        accel.simulate(package, inputs={"ids": np.array([[1, 50]])})
    # Token ids are integers in [0, 2^31): not rounded floats, not wrapped
    # to int32 (2^32 + 3 would have run as id 3).
    for ids, message in [
            (np.array([[1.0, 2.5]]), "an integer array, not float64"),
            (np.array([[1, 2**32 + 3]]), r"in \[0, 2\^31\), not 1..4294967299"),
            (np.array([[-1, 2]]), r"in \[0, 2\^31\), not -1..2"),
            (np.array([[True]]), "an integer array, not bool")]:
        with pytest.raises(ValueError, match=f"input 'ids'.*{message}"):
            accel.simulate(package, inputs={"ids": ids})


@pytest.mark.skipif(not os.path.isdir(NODE_TESTS),
                    reason="libonnx-testdata is not installed")
@pytest.mark.parametrize("name", ["test_relu", "test_add", "test_sub",
                                  "test_mul", "test_div", "test_identity",
                                  "test_sub_example", "test_mul_example",
                                  "test_div_example"])
def test_onnx_node_tests(tmp_path, tools, name):
    """The 9 of ONNX's 932 node tests that raise fully and are row-wise
    (rows of 2, 3 or 5 floats: 64-byte units), within ONNX's backend
    tolerance and of the expected shapes."""
    directory = os.path.join(NODE_TESTS, name)
    model = onnx.load(os.path.join(directory, "model.onnx"))
    package = tmp_path / f"{name}.accel"
    compile_graph(tools, os.path.join(directory, "model.onnx"), package, [])
    load = lambda pattern: [numpy_helper.to_array(onnx.load_tensor(f))  # noqa: E731
                            for f in sorted(glob.glob(os.path.join(
                                directory, "test_data_set_0", pattern)))]
    inputs = {v.name: a for v, a in zip(model.graph.input, load("input_*.pb"))}
    outputs = accel.simulate(package, inputs=inputs,
                             mode="functional")["outputs"]
    for v, want in zip(model.graph.output, load("output_*.pb")):
        assert outputs[v.name].shape == want.shape
        np.testing.assert_allclose(outputs[v.name], want, rtol=1e-3,
                                   atol=1e-5)


def test_sim_flags_and_round_trip(tmp_path, tools):
    """accel-sim --input/--output in timing and both modes, its errors, and
    the package's listing reassembled to the same code."""
    path = mlp(tmp_path)
    package = tmp_path / "mlp.accel"
    compile_graph(tools, path, package, [])
    x = np.random.default_rng(5).standard_normal((7, 64)).astype("<f4")
    x.tofile(tmp_path / "x.f32")
    sim = lambda *flags: subprocess.run(  # noqa: E731
        [tools["accel-sim"], str(package), *flags], capture_output=True,
        text=True)
    run = sim(f"--input=x={tmp_path / 'x.f32'}",
              f"--output=y={tmp_path / 'y.f32'}")
    assert run.returncode == 0 and "forward:" in run.stdout
    assert_bits(np.fromfile(tmp_path / "y.f32", "<f4").reshape(7, 64),
                golden(path, [], x))
    assert sim(f"--input=x={tmp_path / 'x.f32'}", "--mode=timing",
               "--no-summary").returncode == 0
    (tmp_path / "odd.f32").write_bytes(b"\0" * 12)
    for flags, message in [
            ([], "give the package's input 'x' with --input=x=FILE"),
            ([f"--input=z={tmp_path / 'x.f32'}"], "NAME one of the package's "
             "input (x)"),
            ([f"--input=x={tmp_path / 'odd.f32'}"], "12 bytes are not whole "
             "rows of 256"),
            ([f"--input=x={tmp_path / 'x.f32'}", "--prompt-ids=1"],
             "a forward package runs its graph over --input rows")]:
        run = sim(*flags)
        assert run.returncode == 1 and message in run.stderr, run.stderr
    big = np.zeros((ROWS + 1, 64), "<f4")
    big.tofile(tmp_path / "big.f32")
    run = sim(f"--input=x={tmp_path / 'big.f32'}")
    assert run.returncode == 1 and "41 rows: a call takes 1 to 40" in run.stderr
    with pytest.raises(ValueError, match="inputs must name"):
        accel.simulate(package, inputs={"z": x})
    with pytest.raises(accel.AccelError, match="a forward package runs its "
                       "graph over --input rows"):
        accel.simulate(package, [1, 2], 1)
    with pytest.raises(ValueError, match="not both"):
        accel.simulate(package, [1, 2], 1, inputs={"x": x})
    with pytest.raises(ValueError, match="input 'x' holds fp32 rows: a real "
                       "array, not complex64"):
        accel.simulate(package, inputs={"x": x.astype(np.complex64)})

    listing = subprocess.run([tools["accel-objdump"], str(package)],
                             check=True, capture_output=True, text=True).stdout
    assert listing.startswith(".entry forward\n")
    asm = tmp_path / "mlp.s"
    asm.write_text(listing)
    again = tmp_path / "again.accel"
    as_tool = os.path.join(os.path.dirname(tools["accelc"]), "accel-as")
    subprocess.run([as_tool, str(asm), "-o", str(again)], check=True,
                   capture_output=True)
    assert subprocess.run([tools["accel-objdump"], str(again)], check=True,
                          capture_output=True, text=True).stdout == listing
    code = [subprocess.run([tools["accel-objdump"], "--section=code", str(p)],
                           check=True, capture_output=True).stdout
            for p in (package, again)]
    assert code[0] == code[1] and len(code[0]) % 16 == 0


def test_compile_errors(tmp_path, tools):
    """An op the engine cannot run is an error naming its ONNX node; a graph
    with attention needs --decode or --lambda."""
    def accelc(path, *flags):
        return subprocess.run([tools["accelc"], str(path), *flags, "-o",
                               str(tmp_path / "out.accel")],
                              capture_output=True, text=True)
    x = helper.make_tensor_value_info("a", TensorProto.FLOAT, [3, 4])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [4, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 3])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"],
                                                name="product")],
                              "g", [x, b], [y])
    path = tmp_path / "matmul.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)
    run = accelc(path)
    assert run.returncode == 1
    assert ("'product': error: MatMul was not raised to an accel op: the "
            "engine cannot run it") in run.stderr
    assert "warning" not in run.stderr
    assert not (tmp_path / "out.accel").exists()

    decoder = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                           "tiny_llama", "model.onnx")
    run = accelc(decoder, "--dim", "batch=1,sequence=16")
    assert run.returncode == 1
    assert ("error: the graph has attention: the engine runs it as a decoder "
            "step over a KV cache; compile with --decode or --lambda"
            in run.stderr), run.stderr


def test_simulate_needs_accel_sim_alone(tmp_path, tools):
    """accel.simulate runs a decoder and a forward package with an accel-sim
    that has no other tool beside it or on the PATH (a forward package's io
    is accel-sim --print-io's); io metadata that is not a forward package's
    is an AccelError with accel-sim's message, which names the field."""
    alone = tmp_path / "alone"
    alone.mkdir()
    os.symlink(tools["accel-sim"], alone / "accel-sim")
    decoder = tmp_path / "decoder.accel"
    compile_graph(tools, os.path.join(os.path.dirname(__file__), "..", "..",
                                      "examples", "tiny_llama", "model.onnx"),
                  decoder, ["--dim", "batch=1,sequence=16", "--decode"])
    path = mlp(tmp_path)
    package = tmp_path / "mlp.accel"
    compile_graph(tools, path, package, [])
    x = np.ones((2, 64), np.float32)
    environ = dict(os.environ)
    try:
        os.environ["ACCEL_SIM"] = str(alone / "accel-sim")
        os.environ["PATH"] = str(alone)
        assert len(accel.simulate(decoder, [1, 2], 2,
                                  mode="functional")["tokens"]) == 2
        got = accel.simulate(package, inputs={"x": x}, mode="functional")
        assert_bits(got["outputs"]["y"], golden(path, [], x))
    finally:
        os.environ.clear()
        os.environ.update(environ)
    edit = os.path.join(os.path.dirname(__file__), "..", "Robustness",
                        "Inputs", "edit-package.py")
    bad = tmp_path / "bad.accel"
    for change, message in [
            (["--json", "io.inputs.0.dtype=7"], r"io.inputs\[0\]: expected a "
             r'"name" and a "dtype" \(f32 or i32\)'),
            (["--json", "io.outputs={}"], "io.outputs: expected a non-empty "
             "array"),
            (["--flip", "0:0x01"], "Invalid JSON value")]:
        subprocess.run(["/usr/bin/python3", edit, str(package), str(bad),
                        "--section", "metadata", *change], check=True)
        with pytest.raises(accel.AccelError,
                           match="bad.accel: metadata: .*" + message):
            accel.simulate(bad, inputs={"x": x})
