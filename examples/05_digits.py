"""Handwritten digits (8×8 pixels, 1,797 images): a 64-64-10 softmax network, ≥ 96% held out.

    python examples/05_digits.py [--fast]

Needs scikit-learn, whose bundled copy of the digits we read (pip install -e ".[digits]" in the checkout).
"""
import os
import sys

import numpy as np

from microgradnn import MLP
from microgradnn.datasets import digits
from microgradnn.training import accuracy, fit

FAST = "--fast" in sys.argv or os.environ.get("MICROGRADNN_EXAMPLE_FAST") == "1"

try:
    x, y = digits()            # x (1797, 64) in [0, 1], y the labels 0..9
except ImportError as e:
    sys.exit(str(e))

# The images come ordered by writer: shuffle (seeded) before holding out a quarter for testing,
# or the test set would be writers the network never saw.
order = np.random.default_rng(0).permutation(len(x))
x, y = x[order], y[order]
cut = int(0.75 * len(x))
x_train, y_train, x_test, y_test = x[:cut], y[:cut], x[cut:], y[cut:]

# Softmax output + cross-entropy (computed from the logits, so it stays finite).
net = MLP([64, 64, 10], ["relu", "softmax"], seed=0, init="he")
fit(net, x_train, y_train, loss="cross_entropy", optimizer="adam", lr=0.005,
    epochs=2 if FAST else 30, batch_size=32, progress=not FAST)

test_accuracy = accuracy(net, x_test, y_test)
print(f"held-out accuracy on {len(x_test)} digits: {test_accuracy:.1%}")
if not FAST and test_accuracy < 0.96:
    sys.exit("expected at least 96%")
