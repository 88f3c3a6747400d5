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

import ast
import functools
import inspect
import re
from dataclasses import dataclass
from typing import Any, List

import numpy as np

from ..core import ops


# ---------------------------------------------------------------------------------------------
# Formula text, read from microgradnn/ops.py
# ---------------------------------------------------------------------------------------------

class _Readable(ast.NodeTransformer):
    """Write the helpers of ops.py as the math they stand for: divide(a, b) → a / b,
    pow_slope(a, b) → b * a ** (b - 1), gate(g, d) → g * d ..."""

    _binary = {"divide": ast.Div(), "power": ast.Pow()}

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        is_whole = isinstance(node.value, float) and node.value.is_integer()
        return ast.Constant(int(node.value)) if is_whole else node   # 1.0 - out → 1 - out

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "gate":    # g·d, masked: g * d
            return ast.BinOp(node.args[0], ast.Mult(), node.args[1])
        if isinstance(node.func, ast.Name) and node.func.id in self._binary and len(node.args) == 2:
            return ast.BinOp(node.args[0], self._binary[node.func.id], node.args[1])
        formula = getattr(getattr(ops, getattr(node.func, "id", ""), None), "formula", None)
        if formula is not None:          # a helper that says how to write it (pow_slope ...)
            return ast.parse(formula, mode="eval").body
        return node


def _is_g(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "g"


def _strip_g(body: ast.AST):
    """The local derivative inside ``g * <local>``, or None if the VJP is not of that form."""
    if _is_g(body):
        return ast.Constant(1)
    if isinstance(body, ast.UnaryOp) and isinstance(body.op, ast.USub) and _is_g(body.operand):
        return ast.Constant(-1)
    if isinstance(body, ast.BinOp):
        if isinstance(body.op, ast.Div) and _is_g(body.left):
            return ast.BinOp(ast.Constant(1), ast.Div(), body.right)
        if isinstance(body.op, ast.Mult):
            if _is_g(body.left):
                return body.right
            if isinstance(body.left, ast.UnaryOp) and _is_g(body.left.operand):
                return ast.UnaryOp(ast.USub(), body.right)
            left = _strip_g(body.left)
            if left is not None:
                return body.right if isinstance(left, ast.Constant) and left.value == 1 else \
                    ast.BinOp(left, ast.Mult(), body.right)
    return None


@functools.lru_cache(maxsize=None)
def _vjp_sources() -> dict:
    """op name → list of the VJP lambdas (as AST), read from ops.py once."""
    tree = ast.parse(inspect.getsource(ops))
    found = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Op"
                and len(node.args) >= 4 and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[3], ast.Tuple)):
            found[node.args[0].value] = [lam for lam in node.args[3].elts
                                         if isinstance(lam, ast.Lambda)]
    return found


_WORD = re.compile(r"^[\w.′]+(?:\[[^\[\]]*\])?$")     # x, 0.5, W1[0,1], leaf3


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
    call = re.match(r"^\w*\(", name)
    return name if call and _closes_at_end(name, call.end() - 1) else f"({name})"


def _operand(name: str) -> ast.Name:
    return ast.Name(operand_text(name), ast.Load())


class _Rename(ast.NodeTransformer):
    """The VJP's parameter names (out, a, b; x, w for linear) → the nodes' own names."""

    def __init__(self, names: dict) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return _operand(self.names[node.id]) if node.id in self.names else node

    def visit_Call(self, node: ast.Call) -> ast.AST:   # an argument needs no brackets: f(x*w)
        node.args = [ast.Name(self.names[a.id], ast.Load())
                     if isinstance(a, ast.Name) and a.id in self.names else self.visit(a)
                     for a in node.args]
        return node


@functools.lru_cache(maxsize=4096)     # bounded: the names make many distinct calls
def local_formula(op: ops.Op, i: int, names: tuple = ()) -> str:
    """The formula of ∂out/∂input_i for an elementwise op, else its VJP (``vjp: ...``).

    names: the op's output, then its inputs, as the learner calls them; they replace the
    letters of ops.py (``out``, ``a``, ``b``), which could clash with the learner's own names.

    >>> local_formula(ops.tanh_, 0)
    '1 - out * out'
    >>> local_formula(ops.tanh_, 0, ("y", "n"))
    '1 - y * y'
    >>> local_formula(ops.div, 1, ("q", "p", "x*w"))
    '-(q / (x*w))'
    >>> local_formula(ops.matmul, 0, ("z", "W", "x"))
    'vjp: upstream @ matrix_transpose(x)'

    With names, the VJP's ``g`` (the gradient arriving at the output) is written ``upstream``,
    as the trace's column calls it.
    """
    lambdas = _vjp_sources().get(op.name)
    if lambdas is None or i >= len(lambdas):
        raise ValueError(f"local_formula: no VJP #{i} for op {op.name!r}")
    lam = lambdas[i]
    body = _Readable().visit(ast.parse(ast.unparse(lam.body), mode="eval").body)
    local = _strip_g(body) if op.elementwise else None   # before renaming: a label may be "g"
    if names:
        params = [a.arg for a in lam.args.args][1:1 + len(names)]     # after g: out, the inputs
        rename = _Rename({**dict(zip(params, names)), lam.args.args[0].arg: "upstream"})
        local, body = (None if local is None else rename.visit(local)), rename.visit(body)
    if local is None:
        return "vjp: " + ast.unparse(body)
    text = ast.unparse(local)
    return f"-({ast.unparse(local.operand)})" if (
        isinstance(local, ast.UnaryOp) and isinstance(local.operand, ast.BinOp)) else text


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
    formula: str           # ∂node/∂input, as written in ops.py, in the nodes' own names
    local: Any             # its value (None where it is a Jacobian, not a number per element)
    contribution: Any      # upstream × local, summed back to the input's shape
    accumulated: Any       # ∂y/∂input so far, after this step


def _plain(x: Any) -> Any:
    """Floats and arrays, not Values (create_graph traces hold Values)."""
    return x.data if hasattr(x, "_op") else x


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
    for n in sorted(nodes, key=lambda v: v._seq):   # parents are named before their children
        if n.label:
            names[n] = n.label
        elif n._op is None:
            names[n] = _show(n.data) if n.size == 1 else f"leaf{len(names)}"
        else:
            args = [names.get(p, "…") for p in n.parents]
            text = (f"{args[0]}{n._op.symbol}{args[1]}" if len(args) == 2 and not n._op.symbol.isalpha()
                    else f"{n._op.name}({', '.join(args)})")
            names[n] = text if len(text) <= 24 else f"{n._op.name}#{len(names)}"
    return names


class BackwardTrace:
    """The rows of one explained backward pass; ``print(trace)`` shows them as a table."""

    def __init__(self) -> None:
        self._raw: List[tuple] = []

    def record(self, node, parent, vjp, g, contribution, accumulated, ins, out) -> None:
        """Called by the engine for every gradient contribution, in the order it computes them."""
        op = node._op
        i = op.vjps.index(vjp)
        local = None
        if op.elementwise:   # the VJP is linear in g: applied to a gradient of ones, it is ∂out/∂in
            ones = 1.0 if type(_plain(out)) is float else np.ones(np.shape(_plain(out)))
            plain_ins = [_plain(v) for v in ins]
            local = ops.unbroadcast(vjp(ones, _plain(out), *plain_ins), _plain(parent)) \
                if np.shape(_plain(parent)) == np.shape(_plain(out)) else None
        self._raw.append((node, op, parent, i, _plain(g), local, _plain(contribution),
                          _plain(accumulated)))

    @functools.cached_property
    def rows(self) -> List[TraceRow]:
        names = self._names()
        return [TraceRow(k + 1, names[n], op.name, names[p], g,
                         local_formula(op, i, (names[n], *(names[q] for q in n.parents))),
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
        head = ("step", "node", "op", "→ input", "upstream", "local ∂node/∂input", "contribution",
                "accumulated")
        body = [tuple(" ".join(cell.split()) for cell in (   # one line per cell, whatever a label holds
                 str(r.step), r.node, r.op, r.input, _show(r.upstream),
                 f"{r.formula} = {_show(r.local)}" if r.local is not None else r.formula,
                 _show(r.contribution), _show(r.accumulated))) for r in self.rows]
        widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]
        line = lambda row: "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        return "\n".join([line(head), line(tuple("─" * w for w in widths)), *map(line, body)])

    __repr__ = __str__
