"""Behaviours that mutation testing (`make mutants`, docs/testing.md) found unchecked.

Each test states a documented behaviour in its own right (a derivative, a sign, an error message)
against a closed form; the mutant it was written for is named in a comment, so a reader sees why
it exists. None depends on how the code is written, only on what it must compute.
"""
import math

import numpy as np
import pytest

from microgradnn import Value, grad, jacobian, value_and_grad


# --- scalar ops on both sides of their kinks (ops.sign, ops._relu, the scalar path of max) ----

@pytest.mark.parametrize("x, slope", [(-0.7, -1.0), (0.7, 1.0), (0.0, 0.0)])
def test_abs_of_a_scalar_has_derivative_sign_x(x, slope):
    v = Value(x)
    out = v.abs()
    out.backward()
    assert out.data == abs(x) and v.grad == slope


@pytest.mark.parametrize("x, value, slope", [(-0.7, 0.0, 0.0), (0.7, 0.7, 1.0), (0.0, 0.0, 0.0)])
def test_relu_of_a_scalar_is_zero_below_zero_and_x_above(x, value, slope):
    v = Value(x)
    out = v.relu()
    out.backward()
    assert (out.data, v.grad) == (value, slope)


def test_relu_of_a_tensor_is_zero_below_zero_and_x_above():
    v = Value(np.array([-0.7, 0.0, 0.7]))
    out = v.relu()
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 0.7])
    np.testing.assert_array_equal(v.grad, [0.0, 0.0, 1.0])


def test_max_of_a_scalar_is_itself_with_derivative_one():
    v = Value(-2.5)
    out = v.max()
    out.backward()
    assert (out.data, v.grad) == (-2.5, 1.0)


# --- the transforms' argnums (functional._prepare) --------------------------------------------

def test_negative_argnums_count_from_the_end():
    f = lambda x, y: x * y * y
    assert grad(f, argnums=-1)(2.0, 3.0) == 12.0          # ∂(x y²)/∂y = 2xy
    assert grad(f, argnums=-2)(2.0, 3.0) == 9.0           # ∂(x y²)/∂x = y²


@pytest.mark.parametrize("argnums", [2, -3, (0, 2)])
def test_argnums_past_either_end_is_a_value_error_naming_it(argnums):
    with pytest.raises(ValueError, match=rf"grad: argnums {re_escape(argnums)} out of range for 2"):
        grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


def re_escape(x):
    import re
    return re.escape(repr(x))


def test_a_bad_argument_is_a_type_error_naming_the_transform_and_the_argument():
    with pytest.raises(TypeError, match="grad: argument 0: expected a number"):
        grad(lambda x: x)("a")
    with pytest.raises(TypeError, match="jacobian: argument 1: expected a number"):
        jacobian(lambda x, y: x * y, argnums=1)(1.0, "b")


def test_value_and_grad_of_a_constant_function_returns_it_and_zero():
    assert value_and_grad(lambda x: 7)(1.5) == (7.0, 0.0)
