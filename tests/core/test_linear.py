"""The ops a network's step is made of beyond the elementwise ones: a dense layer's
zˡ = x Wᵀ + b as one node (``x.linear(W, b)``, op "affine"), and each cost as one node: the
quadratic C = 1/(2n) Σ ‖a − y‖² (gradient (a − y)/n), the softmax cross-entropy (gradient
(softmax(z) − y)/n) and the binary cross-entropy (gradient (σ(z) − y)/n), from the logits.

Each is checked against a forward written here in plain numpy (values) and central differences
of that numpy forward (gradients), then against PyTorch where it is installed.
"""
import numpy as np
import pytest

from microgradnn import MLP, Value, detect_anomaly, gradients, no_grad
from microgradnn.losses import binary_cross_entropy, quadratic, softmax_cross_entropy
from oracles import central_differences

rng = np.random.default_rng(7)
X, W, B = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
A, Y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
G = rng.standard_normal((4, 2))                       # an upstream gradient ∂L/∂z


def np_affine(x, w, b):
    return x @ w.T + b


def np_quadratic(a, y):
    return 0.5 / a.shape[0] * np.sum((a - y) ** 2)


# --- zˡ = x Wᵀ + b ---

def test_linear_with_a_bias_is_one_affine_node_with_three_inputs_in_order():
    x, w, b = Value(X), Value(W), Value(B)
    z = x.linear(w, b)
    assert z.op == "affine" and z.parents == (x, w, b)
    np.testing.assert_allclose(z.data, np_affine(X, W, B), rtol=1e-15, atol=0)


def test_affine_gradients_equal_central_differences_of_the_numpy_forward():
    x, w, b = Value(X), Value(W), Value(B)
    (x.linear(w, b) * G).sum().backward()
    want = central_differences(lambda x_, w_, b_: np_affine(x_, w_, b_) * G, [X, W, B])
    for got, ref in zip((x.grad, w.grad, b.grad), want):
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-8)


def test_affine_bias_gradient_is_the_upstream_summed_over_the_batch_BP3():
    b = Value(B)
    Value(X).linear(Value(W), b).backward(G)
    np.testing.assert_array_equal(b.grad, G.sum(axis=0))


def test_affine_equals_linear_plus_bias_node_by_node():
    x1, w1, b1 = Value(X), Value(W), Value(B)
    x2, w2, b2 = Value(X), Value(W), Value(B)
    x1.linear(w1, b1).backward(G)
    (x2.linear(w2) + b2).backward(G)
    for one, two in ((x1, x2), (w1, w2), (b1, b2)):
        np.testing.assert_allclose(one.grad, two.grad, rtol=1e-14, atol=1e-15)


def test_affine_accepts_a_bias_array_as_a_constant():
    x, w = Value(X), Value(W)
    z = x.linear(w, B)
    z.backward(G)
    assert not z.parents[2].requires_grad
    np.testing.assert_allclose(w.grad, G.T @ X)


@pytest.mark.parametrize("bias_shape", [(3,), (1, 2), (2, 1), ()])
def test_affine_refuses_a_bias_that_is_not_one_number_per_output(bias_shape):
    with pytest.raises(ValueError, match=r"linear: the bias has shape .* W of shape \(2, 3\) has "
                                         r"2 outputs: the bias must have shape \(2,\)"):
        Value(X).linear(Value(W), Value(np.ones(bias_shape)))


def test_affine_refuses_a_bias_that_is_not_numbers():
    with pytest.raises(TypeError, match="linear: the bias must be a Value or an array"):
        Value(X).linear(Value(W), "b")


def test_affine_under_no_grad_records_no_history():
    with no_grad():
        z = Value(X).linear(Value(W), Value(B))
    assert z.parents == () and not z.requires_grad
    np.testing.assert_allclose(z.data, np_affine(X, W, B))


def test_affine_second_derivative_through_a_recorded_backward_pass():
    # L = Σ tanh(x Wᵀ + b)² ; d/db of (dL/db · 1) is checked against central differences of the
    # numpy gradient dL/db = Σ_rows 2 tanh(z)(1 − tanh²(z)).
    def np_dl_db(b_):
        t = np.tanh(np_affine(X, W, b_))
        return np.sum(2 * t * (1 - t * t), axis=0)
    b = Value(B)
    z = Value(X).linear(Value(W), b).tanh()
    (gb,) = gradients((z * z).sum(), [b], create_graph=True)
    (ggb,) = gradients(gb.sum(), [b])
    np.testing.assert_allclose(ggb, central_differences(lambda b_: np_dl_db(b_), [B])[0],
                               rtol=1e-6, atol=1e-8)


def test_detect_anomaly_names_the_three_input_shapes_of_an_affine_node():
    with detect_anomaly(), np.errstate(all="ignore"):
        with pytest.raises(FloatingPointError, match=r"affine produced .* forward pass\n.*\n  input "
                                                     r"shape\(s\): \(4, 3\) and \(2, 3\) and \(2,\)"):
            Value(X * 1e200).linear(Value(W * 1e200), Value(B))


def test_affine_agrees_with_torch_linear():
    torch = pytest.importorskip("torch")
    x, w, b = Value(X), Value(W), Value(B)
    x.linear(w, b).tanh().sum().backward()
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (X, W, B))
    torch.nn.functional.linear(tx, tw, tb).tanh().sum().backward()
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_the_network_draws_each_layer_as_affine_then_its_activation():
    net = MLP([3, 2, 2], ["tanh", "sigmoid"], seed=0)
    net(X)
    for l in (1, 2):
        z, a = net[f"z{l}"], net[f"a{l}"]
        assert z.op == "affine" and z.parents[1:] == (net.weights[l - 1], net.biases[l - 1])
        assert a.parents == (z,)


# --- C = 1/(2n) Σ ‖a − y‖² ---

def test_quadratic_is_one_node_whose_value_is_the_numpy_cost():
    loss = quadratic(Value(A), Y)
    assert loss.op == "quadratic" and loss.params == {"n": 4}
    assert loss.data.shape == () and type(loss.data) is np.ndarray
    np.testing.assert_allclose(loss.data, np_quadratic(A, Y), rtol=1e-14)


def test_quadratic_gradient_is_a_minus_y_over_n_BP1():
    a = Value(A)
    quadratic(a, Y).backward()
    np.testing.assert_allclose(a.grad, (A - Y) / 4, rtol=1e-15)
    np.testing.assert_allclose(a.grad, central_differences(lambda a_: np_quadratic(a_, Y), [A])[0],
                               rtol=1e-6, atol=1e-9)


def test_the_quadratic_op_differentiates_its_targets_too():
    # quadratic() takes the targets as numbers; the op itself has a VJP for y, as mse_loss does
    from microgradnn import ops
    from microgradnn.engine import _apply
    y = Value(Y)
    _apply(ops.quadratic, Value(A), y, arg=(4,)).backward()
    np.testing.assert_allclose(y.grad, central_differences(lambda y_: np_quadratic(A, y_), [Y])[0],
                               rtol=1e-6, atol=1e-9)


def test_quadratic_of_a_scalar_output_is_half_the_squared_error():
    a = Value(0.75)
    loss = quadratic(a, 0.25)
    loss.backward()
    assert float(loss) == 0.125 and a.grad == 0.5


def test_quadratic_second_derivative_is_the_identity_over_n():
    a = Value(A)
    (ga,) = gradients(quadratic(a, Y), [a], create_graph=True)
    (gga,) = gradients((ga * G).sum(), [a])
    np.testing.assert_allclose(gga, G / 4, rtol=1e-15)


def test_quadratic_agrees_with_torch_mse_loss():
    torch = pytest.importorskip("torch")
    a = Value(A)
    loss = quadratic(a, Y)
    loss.backward()
    ta = torch.tensor(A, requires_grad=True)
    tl = 0.5 * torch.nn.functional.mse_loss(ta, torch.tensor(Y), reduction="sum") / 4
    tl.backward()
    np.testing.assert_allclose(loss.data, tl.item(), rtol=1e-14)
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-14)


# --- the cross-entropies, from the logits ---

Z = rng.standard_normal((4, 3)) * 3
LABELS = np.array([2, 0, 1, 2])
ONE_HOT = np.eye(3)[LABELS]
T01 = rng.uniform(size=(4, 3))                        # binary targets in [0, 1]


def np_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def np_softmax_ce(z, t):
    return -np.sum(t * np_log_softmax(z)) / z.shape[0]


def np_bce(z, t):
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / z.shape[0]


@pytest.mark.parametrize("loss_fn,targets,op,np_cost", [
    (softmax_cross_entropy, LABELS, "softmax_cross_entropy", lambda: np_softmax_ce(Z, ONE_HOT)),
    (binary_cross_entropy, T01, "binary_cross_entropy", lambda: np_bce(Z, T01))])
def test_each_cross_entropy_is_one_node_whose_value_is_the_numpy_cost(loss_fn, targets, op,
                                                                     np_cost):
    loss = loss_fn(Value(Z), targets)
    assert loss.op == op and loss.params == {"n": 4}
    np.testing.assert_allclose(loss.data, np_cost(), rtol=1e-13)


def test_softmax_cross_entropy_gradient_is_softmax_minus_y_over_n():
    z = Value(Z)
    softmax_cross_entropy(z, LABELS).backward()
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(z.grad, (e / e.sum(axis=1, keepdims=True) - ONE_HOT) / 4,
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(z.grad, central_differences(lambda z_: np_softmax_ce(z_, ONE_HOT),
                                                           [Z])[0], rtol=1e-6, atol=1e-9)


def test_softmax_cross_entropy_is_finite_and_exact_at_large_logits():
    z = Value([[1000.0, -1000.0], [-1000.0, 1000.0]])
    loss = softmax_cross_entropy(z, [1, 1])
    loss.backward()
    assert float(loss) == 1000.0                      # (2000 + 0) / 2
    np.testing.assert_array_equal(z.grad, [[0.5, -0.5], [0.0, 0.0]])


def test_softmax_cross_entropy_second_derivative_through_a_recorded_pass():
    # d/dz of Σ G ⊙ (softmax(z) − y)/n, checked against central differences of that numpy VJP
    def np_vjp(z_):
        e = np.exp(z_ - z_.max(axis=1, keepdims=True))
        return np.sum(G3 * (e / e.sum(axis=1, keepdims=True) - ONE_HOT) / 4)
    G3 = rng.standard_normal((4, 3))
    z = Value(Z)
    (gz,) = gradients(softmax_cross_entropy(z, LABELS), [z], create_graph=True)
    (ggz,) = gradients((gz * G3).sum(), [z])
    np.testing.assert_allclose(ggz, central_differences(np_vjp, [Z])[0], rtol=1e-6, atol=1e-9)


def test_the_softmax_cross_entropy_op_differentiates_its_targets_too():
    from microgradnn import ops
    from microgradnn.engine import _apply
    t = Value(ONE_HOT)
    _apply(ops.softmax_cross_entropy, Value(Z), t, arg=(4,)).backward()
    np.testing.assert_allclose(t.grad, central_differences(lambda t_: np_softmax_ce(Z, t_),
                                                           [ONE_HOT])[0], rtol=1e-6, atol=1e-9)


def test_binary_cross_entropy_gradient_is_sigmoid_minus_y_over_n():
    z = Value(Z)
    binary_cross_entropy(z, T01).backward()
    np.testing.assert_allclose(z.grad, (1.0 / (1.0 + np.exp(-Z)) - T01) / 4, rtol=1e-13,
                               atol=1e-16)
    np.testing.assert_allclose(z.grad, central_differences(lambda z_: np_bce(z_, T01), [Z])[0],
                               rtol=1e-6, atol=1e-9)


def test_binary_cross_entropy_is_finite_at_any_logit():
    z = Value([[800.0], [-800.0], [0.0]])
    loss = binary_cross_entropy(z, [[0.0], [1.0], [1.0]])
    loss.backward()
    np.testing.assert_allclose(float(loss), (800.0 + 800.0 + np.log(2.0)) / 3, rtol=1e-15)
    np.testing.assert_allclose(z.grad, [[1 / 3], [-1 / 3], [-1 / 6]], rtol=1e-15)


def test_binary_cross_entropy_second_derivative_is_sigma_prime_over_n():
    z = Value(Z)
    (gz,) = gradients(binary_cross_entropy(z, T01), [z], create_graph=True)
    (ggz,) = gradients(gz.sum(), [z])
    s = 1.0 / (1.0 + np.exp(-Z))
    np.testing.assert_allclose(ggz, s * (1 - s) / 4, rtol=1e-12)


def test_the_cross_entropies_agree_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for ours, theirs, target in (
            (lambda z: softmax_cross_entropy(z, LABELS),
             lambda tz: F.cross_entropy(tz, torch.tensor(LABELS)), None),
            (lambda z: binary_cross_entropy(z, T01),
             lambda tz: F.binary_cross_entropy_with_logits(tz, torch.tensor(T01),
                                                           reduction="sum") / 4, None)):
        z = Value(Z)
        loss = ours(z)
        loss.backward()
        tz = torch.tensor(Z, requires_grad=True)
        tl = theirs(tz)
        tl.backward()
        np.testing.assert_allclose(loss.data, tl.item(), rtol=1e-13)
        np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-16)


def test_affine_second_derivatives_of_every_input_agree_with_torch():
    torch = pytest.importorskip("torch")
    x, w, b = Value(X), Value(W), Value(B)
    z = x.linear(w, b).tanh()
    firsts = gradients((z * z).sum(), [x, w, b], create_graph=True)
    ours = gradients(sum((g * g).sum() for g in firsts), [x, w, b])
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (X, W, B))
    tz = torch.nn.functional.linear(tx, tw, tb).tanh()
    tfirsts = torch.autograd.grad((tz * tz).sum(), [tx, tw, tb], create_graph=True)
    theirs = torch.autograd.grad(sum((g * g).sum() for g in tfirsts), [tx, tw, tb])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t.numpy(), rtol=1e-12, atol=1e-13)


def test_the_binary_cross_entropy_op_differentiates_its_targets_too():
    from microgradnn import ops
    from microgradnn.engine import _apply
    t = Value(T01)
    _apply(ops.binary_cross_entropy, Value(Z), t, arg=(4,)).backward()
    np.testing.assert_allclose(t.grad, central_differences(lambda t_: np_bce(Z, t_), [T01])[0],
                               rtol=1e-6, atol=1e-9)
