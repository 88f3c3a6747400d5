"""Time per epoch of ``fit`` on real data: scikit-learn's digits, 64-64-10, Adam, batch 32.

The network and settings of docs/training.md (relu hidden layer, softmax output, cross-entropy
from the logits, Adam lr 0.005, batch 32, shuffled), trained on the same 1,347 examples. Each
figure is the median over repeats of one epoch; one BLAS thread, as in benchmarks/training.py.

    python benchmarks/fit_digits.py [--repeats 15] [--before DIR]

With ``--before DIR`` (an older source tree, see benchmarks/before.py) the two versions train
their own copy of the network in turns, one epoch each, in this one process.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")      # before numpy is imported

import argparse
import statistics
import sys
import time

import numpy as np

from microgradnn.datasets import digits


def trainer(nn, optim, training, x, y):
    """One epoch of fit per call, on a network of its own, with the given version's modules."""
    net = nn.MLP([64, 64, 10], ["relu", "softmax"], seed=0, init="he")
    opt = optim.Adam(net.parameters(), lr=0.005)
    epoch = [0]

    def run():
        training.fit(net, x, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=32,
                     seed=epoch[0], progress=False)
        epoch[0] += 1
    return net, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--before", metavar="DIR", help="also time the microgradnn in DIR")
    args = parser.parse_args()
    x, y = digits()
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:1347], y[:1347], x[1347:], y[1347:]
    import microgradnn.nn as nn, microgradnn.optim as optim, microgradnn.training as training
    versions = {"now": trainer(nn, optim, training, x_train, y_train)}
    if args.before:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import before
        old = before.load(args.before)
        versions["before"] = trainer(*(before.submodule(old, m) for m in ("nn", "optim", "training")),
                                     x_train, y_train)
    times = {name: [] for name in versions}
    for _ in range(args.repeats):
        for name, (_, run) in versions.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    steps = -(-len(x_train) // 32)
    print(f"fit on digits 64-64-10 (relu, softmax, cross-entropy), Adam, batch 32, "
          f"{len(x_train)} examples = {steps} steps an epoch, "
          f"{os.environ['OMP_NUM_THREADS']} thread(s), {args.repeats} epochs in turns")
    for name, (net, _) in versions.items():
        q = statistics.quantiles(times[name], n=4)
        print(f"{name:>6}: time per epoch median {statistics.median(times[name]) * 1e3:.1f} ms "
              f"[quartiles {q[0] * 1e3:.1f}–{q[2] * 1e3:.1f}], "
              f"{statistics.median(times[name]) / steps * 1e6:.0f} µs a step; held-out accuracy "
              f"{training.accuracy(net, x_test, y_test):.1%}")
    if "before" in times:
        ratios = [b / a for a, b in zip(times["now"], times["before"])]
        q = statistics.quantiles(ratios, n=4)
        print(f"before / now, epoch by epoch: median {statistics.median(ratios):.2f}× "
              f"[quartiles {q[0]:.2f}–{q[2]:.2f}]")


if __name__ == "__main__":
    main()
