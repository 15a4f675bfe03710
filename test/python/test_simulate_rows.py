"""accel.simulate of a forward package leaves the check that every input
gives the same rows to accel-sim's Session: its error is the AccelError
users see, naming the input; the outputs take the first input's leading
dimensions."""

import os
import subprocess

import numpy as np
import pytest

import accel

GRAPH = os.path.join(os.path.dirname(__file__), "..", "Sim", "Inputs",
                     "two-inputs.onnxtxt")


@pytest.fixture
def package(tmp_path, accelc):
    path = tmp_path / "two.accel"
    subprocess.run([accelc, GRAPH, "-o", str(path)], check=True)
    return path


def test_outputs_take_the_first_inputs_rows(package):
    x = np.arange(3 * 16, dtype=np.float32).reshape(1, 3, 16)
    got = accel.simulate(package, inputs={"x": x, "ids": np.zeros(3, int)},
                         mode="functional")["outputs"]["y"]
    assert got.shape == (1, 3, 16)
    np.testing.assert_array_equal(got, x)  # the table's rows are zeros


def test_inputs_of_different_rows(package):
    with pytest.raises(accel.AccelError,
                       match=r"--input=ids=.*: input 'ids': 4 rows, not the "
                             r"call's 3 \(every input takes the same rows\)"):
        accel.simulate(package, inputs={"x": np.zeros((1, 3, 16)),
                                        "ids": np.zeros((1, 4), int)})
