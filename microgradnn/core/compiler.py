"""``compile``: a recorded graph written out as plain numpy source, and run as that source.

The op table says, for every op, how its forward and its VJPs read as numpy source (``Op.source``).
Shapes are fixed once a graph is recorded, so the compiler answers every question about them
while it writes: which broadcasts to sum back, which reshapes to make. It walks the graph once
and writes the forward in creation order and the backward newest node first, one line per op,
each backward line commented with its chain-rule step. For a dense layer the comments name the
equation: the layer's own nodes (the affine op, the loss op) carry BP1–BP4 in the op table.

>>> from microgradnn import Value
>>> x = Value(2.0, label="x"); w = Value(3.0, label="w")
>>> f = compile((x * w).tanh(), inputs=[x])
>>> round(f(0.5), 6), round(w.grad, 6)        # tanh(1.5) and its derivative in w, x(1 − tanh²)
(0.905148, 0.090353)

Like ``torch.jit.trace``, it replays the recorded ops: Python control flow that depended on the
data when the graph was recorded (an ``if`` on a value, a constant computed from the data, such
as softmax's shift by the maximum) is frozen as it was.

Labels never become code: a variable's name is an identifier made from its label (ASCII letters,
digits and ``_``, made unique), and the label's own text appears only in comments, escaped.
"""
from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import re
from typing import Any, Optional, Sequence

import numpy as np

from .engine import Value, as_data, walk
from .numeric import broadcast_axes

# What each equation of a dense layer computes, for the comments (l: this layer, k = l − 1 the
# one below, L the output layer).
EQUATIONS = {
    "BP1": "BP1: ∇ₐC, the first factor of δ{L} = ∇ₐC ⊙ σ′(z{L})",
    "BP2": "BP2: δ{l} W{l}, the first factor of δ{k} = (δ{l} W{l}) ⊙ σ′(z{k})",
    "BP3": "BP3: ∂C/∂b{l} = Σ over the batch of δ{l}",
    "BP4": "BP4: ∂C/∂W{l} = δ{l}ᵀ a{k}",
}
_RESERVED = {"np"} | set(dir(builtins))
_number = itertools.count(1).__next__     # a file name per compiled source, for tracebacks


class _Var(str):
    """A variable's name in a template; ``{a.shape}`` reads the shape it has when compiled."""

    def __new__(cls, name: str, shape: tuple) -> "_Var":
        var = super().__new__(cls, name)
        var.shape = shape
        return var


def _shape(data: Any) -> tuple:
    return () if type(data) is float else np.shape(data)


def _literal(v: Any, what: str) -> str:
    """Python source for a parameter's value (an axis, a shape, an index ...)."""
    if v is None or isinstance(v, (bool, np.bool_)):
        return repr(None if v is None else bool(v))
    if isinstance(v, (int, np.integer)):
        return repr(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        text = repr(v) if np.isfinite(v) else "np.nan" if v != v else \
            "np.inf" if v > 0 else "-np.inf"
        return f"({text})" if text.startswith("-") else text
    if isinstance(v, tuple):
        items = [_literal(x, what) for x in v]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if v is Ellipsis:
        return "..."
    if isinstance(v, np.ndarray) and v.dtype.kind in "biu":
        return f"np.array({v.tolist()!r}, dtype=np.{v.dtype.name})"
    raise TypeError(f"compile: {what}: cannot write a parameter of type {type(v).__name__} "
                    "as source")


def _subscript(index: Any) -> str:
    """An index as it is written between brackets: x[1:, 0], x[..., None]."""
    items = index if isinstance(index, tuple) else (index,)
    written = []
    for v in items:
        if isinstance(v, slice):
            ends = ["" if e is None else _literal(e, "a slice") for e in (v.start, v.stop)]
            written.append(":".join(ends + ([] if v.step is None else
                                             [_literal(v.step, "a slice")])))
        else:
            written.append(_literal(v, "an index"))
    return ", ".join(written) + ("," if isinstance(index, tuple) and len(index) == 1 else "")


def comment(text: Any, limit: int = 60) -> str:
    """Text made safe for a ``#`` comment: every character that is not printable (newlines,
    NUL, line separators, surrogates) written as its escape, backslashes doubled, quotes
    escaped, long text cut."""
    text = str(text)
    cut = len(text) > limit
    out = []
    for ch in text[:limit]:
        if ch in "\\'\"":
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            n = ord(ch)
            out.append(f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000
                       else f"\\U{n:08x}")
    return "".join(out) + ("…" if cut else "")


def _identifier(label: str, fallback: str) -> str:
    """An ASCII identifier made from a label (or fallback): never a keyword, a builtin, np, nor
    a name starting with _ (the templates' temporaries)."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", label)[:32].strip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name + "_" if keyword.iskeyword(name) or name in _RESERVED else name


def _substitute(formula: str, names: dict) -> str:
    """A formula (text a learner reads) with {a}, {out}, {g} ... replaced by variable names; no
    str.format on text that may come from define_op."""
    return re.sub(r"\{(\w+)\}", lambda m: names.get(m.group(1), m.group(0)), formula)


class CompiledGraph:
    """A recorded graph as a numpy function: ``f(*inputs)`` recomputes the forward, sets
    ``.grad`` of every leaf that requires one (as ``zero_grad()`` + ``backward()``) and returns
    the output's value. ``.source`` is the code it runs."""

    def __init__(self, output: Value, inputs: Sequence[Any], also: Sequence[Value] = ()):
        if not isinstance(output, Value):
            raise TypeError(f"compile: expected the output Value, got {type(output).__name__}")
        if output.operation is None:
            raise ValueError("compile: the output is a leaf; compile the Value an op made")
        if not output.requires_grad:
            raise ValueError("compile: the output does not depend on anything that requires a "
                             "gradient, so there is no backward pass to write")
        if output.size != 1:
            raise ValueError(f"compile: the output has shape {output.shape}; compile a "
                             "one-element output (a loss), as backward() needs without a seed")
        nodes = walk(output)
        self.inputs = self._resolve(inputs, nodes)
        self.also = list(also)
        for v in self.also:
            if v not in set(nodes):
                raise ValueError("compile: a Value in `also` is not in the output's graph")
        self._write(output, nodes)
        filename = f"<microgradnn.compile {_number()}>"
        namespace = {"np": np, "__builtins__": {}, **self._functions}
        exec(builtins.compile(self.source, filename, "exec"), namespace)
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True),
                                     filename)
        self._function = namespace[self.name]

    @staticmethod
    def _resolve(inputs: Sequence[Any], nodes: list) -> list:
        if isinstance(inputs, (Value, str)) or not isinstance(inputs, (list, tuple)):
            raise TypeError("compile: inputs must be a list of the graph's input Values (or "
                            f"their labels), got {type(inputs).__name__}")
        leaves = [n for n in nodes if n.operation is None]
        resolved = []
        for i, v in enumerate(inputs):
            if isinstance(v, str):
                found = [n for n in leaves if n.label == v]
                if len(found) != 1:
                    known = ", ".join(sorted(repr(n.label) for n in leaves if n.label))
                    raise ValueError(f"compile: input {i}: {'no' if not found else 'more than one'}"
                                     f" leaf of the graph is labelled {comment(v)!r} "
                                     f"(labelled leaves: {known or 'none'})")
                v = found[0]
            elif not isinstance(v, Value):
                raise TypeError(f"compile: input {i} is a {type(v).__name__}, expected a Value "
                                "of the graph or its label")
            elif v.operation is not None or v not in set(leaves):
                raise ValueError(f"compile: input {i} ({comment(v.label) or v.shape}) is not a "
                                 "leaf of the output's graph: inputs are the leaves whose data "
                                 "changes from call to call (a batch x, its targets y)")
            if v in resolved:
                raise ValueError(f"compile: input {i} is listed twice")
            resolved.append(v)
        return resolved

    # --- writing the source ---

    def _write(self, output: Value, nodes: list) -> None:
        taken, counts = set(), {}
        self._functions = {}
        for n in nodes:
            op = n.operation
            if op is None:
                continue
            if op.source is None:
                raise ValueError(f"compile: the op {op.name!r} has no numpy source in the op "
                                 "table (Op.source), so a graph using it cannot be compiled; "
                                 "run it with backward()")
            if op.source == "calls":
                self._function_names(op)
        taken.update(self._functions)

        def unique(name: str) -> str:
            candidate, k = name, 2
            while candidate in taken:
                candidate, k = f"{name}_{k}", k + 1
            taken.add(candidate)
            return candidate

        name, inline = {}, {}
        inputs = set(self.inputs)
        for n in nodes:
            op = n.operation
            if op is None and n not in inputs and not n.requires_grad and not n.label \
                    and type(n.data) is float:
                inline[n] = _literal(n.data, "a constant")     # 2 in x ** 2: written as is
                continue
            kind = op.name if op is not None else "p" if n.requires_grad else "c"
            counts[kind] = counts.get(kind, 0) + 1
            name[n] = unique(_identifier(n.label, f"{kind}{counts[kind]}"))
        layers = [n for n in nodes if n.operation is not None
                  and "BP4" in (op_equations(n.operation) or ())]
        layer_of = {n: l for l, n in enumerate(layers, 1)}
        grad_name = {}
        for n in nodes:
            if n.requires_grad:
                base = name[n]
                grad_name[n] = unique((f"delta{base[1:]}" if base[:1] == "z" and base[1:]
                                       else f"delta_{base}") if n in layer_of else f"d{base}")
        self.name = unique("forward_backward")
        var = {**name, **inline}
        params = [n for n in nodes if n.operation is None and n not in inputs and n in name]
        self._read = params
        self._expect = [(name[v], _shape(v.data), type(v.data) is float) for v in self.inputs]
        self._grad_leaves = [n for n in nodes if n.operation is None and n.requires_grad]
        self._float_out = output.is_scalar     # a scalar graph's output is a Python float

        lines = [f"def {self.name}({', '.join(name[v] for v in self.inputs + params)}):",
                 f'    """{len(name) - len(params) - len(self.inputs)} ops of a recorded '
                 'graph, forward then backward (written by microgradnn.compile)."""',
                 "    # forward: one line per op, in the order they were recorded"]
        for v in self.inputs + params:
            if v.label and v.label != name[v]:
                lines.insert(-1, f"    # {name[v]}: the leaf labelled '{comment(v.label)}'")
        for n in nodes:
            if n.operation is not None:
                lines.append(self._line(name[n], self._expr(n, var, None, None), self._describe(n)))
        out, L = name[output], len(layers)
        lines.append("    # backward: the chain rule, newest op first")
        seed = "1.0" if output.ndim == 0 or output.is_scalar else f"np.ones({output.shape})"
        lines.append(self._line(grad_name[output], seed, f"∂{out}/∂{out} = 1"))
        written = set()
        for n in walk(output, for_backward=True):
            op = n.operation
            for i, p in enumerate(n.parents):
                if not p.requires_grad:
                    continue
                expr = self._expr(n, var, i, grad_name[n])
                expr = self._unbroadcast(expr, self._contribution_shape(n, i), _shape(p.data))
                target = grad_name[p]
                if target in written:
                    expr = f"{target} + {expr}"
                written.add(target)
                note = f"∂{out}/∂{var[p]} {'+' if expr.startswith(target) else ''}= " + \
                    self._step(n, i, var, grad_name[n])
                eq = (op_equations(op) or (None,) * len(op.vjps))[i]
                if eq in EQUATIONS:
                    l = layer_of.get(n, L)
                    note = EQUATIONS[eq].format(l=l, k=l - 1, L=L)
                if eq == "BP1" and p in layer_of:      # a loss that reads the logits zᴸ
                    note = f"BP1: δ{L} = ∂C/∂z{L} in one step (the loss reads the logits)"
                elif p in layer_of:
                    l = layer_of[p]
                    note += f"; this is δ{l} ({'BP1' if l == L else 'BP2'})"
                lines.append(self._line(target, expr, note))
        grads = ", ".join(grad_name[n] for n in self._grad_leaves)
        kept = ", ".join(var[v] for v in self.also)
        lines.append(f"    return {out}, ({grads}{',' if len(self._grad_leaves) == 1 else ''}), "
                     f"({kept}{',' if len(self.also) == 1 else ''})")
        self.source = "\n".join(lines) + "\n"

    def _function_names(self, op) -> None:
        """A define_op op: its forward and VJPs go into the namespace under these names."""
        if op.name.startswith("_") or keyword.iskeyword(op.name) or op.name in _RESERVED:
            raise ValueError(f"compile: the op {op.name!r} cannot be called by that name in "
                             "source; define it under another name")
        functions = {op.name: op.forward,
                     **{f"{op.name}_vjp_{x}": f for x, f in zip(op.inputs, op.vjps)}}
        for fname, f in functions.items():
            if self._functions.get(fname, f) is not f:
                raise ValueError(f"compile: two different ops are named {op.name!r}")
        self._functions.update(functions)

    @staticmethod
    def _line(target: str, expr: str, note: str) -> str:
        code = f"    {target} = {expr}"
        return f"{code:<44}  # {note}"

    @staticmethod
    def _describe(n: Value) -> str:
        op = n.operation
        text = f"{comment(op.name)}: {comment(op.symbol)}"
        return text + (f", labelled '{comment(n.label)}'" if n.label and
                       not re.fullmatch(r"[0-9A-Za-z]+", n.label) else "")

    @staticmethod
    def _templates(op) -> tuple:
        if op.source == "calls":
            args = ", ".join("{%s}" % x for x in op.inputs)
            return (f"{op.name}({args})",
                    tuple(f"{op.name}_vjp_{x}({{g}}, {{out}}, {args})" for x in op.inputs))
        return op.source[0], op.source[1]

    def _expr(self, n: Value, var: dict, i: Optional[int], g: Optional[str]) -> str:
        """The forward (i None) or the i-th VJP of node n, as source."""
        op = n.operation
        forward, vjps = self._templates(op)
        fields = {x: _Var(var[p], _shape(p.data)) for x, p in zip(op.inputs, n.parents)}
        for key, value in n.params.items():
            fields[key] = _subscript(value) if key == "index" else \
                _literal(value, f"the {key} of {op.name}")
        if "axis" in n.params:
            shape, axis = _shape(n.parents[0].data), n.params["axis"]
            axes = range(len(shape)) if axis is None else \
                {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
            fields["kept"] = _literal(tuple(1 if d in axes else s for d, s in enumerate(shape)),
                                      "a shape")
        fields["out"] = _Var(var[n], _shape(n.data))
        if g is not None:
            fields["g"] = _Var(g, _shape(n.data))
        return (forward if i is None else vjps[i]).format(**fields)

    @staticmethod
    def _step(n: Value, i: int, var: dict, g: str) -> str:
        """The chain-rule step of a backward line, from the op's formula a learner reads."""
        op = n.operation
        names = {x: var[p] for x, p in zip(op.inputs, n.parents)}
        names.update(out=var[n], g=g)
        for x, letter in zip(op.inputs, "abc"):
            names.setdefault(letter, names[x])
        formula = comment(_substitute(op.formulas[i], names), 80)
        if not op.elementwise:
            return formula
        return f"{g} · ({formula})" if " " in formula else f"{g} · {formula}"

    @staticmethod
    def _contribution_shape(n: Value, i: int) -> tuple:
        """The shape of the i-th VJP's result (found by running it once on the recorded data)."""
        g = 1.0 if n.is_scalar else np.ones(n.shape)
        with np.errstate(all="ignore"):
            return _shape(n.operation.vjps[i](g, n.data, *n.forward_args))

    @staticmethod
    def _unbroadcast(expr: str, shape: tuple, to: tuple) -> str:
        """expr summed back to the shape ``to`` (numpy broadcasting undone), if it needs it."""
        if shape == to:
            return expr
        axes = broadcast_axes(shape, to)
        summed = f"np.sum({expr}, axis={_literal(axes, 'axes')})"
        kept = tuple(s for i, s in enumerate(shape) if i not in axes)
        return summed if kept == to else f"np.reshape({summed}, {_literal(to, 'a shape')})"

    # --- calling it ---

    def __call__(self, *arrays: Any) -> Any:
        expect = self._expect
        if len(arrays) != len(expect):
            raise TypeError(f"compiled graph: takes {len(expect)} input(s) "
                            f"({', '.join(e[0] for e in expect)}), got {len(arrays)}")
        args = []
        for a, (name, shape, scalar) in zip(arrays, expect):
            if type(a) is not np.ndarray or a.dtype != np.float64:
                a = as_data(a.data if isinstance(a, Value) else a, f"compiled graph: {name}")
            if scalar:
                if np.shape(a) != ():
                    raise ValueError(f"compiled graph: {name} was a number when the graph was "
                                     f"recorded, got shape {np.shape(a)}")
                a = np.float64(a)
            elif a.shape != shape:
                raise ValueError(f"compiled graph: {name} has shape {a.shape}, but the graph "
                                 f"was recorded with shape {shape}: record and compile it "
                                 f"again for that shape")
            args.append(a)
        for v in self._read:           # parameters, read now: in-place updates are seen
            d = v.data
            args.append(np.float64(d) if type(d) is float else d)
        out, grads, kept = self._function(*args)
        for v, g in zip(self._grad_leaves, grads):
            # (the gradients are new arrays of the leaves' shapes: stored without copying)
            v._grad = float(g) if type(v.data) is float else g
        if self._float_out:
            out = float(out)
        if self.also:
            return (out, *kept)
        return out

    def __repr__(self) -> str:
        return f"<compiled graph {self.name}({', '.join(e[0] for e in self._expect)})>"


def op_equations(op) -> Optional[tuple]:
    """The equations (BP1–BP4) an op's VJPs compute in a dense layer, if the op table says."""
    source = op.source
    return source[2] if isinstance(source, tuple) and len(source) > 2 else None


def compile(output: Value, inputs: Sequence[Any] = (), *, also: Sequence[Value] = ()):
    """The graph that produced ``output`` as a numpy function of its ``inputs``.

    inputs: the leaves (Values, or their labels) whose data changes from call to call, such as a
    batch x and its targets y; every other leaf is read when called, so in-place parameter
    updates are seen. ``f(*arrays)`` recomputes the forward, sets ``.grad`` of every leaf that
    requires one (as ``zero_grad()`` then ``backward()``) and returns the output's value (and
    the values of ``also``, after it). An input of another shape is refused: record the graph
    with that shape and compile it again. ``f.source`` is the Python it runs, compiled in a
    namespace holding numpy only (and the functions of ops made with ``define_op``).

    Like ``torch.jit.trace``, it replays the recorded ops: Python control flow that depended on
    the data when the graph was recorded is frozen as it was then.
    """
    return CompiledGraph(output, inputs, also)
