"""The type contract and "never silently wrong", second pass: what a learner may call on a
Value inside grad() & co. either gives the true derivative or raises; the Value-aware
functions give a float for a number and an ndarray for any ndarray, 0-d included."""
import math

import numpy as np
import pytest

import microgradnn
from microgradnn import Value, grad, hessian, jacobian

FUNCTIONS = ["exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_value_aware_function_gives_an_ndarray_for_a_0d_array(name):
    f = getattr(microgradnn, name)
    out = f(np.array(0.5))
    assert type(out) is np.ndarray and out.shape == ()
    assert type(f(0.5)) is float and type(f(np.array([0.5]))) is np.ndarray


def test_maximum_gives_an_ndarray_for_a_0d_array_and_a_float_for_numbers():
    out = microgradnn.maximum(np.array(1.0), 2.0)
    assert type(out) is np.ndarray and out.shape == () and out == 2.0
    assert type(microgradnn.maximum(1, 2.0)) is float


@pytest.mark.parametrize("call", [
    lambda x: np.exp(x) * x,                 # numpy ufuncs refuse Values (__array_ufunc__ = None)
    lambda x: np.tanh(x),
    lambda x: np.maximum(x, 0.0),
    lambda x: np.float64(x) * x,
    lambda x: np.asarray(x, dtype=float) * x,
    lambda x: math.exp(x) * x,               # math.* calls float(): refused inside grad()
    lambda x: int(x) + x,
    lambda x: complex(x).real * x,
    lambda x: math.fsum([x, x]),
])
def test_numpy_and_math_on_a_value_being_differentiated_raise_rather_than_detach(call):
    with pytest.raises((TypeError, ValueError)):
        grad(call)(0.7)


@pytest.mark.parametrize("transform", [
    lambda f: grad(f)(np.array([0.3, 0.4])),
    lambda f: jacobian(f)(np.array([0.3, 0.4])),
    lambda f: hessian(f)(np.array([0.3, 0.4])),
])
def test_float_of_a_reduction_of_the_argument_is_refused_by_every_transform(transform):
    with pytest.raises(TypeError, match="microgradnn.exp"):
        transform(lambda x: (x * x).sum() * float(x.sum()))


def test_float_inside_an_inner_transform_of_the_outer_argument_is_refused():
    with pytest.raises(TypeError, match="grad"):
        grad(lambda x: grad(lambda y: y * float(x))(1.0) * x)(2.0)
