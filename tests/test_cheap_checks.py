"""The input checks of the training step still catch every NaN and inf, made cheaper.

quadratic checks its targets through the loss itself (a finite C means finite targets) and looks
at them one by one only when C is not finite. These tests pin both halves: every non-finite
value is still refused with the same message, and finite values whose cost overflows are still
accepted; and the same for the network's input.
"""
import numpy as np
import pytest

from microgradnn import MLP, Value
from microgradnn.losses import quadratic


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


def test_bias_gradient_as_ones_product_keeps_nan_and_inf_where_the_sum_has_them():
    from microgradnn.core.numeric import unbroadcast
    g = np.array([[1.0, np.inf, np.inf, np.nan, 2.0],
                  [3.0, 1.0, -np.inf, 0.0, -2.0]])
    with np.errstate(invalid="ignore"):     # inf − inf, as np.sum says too
        got = unbroadcast(g, np.zeros(5))
    np.testing.assert_array_equal(got, np.array([4.0, np.inf, np.nan, np.nan, 0.0]))
    assert got.shape == (5,)
