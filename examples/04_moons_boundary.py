"""Two moons: train a classifier, plot its loss curve and its decision boundary.

    python examples/04_moons_boundary.py [--fast]     # writes moons-loss.png, moons-boundary.png

Needs matplotlib for the pictures (pip install "microgradnn[demo]").
"""
import os
import sys

from microgradnn import MLP
from microgradnn.datasets import moons
from microgradnn.training import accuracy, fit

FAST = "--fast" in sys.argv or os.environ.get("MICROGRADNN_EXAMPLE_FAST") == "1"

x, y = moons(n=200 if FAST else 600, noise=0.2, seed=0)     # generated in code, seeded
cut = int(0.75 * len(x))                                     # the points come shuffled
x_train, y_train, x_test, y_test = x[:cut], y[:cut], x[cut:], y[cut:]

net = MLP([2, 16, 16, 1], ["relu", "relu", "sigmoid"], seed=0, init="he")
history = fit(net, x_train, y_train, loss="bce", optimizer="adam", lr=0.01,
              epochs=20 if FAST else 150, batch_size=32, validation_data=(x_test, y_test),
              progress=not FAST)
print(f"test accuracy: {accuracy(net, x_test, y_test):.1%}")

try:
    from microgradnn.plots import decision_boundary, loss_curve
except ImportError:
    sys.exit(0)
try:
    loss_curve(history, "moons-loss.png", title="Two moons")
    decision_boundary(net, x_test, y_test, "moons-boundary.png", title="Two moons: test points")
    print("wrote moons-loss.png and moons-boundary.png")
except ImportError as e:            # matplotlib is an optional extra
    print(e)
