"""Checking a hand-written backward of any layer written in numpy: :func:`check_backward`.

The learner's ``forward`` runs unchanged on Values (numpy's functions dispatch to the engine),
autodiff gives the reference gradients, and the learner's ``backward`` is compared with them
input by input. A disagreement is explained with the same slip finder as the network's
cross-check (:func:`microgradnn.check.slips.find_slips`): the worst element, the factor
(2×, −1×, 1/n) and the slip (a transpose, a missing sum over the batch, a broadcast not undone).

>>> import numpy as np
>>> def scale_forward(x, w):
...     return x * w
>>> def scale_backward(dout, x, w):
...     return dout * w, (dout * x).sum(axis=0)
>>> x, w = np.arange(6.0).reshape(3, 2), np.array([0.5, -1.0])
>>> bool(check_backward(scale_forward, scale_backward, x, w))
True
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from .slips import _ratio_text, agrees, best_factor, find_slips
from ..core.engine import Value, gradients, walk
from ..core.numeric import unbroadcast
from ..core.numpy_api import stack_values


@dataclass
class InputCheck:
    """One input's gradient: the learner's against autodiff's."""

    name: str
    ok: bool
    shape: tuple                 # the learner's gradient's shape
    expected_shape: tuple        # the input's shape
    max_abs: float = float("nan")
    worst: Optional[tuple] = None          # (index, yours, expected) of the worst element
    factor: float = float("nan")           # yours ≈ factor × expected, when it is so
    slips: list = field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.name}: agrees (max |error| {self.max_abs:.2g})"
        if self.shape != self.expected_shape:
            text = (f"{self.name}: WRONG SHAPE: your gradient has shape {self.shape}, the input "
                    f"has shape {self.expected_shape}")
        else:
            i, yours, expected = self.worst
            text = (f"{self.name}: DISAGREES: worst element {list(i)}: yours {yours:.6g}, "
                    f"expected {expected:.6g}")
            if np.isfinite(self.factor):
                text += f"; yours is {_ratio_text(self.factor)}× the gradient"
        return text + (f" ({'; '.join(self.slips)})" if self.slips else "")


@dataclass
class BackwardReport:
    """What :func:`check_backward` found, one :class:`InputCheck` per differentiated input.
    Truthy when every gradient agrees."""

    function: str
    inputs: list
    rtol: float
    atol: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.inputs)

    def __bool__(self) -> bool:
        return self.ok

    def __getitem__(self, name: str) -> InputCheck:
        return next(c for c in self.inputs if c.name == name)

    def __str__(self) -> str:
        good = sum(c.ok for c in self.inputs)
        head = (f"check_backward({self.function}): {good} of {len(self.inputs)} gradient(s) "
                f"agree with autodiff (rtol {self.rtol:g}, atol {self.atol:g})")
        return "\n".join([head, *(f"  {c}" for c in self.inputs)])

    __repr__ = __str__


def _names(forward: Callable, count: int) -> list:
    try:
        params = [p.name for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input {i}" for i in range(count)]


def _slips(mine: np.ndarray, ref: np.ndarray, batch: int, rtol: float, atol: float) -> list:
    """The slips that turn the reference into the learner's numbers (find_slips' candidates)."""
    if mine.shape != ref.shape:
        # Another shape: undo the suspected slip on the learner's numbers, then compare.
        undone = {"a transpose": mine.T if mine.ndim == 2 else None}
        if mine.ndim == ref.ndim + 1 and mine.shape[1:] == ref.shape:
            undone["a missing sum over the batch"] = mine.sum(axis=0)
        elif mine.size > ref.size and np.broadcast_shapes(mine.shape, ref.shape) == mine.shape:
            undone["a broadcast not undone (sum over the broadcast axes)"] = unbroadcast(mine, ref)
        return [name for name, fixed in undone.items() if fixed is not None
                and find_slips(fixed, {name: ref}, rtol, atol) == [name]]
    candidates = {
        "a transpose": ref.T if ref.ndim == 2 and ref.shape[0] == ref.shape[1] else None,
        "a sign": -ref,
        "a ½ missing, or a term counted twice": 2.0 * ref,
        "a ½ too many": 0.5 * ref,
        "divided by the batch size once too often": ref / batch if batch > 1 else None,
        "not divided by the batch size": ref * batch if batch > 1 else None,
    }
    return find_slips(mine, candidates, rtol, atol, reference=ref)


def _compare(name: str, mine: Any, ref: Any, batch: int, rtol: float, atol: float) -> InputCheck:
    mine = np.asarray(mine.data if isinstance(mine, Value) else mine, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    check = InputCheck(name, False, mine.shape, ref.shape)
    if mine.shape == ref.shape:
        error = np.abs(mine - ref)
        check.max_abs = float(error.max()) if error.size else 0.0
        check.ok = agrees(mine, ref, rtol, atol)
        if check.ok:
            return check
        i = np.unravel_index(int(np.nanargmax(np.where(np.isnan(error), np.inf, error))),
                             ref.shape) if ref.ndim else ()
        check.worst = (tuple(int(k) for k in i), float(mine[i]), float(ref[i]))
        c = best_factor(mine, ref)
        if np.isfinite(c) and abs(c - 1) > 1e-6 and agrees(mine, c * ref, rtol, atol):
            check.factor = c
    check.slips = _slips(mine, ref, batch, rtol, atol)
    return check


def _as_tuple(grads: Any) -> tuple:
    return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)


def check_backward(forward: Callable, backward: Optional[Callable], *inputs: Any,
                   rtol: float = 1e-6, atol: float = 1e-9, seed: int = 0) -> BackwardReport:
    """Check a hand-written backward against autodiff of the numpy ``forward``.

    ``forward(*inputs)`` runs on Values: float arrays are differentiated, anything else (ints,
    bools, labels, CS231n's ``bn_param`` dict) passes through, copied for each run. A random
    upstream gradient ``dout`` (seeded) is drawn for the output and ``backward(dout, *inputs)``
    is called — or ``backward(dout, cache)`` when forward returns ``(out, cache)``, the cache made
    by running forward once more on plain arrays. It must return one gradient per float input, in
    order. For a loss that returns ``(loss, dx)`` (CS231n's ``softmax_loss``), pass
    ``backward=None``: its own gradient(s) are checked.
    """
    name = getattr(forward, "__name__", "forward")
    if not callable(forward) or not (backward is None or callable(backward)):
        raise TypeError("check_backward: forward and backward must be functions (backward None "
                        "for a loss that returns (loss, dx))")
    names = _names(forward, len(inputs))
    diff = [i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not diff:
        raise ValueError(f"check_backward: none of the inputs of {name} is a float array to "
                         f"differentiate (got {', '.join(type(a).__name__ for a in inputs)})")
    values = {i: Value(inputs[i], label=names[i]) for i in diff}
    result = forward(*[values[i] if i in values else copy.deepcopy(a)
                       for i, a in enumerate(inputs)])
    if backward is None and not (isinstance(result, tuple) and len(result) == 2):
        raise ValueError(f"check_backward: with backward=None, {name} must return (loss, dx), "
                         f"got {type(result).__name__}")
    cached = isinstance(result, tuple) and len(result) == 2
    out = stack_values(result[0] if cached else result, f"check_backward: {name}'s output")
    if not isinstance(out, Value):
        raise ValueError(f"check_backward: {name} returned {type(out).__name__}, not a Value: its "
                         "output no longer depends on the inputs (a Value written into an ndarray, "
                         "out[i] = v, becomes a plain number); build the output with numpy "
                         "operations on the inputs (np.stack, np.concatenate, np.where)")
    graph = set(walk(out))
    for i in diff:
        if values[i] not in graph:
            raise ValueError(f"check_backward: {name}'s output does not depend on its input "
                             f"{names[i]!r}: a Value written into an ndarray (out[i] = v) becomes "
                             "a plain number, and .data is a plain array; build the output with "
                             "numpy operations on the inputs")
    if backward is None:
        if out.size != 1:
            raise ValueError(f"check_backward: {name}'s loss has shape {out.shape}; a loss is "
                             "one number")
        dout = None
    else:
        draw = np.random.default_rng(seed).standard_normal(out.shape)
        dout = float(draw) if out.is_scalar else draw
    expected = gradients(out, [values[i] for i in diff], seed=dout)

    plain = [copy.deepcopy(a) for a in inputs]
    if backward is None:
        mine = _as_tuple(forward(*plain)[1])
    elif cached:
        mine = _as_tuple(backward(copy.deepcopy(dout), forward(*plain)[1]))
    else:
        mine = _as_tuple(backward(copy.deepcopy(dout), *plain))
    if len(mine) != len(diff):
        raise ValueError(f"check_backward: {'the loss' if backward is None else 'backward'} "
                         f"returned {len(mine)} gradient(s), expected one per float input: "
                         f"{len(diff)} ({', '.join(names[i] for i in diff)})")
    first = np.shape(inputs[diff[0]])
    batch = first[0] if first else 1
    return BackwardReport(name, [_compare(names[i], g, e, batch, rtol, atol)
                                 for i, g, e in zip(diff, mine, expected)], rtol, atol)
