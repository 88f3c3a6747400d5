"""micrograd's ``Value``, running on microgradnn's engine.

Code written for micrograd (its README, its tests, the lecture's notebook) runs after changing
only the import line::

    from microgradnn.micrograd.engine import Value     # was: from micrograd.engine import Value

>>> a = Value(-4.0); b = Value(3.0)
>>> g = (a * b + b**3).relu() + a
>>> g._op, sorted(p._op or '' for p in g._prev)       # a leaf's _op is None
('+', ['', 'ReLU'])
>>> g.backward()
>>> a.grad, b.grad            # d/da = b + 1, d/db = a + 3b²
(4.0, 23.0)

It is a subclass of :class:`microgradnn.Value`, so everything else works on it too:
``draw_graph``, ``backward(explain=True)``, ``grad``, ``hessian``, ``detect_anomaly``, and graphs of
any depth (the backward pass is a loop, not micrograd's recursion).

Design notes, for readers:

* micrograd reads a node's ``_op`` as a string (``'+'``, ``'**2'``, ``'ReLU'``); microgradnn's engine
  reads the same slot as the :class:`~microgradnn.ops.Op` whose forward and VJPs it runs. A
  :class:`Symbol` is both: the string micrograd prints and draws, carrying its op's functions.
  So each operator is microgradnn's own (same forward, same derivative, same node), re-labelled.
* ``_prev`` (the set of children) and ``_backward()`` (one node's chain-rule step) are computed
  from the node, not stored: a node still holds no closure and no reference cycle.
* Leaves have ``_op`` None (micrograd: ``''``); both are false, which is all micrograd code tests.
"""
from __future__ import annotations

from types import MethodType
from typing import Any

from ...core import ops
from ...core.engine import Value as _Value, _apply, _lift

__all__ = ["Value", "Symbol"]


class Symbol(str):
    """A micrograd op string (``'*'``, ``'**2'``) that is also the microgradnn op it names.

    >>> s = Symbol("**2", ops.pow)
    >>> s == "**2", s.name, s.vjps is ops.pow.vjps
    (True, 'pow', True)
    """

    def __new__(cls, text: str, op: ops.Op) -> "Symbol":
        s = super().__new__(cls, text)
        # The Op's members, copied: the engine reads node._op.vjps, .params ... on its hot path.
        for name in ops.Op.__slots__:
            setattr(s, name, getattr(op, name))
        return s


_SYMBOLS = {op: Symbol(text, op) for op, text in [
    (ops.add, "+"), (ops.sub, "-"), (ops.mul, "*"), (ops.div, "/"), (ops.neg, "-"),
    (ops.pow, "**"), (ops.exp_, "exp"), (ops.log_, "log"), (ops.tanh_, "tanh"),
    (ops.sigmoid_, "sigmoid"), (ops.relu, "ReLU"), (ops.abs_, "abs")]}
_POWERS: dict = {}    # micrograd writes x**2 as '**2': one Symbol per exponent used


def _power_symbol(exponent: Any) -> Symbol:
    text = f"**{exponent}"
    s = _POWERS.get(text)
    if s is None:
        s = _POWERS[text] = Symbol(text, ops.pow)
    return s


def _operand(x: Any):
    """A Value as it is; a number as a constant leaf of this class (micrograd wraps it too)."""
    if isinstance(x, _Value):
        return x
    c = _lift(x)
    if c is not None:
        c.__class__ = Value
    return c


def _relabel(out: _Value, symbol: Symbol) -> "Value":
    """Make a node the engine just recorded a micrograd Value with micrograd's op string."""
    out.__class__ = Value
    if out._op is not None:            # None under no_grad(): a result without history
        out._op = symbol
    return out


def _binary(op: ops.Op, reflected: bool = False):
    """``self op other`` (or ``other op self``): the engine's node, micrograd's op string."""
    symbol = _SYMBOLS[op]

    def method(self, other):
        if not isinstance(other, _Value):
            other = _operand(other)
            if other is None:
                return NotImplemented
        out = _apply(op, other, self) if reflected else _apply(op, self, other)
        out.__class__ = Value          # _relabel, inlined: this is the layer's hot path
        if out._op is not None:
            out._op = symbol
        return out
    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    return method


def _unary(op: ops.Op):
    symbol = _SYMBOLS[op]

    def method(self):
        return _relabel(_apply(op, self), symbol)
    method.__name__ = op.name
    return method


def _step(node: "Value") -> None:
    """This node's chain-rule step: add ``node.grad`` × ∂node/∂child to each child's ``.grad``.

    Calling it on every node, newest first, after setting the output's ``.grad`` to 1 is
    what ``backward()`` does (the lecture's manual backpropagation). A leaf has no step.
    """
    op = node._op
    if op is None:
        return
    parents = node.parents
    ins = tuple(p.data for p in parents) + (node._arg if op.params else ())
    g = node.grad
    for p, vjp in zip(parents, op.vjps):
        if p.requires_grad:
            p.grad = p.grad + ops.unbroadcast(vjp(g, node.data, *ins), p.data)


class _Step:
    """``node._backward``: the node's chain-rule step, bound; it cannot be replaced by a closure."""

    def __get__(self, node, owner=None):
        return self if node is None else MethodType(_step, node)

    def __set__(self, node, fn) -> None:
        raise TypeError(
            "Value._backward: a node's backward step comes from its op (microgradnn.ops holds "
            "each op's forward beside its derivative), so it cannot be replaced by a closure. "
            "Build the function from existing operations (its derivative follows), or add an "
            "Op to microgradnn.ops")


class Value(_Value):
    """A scalar and its gradient, as in micrograd: ``Value(data, _children=(), _op='', label='')``.

    Nodes are made by operations (``a + b``, ``a.tanh()``); ``_children`` and ``_op`` are accepted
    in their empty defaults only, since a node's backward step comes from its op.
    """

    __slots__ = ()

    def __init__(self, data: Any, _children: tuple = (), _op: str = "", label: str = "") -> None:
        if _children or _op:
            raise TypeError(
                f"Value: a node with children {tuple(_children)!r} and op {_op!r} cannot be made "
                "by hand: micrograd would give it a backward step that does nothing until a "
                "_backward closure is assigned, and here each op's derivative lives in "
                "microgradnn.ops. Compute it with operations (a + b, a.tanh(), a ** 2), or add "
                "an Op to microgradnn.ops")
        super().__init__(data, label=label)

    # --- what micrograd code reads ---

    @property
    def _prev(self) -> set:
        """The children of this node (the inputs of its op), as a set: micrograd's ``_prev``."""
        return set(self.parents)

    _backward = _Step()

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # --- the operators micrograd and its lecture use (and the rest of the scalar ones) ---

    __add__ = _binary(ops.add)
    __radd__ = _binary(ops.add, reflected=True)
    __sub__ = _binary(ops.sub)
    __rsub__ = _binary(ops.sub, reflected=True)
    __mul__ = _binary(ops.mul)
    __rmul__ = _binary(ops.mul, reflected=True)
    __truediv__ = _binary(ops.div)
    __rtruediv__ = _binary(ops.div, reflected=True)
    __rpow__ = _binary(ops.pow, reflected=True)
    __neg__ = _unary(ops.neg)
    relu = _unary(ops.relu)
    tanh = _unary(ops.tanh_)
    exp = _unary(ops.exp_)
    log = _unary(ops.log_)
    sigmoid = _unary(ops.sigmoid_)
    abs = _unary(ops.abs_)
    __abs__ = abs

    def __pow__(self, other):
        exponent = _operand(other)
        if exponent is None:
            return NotImplemented
        symbol = _SYMBOLS[ops.pow] if isinstance(other, _Value) else _power_symbol(other)
        return _relabel(_apply(ops.pow, self, exponent), symbol)
