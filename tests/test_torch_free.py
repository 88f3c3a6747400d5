"""Behaviours whose only other check is a PyTorch comparison, held here without PyTorch.

Each test names the PyTorch test it stands beside and checks the same behaviour against a closed
form, a plain-numpy re-statement of the algorithm, or central differences of a numpy function.
Run ``MICROGRADNN_NO_TORCH=1 pytest -rs`` to see that they hold with PyTorch absent.
"""
import math

import numpy as np
import pytest

from microgradnn import Value, grad
from microgradnn import backprop
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam


# --- 0 to a Value power (beside test_engine's ..._as_in_pytorch) -----------------------------

def test_zero_to_a_positive_value_power_has_exponent_gradient_zero_tensor():
    # ∂aᵇ/∂a = b·aᵇ⁻¹ and ∂aᵇ/∂b = aᵇ ln a, with 0ᵇ·ln 0 taken as 0 for b > 0 (0ᵇ = 0).
    a, b = Value(np.array([0.0, 2.0, 0.0])), Value(np.array([2.0, 3.0, 0.5]))
    (a ** b).sum().backward()
    np.testing.assert_array_equal(b.grad, [0.0, 8.0 * math.log(2.0), 0.0])
    np.testing.assert_allclose(a.grad[:2], [0.0, 12.0])
    assert a.grad[2] == math.inf                   # 0.5 · 0^(−0.5): the slope of √a at 0


@pytest.mark.parametrize("b0", [2.0, 1.0, 0.5])
def test_zero_to_a_positive_value_power_has_exponent_gradient_zero_scalar(b0):
    a, b = Value(0.0), Value(b0)
    (a ** b).backward()
    assert b.grad == 0.0 and type(b.grad) is float


@pytest.mark.parametrize("shape", ["scalar", "tensor"])
def test_zero_to_the_zero_has_both_gradients_zero_as_in_pytorch(shape):
    data = (lambda x: x) if shape == "scalar" else (lambda x: np.array([x]))
    a, b = Value(data(0.0)), Value(data(0.0))
    (a ** b).sum().backward()
    assert float(np.sum(a.grad)) == 0.0 and float(np.sum(b.grad)) == 0.0


# --- higher derivatives of tensors (beside test_functional's ..._match_pytorch_create_graph) ---

def _sig(x):
    return 1 / (1 + np.exp(-x))


TENSOR_CLOSED_FORMS = [
    ("exp", lambda x: x.exp(), np.exp, np.exp),
    ("log", lambda x: x.log(), lambda x: 1 / x, lambda x: -1 / x ** 2),
    ("tanh", lambda x: x.tanh(), lambda x: 1 - np.tanh(x) ** 2,
     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: _sig(x) * (1 - _sig(x)),
     lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x))),
    ("cube", lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    ("sqrt", lambda x: x ** 0.5, lambda x: 0.5 * x ** -0.5, lambda x: -0.25 * x ** -1.5),
    ("x_pow_x", lambda x: x ** x, lambda x: x ** x * (np.log(x) + 1),
     lambda x: x ** x * ((np.log(x) + 1) ** 2 + 1 / x)),
]


@pytest.mark.parametrize("name, f, d1, d2", TENSOR_CLOSED_FORMS, ids=[c[0] for c in TENSOR_CLOSED_FORMS])
def test_second_derivatives_of_tensors_through_create_graph_match_closed_forms(name, f, d1, d2):
    x0 = np.array([0.3, 0.9, 1.7])
    x = Value(x0)
    f(x).sum().backward(create_graph=True)
    g1 = x.grad
    np.testing.assert_allclose(g1.data, d1(x0), rtol=1e-12)
    x.zero_grad()
    g1.sum().backward()
    np.testing.assert_allclose(x.grad, d2(x0), rtol=1e-11)


# --- optimizers (beside test_optim's ..._matches_torch): PyTorch's documented update rules,
# --- re-stated in plain numpy on the gradient of Σ w⁴ + 3 Σ w, which is 4w³ + 3 --------------

W0 = np.array([1.5, -0.7, 0.2])


def _quartic_grad(w):
    return 4 * w ** 3 + 3.0


def _run(opt_of, steps=20):
    w = Value(W0.copy())
    opt = opt_of([w])
    for _ in range(steps):
        opt.zero_grad()
        (((w * w) * (w * w)).sum() + (w * 3.0).sum()).backward()
        opt.step()
    return w.data


def _numpy_sgd(lr, momentum=0.0, steps=20):
    w, buf = W0.copy(), None
    for _ in range(steps):
        g = _quartic_grad(w)
        buf = g if buf is None else momentum * buf + g      # PyTorch: b₁ = g₁, then μb + g
        w = w - lr * (buf if momentum else g)
    return w


def _numpy_adam(lr, b1, b2, eps=1e-8, steps=20):
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, steps + 1):
        g = _quartic_grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w


def test_sgd_follows_the_update_rule_in_numpy():
    np.testing.assert_allclose(_run(lambda p: SGD(p, lr=0.01)), _numpy_sgd(0.01), rtol=1e-12)


def test_sgd_with_momentum_follows_the_update_rule_in_numpy():
    np.testing.assert_allclose(_run(lambda p: SGD(p, lr=0.01, momentum=0.9)),
                               _numpy_sgd(0.01, 0.9), rtol=1e-12)


def test_adam_follows_the_update_rule_in_numpy():
    np.testing.assert_allclose(_run(lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99))),
                               _numpy_adam(0.05, 0.8, 0.99), rtol=1e-10)


# --- the closed-form network (beside test_backprop's ..._equal_torch): BP1–BP4 against central
# --- differences of the article's cost on its own numpy feedforward --------------------------

@pytest.mark.parametrize("activations, loss", [
    (["sigmoid", "sigmoid"], "quadratic"), (["tanh", "relu", "linear"], "quadratic"),
    (["relu", "softmax"], "quadratic"), (["tanh", "sigmoid"], "bce"),
    (["sigmoid", "softmax"], "cross_entropy")])
def test_closed_form_gradients_match_numpy_finite_differences(activations, loss):
    sizes = [3] + [4] * (len(activations) - 1) + [2]
    net = backprop.NeuralNetwork(sizes, activations, seed=1)
    r = np.random.default_rng(2)
    x = r.standard_normal((3, 5))
    y = np.eye(2)[:, r.integers(0, 2, 5)] if loss != "quadratic" else r.standard_normal((2, 5))
    z_s, a_s = net.feedforward(x)
    dw, db = net.backpropagation(y, z_s, a_s, loss)

    def cost_at(params, l, which):
        saved = (net.weights[l], net.biases[l])
        if which == "w":
            net.weights[l] = params
        else:
            net.biases[l] = params
        c = backprop.cost(net.feedforward(x)[1][-1], y, loss)
        net.weights[l], net.biases[l] = saved
        return c

    for l in range(len(activations)):
        for which, p, analytic in (("w", net.weights[l], dw[l]), ("b", net.biases[l], db[l])):
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                hi, lo = p.copy(), p.copy()
                hi[idx] += 1e-6
                lo[idx] -= 1e-6
                numeric[idx] = (cost_at(hi, l, which) - cost_at(lo, l, which)) / 2e-6
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8,
                                       err_msg=f"∂C/∂{which}{l + 1}")


def test_mlp_and_closed_form_deltas_are_the_gradient_of_z():
    # δˡ = ∂C/∂zˡ (the definition behind BP1): perturbing z² by ε in one entry changes the
    # quadratic cost by δ²·ε, computed in numpy from the network's own weights.
    net = MLP([2, 3, 2], ["tanh", "sigmoid"], seed=0)
    closed = backprop.NeuralNetwork.from_weights([W.data for W in net.weights],
                                                 [b.data for b in net.biases], net.activations)
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.4]])
    y = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    z_s, a_s = closed.feedforward(x)
    closed.backpropagation(y, z_s, a_s)
    z2 = z_s[-1]
    numeric = np.zeros_like(z2)
    for idx in np.ndindex(z2.shape):
        hi, lo = z2.copy(), z2.copy()
        hi[idx] += 1e-6
        lo[idx] -= 1e-6
        numeric[idx] = (backprop.cost(backprop.sigmoid(hi), y) -
                        backprop.cost(backprop.sigmoid(lo), y)) / 2e-6
    np.testing.assert_allclose(closed.deltas[-1], numeric, rtol=1e-6, atol=1e-10)


# --- jacobian (beside test_functional's test_jacobian_matches_pytorch) -----------------------

def test_jacobian_of_softmax_is_diag_s_minus_s_s_transposed():
    from microgradnn import jacobian
    x = np.array([0.2, -0.5, 0.9])
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(jacobian(lambda v: v.softmax(-1))(x),
                               np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)


def test_jacobian_of_tanh_times_x_is_diagonal():
    from microgradnn import jacobian
    x = np.array([0.2, -0.5, 0.9])
    np.testing.assert_allclose(jacobian(lambda v: v.tanh() * v)(x),
                               np.diag(np.tanh(x) + x * (1 - np.tanh(x) ** 2)), rtol=1e-13)

