"""``fit`` on real data, scikit-learn's digits (64-64-10, Adam, batch 32): per epoch, and against
scikit-learn's ``MLPClassifier``.

First part: the network and settings of docs/training.md (relu hidden layer, softmax output,
cross-entropy from the logits, Adam lr 0.005, batch 32, shuffled), trained on the same 1,347
examples. Each figure is the median over repeats of one epoch; one BLAS thread, as in
benchmarks/training.py. With ``--before DIR`` (an older source tree, see benchmarks/before.py)
the two versions train their own copy of the network in turns, one epoch each, in this one
process.

Second part: whole trainings, 50 epochs, against scikit-learn at the same settings: 64-64-10
relu, Adam lr 1e-3 (β 0.9/0.999, ε 1e-8), batch 32, no L2 (``alpha=0``), shuffled, 1,347
training and 450 held-out examples, no early stopping (``tol=0``, ``n_iter_no_change=50``).
microgradnn's network starts from He's initialisation, scikit-learn's from Glorot's (its own
choice for relu; it has no other). ``fit`` runs with ``compile=False`` and ``compile=True``;
the three take turns, one training each per repeat, and each ratio is taken within a repeat.

    python benchmarks/fit_digits.py [--repeats 15] [--fits 5] [--before DIR]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")      # before numpy is imported

import argparse
import statistics
import sys
import time

import warnings

import numpy as np

from microgradnn.datasets import digits

EPOCHS = 50


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


def against_sklearn(x_train, y_train, x_test, y_test, fits: int) -> None:
    """Whole trainings, in turns: scikit-learn's MLPClassifier, fit, fit(compile=True)."""
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        print("scikit-learn is not installed (pip install -e \".[digits]\"): no comparison")
        return
    import microgradnn.training as training
    from microgradnn.nn import MLP

    def sklearn_fit():
        model = MLPClassifier(hidden_layer_sizes=(64,), activation="relu", solver="adam",
                              learning_rate_init=1e-3, batch_size=32, alpha=0.0,
                              max_iter=EPOCHS, shuffle=True, early_stopping=False, tol=0.0,
                              n_iter_no_change=EPOCHS, random_state=0)
        with warnings.catch_warnings():      # it warns that 50 epochs did not converge
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_train, y_train)
        return model.score(x_test, y_test)

    def our_fit(compile):
        net = MLP([64, 64, 10], ["relu", "softmax"], seed=0, init="he")
        training.fit(net, x_train, y_train, loss="cross_entropy", optimizer="adam", lr=1e-3,
                     epochs=EPOCHS, batch_size=32, seed=0, progress=False, compile=compile)
        return training.accuracy(net, x_test, y_test)

    runs = {"scikit-learn": sklearn_fit, "fit": lambda: our_fit(False),
            "fit, compiled": lambda: our_fit(True)}
    times = {name: [] for name in runs}
    scores = {}
    for _ in range(fits):
        for name, run in runs.items():
            t0 = time.perf_counter()
            scores[name] = run()
            times[name].append(time.perf_counter() - t0)
    print(f"\n{EPOCHS} epochs on digits 64-64-10 relu, Adam lr 1e-3, batch 32, no L2, "
          f"{len(x_train)}/{len(x_test)} split, {fits} trainings each in turns")
    base = times["scikit-learn"]
    for name in runs:
        q = statistics.quantiles(times[name], n=4) if fits > 1 else [times[name][0]] * 3
        line = (f"{name:>14}: {statistics.median(times[name]):.3f} s "
                f"[quartiles {q[0]:.3f}–{q[2]:.3f}], held-out accuracy {scores[name]:.1%}")
        if name != "scikit-learn":
            ratios = [t / b for t, b in zip(times[name], base)]
            r = statistics.quantiles(ratios, n=4) if fits > 1 else [ratios[0]] * 3
            line += (f"; / scikit-learn: median {statistics.median(ratios):.2f}× "
                     f"[quartiles {r[0]:.2f}–{r[2]:.2f}]")
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--fits", type=int, default=5,
                        help="whole trainings against scikit-learn (0: skip that part)")
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
    if args.fits:
        against_sklearn(x_train, y_train, x_test, y_test, args.fits)


if __name__ == "__main__":
    main()
