"""Graded exercises: a statement to read, an answer of your own, a report that says what is wrong.

An exercise is data plus a grader. The statement (:func:`statement`) is shown at the end of the
page it practises; the reference answer (:func:`solution`, in ``exercise_solutions.py``) is kept
out of the pages; :func:`check` grades an answer with the same diagnosis the checkers give a real
backprop — the cross-check's layer, equation and slip, gradcheck's element, the slip finder's
named mistakes (factor 2×, sign, transpose, a missing term).

>>> from microgradnn import exercises
>>> "dual_mul" in exercises.list()
True
>>> report = exercises.check("value_used_twice", 24.0)
>>> bool(report)
False
>>> print(report)
value_used_twice: wrong — 24 is the sum over some of the paths only: the path a·b through a directly (9) is missing
"""
from __future__ import annotations

import builtins
import inspect
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import numpy as np

from ..core.engine import Value
from ..core.functional import define_op, grad
from ..network.nn import MLP
from . import exercise_solutions as _solutions
from .backprop import NeuralNetwork, sigmoid, softmax
from .crosscheck import crosscheck_gradients, gradcheck
from .slips import _ratio_text, agrees, best_factor, find_slips


# ---------------------------------------------------------------------------------------------
# An exercise, a report
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Exercise:
    """One exercise: its name (also the name your answer is defined under), the page it
    practises, what to compute, the answer's form, and the grader."""

    name: str
    page: str
    task: str
    form: str
    grade: Callable[[Any], Optional[str]]     # None when right, else what is wrong


@dataclass
class Report:
    """The grade of one answer: true when right; ``str()`` says what is wrong."""

    name: str
    ok: bool
    text: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return f"{self.name}: {self.text}"

    __repr__ = __str__


class _Wrong(Exception):
    """Raised inside a grader to stop at the first thing found wrong."""


# ---------------------------------------------------------------------------------------------
# The shared diagnosis: one array against the reference, slips named
# ---------------------------------------------------------------------------------------------

def _fmt(x: float) -> str:
    return f"{x:.6g}"


def compare(what: str, mine: Any, right: Any, slips: Optional[Mapping[str, Any]] = None,
            rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """Raise _Wrong with a sentence saying what is wrong with ``mine``, or return.

    ``slips`` maps a mistake, in words, to the numbers it gives (the reference recomputed with
    that mistake); those ``mine`` matches are named. Otherwise a constant factor (sign, 2×, ½×
    …) or the worst element is."""
    try:
        a = np.asarray(mine.data if isinstance(mine, Value) else mine, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"{what}: expected numbers, got {type(mine).__name__}") from None
    r = np.asarray(right, dtype=np.float64)
    if a.shape != r.shape:
        if a.ndim == 2 and a.shape == r.shape[::-1]:
            raise _Wrong(f"{what} has shape {a.shape}, expected {r.shape}: it is transposed")
        if a.size == r.size == 1:
            a = a.reshape(r.shape)
        else:
            raise _Wrong(f"{what} has shape {a.shape}, expected {r.shape}")
    if not np.isfinite(a).all():
        raise _Wrong(f"{what} holds nan or inf")
    if agrees(a, r, rtol, atol):
        return
    candidates = {name: np.asarray(v, dtype=np.float64) for name, v in (slips or {}).items()}
    names = find_slips(a, candidates, rtol, atol, reference=r)
    if names:
        raise _Wrong(f"{what} is wrong: {' — or '.join(names)}")
    c = best_factor(a, r)
    if np.isfinite(c) and c != 0 and agrees(a, c * r, 1e-6, atol):
        raise _Wrong(f"{what} is {_ratio_text(c)}× the right value"
                     + (": the sign is flipped" if abs(c + 1) < 1e-6 else ""))
    if a.ndim == 0:
        raise _Wrong(f"{what} is {_fmt(float(a))}, not {_fmt(float(r))}")
    worst = np.unravel_index(int(np.argmax(np.abs(a - r))), a.shape)
    index = tuple(int(i) for i in worst)
    raise _Wrong(f"{what} is wrong, worst at element {index}: yours {_fmt(a[worst])}, "
                 f"right {_fmt(r[worst])}")


def _call(what: str, answer: Callable, *args: Any) -> Any:
    """answer(*args), its exception turned into a report line."""
    if not callable(answer):
        raise _Wrong(f"expected a function {what}, got {type(answer).__name__}")
    try:
        with np.errstate(all="ignore"):
            return answer(*args)
    except Exception as e:      # noqa: BLE001 - any error of the learner's code is reported
        raise _Wrong(f"calling {what} raised {type(e).__name__}: {e}") from None


def _number(answer: Any) -> float:
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise _Wrong(f"expected a number, got {type(answer).__name__}")
    return float(answer)


def _crosscheck_verdict(report) -> None:
    if not report.ok:
        verdict = str(report).splitlines()[0].split("): ", 1)[1]
        raise _Wrong("the cross-check against autodiff " + verdict.replace("FAILED", "fails", 1))


# ---------------------------------------------------------------------------------------------
# The graders, in the order of the path
# ---------------------------------------------------------------------------------------------

PATHS = {"a·b through a directly": 9.0, "a·b through b = a²": 18.0, "+ b through b = a²": 6.0}


def _value_used_twice(answer: Any) -> None:
    mine, right = _number(answer), sum(PATHS.values())
    if abs(mine - right) <= 1e-9 * right:
        return
    for k in range(1, len(PATHS)):
        for kept in itertools.combinations(PATHS, k):
            if abs(mine - sum(PATHS[p] for p in kept)) <= 1e-9 * right:
                missing = [f"{p} ({_fmt(PATHS[p])})" for p in PATHS if p not in kept]
                raise _Wrong(f"{_fmt(mine)} is the sum over some of the paths only: the path"
                             f"{'s' if len(missing) > 1 else ''} {' and '.join(missing)} "
                             f"{'are' if len(missing) > 1 else 'is'} missing")
    compare("dc/da", mine, right)


def _softsign_vjp(answer: Any) -> None:
    x = np.array([-2.0, -0.5, 0.25, 1.5, 3.0])
    g = np.array([0.5, -1.0, 2.0, 1.0, -0.3])
    out = x / (1 + np.abs(x))
    right = g / (1 + np.abs(x)) ** 2
    compare("softsign_vjp(g, out, x)", _call("softsign_vjp", answer, g, out, x), right, {
        "the square is missing: the derivative is 1/(1 + |x|)², not 1/(1 + |x|)": g / (1 + np.abs(x)),
        "the upstream g is not multiplied in (a VJP is g × the local derivative)":
            1 / (1 + np.abs(x)) ** 2,
        "d|x|/dx taken as 1: it is sign(x), so for x < 0 the quotient rule gives (1 + |x| + x)…":
            g * (1 + np.abs(x) - x) / (1 + np.abs(x)) ** 2,
        "the local derivative of out written as out(1 − out), the sigmoid's": g * out * (1 - out),
    })
    softsign = define_op("softsign", lambda v: v / (1 + np.abs(v)), [answer], ["1/(1 + |{a}|)²"])
    try:
        result = gradcheck(lambda v: softsign(v), x)
    except Exception as e:     # noqa: BLE001
        raise _Wrong(f"right on arrays, but the op made with define_op raised "
                     f"{type(e).__name__}: {e}") from None
    if not result.ok:
        raise _Wrong("the op made with define_op fails gradcheck:\n" + str(result))


def _dual_mul(answer: Any) -> None:
    for (a, da), (b, db) in (((-1.5, 0.5), (4.0, -2.0)), ((3.0, 1.0), (2.0, 0.0)),
                             ((0.5, 2.0), (0.25, 3.0))):
        got = _call("dual_mul", answer, (a, da), (b, db))
        if not (isinstance(got, tuple) and len(got) == 2):
            raise _Wrong(f"dual_mul must return a pair (value, tangent), got {got!r}")
        what = f"dual_mul(({a}, {da}), ({b}, {db}))"
        compare(f"the value of {what}", got[0], a * b, {"a + b: that is the sum": a + b})
        compare(f"the tangent of {what}", got[1], a * db + da * b, {
            "ȧ·ḃ: the tangents multiplied — the product rule is a·ḃ + ȧ·b": da * db,
            "only a·ḃ: the term ȧ·b is missing": a * db,
            "only ȧ·b: the term a·ḃ is missing": da * b,
            "ȧ + ḃ: the sum rule, not the product rule": da + db,
        })


def _test_function(x: np.ndarray) -> float:
    return float(np.sum(np.exp(x)) + x[0] * x[1] ** 2)


def _central_difference(answer: Any) -> None:
    x, eps = np.array([0.5, -1.0, 2.0]), 1e-3
    before = x.copy()
    f0 = _test_function(x)
    basis = np.eye(x.size)
    up = np.array([_test_function(x + eps * e) for e in basis])
    down = np.array([_test_function(x - eps * e) for e in basis])
    got = _call("central_difference", answer, _test_function, x, eps)
    if not np.array_equal(x, before):
        raise _Wrong("central_difference changed x in place and did not put it back")
    compare("central_difference(f, x, 1e-3)", got, (up - down) / (2 * eps), {
        "the forward difference (f(x + ε) − f(x))/ε: its error is O(ε), the central one's "
        "O(ε²)": (up - f0) / eps,
        "the backward difference (f(x) − f(x − ε))/ε": (f0 - down) / eps,
        "divided by ε instead of 2ε: twice the derivative": (up - down) / eps,
    }, rtol=1e-12)


def _neuron_gradients(answer: Any) -> None:
    for x, w, b in ((np.array([2.0, 0.0]), np.array([-3.0, 1.0]), 6.8813735870195432),
                    (np.array([0.5, -1.0, 2.0]), np.array([0.3, 0.8, -0.2]), 0.1)):
        out = np.tanh(w @ x + b)
        slope = 1 - out ** 2
        got = _call("neuron_gradients", answer, x.copy(), w.copy(), b)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise _Wrong(f"neuron_gradients must return a pair (dw, db), got {got!r}")
        compare("dw = ∂out/∂w", got[0], x * slope, {
            "w where x belongs: ∂(w·x + b)/∂wᵢ = xᵢ": w * slope,
            "the tanh′ factor (1 − out²) is missing": x,
            "tanh′ written 1 − out: it is 1 − out²": x * (1 - out),
            "tanh′ written 1 − z²: it is 1 − tanh(z)², from the output": x * (1 - (w @ x + b) ** 2),
        })
        compare("db = ∂out/∂b", got[1], slope, {
            "the tanh′ factor (1 − out²) is missing": 1.0,
            "tanh′ written 1 − out: it is 1 − out²": 1 - out,
        })


def _softmax_jacobian(answer: Any) -> None:
    for z in (np.array([1.0, 2.0, 0.5]), np.array([0.2, -1.0, 3.0, 0.0])):
        a = softmax(z)
        compare(f"softmax_jacobian({z.tolist()})", _call("softmax_jacobian", answer, z.copy()),
                np.diag(a) - np.outer(a, a), {
                    "only the diagonal a(1 − a): the off-diagonal −aᵢaⱼ is missing (a softmax "
                    "output depends on every input)": np.diag(a * (1 - a)),
                    "−aaᵀ only: diag(a) is missing": -np.outer(a, a),
                    "aaᵀ − diag(a): the sign is flipped": np.outer(a, a) - np.diag(a),
                })


def _softmax_delta(answer: Any) -> None:
    for z, y in ((np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, 0.0])),
                 (np.array([0.3, -1.2, 2.0, 0.1]), np.array([1.0, 0.0, 0.0, 0.0]))):
        a = softmax(z)
        compare(f"softmax_delta({z.tolist()}, {y.tolist()})",
                _call("softmax_delta", answer, z.copy(), y.copy()), a - y, {
                    "y − a: the sign is flipped (the seed article's y − a)": y - a,
                    "(a − y) ⊙ a(1 − a): BP1's ⊙σ′(z) does not hold for softmax, whose Jacobian "
                    "is not diagonal": (a - y) * a * (1 - a),
                    "z − y: softmax was not applied": z - y,
                    "−y/a: that is ∇ₐC, not yet taken through softmax's Jacobian": -y / a,
                })


def _tanh_bp2(answer: Any) -> None:
    rng = np.random.default_rng(7)
    for n_next, n in ((4, 4), (3, 5)):
        W = rng.standard_normal((n_next, n))
        delta = rng.standard_normal((n_next, 6))
        a = np.tanh(rng.standard_normal((n, 6)))
        back = W.T @ delta
        compare(f"tanh_bp2 with W of shape {W.shape}",
                _call("tanh_bp2", answer, W.copy(), delta.copy(), a.copy()),
                back * (1 - a ** 2), {
                    "W δ where BP2 has Wᵀ δ: the transpose is missing": (
                        (W @ delta) * (1 - a ** 2) if n == n_next else None),
                    "the sigmoid's σ′ = a(1 − a) where tanh′ = 1 − a²": back * a * (1 - a),
                    "tanh′ written 1 − a: it is 1 − a²": back * (1 - a),
                    "⊙ tanh′ is missing: BP2 multiplies by σ′(zˡ)": back,
                })


def _network(layers, activations, seed: int) -> tuple:
    net = MLP(layers, activations, seed=seed)
    rng = np.random.default_rng(seed + 100)
    x = rng.standard_normal((5, layers[0]))
    y = rng.uniform(0, 1, (5, layers[-1]))
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], activations)
    z_s, a_s = closed.feedforward(x.T)
    closed.backpropagation(y.T, z_s, a_s)
    return net, x, y, a_s, closed.deltas       # deltas of the batch-averaged cost, in columns


def _bp3_bp4(answer: Any) -> None:
    net, x, y, a_s, deltas = _network([3, 4, 2], ["sigmoid", "sigmoid"], seed=3)
    n = x.shape[0]
    dw, db = [], []
    for l, d in enumerate(deltas):
        got = _call("bp3_bp4", answer, d * n, a_s[l].copy())      # per-example δ, as the article
        if not (isinstance(got, tuple) and len(got) == 2):
            raise _Wrong(f"bp3_bp4 must return a pair (dW, db), got {type(got).__name__}")
        dw.append(got[0])
        db.append(got[1])
    try:
        report = crosscheck_gradients(net, x, y, dw, db, deltas=deltas)   # δ given: right
    except ValueError as e:
        raise _Wrong(str(e).replace("crosscheck_gradients: ", "")) from None
    _crosscheck_verdict(report)


def _rows_bp4(answer: Any) -> None:
    net, x, y, a_s, deltas = _network([3, 4, 2], ["sigmoid", "sigmoid"], seed=5)
    rows = [d.T for d in deltas]                     # (batch, out), batch-averaged
    dw = [_call("rows_bp4", answer, d.copy(), a_s[l].T.copy()) for l, d in enumerate(rows)]
    db = [d.sum(axis=0) for d in rows]
    try:
        report = crosscheck_gradients(net, x, y, dw, db, deltas=rows, layout="rows")
    except ValueError as e:
        raise _Wrong(str(e).replace("crosscheck_gradients: ", "")) from None
    _crosscheck_verdict(report)


def _xw_vjps(answer: Any) -> None:
    rng = np.random.default_rng(11)
    X, W, G = (rng.standard_normal(s) for s in ((5, 3), (4, 3), (5, 4)))
    got = _call("xw_vjps", answer, G.copy(), X.copy(), W.copy())
    if not (isinstance(got, tuple) and len(got) == 2):
        raise _Wrong(f"xw_vjps must return a pair (dX, dW), got {type(got).__name__}")
    dX, dW = got
    if np.shape(dX) == W.shape and np.shape(dW) == X.shape:
        raise _Wrong("dX and dW are swapped: dX has X's shape (5, 3), dW has W's (4, 3)")
    compare("dX = ∂/∂X", dX, G @ W, {"the sign is flipped": -(G @ W)})
    compare("dW = ∂/∂W", dW, G.T @ X, {"the sign is flipped": -(G.T @ X)})


def _fixed_backprop(answer: Any) -> None:
    for layers, seed in (([2, 3, 2], 1), ([3, 4, 4, 2], 2)):
        net, x, y, *_ = _network(layers, ["sigmoid"] * (len(layers) - 1), seed=seed)
        weights = [W.data.copy() for W in net.weights]
        biases = [b.data.reshape(-1, 1).copy() for b in net.biases]
        got = _call("fixed_backprop", answer, weights, biases, x.T.copy(), y.T.copy())
        if not (isinstance(got, tuple) and len(got) == 2):
            raise _Wrong(f"fixed_backprop must return a pair (dw, db), got {type(got).__name__}")
        try:
            report = crosscheck_gradients(net, x, y, got[0], got[1])
        except ValueError as e:
            raise _Wrong(str(e).replace("crosscheck_gradients: ", "")) from None
        _crosscheck_verdict(report)


def _quartic(x):
    return x ** 4 - 3 * x ** 2 + x


def _newton_step(answer: Any) -> None:
    d1, d2 = grad(_quartic), grad(grad(_quartic))
    for x in (2.0, -0.3, 1.3):
        g, h = d1(x), d2(x)
        compare(f"newton_step(f, {x})", _call("newton_step", answer, _quartic, x), x - g / h, {
            "x − f′(x): a gradient step, the curvature f″ is missing": x - g,
            "x + f′(x)/f″(x): the sign is flipped": x + g / h,
            "x − f″(x)/f′(x): the ratio is upside down": x - h / g,
        }, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# The exercises
# ---------------------------------------------------------------------------------------------

EXERCISES = {e.name: e for e in (
    Exercise("value_used_twice", "autodiff.md",
             "a = 3, b = a², c = a·b + b. Sum over every path from c to a to give dc/da.",
             "a number", _value_used_twice),
    Exercise("softsign_vjp", "autodiff.md",
             "softsign(x) = x / (1 + |x|). Write its VJP for define_op: given the upstream "
             "gradient g, the output and the input x (arrays or Values), return g × ∂out/∂x.",
             "a function softsign_vjp(g, out, x)", _softsign_vjp),
    Exercise("neuron_gradients", "neuron-to-network.md",
             "A neuron out = tanh(w·x + b). Return (∂out/∂w, ∂out/∂b) by the chain rule, "
             "with numpy, for 1-D arrays x and w and a number b.",
             "a function neuron_gradients(x, w, b) -> (dw, db)", _neuron_gradients),
    Exercise("dual_mul", "reverse-mode.md",
             "Forward mode with dual numbers: a dual number is a pair (value, tangent). Multiply "
             "two of them.",
             "a function dual_mul(a, b) -> (value, tangent)", _dual_mul),
    Exercise("central_difference", "reverse-mode.md",
             "The gradient of f: a 1-D array → a number, at x, by central differences with "
             "step eps, one element at a time; leave x as you found it.",
             "a function central_difference(f, x, eps) -> array of x's shape",
             _central_difference),
    Exercise("softmax_jacobian", "four-equations.md",
             "The Jacobian ∂a/∂z of a = softmax(z) for a 1-D z: entry (i, j) is ∂aᵢ/∂zⱼ.",
             "a function softmax_jacobian(z) -> (k, k) array", _softmax_jacobian),
    Exercise("softmax_delta", "four-equations.md",
             "BP1 for a softmax output and the cross-entropy C = −Σ y log a, one example: "
             "return δᴸ = ∂C/∂zᴸ for the 1-D logits z and a one-hot y.",
             "a function softmax_delta(z, y) -> array of z's shape", _softmax_delta),
    Exercise("tanh_bp2", "four-equations.md",
             "BP2 for a tanh layer, in columns: given Wˡ⁺¹ (out, n), δˡ⁺¹ (out, batch) and the "
             "layer's activations aˡ = tanh(zˡ) (n, batch), return δˡ (n, batch).",
             "a function tanh_bp2(W_next, delta_next, a) -> delta", _tanh_bp2),
    Exercise("bp3_bp4", "four-equations.md",
             "BP3 and BP4 over a batch, in columns: given one layer's per-example errors δ "
             "(out, n) — the seed article's, not divided by n — and aˡ⁻¹ (in, n), return "
             "(∂C/∂W, ∂C/∂b) of the batch-averaged cost, shapes (out, in) and (out, 1).",
             "a function bp3_bp4(delta, a_prev) -> (dW, db)", _bp3_bp4),
    Exercise("fixed_backprop", "four-equations.md",
             "exercises.buggy_backprop has one planted bug. Find it with crosscheck_gradients "
             "and return the mended function (same signature: sigmoid layers, the quadratic "
             "cost C = 1/(2n) Σ‖a − y‖², x and y in columns).",
             "a function fixed_backprop(weights, biases, x, y) -> (dw, db)", _fixed_backprop),
    Exercise("xw_vjps", "matrix-gradients.md",
             "Z = X Wᵀ with X (batch, in) and W (out, in). Given G = ∂C/∂Z, return "
             "(∂C/∂X, ∂C/∂W), each in its input's shape.",
             "a function xw_vjps(G, X, W) -> (dX, dW)", _xw_vjps),
    Exercise("rows_bp4", "matrix-gradients.md",
             "BP4 in the rows layout (the MLP's): given δˡ of shape (batch, out), already "
             "averaged over the batch, and aˡ⁻¹ of shape (batch, in), return ∂C/∂Wˡ (out, in).",
             "a function rows_bp4(delta, a_prev) -> dW", _rows_bp4),
    Exercise("newton_step", "higher-order.md",
             "One Newton step towards a stationary point of f: a number → a number, using "
             "microgradnn.grad for f′ and f″.",
             "a function newton_step(f, x) -> the next x", _newton_step),
)}


def buggy_backprop(weights, biases, x, y):
    """BP1–BP4 for sigmoid layers and C = 1/(2n) Σ‖a − y‖², in columns — with one bug."""
    n = x.shape[1]
    activations, a = [x], x
    for W, b in zip(weights, biases):
        a = sigmoid(W @ a + b)
        activations.append(a)
    delta = (a - y) / n * a * (1 - a)                                   # BP1
    dw, db = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        db[l] = delta.sum(axis=1, keepdims=True) / n                    # BP3
        dw[l] = delta @ activations[l].T                                # BP4
        if l > 0:
            a_l = activations[l]
            delta = (weights[l].T @ delta) * a_l * (1 - a_l)            # BP2
    return dw, db


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------

def _exercise(name: str) -> Exercise:
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def names() -> builtins.list:
    """The exercises' names, in the order of the Learn path."""
    return builtins.list(EXERCISES)


def statement(name: str) -> str:
    """What the exercise asks, and the form of the answer."""
    e = _exercise(name)
    return f"Exercise {name} ({e.page}): {e.task}\nAnswer: {e.form}."


def check(name: str, answer: Any) -> Report:
    """Grade ``answer``: a Report, true when right, whose text says what is wrong otherwise.

    ``answer`` is the answer itself, or a namespace (a dict such as ``globals()``) that defines
    it under the exercise's name."""
    e = _exercise(name)
    if isinstance(answer, Mapping):
        if name not in answer or answer[name] is None:
            return Report(name, False, f"not answered yet: define {name} ({e.form})")
        answer = answer[name]
    try:
        e.grade(answer)
    except _Wrong as wrong:
        return Report(name, False, f"wrong — {wrong}")
    return Report(name, True, "right")


def solution(name: str) -> Any:
    """The reference answer (kept out of the pages; the tests use it)."""
    _exercise(name)
    return getattr(_solutions, name)


def solution_source(name: str) -> str:
    """The reference answer as Python source that defines it under the exercise's name."""
    answer = solution(name)
    if callable(answer):
        return _solutions.PREAMBLE + inspect.getsource(answer)
    return f"{name} = {answer!r}\n"


list = names     # noqa: A001 - exercises.list(), as the pages say
