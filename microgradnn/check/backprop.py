"""The seed article's network: backpropagation written out by hand with numpy, BP1–BP4.

This is the blog post's ``NeuralNetwork``, kept recognisable (column layout, ``feedforward``,
``backpropagation``, ``train``) and corrected: a sigmoid that never gives nan, an unknown
activation is an error instead of a silent linear layer, ``train`` slices the batch along the
examples' axis, and ``backpropagation`` returns the true gradients of C (the article returned
their negatives and added them). It does not use :class:`~microgradnn.engine.Value` at all: it
is the independent closed form that :mod:`microgradnn.check` holds autodiff against.

Index convention (as in the article and Nielsen's book): ``weights[l]`` has shape (out, in), so
Wˡⱼₖ connects neuron k of layer l − 1 to neuron j of layer l, and zˡ = Wˡ aˡ⁻¹ + bˡ. Data is in
*columns*: x has shape (features, batch), every zˡ and aˡ has shape (neurons, batch), biases have
shape (out, 1).

The cost is averaged over the batch, C = 1/n Σₓ Cₓ. Its error δˡ = ∂C/∂zˡ therefore has one
column per example equal to 1/n times that example's δˡₓ; BP3 and BP4 then *sum* over the
columns. (The article kept per-example deltas and averaged in BP3/BP4: the same gradients.)

It is written as an expert would write it in numpy, so that it is also a fair yardstick for
speed: σ′ is taken from the activations the forward pass stored (a(1 − a), 1 − a²) rather
than from a second σ(z) (Nielsen's ``network.py`` calls ``sigmoid_prime(z)``), the functions
are looked up in tables built once, and arrays that belong to the step are updated in place.

>>> import numpy as np
>>> net = NeuralNetwork([2, 3, 1], ["sigmoid", "linear"], seed=0)
>>> x = np.array([[0.0, 1.0], [1.0, 0.0]])      # two examples, in columns
>>> z_s, a_s = net.feedforward(x)
>>> dw, db = net.backpropagation(np.array([[1.0, 0.0]]), z_s, a_s)
>>> [w.shape for w in dw], [b.shape for b in db]
([(3, 2), (1, 3)], [(3, 1), (1, 1)])
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..network.architecture import ACTIVATIONS, LOSSES, check_architecture


# --- activations and their derivatives σ′, elementwise on arrays ---

def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e⁻ᶻ), finite and silent for any z, e^z's tiny values kept below −709.

    The article's exp(z) / (1 + exp(z)) gives inf / inf = nan for large z. Here e⁻ᶻ overflows
    only for z < −709; then (rarely) σ(|z|) = 1 / (1 + e), σ(−|z|) = e / (1 + e) with
    e = exp(−|z|) ≤ 1 takes over. (0.5·(tanh(z/2) + 1) costs the same but loses the negative
    tail.)
    """
    t = np.negative(z, dtype=np.float64)
    if type(t) is not np.ndarray:               # a number or a 0-d array
        t = np.array(t)
    try:
        with np.errstate(over="raise"):
            np.exp(t, out=t)
    except FloatingPointError:
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    t += 1.0
    return np.divide(1.0, t, out=t)             # one new array; the rest happens in place


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the neurons (axis 0: one example per column)."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _relu(z):
    return np.maximum(z, 0.0)


def _identity(z):
    return z


# Built once, not per call (the article rebuilt a dictionary of lambdas on every call).
_FUNCTIONS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": _relu, "linear": _identity,
              "softmax": softmax}


def activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """σ by name (the article's getActivationFunction)."""
    if name not in _FUNCTIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return _FUNCTIONS[name]


# σ′ written with the activation a = σ(z) that the forward pass already computed: no second
# σ(z) in the backward pass (Nielsen's network.py computes sigmoid_prime(z), σ(z) again).

def _sigmoid_prime(a):
    return a * (1.0 - a)                    # σ′(z) = σ(z)(1 − σ(z)) = a(1 − a)


def _tanh_prime(a):
    return 1.0 - a * a                      # tanh′(z) = 1 − tanh²(z) = 1 − a²


def _relu_prime(a):
    return (a > 0).astype(np.float64)       # a > 0 exactly where z > 0; relu′(0) = 0


_DERIVATIVES = {"sigmoid": _sigmoid_prime, "tanh": _tanh_prime, "relu": _relu_prime,
                "linear": np.ones_like}


def derivative_from_activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """σ′ by name as a function of the activation a = σ(z): a(1 − a), 1 − a², 1[a > 0], 1.

    >>> a = sigmoid(np.array([0.0]))
    >>> derivative_from_activation("sigmoid")(a)       # σ′(0) = 1/4
    array([0.25])
    """
    if name == "softmax":
        raise ValueError("softmax has no elementwise derivative; use softmax_vjp")
    if name not in _DERIVATIVES:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return _DERIVATIVES[name]


def activation_derivative(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """σ′ by name as a function of z, elementwise (the article's getDerivitiveActivationFunction).

    relu′(0) = 0 (as in PyTorch); linear′ is an array of ones, so shapes stay honest. Softmax
    has no elementwise derivative (each output depends on every z), see :func:`softmax_vjp`.
    The network itself uses :func:`derivative_from_activation`, which needs no second σ(z).
    """
    from_a = derivative_from_activation(name)
    sigma = _FUNCTIONS[name]
    return lambda z: from_a(sigma(z))


def softmax_vjp(grad_a: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Jᵀ ∇ₐC for a = softmax(z): ∂aᵢ/∂zⱼ = aᵢ(1[i=j] − aⱼ), so (Jᵀg)ⱼ = aⱼ (gⱼ − Σᵢ aᵢ gᵢ).

    This is what "∇ₐC ⊙ σ′(z)" in BP1 becomes when σ mixes the neurons.
    """
    return a * (grad_a - (a * grad_a).sum(axis=0, keepdims=True))


# --- costs, averaged over the batch (columns) ---

def cost(a: np.ndarray, y: np.ndarray, loss: str = "quadratic") -> float:
    """C for outputs a and targets y, both (out, batch)."""
    n = a.shape[1]
    if loss == "quadratic":
        return float(((a - y) ** 2).sum() / (2 * n))
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}")
    # 0 · ln 0 counts as 0; an output rounded to exactly 0 or 1 gives an infinite cost.
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y != 0, y * np.log(a), 0.0)
        if loss == "bce":
            terms = terms + np.where(y != 1, (1 - y) * np.log1p(-a), 0.0)
    return float(-terms.sum() / n)


class NeuralNetwork:
    """``NeuralNetwork(layers=[2, 10, 1], activations=["sigmoid", "sigmoid"], seed=0)``.

    With the same ``seed`` (and the default "normal" init) it starts from exactly the weights
    of ``MLP(layers, activations, seed=seed)``.
    """

    def __init__(self, layers: Sequence[int] = (2, 10, 1),
                 activations: Sequence[str] = ("sigmoid", "sigmoid"),
                 seed: int = 0) -> None:
        self.layers, self.activations = check_architecture(layers, activations)
        # The article's randn weights and biases, drawn W1, b1, W2, b2, ... from a seeded
        # generator: the same stream as MLP's "normal" init.
        rng = np.random.default_rng(seed)
        self.weights, self.biases = [], []
        for n_in, n_out in zip(self.layers[:-1], self.layers[1:]):
            self.weights.append(rng.standard_normal((n_out, n_in)))           # (out, in)
            self.biases.append(rng.standard_normal(n_out).reshape(n_out, 1))  # (out, 1)
        self.deltas: list = []                                   # δˡ of the last backprop

    @classmethod
    def from_weights(cls, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                     activations: Sequence[str]) -> "NeuralNetwork":
        """A network with the given weights (out, in) and biases ((out,) or (out, 1)), copied."""
        weights = [np.array(w, dtype=np.float64) for w in weights]
        if len(weights) == 0 or any(w.ndim != 2 for w in weights):
            raise ValueError(f"from_weights: expected a non-empty list of 2-D (out, in) weight "
                             f"matrices, got shapes {[w.shape for w in weights]}")
        layers = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        for l in range(1, len(weights)):
            if weights[l].shape[1] != weights[l - 1].shape[0]:
                raise ValueError(f"from_weights: W{l + 1} has shape {weights[l].shape}, it must "
                                 f"take the {weights[l - 1].shape[0]} outputs of W{l}")
        if len(biases) != len(weights):
            raise ValueError(f"from_weights: {len(weights)} weight matrices but "
                             f"{len(biases)} bias vectors")
        net = cls.__new__(cls)
        net.layers, net.activations = check_architecture(layers, activations)
        net.weights = weights
        net.biases = []
        for l, (w, b) in enumerate(zip(weights, biases), 1):
            b = np.array(b, dtype=np.float64)
            if b.size != w.shape[0] or b.ndim > 2:
                raise ValueError(f"from_weights: b{l} has shape {b.shape}, W{l} has "
                                 f"{w.shape[0]} outputs")
            net.biases.append(b.reshape(-1, 1))
        net.deltas = []
        return net

    def feedforward(self, x: np.ndarray) -> tuple:
        """(z_s, a_s): every layer's pre-activation zˡ and activation aˡ, with a_s[0] = x."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] != self.layers[0]:
            raise ValueError(f"feedforward: expected x of shape ({self.layers[0]}, batch) — "
                             f"one example per column — got {x.shape}")
        a = x
        z_s, a_s = [], [a]
        for w, b, name in zip(self.weights, self.biases, self.activations):
            z = w @ a
            z += b                              # zˡ = Wˡ aˡ⁻¹ + bˡ (b added in place)
            a = _FUNCTIONS[name](z)             # aˡ = σ(zˡ)
            z_s.append(z)
            a_s.append(a)
        return z_s, a_s

    def output_error(self, y: np.ndarray, z: np.ndarray, a: np.ndarray,
                     loss: str = "quadratic") -> np.ndarray:
        """BP1: δᴸ = ∇ₐC ⊙ σ′(zᴸ), for the batch-averaged cost C (σ′ taken from aᴸ = σ(zᴸ))."""
        n = y.shape[1]
        name = self.activations[-1]
        if loss == "quadratic":
            grad_a = a - y
            grad_a *= 1.0 / n                             # ∇ₐC for C = 1/(2n) Σ ‖a − y‖²
            if name == "softmax":
                return softmax_vjp(grad_a, a)             # BP1 with softmax's Jacobian
            grad_a *= derivative_from_activation(name)(a)  # BP1: ⊙ σ′(zᴸ), in place
            return grad_a
        if loss == "bce":
            if name != "sigmoid":
                raise ValueError(f"backpropagation: loss 'bce' needs a sigmoid output layer, "
                                 f"got {name!r}")
            # BP1: ∇ₐC = (a − y) / (a(1 − a)) / n and σ′(z) = a(1 − a), so δᴸ = (a − y) / n;
            # written simplified because a(1 − a) rounds to 0 for large |z|.
            return (a - y) / n
        if loss == "cross_entropy":
            if name != "softmax":
                raise ValueError(f"backpropagation: loss 'cross_entropy' needs a softmax "
                                 f"output layer, got {name!r}")
            # BP1: ∇ₐC = −y / a / n through softmax's Jacobian gives a·(Σy) − y, over n; the
            # targets' columns sum to 1, so δᴸ = (a − y) / n.
            return (a - y) / n
        raise ValueError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}")

    def backpropagation(self, y: np.ndarray, z_s: list, a_s: list,
                        loss: str = "quadratic") -> tuple:
        """(dw, db): the gradients ∂C/∂Wˡ (out, in) and ∂C/∂bˡ (out, 1) of every layer, by
        BP1–BP4. The errors δˡ = ∂C/∂zˡ are kept in ``self.deltas``."""
        y = np.asarray(y, dtype=np.float64)
        if y.shape != a_s[-1].shape:
            raise ValueError(f"backpropagation: y has shape {y.shape}, the output has shape "
                             f"{a_s[-1].shape} (neurons, batch)")
        deltas = [None] * len(self.weights)
        deltas[-1] = self.output_error(y, z_s[-1], a_s[-1], loss)          # BP1
        for l in reversed(range(len(deltas) - 1)):
            # BP2: δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ), σ′ from aˡ = a_s[l + 1] (a_s[0] is x); softmax
            # only ever sits on the output layer
            delta = self.weights[l + 1].T @ deltas[l + 1]
            delta *= derivative_from_activation(self.activations[l])(a_s[l + 1])
            deltas[l] = delta
        db = [d.sum(axis=1, keepdims=True) for d in deltas]   # BP3: ∂C/∂bˡⱼ = δˡⱼ, summed over x
        dw = [d @ a_s[l].T for l, d in enumerate(deltas)]     # BP4: ∂C/∂Wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ, summed
        self.deltas = deltas
        return dw, db

    def train(self, x: np.ndarray, y: np.ndarray, batch_size: int = 10, epochs: int = 100,
              lr: float = 0.01, loss: str = "quadratic") -> list:
        """Mini-batch gradient descent, batches taken in order along axis 1 (the examples);
        the last batch may be smaller. Returns the mean batch cost of each epoch."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
            raise ValueError(f"train: x and y must be (features, batch) and (outputs, batch) "
                             f"with the same batch, got {x.shape} and {y.shape}")
        if batch_size < 1 or epochs < 0 or not lr > 0:
            raise ValueError(f"train: need batch_size ≥ 1, epochs ≥ 0 and lr > 0, got "
                             f"{batch_size}, {epochs}, {lr}")
        history = []
        n = x.shape[1]
        for _ in range(epochs):
            costs = []
            for i in range(0, n, batch_size):
                x_batch, y_batch = x[:, i:i + batch_size], y[:, i:i + batch_size]
                z_s, a_s = self.feedforward(x_batch)
                dw, db = self.backpropagation(y_batch, z_s, a_s, loss)
                # Descent: step *against* the gradient (the article added its negated "dw"),
                # in place; dw and db are fresh arrays, so they are scaled in place too.
                for w, g in zip(self.weights + self.biases, dw + db):
                    g *= lr
                    w -= g
                costs.append(cost(a_s[-1], y_batch, loss))
            history.append(float(np.mean(costs)))
        return history


def gradients(net: NeuralNetwork, x: np.ndarray, y: np.ndarray,
              loss: str = "quadratic") -> tuple:
    """(dw, db, deltas) of ``net`` on (x, y) in column layout: one feedforward, one backprop."""
    z_s, a_s = net.feedforward(x)
    dw, db = net.backpropagation(y, z_s, a_s, loss)
    return dw, db, list(net.deltas)

