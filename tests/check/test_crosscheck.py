"""The cross-check: autodiff agrees with BP1–BP4 everywhere, and points at a wrong equation."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn.backprop import NeuralNetwork, activation, activation_derivative, softmax_vjp
from microgradnn.check import crosscheck, crosscheck_gradients
from microgradnn.losses import quadratic
from microgradnn.nn import MLP
from microgradnn.optim import SGD

HIDDEN = ["sigmoid", "tanh", "relu", "linear"]
OUTPUT_FOR = {"quadratic": HIDDEN + ["softmax"], "bce": ["sigmoid"], "cross_entropy": ["softmax"]}


def _targets(loss, batch, out, r):
    if loss == "quadratic":
        return r.standard_normal((batch, out))
    if loss == "bce":
        return (r.random((batch, out)) > 0.5).astype(float)
    return r.integers(0, out, batch)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), loss=st.sampled_from(["quadratic", "bce", "cross_entropy"]),
       sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5), batch=st.integers(1, 9),
       seed=st.integers(0, 10_000))
def test_autodiff_agrees_with_bp1_to_bp4(data, loss, sizes, batch, seed):
    if loss == "cross_entropy" and sizes[-1] < 2:
        sizes[-1] = 2
    acts = [data.draw(st.sampled_from(HIDDEN)) for _ in sizes[:-2]]
    acts.append(data.draw(st.sampled_from(OUTPUT_FOR[loss])))
    net = MLP(sizes, acts, seed=seed, init=data.draw(st.sampled_from(["normal", "xavier", "he"])))
    r = np.random.default_rng(seed)
    report = crosscheck(net, r.standard_normal((batch, sizes[0])), _targets(loss, batch, sizes[-1], r),
                        loss=loss)
    assert report.ok, report
    assert report.first_failure is None
    assert len(report.rows) == 3 * (len(sizes) - 1)


def test_report_table_names_every_equation_and_layer():
    net = MLP([2, 3, 3, 1], ["tanh", "relu", "sigmoid"], seed=0)
    text = str(crosscheck(net, np.ones((4, 2)), np.zeros((4, 1))))
    for eq in ("BP1", "BP2", "BP3", "BP4"):
        assert eq in text
    assert "OK" in text and "δ3" in text and "∂C/∂W1" in text


def test_crosscheck_leaves_gradients_untouched():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    crosscheck(net, np.ones((2, 2)), np.zeros((2, 1)))
    assert all(p._grad is None for p in net.parameters())


def _hand_backprop(weights, biases, activations, x, y, wrong_layer=None):
    """A learner's own BP1–BP4 in column layout, quadratic cost, optionally with a wrong σ′
    (σ instead of σ(1 − σ)) in one layer (1-based)."""
    a, a_s, z_s = x, [x], []
    for w, b, name in zip(weights, biases, activations):
        z = w @ a + b[:, None]
        a = activation(name)(z)
        z_s.append(z)
        a_s.append(a)

    def sigma_prime(l):
        name = activations[l - 1]
        if l == wrong_layer:
            return activation(name)(z_s[l - 1])            # the mistake: σ, not σ′
        return activation_derivative(name)(z_s[l - 1])

    L, n = len(weights), x.shape[1]
    deltas = [None] * L
    deltas[-1] = (a_s[-1] - y) / n * sigma_prime(L)
    for l in range(L - 1, 0, -1):
        deltas[l - 1] = (weights[l].T @ deltas[l]) * sigma_prime(l)
    return ([d @ a_s[i].T for i, d in enumerate(deltas)],
            [d.sum(axis=1, keepdims=True) for d in deltas], deltas)


def _setup():
    net = MLP([3, 4, 4, 2], ["sigmoid", "sigmoid", "sigmoid"], seed=3)
    r = np.random.default_rng(1)
    x, y = r.standard_normal((5, 3)), r.random((5, 2))
    W = [w.data for w in net.weights]
    B = [b.data for b in net.biases]
    return net, x, y, W, B


def test_correct_hand_written_gradients_pass():
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, dw, db, deltas=deltas)
    assert report.ok, report


@pytest.mark.parametrize("wrong_layer, equation", [(1, "BP2"), (2, "BP2"), (3, "BP1")])
def test_wrong_sigma_prime_is_located_by_layer_and_equation(wrong_layer, equation):
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T, wrong_layer)
    report = crosscheck_gradients(net, x, y, dw, db, deltas=deltas)
    assert not report.ok
    assert report.first_failure == (wrong_layer, equation)
    assert "MISMATCH" in str(report) and f"layer {wrong_layer}, {equation}" in str(report)
    # the layers above the mistake are still right
    assert all(r.ok for r in report.rows if r.layer > wrong_layer)


@pytest.mark.parametrize("wrong_layer, equation", [(1, "BP2"), (2, "BP2"), (3, "BP1")])
def test_without_deltas_a_wrong_delta_is_named_by_the_equation_that_makes_it(wrong_layer, equation):
    """∂C/∂b and ∂C/∂W of the layer are both wrong: both come from δ, so the δ equation is named."""
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T, wrong_layer=wrong_layer)
    report = crosscheck_gradients(net, x, y, dw, db)
    assert report.first_failure == (wrong_layer, equation)
    assert f"check δ{wrong_layer}, which {equation} computes" in str(report)


def test_without_deltas_a_wrong_bias_gradient_alone_is_bp3():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    db[1] = db[1] * 0.0 + 1.0                  # layer 2's BP3 slip; its δ and BP4 are right
    assert crosscheck_gradients(net, x, y, dw, db).first_failure == (2, "BP3")


def test_without_deltas_a_wrong_weight_gradient_alone_is_bp4():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    dw[1] = dw[1].T.copy().reshape(dw[1].shape) + 0.1      # layer 2's BP4 slip
    assert crosscheck_gradients(net, x, y, dw, db).first_failure == (2, "BP4")


def test_seed_article_sign_is_flagged():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, [-g for g in dw], [-g for g in db])
    assert report.first_failure == (3, "BP1") and "minus the gradient" in str(report)


@pytest.mark.parametrize("factor, words", [
    (-1.0, "minus the gradient"),
    (5.0, "5× the gradient: per-example"),
    (-5.0, "−5× the gradient: minus the gradient, and per-example"),
    (1 / 5, "1/5× the gradient: divided by the batch size 5 once too often"),
    (-1 / 5, "−1/5× the gradient: minus the gradient, and divided by the batch size 5"),
    (2.0, "2× the gradient: a constant factor"),
    (0.5, "1/2× the gradient: a constant factor"),
    (-3.0, "−3× the gradient: a constant factor"),
    (1.7, "1.7× the gradient: a constant factor"),
])
def test_a_constant_factor_between_given_and_true_gradients_is_named(factor, words):
    net, x, y, W, B = _setup()                 # batch of 5
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, [g * factor for g in dw], [g * factor for g in db])
    assert not report.ok
    assert all(words in r.note for r in report.rows), report


def test_an_error_that_is_no_constant_factor_gets_no_factor_note():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T, wrong_layer=3)
    report = crosscheck_gradients(net, x, y, dw, db)
    assert not report.ok and "× the gradient" not in str(report)


def test_per_example_deltas_are_accepted_when_declared():
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T)
    per_example = [d * x.shape[0] for d in deltas]
    assert "per-example" in str(crosscheck_gradients(net, x, y, dw, db, deltas=per_example))
    assert crosscheck_gradients(net, x, y, dw, db, deltas=per_example, per_example_deltas=True).ok


def test_rows_layout_is_accepted():
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, dw, [b.ravel() for b in db],
                                  deltas=[d.T for d in deltas], layout="rows")
    assert report.ok, report


def test_wrongly_shaped_user_gradient_names_layer_and_shapes():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    dw[2] = dw[2].T
    with pytest.raises(ValueError, match=r"dw of layer 3 has shape \(4, 2\), expected \(2, 4\)"):
        crosscheck_gradients(net, x, y, dw, db)
    with pytest.raises(ValueError, match=r"layout must be 'columns' or 'rows'"):
        crosscheck_gradients(net, x, y, dw, db, layout="sideways")


def test_wrong_loss_for_output_activation_is_explained():
    net = MLP([2, 2], ["tanh"])
    with pytest.raises(ValueError, match="needs a softmax output"):
        crosscheck(net, np.ones((1, 2)), [0], loss="cross_entropy")


def test_softmax_quadratic_bp1_uses_the_jacobian():
    a = np.array([[0.2], [0.5], [0.3]])
    g = np.array([[1.0], [-2.0], [0.5]])
    J = np.diagflat(a) - a @ a.T                    # ∂aᵢ/∂zⱼ
    np.testing.assert_allclose(softmax_vjp(g, a), J.T @ g)


def test_sgd_trajectories_of_autodiff_and_closed_form_coincide():
    layers, acts = [2, 6, 5, 1], ["tanh", "relu", "sigmoid"]
    net, closed = MLP(layers, acts, seed=7), NeuralNetwork(layers, acts, seed=7)
    r = np.random.default_rng(2)
    x, y = r.standard_normal((8, 2)), r.random((8, 1))
    opt = SGD(net.parameters(), lr=0.5)
    for _ in range(50):
        loss = quadratic(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    closed.train(x.T, y.T, batch_size=8, epochs=50, lr=0.5)
    moved = np.abs(net.weights[0].data - MLP(layers, acts, seed=7).weights[0].data).max()
    assert moved > 1e-2                                   # training actually moved the weights
    for W, w, b, c in zip(net.weights, closed.weights, net.biases, closed.biases):
        np.testing.assert_allclose(W.data, w, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b.data, c.ravel(), rtol=0, atol=1e-10)
