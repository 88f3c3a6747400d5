"""Anomaly mode: stop at the first NaN or inf, and say which line made it and why.

Inside ``with detect_anomaly():`` every op records where it was created (the file and line of
*your* code, not the library's) and checks its result. The first NaN or inf raises
:class:`FloatingPointError` naming the op, its input shapes, that line and, where the cause is a
known one, the stable way to write it:

>>> from microgradnn import Value, detect_anomaly
>>> x = Value(0.0)
>>> with detect_anomaly():
...     y = x.log()                             # doctest: +ELLIPSIS
Traceback (most recent call last):
FloatingPointError: log produced -inf in the forward pass...

Forward, an op is blamed when its output is not finite although its inputs are. Backward, an op
is blamed when the gradient it passes to an input is not finite although the gradient arriving at
it, its output and its inputs are. So the error points at the op that *made* the first bad number,
not at the hundred ops that merely carried it along.

Cost: off (the default) it costs nothing — the engine's hot path checks one flag. On, every op
node costs about 2 µs more on scalars (forward and backward together: finding the creation line
and checking each result; measured on a 2-core machine, 2.5 → 4.6 µs per scalar op node), about
5 µs more on small arrays, and one extra pass over the data for large ones (10,000 elements:
20 → 38 µs). Use it to find a NaN, not to train.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
from typing import Iterator, Optional

import numpy as np

from . import engine
from .modes import anomaly_hook

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_EXP_LIMIT = 709.782712893384     # exp(x) overflows float64 above this


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def _finite(x) -> bool:
    """True when every element of x (a float, an ndarray or a Value) is finite."""
    if type(x) is float:
        return x - x == 0.0                       # inf - inf and nan - nan are nan
    if type(x) is not np.ndarray:
        x = getattr(x, "data", x)                 # a Value (create_graph=True)
        if type(x) is float:
            return x - x == 0.0
        x = np.asarray(x)
    # One sum is cheaper than np.isfinite(x).all(): a finite sum proves every element finite;
    # a non-finite sum may be an overflow, so only then check element by element.
    return math.isfinite(x.sum()) or bool(np.isfinite(x).all())


def _data(v):
    return v.data if hasattr(v, "data") else v


def _shape(v) -> str:
    d = _data(v)
    return "scalar" if type(d) is float else str(np.shape(d))


def _count(mask) -> int:
    return int(np.count_nonzero(mask))


def _what(x) -> str:
    """'nan', 'inf', '-inf' or a count of each, for the error message."""
    x = np.asarray(_data(x), dtype=float)
    if x.ndim == 0:
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    parts = [f"{n} {name}" for name, n in (("nan", _count(np.isnan(x))),
                                            ("inf", _count(np.isposinf(x))),
                                            ("-inf", _count(np.isneginf(x)))) if n]
    return ", ".join(parts) + f" (of {x.size} elements)"


def _site_of_caller() -> tuple:
    """(file, line) of the first frame outside microgradnn, and the innermost library frame
    (file, line) outside the engine when the op was made by library code such as nn.py."""
    f = sys._getframe(2)
    via = None
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(_PACKAGE_DIR):
            return (name, f.f_lineno, via)
        if via is None and not name.endswith(("engine.py", "ops.py", "anomaly.py")):
            via = (name, f.f_lineno)
        f = f.f_back
    return ("<unknown>", 0, via)


def _created(v) -> str:
    """'created at file:line', or the truth when the node was made outside the block."""
    site = creation_site(v)
    return (f"created at {site}" if site is not None else
            "created before detect_anomaly() was entered (no line recorded)")


def creation_site(v) -> Optional[str]:
    """'file:line' of the code that created Value v under detect_anomaly(), else None."""
    site = getattr(v, "_site", None)
    if site is None:
        return None
    text = f"{site[0]}:{site[1]}"
    if site[2] is not None:
        text += f" (inside {os.path.basename(site[2][0])}:{site[2][1]})"
    return text


def _reverse_locals() -> Optional[dict]:
    """The local variables of engine.backward_pass when a create_graph backward pass is recording.

    Read only on the error path, to say which node (``n``) was being differentiated towards
    which input (``p``) when a recorded VJP made the first NaN/inf.
    """
    f = sys._getframe(2)
    while f is not None:
        if f.f_code is engine.backward_pass.__code__:
            return f.f_locals
        f = f.f_back
    return None


# ---------------------------------------------------------------------------------------------
# The likely causes, by op
# ---------------------------------------------------------------------------------------------

_LOG_FIX = ("stable alternative: for log(softmax(x)) use x.log_softmax(); for the log of a "
            "sigmoid or softmax in a loss, use the losses computed from logits; otherwise keep "
            "the argument positive (e.g. log(x + eps))")
_EXP_FIX = ("stable alternative: sigmoid(), softmax(), log_softmax() and the losses computed "
            "from logits shift the maximum out and never overflow; or scale the input down")
_DIV_FIX = ("stable alternative: keep the denominator away from 0 (e.g. x / (d + eps)); to "
            "normalise exponentials use softmax()")


def _forward_cause(op, a, b) -> str:
    """A sentence on why op made a NaN/inf from finite inputs a, b (data)."""
    name = op.name
    with np.errstate(all="ignore"):
        if name == "log":
            ad = np.asarray(a)
            zeros, negatives = _count(ad == 0), _count(ad < 0)
            parts = []
            if zeros:
                parts.append(f"log of 0 is -inf ({zeros} element(s) are 0)")
            if negatives:
                parts.append(f"log of a negative number is nan ({negatives} element(s) < 0)")
            return "likely cause: " + "; ".join(parts) + ".\n" + _LOG_FIX
        if name == "sqrt":
            n = _count(np.asarray(a) < 0)
            return (f"likely cause: the square root of a negative number is nan ({n} element(s) "
                    "< 0).\nstable alternative: keep the argument ≥ 0 (e.g. sqrt(x * x + eps))")
        if name == "exp":
            n = _count(np.asarray(a) > _EXP_LIMIT)
            return (f"likely cause: exp overflow: exp(x) exceeds the float64 range for x > "
                    f"{_EXP_LIMIT:.2f} ({n} element(s), largest x = {np.max(a):.4g}).\n" + _EXP_FIX)
        if name == "div":
            n = _count(np.asarray(b) == 0)
            if n:
                return (f"likely cause: division by 0 ({n} element(s) of the denominator are 0)."
                        "\n" + _DIV_FIX)
            return "likely cause: overflow: the quotient exceeds the float64 range (~1.8e308)."
        if name == "pow":
            ad, bd = np.asarray(a), np.asarray(b)
            if _count((ad < 0) & (bd != np.round(bd))):
                return ("likely cause: a negative base to a non-integer power is nan.\n"
                        "stable alternative: raise abs(x) (or x.relu()) instead, or make sure the "
                        "base stays positive")
            if _count((ad == 0) & (bd < 0)):
                return ("likely cause: 0 to a negative power is a division by 0.\n" + _DIV_FIX)
        return "likely cause: overflow: the result exceeds the float64 range (~1.8e308)."


def _backward_cause(node, parent) -> str:
    """A sentence on why node's VJP towards parent made a NaN/inf from finite numbers."""
    op = node._op
    parents = node.parents
    a, b = _data(parents[0]), (_data(parents[1]) if len(parents) > 1 else None)
    with np.errstate(all="ignore"):
        if op.name == "pow":
            if len(parents) > 1 and parent is parents[1]:
                if _count(np.asarray(a) <= 0):
                    return ("likely cause: a negative (or zero) base to a Value power: the "
                            "gradient with respect to the exponent is aᵇ·ln(a), and ln of a "
                            "number ≤ 0 is nan or -inf.\nstable alternative: if the exponent is "
                            "a constant, write it as a plain number (x ** 2.0, not x ** Value(2.0))"
                            ", so no gradient is taken for it; otherwise keep the base positive")
            elif _count((np.asarray(a) == 0) & (np.asarray(b) < 1) & (np.asarray(b) != 0)):
                return ("likely cause: 0 to a power < 1 (a square root, for instance) has an "
                        "infinite derivative b·aᵇ⁻¹ at 0.\nstable alternative: add a small "
                        "epsilon (x + eps) ** b, or use abs(x) for sqrt(x ** 2)")
        if op.name == "log":
            return ("likely cause: log's derivative 1/x is infinite at 0.\n" + _LOG_FIX)
        if op.name == "sqrt":
            return ("likely cause: sqrt's derivative 1/(2√x) is infinite at 0.\nstable "
                    "alternative: add a small epsilon, sqrt(x + eps), or use abs(x) for "
                    "sqrt(x ** 2)")
        if op.name == "div":
            return ("likely cause: the derivative of a / b (1/b and −a/b²) is infinite or "
                    "overflows for b at or near 0.\n" + _DIV_FIX)
        if op.name == "exp":
            return ("likely cause: overflow: the gradient times exp(x) exceeds the float64 range."
                    "\n" + _EXP_FIX)
    return ("likely cause: overflow: the gradient arriving times the local derivative exceeds "
            "the float64 range (~1.8e308); check the scale of the inputs and the loss")


# ---------------------------------------------------------------------------------------------
# The hook the engine calls while detect_anomaly() is active
# ---------------------------------------------------------------------------------------------

class _AnomalyChecker:
    """The hook detect_anomaly() installs: engine.record calls forward(), engine.backward_pass
    calls backward()."""

    __slots__ = ()

    def forward(self, out, op, inputs: tuple) -> None:
        out._site = _site_of_caller()
        if _finite(out.data):
            return
        if not all(_finite(p.data) for p in inputs):
            return                                # carried along, not made here
        a, b = inputs[0], (inputs[1] if len(inputs) > 1 else None)
        shapes = " and ".join(_shape(p) for p in inputs)
        rev = _reverse_locals()
        if rev is not None and "node" in rev and "parent" in rev:
            # create_graph=True: the VJP of node n towards its input p is being recorded.
            n = rev["node"]
            raise FloatingPointError(
                f"{op.name} produced {_what(out.data)} while recording the backward pass "
                f"(create_graph=True), differentiating {n.op}\n"
                f"  {n.op} {_created(n)}\n"
                f"  {n.op} input shape(s): {_inputs(n)}\n"
                f"  {_indent(_backward_cause(n, rev['parent']))}")
        raise FloatingPointError(
            f"{op.name} produced {_what(out.data)} in the forward pass\n"
            f"  {_created(out)}\n"
            f"  input shape(s): {shapes}\n"
            f"  {_indent(_forward_cause(op, a.data, None if b is None else b.data))}")

    def backward(self, node, parent, pg, g) -> None:
        """pg: the gradient node's VJP passes to parent; g: the gradient arriving at node."""
        if _finite(pg):
            return
        parents = node.parents
        if not (_finite(node.data) and _finite(g) and all(_finite(p.data) for p in parents)):
            return                                # carried along from a non-finite input, not made here
        if len(parents) == 1:
            which = "its input"
        else:
            which = f"its {('first', 'second', 'third')[parents.index(parent)]} input"
        raise FloatingPointError(
            f"the gradient of {node.op} with respect to {which} ({_shape(parent)}) is "
            f"{_what(pg)} in the backward pass, although the gradient arriving at it and its "
            f"inputs are finite\n"
            f"  {node.op} {_created(node)}\n"
            f"  input shape(s): {_inputs(node)}\n"
            f"  {_indent(_backward_cause(node, parent))}")


def _inputs(node) -> str:
    return " and ".join(_shape(p) for p in node.parents)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


_CHECKER = _AnomalyChecker()


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError at the first NaN or inf, forward or backward, naming its line.

    Off by default, and on only in the thread that entered the block (other threads run
    unchecked, as in PyTorch). Re-entrant: nested blocks, and no_grad() inside, restore what they
    found.
    Costs a few µs per op while on (see the module docstring); nothing when off.
    """
    with anomaly_hook(_CHECKER):
        yield
