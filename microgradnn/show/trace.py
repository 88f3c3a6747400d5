"""A backward pass that shows its work: every chain-rule step, as a table.

``y.backward(explain=True)`` returns a :class:`BackwardTrace`. Each row is one edge of the graph,
in the order the backward pass visits them:

    upstream gradient (at the op's output) × local derivative = contribution to the input

and the input's gradient accumulated so far. The local derivative's formula is read from the
op's own definition in :mod:`microgradnn.ops` (its VJP with the ``g *`` taken off), so the text
can never drift from the code that computes it.

>>> from microgradnn import Value
>>> x = Value(0.5, label="x"); w = Value(-2.0, label="w")
>>> y = (x * w).tanh(); y.label = "y"
>>> trace = y.backward(explain=True)
>>> [(r.node, r.input, r.formula) for r in trace.rows]
[('y', 'x*w', '1 - y * y'), ('x*w', 'x', 'w'), ('x*w', 'w', 'x')]

In a formula, the op's inputs and output go by the names of the nodes themselves (their labels,
else the expression that made them, as in the table), never by the letters ``a``, ``b`` and
``out`` of ops.py, which could clash with the learner's own names.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, List

import numpy as np

from ..core import engine, numeric, ops


# ---------------------------------------------------------------------------------------------
# Formula text, from the op table's formulas
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"^[\w.′]+(?:\[[^\[\]]*\])?$")     # x, 0.5, W1[0,1], leaf3
# A placeholder that is a whole argument of a call, as in sign({a}) or share({a}, {b}): the name
# goes in bare, sign(x*w), not sign((x*w)).
_ARGUMENT = re.compile(r"(?:(?<=\w\()|(?<=, ))\{(\w+)\}(?=[,)])")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _closes_at_end(text: str, start: int) -> bool:
    """Whether the bracket opened at text[start] is closed by the last character."""
    depth = 0
    for k in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return k == len(text) - 1
    return False


def operand_text(name: str) -> str:
    """A node's name as one operand of a formula: bracketed unless it is one word, one number,
    a call such as tanh(x*w), or already bracketed."""
    if _WORD.match(name) and not name.startswith("-"):
        return name
    if name.endswith("ᵀ") and name.startswith("(") and _closes_at_end(name[:-1], 0):
        return name                      # (x*w)ᵀ
    call = re.match(r"^\w*\(", name)
    return name if call and _closes_at_end(name, call.end() - 1) else f"({name})"


_TRANSPOSED = re.compile(r"\{(\w+)\}ᵀ")


@functools.lru_cache(maxsize=4096)     # bounded: the names make many distinct calls
def local_formula(op: ops.Op, i: int, names: tuple = (), upstream: str = "G") -> str:
    """The formula of ∂out/∂input_i for an elementwise op, else its VJP, the gradient the op
    passes to input i written with ``G`` for the gradient arriving at its output; from the op's
    own ``formulas``.

    names: the op's output, then its inputs, as the learner calls them; without them, the op's
    own letters (``out``, ``a``, ``b``). upstream: the name of G (primed where a label is "G").
    A transpose of a transpose is written as what it is: (Wᵀ)ᵀ is W.

    >>> local_formula(ops.tanh, 0)
    '1 - out * out'
    >>> local_formula(ops.tanh, 0, ("y", "n"))
    '1 - y * y'
    >>> local_formula(ops.div, 1, ("q", "p", "x*w"))
    '-(q / (x*w))'
    >>> local_formula(ops.matmul, 0, ("z", "W", "x"))
    'G xᵀ'
    >>> local_formula(ops.matmul, 0, ("z", "x", "Wᵀ"))
    'G W'
    """
    if not 0 <= i < len(op.formulas):
        raise ValueError(f"local_formula: no input #{i} for op {op.name!r}")
    out, *inputs = names or ("out", *op.inputs)
    by_place = {"out": out, "g": upstream, **dict(zip("abc", inputs))}

    def transposed(m: re.Match) -> str:
        name = by_place[m.group(1)]
        if name.endswith("ᵀ") and len(name) > 1:        # (Wᵀ)ᵀ = W
            return operand_text(name[:-1])
        return operand_text(name) + "ᵀ"

    text = _TRANSPOSED.sub(transposed, op.formulas[i])
    text = _ARGUMENT.sub(lambda m: by_place[m.group(1)], text)
    return _PLACEHOLDER.sub(lambda m: operand_text(by_place[m.group(1)]), text)


def upstream_name(labels) -> str:
    """G, the name of the upstream gradient in formulas, primed until no label is spelt so."""
    name = "G"
    while name in labels:
        name += "′"
    return name


# ---------------------------------------------------------------------------------------------
# The trace
# ---------------------------------------------------------------------------------------------

@dataclass
class TraceRow:
    """One chain-rule step: the gradient flowing from ``node`` (made by ``op``) into ``input``."""
    step: int
    node: str
    op: str
    input: str
    upstream: Any          # ∂y/∂node
    formula: str           # ∂node/∂input as written in ops.py, in the nodes' own names (for a
                           # non-elementwise op, the gradient passed back, upstream called G)
    local: Any             # its value (None where it is a Jacobian, not a number per element)
    contribution: Any      # upstream × local, summed back to the input's shape
    accumulated: Any       # ∂y/∂input so far, after this step


def _plain(x: Any) -> Any:
    """Floats and arrays, not Values (create_graph traces hold Values)."""
    return x.data if isinstance(x, engine.Value) else x


def _show(x: Any) -> str:
    if x is None:
        return "—"
    if type(x) is float or np.ndim(x) == 0:
        return f"{float(x):.6g}"
    x = np.asarray(x)
    if x.size <= 4:     # on one line: a table cell cannot hold the rows of a matrix
        return " ".join(np.array2string(x, precision=4, separator=", ").split())
    return f"{x.shape} mean={x.mean():.4g} [{x.min():.4g}, {x.max():.4g}]"


def node_names(nodes) -> dict:
    """Node → name: its label where given; otherwise the short expression that made it, e.g.
    'x*w' (an op's name and a number, e.g. 'mul#7', when that is longer than 24 characters); an
    unlabelled leaf is its value, or 'leaf<k>' when it holds several numbers."""
    names: dict = {}
    for n in sorted(nodes, key=lambda v: v.number):   # parents are named before their children
        if n.label:
            names[n] = n.label
        elif n.operation is None:
            names[n] = _show(n.data) if n.size == 1 else f"leaf{len(names)}"
        else:
            args = [names.get(p, "…") for p in n.parents]
            op = n.operation
            text = (f"{args[0]}{op.symbol}{args[1]}" if len(args) == 2 and not op.symbol.isalpha()
                    else f"{operand_text(args[0])}ᵀ" if reverses_axes(n)
                    else f"{op.name}({', '.join(args)})")
            names[n] = text if len(text) <= 24 else f"{op.name}#{len(names)}"
    return names


def reverses_axes(n) -> bool:
    """A transpose that reverses every axis (W.T): written Wᵀ."""
    return (n.operation is ops.transpose
            and tuple(n.params["axes"]) == tuple(range(len(n.params["axes"])))[::-1])


class BackwardTrace:
    """The rows of one explained backward pass; ``print(trace)`` shows them as a table."""

    def __init__(self) -> None:
        self._raw: List[tuple] = []

    def record(self, node, i, g, contribution, accumulated, ins, out) -> None:
        """Called by the backward pass for every gradient contribution, in the order it computes
        them: node passed ``contribution`` to its input number i."""
        op, parent = node.operation, node.parents[i]
        local = None
        if op.elementwise:   # the VJP is linear in g: applied to a gradient of ones, it is ∂out/∂in
            ones = 1.0 if type(_plain(out)) is float else np.ones(np.shape(_plain(out)))
            plain_ins = [_plain(v) for v in ins]
            local = numeric.unbroadcast(op.vjps[i](ones, _plain(out), *plain_ins),
                                        _plain(parent)) \
                if np.shape(_plain(parent)) == np.shape(_plain(out)) else None
        self._raw.append((node, op, parent, i, _plain(g), local, _plain(contribution),
                          _plain(accumulated)))

    @functools.cached_property
    def rows(self) -> List[TraceRow]:
        names = self._names()
        upstream = upstream_name(set(names.values()))
        return [TraceRow(k + 1, names[n], op.name, names[p], g,
                         local_formula(op, i, (names[n], *(names[q] for q in n.parents)),
                                       upstream),
                         local, c, acc)
                for k, (n, op, p, i, g, local, c, acc) in enumerate(self._raw)]

    def _names(self) -> dict:
        nodes = {}
        for n, _, p, *_ in self._raw:
            nodes.update(dict.fromkeys((n, p, *n.parents)))
        return node_names(nodes)

    def __len__(self) -> int:
        return len(self._raw)

    @property
    def edges(self) -> List[tuple]:
        """Per row, the Values themselves: (node, input, position of input among node's parents),
        for tools that draw the steps on the graph (:func:`microgradnn.explorer.explore`)."""
        return [(n, p, i) for n, _, p, i, *_ in self._raw]

    def __str__(self) -> str:
        # A VJP's formula names the upstream gradient G: then the column says so.
        vjps = any(not op.elementwise for _, op, *_ in self._raw)
        upstream = f"upstream {upstream_name(set(self._names().values()))}" if vjps else "upstream"
        head = ("step", "node", "op", "→ input", upstream, "local ∂node/∂input", "contribution",
                "accumulated")
        body = [tuple(" ".join(cell.split()) for cell in (   # one line per cell, whatever a label holds
                 str(r.step), r.node, r.op, r.input, _show(r.upstream),
                 r.formula if r.local is None or r.formula == _show(r.local)   # 1, not 1 = 1
                 else f"{r.formula} = {_show(r.local)}",
                 _show(r.contribution), _show(r.accumulated))) for r in self.rows]
        widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]
        line = lambda row: "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        return "\n".join([line(head), line(tuple("─" * w for w in widths)), *map(line, body)])

    __repr__ = __str__


engine.EXPLAIN = BackwardTrace      # backward(explain=True) returns one of these
