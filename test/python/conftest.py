"""pytest setup: import `accel` from the build tree, seed the RNGs, and find
the build's tools.

The package is assembled in <build>/python; ACCEL_BUILD_DIR names the build
directory (default: build/ at the top of the source tree).
"""

import os
import random
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("ACCEL_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))
# decoders.py and the other helpers next to the tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    import importlib.util
    if importlib.util.find_spec("torch") is not None:
        # The tracer warns where model code turns tensors into Python values
        # (shape arithmetic): expected for every decoder export.
        config.addinivalue_line("filterwarnings", "ignore::torch.jit.TracerWarning")


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state, whatever ran before."""
    random.seed(0)
    try:
        import numpy
        numpy.random.seed(0)
    except ImportError:
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(0)
    yield


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture(scope="session")
def accelc():
    path = os.path.join(BUILD, "bin", "accelc")
    if not os.path.exists(path):
        pytest.skip(f"{path} is not built")
    return path
