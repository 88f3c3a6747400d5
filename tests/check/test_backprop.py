"""The closed-form network (BP1–BP4 by hand): true gradients, the article's bugs fixed."""
import ast
import pathlib
import warnings

import numpy as np
import pytest

import microgradnn.backprop as backprop
from microgradnn.backprop import NeuralNetwork, activation, activation_derivative, cost
from microgradnn.nn import MLP

rng = np.random.default_rng(0)


def _torch_gradients(net, x, y, loss):
    """The same network in PyTorch float64, rows layout; returns (dw, db, deltas)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    Ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b.ravel(), requires_grad=True) for b in net.biases]
    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "linear": lambda z: z, "softmax": lambda z: torch.softmax(z, dim=1)}
    a, zs = torch.tensor(x.T), []
    for W, b, name in zip(Ws, bs, net.activations):
        z = a @ W.T + b
        z.retain_grad()
        zs.append(z)
        a = fns[name](z)
    t, n = torch.tensor(y.T), x.shape[1]
    if loss == "quadratic":
        cost = ((a - t) ** 2).sum() / (2 * n)
    elif loss == "bce":
        cost = F.binary_cross_entropy_with_logits(zs[-1], t, reduction="sum") / n
    else:
        cost = -(torch.log_softmax(zs[-1], dim=1) * t).sum() / n
    cost.backward()
    return ([W.grad.numpy() for W in Ws], [b.grad.numpy()[:, None] for b in bs],
            [z.grad.numpy().T for z in zs])


@pytest.mark.parametrize("activations, loss", [
    (["sigmoid", "sigmoid", "sigmoid"], "quadratic"),
    (["tanh", "relu", "linear"], "quadratic"),
    (["relu", "tanh", "softmax"], "quadratic"),
    (["tanh", "sigmoid", "sigmoid"], "bce"),
    (["sigmoid", "relu", "softmax"], "cross_entropy"),
])
def test_gradients_and_deltas_equal_torch(activations, loss):
    net = NeuralNetwork([3, 5, 4, 3], activations, seed=1)
    x = rng.standard_normal((3, 7))
    y = np.eye(3)[:, rng.integers(0, 3, 7)] if loss != "quadratic" else rng.standard_normal((3, 7))
    z_s, a_s = net.feedforward(x)
    dw, db = net.backpropagation(y, z_s, a_s, loss)
    t_dw, t_db, t_deltas = _torch_gradients(net, x, y, loss)
    for mine, theirs in zip(dw + db + net.deltas, t_dw + t_db + t_deltas):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


def test_gradient_is_the_true_gradient_not_its_negative():
    net = NeuralNetwork([2, 3, 1], ["tanh", "linear"], seed=0)
    x, y = rng.standard_normal((2, 4)), rng.standard_normal((1, 4))
    z_s, a_s = net.feedforward(x)
    dw, _ = net.backpropagation(y, z_s, a_s)
    eps = 1e-6
    net.weights[1][0, 0] += eps
    up = backprop.cost(net.feedforward(x)[1][-1], y)
    net.weights[1][0, 0] -= 2 * eps
    down = backprop.cost(net.feedforward(x)[1][-1], y)
    assert dw[1][0, 0] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


def test_same_seed_gives_the_mlps_weights():
    net, mlp = NeuralNetwork([3, 4, 2], ["tanh", "sigmoid"], seed=5), MLP([3, 4, 2], ["tanh", "sigmoid"], seed=5)
    for w, b, W, B in zip(net.weights, net.biases, mlp.weights, mlp.biases):
        np.testing.assert_array_equal(w, W.data)
        np.testing.assert_array_equal(b.ravel(), B.data)
        assert b.shape == (W.shape[0], 1)


def test_sigmoid_is_finite_and_silent_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = activation("sigmoid")(np.array([-1000.0, 0.0, 1000.0]))
        d = activation_derivative("sigmoid")(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(d, [0.0, 0.0])


def test_relu_derivative_at_zero_is_zero_and_linear_derivative_is_an_array():
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(activation_derivative("relu")(z), [[0.0, 0.0, 1.0]])
    d = activation_derivative("linear")(z)
    assert isinstance(d, np.ndarray) and d.shape == z.shape and np.all(d == 1)


def test_unknown_activation_is_an_error_not_a_silent_linear_layer():
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        NeuralNetwork([2, 1], ["elu"])
    with pytest.raises(ValueError, match="known: sigmoid"):
        activation_derivative("elu")


def test_train_slices_batches_along_the_examples_axis():
    x, y = rng.standard_normal((2, 7)), rng.standard_normal((1, 7))
    a = NeuralNetwork([2, 3, 1], ["tanh", "linear"], seed=0)
    b = NeuralNetwork([2, 3, 1], ["tanh", "linear"], seed=0)
    a.train(x, y, batch_size=3, epochs=2, lr=0.1)
    for _ in range(2):
        for cols in (slice(0, 3), slice(3, 6), slice(6, 7)):    # the last batch is partial
            z_s, a_s = b.feedforward(x[:, cols])
            dw, db = b.backpropagation(y[:, cols], z_s, a_s)
            b.weights = [w - 0.1 * g for w, g in zip(b.weights, dw)]
            b.biases = [w - 0.1 * g for w, g in zip(b.biases, db)]
    for w, v in zip(a.weights, b.weights):
        np.testing.assert_allclose(w, v, rtol=1e-13)


def test_train_reduces_the_cost():
    x = rng.uniform(-1, 1, (1, 64))
    y = np.sin(2 * x)
    net = NeuralNetwork([1, 10, 1], ["tanh", "linear"], seed=0)
    history = net.train(x, y, batch_size=8, epochs=200, lr=0.05)
    assert history[-1] < 0.2 * history[0]


def test_from_weights_accepts_flat_or_column_biases_and_checks_shapes():
    w = [rng.standard_normal((3, 2)), rng.standard_normal((1, 3))]
    a = NeuralNetwork.from_weights(w, [np.zeros(3), np.zeros((1, 1))], ["tanh", "linear"])
    assert [b.shape for b in a.biases] == [(3, 1), (1, 1)]
    with pytest.raises(ValueError, match="W2"):
        NeuralNetwork.from_weights([w[0], rng.standard_normal((1, 2))], [np.zeros(3), np.zeros(1)],
                                   ["tanh", "linear"])


def test_feedforward_rejects_row_layout_input():
    net = NeuralNetwork([3, 1], ["linear"])
    with pytest.raises(ValueError, match=r"\(3, batch\).*\(5, 3\)"):
        net.feedforward(np.ones((5, 3)))


def _imports(module) -> set:
    tree = ast.parse(pathlib.Path(module.__file__).read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | \
        {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}


def test_closed_form_module_uses_numpy_only():
    """backprop.py and the architecture checks it shares with the MLP never touch the engine."""
    from microgradnn import architecture
    assert _imports(backprop) <= {"__future__", "typing", "numpy", "network.architecture"}, _imports(backprop)
    assert _imports(architecture) <= {"__future__", "typing", "math", "numpy"}, _imports(architecture)


def test_backpropagation_takes_sigma_prime_from_the_stored_activations():
    """BP1 and BP2 use σ′ written with aˡ (a(1 − a), 1 − a², ...), as Nielsen does: z_s is
    never evaluated again, so the gradients do not change when it is replaced by garbage."""
    net = NeuralNetwork([3, 4, 4, 2], ["sigmoid", "tanh", "sigmoid"], seed=2)
    x, y = rng.standard_normal((3, 5)), rng.random((2, 5))
    z_s, a_s = net.feedforward(x)
    dw, db = net.backpropagation(y, z_s, a_s)
    dw2, db2 = net.backpropagation(y, [np.full_like(z, np.nan) for z in z_s], a_s)
    for g, h in zip(dw + db, dw2 + db2):
        np.testing.assert_array_equal(g, h)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_derivative_from_activation_equals_the_derivative_from_z(name):
    z = np.array([[-3.0, -0.5, 0.0, 0.7, 4.0]])
    from_a = backprop.derivative_from_activation(name)(activation(name)(z))
    np.testing.assert_allclose(from_a, activation_derivative(name)(z), rtol=1e-15)
    torch = pytest.importorskip("torch")
    t = torch.tensor(z, requires_grad=True)
    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda v: v}
    fns[name](t).sum().backward()
    np.testing.assert_allclose(from_a, t.grad.numpy(), rtol=1e-12)


def test_sigmoid_equals_torch_to_the_last_bits_and_keeps_the_negative_tail():
    torch = pytest.importorskip("torch")
    z = np.array([-700.0, -40.0, -5.0, 0.0, 5.0, 40.0, 700.0])
    np.testing.assert_allclose(activation("sigmoid")(z), torch.sigmoid(torch.tensor(z)).numpy(),
                               rtol=1e-15, atol=0)
    tail = activation("sigmoid")(np.array([-740.0, -746.0]))     # σ(z) ≈ e^z down there
    assert tail[0] == pytest.approx(np.exp(-740.0), rel=1e-12) and tail[1] == 0.0


# --- without PyTorch: BP1–BP4 against central differences of the article's cost on its own numpy
# --- feedforward

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


# --- the cost and the training loop; from_weights: the sizes it reads, its shape errors ---

def test_closed_form_cost_is_each_losss_formula_with_0_ln_0_as_0():
    a = np.array([[0.2, 1.0, 0.5], [0.8, 0.0, 0.5]])
    y = np.array([[0.0, 1.0, 0.25], [1.0, 0.0, 0.75]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # 0·ln 0 needs no warning
        bce, ce = cost(a, y, "bce"), cost(a, y, "cross_entropy")
    safe = lambda t: np.log(np.where(t > 0, t, 1.0))         # ln t where it is used, 0 elsewhere
    assert bce == pytest.approx(-(y * safe(a) + (1 - y) * safe(1 - a)).sum() / 3, rel=1e-14)
    assert ce == pytest.approx(-(y * safe(a)).sum() / 3, rel=1e-14)
    assert cost(a, y) == pytest.approx(((a - y) ** 2).sum() / 6, rel=1e-14)
    with pytest.raises(ValueError, match="unknown loss 'hinge'; known: quadratic, bce, cross_entropy"):
        cost(a, y, "hinge")


def test_closed_form_training_defaults_are_batch_10_epochs_100_lr_0_01():
    r = np.random.default_rng(3)
    x, y = r.standard_normal((2, 25)), r.uniform(size=(1, 25))
    a, b = NeuralNetwork([2, 3, 1], seed=0), NeuralNetwork([2, 3, 1], seed=0)
    assert a.train(x, y) == b.train(x, y, batch_size=10, epochs=100, lr=0.01, loss="quadratic")
    assert len(a.train(x, y, epochs=0)) == 0


def test_closed_form_training_uses_and_reports_the_loss_it_is_given():
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.4]])
    y = np.array([[1.0, 0.0, 1.0]])
    net, twin = NeuralNetwork([2, 3, 1], seed=0), NeuralNetwork([2, 3, 1], seed=0)
    before = cost(twin.feedforward(x)[1][-1], y, "bce")
    history = net.train(x, y, batch_size=3, epochs=1, lr=0.5, loss="bce")
    assert history == [pytest.approx(before, rel=1e-14)]
    dw, db = twin.backpropagation(y, *twin.feedforward(x), "bce")
    np.testing.assert_allclose(net.weights[0], twin.weights[0] - 0.5 * dw[0], rtol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(batch_size=1), dict(epochs=0), dict(lr=1e-9)])
def test_closed_form_training_accepts_the_edges_of_its_ranges(kwargs):
    NeuralNetwork([2, 3, 1], seed=0).train(np.ones((2, 4)), np.ones((1, 4)), **{"epochs": 1, **kwargs})


@pytest.mark.parametrize("x, y, kwargs", [
    (np.ones((2, 4)), np.ones((1, 4)), dict(lr=0.0)),
    (np.ones((2, 4)), np.ones((1, 4)), dict(epochs=-1)),
    (np.ones(4), np.ones((1, 4)), {}),
    (np.ones((2, 4)), np.ones(4), {}),
    (np.ones((2, 4)), np.ones((1, 3)), {}),
])
def test_closed_form_training_refuses_bad_shapes_and_settings(x, y, kwargs):
    with pytest.raises(ValueError, match="^train: "):
        NeuralNetwork([2, 3, 1], seed=0).train(x, y, **kwargs)


# NeuralNetwork.from_weights: the layer sizes it reads off the weights, and its shape errors
# (from_weights mutants 6, 12, 17, 32, 33, 35, 48, 53, 59, 63, 64, 65).
def _w(*shape):
    return np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 10


def test_from_weights_reads_the_layer_sizes_off_the_weight_shapes():
    net = NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [_w(3), _w(1)], ["sigmoid", "sigmoid"])
    assert net.layers == [2, 3, 1]


@pytest.mark.parametrize("weights", [[], [np.ones(3)]])
def test_from_weights_refuses_an_empty_list_or_a_weight_that_is_not_2d(weights):
    with pytest.raises(ValueError, match=r"from_weights: expected a non-empty list of 2-D"):
        NeuralNetwork.from_weights(weights, [np.ones(1)] * len(weights), ["sigmoid"] * len(weights))


def test_from_weights_names_the_outputs_a_weight_matrix_must_take():
    with pytest.raises(ValueError, match=r"W2 has shape \(1, 4\), it must take the 3 outputs of W1"):
        NeuralNetwork.from_weights([_w(3, 2), _w(1, 4)], [_w(3), _w(1)], ["sigmoid", "sigmoid"])


def test_from_weights_counts_weights_against_biases():
    with pytest.raises(ValueError, match=r"from_weights: 2 weight matrices but 1 bias vectors"):
        NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [_w(3)], ["sigmoid", "sigmoid"])


@pytest.mark.parametrize("b1", [np.ones(2), np.ones((3, 1, 1))])
def test_from_weights_refuses_a_bias_of_the_wrong_size_or_rank_naming_layer_1(b1):
    with pytest.raises(ValueError, match=r"from_weights: b1 has shape \(.*\), W1 has 3 outputs"):
        NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [b1, _w(1)], ["sigmoid", "sigmoid"])


def test_an_unknown_activation_is_refused_naming_every_known_one():
    from microgradnn.backprop import activation
    with pytest.raises(ValueError) as info:
        activation("swish")
    assert str(info.value) == "unknown activation 'swish'; known: sigmoid, tanh, relu, linear, softmax"


def test_a_network_from_weights_has_no_deltas_before_backpropagation():
    # as a new network: an empty list, filled by backpropagation (from_weights mutant 74)
    net = NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [_w(3), _w(1)], ["sigmoid", "sigmoid"])
    assert net.deltas == [] and NeuralNetwork([2, 3, 1], ["sigmoid", "sigmoid"]).deltas == []
