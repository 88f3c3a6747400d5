"""The same seed gives bit-identical data, weights, batches and histories — across processes."""
import subprocess
import sys

PROGRAM = r"""
import hashlib, numpy as np
from microgradnn import datasets
from microgradnn.nn import MLP
from microgradnn.training import fit
x, y = datasets.moons(n=64, noise=0.2, seed=7)
net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=3, init="xavier")
h = fit(net, x, y, loss="bce", optimizer="adam", lr=0.01, epochs=3, batch_size=10, seed=5,
        validation_data=(x[:16], y[:16]), progress=False)
digest = hashlib.sha256()
for arr in (x, y, *[p.data for p in net.parameters()],
            np.array(h.loss), np.array(h.accuracy), np.array(h.val_loss)):
    digest.update(np.ascontiguousarray(arr).tobytes())
print(digest.hexdigest())
"""


def _run() -> str:
    # A fresh interpreter with a different hash seed each time: nothing may depend on it.
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "random", "PATH": ""})
    return out.stdout.strip()


def test_two_processes_with_the_same_seeds_produce_bit_identical_runs():
    first, second = _run(), _run()
    assert len(first) == 64 and first == second


def test_a_different_seed_changes_the_run():
    changed = PROGRAM.replace("seed=5", "seed=6")
    out = subprocess.run([sys.executable, "-c", changed], capture_output=True, text=True, check=True)
    assert out.stdout.strip() != _run()
