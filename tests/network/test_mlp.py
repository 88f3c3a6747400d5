"""The MLP on the Value graph: construction, forward pass, named nodes, scalar mode, the checks of
its input."""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.losses import quadratic
from microgradnn.nn import MLP


def test_parameters_are_W_b_pairs_with_article_shapes_and_labels():
    net = MLP([3, 5, 2], ["tanh", "sigmoid"], seed=0)
    params = net.parameters()
    assert [p.label for p in params] == ["W1", "b1", "W2", "b2"]
    assert [p.shape for p in params] == [(5, 3), (5,), (2, 5), (2,)]
    assert net.layers == [3, 5, 2] and net.activations == ["tanh", "sigmoid"]


def test_forward_matches_numpy_rows_layout():
    net = MLP([3, 4, 2], ["relu", "sigmoid"], seed=1)
    x = np.random.default_rng(0).standard_normal((6, 3))
    W1, b1, W2, b2 = (p.data for p in net.parameters())
    h = np.maximum(x @ W1.T + b1, 0)
    expected = 1 / (1 + np.exp(-(h @ W2.T + b2)))
    np.testing.assert_allclose(net(x).data, expected, rtol=1e-12)


def test_nodes_named_z_and_a_per_layer_and_delta_is_z_grad():
    net = MLP([2, 3, 1], ["tanh", "linear"], seed=0)
    x = np.array([[0.3, -0.2]])
    loss = quadratic(net(x), [[1.0]])
    loss.backward()
    assert net.nodes["x"].label == "x" and net.nodes["z1"].label == "z1"
    assert net.nodes["a1"].label == "a1"
    # linear output: a2 is z2 itself, and for C = ½(a − y)², δ² = a − y
    assert net.nodes["a2"] is net.nodes["z2"]
    np.testing.assert_allclose(net.nodes["z2"].grad, net.nodes["a2"].data - 1.0)


def test_same_seed_same_weights_different_seed_different_weights():
    a, b, c = MLP([2, 4, 1], ["tanh", "tanh"], seed=3), MLP([2, 4, 1], ["tanh", "tanh"], seed=3), \
        MLP([2, 4, 1], ["tanh", "tanh"], seed=4)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.weights[0].data, c.weights[0].data)


@pytest.mark.parametrize("init, std", [("xavier", np.sqrt(2 / (400 + 300))), ("he", np.sqrt(2 / 400))])
def test_init_scales_weights_and_zeroes_biases(init, std):
    net = MLP([400, 300, 1], ["relu", "linear"], seed=0, init=init)
    assert abs(net.weights[0].data.std() / std - 1) < 0.02
    assert not net.biases[0].data.any()


def test_normal_init_is_standard_normal():
    net = MLP([400, 300, 1], ["relu", "linear"], seed=0)
    assert abs(net.weights[0].data.std() - 1) < 0.02 and net.biases[0].data.any()


def test_one_dimensional_input_is_a_batch_of_one():
    net = MLP([2, 3, 2], ["tanh", "softmax"], seed=0)
    np.testing.assert_array_equal(net([0.1, 0.2]).data, net([[0.1, 0.2]]).data)
    assert net([0.1, 0.2]).shape == (1, 2)


def test_softmax_output_rows_sum_to_one():
    net = MLP([2, 3, 4], ["relu", "softmax"], seed=0)
    np.testing.assert_allclose(net(np.ones((5, 2))).data.sum(axis=1), 1.0)


def test_value_input_receives_gradient():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x = Value(np.array([[0.5, -0.5]]))
    net(x).sum().backward()
    assert x.grad.shape == (1, 2) and np.any(x.grad != 0)


@pytest.mark.parametrize("layers, activations, match", [
    ([2, 3, 1], ["tanh"], "need 2 activations"),
    ([2, 3, 1], ["tanh", "swish"], "unknown activation 'swish'.*sigmoid, tanh, relu, linear, softmax"),
    ([2, 3, 1], ["softmax", "sigmoid"], "output layer only"),
    ([2, 0, 1], ["tanh", "tanh"], "positive integers"),
    ([2], [], "at least"),
])
def test_bad_architecture_is_a_value_error(layers, activations, match):
    with pytest.raises(ValueError, match=match):
        MLP(layers, activations)


def test_unknown_init_lists_the_known_ones():
    with pytest.raises(ValueError, match="normal, xavier, he"):
        MLP([2, 1], ["linear"], init="uniform")


def test_wrong_input_width_names_expected_and_given_shapes():
    net = MLP([3, 2], ["linear"])
    with pytest.raises(ValueError, match=r"\(batch, 3\).*\(4, 2\)"):
        net(np.ones((4, 2)))


def test_scalar_forward_equals_tensor_forward_and_gradients():
    net = MLP([2, 3, 2], ["tanh", "softmax"], seed=2)
    x = [0.4, -1.3]
    outs = net.scalar_forward(x)
    np.testing.assert_allclose([o.data for o in outs], net([x]).data[0], rtol=1e-12)
    loss = quadratic(outs, [1.0, 0.0])
    loss.backward()
    scalar_grads = {name: p.grad for name, p in net.scalar_params.items()}
    for p in net.parameters():
        p.grad = None
    tensor_loss = quadratic(net([x]), [[1.0, 0.0]])
    tensor_loss.backward()
    W2 = net.weights[1]
    for j in range(2):
        for k in range(3):
            assert scalar_grads[f"W2[{j},{k}]"] == pytest.approx(W2.grad[j, k], rel=1e-10)


def test_scalar_mode_labels_every_number():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    outs = net([Value(0.5, label="x[0]"), Value(1.0, label="x[1]")])
    assert outs[0].label == "a2[0]" and net.nodes["z1"][2].label == "z1[2]"
    assert set(net.scalar_params) == {f"W1[{j},{k}]" for j in range(3) for k in range(2)} | \
        {f"b1[{j}]" for j in range(3)} | {"W2[0,0]", "W2[0,1]", "W2[0,2]", "b2[0]"}


def test_values_of_the_last_pass_are_reachable_by_name():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    out = net(np.array([[0.5, -1.0]]))
    assert net["a2"] is out and net["z1"] is net.nodes["z1"]
    with pytest.raises(KeyError, match="no value named 'z9'.*known: x, z1, a1, z2, a2"):
        net["z9"]


def test_a_float64_input_array_is_used_without_a_copy():
    """As the docstring says: the input node holds the caller's array itself."""
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    net(x)
    assert net.nodes["x"].data is x


def test_scalar_mode_weights_persist_from_one_pass_to_the_next():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.scalar_forward([0.5, -1.0])
    first = dict(net.scalar_params)
    net.scalar_forward([0.1, 0.2])
    assert all(net.scalar_params[name] is p for name, p in first.items())


def test_scalar_mode_gradients_land_in_the_tensor_gradients():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    (net.scalar_forward([0.5, -1.0])[0]).backward()
    for l, (W, b) in enumerate(zip(net.weights, net.biases), 1):
        for (j, k), g in np.ndenumerate(W.grad):
            assert net.scalar_params[f"W{l}[{j},{k}]"].grad == g
        for (j,), g in np.ndenumerate(b.grad):
            assert net.scalar_params[f"b{l}[{j}]"].grad == g


def _tensor_oracle_step(seed, x, target, lr):
    """One SGD step of the quadratic loss in tensor mode: the weights it leads to."""
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=seed)
    quadratic(net([x]), [[target]]).backward()
    return [p.data - lr * p.grad for p in net.parameters()]


def test_a_micrograd_style_loop_over_the_scalar_weights_trains_the_network():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    quadratic(net.scalar_forward([0.5, -1.0]), [1.0]).backward()
    for p in net.scalar_params.values():
        p.data -= 0.5 * p.grad
    for got, expected in zip(net.parameters(), _tensor_oracle_step(0, [0.5, -1.0], 1.0, 0.5)):
        np.testing.assert_allclose(got.data, expected, rtol=1e-12)


def test_a_loop_over_parameters_after_a_scalar_backward_trains_the_network():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    quadratic(net.scalar_forward([0.5, -1.0]), [1.0]).backward()
    for p in net.parameters():
        p.data -= 0.5 * p.grad
    for got, expected in zip(net.parameters(), _tensor_oracle_step(0, [0.5, -1.0], 1.0, 0.5)):
        np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    # and the next scalar pass reads the stepped weights
    assert net.scalar_forward([0.5, -1.0])[0].data == pytest.approx(
        net([[0.5, -1.0]]).data[0, 0], rel=1e-12)


def test_scalar_mode_zeroing_a_weights_grad_zeroes_its_tensor_entry_only():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.scalar_forward([0.5, -1.0])[0].backward()
    before = net.weights[0].grad.copy()
    net.scalar_params["W1[1,0]"].grad = 0
    assert net.weights[0].grad[1, 0] == 0.0
    before[1, 0] = 0.0
    np.testing.assert_array_equal(net.weights[0].grad, before)


def test_scalar_mode_follows_a_replaced_parameter_tensor():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.scalar_forward([0.5, -1.0])
    net.weights[0] = Value(np.zeros((3, 2)), label="W1")
    net.scalar_forward([0.5, -1.0])
    assert net.scalar_params["W1[2,1]"].data == 0.0


def test_micrograds_mlp_signature_points_to_the_micrograd_layer():
    with pytest.raises(TypeError, match=r"microgradnn.micrograd.nn.MLP\(2, \[16, 16, 1\]\)"):
        MLP(2, [16, 16, 1])


# --- the input is checked: every NaN and inf refused, huge finite numbers accepted ---

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (3, 1)])
def test_mlp_refuses_any_non_finite_input(bad, where):
    x = np.zeros((4, 2))
    x[where] = bad
    with pytest.raises(ValueError, match=r"MLP: the input contains NaN or inf \(shape \(4, 2\)\)"):
        MLP([2, 3, 1], ["tanh", "sigmoid"])(x)


def test_mlp_refuses_inf_and_minus_inf_that_would_sum_to_nan():
    x = np.array([[np.inf, -np.inf]])
    with pytest.raises(ValueError, match="NaN or inf"):
        MLP([2, 3, 1], ["tanh", "sigmoid"])(x)


def test_mlp_accepts_huge_finite_input():
    x = np.full((3, 2), 1e308)              # its sum would overflow; every element is finite
    with np.errstate(over="ignore"):
        out = MLP([2, 3, 1], ["tanh", "sigmoid"])(x)
    assert out.shape == (3, 1)
