"""XOR: the function a single neuron cannot learn, learned by a network with a hidden layer.

    python examples/03_xor.py [--fast]
"""
import os
import sys

from microgradnn import MLP
from microgradnn.datasets import xor
from microgradnn.training import fit, predict, predict_proba

FAST = "--fast" in sys.argv or os.environ.get("MICROGRADNN_EXAMPLE_FAST") == "1"

x, y = xor(n=4, noise=0.0)      # the truth table itself: (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0

# Two inputs, 8 tanh units, one sigmoid output read as P(x₁ XOR x₂ = 1).
net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0, init="xavier")
history = fit(net, x, y, loss="bce", optimizer="adam", lr=0.05,
              epochs=100 if FAST else 300, batch_size=4, progress=False)

print(f"loss after {len(history)} epochs: {history.loss[-1]:.4f}")
for point, p, label in zip(x, predict_proba(net, x)[:, 0], y):
    print(f"  {point.astype(int)} → {p:.3f}   (XOR = {label})")
print("all four right:", bool((predict(net, x) == y).all()))
