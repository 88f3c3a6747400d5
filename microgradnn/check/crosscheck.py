"""Checking gradients from the outside: autodiff against BP1–BP4, and against finite differences.

* :func:`crosscheck` runs an :class:`~microgradnn.nn.MLP` (autodiff on the Value graph) and the
  closed-form :class:`~microgradnn.backprop.NeuralNetwork` with the same weights on the same
  batch, and compares, layer by layer, the error δˡ (BP1 for the output layer, BP2 for the
  others) with ``zˡ.grad``, ∂C/∂bˡ (BP3) with ``bˡ.grad`` and ∂C/∂Wˡ (BP4) with ``Wˡ.grad``.
* :func:`crosscheck_gradients` compares *your own* hand-written backprop with autodiff, in the
  seed article's column layout or the MLP's row layout, and points at the first layer and
  equation that disagrees.
* :func:`gradcheck` compares autodiff with central finite differences for any function of
  Values.

>>> import numpy as np
>>> from microgradnn.nn import MLP
>>> net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
>>> report = crosscheck(net, np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]]))
>>> report.ok, report.first_failure
(True, None)
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .backprop import NeuralNetwork
from .slips import Backprop, _factor_note, explain_layers
from ..core.engine import Value, gradients, no_grad
from ..network.losses import LOSSES, check_output_activation, network_loss, one_hot


# ---------------------------------------------------------------------------------------------
# The cross-check report
# ---------------------------------------------------------------------------------------------

@dataclass
class Comparison:
    """One layer, one equation: the checked gradient against the reference, elementwise."""

    layer: int
    equation: str          # "BP1" .. "BP4"
    quantity: str          # what is compared, e.g. "δ2 = ∂C/∂z2" or "∂C/∂W1"
    max_abs: float         # max |checked − reference|
    max_rel: float         # max_abs / max |reference| (0 when both are all zeros)
    ok: bool
    note: str = ""         # a hint when the error has a recognisable cause
    slips: list = field(default_factory=list)      # the named slips whose numbers match
    checked_values: Any = field(default=None, repr=False)     # the two arrays compared, in
    reference_values: Any = field(default=None, repr=False)   # the MLP's row layout


@dataclass
class CrossCheckReport:
    """The result of a cross-check: ``.ok``, ``.first_failure`` and one row per comparison.

    Rows are in backpropagation order (output layer first; δ, then BP3, then BP4), so the first
    failing row is where a mistake enters: errors only flow backwards from there.
    """

    checked: str           # e.g. "closed form (BP1–BP4)" or "your gradients"
    reference: str         # e.g. "autodiff"
    loss: str
    batch: int
    rows: list = field(default_factory=list)
    rtol: float = 1e-6
    atol: float = 0.0
    failures: list = field(default_factory=list)   # the independent failures, top layer first

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def first_failure(self) -> Optional[tuple]:
        """(layer, equation) of the first disagreement in backprop order, or None.

        The equation is the one the evidence blames (see :attr:`failures`): without δ rows, a
        layer whose ∂C/∂b (BP3) and ∂C/∂W (BP4) are both wrong while the layer below is right
        had a right δ, so BP3 is named; when the layer below is wrong too, δ is, and the
        equation that makes it — BP1 for the output layer, BP2 for the others."""
        if self.failures:
            f = self.failures[0]
            return (f.layer, f.equations[0].split(" ")[0])
        for r in self.rows:
            if not r.ok:
                return (r.layer, self._delta_equation(r.layer) or r.equation)
        return None

    def _delta_equation(self, layer: int) -> Optional[str]:
        """'BP1'/'BP2' when this layer has no δ row and both its BP3 and BP4 rows fail."""
        mine = {r.equation: r.ok for r in self.rows if r.layer == layer}
        if "BP1" in mine or "BP2" in mine or mine.get("BP3", True) or mine.get("BP4", True):
            return None
        return "BP1" if layer == max(r.layer for r in self.rows) else "BP2"

    @property
    def errors(self) -> dict:
        """{(layer, equation): (max abs error, max rel error)}."""
        return {(r.layer, r.equation): (r.max_abs, r.max_rel) for r in self.rows}

    def __bool__(self) -> bool:
        return self.ok

    def _verdict(self) -> str:
        """"FAILED at layer 3, BP3 (batch mean: 1/n missing) and at layer 1, BP2 (transpose)":
        every failure that does not follow from one above it."""
        parts = []
        for f in self.failures:
            l = f.layer
            text = f"layer {l}, {' or '.join(f.equations)}"
            words = list(f.slips)
            if f.ambiguous:
                words.append(f"the two give the same ∂C/∂b{l} and ∂C/∂W{l}: pass deltas to "
                             f"tell them apart")
            elif not f.slips and f.equations[0] in ("BP1", "BP2") and \
                    not any(r.layer == l and r.equation == f.equations[0] for r in self.rows):
                words.append(f"∂C/∂b{l} and ∂C/∂W{l} are both wrong, and both are computed from "
                             f"δ{l}: check δ{l}, which {f.equations[0]} computes; pass deltas "
                             f"to compare it")
            parts.append(text + (f" ({'; '.join(words)})" if words else ""))
        return "FAILED at " + " and at ".join(parts)

    def __str__(self) -> str:
        verdict = "OK" if self.ok else "FAILED at layer {}, {}".format(*self.first_failure)
        if self.failures and not self.ok:
            verdict = self._verdict()
        elif not self.ok and self._delta_equation(self.first_failure[0]):
            l, eq = self.first_failure
            verdict += (f" (∂C/∂b{l} and ∂C/∂W{l} are both wrong, and both are computed from "
                        f"δ{l}: check δ{l}, which {eq} computes; pass deltas to compare it)")
        lines = [f"Cross-check of {self.checked} against {self.reference} "
                 f"(loss {self.loss!r}, batch {self.batch}, rtol {self.rtol:g}, "
                 f"atol {self.atol:g}): {verdict}",
                 f"{'layer':>5}  {'equation':<8}  {'compares':<16}  {'max abs err':>11}  "
                 f"{'max rel err':>11}"]
        for r in self.rows:
            lines.append(f"{r.layer:>5}  {r.equation:<8}  {r.quantity:<16}  {r.max_abs:>11.3e}  "
                         f"{r.max_rel:>11.3e}  {'ok' if r.ok else 'MISMATCH'}"
                         + (f"  ({r.note})" if r.note else ""))
        return "\n".join(lines)

    __repr__ = __str__


def _compare(report: CrossCheckReport, layer: int, equation: str, quantity: str,
             checked: np.ndarray, reference: np.ndarray) -> None:
    diff = np.abs(checked - reference)      # never empty: every layer has ≥ 1 unit, a batch ≥ 1
    max_abs = float(diff.max())
    scale = float(np.abs(reference).max())
    if max_abs != max_abs:                       # nan anywhere: a failure, never a pass
        max_abs = max_rel = float("inf")
    else:
        max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    ok = max_abs <= report.atol + report.rtol * scale
    note = _factor_note(checked, reference, report.batch) if not ok and scale > 0 else ""
    report.rows.append(Comparison(layer, equation, quantity, max_abs, max_rel, ok, note,
                                  checked_values=checked, reference_values=reference))


def _fill(report: CrossCheckReport, model: Backprop, dw, db, deltas, ref_dw, ref_db,
          ref_deltas) -> None:
    """Rows in backprop order, then the failures and the slips that explain them; every list
    is per layer, in the MLP's row layout."""
    L = len(ref_dw)
    learner, reference = {}, {}
    for l in range(L, 0, -1):
        i = l - 1
        if deltas is not None:
            _compare(report, l, "BP1" if l == L else "BP2", f"δ{l} = ∂C/∂z{l}",
                     deltas[i], ref_deltas[i])
            learner[l, "delta"] = deltas[i]
        _compare(report, l, "BP3", f"∂C/∂b{l}", db[i], ref_db[i])
        _compare(report, l, "BP4", f"∂C/∂W{l}", dw[i], ref_dw[i])
        learner[l, "db"], learner[l, "dw"] = db[i], dw[i]
        reference[l, "delta"], reference[l, "db"], reference[l, "dw"] = \
            ref_deltas[i], ref_db[i], ref_dw[i]
    if report.ok:
        return
    report.failures, verdicts = explain_layers(model, learner, reference, report.rtol,
                                               report.atol)
    quantity = {"BP1": "delta", "BP2": "delta", "BP3": "db", "BP4": "dw"}
    for r in report.rows:
        v = verdicts.get((r.layer, quantity[r.equation]))
        if v is not None and not r.ok:
            r.slips = list(v.slips)
            r.note = v.note or r.note


def _model(net, x: np.ndarray, y: Any, loss: str, delta_L: np.ndarray) -> Backprop:
    """The slip finder's BP1–BP4 for net's weights on (x, y), its δᴸ the reference's."""
    y_rows = _column_targets(net, y, loss, x.shape[0]).T if loss == "quadratic" else None
    return Backprop([W.data for W in net.weights], [b.data for b in net.biases],
                    net.activations, x, np.asarray(delta_L, dtype=np.float64), y_rows)


# ---------------------------------------------------------------------------------------------
# Autodiff's side and the closed form's side, both in the MLP's row layout
# ---------------------------------------------------------------------------------------------

def _column_targets(net, y: Any, loss: str, batch: int) -> np.ndarray:
    """y as the (outputs, batch) array the closed form expects. The loss on autodiff's side
    (network_loss, or torch_loss for a PyTorch model) has checked y before: (batch, outputs)
    targets, (batch,) for one output, or labels / one-hot rows for "cross_entropy"."""
    out = net.layers[-1]
    if loss == "cross_entropy":
        return one_hot(y, out).T
    return np.asarray(y, dtype=np.float64).reshape(batch, out).T


def _autodiff(net, x: np.ndarray, y: Any, loss: str) -> tuple:
    """dw, db, deltas from the Value graph, without touching any .grad."""
    net(x)
    cost = network_loss(net, y, loss)
    L = len(net.weights)
    zs = [net.nodes[f"z{l}"] for l in range(1, L + 1)]
    grads = gradients(cost, [*net.weights, *net.biases, *zs])
    return grads[:L], grads[L:2 * L], grads[2 * L:]


def _prepare(net, x: Any, loss: str) -> np.ndarray:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}")
    check_output_activation(net.activations[-1], loss)
    x = np.asarray(x.data if isinstance(x, Value) else x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != net.layers[0]:
        raise ValueError(f"crosscheck: x must have shape (batch, {net.layers[0]}), "
                         f"got {x.shape}")
    return x


def crosscheck(net, x: Any, y: Any, loss: Optional[str] = None, rtol: float = 1e-6,
               atol: float = 0.0) -> CrossCheckReport:
    """Autodiff (the MLP's Value graph) against the closed-form BP1–BP4 network, per layer.

    x: (batch, layers[0]); y: (batch, layers[-1]) targets — or, for "cross_entropy", integer
    labels (batch,) or one-hot rows. Without ``loss``, a softmax output means "cross_entropy"
    and any other output "quadratic"; a ``loss`` given is always used. Leaves every ``.grad``
    as it was. A row passes when max |closed form − autodiff| ≤ atol + rtol · max |autodiff|;
    a failing row names the slips (docs/checking.md) whose numbers match.

    ``net`` may also be a PyTorch model (a Sequential of Linear layers and activations, see
    :mod:`microgradnn.torch_bridge`): then *its* gradients, from torch.autograd, are checked
    against BP1–BP4 with its weights (a float32 model needs a looser rtol, about 1e-4).
    """
    _check_tolerances("crosscheck", rtol=rtol, atol=atol)
    if _is_torch_model(net):
        return _crosscheck_torch(net, x, y, loss, rtol, atol)
    loss = default_loss(net, loss)
    x = _prepare(net, x, loss)
    dw, db, deltas = _autodiff(net, x, y, loss)
    report = CrossCheckReport("closed form (BP1–BP4)", "autodiff", loss, x.shape[0],
                              rtol=rtol, atol=atol)
    _fill(report, _model(net, x, y, loss, deltas[-1]), *_closed_form(net, x, y, loss),
          dw, db, deltas)
    return report


def default_loss(net, loss: Optional[str]) -> str:
    """The loss a cross-check uses: the one given, else the one the output layer implies —
    "cross_entropy" after a softmax (the cost a softmax is trained with; its gradient is not
    the quadratic cost's), "quadratic" after anything else.

    >>> from microgradnn.nn import MLP
    >>> default_loss(MLP([2, 3], ["softmax"]), None), default_loss(MLP([2, 1], ["tanh"]), None)
    ('cross_entropy', 'quadratic')
    """
    if loss is not None:
        return loss
    return "cross_entropy" if net.activations[-1] == "softmax" else "quadratic"


def _closed_form(net, x: np.ndarray, y: Any, loss: str) -> tuple:
    """dw, db, deltas of the closed-form BP1–BP4 network with net's weights, in row layout."""
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(x.T)
    c_dw, c_db = closed.backpropagation(_column_targets(net, y, loss, x.shape[0]), z_s, a_s, loss)
    return c_dw, [b.ravel() for b in c_db], [d.T for d in closed.deltas]


def _check_tolerances(owner: str, **tolerances) -> None:
    """rtol and atol are finite numbers ≥ 0: a negative one fails every element, a NaN or an
    infinite one makes a check that cannot fail."""
    for name, value in tolerances.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not 0 <= value < float("inf"):
            raise ValueError(f"{owner}: {name} must be a finite number ≥ 0, got {value!r}")


def _is_torch_model(obj) -> bool:
    torch = sys.modules.get("torch")    # never import it here: PyTorch is optional
    return torch is not None and isinstance(obj, torch.nn.Module)


def _crosscheck_torch(model, x: Any, y: Any, loss: str, rtol: float, atol: float):
    """A PyTorch model's own gradients (torch.autograd) against BP1–BP4 with its weights."""
    from ..bridges.pytorch import from_torch, torch_gradients
    net = from_torch(model)
    loss = default_loss(net, loss)
    x = _prepare(net, x, loss)
    report = CrossCheckReport("your PyTorch model", "closed form (BP1–BP4)", loss, x.shape[0],
                              rtol=rtol, atol=atol)
    closed = _closed_form(net, x, y, loss)
    _fill(report, _model(net, x, y, loss, closed[2][-1]), *torch_gradients(model, x, y, loss),
          *closed)
    return report


def crosscheck_gradients(net, x: Any, y: Any, dw: Sequence, db: Sequence,
                         deltas: Optional[Sequence] = None, layout: str = "columns",
                         loss: Optional[str] = None, per_example_deltas: bool = False,
                         rtol: float = 1e-6, atol: float = 0.0) -> CrossCheckReport:
    """Your hand-written gradients against autodiff for ``net``'s weights on (x, y).

    x and y are in the MLP's layout (x: (batch, in)). dw[l] is ∂C/∂W of layer l+1, shape
    (out, in) in both layouts. layout="columns" (the seed article's): db[l] has shape (out, 1)
    or (out,), deltas[l] (out, batch); layout="rows" (the MLP's): db[l] (out,), deltas[l]
    (batch, out). Deltas are ∂C/∂zˡ of the batch-averaged cost; if yours are per-example
    (the article's δ, not divided by the batch size n), pass ``per_example_deltas=True``.
    Without ``loss``, a softmax output means "cross_entropy", any other "quadratic".

    The report names, for each failure that does not follow from one above it, the layer, the
    equation the evidence blames and the slips whose numbers match yours (docs/checking.md).
    """
    _check_tolerances("crosscheck_gradients", rtol=rtol, atol=atol)
    if layout not in ("columns", "rows"):
        raise ValueError(f"crosscheck_gradients: layout must be 'columns' or 'rows', "
                         f"got {layout!r}")
    loss = default_loss(net, loss)
    x = _prepare(net, x, loss)
    n, L = x.shape[0], len(net.weights)
    ref_dw, ref_db, ref_deltas = _autodiff(net, x, y, loss)
    for what, given in (("dw", dw), ("db", db), ("deltas", deltas)):
        if given is not None and len(given) != L:
            raise ValueError(f"crosscheck_gradients: {what} has {len(given)} entries, the "
                             f"network has {L} layers")

    def as_rows(arr, ref, what, l):
        a = np.asarray(arr, dtype=np.float64)
        if what == "delta" and layout == "columns":
            a = a.T
        elif what == "db":
            a = a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a
        if a.shape != ref.shape:
            expected = ref.shape[::-1] if what == "delta" and layout == "columns" else ref.shape
            transposed = ""
            if what == "dw" and a.shape == ref.shape[::-1]:
                transposed = (f": it is transposed — BP4 is ∂C/∂W{l} = δ{l} (a{l - 1})ᵀ, one row "
                              f"per neuron of layer {l} (in the rows layout (δ{l})ᵀ a{l - 1})")
            raise ValueError(f"crosscheck_gradients: {what} of layer {l} has shape "
                             f"{np.shape(arr)}, expected {expected} ({layout} layout)"
                             + transposed)
        return a

    my_dw = [as_rows(g, r, "dw", l) for l, (g, r) in enumerate(zip(dw, ref_dw), 1)]
    my_db = [as_rows(g, r, "db", l) for l, (g, r) in enumerate(zip(db, ref_db), 1)]
    my_deltas = None
    if deltas is not None:
        scale = 1.0 / n if per_example_deltas else 1.0
        my_deltas = [as_rows(g, r, "delta", l) * scale
                     for l, (g, r) in enumerate(zip(deltas, ref_deltas), 1)]
    report = CrossCheckReport("your gradients", "autodiff", loss, n, rtol=rtol, atol=atol)
    _fill(report, _model(net, x, y, loss, ref_deltas[-1]), my_dw, my_db, my_deltas,
          ref_dw, ref_db, ref_deltas)
    return report


# ---------------------------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------------------------

@dataclass
class GradcheckResult:
    """The outcome of :func:`gradcheck`: ``.ok``, and one line per input in ``str()``."""

    ok: bool
    lines: list

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return "\n".join([f"gradcheck: {'OK' if self.ok else 'FAILED'}", *self.lines])

    __repr__ = __str__


def gradcheck(f: Callable[..., Value], *inputs: Any, eps: float = 1e-6, rtol: float = 1e-5,
              atol: float = 1e-8, seed: int = 0) -> GradcheckResult:
    """Autodiff against central differences (f(x + ε) − f(x − ε)) / 2ε, in float64.

    ``f`` takes one Value per input (numbers, lists, arrays or Values; only their data is
    used) and returns a Value. An output of several elements is reduced to Σ u ⊙ f with a fixed random
    u (seeded), which checks the whole vector-Jacobian product. Element i of an input passes
    when |autodiff − numeric| ≤ atol + rtol · |numeric|. Returns a :class:`GradcheckResult`
    (false when it fails) naming, per input, the worst element — the one with the largest
    |autodiff − numeric| / (atol + rtol · |numeric|), i.e. the closest to failing — its index,
    both values, the relative error and that ratio ("× the tolerance": above 1 fails). It
    does not raise: write ``assert result, result``. A guide: docs/checking.md.

    >>> gradcheck(lambda a, b: (a * b).tanh().sum(), [0.5, -1.0], [2.0, 0.3]).ok
    True
    """
    if not inputs:
        raise ValueError("gradcheck: give at least one input")
    _check_tolerances("gradcheck", rtol=rtol, atol=atol)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not 0 < eps < float("inf"):
        raise ValueError(f"gradcheck: eps must be positive, got {eps!r} (a finite step)")
    datas = []
    for i, v in enumerate(inputs):
        d = v.data if isinstance(v, Value) else v
        try:
            d = float(d) if isinstance(d, (int, float)) and not isinstance(d, bool) \
                else np.array(d, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"gradcheck: input {i} must be numbers, got {type(d).__name__}") from None
        datas.append(d)
    names = [(v.label if isinstance(v, Value) and v.label else f"input {i}")
             for i, v in enumerate(inputs)]

    leaves = [Value(d if isinstance(d, float) else d.copy()) for d in datas]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    if out.size == 1:        # one number, of shape () or (1,), (1, 1), ...: seed it with a 1
        u = np.ones(out.shape) if np.ndim(out.data) else 1.0
    else:
        u = np.random.default_rng(seed).standard_normal(out.shape)
    analytic = gradients(out, leaves, seed=u)

    def objective(values: list) -> float:
        with no_grad():
            y = f(*[Value(v) for v in values])
        return float(np.sum(np.asarray(y.data) * u))

    ok, lines = True, []
    for i, d in enumerate(datas):
        numeric = np.zeros(np.shape(d))
        flat = np.asarray(d, dtype=np.float64).reshape(-1)
        for k in range(flat.size):
            values = [np.array(v, dtype=np.float64) if j == i else v
                      for j, v in enumerate(datas)]
            probe = values[i].reshape(-1)
            probe[k] = flat[k] + eps
            up = objective([_restore(v, d0) for v, d0 in zip(values, datas)])
            probe[k] = flat[k] - eps
            down = objective([_restore(v, d0) for v, d0 in zip(values, datas)])
            numeric.reshape(-1)[k] = (up - down) / (2 * eps)
        ana = np.asarray(analytic[i], dtype=np.float64)
        if ana.size == 0:
            lines.append(f"  {names[i]}: empty")
            continue
        # The pass criterion as a ratio: error / allowed error, ≤ 1 passes. The worst element is
        # the one closest to failing (or furthest past it), never one where both sides are 0.
        err = np.abs(ana - numeric)
        allowed = atol + rtol * np.abs(numeric)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(err == 0, 0.0, err / allowed)
        ratio = np.where(np.isnan(ratio), np.inf, ratio)       # nan on either side fails
        worst = np.unravel_index(int(np.argmax(ratio)), np.shape(d)) if np.ndim(d) else ()
        a_w, n_w = float(ana[worst]), float(numeric[worst])
        rel = abs(a_w - n_w) / max(abs(n_w), abs(a_w), 1e-300)
        passed = bool(np.all(ratio <= 1))
        ok &= passed
        where = f"element {tuple(int(j) for j in worst)}" if worst != () else "the scalar"
        lines.append(f"  {names[i]}: {'ok' if passed else 'MISMATCH'} — worst at {where}: "
                     f"autodiff {a_w:.10g}, numeric {n_w:.10g}, relative error {rel:.3g}, "
                     f"{float(ratio[worst]):.3g}× the tolerance")
    return GradcheckResult(ok, lines)


def _restore(v, original):
    """Give a probed input back its original kind (a float stays a float)."""
    return float(v) if isinstance(original, float) else v
