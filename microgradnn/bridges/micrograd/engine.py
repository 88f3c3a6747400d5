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
  reads the same slot as the op-table entry whose forward and VJPs it runs. A :class:`Symbol` is
  both: the string micrograd prints and draws, carrying its op's functions. So each operator is
  microgradnn's own (same forward, same derivative, same node), re-labelled.
* ``_prev`` (the set of children) and ``_backward()`` (one node's chain-rule step) are computed
  from the node, not stored: a node made by an operator holds no closure and no reference cycle.
* micrograd's way to add an op works too: ``out = Value(x.data**3, (x,), 'cube')`` makes a node
  by hand, and ``out._backward = closure`` gives it its step (without one, it passes no gradient,
  as in micrograd). Its op runs the closure on numbers, so ``create_graph`` through it is refused.
* Leaves have ``_op`` None (micrograd: ``''``); both are false, which is all micrograd code tests.
* As in micrograd, ``float(v)`` (and so ``math.exp(v)``) is a TypeError: it would cut the graph.
"""
from __future__ import annotations

import weakref
from types import MethodType
from typing import Any, Callable

from ...core import numeric, ops
from ...core.engine import (Value as _Value, as_data, binary_method, lift, record,
                            unary_method)

__all__ = ["Value", "Symbol"]


class Symbol(str):
    """A micrograd op string (``'*'``, ``'**2'``) that is also the op-table entry it names.

    >>> s = Symbol("**2", ops.pow)
    >>> s == "**2", s.name, s.vjps is ops.pow.vjps
    (True, 'pow', True)
    """

    def __new__(cls, text: str, op: ops.Op) -> "Symbol":
        s = super().__new__(cls, text)
        for name in ops.Op.__slots__:      # the engine reads node._op.vjps, .params ...
            setattr(s, name, getattr(op, name))
        return s


_SYMBOLS = {op: Symbol(text, op) for op, text in [
    (ops.add, "+"), (ops.sub, "-"), (ops.mul, "*"), (ops.div, "/"), (ops.neg, "-"),
    (ops.pow, "**"), (ops.exp, "exp"), (ops.log, "log"), (ops.tanh, "tanh"),
    (ops.sigmoid, "sigmoid"), (ops.relu, "ReLU"), (ops.abs, "abs")]}
_POWERS: dict = {}    # micrograd writes x**2 as '**2': one Symbol per exponent used


def _power_symbol(exponent: Any) -> Symbol:
    text = f"**{exponent}"
    s = _POWERS.get(text)
    if s is None:
        s = _POWERS[text] = Symbol(text, ops.pow)
    return s


def _step(node: "Value") -> None:
    """This node's chain-rule step: add ``node.grad`` × ∂node/∂child to each child's ``.grad``.

    Calling it on every node, newest first, after setting the output's ``.grad`` to 1 is
    what ``backward()`` does (the lecture's manual backpropagation). A leaf has no step.
    """
    op = node._op
    if op is None:
        return
    parents = node.parents
    ins = node.forward_args
    g = node.grad
    for p, vjp in zip(parents, op.vjps):
        if p.requires_grad:
            p.grad = p.grad + numeric.unbroadcast(vjp(g, node.data, *ins), p.data)


def _closure_op(data: Any, text: str, children: tuple, node_ref: list) -> Symbol:
    """The op of a node made by hand: its forward gives the data it was made with; its VJPs run
    the node's ``_backward`` closure on numbers (node_ref: the node, once made)."""
    firsts = [children.index(c) == i for i, c in enumerate(children)]

    def vjp_of(i: int) -> Callable:
        def vjp(g, out, *inputs):
            if isinstance(g, _Value):
                raise TypeError(
                    f"backward(create_graph=True) through the node {text!r} made by hand: its "
                    "_backward closure works on numbers, not on Values, so its derivative cannot "
                    "be recorded. Build it from operations (a * b, a.tanh(), a ** 3) instead")
            if not firsts[i]:               # a child given twice: its gradient went to the first
                return 0.0 * g
            return _run_closure(node_ref[0](), g)[children[i]]
        return vjp
    op = ops.Op(text or "closure", text or "closure", lambda *inputs: data,
                [vjp_of(i) for i in range(len(children))], ["closure"] * len(children))
    return Symbol(text, op)


def _run_closure(node: "Value", g: float) -> dict:
    """{child: what the node's closure adds to child.grad} when node.grad is g, leaving every
    .grad as it was."""
    children = dict.fromkeys(node.parents)
    saved = {c: c._grad for c in (node, *children)}
    try:
        for c in children:
            c.grad = 0.0
        node.grad = g
        node._closure()
        return {c: c.grad for c in children}
    finally:
        for c, old in saved.items():
            c._grad = old


class _Step:
    """``node._backward``: the node's chain-rule step. A node made by hand takes a closure."""

    def __get__(self, node, owner=None):
        if node is None:
            return self
        return getattr(node, "_closure", None) or MethodType(_step, node)

    def __set__(self, node, fn) -> None:
        if not getattr(node, "_by_hand", False):
            raise TypeError(
                f"Value._backward: this node was made by the operator {str(node._op)!r}, whose "
                "step comes from microgradnn's op table. A closure can be given to a node made "
                "by hand: Value(data, (children...), 'op')")
        node._closure = fn


def _no_float(self) -> float:
    raise TypeError("float() of a micrograd Value (math.exp(v), math.tanh(v) ... call it) would "
                    "cut the graph, so, as in micrograd, it is refused: use v.exp(), v.tanh() ... "
                    "to stay on the graph, or v.data to read the number")


class Value(_Value):
    """A scalar and its gradient, as in micrograd: ``Value(data, _children=(), _op='', label='')``.

    Nodes are made by operations (``a + b``, ``a.tanh()``), or by hand with children and an op
    string, whose ``_backward`` closure you then assign, as micrograd's own ops do.
    """

    __slots__ = ("_closure", "_by_hand")

    def __new__(cls, data: Any = 0.0, _children: tuple = (), _op: str = "", label: str = ""):
        if not _children:
            return super().__new__(cls)     # a leaf: __init__ fills it
        children = tuple(_children)
        if not all(isinstance(c, _Value) for c in children):
            raise TypeError(f"Value: the children of a node must be Values, got "
                            f"{[type(c).__name__ for c in children]}")
        node_ref: list = []                 # the node's op needs the node; a weak reference
        node = record(_closure_op(as_data(data, "Value"), str(_op), children, node_ref),
                      children, kind=cls)
        node_ref.append(weakref.ref(node))
        node._by_hand = True
        node._closure = lambda: None        # as in micrograd: no closure, no gradient
        node.label = label
        return node

    def __init__(self, data: Any, _children: tuple = (), _op: str = "", label: str = "") -> None:
        if not _children:                   # (a node made by hand was filled in by __new__)
            super().__init__(data, label=label)

    # --- what micrograd code reads ---

    @property
    def _prev(self) -> set:
        """The children of this node (the inputs of its op), as a set: micrograd's ``_prev``."""
        return set(self.parents)

    _backward = _Step()
    __float__ = _no_float

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # --- x ** 2 is written '**2': one op string per exponent (the other operators: below) ---

    def __pow__(self, other):
        exponent = lift(other, Value)     # a number: a constant of this class, as micrograd
        if exponent is None:
            return NotImplemented
        symbol = _SYMBOLS[ops.pow] if isinstance(other, _Value) else _power_symbol(other)
        return record(symbol, (self, exponent), kind=Value)


# The operators micrograd and its lecture use: the engine's own methods, with micrograd's op
# strings, giving Values of this class (set here, once the class exists).
for _op, _name in ((ops.add, "add"), (ops.sub, "sub"), (ops.mul, "mul"), (ops.div, "truediv")):
    setattr(Value, f"__{_name}__", binary_method(_SYMBOLS[_op], kind=Value))
    setattr(Value, f"__r{_name}__", binary_method(_SYMBOLS[_op], reflected=True, kind=Value))
Value.__rpow__ = binary_method(_SYMBOLS[ops.pow], reflected=True, kind=Value)
Value.__neg__ = unary_method(_SYMBOLS[ops.neg], kind=Value)
for _op in (ops.relu, ops.tanh, ops.exp, ops.log, ops.sigmoid, ops.abs):
    setattr(Value, _op.name, unary_method(_SYMBOLS[_op], kind=Value))
Value.__abs__ = Value.abs
