"""Step through a backward pass in the browser: one self-contained HTML page.

``explore(loss, "backward.html")`` writes a page that shows the graph under ``loss`` (drawn by
:func:`~microgradnn.viz.draw_graph`, rendered to inline SVG by Graphviz's ``dot``) and plays the
reverse pass one chain-rule step at a time: "Next step", "Previous step", "Reset" (or the → and
← keys). Each step highlights the edge the gradient flows along and writes its arithmetic —
upstream gradient × local derivative = contribution, and the input's running total — taken
from the engine's own trace (``backward(explain=True)``), so the page shows the engine's order
and the engine's numbers. A node whose gradient is complete is marked done and shows its
``.grad``; clicking a node shows its op, formula, value and gradient.

With ``network=net`` the nodes are grouped by layer, and beside each layer the page shows
δˡ, ∂C/∂bˡ and ∂C/∂Wˡ with the equation (BP1–BP4) that computes each; ``check=`` adds a
cross-check's verdict per layer (a failing layer is drawn red):

    report = crosscheck_gradients(net, x, y, my_dw, my_db, my_deltas)   # your backprop
    explore(loss, "backward.html", network=net, check=report)

Design notes, for readers:

* ``explore`` runs its own backward pass (seed 1 at ``value``) and then puts every ``.grad`` of
  the graph back as it was: the page shows the gradients of that pass alone, and your graph's
  gradients are not touched.
* Everything is in the file: SVG, styles, script and data (JSON); nothing is fetched, so the
  page works opened from disk. The same graph gives the same bytes: node ids are
  ``draw_graph``'s (``v3`` for a value, ``op3`` for the op that made it, ``L1`` for a collapsed
  layer), and nothing depends on ``id()``, the clock or the machine.
* Text reaches the page as text, never as markup: every label, name, formula and
  cross-check row goes through :mod:`microgradnn.show.escape`'s helper for its sink — into the
  SVG by ``draw_graph`` (then Graphviz escapes it again), into HTML by ``page_html``, into the
  script by ``script_json`` (``<``, ``>`` and ``&`` as \\u escapes), which the script places
  with ``textContent``. Characters no page can hold (NUL, lone surrogates) show as escapes.
"""
from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..core.engine import Value, walk
from .escape import page_html, script_json
from .trace import local_formula, upstream_name
from .labels import number_text, values_text
from .viz import (DOT_TIMEOUT, GRAD_COLOUR, TooManyNodesError, check_timeout, draw_graph,
                  layers_of)

__all__ = ["explore"]

MAX_NODES = 200      # boxes and ovals drawn one by one; beyond, each network layer is one box
LISTED = 6           # arrays with at most this many elements are written out in full


def explore(value: Value, path: Any = "backward.html", *, network: Any = None,
            check: Any = None, max_nodes: int = MAX_NODES,
            timeout: float = DOT_TIMEOUT) -> Union[str, Path]:
    """Write a page that steps through the backward pass of ``value``; returns its path, as
    given (a str stays a str, like ``shutil.copy``; other paths come back as a ``Path``).

    value: a Value with one element (a loss), scalar graph or tensor graph.
    path: the file to write (``.html``).
    network: the :class:`~microgradnn.nn.MLP` whose last forward pass made ``value``: the
        page groups the nodes by layer and shows δˡ, ∂C/∂bˡ and ∂C/∂Wˡ beside each layer.
    check: a :class:`~microgradnn.check.CrossCheckReport` for that network — from
        ``crosscheck(net, x, y)`` (the closed form BP1–BP4) or ``crosscheck_gradients(net, x,
        y, dw, db, deltas)`` (your own backprop) — whose verdict each layer shows.
    max_nodes: beyond this many boxes and ovals, each network layer is drawn as one box (the
        page says so); a graph still too big is refused.
    timeout: the seconds Graphviz's ``dot`` may take to draw the graph (default 30); beyond,
        it is stopped and :class:`~microgradnn.viz.DotError` says so.

    Every ``.grad`` of the graph is left as it was. Needs Graphviz's ``dot`` program.

    >>> import tempfile, pathlib
    >>> from microgradnn import Value
    >>> a = Value(2.0, label="a"); y = a * a + a; y.label = "y"
    >>> page = explore(y, pathlib.Path(tempfile.mkdtemp()) / "backward.html")
    >>> "step 0 of 4" in page.read_text(encoding="utf-8"), a.grad
    (True, 0.0)
    """
    if not isinstance(value, Value):
        raise TypeError(f"explore: expected a Value, got {type(value).__name__}")
    if value.size != 1:
        raise ValueError(f"explore: the output has shape {value.shape}; explore a Value with "
                         "one element, such as a loss (for example y.sum())")
    if not value.requires_grad:
        raise ValueError("explore: this Value does not depend on anything that requires a "
                         "gradient, so its backward pass has no steps")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"explore: path must be a file name (a str or a Path) ending in .html, "
                        f"got {type(path).__name__}")
    given, path = path, Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"explore: the page's file name must end with .html, got {str(path)!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"explore: max_nodes must be a positive integer, got {max_nodes!r}")
    check_timeout(timeout, "explore")
    if path.exists() and not path.is_file():     # a FIFO would hang the write, a device ...
        raise ValueError(f"explore: {str(path)!r} exists and is not a regular file (a folder, "
                         "a FIFO or a device); give the name of a page to write")
    if check is not None:
        if network is None:
            raise ValueError("explore: check= shows a cross-check per network layer; pass the "
                             "network too (network=net)")
        # (told by what it has, not by its class: check looks at show, not the other way)
        if type(check).__name__ != "CrossCheckReport" or not hasattr(check, "rows"):
            raise TypeError(f"explore: check must be a CrossCheckReport (what crosscheck or "
                            f"crosscheck_gradients return), got {type(check).__name__}")

    nodes = walk(value)
    saved = [n._grad for n in nodes]
    try:
        for n in nodes:            # this pass's gradients alone, not added to earlier ones
            n._grad = None
        trace = value.backward(explain=True)
        page = _Page(value, nodes, trace, network, check, max_nodes, timeout).html()
    finally:
        for n, g in zip(nodes, saved):
            n._grad = g
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page.encode("utf-8"))
    return given if isinstance(given, str) else path


# ---------------------------------------------------------------------------------------------
# Numbers and names as text
# ---------------------------------------------------------------------------------------------

def _num(x: float) -> str:
    return number_text(x, 6)


def _fmt(x: Any) -> str:
    """A number, a small array in full (nested lists), or a big one as shape, min, mean, max."""
    if x is None:
        return "—"
    a = np.asarray(x.data if isinstance(x, Value) else x, dtype=np.float64)
    listed = values_text(a, 6, LISTED)
    if listed is not None:
        return listed
    shape = "×".join(str(n) for n in a.shape)
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return f"{shape}: no finite element"
    return (f"{shape}: min {_num(float(finite.min()))} · mean {_num(float(finite.mean()))} · "
            f"max {_num(float(finite.max()))}")


def _error(x: Any) -> str:
    """A report's error as 1.23e-04 (a report made by hand may hold anything: shown as text)."""
    return f"{x:.2e}" if isinstance(x, (int, float, np.floating, np.integer)) else str(x)


def _d(name: str) -> str:
    """A name inside ∂…/∂…: bare when it is one symbol, else in parentheses."""
    return name if re.fullmatch(r"[\w\[\],.]+", name) else f"({name})"


def _operand(node: Value, i: int) -> str:
    """Which input of node's op input i is: "left operand" of a − b, "third operand" (b) of
    x Wᵀ + b, "the only operand" of tanh(x)."""
    count = len(node.parents)
    if count == 1:
        return "the only operand"
    if count == 2:
        return ("left operand", "right operand")[i]
    return ("first operand", "second operand", "third operand")[i]


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

class _Page:
    """Everything the page shows, computed once from the graph and its backward trace."""

    def __init__(self, root: Value, nodes: list, trace, network, check, max_nodes: int,
                 timeout: float) -> None:
        self.root, self.nodes, self.trace = root, nodes, trace
        self.index = {n: i for i, n in enumerate(nodes)}
        self.network, self.check = network, check
        self.layers = self._network_layers() if network is not None else []

        n_drawn = len(nodes) + sum(1 for n in nodes if n._op is not None)
        self.collapsed = n_drawn > max_nodes
        try:
            svg = self._layout(root, network is not None, max_nodes, timeout)
        except TooManyNodesError:       # only this: dot's own failures keep their message
            raise ValueError(
                f"explore: the graph has {n_drawn:,} boxes and ovals to draw, more than "
                f"max_nodes={max_nodes:,}, and drawing each network layer (labels W1, b1, z1, "
                "a1, ...) as one box does not bring it below; pass a larger max_nodes= or "
                "explore a smaller computation") from None
        self.n_drawn, self.max_nodes = n_drawn, max_nodes
        layer = layers_of(nodes, self.index, root) if self.collapsed else [None] * len(nodes)
        self.value_id = [f"L{layer[i]}" if layer[i] is not None else f"v{i}"
                         for i in range(len(nodes))]
        self.op_id = [None if n._op is None else f"L{layer[i]}" if layer[i] is not None
                      else f"op{i}" for i, n in enumerate(nodes)]
        self.svg = self._svg(svg)

        # Names: the trace's (labels, or the short expression that made the node).
        self.names = {}
        for row, (n, p, _) in zip(trace.rows, trace.edges):
            self.names[n], self.names[p] = row.node, row.input
        for i, n in enumerate(nodes):
            self.names.setdefault(n, n.label or f"v{i}")
        # The step after which each node's gradient is complete (the root's: before any).
        self.done_after = {root: 0}
        for k, (_, p, _) in enumerate(trace.edges, 1):
            self.done_after[p] = k
        # A drawn box is done when every Value in it with a gradient is (a collapsed layer
        # holds many).
        self.box_done: dict = {}
        for v, k in self.done_after.items():
            box = self.value_id[self.index[v]]
            self.box_done[box] = max(k, self.box_done.get(box, 0))

    # --- the drawing ---

    def _layout(self, root: Value, clusters: bool, max_nodes: int, timeout: float) -> str:
        """The SVG, left to right; top to bottom instead when that fits a screen better."""
        best = None
        for rankdir in ("LR", "TB"):
            svg = draw_graph(root, rankdir=rankdir, cluster_layers=clusters,
                             collapse_layers=self.collapsed, max_nodes=max_nodes
                             ).pipe(format="svg", timeout=timeout).decode("utf-8")
            width, height = (float(v) for v in re.search(
                r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
            fit = min(1.0, 1000.0 / width, 700.0 / height)   # the zoom that fits 1000×700 pt
            if best is None or fit > best[0] * 1.25:
                best = (fit, svg)
            if width <= 1000.0 or width <= 1.6 * height:
                break                     # left to right fits well enough: no second drawing
        return best[1]

    def _svg(self, svg: str) -> str:
        """Graphviz's SVG, inline-ready: no prolog, comments or namespaces (HTML supplies them),
        each group's id the DOT name (v3, op3, L1, cluster_layer1; edges edge-v0-op3-0, the
        last number counting repeated arrows between the same two nodes, as in a + a)."""
        svg = svg[svg.index("<svg"):]
        svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
        svg = re.sub(r' xmlns(:xlink)?="[^"]*"', "", svg)
        seen: dict = {}

        def rename(m: re.Match) -> str:
            kind, title = m.group(1), html.unescape(m.group(2))
            if kind == "edge":
                source, target = title.split("->")
                k = seen.get((source, target), 0)
                seen[(source, target)] = k + 1
                ident, cls = f"edge-{source}-{target}-{k}", "edge"
            elif kind == "cluster":
                ident, cls = title, "cluster" + self._layer_class(title)
            else:
                kind_of = ("value" if title.startswith("v") else "op" if title.startswith("op")
                           else "layer" if title.startswith("L") else "legend")
                ident, cls = title, f"node {kind_of}" + self._layer_class(title)
            return f'<g id="{page_html(ident)}" class="{cls}">\n<title>{m.group(2)}</title>'

        svg = re.sub(r'<g id="\w+" class="(node|edge|cluster)">\n<title>([^<]*)</title>',
                     rename, svg)
        # The gradient lines show once a node is done (the page's style hides them until then).
        return svg.replace(f'fill="{GRAD_COLOUR}">', f'fill="{GRAD_COLOUR}" class="grad">')

    def _layer_class(self, name: str) -> str:
        """' layer-ok' / ' layer-bad' for a layer's cluster (or collapsed box) with a verdict."""
        m = re.fullmatch(r"(?:cluster_layer|L)(\d+)", name)
        state = self._verdict(int(m.group(1)))[1] if m else "unchecked"
        return "" if state == "unchecked" else f" layer-{state}"

    def _verdict(self, layer: int) -> tuple:
        """The cross-check's rows for a layer, and "ok", "bad" or "unchecked" (no rows)."""
        rows = [r for r in self.check.rows if r.layer == layer] if self.check is not None else []
        return rows, "unchecked" if not rows else "ok" if all(r.ok for r in rows) else "bad"

    # --- the network's layers ---

    def _network_layers(self) -> list:
        net = self.network
        weights, biases = getattr(net, "weights", None), getattr(net, "biases", None)
        found = getattr(net, "nodes", None)
        if not isinstance(weights, list) or not isinstance(biases, list) or not isinstance(
                found, dict):
            raise TypeError(f"explore: network must be an MLP (with .weights, .biases and the "
                            f".nodes of its last forward pass), got {type(net).__name__}")
        L = len(weights)
        layers = []
        for l in range(1, L + 1):
            z = found.get(f"z{l}")
            if isinstance(z, list):
                raise ValueError("explore: network= shows a tensor network's layers; this "
                                 "network's last forward pass was in scalar mode "
                                 "(scalar_forward): explore its loss without network=")
            members = {f"z{l}": z, f"W{l}": weights[l - 1], f"b{l}": biases[l - 1]}
            for name, v in members.items():
                if v not in self.index:
                    raise ValueError(
                        f"explore: the network's {name} is not part of the graph under this "
                        "value; build the loss from the network's last forward pass "
                        "(net(x), then the loss of its output) and explore that")
            layers.append(members)
        if self.check is not None:
            extra = sorted({r.layer for r in self.check.rows} - set(range(1, L + 1)))
            if extra:
                raise ValueError(f"explore: check= has rows for layer {extra[0]}, but the "
                                 f"network has {L} layers; pass the cross-check of this network")
        return layers

    def _layer_panels(self) -> str:
        if not self.layers:
            return ""
        L = len(self.layers)
        acts = list(getattr(self.network, "activations", [""] * L))
        out = ['<section id="layers"><h2>Layers</h2>']
        if self.check is not None:
            c = self.check
            out.append(f'<p class="muted">Cross-check: {page_html(c.checked)} against '
                       f'{page_html(c.reference)} (loss {page_html(c.loss)}, batch '
                       f'{page_html(c.batch)}).</p>')
        for l in range(L, 0, -1):          # in backpropagation order: the output layer first
            m = self.layers[l - 1]
            if l < L:
                error = f"BP2: δ{l} = ((W{l + 1})ᵀ δ{l + 1}) ⊙ σ′(z{l})"
            elif l - 1 < len(acts) and acts[l - 1] == "softmax":
                # softmax mixes its neurons: its Jacobian is not diagonal, so no ⊙ σ′
                # (four-equations.md derives Jᵀ∇ₐC; with cross-entropy and rows summing to 1
                # it is (a − y)/n)
                error = (f"BP1 for softmax: δ{l} = Jᵀ ∇ₐC, J = diag(a{l}) − a{l} a{l}ᵀ "
                         f"(with cross-entropy: δ{l} = (a{l} − y)/n)")
            else:
                error = f"BP1: δ{l} = ∇ₐC ⊙ σ′(z{l})"
            equations = [
                (f"δ{l} = ∂C/∂z{l}", f"z{l}", error),
                (f"∂C/∂b{l}", f"b{l}", f"BP3: ∂C/∂b{l}ⱼ = δ{l}ⱼ (summed over the batch)"),
                (f"∂C/∂W{l}", f"W{l}",
                 f"BP4: ∂C/∂W{l}ⱼₖ = a{l - 1}ₖ δ{l}ⱼ (summed over the batch)"),
            ]
            rows, state = self._verdict(l)
            act = page_html(acts[l - 1]) if l - 1 < len(acts) else ""
            out.append(f'<div class="layer {state}" id="layer-{l}" data-layer="{l}">'
                       f'<h3>layer {l}{" · " + act if act else ""}</h3>')
            for quantity, name, equation in equations:
                v = m[name]
                out.append(f'<div class="quantity" data-node="{self.value_id[self.index[v]]}" '
                           f'data-done="{self.done_after.get(v, -1)}">'
                           f'<div><b>{page_html(quantity)}</b> '
                           f'<span class="eq">{page_html(equation)}</span></div>'
                           f'<div class="val">{page_html(_fmt(v._grad))}</div></div>')
            if rows:
                verdict = "agrees" if state == "ok" else "DISAGREES"
                out.append(f'<div class="verdict">cross-check: {verdict}<ul>')
                for r in rows:
                    note = f" — {page_html(r.note)}" if r.note else ""
                    out.append(f'<li class="{"ok" if r.ok else "bad"}">{page_html(r.equation)} '
                               f'{page_html(r.quantity)}: {"ok" if r.ok else "MISMATCH"}, '
                               f'max abs error {page_html(_error(r.max_abs))}{note}'
                               + ("" if r.ok else self._numbers(r)) + '</li>')
                out.append("</ul></div>")
            elif self.check is None:
                out.append('<div class="verdict muted">not cross-checked: pass check=crosscheck'
                           '(net, x, y) or check=crosscheck_gradients(net, x, y, dw, db, '
                           'deltas) to explore()</div>')
            out.append("</div>")
        out.append("</section>")
        return "".join(out)

    def _numbers(self, r) -> str:
        """A failing row's two sides, the checked numbers beside the reference's."""
        if r.checked_values is None or r.reference_values is None:
            return ""
        return "".join(f'<div class="val" data-side="{side}">{page_html(who)}: '
                       f'{page_html(_fmt(values))}</div>'
                       for side, who, values in (("checked", self.check.checked, r.checked_values),
                                                 ("reference", self.check.reference,
                                                  r.reference_values)))

    # --- the steps ---

    def _steps(self) -> list:
        R = _d(self.names[self.root])
        G = upstream_name(set(self.names.values()))      # as the trace's formulas call it
        counts: dict = {}
        for _, p, _ in self.trace.edges:
            counts[p] = counts.get(p, 0) + 1
        seen: dict = {}
        finished: dict = {}
        for box, at in self.box_done.items():
            finished.setdefault(at, []).append(box)
        steps = []
        for k, (row, (n, p, i)) in enumerate(zip(self.trace.rows, self.trace.edges), 1):
            j, t = self.index[p], self.index[n]
            N, P = _d(row.node), _d(row.input)
            seen[p] = seen.get(p, 0) + 1
            source, op, target = self.value_id[j], self.op_id[t], self.value_id[t]
            edges = []
            if source != op:
                # Repeated arrows (a * a) are told apart by their position; a collapsed
                # layer draws one arrow per pair of boxes.
                repeat = 0 if "L" in (source[0], op[0]) else sum(
                    1 for q in n.parents[:i] if q is p)
                edges.append(f"edge-{source}-{op}-{repeat}")
            if op != target:
                edges.append(f"edge-{op}-{target}-0")
            tensor = not n.is_scalar
            lines = [
                [["", "Node "], ["node", row.node], ["", f" ({row.op}) passes its gradient to "
                                                    "its input "], ["input", row.input],
                 ["", f" ({_operand(n, i)})"]],
                [["", f"upstream gradient {'' if n._op.elementwise else G + ' = '}∂{R}/∂{N} = "],
                 ["upstream", _fmt(row.upstream)]],
            ]
            if row.local is not None:
                local = [["", f"local derivative ∂{N}/∂{P} = "], ["formula", row.formula]]
                if row.formula != _fmt(row.local):          # "1", not "1 = 1"
                    local += [["", " = "], ["local", _fmt(row.local)]]
                lines.append(local)
                how = "upstream ⊙ local" if tensor else "upstream × local"
                if np.shape(row.contribution) != np.shape(row.upstream):
                    how += ", summed over the broadcast axes"
                lines.append([["", f"product = {how} = "], ["product", _fmt(row.contribution)]])
            elif n._op.elementwise:                    # elementwise, but the input was broadcast
                lines.append([["", f"local derivative ∂{N}/∂{P} = "], ["formula", row.formula],
                              ["", f", elementwise ({row.input} was broadcast to {row.node}'s "
                                   "shape)"]])
                lines.append([["", "product = upstream ⊙ local, summed over the broadcast "
                                   "axes = "], ["product", _fmt(row.contribution)]])
            else:
                lines.append([["", f"local derivative ∂{N}/∂{P}: a Jacobian, applied to the "
                                   "upstream gradient as a vector-Jacobian product, "],
                              ["formula", row.formula]])
                lines.append([["", "product (the vector-Jacobian product) = "],
                              ["product", _fmt(row.contribution)]])
            lines.append([["", f"running total ∂{R}/∂{P} = "], ["total", _fmt(row.accumulated)],
                          ["", f" (contribution {seen[p]} of {counts[p]})"]])
            if self.done_after[p] == k:
                lines.append([["done", f"{row.input}: gradient complete, grad = "
                                       f"{_fmt(p._grad)}"]])
            done = finished.get(k, [])
            steps.append({"node": target, "op": op, "input": source, "edges": edges,
                          "done": done, "lines": lines})
        return steps

    def _intro(self, n_steps: int) -> list:
        R = self.names[self.root]
        if not n_steps:
            return [[["", f"{R} is a leaf: its backward pass has no steps."]]]
        return [[["", f"The backward pass starts at {R}, with ∂{_d(R)}/∂{_d(R)} = 1."]],
                [["", f"It takes {n_steps} chain-rule steps, one per edge, in the engine's own "
                      "order (newest node first). Press “Next step” or →."]]]

    def _details(self) -> dict:
        """What clicking a box or an oval shows: op, formulas, value, gradient."""
        out = {}
        G = upstream_name(set(self.names.values()))
        for i, n in enumerate(self.nodes):
            vid = self.value_id[i]
            if vid.startswith("L"):
                continue
            name = self.names[n]
            lines = []
            if n._op is None:
                kind = "a parameter" if n.requires_grad else "an input or constant"
                lines.append(f"op: none, a leaf ({kind})")
            else:
                lines.append(f"op: {n._op.name} ({n._op.symbol})")
                names = (name, *(self.names[p] for p in n.parents))   # as the trace writes it
                for k, p in enumerate(n.parents):
                    lines.append(f"formula ∂{_d(name)}/∂{_d(self.names[p])} = "
                                 f"{local_formula(n._op, k, names, G)} ({_operand(n, k)})")
            lines.append(f"value: {_fmt(n.data)}")
            entry = {"title": name, "lines": lines,
                     "grad": _fmt(n._grad) if n._grad is not None else None,
                     "done": self.done_after.get(n)}
            out[vid] = entry
            if self.op_id[i] is not None:
                out[self.op_id[i]] = entry
        return out

    def html(self) -> str:
        steps = self._steps()
        first = [box for box, at in self.box_done.items() if at == 0]      # the root's
        data = {"steps": steps, "intro": self._intro(len(steps)), "initialDone": first,
                "details": self._details()}
        root = self.names[self.root]
        return _TEMPLATE.format(
            title=page_html(f"Backward pass of {root}"), root=page_html(root), n=len(steps),
            svg=self.svg, note=self._note(), layers=self._layer_panels(), data=script_json(data),
            style=_STYLE, script=_SCRIPT)

    def _note(self) -> str:
        if not self.collapsed:
            return ""
        return (f'<p id="collapsed-note" class="note">This graph has {self.n_drawn:,} boxes and '
                f"ovals, more than max_nodes={self.max_nodes:,}: each network layer is drawn as "
                "one box (collapsed), and a step inside a layer highlights that box.</p>")


_STYLE = """
:root { --accent: #e11d48; --input: #2563eb; --done: #059669; --muted: #64748b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #0f172a; background: #f8fafc; }
header { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap;
         align-items: center; gap: .6rem 1rem; padding: .7rem 1rem; background: #fff; border-bottom: 1px solid #e2e8f0; }
header h1 { font-size: 1.05rem; margin: 0 1rem 0 0; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid #94a3b8; border-radius: .4rem;
         background: #fff; cursor: pointer; }
button:hover:not(:disabled) { background: #eef2ff; }
button:disabled { opacity: .45; cursor: default; }
#counter { font-variant-numeric: tabular-nums; font-weight: 600; }
.keys { color: var(--muted); font-size: .85rem; }
main { display: flex; align-items: flex-start; gap: 1rem; padding: 1rem; }
/* The graph stays in view, full height, however far the side panel is scrolled. */
#graph { flex: 1 1 auto; min-width: 0; max-width: 100%; overflow: auto; background: #fff;
         border: 1px solid #e2e8f0; border-radius: .5rem; padding: .5rem;
         position: sticky; top: 4.5rem; height: calc(100vh - 5.5rem); box-sizing: border-box; }
#graph svg { display: block; }
aside { flex: 0 0 30rem; max-width: 45vw; display: flex; flex-direction: column; gap: .8rem; }
@media (max-width: 900px) {
  main { flex-direction: column; }
  aside { flex: none; max-width: none; width: 100%; }
  #graph { position: static; height: auto; max-height: 80vh; width: 100%; }
}
.panel, .layer { background: #fff; border: 1px solid #e2e8f0; border-radius: .5rem;
                 padding: .6rem .8rem; }
h2 { font-size: .95rem; margin: 0 0 .4rem; } h3 { font-size: .9rem; margin: 0 0 .3rem; }
#explanation div { margin: .15rem 0; }
#explanation span, #details span { font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: .9em; word-break: break-word; }
#explanation .node { color: var(--accent); font-weight: 600; }
#explanation .input { color: var(--input); font-weight: 600; }
#explanation .upstream, #explanation .local, #explanation .product, #explanation .total
  { background: #f1f5f9; border-radius: .25rem; padding: 0 .2rem; }
#explanation .done { color: var(--done); font-weight: 600; font-family: inherit; }
.muted { color: var(--muted); }
.note { margin: 0; padding: .5rem 1rem; background: #fffbeb; border-bottom: 1px solid #fde68a; }
.layer.ok { border-left: 4px solid var(--done); }
.layer.bad { border: 2px solid #dc2626; background: #fef2f2; }
.layer.unchecked { border-left: 4px solid #cbd5e1; }
.layer .quantity { margin: .3rem 0; }
.layer .eq { color: var(--muted); font-size: .85rem; }
.layer .val { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
.layer .quantity.pending .val { opacity: .35; }
.layer li.bad { color: #b91c1c; font-weight: 600; }
.verdict ul { margin: .2rem 0 0; padding-left: 1.2rem; }
g.node { cursor: pointer; }
g.node:not(.done) text.grad { visibility: hidden; }
g.node.done > path, g.node.done > ellipse { stroke: var(--done); stroke-width: 2.4px; }
g.edge.active path { stroke: var(--accent); stroke-width: 3.2px; }
g.edge.active polygon { stroke: var(--accent); fill: var(--accent); }
g.node.active-node > path, g.node.active-node > ellipse,
g.node.active-node > polygon { stroke: var(--accent); stroke-width: 3px; }
g.node.active-input > path, g.node.active-input > ellipse,
g.node.active-input > polygon { stroke: var(--input); stroke-width: 3px; }
g.node.selected > path, g.node.selected > ellipse { stroke-dasharray: 5 3; }
g.cluster.layer-bad > path, g.cluster.layer-bad > polygon { stroke: #dc2626; stroke-width: 2.5px;
  fill: #fef2f2; }
g.cluster.layer-ok > path, g.cluster.layer-ok > polygon { stroke: var(--done); }
g.node.layer.layer-bad > path { stroke: #dc2626; stroke-width: 2.5px; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  var steps = data.steps, total = steps.length, k = 0, selected = null;
  var $ = function (id) { return document.getElementById(id); };

  function write(box, lines) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    lines.forEach(function (line) {
      var div = document.createElement("div");
      line.forEach(function (part) {
        if (part[0]) {
          var span = document.createElement("span");
          span.className = part[0];
          span.textContent = part[1];
          div.appendChild(span);
        } else {
          div.appendChild(document.createTextNode(part[1]));
        }
      });
      box.appendChild(div);
    });
  }

  function mark(ids, cls) {
    ids.forEach(function (id) { var e = $(id); if (e) { e.classList.add(cls); } });
  }

  function details(id) {
    var d = data.details[id], box = $("details");
    if (!d) { return; }
    box.classList.remove("muted");
    var lines = [[["", "node "], ["name", d.title]]];
    d.lines.forEach(function (t) { lines.push([["", t]]); });
    if (d.grad === null) {
      lines.push([["", "gradient: none (it does not require a gradient)"]]);
    } else if (d.done !== null && k >= d.done) {
      lines.push([["", "gradient: "], ["grad", d.grad],
                  ["", d.done ? " (complete after step " + d.done + ")" : " (the seed)"]]);
    } else {
      lines.push([["", "gradient: not complete yet (it will be after step " + d.done +
                   "; final value " + d.grad + ")"]]);
    }
    write(box, lines);
  }

  function show() {
    ["active", "active-node", "active-input", "done"].forEach(function (cls) {
      Array.prototype.slice.call(document.querySelectorAll("." + cls)).forEach(function (e) {
        e.classList.remove(cls);
      });
    });
    mark(data.initialDone, "done");
    for (var s = 0; s < k; s++) { mark(steps[s].done, "done"); }
    if (k > 0) {
      var step = steps[k - 1];
      mark(step.edges, "active");
      mark([step.node, step.op], "active-node");
      mark([step.input], "active-input");
      var seen = $(step.edges.length ? step.edges[0] : step.node);
      if (seen) { seen.scrollIntoView({block: "nearest", inline: "nearest"}); }
      write($("explanation"), step.lines);
    } else {
      write($("explanation"), data.intro);
    }
    Array.prototype.slice.call(document.querySelectorAll(".quantity")).forEach(function (q) {
      q.classList.toggle("pending", k < Number(q.getAttribute("data-done")));
    });
    $("counter").textContent = "step " + k + " of " + total;
    $("prev").disabled = k === 0;
    $("next").disabled = k === total;
    if (selected) { details(selected); }
  }

  /* Fit the drawing to its panel: never more than 1.5× nor less than 0.6× its own size
     (a big graph scrolls instead, and each step scrolls its edge into view). */
  var svg = document.querySelector("#graph svg");
  if (svg) {
    var natural = svg.width.baseVal.value, high = svg.height.baseVal.value;
    var room = $("graph").clientWidth - 20;
    var zoom = Math.max(0.6, Math.min(1.5, room / natural));
    svg.setAttribute("width", natural * zoom);
    svg.setAttribute("height", high * zoom);
  }

  function go(to) { k = Math.max(0, Math.min(total, to)); show(); }
  $("next").addEventListener("click", function () { go(k + 1); });
  $("prev").addEventListener("click", function () { go(k - 1); });
  $("reset").addEventListener("click", function () { go(0); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { go(k + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { go(k - 1); e.preventDefault(); }
  });
  Array.prototype.slice.call(document.querySelectorAll("#graph g.node")).forEach(function (g) {
    if (!data.details[g.id]) { return; }
    function choose() {
      if (selected && $(selected)) { $(selected).classList.remove("selected"); }
      selected = g.id;
      g.classList.add("selected");
      details(g.id);
    }
    g.setAttribute("tabindex", "0");          /* reachable with Tab, chosen with Enter */
    g.setAttribute("role", "button");
    g.addEventListener("click", choose);
    g.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { choose(); e.preventDefault(); }
    });
  });
  show();
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>{style}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<button id="prev" type="button">Previous step</button>
<button id="next" type="button">Next step</button>
<button id="reset" type="button">Reset</button>
<span id="counter" aria-live="polite">step 0 of {n}</span>
<span class="keys">keys: → next, ← previous · click a node for its details</span>
</header>
{note}
<main>
<div id="graph">
{svg}
</div>
<aside>
<section class="panel"><h2>This step</h2><div id="explanation" aria-live="polite"></div></section>
<section class="panel"><h2>Node</h2>
<div id="details" class="muted">Click a box or an oval (or Tab to it and press Enter).</div>
</section>
{layers}
<p class="muted">microgradnn explore: the gradients of one backward pass from {root}, seeded
with 1. Exploring left every .grad of the graph as it was.</p>
</aside>
</main>
<script type="application/json" id="explorer-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
