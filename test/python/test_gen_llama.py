"""bench/gen_llama.py's tiny shape: accelc raises every MatMul and Softmax of
it, compiles it the AccLLM way and accel-sim runs the package. (The large
shapes are benchmarks: bench/run.py.)"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "bench", "gen_llama.py")


def test_tiny_llama_compiles_and_runs(tmp_path, accelc, build_dir):
    model = str(tmp_path / "tiny.onnx")
    subprocess.run([sys.executable, GEN, "--shape=tiny", "-o", model],
                   check=True, capture_output=True)
    again = str(tmp_path / "again.onnx")
    subprocess.run([sys.executable, GEN, "--shape=tiny", "-o", again],
                   check=True, capture_output=True)
    with open(model + ".data", "rb") as a, open(again + ".data", "rb") as b:
        assert a.read() == b.read()  # deterministic

    raised = subprocess.run([accelc, model, "--emit=accel"], check=True,
                            capture_output=True, text=True)
    assert "warning" not in raised.stderr
    assert "onnx.node" not in raised.stdout
    for op, count in (("accel.linear", 15), ("accel.attention", 2),
                      ("accel.rmsnorm", 5), ("accel.rope", 4)):
        assert raised.stdout.count(op + " ") == count, op

    package = str(tmp_path / "tiny.accel")
    compiled = subprocess.run(
        [accelc, model, "--dim", "batch=1,sequence=16", "--prune=2:4",
         "--quant=w2a8kv4", "--lambda=4,1020", "-o", package],
        check=True, capture_output=True, text=True)
    assert "warning" not in compiled.stderr
    sim = subprocess.run(
        [os.path.join(build_dir, "bin", "accel-sim"), package,
         "--prompt-ids=1,2,3", "--max-new-tokens=4", "--no-summary"],
        check=True, capture_output=True, text=True)
    tokens = sim.stdout.split("tokens:")[1].split()
    assert len(tokens) == 4 and all(0 <= int(t) < 512 for t in tokens)
