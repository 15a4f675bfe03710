"""accel: compile LLMs the AccLLM way to an FPGA engine's instructions.

The native core is `accel._accel` (pybind11 over accel's C++ API). Every error
accel reports is raised as `accel.AccelError`, whose text carries the
diagnostics and their locations.
"""

from ._accel import AccelError, Module, load_mlir, parse_mlir

__all__ = ["AccelError", "Module", "load_mlir", "parse_mlir", "op_summary"]


def op_summary(module: Module, dialect: str = "accel") -> dict:
    """The counts of `module`'s ops in `dialect` (all ops if `dialect` is
    empty), keyed by op name without the dialect prefix when one is given."""
    counts = module.op_counts()
    if not dialect:
        return dict(counts)
    prefix = dialect + "."
    return {name[len(prefix):]: n for name, n in counts.items()
            if name.startswith(prefix)}
