"""What a drawing writes on its arrows, and which way it runs.

* Edge labels (``draw_graph(..., edge_labels="local")``): on each arrow into an op, the formula
  the op table holds for that input (:func:`microgradnn.show.trace.local_formula`, the same text
  the trace and the explorer show), in the nodes' own names: for an elementwise op its local
  derivative (``∂/∂w = x = 0.5`` on a scalar graph, ``∂/∂h: 1 - h * h`` on a tensor graph), for
  the others the gradient it passes back, with ``G`` for the gradient arriving at its output
  (``into W: Gᵀ x``). No label where no gradient flows: into an input or a constant that wants
  none. A value used twice by one op (``h * h``) gets one label, on its first arrow.
* The default direction (:func:`default_rankdir`): left to right while the graph's longest path
  fits a page that way, else top to bottom. The widths per rank were measured on the pictures
  of ``docs/graphs.md`` and the tensor graphs of issue 27 (see ``docs/graphs.md``).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..core.engine import Value
from .trace import local_formula, node_names, operand_text, upstream_name

PAGE_WIDTH = 1000.0      # pt: what fits a docs page or a screen without scrolling sideways
# The widest rank measured per kind of graph (pt per rank, the LR width over the number of
# ranks of the longest path, values and ops counted): scalar boxes hold one number, tensor boxes
# a list or a min/mean/max table; edge labels sit between ranks and widen each.
RANK_WIDTH = {(False, False): 105.0, (False, True): 140.0,      # scalar, scalar with labels
              (True, False): 155.0, (True, True): 200.0}        # tensor, tensor with labels


def ranks(nodes: list, index: dict) -> int:
    """How many ranks the longest path crosses, counting a value and the op that made it as two
    (nodes in creation order: parents first, so one pass, no recursion)."""
    depth = [0] * len(nodes)
    for i, n in enumerate(nodes):
        if n.parents:
            depth[i] = max(depth[index[p]] for p in n.parents) + 2
    return max(depth) + 1


def default_rankdir(nodes: list, index: dict, edge_labels: bool) -> str:
    """"LR" when the longest path, at the widest measured rank for its kind of graph, fits
    PAGE_WIDTH left to right; else "TB" (a deep graph's width then grows with its breadth only)."""
    tensor = any(not n.is_scalar for n in nodes)
    width = ranks(nodes, index) * RANK_WIDTH[(tensor, bool(edge_labels))]
    return "LR" if width <= PAGE_WIDTH else "TB"


def formula_names(nodes: list) -> tuple:
    """The names local-derivative formulas use, and the placeholders for nodes without one.

    A node goes by its label where it has one, else by the short expression that made it
    ('x*w', 'Wᵀ', as in the explained trace); when that expression is longer than 24 characters
    (deep in a big graph: node_names calls it 'mul#7'), a placeholder stands in — u, v for an
    op's first and second input (w for a third), out for its output — primed until no label in the graph is spelt
    the same, so that a formula's names never clash with the learner's own. The last of the
    three: G, the upstream gradient's name.
    """
    labels = {n.label for n in nodes if n.label}
    placeholders = ("u", "v", "w", "out")
    while labels.intersection(placeholders):
        placeholders = tuple(p + "′" for p in placeholders)
    names = {n: name for n, name in node_names(nodes).items()
             if n.label or not ("#" in name or "…" in name or name.startswith("leaf"))}
    return names, placeholders, upstream_name(labels)


def edge_label_texts(v: Value, names: dict, placeholders: tuple, upstream: str) -> list:
    """One label per arrow into v's op, '' where none is drawn."""
    texts = []
    for i, p in enumerate(v.parents):
        first = v.parents.index(p)
        if not p.requires_grad:
            texts.append("")                 # no gradient flows into it: nothing to say
        elif first < i:                      # a value used twice: said once, on its first arrow
            texts.append("")
            uses = sum(1 for q in v.parents if q is p)
            texts[first] = texts[first].split(" (each of ")[0] + f" (each of {uses} uses)"
        else:
            texts.append(_local_text(v, i, names, placeholders, upstream))
    return texts


def _local_text(v: Value, i: int, names: dict, placeholders: tuple, upstream: str) -> str:
    """∂out/∂input_i for an edge, or the gradient the op passes back to input i; on a scalar
    graph with the local derivative's value (the VJP applied to an upstream gradient of 1)."""
    op = v._op
    inputs = [names.get(p, placeholders[min(k, 2)]) for k, p in enumerate(v.parents)]
    formula = local_formula(op, i, (names.get(v, placeholders[3]), *inputs), upstream)
    name = operand_text(inputs[i])
    if not v.is_scalar:
        return f"∂/∂{name}: {formula}" if op.elementwise else f"into {inputs[i]}: {formula}"
    with np.errstate(all="ignore"):
        value = number_text(float(np.asarray(op.vjps[i](1.0, v.data, *v.forward_args))))
    if not op.elementwise or formula == value:
        return f"∂/∂{name} = {value}"
    return f"∂/∂{name} = {formula} = {value}"


def number_text(x: float, digits: int = 4) -> str:
    """A number in a few significant digits, with short exponents: 0.7071, -1.5, 1.2e-05 →
    1.2e-5, nan, inf (the drawings use 4, the explorer's steps 6)."""
    x = float(x)
    if x != x:
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"                       # also -0.0
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def values_text(a: np.ndarray, digits: int = 4, most: int = 6) -> Optional[str]:
    """A number, or the values of an array of at most ``most`` elements and two axes as nested
    lists ([1.5, -2], [[1, 0], [0, 1]]); None when it is too big to list."""
    if a.size > most or a.ndim > 2:
        return None
    if a.ndim == 0:
        return number_text(a, digits)
    if a.ndim == 1:
        return "[" + ", ".join(number_text(x, digits) for x in a) + "]"
    return "[" + ", ".join(values_text(row, digits, most) for row in a) + "]"
