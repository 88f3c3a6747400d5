"""Named slips: when a hand-written gradient disagrees, which common mistake gives exactly its numbers?

Two parts, kept apart:

* :func:`find_slips` — the generic finder. Given the learner's array and candidate arrays, each
  the reference recomputed with one slip, it returns the names of those the learner's numbers
  match within the tolerance. It knows nothing about networks: any check of one gradient array
  against a reference (a layer, an op) can call it with its own candidates.
* The network's candidate builders (:class:`Backprop`) and :func:`explain_layers`, which walks a
  network from the output layer down, names the slips of each failing layer, and tells a
  failure that follows from one above it from an independent one.

>>> import numpy as np
>>> reference = np.array([1.0, -2.0, 0.5])
>>> find_slips(-reference, {"sign": -reference, "zero": 0 * reference}, reference=reference)
['sign']
>>> find_slips(reference + 1e-3, {"sign": -reference}, reference=reference)   # noise: no name
[]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np

from .backprop import activation, activation_derivative, derivative_from_activation


# ---------------------------------------------------------------------------------------------
# The generic finder
# ---------------------------------------------------------------------------------------------

def agrees(checked, reference, rtol: float = 1e-6, atol: float = 0.0) -> bool:
    """max |checked − reference| ≤ atol + rtol · max |reference| (the cross-check's test), with
    equal shapes and nothing that is not finite."""
    a, b = np.asarray(checked, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    if a.size == 0:
        return True
    return float(np.abs(a - b).max()) <= atol + rtol * float(np.abs(b).max())


def find_slips(learner, candidates: Mapping[str, Optional[np.ndarray]], rtol: float = 1e-6,
               atol: float = 0.0, reference=None) -> list:
    """The names of the candidates that ``learner`` matches within (rtol, atol), in order.

    A candidate is the reference recomputed with one slip. One of another shape than the
    learner's, or None (the slip cannot happen here), is skipped; so is one that matches
    ``reference`` itself (a slip that changes nothing cannot be seen). Learner numbers that
    match the reference, or no candidate (noise, an unknown mistake), give [].
    """
    mine = np.asarray(learner, dtype=np.float64)
    if reference is not None and agrees(mine, reference, rtol, atol):
        return []
    names = []
    for name, candidate in candidates.items():
        if candidate is None or np.shape(candidate) != mine.shape:
            continue
        if reference is not None and agrees(candidate, reference, rtol, atol):
            continue
        if agrees(mine, candidate, rtol, atol):
            names.append(name)
    return names


def _ratio_text(c: float) -> str:
    """A factor as a learner would write it: 2, −3, 1/8, −1/4, else 4 significant digits."""
    for k in (c, 1.0 / c):
        if abs(k - round(k)) <= 1e-6 * abs(k) and round(k) != 0:
            text = f"{abs(round(k))}" if k is c else f"1/{abs(round(k))}"
            return ("−" if c < 0 else "") + text
    return f"{c:.4g}".replace("-", "−")


def _factor_note(checked: np.ndarray, reference: np.ndarray, batch: int) -> str:
    """Name the constant factor c when checked = c · reference (c ≠ 1), with its likely cause."""
    c = best_factor(checked, reference)
    if not (np.isfinite(c) and c != 0 and abs(c - 1) > 1e-6
            and np.allclose(checked, c * reference, rtol=1e-6,
                            atol=1e-12 * float(np.abs(reference).max()) * abs(c))):
        return ""
    close = lambda k: abs(c - k) <= 1e-6 * abs(k)
    if close(-1):
        return "this is minus the gradient: the seed article's (y − a) sign"
    causes = {batch: "per-example values, not divided by the batch size",
              -batch: "minus the gradient, and per-example values not divided by the batch size",
              1 / batch: f"divided by the batch size {batch} once too often",
              -1 / batch: f"minus the gradient, and divided by the batch size {batch} once too often"}
    for k, cause in causes.items():
        if batch > 1 and close(k):
            return f"this is {_ratio_text(c)}× the gradient: {cause}"
    return (f"this is {_ratio_text(c)}× the gradient: a constant factor — look for a ½, 2 or n "
            f"too many or too few{', or a sign' if c < 0 else ''}")


# The factor family: the learner's numbers are c × the reference.
SIGN, MEAN_MISSING, MEAN_TWICE, FACTOR = ("sign", "batch mean: 1/n missing",
                                          "batch mean: 1/n twice", "constant factor")
FACTOR_SLIPS = (SIGN, MEAN_MISSING, MEAN_TWICE, FACTOR)


def best_factor(learner, reference) -> float:
    """The c that makes c · reference closest to learner (least squares); nan if none."""
    mine, ref = np.asarray(learner, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if mine.shape != ref.shape:
        return float("nan")
    norm = float(np.sum(ref * ref))
    return float(np.sum(mine * ref) / norm) if norm > 0 and np.isfinite(norm) else float("nan")


def factor_candidates(reference, batch: int, c: float) -> dict:
    """sign (−1×), batch mean (n× or 1/n×) and, for any other c ≠ 1, a constant factor c×."""
    ref = np.asarray(reference, dtype=np.float64)
    out = {SIGN: -ref}
    if batch > 1:
        out[MEAN_MISSING] = batch * ref
        out[MEAN_TWICE] = ref / batch
    named = (1.0, -1.0, float(batch), 1.0 / batch)
    if np.isfinite(c) and c != 0 and all(abs(c - k) > 1e-6 * abs(k) for k in named):
        out[FACTOR] = c * ref
    return out


# ---------------------------------------------------------------------------------------------
# The network's candidates: BP1–BP4 recomputed with one slip, in the MLP's row layout
# ---------------------------------------------------------------------------------------------

ELEMENTWISE = ("sigmoid", "tanh", "relu")
FROM_A = {"sigmoid": "a(1 − a)", "tanh": "1 − a²"}     # σ′ as written with a = σ(z)


def _try(f):
    """f(), or None when its shapes do not fit (that slip cannot happen in this network)."""
    try:
        with np.errstate(all="ignore"):
            return f()
    except ValueError:
        return None


@dataclass
class Candidate:
    """One slip: its name (words a learner knows), the line to look at, and, per quantity
    ("delta", "db", "dw"), the layer's numbers with it."""

    name: str
    hint: str
    values: dict = field(default_factory=dict)


class Backprop:
    """BP1–BP4 in row layout (x: (n, in), zˡ = aˡ⁻¹ (Wˡ)ᵀ + bˡ), for a network's weights on one
    batch, with a slip planted where asked. ``delta_L`` is the true output error δᴸ (from the
    reference); ``y`` (rows) is given for the quadratic cost only, whose ∇ₐC = (aᴸ − y)/n
    (``grad_a``) the σ′ slips start from (the other costs' δᴸ needs no σ′: None)."""

    def __init__(self, weights, biases, activations, x, delta_L, y=None) -> None:
        self.W = [np.asarray(w, dtype=np.float64) for w in weights]
        self.acts = list(activations)
        self.L, self.n = len(self.W), x.shape[0]
        self.z, self.a = [None], [np.asarray(x, dtype=np.float64)]     # index l: layer l
        for w, b, name in zip(self.W, biases, self.acts):
            z = self.a[-1] @ w.T + np.asarray(b, dtype=np.float64).reshape(-1)
            self.z.append(z)
            self.a.append(activation(name)(z.T).T)     # softmax works on columns
        self.delta_L = delta_L
        self.grad_a = None if y is None else (self.a[-1] - y) / self.n   # C = 1/(2n) Σ ‖a − y‖²

    # --- the true equations, from a given δ ---

    def prime(self, l: int) -> np.ndarray:
        return activation_derivative(self.acts[l - 1])(self.z[l])

    def bp2(self, l: int, upper: np.ndarray) -> np.ndarray:
        """δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ′(zˡ): BP2 in rows."""
        return (upper @ self.W[l]) * self.prime(l)

    def delta(self, l: int, upper: Optional[np.ndarray]) -> np.ndarray:
        return self.delta_L if l == self.L else self.bp2(l, upper)

    def db(self, l: int, delta: np.ndarray) -> np.ndarray:
        return delta.sum(axis=0)                              # BP3, summed over the batch

    def dw(self, l: int, delta: np.ndarray) -> np.ndarray:
        return delta.T @ self.a[l - 1]                        # BP4: (δˡ)ᵀ aˡ⁻¹

    def layer(self, l: int, delta: np.ndarray) -> dict:
        return {"delta": delta, "db": self.db(l, delta), "dw": self.dw(l, delta)}

    def equation(self, l: int) -> str:
        return "BP1" if l == self.L else "BP2"

    # --- slips in δˡ (BP1 or BP2): each changes δ, ∂C/∂b and ∂C/∂W of the layer ---

    def delta_slips(self, l: int, upper: Optional[np.ndarray], c: float) -> list:
        right = self.delta(l, upper)
        act, out = self.acts[l - 1], []
        if l == self.L:
            line = f"BP1: δ{l} = ∇ₐC ⊙ σ′(z{l})"
            back = self.grad_a if act in ELEMENTWISE + ("linear",) else None
        else:
            line = f"BP2: δ{l} = ((W{l + 1})ᵀ δ{l + 1}) ⊙ σ′(z{l})"
            back = upper @ self.W[l]
            if self.W[l].shape[0] == self.W[l].shape[1]:
                out.append(("transpose", f"W{l + 1} where (W{l + 1})ᵀ belongs — {line} (rows "
                            f"layout: δ{l + 1} @ W{l + 1}, not δ{l + 1} @ (W{l + 1})ᵀ)", (upper @ self.W[l].T)
                            * self.prime(l)))
        if back is not None:
            z = self.z[l]
            out.append(("σ(z) for σ′(z)", f"{act}(z{l}) where its derivative {act}′(z{l}) "
                        f"belongs — {line}", back * activation(act)(z.T).T))
            out.append(("⊙σ′ missing", f"the factor ⊙ σ′(z{l}) is left out — {line}", back))
            for other in ELEMENTWISE:
                if other != act:
                    out.append((f"{other}′ in a {act} layer", f"the derivative of {other} in a "
                                f"{act} layer — {line} needs {act}′", back *
                                activation_derivative(other)(z)))
            for other, formula in FROM_A.items():
                if other != act:
                    out.append((f"{other}′ in a {act} layer ({formula})", f"{formula}, the "
                                f"derivative of {other} written with a, in a {act} layer — "
                                f"{line} needs {act}′",
                                back * derivative_from_activation(other)(self.a[l])))
        out.append(("zero δ (a layer skipped)", f"δ{l} is zero: the loop over the layers skips "
                    f"layer {l} — check its range", np.zeros_like(right)))
        if l < self.L:
            out.append((f"off-by-one layer: W{l} for W{l + 1}", f"the weights of layer {l} where "
                        f"W{l + 1} belongs — {line}",
                        _try(lambda: (upper @ self.W[l - 1]) * self.prime(l))))
            out.append((f"off-by-one layer: δ{l + 1} for δ{l}", f"δ{l + 1} used as δ{l}: BP2 "
                        f"not applied — {line}", upper))
            out.append((f"off-by-one layer: σ′(z{l + 1})", f"σ′ of layer {l + 1} where σ′(z{l}) "
                        f"belongs — {line}",
                        _try(lambda: back * activation_derivative(self.acts[l])(self.z[l + 1]))))
            if l > 1:
                out.append((f"off-by-one layer: σ′(z{l - 1})", f"σ′ of layer {l - 1} where "
                            f"σ′(z{l}) belongs — {line}",
                            _try(lambda: back * activation_derivative(self.acts[l - 2])(
                                self.z[l - 1]))))
        for name, scaled in factor_candidates(right, self.n, c).items():
            out.append((name, f"{line}: {name}", scaled))
        return [Candidate(name, hint, _try(lambda: self.layer(l, d)) or {})
                for name, hint, d in out if d is not None and np.shape(d) == np.shape(right)]

    # --- slips in ∂C/∂bˡ (BP3) or ∂C/∂Wˡ (BP4), δˡ right ---

    def row_slips(self, l: int, q: str, delta: np.ndarray, upper: Optional[np.ndarray],
                  c: float) -> dict:
        """{name: (hint, numbers)} for the row q: "db" (BP3) or "dw" (BP4)."""
        of = {"db": self.db, "dw": self.dw}[q]
        what = f"∂C/∂b{l}" if q == "db" else f"∂C/∂W{l}"
        line = (f"BP3: {what} = δ{l}, summed over the batch" if q == "db" else
                f"BP4: {what} = δ{l} (a{l - 1})ᵀ, summed over the batch")
        right = of(l, delta)
        out = {f"zero {what}": (f"{what} is zero: never computed — {line}", np.zeros_like(right))}
        if q == "dw":
            if right.shape[0] == right.shape[1]:
                out["transpose"] = (f"{what} transposed: (a{l - 1})ᵀ δ{l} gives (in, out), "
                                    f"{what} is (out, in) — {line}", right.T)
            if l > 1:
                out["z for a"] = (f"z{l - 1} (before the activation) where a{l - 1} belongs — "
                                  f"{line}", delta.T @ self.z[l - 1])
            for k in (l, l - 2):
                if 0 <= k <= self.L:
                    out[f"off-by-one layer: a{k} for a{l - 1}"] = (
                        f"the activations of layer {k} where a{l - 1} belongs — {line}",
                        _try(lambda: delta.T @ self.a[k]))
        for k, d in self._neighbours(l, delta, upper).items():
            out[f"off-by-one layer: δ{k} for δ{l}"] = (f"δ{k} where δ{l} belongs — {line}",
                                                       _try(lambda: of(l, d)))
        for name, scaled in factor_candidates(right, self.n, c).items():
            out[name] = (f"{line}: {name}", scaled)
        return out

    def _neighbours(self, l: int, delta, upper) -> dict:
        """δ of the layer above (as the learner has it) and below (BP2 from this δ), if they fit."""
        out = {}
        if upper is not None and upper.shape == delta.shape:
            out[l + 1] = upper
        if l > 1:
            below = self.bp2(l - 1, delta)
            if below.shape == delta.shape:
                out[l - 1] = below
        return out


# ---------------------------------------------------------------------------------------------
# Walking the network: each failing layer's slips, and which failures are independent
# ---------------------------------------------------------------------------------------------

@dataclass
class Failure:
    """One independent failure: a layer, the equation(s) to blame, and the slips that match.

    ``equations`` holds one equation, or the two a layer's numbers cannot tell apart (δ's
    equation, or BP3 and BP4 together)."""

    layer: int
    equations: tuple
    slips: list = field(default_factory=list)
    ambiguous: bool = False

    @property
    def equation(self) -> str:
        return self.equations[0]


@dataclass
class RowVerdict:
    slips: list = field(default_factory=list)
    note: str = ""


def explain_layers(model: Backprop, learner: dict, reference: dict, rtol: float,
                   atol: float) -> tuple:
    """(failures, {(layer, quantity): RowVerdict}) for the learner's rows.

    ``learner`` and ``reference`` map (layer, "delta" | "db" | "dw") to arrays (no "delta"
    entries when the learner gave no δ). From the output layer down, ``upper`` is the learner's
    δ of the layer above as far as it is known: their own when given, else the reference's
    recomputed with the slips found so far (None once an unnamed mistake in a δ makes it
    unknown). A layer that agrees with what follows from ``upper`` adds no failure.
    """
    has_delta = any(q == "delta" for _, q in learner)
    failures, verdicts = [], {}
    upper, source = None, None              # source: the failure ``upper`` carries, if any
    for l in range(model.L, 0, -1):
        qs = [q for q in ("delta", "db", "dw") if (l, q) in learner]
        mine = {q: learner[l, q] for q in qs}
        if l < model.L and upper is None:   # an unnamed δ mistake above: only a pass resets it
            if all(agrees(mine[q], reference[l, q], rtol, atol) for q in qs):
                upper = mine["delta"] if has_delta else reference[l, "delta"]
            else:
                for q in qs:
                    if not agrees(mine[q], reference[l, q], rtol, atol):
                        verdicts[l, q] = RowVerdict(note=_follows(f"may follow from {source}",
                                                                  mine[q], reference[l, q],
                                                                  model.n))
            continue
        if all(agrees(mine[q], reference[l, q], rtol, atol) for q in qs):
            upper = reference[l, "delta"]          # right: nothing from above reached it
            continue
        right = model.layer(l, model.delta(l, upper))
        failing = [q for q in qs if not agrees(mine[q], right[q], rtol, atol)]
        if not failing:
            for q in qs:
                if source and not agrees(mine[q], reference[l, q], rtol, atol):
                    verdicts[l, q] = RowVerdict(note=_follows(f"follows from {source}",
                                                              mine[q], reference[l, q], model.n))
            upper = mine["delta"] if has_delta else right["delta"]
            continue
        source = None
        # A: one slip in δˡ explains every row of the layer.
        key = "delta" if has_delta else "dw"
        c = best_factor(mine[key], right[key])
        A = [cand for cand in model.delta_slips(l, upper, c)
             if cand.values and all(agrees(mine[q], cand.values[q], rtol, atol) for q in qs)]
        # B: δˡ is right, and each failing row has its own BP3/BP4 slip.
        B = {}
        if "delta" not in failing:
            for q in failing:
                table = model.row_slips(l, q, right["delta"], upper,
                                        best_factor(mine[q], right[q]))
                names = find_slips(mine[q], {k: v for k, (_, v) in table.items()},
                                   rtol, atol, reference=right[q])
                if not names:
                    B = None
                    break
                B[q] = [(n, table[n][0]) for n in names]
        else:
            B = None
        row_eq = {"delta": model.equation(l), "db": "BP3", "dw": "BP4"}
        bp34 = (" and ".join(row_eq[q] for q in failing),)
        choice = None                       # "delta", "rows" or "both"
        if A and not B:
            choice = "delta"
        elif B and not A:
            choice = "rows"
        elif A and B:
            choice = _tell_apart(model, l, A[0].values["delta"], right["delta"], learner,
                                 rtol, atol)
        if choice == "delta":
            names = [_factor_name(cand.name, mine[key], right[key]) for cand in A]
            failures.append(Failure(l, (model.equation(l),), names))
            for q in qs:
                verdicts[l, q] = RowVerdict(names, _hints(names, [(a.name, a.hint) for a in A],
                                                          mine[q], right[q], model.n))
            upper = mine["delta"] if has_delta else A[0].values["delta"]
            source = f"layer {l}'s δ ({', '.join(names)})"
        elif choice == "rows":
            names = list(dict.fromkeys(_factor_name(n, mine[q], right[q])
                                       for q in failing for n, _ in B[q]))
            failures.append(Failure(l, bp34, names))
            for q in failing:
                verdicts[l, q] = RowVerdict([n for n, _ in B[q]],
                                            _hints([n for n, _ in B[q]], B[q], mine[q],
                                                   right[q], model.n))
            upper = mine["delta"] if has_delta else right["delta"]
        elif choice == "both":
            names = list(dict.fromkeys([_factor_name(a.name, mine[key], right[key]) for a in A]
                                       + [_factor_name(n, mine[q], right[q])
                                          for q in failing for n, _ in B[q]]))
            failures.append(Failure(l, (model.equation(l),) + bp34, names,
                                    ambiguous=True))
            for q in failing:
                verdicts[l, q] = RowVerdict(names, _hints(
                    names, [(a.name, a.hint) for a in A] + B[q], mine[q], right[q], model.n))
            upper, source = None, f"layer {l}"
        else:                               # no slip we know: name the equation the evidence shows
            eqs = _evidence(model, l, failing, right["delta"], learner, has_delta, rtol, atol)
            failures.append(Failure(l, eqs, [], ambiguous=len(eqs) > 1))
            for q in failing:
                verdicts[l, q] = RowVerdict([], "")
            if eqs[0] == model.equation(l):          # δˡ is wrong, in a way we cannot name
                source = f"layer {l}'s δ"
                upper = mine["delta"] if has_delta else None
            else:
                upper = mine["delta"] if has_delta else right["delta"]
    return failures, verdicts


def _tell_apart(model: Backprop, l: int, slipped: np.ndarray, right: np.ndarray,
                learner: dict, rtol: float, atol: float) -> str:
    """A slip in δˡ reaches the layer below through BP2; one in BP3/BP4 does not. Without the
    learner's δ, the layer below decides; layer 1 has none, so both stay named."""
    if l == 1:
        return "both"
    below = [q for q in ("db", "dw") if (l - 1, q) in learner]
    agreeing = []                           # how many rows below each reading predicts
    for delta in (slipped, right):
        expected = model.layer(l - 1, model.bp2(l - 1, delta))
        agreeing.append(sum(agrees(learner[l - 1, q], expected[q], rtol, atol) for q in below))
    if agreeing[0] != agreeing[1]:          # a row below with its own slip still votes
        return "delta" if agreeing[0] > agreeing[1] else "rows"
    return "both"


def _evidence(model: Backprop, l: int, failing: list, right_delta: np.ndarray, learner: dict,
              has_delta: bool, rtol: float, atol: float) -> tuple:
    """The equation(s) to blame for a mistake no slip explains."""
    if "delta" in failing:
        return (model.equation(l),)
    if has_delta or len(failing) == 1:
        return tuple({"db": "BP3", "dw": "BP4"}[q] for q in failing)
    # ∂C/∂b and ∂C/∂W both wrong, no δ given: both come from δˡ. A wrong δˡ reaches the layer
    # below (BP2); a layer below that is right says δˡ was right.
    if l == 1:
        return (model.equation(l), "BP3 and BP4")
    expected = model.layer(l - 1, model.bp2(l - 1, right_delta))
    if all(agrees(learner[l - 1, q], expected[q], rtol, atol) for q in ("db", "dw")):
        return ("BP3 and BP4",)
    return (model.equation(l),)


def _factor_name(name: str, mine, right) -> str:
    """"constant factor 2×": the factor slip's name with its factor."""
    return f"{FACTOR} {_ratio_text(best_factor(mine, right))}×" if name == FACTOR else name


def _follows(text: str, mine, reference, batch: int) -> str:
    """A row that follows from a failure above: its factor, if it is one, and where from."""
    factor = _factor_note(np.asarray(mine), np.asarray(reference), batch)
    return f"{factor}; {text}" if factor else text


def _hints(names: list, table: list, mine, right, batch: int) -> str:
    """The row's note: each matching slip's line to look at (a factor in the words the
    cross-check has always used for it)."""
    hints = dict(table)
    parts = []
    for name in names:
        if name in FACTOR_SLIPS or name.startswith(FACTOR):
            text = _factor_note(np.asarray(mine), np.asarray(right), batch)
            if text and text not in parts:
                parts.append(text)
        elif name in hints:
            parts.append(f"{name}: {hints[name]}")
    return "; ".join(parts)
