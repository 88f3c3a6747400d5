"""A dense network (multi-layer perceptron) on the Value graph.

Each layer computes ``z = x Wᵀ + b`` (``x.linear(W, b)``: one node, "affine") and then
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
small networks and for training them one number at a time: :meth:`MLP.scalar_forward`. Its
scalar weights are views of the tensors: stepping ``W1[0,1]`` steps ``W1.data[0, 1]``.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from .architecture import ACTIVATIONS, check_architecture, init_parameters, numbers
from ..core.engine import Value, constant


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
        if isinstance(layers, (int, np.integer)) and not isinstance(layers, bool):
            raise TypeError(
                f"MLP: layers must be a list of sizes, input first, e.g. MLP([2, 16, 16, 1], "
                f"['relu', 'relu', 'linear']); got the number {layers!r}. MLP(nin, nouts) is "
                f"micrograd's signature: for micrograd's network use "
                f"microgradnn.micrograd.nn.MLP({layers!r}, {activations!r})")
        self.layers, self.activations = check_architecture(layers, activations)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"MLP: seed must be an integer, got {seed!r}")
        self.init = init
        self.seed = seed
        self.origin = ""        # where the weights came from when not from init and seed
        weights, biases = init_parameters(self.layers, init, seed)
        self.weights = [Value(w, label=f"W{l}") for l, w in enumerate(weights, 1)]
        self.biases = [Value(b, label=f"b{l}") for l, b in enumerate(biases, 1)]
        self.nodes: dict = {}
        self.scalar_params: dict = {}     # name → _Entry, filled by the first scalar pass

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
        """The architecture, and where the weights came from: init and seed, or ``origin``
        (e.g. "weights copied from a PyTorch model") when they were not drawn."""
        origin = getattr(self, "origin", "")
        drawn = f"init={self.init!r}, seed={self.seed!r}" if not origin else origin
        return f"MLP(layers={self.layers}, activations={self.activations}, {drawn})"

    # --- the forward pass on tensors ---

    def __call__(self, x: Any) -> Value:
        """The network's output, a Value of shape (batch, layers[-1]).

        x: an array, nested list or Value of shape (batch, layers[0]); a 1-D x of length
        layers[0] is one example, treated as a batch of one (the output is still 2-D).
        A list of scalar Values is one example in scalar mode (see :meth:`scalar_forward`).
        The Values of this pass are kept in ``self.nodes`` by name: "x", "z1", "a1", ...
        A float64 array x is used as it is, not copied: change it only after ``backward()``.
        """
        if isinstance(x, (list, tuple)) and x and all(isinstance(v, Value) and v.is_scalar
                                                     for v in x):
            return self.scalar_forward(x)
        a = self._input(x)
        nodes = {"x": a}
        for W, b, act, (z_name, a_name) in zip(self.weights, self.biases, self.activations,
                                               _layer_names(len(self.weights))):
            z = a.linear(W, b)                  # zˡ = Wˡ aˡ⁻¹ + bˡ, one example per row: a Wᵀ + b
            z.label = z_name
            if act == "linear":
                a = z                           # σ(z) = z: no extra node; "a<l>" is "z<l>"
            else:
                a = _activate(z, act)
                a.label = a_name
            nodes[z_name] = z
            nodes[a_name] = a
        self.nodes = nodes
        return a

    def _input(self, x: Any) -> Value:
        if isinstance(x, Value):
            v = x
        else:
            data = numbers(x, "MLP input")       # complex or strings: refused, as by Value()
            # A constant leaf over the caller's array, not a copy of it (the copy costs as much
            # as a layer's bias add at 784 inputs): the network never writes to its input.
            v = constant(data, "x")
        data = v.data
        shape = () if type(data) is float else data.shape
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
        if not np.isfinite(data).all():
            raise ValueError(f"MLP: the input contains NaN or inf (shape {shape})")
        return v

    # --- the forward pass on scalars ---

    def scalar_forward(self, xs: Sequence[Any]) -> list:
        """One example through the network with one scalar Value per number (micrograd-style).

        Every weight and bias is a scalar Value labelled like "W1[0,1]" or "b2[0]", kept in
        ``self.scalar_params`` from one pass to the next. Each is a *view* of its entry in the
        tensor parameters: its ``.data`` is ``W1.data[0, 1]`` and its gradient lands in
        ``W1.grad[0, 1]``. So after ``loss.backward()`` either loop trains the network — over
        ``self.scalar_params.values()`` one number at a time, or over ``self.parameters()`` (or
        an optimizer) — and the tensor forward sees every step. Returns the output layer as a
        list of scalar Values; ``self.nodes`` holds lists of the scalar "z<l>" and "a<l>" nodes.

        >>> net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
        >>> out = net.scalar_forward([0.5, -1.0])
        >>> bool(abs(out[0].data - net([[0.5, -1.0]]).data[0, 0]) < 1e-12)
        True
        >>> out[0].backward()
        >>> w = net.scalar_params["W2[0,1]"]
        >>> bool(w.grad == net.weights[1].grad[0, 1])
        True
        >>> w.data -= 0.5 * w.grad                        # one step of one number ...
        >>> bool(net.weights[1].data[0, 1] == w.data)     # ... is a step of the tensor
        True
        """
        if len(xs) != self.layers[0]:
            raise ValueError(f"MLP.scalar_forward: expected {self.layers[0]} inputs, "
                             f"got {len(xs)}")
        a = [v if isinstance(v, Value) else Value(float(v), label=f"x[{k}]", requires_grad=False)
             for k, v in enumerate(xs)]
        params, nodes = self._scalar_parameters(), {"x": a}
        for l, (W, act) in enumerate(zip(self.weights, self.activations), 1):
            n_out, n_in = W.shape
            zs = []
            for j in range(n_out):
                z = params[f"b{l}[{j}]"]
                for k in range(n_in):
                    z = z + params[f"W{l}[{j},{k}]"] * a[k]   # zⱼ = bⱼ + Σₖ Wⱼₖ aₖ
                z.label = f"z{l}[{j}]"
                zs.append(z)
            a = _activate_scalars(zs, act, l)
            nodes[f"z{l}"], nodes[f"a{l}"] = zs, a
        self.nodes = nodes
        return a

    def _scalar_parameters(self) -> dict:
        """self.scalar_params, built on first use (and again if a parameter tensor was replaced)."""
        params = self.scalar_params
        if params and all(params[f"W{l}[0,0]"]._param is W and params[f"b{l}[0]"]._param is b
                          for l, (W, b) in enumerate(zip(self.weights, self.biases), 1)):
            return params
        params = {}
        for l, (W, b) in enumerate(zip(self.weights, self.biases), 1):
            W_slot, b_slot = _GradSlot(), _GradSlot()
            for j in range(W.shape[0]):
                params[f"b{l}[{j}]"] = _Entry(b, (j,), b_slot, f"b{l}[{j}]")
                for k in range(W.shape[1]):
                    params[f"W{l}[{j},{k}]"] = _Entry(W, (j, k), W_slot, f"W{l}[{j},{k}]")
        self.scalar_params = params
        return params

    # --- pickling; saving and PyTorch ---

    def __getstate__(self) -> dict:
        """What pickle keeps: the architecture and the weights, not the last forward pass
        (``nodes``, ``scalar_params``), whose op nodes belong to a graph, not to the network."""
        for p in self.parameters():
            if isinstance(p._grad, Value):
                raise TypeError(f"pickle: {p.label}'s gradient is itself a graph (from backward("
                                "create_graph=True)); clear it first (p.grad = None for each p "
                                "in net.parameters()), or save the weights with net.save(path)")
        state = self.__dict__.copy()
        state["nodes"], state["scalar_params"] = {}, {}
        return state

    # net.save(path) and MLP.load(path) come from microgradnn.training.checkpoint, and
    # net.to_torch() and MLP.from_torch(model) from microgradnn.bridges.pytorch: the parts above
    # the network attach them when imported (as `import microgradnn` does), so that the network
    # never imports them.


@functools.lru_cache(maxsize=None)
def _layer_names(depth: int) -> tuple:
    """(("z1", "a1"), ("z2", "a2"), ...): each layer's node names, made once, not per call."""
    return tuple((f"z{l}", f"a{l}") for l in range(1, depth + 1))


class _GradSlot:
    """The gradient array the entries of one parameter tensor write into, once they own it."""

    __slots__ = ("owned",)

    def __init__(self) -> None:
        self.owned = None


class _Entry(Value):
    """One number of a parameter tensor as a scalar Value: ``W1[0,1]`` *is* ``W1.data[0, 1]``.

    Its data reads and writes the tensor's entry, and its gradient is the tensor's gradient
    entry, so the scalar graph and the tensor network train one set of weights.
    """

    __slots__ = ("_param", "_index", "_slot")

    def __init__(self, param: Value, index: tuple, slot: _GradSlot, label: str) -> None:
        self._param, self._index, self._slot = param, index, slot
        grad, owned = param._grad, slot.owned
        super().__init__(self._data, label)       # a leaf, over the entry it reads and writes
        param._grad, slot.owned = grad, owned     # (__init__ cleared the entry's gradient)

    @property
    def _data(self) -> float:
        return float(self._param.data[self._index])

    @_data.setter
    def _data(self, x) -> None:
        self._param.data[self._index] = x

    @property
    def _grad(self):
        g = self._param._grad
        return None if g is None else float(g[self._index])

    @_grad.setter
    def _grad(self, g) -> None:
        if isinstance(g, Value):
            raise TypeError(f"{self.label}: a scalar-mode weight keeps its gradient in the "
                            "tensor's .grad array, which holds numbers: backward(create_graph="
                            "True) cannot store a Value there; use microgradnn.gradients(loss, "
                            "params, create_graph=True), which leaves .grad alone")
        param, slot = self._param, self._slot
        total = param._grad
        if total is None:
            if g is None:
                return
            total = np.zeros(param.shape)
        elif total is not slot.owned:   # an array the engine made: it may be shared, so copy
            total = np.array(total, dtype=np.float64)
        total[self._index] = 0.0 if g is None else g
        param._grad = slot.owned = total


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

