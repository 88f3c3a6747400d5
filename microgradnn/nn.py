"""A dense network (multi-layer perceptron) on the Value graph.

Each layer computes ``z = x Wᵀ + b`` (``x.linear(W) + b``: the product is one node) and then
``a = σ(z)``: the seed article's equations
(zˡ = Wˡ aˡ⁻¹ + bˡ, aˡ = σ(zˡ)) written for a batch in *rows* — x has shape (batch, features) —
with W of shape (out, in) as in the article.

>>> net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
>>> out = net([[0.5, -1.0]])
>>> out.shape
(1, 1)
>>> sorted(net.nodes)
['a1', 'a2', 'x', 'z1', 'z2']

After ``loss.backward()``, the error of layer l, δˡ = ∂C/∂zˡ, is ``net.nodes["z<l>"].grad``.

A *scalar mode* builds the same network one number per node, micrograd-style, for drawings of
small networks: :meth:`MLP.scalar_forward`.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .architecture import ACTIVATIONS, check_architecture, init_parameters
from .engine import Value


class MLP:
    """A fully connected network: ``MLP(layers=[2, 10, 1], activations=["sigmoid", "sigmoid"])``.

    ``layers`` lists the layer sizes, input first; ``activations`` names one activation per
    weight layer (sigmoid, tanh, relu, linear, softmax — softmax on the output layer only).
    ``init`` is "normal" (the seed article's standard normal), "xavier" or "he"; ``seed``
    makes it reproducible.
    """

    def __init__(self, layers: Sequence[int] = (2, 10, 1),
                 activations: Sequence[str] = ("sigmoid", "sigmoid"),
                 seed: int = 0, init: str = "normal") -> None:
        self.layers, self.activations = check_architecture(layers, activations)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"MLP: seed must be an integer, got {seed!r}")
        self.init = init
        self.seed = seed
        weights, biases = init_parameters(self.layers, init, seed)
        self.weights = [Value(w, label=f"W{l}") for l, w in enumerate(weights, 1)]
        self.biases = [Value(b, label=f"b{l}") for l, b in enumerate(biases, 1)]
        self.nodes: dict = {}
        self.scalar_params: dict = {}

    def __getitem__(self, name: str) -> Any:
        """A Value of the last forward pass by name: ``net["z1"]`` is ``net.nodes["z1"]``.

        >>> net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
        >>> out = net([[0.5, -1.0]])
        >>> net["a2"] is out and net["z1"].shape == (1, 3)
        True
        """
        if name not in self.nodes:
            known = ", ".join(self.nodes) or "none yet: call the network first"
            raise KeyError(f"MLP: no value named {name!r} in the last forward pass (known: {known})")
        return self.nodes[name]

    def parameters(self) -> list:
        """[W1, b1, W2, b2, ...], the Values an optimizer updates."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def __repr__(self) -> str:
        return (f"MLP(layers={self.layers}, activations={self.activations}, "
                f"init={self.init!r}, seed={self.seed!r})")

    # --- the forward pass on tensors ---

    def __call__(self, x: Any) -> Value:
        """The network's output, a Value of shape (batch, layers[-1]).

        x: an array, nested list or Value of shape (batch, layers[0]); a 1-D x of length
        layers[0] is one example, treated as a batch of one (the output is still 2-D).
        A list of scalar Values is one example in scalar mode (see :meth:`scalar_forward`).
        The Values of this pass are kept in ``self.nodes`` by name: "x", "z1", "a1", ...
        """
        if isinstance(x, (list, tuple)) and x and all(isinstance(v, Value) and v.is_scalar
                                                     for v in x):
            return self.scalar_forward(x)
        a = self._input(x)
        nodes = {"x": a}
        for l, (W, b, act) in enumerate(zip(self.weights, self.biases, self.activations), 1):
            z = a.linear(W) + b                 # zˡ = Wˡ aˡ⁻¹ + bˡ, one example per row: a Wᵀ + b
            z.label = f"z{l}"
            if act == "linear":
                a = z                           # σ(z) = z: no extra node; "a<l>" is "z<l>"
            else:
                a = _activate(z, act)
                a.label = f"a{l}"
            nodes[f"z{l}"], nodes[f"a{l}"] = z, a
        self.nodes = nodes
        return a

    def _input(self, x: Any) -> Value:
        if isinstance(x, Value):
            v = x
        else:
            try:
                data = np.asarray(x, dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise TypeError(f"MLP: cannot read the input as numbers ({e})") from None
            v = Value(data, label="x", requires_grad=False)
        shape = v.shape
        if len(shape) == 1 and shape[0] == self.layers[0]:
            v = v.reshape(1, shape[0])          # one example → a batch of one
            v.label = "x"
        elif len(shape) != 2 or shape[1] != self.layers[0]:
            raise ValueError(f"MLP: expected an input of shape (batch, {self.layers[0]}), "
                             f"got shape {shape}")
        elif not v.label:
            v.label = "x"
        if shape[0] == 0:
            raise ValueError(f"MLP: the input has no examples (shape {shape})")
        if not np.isfinite(v.data).all():
            raise ValueError(f"MLP: the input contains NaN or inf (shape {shape})")
        return v

    # --- the forward pass on scalars ---

    def scalar_forward(self, xs: Sequence[Any]) -> list:
        """One example through the network with one scalar Value per number (micrograd-style).

        Every weight and bias becomes a scalar Value labelled like "W1[0,1]" or "b2[0]", built
        from the current parameters and kept in ``self.scalar_params`` (they are copies:
        gradients land on them, not on ``self.weights``). Returns the output layer as a list of
        scalar Values; ``self.nodes`` holds lists of the scalar "z<l>" and "a<l>" nodes.

        >>> net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
        >>> out = net.scalar_forward([0.5, -1.0])
        >>> bool(abs(out[0].data - net([[0.5, -1.0]]).data[0, 0]) < 1e-12)
        True
        """
        if len(xs) != self.layers[0]:
            raise ValueError(f"MLP.scalar_forward: expected {self.layers[0]} inputs, "
                             f"got {len(xs)}")
        a = [v if isinstance(v, Value) else Value(float(v), label=f"x[{k}]", requires_grad=False)
             for k, v in enumerate(xs)]
        params, nodes = {}, {"x": a}
        for l, (W, b, act) in enumerate(zip(self.weights, self.biases, self.activations), 1):
            n_out, n_in = W.shape
            zs = []
            for j in range(n_out):
                bj = params[f"b{l}[{j}]"] = Value(float(b.data[j]), label=f"b{l}[{j}]")
                z = bj
                for k in range(n_in):
                    wjk = params[f"W{l}[{j},{k}]"] = Value(float(W.data[j, k]),
                                                           label=f"W{l}[{j},{k}]")
                    z = z + wjk * a[k]          # zⱼ = bⱼ + Σₖ Wⱼₖ aₖ
                z.label = f"z{l}[{j}]"
                zs.append(z)
            a = _activate_scalars(zs, act, l)
            nodes[f"z{l}"], nodes[f"a{l}"] = zs, a
        self.scalar_params, self.nodes = params, nodes
        return a

    # --- saving ---

    def save(self, path, optimizer=None) -> None:
        """Write the network (and optionally an optimizer's state) to ``path``."""
        from . import checkpoint
        checkpoint.save(self, path, optimizer=optimizer)

    @classmethod
    def load(cls, path):
        """Read what :meth:`save` wrote (see :func:`microgradnn.checkpoint.load`)."""
        from . import checkpoint
        return checkpoint.load(path)

    # --- PyTorch (optional: see microgradnn.torch_bridge) ---

    def to_torch(self, dtype=None):
        """This network as a ``torch.nn.Sequential`` with copies of the weights (float64
        unless ``dtype`` says otherwise): :func:`microgradnn.torch_bridge.to_torch`."""
        from . import torch_bridge
        return torch_bridge.to_torch(self, dtype=dtype)

    @classmethod
    def from_torch(cls, module, activations=None):
        """An MLP from a PyTorch Sequential of Linear layers and activations, or from its
        state_dict plus ``activations=``: :func:`microgradnn.torch_bridge.from_torch`."""
        from . import torch_bridge
        return torch_bridge.from_torch(module, activations=activations)


def _activate(z: Value, name: str) -> Value:
    if name == "sigmoid":
        return z.sigmoid()
    if name == "tanh":
        return z.tanh()
    if name == "relu":
        return z.relu()
    if name == "softmax":
        return z.softmax(axis=-1)
    raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")


def _activate_scalars(zs: list, name: str, layer: int) -> list:
    if name == "linear":
        return zs
    if name == "softmax":
        # Shift by the largest z (a constant: softmax does not change) so every exp is ≤ 1.
        top = max(z.data for z in zs)
        es = [(z - top).exp() for z in zs]
        total = es[0]
        for e in es[1:]:
            total = total + e
        out = [e / total for e in es]
    else:
        out = [_activate(z, name) for z in zs]
    for j, a in enumerate(out):
        a.label = f"a{layer}[{j}]"
    return out

