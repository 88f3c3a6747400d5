"""The checkers' documented default tolerances, pinned by planted errors of known size.

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

X = np.array([[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]])
Y = np.array([[1.0], [0.0], [0.5]])


def _net():
    return MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)


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
    report = crosscheck(_net(), X, Y)
    assert not report.ok, report
    assert report.first_failure == (2, "BP1")        # the output layer's δ is where it enters


@pytest.mark.parametrize("factor, ok", [(1 + 0.5e-6, True), (1 + 2e-6, False)])
def test_crosscheck_default_rtol_is_one_in_a_million(monkeypatch, factor, ok):
    # σ′ times (1 + ε) makes δ² off by exactly a relative ε, elementwise: inside rtol = 1e-6
    # passes, outside fails.
    _sigmoid_prime_scaled(monkeypatch, factor)
    report = crosscheck(_net(), X, Y)
    assert report.ok is ok, report
    assert (report.rtol, report.atol) == (1e-6, 0.0)


@pytest.mark.parametrize("relative, ok", [(0.5e-6, True), (2e-6, False), (0.5, False)])
def test_crosscheck_gradients_default_rtol_is_one_in_a_million(relative, ok):
    net = _net()
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
    assert crosscheck(_net(), X, Y, rtol=0.6).ok
    assert crosscheck(_net(), X, Y, atol=1.0).ok
    report = crosscheck(_net(), X, Y, rtol=0.4)
    assert not report.ok and (report.rtol, report.atol) == (0.4, 0.0)
    assert str(report).startswith("Cross-check of closed form (BP1–BP4) against autodiff "
                                  "(loss 'quadratic', batch 3, rtol 0.4, atol 0): FAILED at layer 2, BP1")
