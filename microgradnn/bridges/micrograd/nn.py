"""micrograd's ``nn``: ``Module``, ``Neuron``, ``Layer`` and ``MLP``, one scalar Value per number.

The same rules as micrograd's ``nn.py``: weights from ``random.uniform(-1, 1)``, drawn from
Python's ``random`` in the same order; a zero bias; ReLU on every layer but the last. So after
``random.seed(1337)`` a network has the very weights micrograd's would, and trains the same way.
The parameters persist: ``p.data -= lr * p.grad`` steps the network.

>>> import random
>>> random.seed(1337)
>>> model = MLP(2, [3, 1])
>>> model
MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
>>> len(model.parameters())       # 3 neurons of 2 weights and a bias, 1 of 3 weights and a bias
13
>>> score = model([Value(0.5), Value(-1.0)])
>>> score.backward()
>>> any(p.grad != 0 for p in model.parameters())
True
"""
from __future__ import annotations

import random
from typing import Any, Sequence

from .engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]


class Module:
    """What every part of a network has: its parameters, and a way to reset their gradients."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list:
        return []


class Neuron(Module):
    """``relu(w · x + b)`` (or ``w · x + b`` when ``nonlin=False``) for ``nin`` inputs."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive integer, got {nin!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        # b + w₀x₀ + w₁x₁ + ...: micrograd's order of additions, so the sums round alike
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; one output is returned as a Value, not a list."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer: nout must be a positive integer, got {nout!r}")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """``MLP(nin, nouts)``: layers of sizes ``nouts`` after ``nin`` inputs, ReLU but the last."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        if isinstance(nouts, int) or not all(isinstance(n, int) for n in nouts) or not nouts:
            raise TypeError(f"MLP: nouts must be a list of layer sizes, as in MLP(2, [16, 16, 1]), "
                            f"got {nouts!r}")
        sz = [nin] + list(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)
                       for i in range(len(nouts))]

    def __call__(self, x: Sequence[Any]):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
