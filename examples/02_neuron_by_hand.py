"""A micrograd-style neuron and a tiny network built by hand from scalar Values, then trained.

    python examples/02_neuron_by_hand.py [--fast]

No library network here: each weight is one scalar Value, and the training loop is the three
lines every framework hides — forward, backward, step.
"""
import os
import random
import sys

from microgradnn import Value

FAST = "--fast" in sys.argv or os.environ.get("MICROGRADNN_EXAMPLE_FAST") == "1"
random.seed(0)


class Neuron:
    """tanh(w·x + b) with one scalar Value per weight."""

    def __init__(self, n_inputs, name):
        self.w = [Value(random.uniform(-1, 1), label=f"{name}.w{i}") for i in range(n_inputs)]
        self.b = Value(0.0, label=f"{name}.b")

    def __call__(self, xs):
        total = self.b
        for wi, xi in zip(self.w, xs):
            total = total + wi * xi
        return total.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, n_inputs, n_outputs, name):
        self.neurons = [Neuron(n_inputs, f"{name}{j}") for j in range(n_outputs)]

    def __call__(self, xs):
        return [n(xs) for n in self.neurons]

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


# micrograd's classic toy problem: four examples of three inputs, targets ±1.
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]

hidden, output = Layer(3, 4, "h"), Layer(4, 1, "o")
params = hidden.parameters() + output.parameters()
print(f"{len(params)} parameters, each its own scalar Value")

steps = 20 if FAST else 60     # 60: the run docs/neuron-to-network.md shows, number for number
for step in range(steps):
    preds = [output(hidden(x))[0] for x in xs]
    loss = sum(((p - y) ** 2 for p, y in zip(preds, ys)), Value(0.0))   # squared error

    for p in params:            # gradients accumulate, so clear them before each backward
        p.grad = 0.0
    loss.backward()
    for p in params:            # gradient descent: step against the gradient
        p.data -= 0.05 * p.grad

    if step % 20 == 0 or step == steps - 1:
        print(f"step {step:2d}  loss {loss.data:.4f}")

print("predictions:", [round(output(hidden(x))[0].data, 2) for x in xs], "targets:", ys)
