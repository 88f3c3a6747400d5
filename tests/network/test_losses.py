"""Losses: values and gradients against PyTorch float64, plain-numpy formulas and finite
differences; each cost one node (second derivatives, targets differentiable); stability; the checks
of their targets."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import Value, gradients
from microgradnn.check import gradcheck
from microgradnn.losses import (binary_cross_entropy, get_loss, quadratic,
                                softmax_cross_entropy)

from oracles import central_differences, np_sigmoid, np_softmax

rng = np.random.default_rng(0)


def test_quadratic_is_half_mean_over_batch_of_squared_norm():
    a, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss = quadratic(Value(a), y)
    assert loss.data == pytest.approx(((a - y) ** 2).sum() / (2 * 5))
    assert loss.label == "loss"


def test_quadratic_accepts_flat_targets_for_one_output():
    a = rng.standard_normal((4, 1))
    y = rng.standard_normal(4)
    assert quadratic(Value(a), y).data == pytest.approx(quadratic(Value(a), y[:, None]).data)


def test_losses_match_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z = rng.standard_normal((6, 3)) * 3
    y01 = (rng.random((6, 3)) > 0.5).astype(float)
    labels = np.array([0, 2, 1, 1, 0, 2])
    cases = [
        (binary_cross_entropy, y01,
         lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(y01), reduction="sum") / 6),
        (softmax_cross_entropy, labels,
         lambda t: F.cross_entropy(t, torch.tensor(labels))),
        (quadratic, y01, lambda t: ((t - torch.tensor(y01)) ** 2).sum() / 12),
    ]
    for fn, target, torch_fn in cases:
        v = Value(z)
        loss = fn(v, target)
        loss.backward()
        t = torch.tensor(z, requires_grad=True)
        ref = torch_fn(t)
        ref.backward()
        assert loss.data == pytest.approx(ref.item(), rel=1e-12), fn.__name__
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("fn, target", [(binary_cross_entropy, [[0.0, 1.0]]),
                                        (softmax_cross_entropy, [1])])
def test_cross_entropies_finite_at_plus_minus_1000(fn, target):
    z = Value([[1000.0, -1000.0]])
    loss = fn(z, target)
    loss.backward()
    assert np.isfinite(loss.data) and np.all(np.isfinite(z.grad))
    assert loss.data == pytest.approx(2000.0)


def test_bce_gradient_at_zero_logit_is_sigmoid_minus_target():
    z = Value([[0.0]])
    binary_cross_entropy(z, [[1.0]]).backward()
    assert z.grad[0, 0] == pytest.approx(0.5 - 1.0)


def test_integer_labels_and_one_hot_give_the_same_loss():
    z = rng.standard_normal((4, 3))
    labels = np.array([2, 0, 1, 2])
    a = softmax_cross_entropy(Value(z), labels).data
    b = softmax_cross_entropy(Value(z), np.eye(3)[labels]).data
    assert a == pytest.approx(b)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.sampled_from(["quadratic", "bce", "cross_entropy"]))
def test_loss_gradients_match_finite_differences(n, k, name):
    r = np.random.default_rng(n * 10 + k)
    z = r.standard_normal((n, k)) * 2
    target = {"quadratic": r.standard_normal((n, k)), "bce": r.random((n, k)),
              "cross_entropy": r.integers(0, k, n)}[name]
    result = gradcheck(lambda v: get_loss(name)(v, target), z)
    assert result.ok, result


def test_get_loss_lists_allowed_names():
    with pytest.raises(ValueError, match="quadratic, bce, cross_entropy"):
        get_loss("mse")


def test_labels_out_of_range_are_rejected():
    with pytest.raises(ValueError, match=r"0\.\.2"):
        softmax_cross_entropy(Value(np.zeros((2, 3))), [0, 3])


def test_target_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 1\)"):
        quadratic(Value(np.zeros((3, 1))), np.zeros((3, 2)))


def test_bce_targets_outside_unit_interval_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy(Value(np.zeros((2, 1))), [[2.0], [0.0]])


# --- against plain-numpy formulas (values) and their closed-form gradients, with central
# --- differences of the numpy formula on top — never gradcheck or the library's own forward:
#   C = 1/(2n) Σ ‖a − y‖²                        ∂C/∂a = (a − y) / n
#   C = −1/n Σ [y ln σ(z) + (1−y) ln(1−σ(z))]   ∂C/∂z = (σ(z) − y) / n
#   C = −1/n Σ yⱼ ln softmax(z)ⱼ                  ∂C/∂z = (softmax(z) − y) / n

r = np.random.default_rng(11)
Z = r.standard_normal((5, 3)) * 2
Y_REAL = r.standard_normal((5, 3))
Y_01 = r.random((5, 3))                         # bce takes targets anywhere in [0, 1]
LABELS = np.array([2, 0, 1, 1, 2])
ONE_HOT = np.eye(3)[LABELS]


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


# --- each cost is one node, from the logits where it has them: C = 1/(2n) Σ ‖a − y‖² (gradient
# --- (a − y)/n), the softmax cross-entropy ((softmax(z) − y)/n), the binary one ((σ(z) − y)/n)

nodes_rng = np.random.default_rng(7)
A, Y = nodes_rng.standard_normal((4, 2)), nodes_rng.standard_normal((4, 2))   # a batch of n = 4
G = nodes_rng.standard_normal((4, 2))                # an upstream gradient
LOGITS = nodes_rng.standard_normal((4, 3)) * 3
CLASSES = np.array([2, 0, 1, 2])
ONE_HOT_CLASSES = np.eye(3)[CLASSES]
T01 = nodes_rng.uniform(size=(4, 3))                 # binary targets in [0, 1]


def np_quadratic(a, y):
    return 0.5 / a.shape[0] * np.sum((a - y) ** 2)


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
    from microgradnn.engine import record
    y = Value(Y)
    record(ops.quadratic, (Value(A), y), (4,)).backward()
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

def np_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def np_softmax_ce(z, t):
    return -np.sum(t * np_log_softmax(z)) / z.shape[0]


def np_bce(z, t):
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / z.shape[0]


@pytest.mark.parametrize("loss_fn,targets,op,np_cost", [
    (softmax_cross_entropy, CLASSES, "softmax_cross_entropy", lambda: np_softmax_ce(LOGITS, ONE_HOT_CLASSES)),
    (binary_cross_entropy, T01, "binary_cross_entropy", lambda: np_bce(LOGITS, T01))])
def test_each_cross_entropy_is_one_node_whose_value_is_the_numpy_cost(loss_fn, targets, op,
                                                                     np_cost):
    loss = loss_fn(Value(LOGITS), targets)
    assert loss.op == op and loss.params == {"n": 4}
    np.testing.assert_allclose(loss.data, np_cost(), rtol=1e-13)


def test_softmax_cross_entropy_gradient_is_softmax_minus_y_over_n():
    z = Value(LOGITS)
    softmax_cross_entropy(z, CLASSES).backward()
    e = np.exp(LOGITS - LOGITS.max(axis=1, keepdims=True))
    np.testing.assert_allclose(z.grad, (e / e.sum(axis=1, keepdims=True) - ONE_HOT_CLASSES) / 4,
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(z.grad, central_differences(lambda z_: np_softmax_ce(z_, ONE_HOT_CLASSES),
                                                           [LOGITS])[0], rtol=1e-6, atol=1e-9)


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
        return np.sum(G3 * (e / e.sum(axis=1, keepdims=True) - ONE_HOT_CLASSES) / 4)
    G3 = nodes_rng.standard_normal((4, 3))
    z = Value(LOGITS)
    (gz,) = gradients(softmax_cross_entropy(z, CLASSES), [z], create_graph=True)
    (ggz,) = gradients((gz * G3).sum(), [z])
    np.testing.assert_allclose(ggz, central_differences(np_vjp, [LOGITS])[0], rtol=1e-6, atol=1e-9)


def test_the_softmax_cross_entropy_op_differentiates_its_targets_too():
    from microgradnn import ops
    from microgradnn.engine import record
    t = Value(ONE_HOT_CLASSES)
    record(ops.softmax_cross_entropy, (Value(LOGITS), t), (4,)).backward()
    np.testing.assert_allclose(t.grad, central_differences(lambda t_: np_softmax_ce(LOGITS, t_),
                                                           [ONE_HOT_CLASSES])[0], rtol=1e-6, atol=1e-9)


def test_binary_cross_entropy_gradient_is_sigmoid_minus_y_over_n():
    z = Value(LOGITS)
    binary_cross_entropy(z, T01).backward()
    np.testing.assert_allclose(z.grad, (1.0 / (1.0 + np.exp(-LOGITS)) - T01) / 4, rtol=1e-13,
                               atol=1e-16)
    np.testing.assert_allclose(z.grad, central_differences(lambda z_: np_bce(z_, T01), [LOGITS])[0],
                               rtol=1e-6, atol=1e-9)


def test_binary_cross_entropy_is_finite_at_any_logit():
    z = Value([[800.0], [-800.0], [0.0]])
    loss = binary_cross_entropy(z, [[0.0], [1.0], [1.0]])
    loss.backward()
    np.testing.assert_allclose(float(loss), (800.0 + 800.0 + np.log(2.0)) / 3, rtol=1e-15)
    np.testing.assert_allclose(z.grad, [[1 / 3], [-1 / 3], [-1 / 6]], rtol=1e-15)


def test_binary_cross_entropy_second_derivative_is_sigma_prime_over_n():
    z = Value(LOGITS)
    (gz,) = gradients(binary_cross_entropy(z, T01), [z], create_graph=True)
    (ggz,) = gradients(gz.sum(), [z])
    s = 1.0 / (1.0 + np.exp(-LOGITS))
    np.testing.assert_allclose(ggz, s * (1 - s) / 4, rtol=1e-12)


def test_the_cross_entropies_agree_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for ours, theirs, target in (
            (lambda z: softmax_cross_entropy(z, CLASSES),
             lambda tz: F.cross_entropy(tz, torch.tensor(CLASSES)), None),
            (lambda z: binary_cross_entropy(z, T01),
             lambda tz: F.binary_cross_entropy_with_logits(tz, torch.tensor(T01),
                                                           reduction="sum") / 4, None)):
        z = Value(LOGITS)
        loss = ours(z)
        loss.backward()
        tz = torch.tensor(LOGITS, requires_grad=True)
        tl = theirs(tz)
        tl.backward()
        np.testing.assert_allclose(loss.data, tl.item(), rtol=1e-13)
        np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-16)


def test_the_binary_cross_entropy_op_differentiates_its_targets_too():
    from microgradnn import ops
    from microgradnn.engine import record
    t = Value(T01)
    record(ops.binary_cross_entropy, (Value(LOGITS), t), (4,)).backward()
    np.testing.assert_allclose(t.grad, central_differences(lambda t_: np_bce(LOGITS, t_), [T01])[0],
                               rtol=1e-6, atol=1e-9)


# --- quadratic checks its targets through the cost itself (a finite C means finite targets) and
# --- looks at them one by one only when C is not finite: every non-finite target is still refused
# --- with the same message, and finite targets whose cost overflows are accepted

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_quadratic_refuses_any_non_finite_target(bad):
    y = np.zeros((4, 1))
    y[2, 0] = bad
    with pytest.raises(ValueError, match="quadratic: the targets contain NaN or inf"):
        quadratic(Value(np.full((4, 1), 0.5)), y)


def test_quadratic_refuses_a_non_finite_target_when_the_output_is_nan_too():
    out = Value(np.array([[np.nan], [0.5]]))
    with pytest.raises(ValueError, match="quadratic: the targets contain NaN or inf"):
        quadratic(out, np.array([[0.0], [np.inf]]))


def test_quadratic_of_a_nan_output_with_finite_targets_is_nan_not_an_error():
    loss = quadratic(Value(np.array([[np.nan], [0.5]])), np.zeros((2, 1)))
    assert np.isnan(loss.data)


def test_quadratic_accepts_finite_targets_whose_cost_overflows():
    with np.errstate(over="ignore"):
        loss = quadratic(Value(np.zeros((2, 1))), np.full((2, 1), 1e200))   # (1e200)² = inf
    assert loss.data == np.inf


def test_quadratic_uses_the_targets_as_they_are():
    y = np.random.default_rng(0).random((5, 1))
    loss = quadratic(Value(np.zeros((5, 1))), y)
    y_node = loss.parents[1]              # the quadratic node's inputs: the output a, then y
    assert y_node.label == "y" and y_node.data is y


# The quadratic cost's node has two inputs and a parameter (n): the plain reverse loop's general
# step, with the targets differentiable too, summed back to their own shape and kind (pinned for
# the new code).
def test_the_quadratic_ops_target_gradient_is_summed_back_to_a_broadcast_targets_shape():
    from microgradnn import ops
    from microgradnn.engine import record
    a, y = Value(np.arange(8.0).reshape(4, 2)), Value(np.array([1.0, 2.0]))
    record(ops.quadratic, (a, y), (4,)).backward()
    # ∂C/∂y = −Σ_rows (a − y)/n: column 0 is −(−1 + 1 + 3 + 5)/4, column 1 −(−1 + 1 + 3 + 5)/4
    np.testing.assert_array_equal(y.grad, [-2.0, -2.0])
    np.testing.assert_array_equal(a.grad, (np.arange(8.0).reshape(4, 2) - [1.0, 2.0]) / 4)


def test_the_quadratic_ops_gradient_for_a_scalar_target_is_a_float():
    from microgradnn import ops
    from microgradnn.engine import record
    a, y = Value(np.arange(8.0).reshape(4, 2)), Value(0.5)
    record(ops.quadratic, (a, y), (4,)).backward()
    assert y.grad == -(28.0 - 8 * 0.5) / 4 and type(y.grad) is float
