"""Writes malformed binary ONNX models that text cannot express.

    make-onnx.py DIR

Each model is x[2,4] -> MatMul(x, w) -> y[2,3] with the weight w malformed;
the external-data models read DIR/short.bin (40 bytes) and DIR/w.bin (48).
"""

import os
import sys

from onnx import TensorProto, helper


def save(directory, name, weight):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [weight])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    with open(os.path.join(directory, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def weight(dims, raw=b"", data_type=TensorProto.FLOAT):
    w = TensorProto(name="w", data_type=data_type, dims=dims)
    w.raw_data = raw
    return w


def external(location, **fields):
    w = weight([4, 3])
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in [("location", location)] + list(fields.items()):
        entry = w.external_data.add()
        entry.key, entry.value = key, str(value)
    return w


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "short.bin"), "wb") as f:
        f.write(bytes(40))
    with open(os.path.join(d, "w.bin"), "wb") as f:
        f.write(bytes(48))
    save(d, "absurd-dims", weight([1 << 31, 1 << 31]))
    save(d, "negative-dims", weight([4, -3]))
    save(d, "short-raw", weight([4, 3], bytes(20)))
    save(d, "bad-dtype", weight([4, 3], bytes(48), data_type=99))
    save(d, "ext-missing", external("missing.bin"))
    save(d, "ext-short", external("short.bin"))
    save(d, "ext-escape", external("../w.bin"))
    save(d, "ext-absolute", external(os.path.abspath(os.path.join(d, "w.bin"))))
    save(d, "ext-offset", external("w.bin", offset=(1 << 64) - 8))
    save(d, "ext-not-a-number", external("w.bin", length="forty-eight"))
    save(d, "ext-directory", external("."))


if __name__ == "__main__":
    main()
