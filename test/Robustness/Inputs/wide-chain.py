"""Writes a valid ONNX model whose shape inference is slow and large.

    wide-chain.py RANK NODES OUT.onnx

x[1, 1, ..., 1] (RANK ones) -> Identity -> ... (NODES of them) -> y. ONNX's
shape inference copies the whole shape into each node's output, so its time
and memory grow as RANK x NODES while the file stays small (2 bytes a
dimension): 20000 x 100 takes libonnx 1.12 about 0.3 s and 150 MB.
"""

import sys

from onnx import TensorProto, helper


def main():
    rank, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    names = ["x"] + ["v%d" % i for i in range(count - 1)] + ["y"]
    nodes = [helper.make_node("Identity", [a], [b], name="id%d" % i)
             for i, (a, b) in enumerate(zip(names, names[1:]))]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] * rank)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1] * rank)])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    main()
