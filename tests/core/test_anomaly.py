"""Anomaly mode: the first NaN/inf, forward or backward, raises naming op, shapes, line and cause.

Each test computes the line number of the offending expression (``_next_line()``) and checks
that the error names this file at that line: the oracle is the test's own source position.
"""
import math
import sys

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly, no_grad
from microgradnn import engine
from microgradnn.anomaly import creation_site


# The ops themselves may warn (divide by zero ...); what we test is the anomaly error.
pytestmark = pytest.mark.usefixtures("quiet_numpy")


def _next_line() -> int:
    """The line number just after the caller's line."""
    return sys._getframe(1).f_lineno + 1


def _site(line: int) -> str:
    return f"{__file__}:{line}"


# --- off by default, cheap and invisible ---

def test_anomaly_mode_is_off_by_default_and_nan_passes_silently():
    assert (engine.modes.grad_enabled, engine.modes.hook)[1] is None
    y = Value(0.0).log()
    assert y.data == -math.inf


def test_results_and_gradients_are_identical_with_anomaly_mode_on():
    def run():
        x = Value(np.array([0.3, 1.7, 2.2]))
        s = Value(0.8)
        y = ((x * s).exp().log() / (x + 1.0) ** 1.5 + x.softmax() * s.tanh()).sum()
        y.backward()
        return y.data, x.grad.copy(), s.grad
    off = run()
    with detect_anomaly():
        on = run()
    assert off[0] == on[0] and off[2] == on[2]
    np.testing.assert_array_equal(off[1], on[1])


def test_leaving_the_block_restores_the_previous_modes_even_after_an_error():
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            Value(0.0).log()
    assert (engine.modes.grad_enabled, engine.modes.hook) == (True, None)


def test_nested_blocks_and_no_grad_inside_keep_anomaly_mode_on():
    with detect_anomaly():
        with detect_anomaly():
            pass
        assert (engine.modes.grad_enabled, engine.modes.hook)[1] is not None   # the inner block restored the outer one
        with no_grad():
            with pytest.raises(FloatingPointError, match="log"):
                Value(0.0).log()
        assert (engine.modes.grad_enabled, engine.modes.hook)[0]
    assert (engine.modes.grad_enabled, engine.modes.hook)[1] is None


def test_a_nan_carried_in_from_the_data_does_not_blame_the_op_that_carries_it():
    with detect_anomaly():
        y = Value(np.array([np.nan, 1.0])) * 2.0
    assert np.isnan(y.data[0])


# --- the creation site ---

def test_creation_site_is_the_users_line_even_for_composite_ops():
    x = Value(np.array([1.0, 2.0]))
    with detect_anomaly():
        line = _next_line()
        y = x.softmax()                              # built from several primitives in engine.py
    assert creation_site(y) == _site(line)


def test_creation_site_is_none_outside_anomaly_mode():
    assert creation_site(Value(1.0) + 1.0) is None


# --- forward: each cause, on scalars and tensors ---

def test_log_of_zero_is_caught_on_a_scalar_naming_line_and_cause():
    x = Value(0.0)
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        x.log()
    msg = str(err.value)
    assert msg.startswith("log produced -inf in the forward pass")
    assert _site(line) in msg and "input shape(s): scalar" in msg
    assert "log of 0" in msg and "log_softmax" in msg


def test_log_of_negative_numbers_is_caught_on_a_tensor_with_the_count():
    x = Value(np.array([1.0, -2.0, -3.0]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        (x * 1.0).log()
    msg = str(err.value)
    assert "log produced 2 nan (of 3 elements)" in msg and _site(line) in msg
    assert "(3,)" in msg and "log of a negative number is nan (2 element(s) < 0)" in msg


def test_division_by_zero_is_caught_with_an_ndarray_on_the_left():
    d = Value(np.array([[1.0, 0.0], [2.0, 4.0]]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        np.ones((2, 2)) / d
    msg = str(err.value)
    assert msg.startswith("div produced 1 inf") and _site(line) in msg
    assert "input shape(s): (2, 2) and (2, 2)" in msg and "division by 0" in msg


def test_division_by_zero_is_caught_on_scalars():
    a, b = Value(0.0), Value(0.0)
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        a / b
    msg = str(err.value)
    assert msg.startswith("div produced nan") and _site(line) in msg and "division by 0" in msg


def test_exp_overflow_is_caught_and_suggests_the_stable_functions():
    x = Value(np.array([1.0, 800.0]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        x.exp()
    msg = str(err.value)
    assert msg.startswith("exp produced 1 inf") and _site(line) in msg
    assert "exp overflow" in msg and "softmax" in msg and "logits" in msg


def test_exp_overflow_is_caught_on_a_scalar():
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        Value(1000.0).exp()
    assert _site(line) in str(err.value) and "exp overflow" in str(err.value)


def test_negative_base_to_a_fractional_power_is_caught_in_the_forward_pass():
    x = Value(np.array([4.0, -4.0]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        x ** 0.5
    msg = str(err.value)
    assert msg.startswith("pow produced 1 nan") and _site(line) in msg
    assert "negative base to a non-integer power" in msg


def test_multiplication_overflow_is_named_as_an_overflow():
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        Value(1e200) * Value(1e200)
    msg = str(err.value)
    assert msg.startswith("mul produced inf") and _site(line) in msg and "overflow" in msg


def test_the_first_bad_op_is_blamed_not_the_ones_after_it():
    x = Value(np.array([0.0, 1.0]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        line = _next_line()
        y = x.log()
        (y * 2.0 + 1.0).sum()
    assert str(err.value).startswith("log") and _site(line) in str(err.value)


# --- backward: each cause, on scalars and tensors ---

def test_negative_base_to_a_value_power_is_caught_in_backward_on_scalars():
    base, expo = Value(-2.0), Value(2.0)
    with detect_anomaly():
        line = _next_line()
        y = base ** expo                             # 4.0: the forward pass is fine
        with pytest.raises(FloatingPointError) as err:
            y.backward()
    msg = str(err.value)
    assert msg.startswith("the gradient of pow with respect to its second input (scalar) is nan")
    assert _site(line) in msg and "ln(a)" in msg and "plain number" in msg


def test_negative_base_to_a_value_power_is_caught_in_backward_on_tensors():
    base, expo = Value(np.array([2.0, -3.0])), Value(np.array([2.0, 3.0]))
    with detect_anomaly():
        line = _next_line()
        y = (base ** expo).sum()
        with pytest.raises(FloatingPointError) as err:
            y.backward()
    msg = str(err.value)
    assert "pow with respect to its second input ((2,))" in msg and _site(line) in msg
    assert "input shape(s): (2,) and (2,)" in msg and "negative (or zero) base" in msg


def test_square_root_at_zero_is_caught_in_backward():
    x = Value(np.array([0.0, 4.0]))
    with detect_anomaly():
        line = _next_line()
        y = (x ** 0.5).sum()
        with pytest.raises(FloatingPointError) as err:
            y.backward()
    msg = str(err.value)
    assert "pow with respect to its first input ((2,)) is 1 inf" in msg and _site(line) in msg
    assert "0 to a power < 1" in msg


def test_gradient_overflow_in_backward_is_caught_on_scalars():
    a, b = Value(1e200), Value(1e-200)
    with detect_anomaly():
        line = _next_line()
        y = a * b                                    # 1.0
        with pytest.raises(FloatingPointError) as err:
            y.backward(1e200)                        # dy/db = a: 1e200 · 1e200 overflows
    msg = str(err.value)
    assert "mul with respect to its second input" in msg and _site(line) in msg
    assert "overflow" in msg


def test_square_root_at_zero_is_caught_while_recording_create_graph():
    x = Value(0.0)
    with detect_anomaly():
        line = _next_line()
        y = x ** 0.5
        with pytest.raises(FloatingPointError) as err:
            y.backward(create_graph=True)
    msg = str(err.value)
    assert "create_graph=True" in msg and f"pow created at {_site(line)}" in msg
    assert "0 to a power < 1" in msg


def test_a_nan_seed_does_not_blame_the_ops_it_flows_through():
    x = Value(np.array([1.0, 2.0]))
    with detect_anomaly():
        y = x * 3.0
        y.backward(np.array([np.nan, 1.0]))
    assert np.isnan(x.grad[0])


def test_a_node_made_before_the_block_is_said_to_be_so_not_created_at_none():
    x = Value(0.0)
    y = x.sqrt()                                  # made outside detect_anomaly(): no line known
    with pytest.raises(FloatingPointError) as e:
        with detect_anomaly():
            y.backward()
    assert "created before detect_anomaly() was entered" in str(e.value)
    assert "None" not in str(e.value)
