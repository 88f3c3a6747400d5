"""The lecture's ``trace`` and ``draw_dot``: a micrograd-style picture of a Value's graph.

One record per Value (``label | data | grad``), one small node per op, arrows left to right —
the drawing of micrograd's ``trace_graph`` notebook, for any microgradnn Value. For microgradnn's
richer drawing (roles, shapes, the chain-rule factor on each arrow) use
:func:`microgradnn.draw_graph`.

>>> from microgradnn.micrograd.engine import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> print(draw_dot(c).source)  # doctest: +NORMALIZE_WHITESPACE
digraph {
    graph [rankdir=LR]
    v0 [label="{ a | data 2.0000 | grad 0.0000 }" shape=record]
    v1 [label="{ b | data -3.0000 | grad 0.0000 }" shape=record]
    v2 [label="{ c | data -6.0000 | grad 0.0000 }" shape=record]
    v2_op [label="*"]
    v2_op -> v2
    v0 -> v2_op
    v1 -> v2_op
}
<BLANKLINE>

Unlike the lecture's version, node names come from the walk's creation order, not ``id()`` (the
same graph draws the same text every run), and the walk is a loop, so deep graphs draw too.
"""
from __future__ import annotations

from ...core.engine import Value, walk
from ...show.escape import dot_record, dot_text
from ...show.viz import Drawing

__all__ = ["trace", "draw_dot"]


def _symbol(v: Value) -> str:
    """micrograd's op string for a micrograd Value, the op's symbol for any other Value."""
    op = v._op
    return "" if op is None else op if isinstance(op, str) else op.symbol


def trace(root: Value) -> tuple:
    """(nodes, edges) of root's graph: every Value, and a (child, parent) pair per input."""
    nodes = walk(root)
    edges = {(p, n) for n in nodes for p in n.parents}
    return set(nodes), edges


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR") -> Drawing:
    """A :class:`~microgradnn.viz.Drawing` (a ``graphviz.Digraph`` whose ``dot`` runs under a
    time limit) of root's graph, drawn as in micrograd (shows inline in Jupyter).

    format: the output format for ``.render()`` / Jupyter ("svg", "png"); rankdir: "LR" (left
    to right) or "TB" (top to bottom).
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_dot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    dot = Drawing(format=format, graph_attr={"rankdir": rankdir})
    nodes = walk(root)
    name = {n: f"v{i}" for i, n in enumerate(nodes)}
    for n in nodes:
        if not n.is_scalar:
            raise TypeError(f"draw_dot: draws scalar Values (one number per node), "
                            f"{n.label or 'a node'} has shape {n.shape}; use "
                            "microgradnn.draw_graph for tensors")
        # A record's fields are split at | and { }: the label is escaped as one field's text.
        dot.node(name[n], label="{ %s | data %.4f | grad %.4f }" % (dot_record(n.label), n.data,
                                                                     n.grad), shape="record")
        op = _symbol(n)
        if op:
            op_id = name[n] + "_op"     # not name + op: micrograd's op is any string (a:b is a port)
            dot.node(op_id, label=dot_text(op))
            dot.edge(op_id, name[n])
            for p in n.parents:
                dot.edge(name[p], op_id)
    return dot
