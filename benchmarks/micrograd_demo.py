"""micrograd's demo training, run by micrograd and by microgradnn's micrograd layer in one run.

Run:  python benchmarks/micrograd_demo.py  [--steps N]

The loop is micrograd's demo notebook (demo.ipynb) as written there: 100 moons (sklearn's
make_moons, noise 0.1), MLP(2, [16, 16, 1]), the max-margin ("SVM") loss plus 1e-4 L2, the
full batch each step, learning rate 1.0 - 0.9 k / 100. Both libraries start from
`random.seed(1337)` and `np.random.seed(1337)`, so they hold the same weights; the script checks
that they compute the same losses and prints the time per step of each and the ratio.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np


def moons():
    from sklearn.datasets import make_moons
    np.random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    return X, y * 2 - 1           # labels -1 or 1


def training(Value, MLP, X, y):
    """micrograd's demo loop, one step per next(): yields (loss, accuracy), freshly seeded."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])   # 2-layer neural network

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # svm max-margin
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))          # L2 regularization
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    for k in range(100):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        yield total_loss.data, acc


def run(libraries: dict, steps: int, X, y) -> dict:
    """{name: (losses, accuracies, step times)}, the libraries' steps taken in turn.

    Interleaving the steps spreads the load of a shared machine evenly over the libraries.
    """
    runs = {name: training(V, M, X, y) for name, (V, M) in libraries.items()}
    results = {name: ([], [], []) for name in libraries}
    for _ in range(steps):
        for name, steps_ in runs.items():
            start = time.perf_counter()
            loss, acc = next(steps_)
            seconds = time.perf_counter() - start
            for record, value in zip(results[name], (loss, acc, seconds)):
                record.append(value)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="training steps, at most 100 "
                        "(default 5)")
    steps = parser.parse_args(argv).steps
    if not 1 <= steps <= 100:
        parser.error(f"--steps must be between 1 and 100 (the demo's schedule), got {steps}")
    X, y = moons()
    from microgradnn.micrograd import engine as ours_engine, nn as ours
    libraries = {"microgradnn.micrograd": (ours_engine.Value, ours.MLP)}
    try:
        from micrograd import engine as mg_engine, nn as mg
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0): timing ours only")
    else:
        libraries["micrograd 0.1.0"] = (mg_engine.Value, mg.MLP)
    results = run(libraries, steps, X, y)
    print(f"micrograd's demo training, {steps} steps of 100 moons, MLP(2, [16, 16, 1])")
    for name, (losses, accs, times) in results.items():
        print(f"  {name:22s} {statistics.median(times) * 1000:8.1f} ms/step (median)   "
              f"final loss {losses[-1]:.12f}  accuracy {accs[-1]:.0%}")
    if len(results) == 2:
        (a, _, ta), (b, _, tb) = results.values()
        print(f"  largest loss difference {max(abs(p - q) for p, q in zip(a, b)):.1e};  "
              f"speed-up {statistics.median(tb) / statistics.median(ta):.1f}x")


if __name__ == "__main__":
    main()
