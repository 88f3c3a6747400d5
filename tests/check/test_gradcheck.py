"""gradcheck: passes on correct autodiff, and on a wrong gradient names input, index and values."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import Value
from microgradnn.check import GradcheckResult, gradcheck
from microgradnn.nn import MLP


def test_passes_for_a_tensor_composition_with_broadcasting():
    r = np.random.default_rng(0)
    result = gradcheck(lambda a, b: ((a @ b).tanh() + b.sum(axis=0)).sigmoid(),
                       r.standard_normal((3, 4)), r.standard_normal((4, 2)))
    assert result.ok, result


def test_passes_for_scalars():
    assert gradcheck(lambda a, b: (a * b).exp() / (a + 3.0), 0.3, -1.2)


def test_passes_for_an_mlp_as_a_function_of_its_input():
    net = MLP([3, 4, 2], ["tanh", "softmax"], seed=0)
    assert gradcheck(lambda x: net(x), np.random.default_rng(1).standard_normal((2, 3)))



def test_failure_names_input_worst_element_values_and_relative_error():
    mask = np.zeros((2, 3))
    mask[1, 2] = 1.0

    def f(a, b):
        # b·a where the [1, 2] element also adds a constant copy of a² (no gradient flows
        # through the copy, so autodiff misses 2a there)
        hidden = Value(a.data ** 2, requires_grad=False)
        return (a * b + hidden * mask).sum()

    a = Value(np.full((2, 3), 2.0), label="weights")
    result = gradcheck(f, a, np.ones((2, 3)))
    assert not result.ok and not result
    text = str(result)
    assert "weights: MISMATCH" in text and "element (1, 2)" in text
    assert "autodiff 1," in text and "numeric 5" in text and "relative error 0.8" in text
    assert "input 1: ok" in text


def test_the_worst_element_is_the_one_closest_to_failing_not_one_where_both_are_zero():
    # f = Σ relu(v)·c: elements with v < 0 have gradient 0 on both sides; the element with the
    # largest |autodiff − numeric| / (atol + rtol·|numeric|) is the one nearest the relu's kink,
    # where the central difference straddles 0 (numeric c/2·(1 + v/eps) vs autodiff c).
    v = np.array([-1.0, 2.0, 3e-7, -2.0])
    result = gradcheck(lambda a: (a.relu() * 3.0).sum(), v, eps=1e-6)
    assert not result.ok
    assert "element (2,)" in str(result)
    numeric = 3.0 * (3e-7 + 1e-6) / 2e-6                   # by hand: (f(v+ε) − f(v−ε)) / 2ε
    assert f"numeric {numeric:.6g}"[:14] in str(result)


def test_a_passing_input_names_the_element_nearest_the_tolerance_not_a_zero_one():
    # relu(v).tanh(): at v = -1 and -2 both gradients are exactly 0; at 0.5 the finite
    # difference carries a little rounding error, so that element is the closest to failing
    result = gradcheck(lambda a: a.relu().tanh().sum(), np.array([-1.0, 0.5, -2.0]))
    assert result.ok
    assert "worst at element (1,)" in str(result) and "relative error 0," not in str(result)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=1, max_size=6))
def test_passes_for_random_vectors(values):
    x = np.array(values)
    assert gradcheck(lambda v: (v.tanh() * v + (v * v + 1.0).log()).sum(), x).ok


def test_rejects_no_inputs_and_bad_eps():
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(ValueError, match="eps must be positive"):
        gradcheck(lambda a: a, 1.0, eps=0.0)


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


# --- its report, word for word; the criterion at the tolerance, 0/0, x/0 and nan ---

def test_a_gradcheck_result_prints_its_verdict_then_one_line_per_input():
    assert str(GradcheckResult(True, ["  a: ok", "  b: ok"])) == "gradcheck: OK\n  a: ok\n  b: ok"
    assert str(GradcheckResult(False, [])) == "gradcheck: FAILED"


def test_gradcheck_says_when_f_returns_no_value():
    with pytest.raises(TypeError, match=r"^gradcheck: f must return a Value, got float$"):
        gradcheck(lambda a: 3.0, 1.0)
    with pytest.raises(ValueError, match=r"^gradcheck: give at least one input$"):
        gradcheck(lambda: Value(1.0))


# gradcheck's report: one line per input, an empty input says so and the next is still checked,
# a scalar's worst element is "the scalar", and the relative error is |a − n| / max(|a|, |n|)
# however small both are (gradcheck mutants 140, 141, 175, 185).
def test_gradcheck_reports_an_empty_input_and_still_checks_the_next():
    result = gradcheck(lambda e, x: x * x + e.sum(), np.zeros(0), 2.0)
    assert len(result.lines) == 2 and "empty" in result.lines[0]
    assert "worst at the scalar" in result.lines[1] and "ok" in str(result)


def test_gradcheck_relative_error_is_relative_even_for_small_slopes():
    # relu at its kink: autodiff says 0, central differences 0.5; times 0.01 both are small
    result = gradcheck(lambda x: x.relu() * 0.01, 0.0)
    assert not result and "relative error 1," in result.lines[0]


def _kinked(x):
    # relu(x) − x/2 at 0: autodiff −1/2 (relu′(0) = 0); central differences exactly 0
    return x.relu() - x * 0.5


def test_gradcheck_passes_an_error_exactly_at_the_tolerance():
    result = gradcheck(_kinked, 0.0, atol=0.5)         # |−0.5 − 0| = 0.5 ≤ 0.5 + rtol·0
    assert result.ok and result.lines[0].endswith("1× the tolerance")


def test_gradcheck_counts_a_zero_error_against_a_zero_tolerance_as_a_pass_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(lambda x: x.abs(), 0.0, atol=0.0)   # both slopes exactly 0
    assert result.ok and result.lines[0].endswith("0× the tolerance")


def test_gradcheck_counts_an_error_against_a_zero_tolerance_as_infinite_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(_kinked, 0.0, atol=0.0)
    assert not result.ok and result.lines[0].endswith("inf× the tolerance")


def test_gradcheck_reports_a_nan_slope_as_infinitely_past_the_tolerance():
    # √x at 0: autodiff inf, central differences nan (√ of −ε)
    result = gradcheck(lambda x: x.sqrt(), 0.0)
    assert not result.ok and result.lines[0].endswith("inf× the tolerance")
