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
import time

import numpy as np


def moons():
    from sklearn.datasets import make_moons
    np.random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    return X, y * 2 - 1           # labels -1 or 1


def demo(Value, MLP, steps: int, X, y) -> tuple:
    """micrograd's demo loop: (losses, accuracies, seconds per step), the model freshly seeded."""
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

    losses, accuracies = [], []
    start = time.perf_counter()
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(total_loss.data)
        accuracies.append(acc)
    return losses, accuracies, (time.perf_counter() - start) / steps


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="training steps (default 5)")
    steps = parser.parse_args(argv).steps
    X, y = moons()
    from microgradnn.micrograd import nn as ours, engine as ours_engine
    results = {"microgradnn.micrograd": demo(ours_engine.Value, ours.MLP, steps, X, y)}
    try:
        from micrograd import engine as mg_engine, nn as mg
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0): timing ours only")
    else:
        results["micrograd 0.1.0"] = demo(mg_engine.Value, mg.MLP, steps, X, y)
    print(f"micrograd's demo training, {steps} steps of 100 moons, MLP(2, [16, 16, 1])")
    for name, (losses, accs, per_step) in results.items():
        print(f"  {name:22s} {per_step * 1000:8.1f} ms/step   final loss {losses[-1]:.12f}  "
              f"accuracy {accs[-1]:.0%}")
    if len(results) == 2:
        (a, _, ta), (b, _, tb) = results.values()
        print(f"  largest loss difference {max(abs(p - q) for p, q in zip(a, b)):.1e};  "
              f"speed-up {tb / ta:.1f}x")


if __name__ == "__main__":
    main()
