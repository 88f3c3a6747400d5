"""The losses against plain-numpy formulas (values) and their closed-form gradients, with central
differences of the numpy formula on top — never gradcheck or the library's own forward.

C = 1/(2n) Σ ‖a − y‖²                 ∂C/∂a = (a − y) / n
C = −1/n Σ [y ln σ(z) + (1−y) ln(1−σ(z))]   ∂C/∂z = (σ(z) − y) / n
C = −1/n Σ yⱼ ln softmax(z)ⱼ           ∂C/∂z = (softmax(z) − y) / n
"""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.losses import binary_cross_entropy, quadratic, softmax_cross_entropy
from oracles import central_differences

r = np.random.default_rng(11)
Z = r.standard_normal((5, 3)) * 2
Y_REAL = r.standard_normal((5, 3))
Y_01 = r.random((5, 3))                         # bce takes targets anywhere in [0, 1]
LABELS = np.array([2, 0, 1, 1, 2])
ONE_HOT = np.eye(3)[LABELS]


def np_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


CASES = [  # name, loss, target, numpy C(z), closed-form ∂C/∂z
    ("quadratic", quadratic, Y_REAL,
     lambda z: ((z - Y_REAL) ** 2).sum() / (2 * 5), lambda z: (z - Y_REAL) / 5),
    ("bce", binary_cross_entropy, Y_01,
     lambda z: -(Y_01 * np.log(np_sigmoid(z)) + (1 - Y_01) * np.log(1 - np_sigmoid(z))).sum() / 5,
     lambda z: (np_sigmoid(z) - Y_01) / 5),
    ("cross_entropy_labels", softmax_cross_entropy, LABELS,
     lambda z: -(ONE_HOT * np.log(np_softmax(z))).sum() / 5, lambda z: (np_softmax(z) - ONE_HOT) / 5),
    ("cross_entropy_one_hot", softmax_cross_entropy, ONE_HOT,
     lambda z: -(ONE_HOT * np.log(np_softmax(z))).sum() / 5, lambda z: (np_softmax(z) - ONE_HOT) / 5),
]


@pytest.mark.parametrize("name, loss, target, value, gradient", CASES, ids=[c[0] for c in CASES])
def test_loss_value_equals_the_numpy_formula(name, loss, target, value, gradient):
    assert loss(Value(Z), target).data == pytest.approx(value(Z), rel=1e-13)


@pytest.mark.parametrize("name, loss, target, value, gradient", CASES, ids=[c[0] for c in CASES])
def test_loss_gradient_equals_the_closed_form(name, loss, target, value, gradient):
    z = Value(Z)
    loss(z, target).backward()
    np.testing.assert_allclose(z.grad, gradient(Z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, loss, target, value, gradient", CASES, ids=[c[0] for c in CASES])
def test_closed_form_gradient_is_the_numpy_formulas_derivative(name, loss, target, value, gradient):
    # guards the closed forms above: they are the derivative of the formulas they sit beside
    (numeric,) = central_differences(value, [Z])
    np.testing.assert_allclose(gradient(Z), numeric, rtol=1e-6, atol=1e-9)
