"""The type contract and "never silently wrong": a scalar's gradient is a Python float whatever the
graph; int(), bool(), round() of a one-element Value are those of its number; .grad takes only
what fits; what a learner may call on a Value inside grad() & co. either gives the true derivative
or raises; the Value-aware functions give a float for a number and an ndarray for any ndarray,
0-d included."""
from microgradnn.core import numeric
import math

import numpy as np
import pytest

import microgradnn
from microgradnn import Value, grad, hessian, jacobian, maximum

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


@pytest.mark.parametrize("call, expected", [
    (lambda x: np.exp(x) * x, (1 + 0.7) * np.exp(0.7)),     # numpy's ufuncs record the Value ops
    (lambda x: np.tanh(x), 1 - np.tanh(0.7) ** 2),
    (lambda x: np.maximum(x, 0.0), 1.0),
])
def test_numpy_ufuncs_on_a_value_being_differentiated_keep_the_graph(call, expected):
    assert grad(call)(0.7) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("call", [
    lambda x: np.float64(x) * x,             # conversions to numbers: refused inside grad()
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


def test_int_of_a_one_element_value_truncates_its_number():
    assert int(Value(2.7)) == 2 and int(Value([-2.7])) == -2
    assert type(int(Value(np.array(3.0)))) is int


def test_int_of_a_larger_value_says_only_one_element_converts():
    with pytest.raises(ValueError, match="only a one-element Value converts"):
        int(Value([1.0, 2.0]))


def test_a_value_is_not_an_index():
    with pytest.raises(TypeError):
        [1, 2, 3][Value(1.0)]


def test_bool_of_a_one_element_value_is_the_truth_of_its_number_nan_included():
    assert [bool(Value(x)) for x in (0.0, -0.0, math.nan, 2.0)] == [False, False, True, True]
    assert bool(Value([[0.0]])) is False
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Value([0.0, 1.0]))


@pytest.mark.parametrize("bad", ["abc", b"x", 1 + 2j, {"a": 1}, object(), True,
                                 np.array(["a"]), np.ones(2), [1.0, 2.0], Value(np.ones(3))])
def test_a_scalars_grad_refuses_every_wrong_type_and_shape_when_assigned(bad):
    v = Value(1.0)
    with pytest.raises((TypeError, ValueError), match="grad"):
        v.grad = bad
    assert v.grad == 0.0


@pytest.mark.parametrize("bad", ["abc", 1.0, np.ones(2), np.ones((3, 1)), Value(np.ones(2)),
                                 np.array([1 + 1j, 0, 0]), np.ones(3, dtype=object), True])
def test_a_tensors_grad_refuses_every_wrong_type_and_shape_when_assigned(bad):
    v = Value(np.ones(3))
    with pytest.raises((TypeError, ValueError), match="grad"):
        v.grad = bad


GRAPHS = {
    "scalar * tensor": lambda s: (s * Value(np.ones(3))).sum(),
    "tensor.sum() + scalar": lambda s: s + Value(np.ones(3)).sum(),
    "getitem into scalar arithmetic": lambda s: Value(np.arange(3.0))[1] * s,
    "mean": lambda s: (Value(np.ones(4)) * s).mean(),
    "max": lambda s: (Value(np.ones(4)) * s).max(),
    "1-D matmul giving 0-d": lambda s: Value(np.ones(3)) @ (Value(np.ones(3)) * s),
    "0-d tensor * scalar": lambda s: Value(np.array(3.0)) * s,
    "tensor exponent": lambda s: (s ** Value(np.ones(2))).sum(),
    "maximum with a tensor": lambda s: s.maximum(Value(np.zeros(2))).sum(),
    "softmax entry": lambda s: (Value(np.ones(3)) * s).softmax()[0],
    "0-d ndarray * scalar": lambda s: np.array(2.0) * s,
    "relu of a broadcast": lambda s: (Value(np.ones((2, 2))) - s).relu().sum(),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_a_scalar_leafs_grad_is_a_python_float_whatever_the_graph(name):
    s = Value(2.0)
    y = GRAPHS[name](s)
    y.backward()
    assert type(s.grad) is float
    assert type(grad(GRAPHS[name])(2.0)) is float


def test_round_of_a_one_element_value_rounds_its_number():
    assert round(Value(2.567), 2) == 2.57 and round(Value([2.5])) == 2
    assert type(round(Value(2.567))) is int and type(round(Value(2.567), 1)) is float


def test_round_of_a_value_being_differentiated_is_refused_like_float():
    with pytest.raises(TypeError, match="float\\(\\) of a Value that grad\\(\\) is differentiating"):
        grad(lambda x: round(x, 2) * x)(0.3)


# --- a scalar's gradient is a float, a one-element Value has a truth, .grad takes what fits ---

def test_a_scalar_leafs_grad_is_a_float_even_through_a_tensor_sum():
    s = Value(2.0)
    (s + Value(np.ones(3)).sum()).backward()
    assert type(s.grad) is float and s.grad == 1.0


def test_a_scalar_leafs_grad_is_a_float_through_0d_tensor_ops():
    s = Value(2.0)
    t = Value(np.array(3.0))
    ((s * t).exp() * s - t.tanh()).backward()
    assert type(s.grad) is float
    assert type(t.grad) is np.ndarray and t.grad.shape == ()


@pytest.mark.parametrize("data,truth", [(0.0, False), (-0.0, False), (2.5, True),
                                        (np.array([0.0]), False), (np.array([[3.0]]), True),
                                        (np.array(0.0), False), (float("nan"), True)])
def test_a_one_element_value_has_the_truth_of_its_number(data, truth):
    assert bool(Value(data)) is truth is bool(np.asarray(data))


def test_the_truth_of_a_value_of_several_elements_is_ambiguous_as_in_numpy():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Value(np.ones(2)))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(np.ones(2))                                      # the oracle: numpy says the same


@pytest.mark.parametrize("bad", ["abc", object(), True, None.__class__, [1.0, "x"]])
def test_assigning_a_non_number_to_grad_is_refused_at_once(bad):
    v = Value(1.0)
    with pytest.raises(TypeError, match="grad"):
        v.grad = bad
    assert v.grad == 0.0


@pytest.mark.parametrize("shape,bad", [((), np.ones(2)), ((3,), np.ones(2)), ((3,), 1.5),
                                       ((2, 3), np.ones((3, 2)))])
def test_assigning_a_gradient_of_the_wrong_shape_is_refused(shape, bad):
    v = Value(np.ones(shape) if shape else 1.0)
    with pytest.raises(ValueError, match="does not fit a Value of shape"):
        v.grad = bad


def test_assigning_a_good_gradient_keeps_the_type_contract():
    s, t = Value(1.0), Value(np.ones(2))
    s.grad = np.float64(2.5)
    t.grad = [1, 2]
    assert type(s.grad) is float and s.grad == 2.5
    assert t.grad.dtype == np.float64 and t.grad.tolist() == [1.0, 2.0]
    s.grad = None
    assert s.grad == 0.0


# --- assigning .grad: a copy of an array, a Value of the right shape kept; kinds of gradients ---

# The value-aware functions give an ndarray for an ndarray, even 0-d, where numpy's ufuncs give
# a numpy scalar (functional._kind_of mutants 3–10, maximum 46–54).
def test_exp_and_maximum_of_a_0d_array_give_a_0d_array():
    from microgradnn import exp
    out = exp(np.array(0.0))
    assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64 and out == 1.0
    assert type(maximum(np.array(1.0), 2.0)) is np.ndarray
    assert type(maximum(2.0, np.array(1.0))) is np.ndarray
    assert type(exp(0.0)) is float and type(maximum(1.0, 2.0)) is float


# Assigning .grad: a copy of an array (later changes to yours do not reach it), a Value of the
# right shape kept as it is, anything else named (engine._checked_grad mutants 3, 7, 8, 16, 19,
# 20, 22, 34; _shape_text 1, 3–5).
def test_an_assigned_gradient_array_is_copied():
    v, g = Value(np.zeros(2)), np.array([1.0, 2.0])
    v.grad = g
    g[0] = 99.0
    np.testing.assert_array_equal(v.grad, [1.0, 2.0])


def test_a_value_assigned_as_a_gradient_is_kept_if_its_shape_fits():
    v, g = Value(np.zeros(2)), Value(np.array([1.0, 2.0]))
    v.grad = g
    assert v.grad is g
    with pytest.raises(ValueError) as info:
        v.grad = Value(np.ones(3))
    assert str(info.value) == "grad: a gradient of shape (3,) does not fit a Value of shape (2,)"


def test_a_gradient_of_strings_is_refused_naming_grad_and_the_dtype():
    with pytest.raises(TypeError) as info:
        Value(np.zeros(2)).grad = ["a", "b"]
    assert str(info.value) == "grad: expected numbers, got an array of dtype <U1 (allowed: bool, int, float)"


def test_a_scalars_assigned_gradient_reads_back_as_that_float():
    s = Value(2.0)
    s.grad = 1.0
    assert s.grad == 1.0 and type(s.grad) is float


# Kinds of gradients: a scalar's stays a Python float, a recorded one a Value even where the
# local derivative is 0 (numeric.share mutants 5, 7; numeric.gate 26).
def test_maximum_of_two_scalars_gives_float_gradients():
    p, q = Value(1.0), Value(2.0)
    maximum(p, q).backward()
    assert (type(p.grad), type(q.grad), p.grad, q.grad) == (float, float, 0.0, 1.0)


def test_a_recorded_gradient_through_relu_below_0_is_a_value_zero():
    s = Value(-1.0)
    s.relu().backward(create_graph=True)
    assert isinstance(s.grad, Value) and s.grad.data == 0.0
