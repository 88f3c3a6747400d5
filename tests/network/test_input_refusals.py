"""What an MLP, fit, predict and the losses are given is numbers, or refused as Value() refuses
it: a complex array is never cut to its real part, a string never parsed — a TypeError naming the
dtype, and no numpy warning on the way. A network pickles after a forward pass (without it)."""
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from microgradnn import MLP, Value
from microgradnn.losses import binary_cross_entropy, quadratic, softmax_cross_entropy
from microgradnn.training import fit, predict

NOT_NUMBERS = [
    (np.ones((2, 2)) * (1 + 1j), "complex128"),
    (np.ones((2, 2), dtype=np.complex64), "complex64"),
    ([["1.5", "2"], ["0", "1"]], "<U3"),
    (np.array([[b"1", b"2"], [b"3", b"4"]]), "|S1"),
    (np.array([[1, None], [2, 3]], dtype=object), "object"),
]


def refused(call, what, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # no ComplexWarning on the way
        with pytest.raises(TypeError, match=rf"{what}: expected numbers, got an array of dtype "
                                            rf"{dtype} \(allowed: bool, int, float\)"):
            call()


def test_value_refuses_what_the_network_refuses_with_the_same_words():
    for data, dtype in NOT_NUMBERS:
        refused(lambda: Value(data), "Value", dtype)


@pytest.mark.parametrize("data, dtype", NOT_NUMBERS)
def test_an_mlp_refuses_an_input_that_is_not_real_numbers(data, dtype):
    refused(lambda: MLP([2, 3, 1], ["tanh", "sigmoid"])(data), "MLP input", dtype)


@pytest.mark.parametrize("data, dtype", NOT_NUMBERS)
def test_fit_and_predict_refuse_data_that_is_not_real_numbers(data, dtype):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"])
    refused(lambda: fit(net, data, np.ones(2), progress=False), "fit: x", dtype)
    refused(lambda: fit(net, np.ones((2, 2)), np.asarray(data)[:, 0], progress=False),
            "fit: y", dtype)
    refused(lambda: predict(net, data), "predict: x", dtype)


@pytest.mark.parametrize("data, dtype", NOT_NUMBERS)
def test_the_losses_refuse_targets_that_are_not_real_numbers(data, dtype):
    out = Value(np.zeros((2, 2)))
    refused(lambda: quadratic(out, data), "quadratic targets", dtype)
    refused(lambda: binary_cross_entropy(out, data), "binary_cross_entropy targets", dtype)
    refused(lambda: softmax_cross_entropy(out, data), "softmax_cross_entropy targets", dtype)


def test_scalar_mode_targets_are_refused_too():
    out = MLP([2, 3, 1], ["tanh", "sigmoid"]).scalar_forward([0.5, 1.0])
    refused(lambda: quadratic(out, [1j]), "quadratic targets", "complex128")


@given(st.lists(st.lists(st.one_of(st.integers(-5, 5), st.booleans(),
                                   st.floats(-5, 5)), min_size=2, max_size=2),
                min_size=1, max_size=4))
def test_bool_int_and_float_inputs_give_the_output_of_their_float64_values(rows):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    got = net(rows).data
    assert np.array_equal(got, net(np.array(rows, dtype=np.float64)).data)


# --- pickling ---------------------------------------------------------------------------------

def test_a_network_pickles_after_a_forward_and_backward_pass_without_that_pass():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x = np.array([[0.5, -1.0], [1.0, 2.0]])
    net(x).sum().backward()
    copy = pickle.loads(pickle.dumps(net))
    assert copy.nodes == {} and net.nodes                     # the original keeps its pass
    assert np.array_equal(copy(x).data, net(x).data)
    assert np.array_equal(copy.weights[0].grad, net.weights[0].grad)


def test_a_pickled_network_trains_like_the_original():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([1.0, 0.0])
    net(x)
    copy = pickle.loads(pickle.dumps(net))
    fit(net, x, y, epochs=3, progress=False, seed=0)
    fit(copy, x, y, epochs=3, progress=False, seed=0)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(net.parameters(),
                                                              copy.parameters()))


def test_a_network_pickles_after_a_scalar_mode_pass():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.scalar_forward([0.5, -1.0])[0].backward()
    copy = pickle.loads(pickle.dumps(net))
    assert copy.scalar_params == {}
    assert copy.scalar_forward([0.5, -1.0])[0].data == net.scalar_forward([0.5, -1.0])[0].data


def test_a_network_whose_gradients_are_graphs_is_refused_pointing_to_save():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net(np.ones((1, 2))).sum().backward(create_graph=True)
    with pytest.raises(TypeError, match=r"W1's gradient is itself a graph .*net\.save\(path\)"):
        pickle.dumps(net)
