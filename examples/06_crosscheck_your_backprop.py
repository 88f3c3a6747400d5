"""Cross-check your own hand-written backprop — the seed article's network — against autodiff.

    python examples/06_crosscheck_your_backprop.py

Below, `my_backprop` is backprop written by hand in the seed article's column layout (one
example per column), equation by equation. `crosscheck_gradients` compares its output with the
gradients autodiff computes on the same weights, layer by layer, and names the first layer and
equation that disagree. We run it twice: once right, once with a classic slip in σ′.
"""
import numpy as np

from microgradnn import MLP
from microgradnn.check import crosscheck_gradients


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def my_backprop(weights, biases, x, y, sigmoid_prime):
    """∂C/∂W, ∂C/∂b and the errors δ for C = 1/(2n) Σ ‖a − y‖², sigmoid layers,
    x (in, n), y (out, n)."""
    n = x.shape[1]
    a, zs, activations = x, [], [x]
    for w, b in zip(weights, biases):                 # feedforward: zˡ = Wˡaˡ⁻¹ + bˡ
        z = w @ a + b
        a = sigmoid(z)
        zs.append(z)
        activations.append(a)
    delta = (a - y) / n * sigmoid_prime(zs[-1])       # BP1: δᴸ = ∇ₐC ⊙ σ′(zᴸ)
    dw, db, deltas = [None] * len(weights), [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        deltas[l] = delta
        db[l] = delta.sum(axis=1, keepdims=True)      # BP3: ∂C/∂bˡ = δˡ (summed over examples)
        dw[l] = delta @ activations[l].T              # BP4: ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ
        if l > 0:                                     # BP2: δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ)
            delta = (weights[l].T @ delta) * sigmoid_prime(zs[l - 1])
    return dw, db, deltas


net = MLP([2, 10, 1], ["sigmoid", "sigmoid"], seed=0)        # the article's network
rng = np.random.default_rng(1)
x = rng.standard_normal((8, 2))                              # MLP layout: one example per row
y = rng.uniform(size=(8, 1))
weights = [W.data for W in net.weights]
biases = [b.data.reshape(-1, 1) for b in net.biases]

right = lambda z: sigmoid(z) * (1 - sigmoid(z))              # σ′ = σ(1 − σ)
dw, db, deltas = my_backprop(weights, biases, x.T, y.T, right)
report = crosscheck_gradients(net, x, y, dw, db, deltas, layout="columns", loss="quadratic")
print(report)

wrong = lambda z: sigmoid(z)                                 # the slip: σ′ written as σ
dw, db, deltas = my_backprop(weights, biases, x.T, y.T, wrong)
report = crosscheck_gradients(net, x, y, dw, db, deltas, layout="columns", loss="quadratic")
print()
print(report)
print("\nfirst disagreement:", report.first_failure)
