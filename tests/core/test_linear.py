"""A dense layer's zˡ = x Wᵀ + b as one node (``x.linear(W, b)``, op "affine").

Checked against a forward written here in plain numpy (values) and central differences of that
numpy forward (gradients), then against PyTorch where it is installed. (Each cost is one node
too: tests/network/test_losses.py.)
"""
import numpy as np
import pytest

from microgradnn import MLP, Value, detect_anomaly, gradients, no_grad
from microgradnn.engine import walk
from oracles import central_differences

rng = np.random.default_rng(7)
X, W, B = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
G = rng.standard_normal((4, 2))                       # an upstream gradient ∂L/∂z


def np_affine(x, w, b):
    return x @ w.T + b


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


def test_bias_gradient_as_ones_product_keeps_nan_and_inf_where_the_sum_has_them():
    from microgradnn.core.numeric import unbroadcast
    g = np.array([[1.0, np.inf, np.inf, np.nan, 2.0],
                  [3.0, 1.0, -np.inf, 0.0, -2.0]])
    with np.errstate(invalid="ignore"):     # inf − inf, as np.sum says too
        got = unbroadcast(g, np.zeros(5))
    np.testing.assert_array_equal(got, np.array([4.0, np.inf, np.nan, np.nan, 0.0]))
    assert got.shape == (5,)


# --- the node in every mode: under no_grad() or detect_anomaly() the same x Wᵀ; the walk, zero_grad
# --- and references see its three inputs ---

# Value.linear records its node directly; under no_grad() or detect_anomaly() it goes through
# the op's own forward, which must compute the same x Wᵀ (tools/mutation/mutate_ops.py: linear's
# forward, @ → ×).
@pytest.mark.parametrize("mode", ["no_grad", "detect_anomaly"])
def test_linear_in_a_slow_mode_is_x_times_w_transposed(mode):
    import microgradnn.anomaly
    import microgradnn.engine
    context = getattr(microgradnn.engine, mode, None) or getattr(microgradnn.anomaly, mode)
    x, w = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])
    with context():
        out = Value(x).linear(Value(w))
    np.testing.assert_array_equal(out.data, [[17.0, 23.0], [39.0, 53.0]])   # x @ w.T by hand


# A dense layer's x Wᵀ + b is one node with a third parent (engine._Ternary): the graph walk and
# zero_grad see the bias (walk mutants 7 and 8 skipped it); under no_grad() the node keeps none of
# its inputs, recorded it keeps all three.
def test_walk_of_an_affine_node_lists_x_w_b_then_the_node():
    x, w, b = Value(np.ones((1, 2))), Value(np.ones((3, 2))), Value(np.zeros(3))
    z = x.linear(w, b)
    assert walk(z) == [x, w, b, z]


def test_zero_grad_of_an_affine_node_resets_the_bias_gradient():
    x, w, b = Value(np.ones((1, 2))), Value(np.ones((3, 2))), Value(np.zeros(3))
    z = x.linear(w, b)
    z.backward(np.ones((1, 3)))
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])     # Σ rows of the seed (BP3)
    z.zero_grad()
    np.testing.assert_array_equal(b.grad, np.zeros(3))


@pytest.mark.parametrize("bias", [False, True], ids=["linear", "affine"])
def test_a_layer_node_under_no_grad_keeps_no_reference_to_its_inputs(bias):
    import gc
    import weakref
    from microgradnn import no_grad
    x, w, b = Value(np.ones((1, 2))), Value(np.ones((3, 2))), Value(np.zeros(3))
    refs = [weakref.ref(v) for v in (x, w, b)]
    gc.disable()       # freed by reference counting alone, as a graph without history must be
    try:
        with no_grad():
            z = x.linear(w, b if bias else None)
        del x, w, b
        assert [r() for r in refs] == [None, None, None]
        np.testing.assert_array_equal(z.data, [[2.0, 2.0, 2.0]])
    finally:
        gc.enable()


def test_a_recorded_affine_node_keeps_its_three_inputs_alive():
    import weakref
    x, w, b = Value(np.ones((1, 2))), Value(np.ones((3, 2))), Value(np.zeros(3))
    refs = [weakref.ref(v) for v in (x, w, b)]
    z = x.linear(w, b)
    del x, w, b
    assert z.parents == tuple(r() for r in refs) and None not in z.parents
