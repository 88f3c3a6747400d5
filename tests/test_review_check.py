"""gradcheck and the cross-checks refuse tolerances that make their verdict meaningless (review
of issue 12: a derivative is never silently wrong — nor a check silently unable to fail)."""
import numpy as np
import pytest

from microgradnn.check import crosscheck, crosscheck_gradients, gradcheck
from microgradnn.nn import MLP

BAD = [-1.0, -1e-12, float("nan"), float("inf"), "1e-6", None, True]
IDS = ["negative", "tiny negative", "nan", "inf", "a string", "None", "True"]


def _net_batch():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x = np.random.default_rng(1).normal(size=(4, 2))
    return net, x, np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", BAD, ids=IDS)
def test_gradcheck_refuses_a_tolerance_that_is_not_a_finite_number_at_least_0(name, value):
    with pytest.raises(ValueError, match=f"gradcheck: {name} must be a finite number ≥ 0"):
        gradcheck(lambda a: (a * a).sum(), [1.0, 2.0], **{name: value})


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", BAD, ids=IDS)
def test_crosscheck_refuses_a_tolerance_that_is_not_a_finite_number_at_least_0(name, value):
    net, x, y = _net_batch()
    with pytest.raises(ValueError, match=f"crosscheck: {name} must be a finite number ≥ 0"):
        crosscheck(net, x, y, loss="bce", **{name: value})


@pytest.mark.parametrize("value", BAD, ids=IDS)
def test_crosscheck_gradients_refuses_a_bad_tolerance(value):
    net, x, y = _net_batch()
    dw = [np.zeros(W.shape) for W in net.weights]
    db = [np.zeros(b.shape) for b in net.biases]
    with pytest.raises(ValueError, match="crosscheck_gradients: rtol must be a finite number"):
        crosscheck_gradients(net, x, y, dw, db, layout="rows", rtol=value)


@pytest.mark.parametrize("eps", [float("inf"), float("nan"), -1e-6, 0, True], ids=str)
def test_gradcheck_refuses_a_step_that_is_not_a_positive_finite_number(eps):
    with pytest.raises(ValueError, match="gradcheck: eps must be positive"):
        gradcheck(lambda a: (a * a).sum(), [1.0, 2.0], eps=eps)


def test_zero_tolerances_are_an_exact_check_and_allowed():
    net, x, y = _net_batch()
    assert crosscheck(net, x, y, loss="bce", rtol=0, atol=0).rows    # a verdict, not an error
    assert gradcheck(lambda a: a * 2.0, [1.0], rtol=0.0, atol=1e-6, eps=0.5).ok


@pytest.mark.parametrize("shape", [(1,), (1, 1), (1, 1, 1)], ids=str)
def test_gradcheck_takes_a_one_element_output_of_any_shape(shape):
    # d/da of (3a) reshaped to one element: 3, whatever the output's shape.
    result = gradcheck(lambda a: (a * 3.0).reshape(shape), [2.0])
    assert result.ok, result
    assert "autodiff 3, numeric 3" in str(result)


def test_gradcheck_finds_a_wrong_derivative_of_a_one_element_output():
    from microgradnn import Value

    def wrong(a):          # forward 3a, but the derivative is taken from a detached copy
        return Value(a.data * 3.0) + a * 0.0
    assert not gradcheck(wrong, [2.0]).ok
