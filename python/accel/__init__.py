"""accel: compile LLMs the AccLLM way to an FPGA engine's instructions.

The native core is `accel._accel` (pybind11 over accel's C++ API). Every error
accel reports is raised as `accel.AccelError`, whose text carries the
diagnostics and where they are (`file:line:col`, or the ONNX node name).

    m = accel.import_onnx("model.onnx", dims={"sequence": 16})
    m.run_pipeline(accel.RAISE_PIPELINE)        # or accel.raise_to_accel(m)
    logits = accel.reference_run(m, {"input_ids": ids})["logits"]
    accel.compile(m, "model.accel", prune="2:4", quant="w2a8kv4", lambda_=(4, 1020))
    result = accel.simulate("model.accel", prompt_ids, max_new_tokens=16)
"""

import os
import tempfile
import warnings

from ._accel import (AccelError, CompileOptions, Module, greedy_tokens,
                     import_onnx, load_mlir, parse_mlir)
from .simulator import simulate

__all__ = ["AccelError", "AccelWarning", "Module", "RAISE_PIPELINE", "Signature",
           "compile", "from_torch", "generate", "golden_run", "greedy_tokens",
           "import_onnx",
           "load_mlir", "op_summary", "parse_mlir", "raise_to_accel",
           "reference_run", "simulate"]

#: The pipeline `accelc --emit=accel` runs after import.
RAISE_PIPELINE = ("func.func(accel-raise-onnx),accel-f32-activations,"
                  "canonicalize,cse")


def op_summary(module: Module, dialect: str = "accel") -> dict:
    """The counts of `module`'s ops in `dialect` (all ops if `dialect` is
    empty), keyed by op name without the dialect prefix when one is given."""
    counts = module.op_counts()
    if not dialect:
        return dict(counts)
    prefix = dialect + "."
    return {name[len(prefix):]: n for name, n in counts.items()
            if name.startswith(prefix)}


class Signature(list):
    """[(name, type)] of a function's inputs or outputs. `module.inputs` is
    the main function's list; calling it, `module.inputs("main_graph_decode")`,
    gives another function's (the main one's for None)."""

    def __init__(self, entries, of_function):
        super().__init__(entries)
        self._of_function = of_function

    def __call__(self, function: str = None) -> list:
        return self._of_function(function or "")


Module.inputs = property(
    lambda self: Signature(self._main_inputs, self.function_inputs),
    doc="[(name, type)] of the main function's inputs; "
        "`inputs(function)` gives another function's")
Module.outputs = property(
    lambda self: Signature(self._main_outputs, self.function_outputs),
    doc="[(name, type)] of the main function's outputs; "
        "`outputs(function)` gives another function's")


class AccelWarning(UserWarning):
    """A warning from an accel pass (e.g. work left unraised)."""


def raise_to_accel(module: Module, report_unraised: bool = False) -> Module:
    """Raises an imported module to accel ops in place and returns it. With
    `report_unraised`, every MatMul, Gemm or Softmax the engine could not run
    is reported as an `AccelWarning`."""
    flag = "true" if report_unraised else "false"
    for message in module.run_pipeline(
            f"func.func(accel-raise-onnx{{report-unraised={flag}}}),"
            "accel-f32-activations,canonicalize,cse"):
        warnings.warn(message, AccelWarning, stacklevel=2)
    return module


def _arrays(inputs: dict) -> dict:
    """The inputs as C-contiguous numpy arrays; scalars (a position) stay
    0-d, which `np.ascontiguousarray` would make 1-d."""
    import numpy as np
    return {k: np.asarray(v, order="C") for k, v in inputs.items()}


def reference_run(module: Module, inputs: dict, function: str = None) -> dict:
    """Runs a function of `module` on the fp32 reference executor: the main
    one (`main_graph`, or the only function) unless `function` names another
    (e.g. `main_graph_decode`). `inputs` maps input names to numpy arrays or
    scalars (`np.array(5)` for a `tensor<i64>` position); returns output
    names to numpy arrays."""
    return module.reference_run(_arrays(inputs), function)


def golden_run(module: Module, inputs: dict, function: str = None) -> dict:
    """Runs a function of `module` as the quantized golden model: every
    accel and arith op with the bit-exact arithmetic of docs/NUMERICS.md
    (quantized linears, activation and KV-cache quantization, exp_a,
    sequential fp32 sums). `function`, `inputs` and the result are as for
    `reference_run`."""
    return module.golden_run(_arrays(inputs), function)


def generate(module: Module, prompt_ids, max_new_tokens: int,
             golden: bool = True, function: str = "main_graph_decode"):
    """Greedy generation with the decode function accel-lambda-attention
    derives: feeds the prompt and then each new token one at a time from
    position 0 with empty KV caches, on the golden model (or, with
    `golden=False`, the fp32 reference executor). Returns the generated
    token ids and the logits (numpy, fp32) of the last step — what
    `simulate` returns for the compiled package, bit for bit on the golden
    model."""
    import numpy as np
    run = golden_run if golden else reference_run
    caches = {}
    for name, type_text in module.inputs(function):
        if name.startswith(("key_cache.", "value_cache.")):
            dims = [int(d) for d in type_text[len("tensor<"):].split("x")[:-1]]
            caches[name] = np.zeros(dims, np.float32)
    ids = [int(t) for t in prompt_ids]
    tokens, logits = [], None
    for position in range(len(ids) + max_new_tokens - 1):
        out = run(module, {"input_ids": np.array([[ids[position]]], np.int64),
                           "position": np.array(position, np.int64), **caches},
                  function=function)
        caches = {name: out[name] for name in caches}
        logits = out["logits"][0, 0]
        if position + 1 >= len(prompt_ids):
            tokens.append(int(greedy_tokens(logits)))
            ids.append(tokens[-1])
    return tokens, logits


def compile(module: Module, path, *, prune=None, quant=None, group=None,
            kv_group=None, lambda_=None, decode=False, prefill_tile=None, config=None,
            tokenizer=None, prune_criterion=None, masks=None,
            quant_method=None, quant_head=None, calibration=None, tile=None,
            rope_positions=None, max_context=None, report=None,
            report_format=None, weight_image=None, attention=None,
            share_attention=None):
    """Compiles `module` (imported, e.g. by `import_onnx` or `from_torch`,
    raised or not) to the engine package `path` exactly as `accelc ... -o
    path` does, and returns `path`. Like accelc, it compiles the module in
    place: afterwards the module holds the lowered program, and the float
    and quantized weights are gone (import again to compile other settings,
    and run the fp32 reference before). Each keyword is the accelc flag of the same
    name; None keeps accelc's default:

    - `prune`: N:M semi-structured sparsity of the linear weights, "2:4" or
      (2, 4); default none. `prune_criterion`: "magnitude" (default) or
      "wanda"; `masks`: an ONNX file of keep masks.
    - `quant`: "w2a8kv4", "w4a8kv4", "w8a8kv8"; default none.
      `quant_method`: "rtn" (default) or "calibrated" (GPTQ);
      `quant_head`: the LM head's precision, "w8a8", "w4a8", "w2a8" or
      "none" (default: float);
      `calibration`: a file of token ids, one sequence per line (for wanda
      and calibrated). `group`: weight group size along K (default 128; 0:
      per channel). `kv_group`: KV cache group size along the head dim
      (default -1: the head dim; 0: per channel).
    - `lambda_`: Λ-shaped attention, (sink tokens, window) such as (4, 1020)
      or "4,1020"; implies `decode`. Default none. `decode`: derive the
      one-token decode function without Λ. Without either, a graph
      without attention (an MLP, a norm + linear block) compiles to the
      entry `forward`, run once over its input rows
      (`simulate(path, inputs={...})`), and one with attention is an
      error. `tile`: query rows per prefill
      tile (64); `rope_positions`: "absolute" (default) or "cache";
      `max_context`: cache slots without Λ (4096). `attention`: "f32"
      (default) or "int8", the integer attention of NUMERICS §6.5 (needs
      `quant`).
    - `prefill_tile`: prompt tokens the prefill step takes at a time (16).
      `share_attention`: "auto" (default: the layers call their attention
      as shared subroutines only when the program would not fit the
      instruction memory in line), "always" or "never".
    - `config`: the hardware config JSON (default configs/u280.json);
      `tokenizer`: a tokenizer file carried in the package.
    - `report`: write the compression report and code footprint to this
      file; `report_format`: "text" (default) or "json". `weight_image`:
      also keep the packed weight image in this file.

    A bad option or a failing pass raises `AccelError` with accelc's
    diagnostics; those about an option name its keyword argument (e.g.
    "prune expects N:M", where accelc says "--prune expects N:M").
    """
    options = CompileOptions()
    if prune is not None:
        options.prune = prune if isinstance(prune, str) else ":".join(map(str, prune))
    if lambda_ is not None:
        options.lambda_ = (lambda_ if isinstance(lambda_, str)
                           else ",".join(map(str, lambda_)))
    options.decode = bool(decode)
    for name, value in (("quant", quant), ("group", group),
                        ("kv_group", kv_group),
                        ("prefill_tile", prefill_tile),
                        ("prune_criterion", prune_criterion),
                        ("quant_method", quant_method),
                        ("quant_head", quant_head), ("tile", tile),
                        ("rope_positions", rope_positions),
                        ("max_context", max_context),
                        ("attention", attention),
                        ("share_attention", share_attention),
                        ("report_format", report_format)):
        if value is not None:
            setattr(options, name, value)
    for name, value in (("config", config), ("tokenizer", tokenizer),
                        ("masks", masks), ("calibration", calibration),
                        ("report", report), ("weight_image", weight_image)):
        if value is not None:
            setattr(options, name, os.fspath(value))
    module.compile_to_package(os.fspath(path), options)
    return path


def from_torch(model, example_inputs, input_names=None, output_names=None,
               opset: int = 17, dims=None, dynamic_axes=None) -> Module:
    """Exports a torch module through torch.onnx (as a user would) and
    imports the result. `example_inputs` is a tensor or a tuple of them;
    `dynamic_axes` is torch.onnx's (`{"input_ids": {0: "batch", 1:
    "sequence"}}` or `{"input_ids": [0, 1]}`); `dims` gives symbolic
    dimensions sizes for import. By default the example inputs' own sizes
    are used for every dynamic axis, so shapes are static (what raising
    needs); pass `dims={}` to keep them dynamic."""
    import torch
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    input_names = input_names or [f"input_{i}" for i in range(len(example_inputs))]
    output_names = output_names or ["output"]
    if dims is None:
        dims = _example_dims(dynamic_axes, input_names, example_inputs)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        model.eval()
        with torch.no_grad():
            torch.onnx.export(model, example_inputs, path,
                              input_names=input_names,
                              output_names=output_names,
                              dynamic_axes=dynamic_axes, opset_version=opset,
                              do_constant_folding=True)
        return import_onnx(path, dims=dims)


def _example_dims(dynamic_axes, input_names, example_inputs) -> dict:
    """Symbolic dimension name -> size in the example inputs, named as
    torch.onnx names them (a list of axes becomes `<input>_dynamic_axes_<i>`)."""
    dims = {}
    for name, value in zip(input_names, example_inputs):
        axes = (dynamic_axes or {}).get(name)
        shape = getattr(value, "shape", None)
        if axes is None or shape is None:
            continue
        if not isinstance(axes, dict):
            axes = {axis: f"{name}_dynamic_axes_{i + 1}" for i, axis in enumerate(axes)}
        for axis, dim in axes.items():
            dims.setdefault(dim, int(shape[axis]))
    return dims
