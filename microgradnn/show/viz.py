"""Drawings of computation graphs and networks, with Graphviz.

:func:`draw_graph` draws what was computed: one box per :class:`~microgradnn.engine.Value`
(its label, data and gradient), one oval per operation, an arrow per use (``a + a`` draws two).
:func:`draw_network` draws an :class:`~microgradnn.nn.MLP`'s architecture.

Both return a :class:`Drawing`, a ``graphviz.Digraph``: ``.source`` is the DOT text (no Graphviz
program needed), ``.render(...)`` / ``.pipe(...)`` write SVG, PNG or PDF with Graphviz's ``dot``,
and in Jupyter the drawing shows itself inline as SVG.

>>> from microgradnn import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = a * b + a; c.label = "c"
>>> print(draw_graph(c).source.count("->"))      # a→*, b→*, *→v2, v2→+, a→+, +→c
6

Design notes, for readers:

* Node ids come from the position in the walk's creation order (``v0, v1, ...`` for values,
  ``op3`` for the op that made ``v3``), never from ``id()``: the same computation gives the same
  DOT text in every run, so drawings can be compared with stored files.
* Every walk is a loop over :func:`microgradnn.engine.walk`'s list, never a recursion, so a chain
  of 100,000 ops draws (once ``max_nodes`` allows it).
"""
from __future__ import annotations

import errno
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import graphviz
import numpy as np

from ..core.engine import Value, walk
from .escape import dot_html, dot_text
from .labels import default_rankdir, edge_label_texts, formula_names, number_text, values_text
from .trace import reverses_axes

__all__ = ["draw_graph", "draw_network", "Drawing", "DotError", "DotNotFoundError",
           "TooManyNodesError", "run_dot", "check_timeout", "DOT_TIMEOUT"]

FONT = "Helvetica,Arial,sans-serif"
SMALL = 6            # tensors with at most this many elements show their values, else a summary

# Fill and border colour of each role, and the words of the legend.
ROLES = {
    "input":        ("#dbeafe", "#3b82f6", "input"),
    "parameter":    ("#fef3c7", "#d97706", "parameter"),
    "constant":     ("#f8fafc", "#cbd5e1", "constant"),
    "intermediate": ("#ffffff", "#94a3b8", "intermediate"),
    "output":       ("#fee2e2", "#dc2626", "output / loss"),
}
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#eef2f7", "color": "#94a3b8",
            "fontsize": "12", "height": "0.3", "width": "0.3", "margin": "0.04,0.02"}
GRAD_COLOUR = "#b45309"
EDGE_COLOUR = "#64748b"
PATH_COLOUR = "#e11d48"
MUTED = "#64748b"

# Ops whose operands cannot be swapped: their arrows say which input is on the left of the
# operator and which on the right (words, not letters: a letter could be one of the learner's names).
_ORDERED = {"sub", "div", "pow", "matmul", "linear"}
_SIDES = ("left", "right")


# ---------------------------------------------------------------------------------------------
# The Digraph, and `dot` run under a time limit, each failure one error that names its cause
# ---------------------------------------------------------------------------------------------

DOT_TIMEOUT = 30.0   # seconds `dot` may take to draw before it is stopped (a parameter: timeout=)


class DotError(RuntimeError):
    """Graphviz's ``dot`` could not draw: it is missing, ran out of time, crashed or refused
    the DOT text. The message names which; ``cause`` is "missing", "timeout", "crash",
    "refused" or "input"."""

    def __init__(self, message: str, cause: str) -> None:
        RuntimeError.__init__(self, message)   # not graphviz.ExecutableNotFound's (a subclass's)
        self.cause = cause


class DotNotFoundError(DotError, graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program, and it is not installed (or not on PATH)."""

    def __init__(self, what: str) -> None:
        DotError.__init__(
            self,
            f"{what} needs Graphviz's `dot` program, which was not found on PATH. Install "
            "Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
            "(macOS), `conda install -c conda-forge graphviz` (conda), or see "
            "https://graphviz.org/download/. Without it, `.source` still gives the DOT text.",
            "missing")


def run_dot(source: str, format: str, *, timeout: float = DOT_TIMEOUT,
            what: str = "Drawing a graph", quiet: bool = False) -> bytes:
    """``dot -T<format>`` on the DOT text ``source``: its output, or one :class:`DotError`.

    ``dot`` is stopped after ``timeout`` seconds (default :data:`DOT_TIMEOUT`, 30 s): a huge
    graph (a raised ``max_nodes``) can take minutes. Its warnings go to stderr unless quiet.
    """
    if not isinstance(format, str) or format not in graphviz.FORMATS:
        raise ValueError(f"{what}: unknown output format {format!r}; Graphviz writes "
                         f"{', '.join(sorted(f for f in graphviz.FORMATS if f in _COMMON))}, ...")
    check_timeout(timeout, what)
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError as e:
        raise DotError(f"{what}: the DOT text holds {e.object[e.start]!r} at position "
                       f"{e.start:,}, which UTF-8 cannot encode (a lone surrogate); text "
                       "that microgradnn draws is escaped, so it was added to the drawing by "
                       "hand: pass it through microgradnn.show.escape.dot_text", "input") from None
    try:
        done = subprocess.run(["dot", f"-T{format}"], input=data, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DotError(f"{what}: Graphviz's `dot` did not finish within {timeout:g} s and was "
                       "stopped; pass a larger timeout= (seconds), or draw fewer nodes "
                       "(collapse_layers=True, or a smaller part of the computation)",
                       "timeout") from None
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.EACCES):   # not on PATH, or not runnable
            raise DotNotFoundError(what) from None
        raise DotError(f"{what}: Graphviz's `dot` could not be started ({e.strerror or e})",
                       "missing") from None
    said = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        raise DotError(f"{what}: Graphviz's `dot` crashed ({name}) on this graph"
                       + (f"; it said: {_first_lines(said)}" if said else ""), "crash")
    if done.returncode:
        raise DotError(f"{what}: Graphviz's `dot` refused the DOT text (exit status "
                       f"{done.returncode}): {_first_lines(said) or 'no message'}", "refused")
    if said and not quiet:
        sys.stderr.write(said + "\n")
    return done.stdout


def check_timeout(timeout: Any, what: str) -> None:
    """A time limit for ``dot`` is a positive, finite number of seconds."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 < timeout < math.inf:
        raise ValueError(f"{what}: timeout must be a positive number of seconds, got "
                         f"{timeout!r} (default {DOT_TIMEOUT:g})")


_COMMON = {"svg", "png", "pdf", "jpg", "dot", "gv", "json", "ps", "plain"}


def _first_lines(text: str, lines: int = 3, chars: int = 400) -> str:
    return " / ".join(text.splitlines()[:lines])[:chars]


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering runs ``dot`` under a time limit.

    ``.pipe(format)`` returns the picture, ``.render(filename, format=...)`` writes it, and
    Jupyter shows it inline as SVG; each takes ``timeout=`` (seconds, default
    :data:`DOT_TIMEOUT`) and raises one :class:`DotError` naming what went wrong: ``dot``
    missing (:class:`DotNotFoundError`), out of time, crashed, or refusing the text.
    """

    def pipe(self, format: Optional[str] = None, *, encoding: Optional[str] = None,
             quiet: bool = False, timeout: float = DOT_TIMEOUT):
        out = run_dot(self.source, format or self.format, timeout=timeout, quiet=quiet,
                      what="Drawing a graph as an image (pipe)")
        return out if encoding is None else out.decode(encoding)

    def render(self, filename=None, directory=None, view: bool = False, cleanup: bool = False,
               format: Optional[str] = None, *, outfile=None, quiet: bool = False,
               quiet_view: bool = False, timeout: float = DOT_TIMEOUT) -> str:
        """Save the DOT text to ``filename`` and draw it beside (``<filename>.<format>``, or
        ``outfile``); returns the picture's path. ``cleanup`` removes the DOT file after."""
        if format is None:
            format = Path(outfile).suffix.lstrip(".") if outfile is not None else self.format
        picture = run_dot(self.source, format, timeout=timeout, quiet=quiet,
                          what="Rendering a graph to a file (render)")
        source_path = self.save(filename, directory=directory)
        target = (Path(source_path).with_name(f"{Path(source_path).name}.{format}")
                  if outfile is None else Path(directory or "", outfile))
        target.write_bytes(picture)
        if cleanup:
            os.remove(source_path)
        if view or quiet_view:
            self._view(target, format=format, quiet=quiet_view)
        return os.fspath(target)


class TooManyNodesError(ValueError):
    """draw_graph: the graph has more boxes and ovals than ``max_nodes``."""


def _new_drawing(name: str, rankdir: str) -> Drawing:
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), "
                         f"got {rankdir!r}")
    d = Drawing(name)
    d.attr("graph", rankdir=rankdir, fontname=FONT, fontsize="12", nodesep="0.22",
           ranksep="0.3", bgcolor="white", pad="0.2")
    d.attr("node", fontname=FONT, fontsize="11", shape="box", style="rounded,filled",
           penwidth="1.2", margin="0.1,0.05")
    d.attr("edge", fontname=FONT, fontsize="9", color=EDGE_COLOUR, arrowsize="0.6",
           fontcolor=MUTED)
    return d


# ---------------------------------------------------------------------------------------------
# Numbers as text
# ---------------------------------------------------------------------------------------------

def _summary(a: np.ndarray) -> tuple:
    """(min, mean, max) of the finite elements as text, and the NaN/inf counts as text ('' if none)."""
    finite = np.isfinite(a)
    stats = ("", "", "")
    if finite.any():
        f = a[finite]
        stats = (number_text(f.min()), number_text(f.mean()), number_text(f.max()))
    n_nan = int(np.isnan(a).sum())
    n_inf = int(a.size - finite.sum()) - n_nan
    bad = " · ".join(t for t in (f"{n_nan} nan" if n_nan else "", f"{n_inf} inf" if n_inf else "") if t)
    return stats, bad


def _plain(x: Any) -> Any:
    """A float for scalar nodes, a float64 array for tensor nodes (a create_graph grad is a Value)."""
    if isinstance(x, Value):
        x = x.data
    return x if isinstance(x, float) else np.asarray(x, dtype=np.float64)


def _shape_text(shape: tuple) -> str:
    return "×".join(str(n) for n in shape) if shape else "0-d"


# ---------------------------------------------------------------------------------------------
# Node labels (Graphviz HTML-like labels: a small table per node)
# ---------------------------------------------------------------------------------------------

def _table(rows: str) -> str:
    """An HTML-like label: a borderless table of the given <TR> rows."""
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'


def _html(rows: list) -> str:
    """One cell per row: a stack of lines."""
    return _table("".join(f"<TR><TD>{r}</TD></TR>" for r in rows))


def _muted(text: str, size: str = "") -> str:
    size = f' POINT-SIZE="{size}"' if size else ""
    return f'<FONT COLOR="{MUTED}"{size}>{text}</FONT>'


def _value_label(v: Value, role: str, show_grad: bool) -> str:
    """A Value's box: its label (and shape), then data and grad.

    Scalars and small tensors list their numbers; bigger tensors get a little table of
    min / mean / max per row, and a count of NaN and inf elements when there are any.
    """
    esc = dot_html
    title = f"<B>{esc(v.label)}</B>" if v.label else ""
    if not v.is_scalar:
        shape = _muted(_shape_text(v.shape))
        title = f"{title}&#160;&#160;{shape}" if title else shape   # kept in SVG, unlike spaces
    if role == "constant":               # an unlabelled number used in an expression: just it
        data = _plain(v.data)
        text = number_text(data) if isinstance(data, float) else values_text(data, most=SMALL)
        if text is None:
            text = "min {} · mean {} · max {}".format(*_summary(data)[0])
        return _html(([title] if title else []) + [esc(text)])
    lines = [("data", _plain(v.data), "")]
    if show_grad and v._grad is not None:   # None: no backward pass reached this node
        lines.append(("grad", _plain(v._grad), GRAD_COLOUR))
    listed = [(name, number_text(x) if isinstance(x, float) else values_text(x, most=SMALL), colour)
              for name, x, colour in lines]
    if all(text is not None for _, text, _ in listed):
        rows = [title] if title else []
        for name, text, colour in listed:
            text = f"{name} {esc(text)}"
            rows.append(f'<FONT COLOR="{colour}">{text}</FONT>' if colour else text)
        return _html(rows)
    # Too many numbers: a 4-column table, "data | min | mean | max".
    row = ('<TR><TD ALIGN="LEFT">{}</TD><TD ALIGN="RIGHT">&#160;{}</TD>'
           '<TD ALIGN="RIGHT">&#160;&#160;{}</TD><TD ALIGN="RIGHT">&#160;&#160;{}</TD></TR>')
    out = [f'<TR><TD COLSPAN="4">{title}</TD></TR>' if title else "",
           row.format("", *(_muted(h, "9") for h in ("min", "mean", "max")))]
    for name, x, colour in lines:
        stats, bad = _summary(x)
        paint = (lambda t: f'<FONT COLOR="{colour}">{t}</FONT>') if colour else (lambda t: t)
        out.append(row.format(paint(name), *(paint(t) for t in stats)))
        if bad:
            out.append(f'<TR><TD></TD><TD COLSPAN="3" ALIGN="RIGHT">'
                       f'<FONT COLOR="{PATH_COLOUR}">{bad}</FONT></TD></TR>')
    return _table("".join(out))


_NAME = re.compile(r"^[^\W\d]\w*(?:\[[^\]]*\])?$")       # x, x1, y, X, x[0]: a name, not a formula


def _role(v: Value, root: Value) -> str:
    """The colour rule: the root is the output; a leaf that wants gradients is a parameter,
    unless it is labelled x (x[0], ...); a leaf that wants none is an input when its label is a
    name (x1, y, ...) and a constant when it has no label or a formula for one (1/n, max(z, 0))."""
    if v is root:
        return "output"
    if v._op is not None:
        return "intermediate"
    label = v.label
    if label == "x" or label.startswith("x["):
        return "input"
    if not v.requires_grad:
        return "input" if _NAME.match(label) else "constant"
    return "parameter"


def _index_text(index: Any) -> str:
    if isinstance(index, tuple):
        return ", ".join(_index_text(i) for i in index)
    if isinstance(index, slice):
        parts = ["" if p is None else str(p) for p in (index.start, index.stop, index.step)]
        return ":".join(parts[:2] if index.step is None else parts)
    if index is Ellipsis:
        return "..."
    if isinstance(index, np.ndarray):
        return str(index.tolist()) if index.size <= SMALL else f"array {_shape_text(index.shape)}"
    return str(index)


def _op_text(v: Value) -> str:
    """What the op's oval says: its symbol, or its name with the static parameters that matter."""
    op, params = v._op, v.params
    if op.name == "getitem":
        return f"[{_index_text(params['index'])}]"
    if reverses_axes(v):
        return op.symbol
    shown = {k: p for k, p in params.items()
             if not (k == "axis" and p is None) and not (k == "keepdims" and p is False)}
    if not shown:
        return op.symbol
    if list(shown) == ["shape"]:
        return f"{op.name}({', '.join(str(n) for n in shown['shape'])})"
    return f"{op.name}({', '.join(f'{k}={_index_text(p)}' for k, p in shown.items())})"


# ---------------------------------------------------------------------------------------------
# Layers: which nodes belong to layer 1, 2, ... of a network
# ---------------------------------------------------------------------------------------------

_LAYER_LABEL = re.compile(r"^(?:W|w|b|z|a)(\d+)(?:$|[\[_.(])")


def _label_layer(v: Value) -> Optional[int]:
    m = _LAYER_LABEL.match(v.label)
    return int(m.group(1)) if m else None


def layers_of(nodes: list, index: dict, root: Value) -> list:
    """The layer number of each node (None outside any layer).

    A labelled node (W1, b1, z1, a1, W1[0,1] ...) is in the layer its label names. An unlabelled
    node sits in layer L when the first labelled nodes downstream of it are in layer L and
    nothing upstream is in a later layer: that is `W1 @ x` (before `+ b1` makes z1), or W1.T.
    Two passes over the walk's list: forward for "latest layer upstream", backward for
    "earliest layer downstream".
    """
    own = [_label_layer(n) for n in nodes]
    up: list = [None] * len(nodes)
    down: list = [None] * len(nodes)
    for i, n in enumerate(nodes):                       # oldest first: parents are done
        for p in n.parents:
            j = index[p]
            k = own[j] if own[j] is not None else up[j]
            if k is not None and (up[i] is None or k > up[i]):
                up[i] = k
    for i in range(len(nodes) - 1, -1, -1):             # newest first: consumers are done
        k = own[i] if own[i] is not None else down[i]
        if k is None:
            continue
        for p in nodes[i].parents:
            j = index[p]
            if down[j] is None or k < down[j]:
                down[j] = k
    layer = []
    for i, n in enumerate(nodes):
        if n is root:
            layer.append(None)
        elif own[i] is not None:
            layer.append(own[i])
        elif n.label:                    # x, y, loss ...: named, but not a layer's
            layer.append(None)
        elif down[i] is not None and (up[i] is None or up[i] <= down[i]):
            layer.append(down[i])
        else:
            layer.append(None)
    return layer


def _collapsed_rows(members: list, layer: int) -> list:
    """A collapsed layer's box: its named Values (W1 16×2, b1 16 ...) and a count of its ops."""
    esc = dot_html
    names: dict = {}                                     # base name → (count, shape)
    n_ops = 0
    symbols: dict = {}
    for v in members:
        if v._op is not None:
            n_ops += 1
            symbols.setdefault(v._op.symbol, None)
        if v.label:
            base = re.split(r"[\[_.(]", v.label, maxsplit=1)[0]
            count, shape = names.get(base, (0, v.shape))
            names[base] = (count + 1, shape)
    rows = [f"<B>layer {layer}</B>"]
    parts = [f"{esc(base)} {_shape_text(shape)}" if count == 1 and shape else
             f"{esc(base)} ×{count}" for base, (count, shape) in names.items()]
    for k in range(0, len(parts), 3):
        rows.append(f'<FONT COLOR="{MUTED}">{" · ".join(parts[k:k + 3])}</FONT>')
    if n_ops:
        rows.append(f'<FONT COLOR="{MUTED}">{n_ops} op{"s" if n_ops > 1 else ""}: '
                    f'{esc(" ".join(symbols))}</FONT>')
    return rows


# ---------------------------------------------------------------------------------------------
# draw_graph
# ---------------------------------------------------------------------------------------------

def draw_graph(root: Value, *, rankdir: Optional[str] = None, show_grad: bool = True,
               cluster_layers: bool = False, collapse_layers: bool = False,
               max_nodes: int = 500, highlight: Optional[Value] = None,
               edge_labels: Optional[str] = None, legend: bool = True) -> Drawing:
    """Draw the computation graph that produced ``root``.

    A box per Value (label, data, and grad once a backward pass reached it; tensors show their
    shape and their values when small, else min/mean/max), an oval per op, one arrow per use.
    Colours mark inputs, parameters, intermediates and the output (see the legend).

    rankdir: "LR" (left to right) or "TB" (top to bottom); None (the default) chooses: left to
        right while the longest path fits a page that way (about 1,000 pt), else top to bottom.
    show_grad: write the gradients (after backward()).
    cluster_layers: frame the nodes of each network layer (W1, b1, z1, a1 and the unlabelled
        nodes between them) as "layer 1", ...; collapse_layers: draw each layer as one box.
    max_nodes: refuse (ValueError) to draw more boxes and ovals than this.
    highlight: a Value (usually a parameter); the paths from it to root — the routes the chain
        rule takes — are drawn in red.
    edge_labels: "local" writes on each arrow the local derivative ∂out/∂input (its formula,
        in the nodes' own labels, and its value on scalar graphs): "∂/∂w = x = 0.5"; into an op
        that is not elementwise, the gradient it passes back, G being the one arriving at its
        output: "into W: Gᵀ x". No label where no gradient flows.
    legend: add a key to the colours.

    >>> from microgradnn import Value
    >>> x = Value(0.5, label="x"); w = Value(-2.0, label="w")
    >>> y = (x * w).tanh(); y.label = "y"
    >>> d = draw_graph(y, highlight=w)
    >>> "tanh" in d.source and "data -0.7616" in d.source
    True
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected a Value, got {type(root).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive integer, got {max_nodes!r}")
    if edge_labels not in (None, "local"):
        raise ValueError(f"draw_graph: edge_labels must be None or 'local', got {edge_labels!r}")
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(f"draw_graph: highlight must be a Value of the graph, got "
                        f"{type(highlight).__name__}")
    nodes = walk(root)
    index = {n: i for i, n in enumerate(nodes)}
    d = _new_drawing("computation graph", rankdir or default_rankdir(nodes, index, edge_labels))
    layer = layers_of(nodes, index, root) if (cluster_layers or collapse_layers) else [None] * len(nodes)

    # The drawn name of each value and of each op (a collapsed layer draws them all as "L1").
    collapse = collapse_layers and any(k is not None for k in layer)
    value_id = [f"L{layer[i]}" if collapse and layer[i] is not None else f"v{i}"
                for i in range(len(nodes))]
    op_id = [None if n._op is None else
             f"L{layer[i]}" if collapse and layer[i] is not None else f"op{i}"
             for i, n in enumerate(nodes)]
    n_values = sum(1 for i in range(len(nodes)) if not value_id[i].startswith("L"))
    n_ops = sum(1 for o in op_id if o is not None and not o.startswith("L"))
    n_boxes = len({value_id[i] for i in range(len(nodes)) if value_id[i].startswith("L")})
    total = n_values + n_ops + n_boxes
    if total > max_nodes:
        raise TooManyNodesError(
            f"draw_graph: this graph has {total:,} nodes to draw ({n_values:,} values, {n_ops:,} "
            f"ops{f', {n_boxes} layer boxes' if n_boxes else ''}), more than max_nodes="
            f"{max_nodes:,}. Pass max_nodes={total} to draw it anyway (Graphviz gets slow beyond "
            "a few thousand nodes), collapse_layers=True to draw each network layer (labels W1, "
            "b1, z1, a1, ...) as one box, or draw a smaller part of the computation.")

    # The loss: what is computed from the network's last layer on, outside every layer, with
    # the constants used only there (targets, 1/n, ...). Framed, and titled by the root's label.
    in_loss = [False] * len(nodes)
    if cluster_layers and not collapse and any(k is not None for k in layer):
        after = [False] * len(nodes)
        for i, n in enumerate(nodes):
            after[i] = n._op is not None and layer[i] is None and any(
                layer[index[p]] is not None or after[index[p]] for p in n.parents)
        users: dict = {}
        for i, n in enumerate(nodes):
            for p in n.parents:
                users.setdefault(index[p], []).append(i)
        for i, n in enumerate(nodes):
            in_loss[i] = after[i] or (n._op is None and layer[i] is None and i in users
                                      and all(after[u] for u in users[i]))

    in_frame = [("loss" if in_loss[i] else layer[i]) if cluster_layers and not collapse else None
                for i in range(len(nodes))]

    # Which nodes lie on a path from `highlight` to the root: highlight itself and, in creation
    # order, every node with a parent on such a path.
    on_path = [False] * len(nodes)
    if highlight is not None:
        if highlight not in index:
            raise ValueError(f"draw_graph: the highlight Value {highlight!r} is not part of "
                             f"the graph that produced the root")
        start = index[highlight]
        on_path[start] = True
        for i in range(start + 1, len(nodes)):
            on_path[i] = any(on_path[index[p]] for p in nodes[i].parents)

    # Nodes, grouped by layer when clustering (layer None: the top level); per group the values,
    # then the ops, which share their style through one `node [...]` default statement.
    groups: dict = {}
    roles_seen: dict = {}
    for i, n in enumerate(nodes):
        if value_id[i].startswith("L"):
            continue
        role = _role(n, root)
        roles_seen[role] = None
        fill, border, _ = ROLES[role]
        attrs = {"fillcolor": fill, "color": border}
        if role == "constant":
            attrs.update(fontsize="10", style="rounded,filled,dashed", width="0.3", height="0.3")
        if on_path[i]:
            attrs.update(color=PATH_COLOUR, penwidth="2.5")
        values, ops_ = groups.setdefault("loss" if in_loss[i] else layer[i], ([], []))
        values.append((value_id[i], _value_label(n, role, show_grad), attrs))
        if op_id[i] is not None:
            ops_.append((op_id[i], dot_text(_op_text(n)),
                         {"color": PATH_COLOUR, "penwidth": "2.5"} if on_path[i] else {}))
    if collapse:
        members: dict = {}
        for i, n in enumerate(nodes):
            if layer[i] is not None:
                members.setdefault(layer[i], []).append(i)
        for k in sorted(members):
            box = {"fillcolor": "#f1f5f9", "color": MUTED, "fontsize": "12"}
            if any(on_path[i] for i in members[k]):
                box.update(color=PATH_COLOUR, penwidth="2.5")
            groups.setdefault(None, ([], []))[0].append(
                (f"L{k}", _html(_collapsed_rows([nodes[i] for i in members[k]], k)), box))

    if legend:
        _legend(d, [r for r in ROLES if r in roles_seen])
    top_values, top_ops = groups.get(None, ([], []))
    for name, label, attrs in top_values:
        d.node(name, label, **attrs)
    for k in sorted(key for key in groups if isinstance(key, int)):
        with d.subgraph(name=f"cluster_layer{k}") as c:
            c.attr(label=f"layer {k}", style="rounded,dashed", color="#94a3b8",
                   fontcolor=MUTED, fontsize="11", margin="10")
            _emit_ops_after(c, *groups[k])
    if "loss" in groups:
        with d.subgraph(name="cluster_loss") as c:
            c.attr(label=dot_text(root.label or "output"), style="rounded,dashed", color=ROLES["output"][1],
                   fontcolor=ROLES["output"][1], fontsize="11", margin="10")
            _emit_ops_after(c, *groups["loss"])
    _emit_ops_after(d, [], top_ops)

    # Edges: input → op, one per use and in order; op → output.
    drawn = set()
    naming = formula_names(nodes) if edge_labels == "local" else None
    for i, n in enumerate(nodes):
        if n._op is None:
            continue
        target = op_id[i]
        parents = n.parents
        texts = edge_label_texts(n, *naming) if naming else None
        for k, p in enumerate(parents):
            j = index[p]
            source = value_id[j]
            attrs = {}
            if collapse and (source.startswith("L") or target.startswith("L")):
                if source == target or (source, target) in drawn:
                    continue                  # inside one box, or already joined
                drawn.add((source, target))
            elif texts is not None:
                if texts[k]:
                    attrs["label"] = dot_text(texts[k])
            elif len(parents) == 2 and n._op.name in _ORDERED:
                attrs["label"] = _SIDES[k]    # which operand is which: left − right, left / right
            if in_frame[i] and in_frame[j] and in_frame[i] != in_frame[j]:
                attrs["minlen"] = "2"     # a rank between two frames: stacked, not a staircase
            if on_path[j] and on_path[i]:
                attrs.update(color=PATH_COLOUR, penwidth="2.2")
            d.edge(source, target, **attrs)
        if target != value_id[i]:
            attrs = {"color": PATH_COLOUR, "penwidth": "2.2"} if on_path[i] else {}
            d.edge(target, value_id[i], **attrs)

    return d


def _emit_ops_after(g: graphviz.Digraph, values: list, ops_: list) -> None:
    """Value boxes, then the op ovals under one shared default style."""
    for name, label, attrs in values:
        g.node(name, label, **attrs)
    if ops_:
        g.attr("node", **OP_STYLE)
        for name, label, attrs in ops_:
            g.node(name, label, **attrs)


def _legend(d: Drawing, roles: list) -> None:
    cells = "".join(
        f'<TD BGCOLOR="{ROLES[r][0]}" COLOR="{ROLES[r][1]}" BORDER="1" STYLE="rounded">'
        f'{ROLES[r][2]}</TD>' for r in roles)
    d.node("legend", f'<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{cells}</TR></TABLE>>',
           shape="plaintext", style="", fontsize="10")


# ---------------------------------------------------------------------------------------------
# draw_network
# ---------------------------------------------------------------------------------------------

def _activation_name(act: Any) -> str:
    return "linear" if act in (None, "identity", "linear") else str(act)


def draw_network(net: Any, *, rankdir: str = "LR", neurons: Optional[bool] = None) -> Drawing:
    """Draw a network's architecture: its layers, their sizes and activations.

    net: an :class:`~microgradnn.nn.MLP`, or anything with ``.layers`` (sizes, input first) and
    ``.activations`` (one name per weight layer); ``.weights``/``.biases`` add their labels.
    neurons: draw one circle per unit (None: only when no layer has more than 8 units); else one
    box per layer ("dense 16 · relu").

    >>> from microgradnn import MLP
    >>> d = draw_network(MLP([2, 16, 16, 1], ["relu", "relu", "linear"]))
    >>> "dense 16" in d.source and "337 parameters" in d.source
    True
    """
    sizes = list(getattr(net, "layers", None) or [])
    acts = list(getattr(net, "activations", None) or [])
    if len(sizes) < 2:
        raise ValueError(f"draw_network: expected a network with .layers listing at least an "
                         f"input and an output size, got {sizes}")
    if len(acts) != len(sizes) - 1:
        raise ValueError(f"draw_network: {len(sizes)} layer sizes {sizes} need "
                         f"{len(sizes) - 1} activations, got {len(acts)}: {acts}")
    weights = list(getattr(net, "weights", None) or [])
    biases = list(getattr(net, "biases", None) or [])

    def name(items: list, l: int, default: str) -> str:
        label = getattr(items[l - 1], "label", "") if l <= len(items) else ""
        return label or default

    n_params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    arch = "-".join(str(n) for n in sizes)
    d = _new_drawing("network", rankdir)
    d.attr("graph", label=dot_text(f"MLP {arch} · {n_params:,} parameters"), labelloc="b", fontsize="12",
           fontcolor=MUTED)
    if neurons is None:
        neurons = max(sizes) <= 8
    last = len(sizes) - 1
    in_fill, in_border, _ = ROLES["input"]
    out_fill, out_border, _ = ROLES["output"]
    hid_fill, hid_border = "#ecfdf5", "#059669"

    if not neurons:
        d.node("layer0", _html(["<B>input</B>", f"{dot_html(sizes[0])} features"]),
               fillcolor=in_fill, color=in_border)
        for l in range(1, last + 1):
            w, b = name(weights, l, f"W{l}"), name(biases, l, f"b{l}")
            fill, border = (out_fill, out_border) if l == last else (hid_fill, hid_border)
            # &#160;: SVG drops a plain space that starts the text after </B> ("dense 16· relu")
            rows = [f"<B>dense {sizes[l]}</B>&#160;· {dot_html(_activation_name(acts[l - 1]))}",
                    f'<FONT COLOR="{MUTED}">{dot_html(w)} {sizes[l]}×{sizes[l - 1]} · '
                    f'{dot_html(b)} {sizes[l]}</FONT>',
                    f'<FONT COLOR="{MUTED}">{sizes[l] * sizes[l - 1] + sizes[l]:,} parameters</FONT>']
            d.node(f"layer{l}", _html(rows), fillcolor=fill, color=border)
            d.edge(f"layer{l - 1}", f"layer{l}",
                   label=dot_text(f"x ({sizes[0]})" if l == 1 else f"a{l - 1} ({sizes[l - 1]})"))
        return d

    d.attr("graph", nodesep="0.12", ranksep="0.9", splines="line")
    for l, size in enumerate(sizes):
        if l == 0:
            title, fill, border = f"input · {size}", in_fill, in_border
        else:
            kind = "output" if l == last else f"hidden {l}"
            fill, border = (out_fill, out_border) if l == last else (hid_fill, hid_border)
            title = f"{kind} · {size} · {_activation_name(acts[l - 1])}"
        # One rank per layer: its caption on top, then its units, chained by invisible edges
        # so that they keep their order (clusters would let dot shuffle them).
        with d.subgraph() as c:
            c.attr(rank="same")
            c.node(f"caption{l}", dot_text(title), shape="plaintext", style="", fontcolor=MUTED,
                   fontsize="10")
            previous = f"caption{l}"
            for j in range(size):
                text = f"x[{j}]" if l == 0 else f"a{l}[{j}]" if l < last or size > 1 else "ŷ"
                c.node(f"n{l}_{j}", text, shape="circle", style="filled", fillcolor=fill,
                       color=border, fontsize="9", width="0.45", fixedsize="true")
                c.edge(previous, f"n{l}_{j}", style="invis")
                previous = f"n{l}_{j}"
    for l in range(1, last + 1):
        for j in range(sizes[l]):
            for k in range(sizes[l - 1]):
                d.edge(f"n{l - 1}_{k}", f"n{l}_{j}", color="#94a3b8", arrowhead="none",
                       penwidth="0.7")     # left to right is the only direction: no arrowheads
    return d
