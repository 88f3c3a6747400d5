"""Time per epoch of ``fit`` on real data: scikit-learn's digits, 64-64-10, Adam, batch 32.

The network and settings of docs/training.md (relu hidden layer, softmax output, cross-entropy
from the logits, Adam lr 0.005, batch 32, shuffled), trained on the same 1,347 examples. Each
figure is the median over repeats of one epoch; one BLAS thread, as in benchmarks/training.py.

    python benchmarks/fit_digits.py [--repeats 15]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")      # before numpy is imported

import argparse
import statistics
import time

import numpy as np

from microgradnn.datasets import digits
from microgradnn.nn import MLP
from microgradnn.optim import Adam
from microgradnn.training import accuracy, fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    x, y = digits()
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:1347], y[:1347], x[1347:], y[1347:]
    net = MLP([64, 64, 10], ["relu", "softmax"], seed=0, init="he")
    opt = Adam(net.parameters(), lr=0.005)
    times = []
    for epoch in range(args.repeats):
        t0 = time.perf_counter()
        fit(net, x_train, y_train, loss="cross_entropy", optimizer=opt, epochs=1,
            batch_size=32, seed=epoch, progress=False)
        times.append(time.perf_counter() - t0)
    steps = -(-len(x_train) // 32)
    q = statistics.quantiles(times, n=4)
    print(f"fit on digits 64-64-10 (relu, softmax, cross-entropy), Adam, batch 32, "
          f"{len(x_train)} examples = {steps} steps an epoch, "
          f"{os.environ['OMP_NUM_THREADS']} thread(s)")
    print(f"time per epoch: median {statistics.median(times) * 1e3:.1f} ms "
          f"[quartiles {q[0] * 1e3:.1f}–{q[2] * 1e3:.1f}] over {args.repeats} epochs, "
          f"{statistics.median(times) / steps * 1e6:.0f} µs a step; held-out accuracy after "
          f"them: {accuracy(net, x_test, y_test):.1%}")


if __name__ == "__main__":
    main()
