#!/usr/bin/python3
"""Writes the fuzzers' seed corpora and dictionaries from the repository's
own inputs (utils/fuzz.sh runs it once per corpus directory):

  onnx/    the test/ .onnxtxt models as binary ONNX, and a small LLaMA
           decoder exported with torch (test/python/decoders.py), and a
           grouped-query one
  sim/     test/Sim and test/ISA assembly (the .s files and the .s parts
           of test/Sim's split-file tests) assembled by accel-as (with and
           without a config section), and that decoder compiled by accelc,
           and a grouped-query one (4 query heads, 2 KV heads) compiled
           with integer attention and with RoPE by cache rank, and forward
           packages (graphs without attention: an MLP fp32 and 2:4 +
           W2A8, ONNX's test_relu and test_add); their config
           is configs/u280.json with at most 4 memory blocks per buffer
           (sim-config.json), as accel-sim-fuzzer's fallback
  as/      the same assembly
  config/  configs/*.json, u280-imem2m.json (configs/u280.json with 2 MiB of
           instruction memory, as bench/run.py makes it) and sim-config.json,
           and u280.json with what-ifs for every field
  as.dict, config.dict: mnemonics (include/accel/ISA/Instructions.def) and
           the JSON keys of configs/u280.json

Usage: make-seeds.py BUILD_DIR OUT_DIR (BUILD_DIR: a normal build, whose
accel-as and accelc make the packages).
"""

import functools
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def assembly_files(tmp):
    """The .s files of test/Sim and test/ISA/Inputs, and the `//--- NAME.s`
    (or `#--- NAME.s`) parts of test/Sim's split-file tests written to tmp
    as TEST-NAME.s."""
    files = sorted((ROOT / "test/Sim").glob("*.s")) + \
        sorted((ROOT / "test/ISA/Inputs").glob("*.s"))
    for test in sorted((ROOT / "test/Sim").glob("*.test")):
        parts = re.split(r"^(?://|#)--- (\S+)\n", test.read_text(),
                         flags=re.M)
        for name, text in zip(parts[1::2], parts[2::2]):
            if name.endswith(".s"):
                files.append(tmp / f"{test.stem}-{name}")
                files[-1].write_text(text)
    return files


def onnx_seeds(out, tmp):
    import onnx
    import onnx.parser
    for path in sorted(ROOT.glob("test/**/*.onnxtxt")):
        text = "\n".join(line for line in path.read_text().splitlines()
                         if not line.startswith("#"))
        try:
            model = onnx.parser.parse_model(text)
        except Exception:
            continue
        (out / (path.stem + ".onnx")).write_bytes(model.SerializeToString())
    sys.path.insert(0, str(ROOT / "test/python"))
    import torch
    import decoders
    torch.manual_seed(0)
    model = decoders.build("llama", hidden=32, ffn=32, vocab=16, layers=1,
                           heads=2)
    decoders.export(model, tmp / "llama.onnx", seq_len=4)
    shutil.copy(tmp / "llama.onnx", out / "llama.onnx")
    # Heads of 16: the engine reads RoPE table rows of whole 64-byte units.
    model = decoders.build("llama", hidden=64, ffn=32, vocab=16, layers=1,
                           heads=4, kv_heads=2)
    decoders.export(model, tmp / "llama-gqa.onnx", seq_len=4)
    shutil.copy(tmp / "llama-gqa.onnx", out / "llama-gqa.onnx")
    return tmp / "llama.onnx", tmp / "llama-gqa.onnx"


def forward_models(tmp):
    """Graphs without attention, which accelc compiles to the forward entry
    (ISA §7): an MLP (MatMul, x · Sigmoid(x), MatMul) over rows of 32
    floats, and ONNX's node tests test_relu and test_add (rows of 5
    floats)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(1)
    inits = [numpy_helper.from_array(
        (rng.standard_normal(shape) * 0.2).astype(np.float32), name)
        for name, shape in (("W1", (32, 64)), ("W2", (64, 32)))]
    graph = helper.make_graph([
        helper.make_node("MatMul", ["x", "W1"], ["h"], name="fc1"),
        helper.make_node("Sigmoid", ["h"], ["s"], name="sigmoid"),
        helper.make_node("Mul", ["h", "s"], ["a"], name="silu"),
        helper.make_node("MatMul", ["a", "W2"], ["y"], name="fc2")], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 32])],
        inits)
    mlp = tmp / "mlp.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), mlp)
    nodes = pathlib.Path("/usr/share/libonnx-testdata/data/node")
    return [("mlp", mlp)] + [
        (name, nodes / name / "model.onnx") for name in ("test_relu",
                                                         "test_add")
        if (nodes / name / "model.onnx").exists()]


def small_config(path):
    """configs/u280.json with at most 4 blocks per buffer."""
    config = json.loads((ROOT / "configs/u280.json").read_text())
    for buffer in config["buffers"].values():
        blocks = buffer["blocks"]
        blocks["value"] = min(blocks["value"], 4)
        blocks["source"] = "fuzzing: a small buffer is quick to clear"
    path.write_text(json.dumps(config, indent=1))
    return path


def sim_seeds(out, build, tmp, assembly, llamas, config):
    bin_dir = build / "bin"
    for path in assembly:
        for suffix, flags in (("", [f"--config={config}"]), ("-nocfg", [])):
            seed = out / f"{path.stem}{suffix}.accel"
            subprocess.run([bin_dir / "accel-as", path, "-o", seed, *flags],
                           capture_output=True)
    # test/Sim/generate.s with io slots in its metadata, as its test runs it.
    meta = tmp / "meta.json"
    meta.write_text(json.dumps({
        "hbm": {"weights": 0, "kv": 64, "act": 0, "io": 192},
        "io": {"tokens": {"offset": 0, "bytes": 64, "channel": 0},
               "logits": {"offset": 64, "bytes": 32, "channel": 0},
               "token": {"offset": 128, "bytes": 4, "channel": 0}}}))
    subprocess.run([bin_dir / "accel-as", ROOT / "test/Sim/generate.s",
                    "-o", out / "generate-io.accel", f"--config={config}",
                    f"--metadata={meta}"], check=True)
    # The decoder; the grouped-query one with mqk, vsoftmax, vpq and mpv
    # over its 4 heads (qpk = 2) in prefill tiles of 2, and with vrset and
    # vqk rope=1.
    for name, model, flags in (
            ("llama", llamas[0], []),
            ("llama-int8", llamas[1], ["--attention=int8",
                                       "--prefill-tile=2"]),
            ("llama-rope-cache", llamas[1], ["--rope-positions=cache"])):
        subprocess.run([bin_dir / "accelc", model, "--dim=batch=1,sequence=4",
                        "--prune=2:4", "--quant=w2a8kv4", "--lambda=1,3",
                        "--group=0", "--max-context=16", f"--config={config}",
                        *flags, "-o", out / f"{name}.accel"], check=True,
                       capture_output=True)
    # Forward packages (metadata io.max_rows, io.inputs, io.outputs): the
    # MLP fp32 and 2:4 + W2A8 in tiles of 2 rows, the node tests' rows of 5
    # floats in tiles of 16 (64-byte units).
    quant = ["--prune=2:4", "--quant=w2a8kv4", "--group=32"]
    for name, model in forward_models(tmp):
        tile = "--prefill-tile=2" if name == "mlp" else "--prefill-tile=16"
        for suffix, flags in (("", []), ("-w2a8", quant))[
                :2 if name == "mlp" else 1]:
            subprocess.run([bin_dir / "accelc", model, tile,
                            f"--config={config}", *flags, "-o",
                            out / f"forward-{name}{suffix}.accel"],
                           check=True, capture_output=True)


def config_fields(config):
    """The paths of the config's fields (the objects with a "value")."""
    fields = []

    def walk(node, path):
        if isinstance(node, dict) and "value" in node:
            fields.append(path)
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, path + [key])

    walk(config, [])
    return fields


def config_seeds(out):
    """The shipped configs, and configs/u280.json once per field with its
    value replaced by one that a check refuses, by 1, value + 1, 3 x value
    or value / 2 (in range, for the checks across fields), or with the field
    or its source removed; compact JSON. Whole configs break under byte
    mutations before they reach most checks, so each check gets a seed of
    its own."""
    for path in sorted((ROOT / "configs").glob("*.json")):
        shutil.copy(path, out)
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench
    bench.imem_variant(ROOT / "configs/u280.json", out)
    config = json.loads((ROOT / "configs/u280.json").read_text())
    fields = config_fields(config)
    refused = [0, -1, 0.5, 2**32, 2**64, "x", None, [], {}]
    for i, path in enumerate(fields):
        value = functools.reduce(lambda node, key: node[key], path,
                                 config)["value"]
        # In range but changed, for the checks across fields (a power of
        # two, a buffer the ISA can address, ...).
        near = []
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            near = [1, value + 1, value * 3, value // 2]
        for j, variant in enumerate(refused + near +
                                    ["<removed>", "<no source>"]):
            seed = json.loads(json.dumps(config))
            parent = seed
            for key in path[:-1]:
                parent = parent[key]
            if variant == "<removed>":
                del parent[path[-1]]
            elif variant == "<no source>":
                del parent[path[-1]]["source"]
            else:
                parent[path[-1]]["value"] = variant
            (out / f"field{i:02d}-{j:02d}.json").write_text(
                json.dumps(seed, separators=(",", ":")))


def what_if_seeds(out):
    """configs/u280.json, a NUL and accel-sim what-ifs (KEY=VALUE lines,
    accel-config-fuzzer's input format) for every field: its value + 1
    (only the timing fields may change), 0, and given twice."""
    config = json.loads((ROOT / "configs/u280.json").read_text())
    text = json.dumps(config, separators=(",", ":"))
    for i, path in enumerate(config_fields(config)):
        key = ".".join(path)
        value = functools.reduce(lambda node, k: node[k], path,
                                 config)["value"]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        for j, lines in enumerate([[f"{key}={value + 1}"], [f"{key}=0"],
                                   [f"{key}={value}", f"{key}={value}"]]):
            (out / f"what-if{i:02d}-{j}.txt").write_text(
                text + "\0" + "\n".join(lines))


def write_dict(path, words):
    path.write_text("".join(json.dumps(w) + "\n" for w in sorted(set(words))))


def main():
    build, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    dirs = {name: out / name for name in ("onnx", "sim", "as", "config")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        llamas = onnx_seeds(dirs["onnx"], tmp)
        config = small_config(dirs["config"] / "sim-config.json")
        assembly = assembly_files(tmp)
        sim_seeds(dirs["sim"], build, tmp, assembly, llamas, config)
        for path in assembly:
            shutil.copy(path, dirs["as"])
    config_seeds(dirs["config"])
    what_if_seeds(dirs["config"])

    defs = (ROOT / "include/accel/ISA/Instructions.def").read_text()
    mnemonics = re.findall(r'ACCEL_INSN\(\w+, "([^"]+)"', defs)
    write_dict(out / "as.dict", mnemonics + [".entry", "r0", "r31", ":", ","])
    keys = re.findall(r'"(\w+)"\s*:', (ROOT / "configs/u280.json").read_text())
    write_dict(out / "config.dict", [f'"{k}"' for k in keys])


if __name__ == "__main__":
    main()
