"""Cost functions on the Value graph, each averaged over the batch (axis 0).

* ``quadratic(output, y)`` — the seed article's C = 1/(2n) Σₓ ‖a − y‖², on the network's output a.
* ``binary_cross_entropy(logits, y)`` — C = −1/n Σₓ Σⱼ [y ln σ(z) + (1 − y) ln(1 − σ(z))],
  computed from the logits z (the output layer's pre-activation, before its sigmoid).
* ``softmax_cross_entropy(logits, targets)`` — C = −1/n Σₓ Σⱼ yⱼ ln softmax(z)ⱼ, from the
  logits, with integer labels or one-hot rows.

Both cross-entropies work from the logits because ln σ(z) and ln softmax(z) are finite for any
z when computed that way, while σ(z) itself rounds to exactly 1 above z ≈ 37 (1 − σ(z) falls
below half an ulp of 1) — and to 0 only below z ≈ −745, where e^z underflows.
With an :class:`~microgradnn.nn.MLP` whose output layer is a sigmoid (bce) or a softmax
(cross_entropy), :func:`network_loss` picks the logits for you (``net.nodes["z<L>"]``); so
does :func:`microgradnn.training.fit`.

>>> from microgradnn import Value
>>> out = Value([[0.5], [1.0]])
>>> loss = quadratic(out, [[0.0], [1.0]])      # (0.25 + 0) / (2·2)
>>> loss.data, loss.label
(array(0.0625), 'loss')
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .architecture import LOSSES, numbers
from ..core import ops
from ..core.engine import Value, constant, record
from ..core.numpy_api import stack_values

# The output activation whose logits each cross-entropy expects (quadratic takes any output).
OUTPUT_ACTIVATION = {"bce": "sigmoid", "cross_entropy": "softmax"}


def target_array(y: Any, shape: tuple, name: str, finite: bool = True) -> np.ndarray:
    """y as a float64 array of the output's shape; a (n,) y fits an (n, 1) output.

    finite=False leaves the NaN/inf check to the caller (quadratic makes it on its result)."""
    t = numbers(y.data if isinstance(y, Value) else y, f"{name} targets")
    if t.shape != shape and t.ndim == 1 and shape == (t.shape[0], 1):
        t = t.reshape(shape)
    if t.shape != shape:
        raise ValueError(f"{name}: the targets have shape {t.shape}, the output has shape {shape}"
                         + labels_hint(t, shape))
    if finite:
        _check_finite_targets(t, name)
    return t


def labels_hint(y: Any, shape: tuple) -> str:
    """When targets of the wrong shape look like integer class labels — (n,) for an (n, k)
    output, k > 1, values in 0..k−1 — the sentence that says what they need; else ''.

    >>> labels_hint(np.array([0, 2, 1]), (3, 3))[:52]
    ': these look like integer class labels (0..2), which'
    """
    t = np.asarray(y)
    if t.ndim != 1 or len(shape) != 2 or shape[1] < 2 or t.shape[0] != shape[0] or t.size == 0:
        return ""
    if t.dtype.kind == "f":
        if not (np.isfinite(t).all() and (t == np.round(t)).all()):
            return ""
    elif t.dtype.kind not in "iu":
        return ""
    if t.min() < 0 or t.max() >= shape[1]:
        return ""
    k = shape[1]
    return (f": these look like integer class labels (0..{k - 1}), which need "
            f"loss='cross_entropy' (with a softmax output layer), or one-hot rows of shape "
            f"({shape[0]}, {k}) for this loss: microgradnn.losses.one_hot(y, {k})")


def _check_finite_targets(t: np.ndarray, name: str) -> None:
    if t.size and not np.isfinite(t).all():
        raise ValueError(f"{name}: the targets contain NaN or inf")


def _batch_size(v: Value, name: str) -> int:
    n = v.shape[0] if v.ndim >= 1 else 1
    if n == 0:
        raise ValueError(f"{name}: empty batch (the output has shape {v.shape})")
    return n


def quadratic(output: Any, y: Any) -> Value:
    """C = 1/(2n) Σₓ ‖a − y‖², n the batch size (axis 0 of ``output``).

    ``output`` may also be a list of scalar Values (one example, scalar mode); then
    C = ½ Σⱼ (aⱼ − yⱼ)² is a scalar Value.
    A float64 array y of the output's shape is used as it is, not copied (as the network's
    input): the graph's "y" node shows it, so change it in place only after ``backward()``.
    """
    if isinstance(output, np.ndarray) and output.dtype == object:   # np.array([v1, v2])
        output = stack_values(output, "quadratic")
    if isinstance(output, (list, tuple)):
        ys = np.ravel(numbers(y, "quadratic targets"))
        if len(ys) != len(output):
            raise ValueError(f"quadratic: {len(output)} outputs but {len(ys)} targets")
        total = None
        for a, t in zip(output, ys):
            d = a - float(t)
            total = d * d if total is None else total + d * d
        loss = total * 0.5
    else:
        # The targets are used as they are, not copied (as the network's input): change them
        # only after backward().
        t = target_array(y, output.shape, "quadratic", finite=False)
        # One node (ops.quadratic), whose gradient ∇ₐC = (a − y)/n is BP1's first factor.
        loss = record(ops.quadratic, (output, constant(t, "y")),
                      (_batch_size(output, "quadratic"),))
        # A NaN or ±inf target makes (a − y)² and so C NaN or inf: a finite C means finite
        # targets, and the targets are looked at one by one only when C is not finite.
        if not math.isfinite(loss.data):
            _check_finite_targets(t, "quadratic")
    loss.label = "loss"
    return loss


def binary_cross_entropy(logits: Value, y: Any) -> Value:
    """Binary cross-entropy of σ(logits) against targets in [0, 1], summed over outputs and
    averaged over the batch; finite at any logit.

    One node (op "binary_cross_entropy"): per element softplus(z) − y·z, with softplus(z) =
    ln(1 + eᶻ) computed as m + ln(e⁻ᵐ + eᶻ⁻ᵐ), m = max(z, 0), so the log never sees 0 or ∞;
    its gradient is exactly (σ(z) − y)/n everywhere (also at z = 0).
    """
    logits = stack_values(logits, "binary_cross_entropy")      # a list or object array of Values
    if not isinstance(logits, Value):
        logits = Value(logits, requires_grad=False)
    t = target_array(y, logits.shape, "binary_cross_entropy")
    if np.any((t < 0) | (t > 1)):
        raise ValueError("binary_cross_entropy: targets must lie in [0, 1], got values from "
                         f"{t.min()} to {t.max()}")
    n = _batch_size(logits, "binary_cross_entropy")
    # One node (ops.binary_cross_entropy), whose gradient (σ(z) − y)/n is δᴸ itself.
    loss = record(ops.binary_cross_entropy, (logits, constant(t, "y")), (n,))
    loss.label = "loss"
    return loss


def one_hot(targets: Any, classes: int, name: str = "softmax_cross_entropy") -> np.ndarray:
    """Integer labels (n,) → one-hot rows (n, classes); one-hot rows are checked and returned."""
    t = np.asarray(targets.data if isinstance(targets, Value) else targets)
    if t.ndim == 1:
        if t.dtype.kind == "f":
            fractional = np.flatnonzero(~np.isfinite(t) | (t != np.round(t)))
            if fractional.size:
                i = int(fractional[0])
                raise ValueError(f"{name}: integer labels expected, got non-integer values "
                                 f"(first: {t[i]:g} at index {i})")
            t = t.astype(np.int64)
        elif t.dtype.kind not in "iub":
            raise TypeError(f"{name}: labels must be integers, got dtype {t.dtype}")
        if t.size and (t.min() < 0 or t.max() >= classes):
            raise ValueError(f"{name}: labels must lie in 0..{classes - 1} for {classes} "
                             f"classes, got values from {t.min()} to {t.max()}")
        out = np.zeros((t.shape[0], classes))
        out[np.arange(t.shape[0]), t] = 1.0
        return out
    if t.ndim == 2 and t.shape[1] == classes:
        t = numbers(t, f"{name} targets")
        if np.any(t < 0) or not np.allclose(t.sum(axis=1), 1.0):
            raise ValueError(f"{name}: one-hot (or probability) rows must be ≥ 0 and sum to 1")
        return t
    raise ValueError(f"{name}: targets must be integer labels of shape (n,) or one-hot rows "
                     f"of shape (n, {classes}), got shape {t.shape}")


def softmax_cross_entropy(logits: Value, targets: Any) -> Value:
    """−1/n Σₓ Σⱼ yⱼ ln softmax(z)ⱼ with integer labels (n,) or one-hot rows (n, k).

    One node (op "softmax_cross_entropy"), computed with log_softmax (log-sum-exp with the
    maximum shifted out), finite at ±1000; its gradient is (softmax(z) − y)/n.

    >>> from microgradnn import Value
    >>> loss = softmax_cross_entropy(Value([[1000.0, -1000.0]]), [1])
    >>> float(loss.data)
    2000.0
    """
    logits = stack_values(logits, "softmax_cross_entropy")      # a list or object array of Values
    if not isinstance(logits, Value):
        logits = Value(logits, requires_grad=False)
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must have shape (batch, classes), "
                         f"got {logits.shape}")
    n, k = logits.shape
    _batch_size(logits, "softmax_cross_entropy")
    t = one_hot(targets, k)
    if t.shape[0] != n:
        raise ValueError(f"softmax_cross_entropy: {t.shape[0]} targets for a batch of {n}")
    # One node (ops.softmax_cross_entropy), whose gradient (softmax(z) − y)/n is δᴸ itself.
    loss = record(ops.softmax_cross_entropy, (logits, constant(t, "y")), (n,))
    loss.label = "loss"
    return loss


_BY_NAME = {"quadratic": quadratic, "bce": binary_cross_entropy,
            "cross_entropy": softmax_cross_entropy}


def get_loss(name: str) -> Callable[..., Value]:
    """The loss function called ``name``: "quadratic", "bce" or "cross_entropy"."""
    if name not in _BY_NAME:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    return _BY_NAME[name]


def network_loss(net, y: Any, name: str) -> Value:
    """The loss of the network's last forward pass: quadratic on the output aᴸ, the
    cross-entropies on the logits zᴸ (which needs a sigmoid output for "bce", a softmax output
    for "cross_entropy")."""
    fn = get_loss(name)
    check_output_activation(net.activations[-1], name)
    L = len(net.activations)
    node = net.nodes[f"a{L}"] if name == "quadratic" else net.nodes[f"z{L}"]
    return fn(node, y)


def check_output_activation(activation: str, name: str) -> None:
    """Raise if the loss ``name`` cannot be used with this output activation."""
    needed = OUTPUT_ACTIVATION.get(name)
    if needed is not None and activation != needed:
        raise ValueError(f"the {name!r} loss needs a {needed} output layer (it reads the "
                         f"logits before the {needed}), but the output activation is "
                         f"{activation!r}; use loss='quadratic' or a {needed} output")
