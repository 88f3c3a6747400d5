"""The checkers' tolerances: the documented defaults, pinned by planted errors of known size; a
tolerance or step that would make a verdict meaningless, refused.

``crosscheck`` and ``crosscheck_gradients``: a row passes when
max |checked − reference| ≤ atol + rtol · max |reference|, rtol = 1e-6 and atol = 0 by default.
``gradcheck``: element i passes when |autodiff − numeric| ≤ atol + rtol · |numeric|,
rtol = 1e-5 and atol = 1e-8 by default.

Each test plants an error of a chosen size and checks the verdict on both sides of the boundary
(an error just inside passes, just outside fails), so a loosened default cannot go unnoticed.
The references here are the closed-form network (numpy) and linear functions whose exact
derivative is known, never the checker's own output.
"""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn import backprop
from microgradnn.check import crosscheck, crosscheck_gradients, gradcheck
from microgradnn.nn import MLP

from helpers import closed_form_case, mlp

X = np.array([[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]])
Y = np.array([[1.0], [0.0], [0.5]])


def _closed_form(net):
    """dw, db, deltas of the quadratic cost by BP1–BP4 in numpy, in the MLP's row layout."""
    closed = backprop.NeuralNetwork.from_weights([W.data for W in net.weights],
                                                 [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(X.T)
    dw, db = closed.backpropagation(Y.T, z_s, a_s)
    return dw, [b.ravel() for b in db], [d.T for d in closed.deltas]


# --- crosscheck: a closed form whose σ′ is off by a known factor -----------------------------

def _sigmoid_prime_scaled(monkeypatch, factor):
    """Plant a mistake in the closed form: σ′ of the sigmoid output layer times ``factor``.

    BP1 is δᴸ = ∇ₐC ⊙ σ′(zᴸ), so a σ′ off by a factor is δᴸ (``output_error``) off by it."""
    true = backprop.NeuralNetwork.output_error

    def planted(self, *args, **kwargs):
        return factor * true(self, *args, **kwargs)
    monkeypatch.setattr(backprop.NeuralNetwork, "output_error", planted)


def test_crosscheck_default_fails_a_sigmoid_derivative_50_percent_too_large(monkeypatch):
    _sigmoid_prime_scaled(monkeypatch, 1.5)
    report = crosscheck(mlp(), X, Y)
    assert not report.ok, report
    assert report.first_failure == (2, "BP1")        # the output layer's δ is where it enters


@pytest.mark.parametrize("factor, ok", [(1 + 0.5e-6, True), (1 + 2e-6, False)])
def test_crosscheck_default_rtol_is_one_in_a_million(monkeypatch, factor, ok):
    # σ′ times (1 + ε) makes δ² off by exactly a relative ε, elementwise: inside rtol = 1e-6
    # passes, outside fails.
    _sigmoid_prime_scaled(monkeypatch, factor)
    report = crosscheck(mlp(), X, Y)
    assert report.ok is ok, report
    assert (report.rtol, report.atol) == (1e-6, 0.0)


@pytest.mark.parametrize("relative, ok", [(0.5e-6, True), (2e-6, False), (0.5, False)])
def test_crosscheck_gradients_default_rtol_is_one_in_a_million(relative, ok):
    net = mlp()
    dw, db, deltas = _closed_form(net)
    wrong_dw = [dw[0], dw[1] * (1 + relative)]      # BP4 of the output layer off by `relative`
    report = crosscheck_gradients(net, X, Y, wrong_dw, db, layout="rows")
    assert report.ok is ok, report
    if not ok:
        assert report.first_failure == (2, "BP4")


def test_crosscheck_default_atol_is_zero():
    # A dead relu layer (every pre-activation negative) has ∂C/∂W1 = 0 exactly, so only atol
    # can pass an error there: with atol = 0 even 1e-300 fails.
    net = MLP([2, 3, 1], ["relu", "linear"], seed=0)
    net.biases[0].data = np.full(3, -100.0)
    dw, db, deltas = _closed_form(net)
    assert not np.any(dw[0])
    planted = [dw[0] + 1e-300, dw[1]]
    assert not crosscheck_gradients(net, X, Y, planted, db, layout="rows").ok
    assert crosscheck_gradients(net, X, Y, dw, db, layout="rows").ok


# --- gradcheck: a function whose autodiff gradient is off by a known amount ------------------

def _wrong_by(k):
    """f(a) = Σ a in value, but autodiff sees gradient k (a constant copy cancels the rest)."""
    def f(a):
        hidden = Value((k - 1.0) * a.data, requires_grad=False)   # no gradient through the copy
        return (a * k - hidden).sum()
    return f


def test_gradcheck_default_fails_a_gradient_4_8_percent_wrong():
    result = gradcheck(_wrong_by(1.048), np.array([0.3, -1.2, 2.0]))
    assert not result.ok, result


@pytest.mark.parametrize("relative, ok", [(0.5e-5, True), (2e-5, False)])
def test_gradcheck_default_rtol_is_1e_minus_5(relative, ok):
    # numeric gradient 1 (f is linear, so central differences are exact up to rounding ~1e-10),
    # autodiff 1 + relative: |error| = relative against atol + rtol · 1 = 1e-8 + 1e-5.
    result = gradcheck(_wrong_by(1.0 + relative), np.array([0.3, -1.2, 2.0]))
    assert result.ok is ok, result


@pytest.mark.parametrize("delta, ok", [(0.5e-8, True), (2e-8, False)])
def test_gradcheck_default_atol_is_1e_minus_8(delta, ok):
    # f is exactly 0 everywhere (numeric gradient 0), autodiff sees delta: only atol can pass it.
    def f(a):
        return (a * delta - Value(delta * a.data, requires_grad=False)).sum()
    assert gradcheck(f, np.array([0.7, -0.4])).ok is ok


def test_gradcheck_names_the_relative_error_of_the_planted_mistake():
    result = gradcheck(_wrong_by(1.048), 0.5)
    assert "relative error 0.0458" in str(result), result   # |1.048 − 1| / 1.048


def test_crosscheck_honours_the_tolerances_it_is_given(monkeypatch):
    _sigmoid_prime_scaled(monkeypatch, 1.5)          # δ² off by 50 %
    assert crosscheck(mlp(), X, Y, rtol=0.6).ok
    assert crosscheck(mlp(), X, Y, atol=1.0).ok
    report = crosscheck(mlp(), X, Y, rtol=0.4)
    assert not report.ok and (report.rtol, report.atol) == (0.4, 0.0)
    assert str(report).startswith("Cross-check of closed form (BP1–BP4) against autodiff "
                                  "(loss 'quadratic', batch 3, rtol 0.4, atol 0): FAILED at layer 2, BP1")


# --- a tolerance that makes the verdict meaningless is refused (a check is never silently unable
# --- to fail); zero tolerances are an exact check

BAD = [-1.0, -1e-12, float("nan"), float("inf"), "1e-6", None, True]
IDS = ["negative", "tiny negative", "nan", "inf", "a string", "None", "True"]


def _net_batch():
    x = np.random.default_rng(1).normal(size=(4, 2))
    return mlp(), x, np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", BAD, ids=IDS)
def test_gradcheck_refuses_a_tolerance_that_is_not_a_finite_number_at_least_0(name, value):
    with pytest.raises(ValueError, match=f"gradcheck: {name} must be a finite number ≥ 0"):
        gradcheck(lambda a: (a * a).sum(), [1.0, 2.0], **{name: value})


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", BAD, ids=IDS)
def test_crosscheck_refuses_a_tolerance_that_is_not_a_finite_number_at_least_0(name, value):
    net, x, y = _net_batch()
    with pytest.raises(ValueError, match=f"crosscheck: {name} must be a finite number ≥ 0"):
        crosscheck(net, x, y, loss="bce", **{name: value})


@pytest.mark.parametrize("value", BAD, ids=IDS)
def test_crosscheck_gradients_refuses_a_bad_tolerance(value):
    net, x, y = _net_batch()
    dw = [np.zeros(W.shape) for W in net.weights]
    db = [np.zeros(b.shape) for b in net.biases]
    with pytest.raises(ValueError, match="crosscheck_gradients: rtol must be a finite number"):
        crosscheck_gradients(net, x, y, dw, db, layout="rows", rtol=value)


@pytest.mark.parametrize("eps", [float("inf"), float("nan"), -1e-6, 0, True], ids=str)
def test_gradcheck_refuses_a_step_that_is_not_a_positive_finite_number(eps):
    with pytest.raises(ValueError, match="gradcheck: eps must be positive"):
        gradcheck(lambda a: (a * a).sum(), [1.0, 2.0], eps=eps)


def test_zero_tolerances_are_an_exact_check_and_allowed():
    net, x, y = _net_batch()
    assert crosscheck(net, x, y, loss="bce", rtol=0, atol=0).rows    # a verdict, not an error
    assert gradcheck(lambda a: a * 2.0, [1.0], rtol=0.0, atol=1e-6, eps=0.5).ok


# crosscheck_gradients' own checks of what it is given (mutants 8, 12–15, 68).
@pytest.mark.parametrize("name", ["rtol", "atol"])
def test_crosscheck_gradients_refuses_a_negative_tolerance_naming_itself(name):
    net, x, y, dw, db, deltas = closed_form_case()
    with pytest.raises(ValueError) as info:
        crosscheck_gradients(net, x, y, dw, db, deltas, **{name: -1.0})
    assert str(info.value) == f"crosscheck_gradients: {name} must be a finite number ≥ 0, got -1.0"


# gradcheck: its tolerances and step are checked, the criterion is ≤ (an error exactly at the
# tolerance passes), 0/0 is no error, x/0 an infinite one, nan fails as inf — all silently
# (gradcheck mutants 14, 18, 159–162, 168, 175, 179, 180, 216).
def test_gradcheck_refuses_a_negative_atol_and_a_boolean_step():
    with pytest.raises(ValueError) as info:
        gradcheck(lambda x: x, 1.0, atol=-1.0)
    assert str(info.value) == "gradcheck: atol must be a finite number ≥ 0, got -1.0"
    with pytest.raises(ValueError) as info:
        gradcheck(lambda x: x, 1.0, eps=True)
    assert str(info.value) == "gradcheck: eps must be positive, got True (a finite step)"
