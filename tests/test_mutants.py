"""Behaviours that mutation testing (`make mutants`, docs/testing.md) found unchecked.

Each test states a documented behaviour in its own right (a derivative, a sign, an error message)
against a closed form; the mutant it was written for is named in a comment, so a reader sees why
it exists. None depends on how the code is written, only on what it must compute.
"""
from microgradnn.core import numeric
import math
import re
import warnings

import numpy as np
import pytest

from microgradnn import Value, grad, hessian, hvp, jacobian, maximum, value_and_grad
from microgradnn.backprop import NeuralNetwork, cost
from microgradnn.check import (Comparison, CrossCheckReport, GradcheckResult, crosscheck_gradients,
                               gradcheck)
from microgradnn.engine import walk
from microgradnn.nn import MLP
from oracles import central_differences


# --- scalar ops on both sides of their kinks (numeric.sign, ops._relu, the scalar path of max) ----

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
    with pytest.raises(ValueError, match=rf"grad: argnums {re.escape(repr(argnums))} out of range for 2"):
        grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


def test_a_bad_argument_is_a_type_error_naming_the_transform_and_the_argument():
    with pytest.raises(TypeError, match="grad: argument 0: expected a number"):
        grad(lambda x: x)("a")
    with pytest.raises(TypeError, match="jacobian: argument 1: expected a number"):
        jacobian(lambda x, y: x * y, argnums=1)(1.0, "b")


def test_value_and_grad_of_a_constant_function_returns_it_and_zero():
    assert value_and_grad(lambda x: 7)(1.5) == (7.0, 0.0)


def test_zero_base_to_a_positive_power_is_silent_in_backward():
    # 0ᵇ·ln 0 is taken as 0 without a numpy warning (ops.xlogy's errstate), as PyTorch is silent.
    a, b = Value(np.array([0.0, 2.0])), Value(np.array([2.0, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 8 * math.log(2.0)])


# --- jacobian's shapes: f(x).shape + x.shape, a plain number only for number → number ----------

def test_jacobian_of_a_scalar_function_of_a_vector_is_its_gradient_vector():
    j = jacobian(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert isinstance(j, np.ndarray) and j.shape == (2,)
    np.testing.assert_array_equal(j, [2.0, 4.0])


def test_jacobian_of_a_vector_function_of_a_scalar_is_a_vector():
    j = jacobian(lambda x: x * np.array([1.0, -3.0]))(2.0)
    assert isinstance(j, np.ndarray) and j.shape == (2,)
    np.testing.assert_array_equal(j, [1.0, -3.0])


def test_hessian_honours_argnums():
    # f = x² y³: ∂²f/∂y² = 6 x² y
    h = hessian(lambda x, y: (x * x * y * y * y).sum(), 1)(np.array([2.0]), np.array([0.5]))
    np.testing.assert_allclose(h, [[6 * 4.0 * 0.5]])


def test_the_transforms_name_themselves_in_their_errors():
    with pytest.raises(ValueError, match=r"^value_and_grad: f must return a scalar"):
        value_and_grad(lambda v: v * 2)(np.ones(3))
    with pytest.raises(TypeError, match=r"^jacobian: f must return a Value or a number, got str"):
        jacobian(lambda v: "x")(np.ones(2))
    with pytest.raises(ValueError, match=r"^jacobian: argnums must be one integer, got \(0, 1\)"):
        jacobian(lambda x, y: x * y, argnums=(0, 1))
    with pytest.raises(ValueError, match=r"^hvp: v has shape \(2,\), x has shape \(3,\)"):
        hvp(lambda x: (x * x).sum(), np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match=r"^hvp: v: expected a number"):
        hvp(lambda x: (x * x).sum(), np.ones(3), "v")


# --- Value: item, detach, walk -----------------------------------------------------------------

def test_item_of_one_element_is_a_float_and_of_more_is_an_error():
    assert Value(3.5).item() == 3.5 and type(Value(3.5).item()) is float
    assert Value([[2.0]]).item() == 2.0 and type(Value([[2.0]]).item()) is float
    with pytest.raises(ValueError):
        Value(np.ones(2)).item()


def test_detach_gives_a_leaf_that_requires_no_gradient_and_shares_the_data():
    x = Value(np.array([1.0, 2.0]))
    d = x.detach()
    assert d.requires_grad is False and d.data is x.data and not d.parents
    assert Value(1.5).detach().data == 1.5


def test_walk_lists_each_node_once_oldest_first():
    x = Value(2.0)
    h = x * x
    y = h + h * x                          # h reused, x used three times
    nodes = walk(y)
    assert len(nodes) == len(set(map(id, nodes))) == 4     # x, h, h*x, y
    assert nodes[0] is x and nodes[-1] is y


# --- matmul with vectors, the 1-D rules of numpy (engine._matmul) -----------------------------

@pytest.mark.parametrize("sa, sb", [((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 5, 3), (3,)),
                                    ((3,), (2, 3, 4))])
def test_matmul_with_a_vector_operand_matches_numpy_and_its_closed_form(sa, sb):
    r = np.random.default_rng(len(sa) * 10 + len(sb))
    a0, b0 = r.standard_normal(sa), r.standard_normal(sb)
    expected = np.matmul(a0, b0)
    u = r.standard_normal(np.shape(expected))
    a, b = Value(a0), Value(b0)
    out = a @ b
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)
    (out * u).sum().backward()
    # ∂/∂a of Σ u ⊙ (a @ b), by finite differences of numpy's matmul (linear: exact up to rounding)
    ga, gb = central_differences(lambda x, y: np.matmul(x, y) * u, [a0, b0])
    np.testing.assert_allclose(a.grad, ga, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.grad, gb, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("a, b, words", [
    (np.ones((3, 2)), np.ones((3, 2)),
     "matmul: shapes (3, 2) and (3, 2) are not aligned: 2 (last dim of the left) != 3 "
     "(second-to-last dim of the right)"),
    (np.ones((3, 2)), np.ones(3),
     "matmul: shapes (3, 2) and (3,) are not aligned: 2 (last dim of the left) != 3 "
     "(first dim of the right)"),
])
def test_matmul_shape_error_names_both_shapes_and_the_dims_that_differ(a, b, words):
    with pytest.raises(ValueError) as info:
        Value(a) @ Value(b)
    assert words in str(info.value)


@pytest.mark.parametrize("a, b", [(2.0, np.ones(3)), (np.ones(3), 2.0)])
def test_matmul_with_a_scalar_operand_is_an_error_naming_matmul(a, b):
    with pytest.raises(ValueError, match="matmul"):
        Value(a) @ Value(b)


# --- the checkers' reports, word for word (check.py) -------------------------------------------

def test_a_crosscheck_report_prints_its_header_table_and_verdict_exactly():
    report = CrossCheckReport("your gradients", "autodiff", "quadratic", 3,
                              [Comparison(2, "BP1", "δ2 = ∂C/∂z2", 0.0, 0.0, True),
                               Comparison(2, "BP4", "∂C/∂W2", 0.5, 0.25, False, "a hint")],
                              rtol=1e-6, atol=0.0)
    assert str(report) == (
        "Cross-check of your gradients against autodiff (loss 'quadratic', batch 3, rtol 1e-06, "
        "atol 0): FAILED at layer 2, BP4\n"
        "layer  equation  compares          max abs err  max rel err\n"
        "    2  BP1       δ2 = ∂C/∂z2         0.000e+00    0.000e+00  ok\n"
        "    2  BP4       ∂C/∂W2              5.000e-01    2.500e-01  MISMATCH  (a hint)")
    assert str(CrossCheckReport("c", "r", "bce", 1, [])).endswith("atol 0): OK\n"
                                                                  "layer  equation  compares"
                                                                  "          max abs err  max rel err")


def test_a_gradcheck_result_prints_its_verdict_then_one_line_per_input():
    assert str(GradcheckResult(True, ["  a: ok", "  b: ok"])) == "gradcheck: OK\n  a: ok\n  b: ok"
    assert str(GradcheckResult(False, [])) == "gradcheck: FAILED"


def _mlp_case():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x = np.array([[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]])
    y = np.array([[1.0], [0.0], [0.5]])
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(x.T)
    dw, db = closed.backpropagation(y.T, z_s, a_s)
    return net, x, y, dw, db, closed.deltas


def test_crosscheck_gradients_reports_who_is_checked_and_honours_its_tolerances():
    net, x, y, dw, db, deltas = _mlp_case()
    off = [dw[0], dw[1] * (1 + 1e-3)]
    strict = crosscheck_gradients(net, x, y, off, db, deltas)
    loose = crosscheck_gradients(net, x, y, off, db, deltas, rtol=1e-2)
    assert not strict.ok and loose.ok and (loose.rtol, loose.atol) == (1e-2, 0.0)
    assert crosscheck_gradients(net, x, y, off, db, deltas, atol=1.0).ok
    assert str(strict).startswith("Cross-check of your gradients against autodiff "
                                  "(loss 'quadratic', batch 3")


def test_crosscheck_gradients_takes_the_articles_column_biases_and_deltas():
    net, x, y, dw, db, deltas = _mlp_case()
    assert crosscheck_gradients(net, x, y, dw, db, deltas).ok                    # (out, 1), (out, n)
    assert crosscheck_gradients(net, x, y, dw, [b.ravel() for b in db], deltas).ok   # (out,)
    per_example = [d * 3 for d in deltas]                                        # not divided by n
    assert crosscheck_gradients(net, x, y, dw, db, per_example, per_example_deltas=True).ok
    assert not crosscheck_gradients(net, x, y, dw, db, per_example).ok


@pytest.mark.parametrize("change, words", [
    (lambda dw, db, d: ([dw[0]], db, d), "crosscheck_gradients: dw has 1 entries, the network has 2 layers"),
    (lambda dw, db, d: (dw, db[:1], d), "crosscheck_gradients: db has 1 entries, the network has 2 layers"),
    (lambda dw, db, d: (dw, db, d[:1]), "crosscheck_gradients: deltas has 1 entries, the network has 2 layers"),
    (lambda dw, db, d: ([dw[0], dw[1].T], db, d), "crosscheck_gradients: dw of layer 2 has shape (3, 1), expected (1, 3) (columns layout): it is transposed — BP4 is ∂C/∂W2 = δ2 (a1)ᵀ, one row per neuron of layer 2 (in the rows layout (δ2)ᵀ a1)"),
    (lambda dw, db, d: (dw, [db[0][:2], db[1]], d), "crosscheck_gradients: db of layer 1 has shape (2, 1), expected (3,) (columns layout)"),
    (lambda dw, db, d: (dw, db, [d[0], d[1].T]), "crosscheck_gradients: delta of layer 2 has shape (3, 1), expected (1, 3) (columns layout)"),
])
def test_crosscheck_gradients_names_the_entry_layer_and_shapes_it_cannot_use(change, words):
    net, x, y, dw, db, deltas = _mlp_case()
    with pytest.raises(ValueError) as info:
        crosscheck_gradients(net, x, y, *change(dw, db, deltas))
    assert str(info.value) == words


def test_gradcheck_says_when_f_returns_no_value():
    with pytest.raises(TypeError, match=r"^gradcheck: f must return a Value, got float$"):
        gradcheck(lambda a: 3.0, 1.0)
    with pytest.raises(ValueError, match=r"^gradcheck: give at least one input$"):
        gradcheck(lambda: Value(1.0))


# --- the closed-form network's cost and training loop (backprop.py) ----------------------------

def test_closed_form_cost_is_each_losss_formula_with_0_ln_0_as_0():
    a = np.array([[0.2, 1.0, 0.5], [0.8, 0.0, 0.5]])
    y = np.array([[0.0, 1.0, 0.25], [1.0, 0.0, 0.75]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # 0·ln 0 needs no warning
        bce, ce = cost(a, y, "bce"), cost(a, y, "cross_entropy")
    safe = lambda t: np.log(np.where(t > 0, t, 1.0))         # ln t where it is used, 0 elsewhere
    assert bce == pytest.approx(-(y * safe(a) + (1 - y) * safe(1 - a)).sum() / 3, rel=1e-14)
    assert ce == pytest.approx(-(y * safe(a)).sum() / 3, rel=1e-14)
    assert cost(a, y) == pytest.approx(((a - y) ** 2).sum() / 6, rel=1e-14)
    with pytest.raises(ValueError, match="unknown loss 'hinge'; known: quadratic, bce, cross_entropy"):
        cost(a, y, "hinge")


def test_closed_form_training_defaults_are_batch_10_epochs_100_lr_0_01():
    r = np.random.default_rng(3)
    x, y = r.standard_normal((2, 25)), r.uniform(size=(1, 25))
    a, b = NeuralNetwork([2, 3, 1], seed=0), NeuralNetwork([2, 3, 1], seed=0)
    assert a.train(x, y) == b.train(x, y, batch_size=10, epochs=100, lr=0.01, loss="quadratic")
    assert len(a.train(x, y, epochs=0)) == 0


def test_closed_form_training_uses_and_reports_the_loss_it_is_given():
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.4]])
    y = np.array([[1.0, 0.0, 1.0]])
    net, twin = NeuralNetwork([2, 3, 1], seed=0), NeuralNetwork([2, 3, 1], seed=0)
    before = cost(twin.feedforward(x)[1][-1], y, "bce")
    history = net.train(x, y, batch_size=3, epochs=1, lr=0.5, loss="bce")
    assert history == [pytest.approx(before, rel=1e-14)]
    dw, db = twin.backpropagation(y, *twin.feedforward(x), "bce")
    np.testing.assert_allclose(net.weights[0], twin.weights[0] - 0.5 * dw[0], rtol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(batch_size=1), dict(epochs=0), dict(lr=1e-9)])
def test_closed_form_training_accepts_the_edges_of_its_ranges(kwargs):
    NeuralNetwork([2, 3, 1], seed=0).train(np.ones((2, 4)), np.ones((1, 4)), **{"epochs": 1, **kwargs})


@pytest.mark.parametrize("x, y, kwargs", [
    (np.ones((2, 4)), np.ones((1, 4)), dict(lr=0.0)),
    (np.ones((2, 4)), np.ones((1, 4)), dict(epochs=-1)),
    (np.ones(4), np.ones((1, 4)), {}),
    (np.ones((2, 4)), np.ones(4), {}),
    (np.ones((2, 4)), np.ones((1, 3)), {}),
])
def test_closed_form_training_refuses_bad_shapes_and_settings(x, y, kwargs):
    with pytest.raises(ValueError, match="^train: "):
        NeuralNetwork([2, 3, 1], seed=0).train(x, y, **kwargs)


# --- the run of 09:32, its group E (triaged after the run) ---------------------------------------

# NeuralNetwork.from_weights: the layer sizes it reads off the weights, and its shape errors
# (from_weights mutants 6, 12, 17, 32, 33, 35, 48, 53, 59, 63, 64, 65).

def _w(*shape):
    return np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 10


def test_from_weights_reads_the_layer_sizes_off_the_weight_shapes():
    net = NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [_w(3), _w(1)], ["sigmoid", "sigmoid"])
    assert net.layers == [2, 3, 1]


@pytest.mark.parametrize("weights", [[], [np.ones(3)]])
def test_from_weights_refuses_an_empty_list_or_a_weight_that_is_not_2d(weights):
    with pytest.raises(ValueError, match=r"from_weights: expected a non-empty list of 2-D"):
        NeuralNetwork.from_weights(weights, [np.ones(1)] * len(weights), ["sigmoid"] * len(weights))


def test_from_weights_names_the_outputs_a_weight_matrix_must_take():
    with pytest.raises(ValueError, match=r"W2 has shape \(1, 4\), it must take the 3 outputs of W1"):
        NeuralNetwork.from_weights([_w(3, 2), _w(1, 4)], [_w(3), _w(1)], ["sigmoid", "sigmoid"])


def test_from_weights_counts_weights_against_biases():
    with pytest.raises(ValueError, match=r"from_weights: 2 weight matrices but 1 bias vectors"):
        NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [_w(3)], ["sigmoid", "sigmoid"])


@pytest.mark.parametrize("b1", [np.ones(2), np.ones((3, 1, 1))])
def test_from_weights_refuses_a_bias_of_the_wrong_size_or_rank_naming_layer_1(b1):
    with pytest.raises(ValueError, match=r"from_weights: b1 has shape \(.*\), W1 has 3 outputs"):
        NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [b1, _w(1)], ["sigmoid", "sigmoid"])


# crosscheck_gradients' comparison numbers (_compare mutants 16, 17, 21, 23, 25–30): max_abs is
# the largest |yours − autodiff|, max_rel = max_abs / max|autodiff|; a reference of all zeros
# gives max_rel 0 when yours is zero too, else inf; a nan is a failure with max_abs = inf.

def _dw_row(dw, x):
    """The dw row of crosscheck_gradients for a 2-in, 1-out sigmoid network, yours = dw."""
    net = MLP([2, 1], ["sigmoid"], seed=0)
    report = crosscheck_gradients(net, np.array(x), np.array([[0.5]]), [np.array(dw)],
                                  [np.zeros(1)])
    return next(r for r in report.rows if r.quantity.startswith("∂C/∂W"))


def test_crosscheck_gradients_max_rel_is_max_abs_over_the_largest_autodiff_entry():
    row = _dw_row([[0.0, 0.0]], [[0.3, -0.2]])    # yours = 0: the difference is autodiff itself
    assert row.max_abs > 0 and row.max_rel == pytest.approx(1.0, rel=1e-12)


def test_crosscheck_gradients_against_an_all_zero_reference_gives_max_rel_0_or_inf():
    # x = 0 makes every ∂C/∂W = δ·x exactly 0
    assert _dw_row([[0.0, 0.0]], [[0.0, 0.0]]).max_rel == 0.0
    row = _dw_row([[0.1, 0.0]], [[0.0, 0.0]])
    assert row.max_rel == math.inf and row.max_abs == pytest.approx(0.1) and not row.ok


def test_crosscheck_gradients_counts_a_nan_as_an_infinite_difference():
    row = _dw_row([[math.nan, 0.0]], [[0.3, -0.2]])
    assert row.max_abs == math.inf and row.max_rel == math.inf and not row.ok


# Value.mean's keepdims, transpose's default and negative axes, matmul's message for N-D
# shapes, gradients() for an input the output does not depend on (engine mutants mean 7 and 9,
# transpose 27 and 38, _matmul 35, gradients 31).

def test_mean_with_keepdims_keeps_the_reduced_axis_as_length_one():
    a = np.arange(6.0).reshape(2, 3)
    out = Value(a).mean(axis=0, keepdims=True)
    assert out.shape == (1, 3)
    np.testing.assert_allclose(out.data, [[1.5, 2.5, 3.5]])


def test_transpose_without_axes_reverses_the_axes():
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Value(a).transpose().data, np.moveaxis(a, [0, 1, 2], [2, 1, 0]))


def test_transpose_of_a_vector_accepts_axis_minus_one():
    np.testing.assert_array_equal(Value(np.arange(3.0)).transpose((-1,)).data, [0.0, 1.0, 2.0])


def test_matmul_error_names_the_last_dim_of_an_nd_left_operand():
    with pytest.raises(ValueError, match=r"not aligned: 4 \(last dim of the left\) != 5"):
        Value(np.ones((2, 3, 4))) @ Value(np.ones((5, 6)))


def test_gradients_of_an_unused_tensor_input_are_zeros_of_its_shape():
    from microgradnn.engine import gradients
    x, z = Value(np.ones((2, 3))), Value(np.ones(4))
    (gx,) = gradients((z * 2.0).sum(), [x])
    np.testing.assert_array_equal(gx, np.zeros((2, 3)))


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


# Indices, and the max's gradient with keepdims (engine _index 3, ops _argmax_mask 13 and 22).

def test_a_value_used_as_an_index_is_refused_for_its_float_dtype():
    # a Value's data is float64, and float indices are refused (never read as None / newaxis)
    with pytest.raises(TypeError, match=r"getitem: indices must be integers or booleans, got dtype float64"):
        Value(np.array([10.0, 20.0, 30.0]))[Value(np.array([2.0, 0.0]))]


def test_max_with_keepdims_sends_the_gradient_to_the_largest_entry():
    a = np.array([[1.0, 5.0], [4.0, 2.0]])
    v = Value(a)
    out = v.max(axis=0, keepdims=True)
    assert out.shape == (1, 2)
    (out * np.array([[2.0, 3.0]])).sum().backward()
    np.testing.assert_array_equal(v.grad, [[0.0, 3.0], [2.0, 0.0]])


# --- the run of 10:37 (make mutants on h16-mutants): check.py -----------------------------------

# crosscheck_gradients' rows: backprop order, each named by its equation and quantity
# (_fill mutants 29, 30, 32).

def test_crosscheck_gradients_rows_are_in_backprop_order_named_by_equation():
    net, x, y, dw, db, deltas = _mlp_case()
    rows = crosscheck_gradients(net, x, y, dw, db, deltas).rows
    assert [(r.layer, r.equation, r.quantity) for r in rows] == [
        (2, "BP1", "δ2 = ∂C/∂z2"), (2, "BP3", "∂C/∂b2"), (2, "BP4", "∂C/∂W2"),
        (1, "BP2", "δ1 = ∂C/∂z1"), (1, "BP3", "∂C/∂b1"), (1, "BP4", "∂C/∂W1")]


# The hint on a failing row, word for word: a constant factor c between yours and autodiff,
# written as a learner would (2, −3, 1/8), with its likely cause (_factor_note mutants 36, 42,
# 48, 63, 67–73; _ratio_text 8, 24, 27, 28, 33, 34).

def _note(c, batch=3, layer=2):
    """The note on the ∂C/∂W row of `layer` when yours = c × the true ∂C/∂W there."""
    net, x, y, dw, db, deltas = _mlp_case()
    net_x, net_y = x[:batch], y[:batch]
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(net_x.T)
    dw, db = closed.backpropagation(net_y.T, z_s, a_s)
    dw = [w * c if l == layer else w for l, w in enumerate(dw, 1)]
    report = crosscheck_gradients(net, net_x, net_y, dw, db)
    return next(r for r in report.rows if (r.layer, r.equation) == (layer, "BP4")).note


CONSTANT = "a constant factor — look for a ½, 2 or n too many or too few"


@pytest.mark.parametrize("c, batch, note", [
    (-1.0, 3, "this is minus the gradient: the seed article's (y − a) sign"),
    (3.0, 3, "this is 3× the gradient: per-example values, not divided by the batch size"),
    (2.0, 2, "this is 2× the gradient: per-example values, not divided by the batch size"),
    (-3.0, 3, "this is −3× the gradient: minus the gradient, and per-example values not "
              "divided by the batch size"),
    (1 / 3, 3, "this is 1/3× the gradient: divided by the batch size 3 once too often"),
    (-1 / 3, 3, "this is −1/3× the gradient: minus the gradient, and divided by the batch "
                "size 3 once too often"),
    (0.5, 3, f"this is 1/2× the gradient: {CONSTANT}"),
    (-2.0, 3, f"this is −2× the gradient: {CONSTANT}, or a sign"),
    (1.7, 3, f"this is 1.7× the gradient: {CONSTANT}"),
    (-1.7, 3, f"this is −1.7× the gradient: {CONSTANT}, or a sign"),
])
def test_a_constant_factor_is_named_word_for_word_with_its_cause(c, batch, note):
    assert _note(c, batch) == note


def test_a_factor_within_a_millionth_of_n_or_1_over_n_is_read_as_that_number():
    # 3·(1 + 5e-7) is the batch size 3 to 1e-6 relative: per-example; 1/8·(1 + 5e-7) is 1/8
    assert _note(3 * (1 + 5e-7)).startswith("this is 3× the gradient: per-example values")
    assert _note(0.125 * (1 + 5e-7)) == f"this is 1/8× the gradient: {CONSTANT}"


def test_a_failing_row_with_no_constant_factor_has_no_note():
    net, x, y, dw, db, deltas = _mlp_case()
    off = [dw[0], dw[1] + np.array([[0.1, -0.2, 0.3]])]
    row = crosscheck_gradients(net, x, y, off, db, deltas).rows[2]
    assert (row.layer, row.equation, row.ok, row.note) == (2, "BP4", False, "")


def test_a_row_that_passes_has_no_note_even_when_yours_is_a_multiple():
    # atol = 1 lets 2× the gradient pass: a passing row gets no hint
    net, x, y, dw, db, deltas = _mlp_case()
    report = crosscheck_gradients(net, x, y, [dw[0], 2 * dw[1]], db, deltas, atol=1.0)
    assert report.ok and [r.note for r in report.rows] == [""] * 6


# A constant factor is named when yours = c·autodiff to rtol 1e-6 and atol 1e-12·max|autodiff|·|c|
# (_factor_note mutants 26, 27, 30, 31). The network's third input is 0, so ∂C/∂W's third
# entry is exactly 0 and only the atol can cover an error there.

def _factor_case(change):
    net = MLP([3, 1], ["sigmoid"], seed=0)
    x, y = np.array([[0.3, -0.5, 0.0], [0.8, 0.2, 0.0]]), np.array([[1.0], [0.0]])
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(x.T)
    (dw,), (db,) = closed.backpropagation(y.T, z_s, a_s)
    assert dw[0, 2] == 0.0
    report = crosscheck_gradients(net, x, y, [change(dw.copy())], [db])
    return report.rows[1].note                                        # the ∂C/∂W1 row


def test_a_factor_is_named_when_an_exact_zero_is_off_by_under_its_atol():
    def yours(dw):
        big = np.abs(dw).max()
        dw *= 4.0
        dw[0, 2] = 0.5 * 1e-12 * big * 4.0           # half the atol of a factor 4
        return dw
    assert _factor_case(yours).startswith("this is 4× the gradient")


def test_no_factor_is_named_when_an_exact_zero_is_off_by_twice_its_atol():
    def yours(dw):
        big = np.abs(dw).max()
        dw *= 4.0
        dw[0, 2] = 2 * 1e-12 * big * 4.0
        return dw
    assert _factor_case(yours) == ""


def test_no_factor_is_named_when_the_ratio_varies_by_more_than_a_millionth():
    def yours(dw):
        return dw * 4.0 * np.array([[1 + 3e-6, 1 - 3e-6, 1.0]])
    assert _factor_case(yours) == ""


# The report's δ hint: only when no δ was given and ∂C/∂b and ∂C/∂W of a layer both fail
# (CrossCheckReport.__str__ mutant 14, _delta_equation 5–10).

def test_without_deltas_the_report_adds_the_delta_hint_to_its_verdict():
    # δ2 wrong in no way we can name (a different wrong value per element), and so is layer 1
    # below it: both come from δ2.
    net, x, y, dw, db, deltas = _mlp_case()
    bump = lambda g: g * (2 + np.arange(g.size).reshape(g.shape))
    report = crosscheck_gradients(net, x, y, [bump(dw[0]), bump(dw[1])],
                                  [bump(db[0]), bump(db[1])])
    assert str(report).splitlines()[0].endswith(
        "atol 0): FAILED at layer 2, BP1 (∂C/∂b2 and ∂C/∂W2 are both wrong, and both are "
        "computed from δ2: check δ2, which BP1 computes; pass deltas to compare it)")


@pytest.mark.parametrize("layer, equation", [(2, "BP1"), (1, "BP2")])
def test_with_deltas_a_wrong_delta_is_named_with_its_factor(layer, equation):
    net, x, y, dw, db, deltas = _mlp_case()
    twice = lambda gs: [2 * g if l == layer else g for l, g in enumerate(gs, 1)]
    report = crosscheck_gradients(net, x, y, twice(dw), twice(db), twice(deltas))
    assert report.first_failure == (layer, equation)
    assert str(report).splitlines()[0].endswith(
        f"FAILED at layer {layer}, {equation} (constant factor 2×)")


# crosscheck_gradients' own checks of what it is given (mutants 8, 12–15, 68).

@pytest.mark.parametrize("name", ["rtol", "atol"])
def test_crosscheck_gradients_refuses_a_negative_tolerance_naming_itself(name):
    net, x, y, dw, db, deltas = _mlp_case()
    with pytest.raises(ValueError) as info:
        crosscheck_gradients(net, x, y, dw, db, deltas, **{name: -1.0})
    assert str(info.value) == f"crosscheck_gradients: {name} must be a finite number ≥ 0, got -1.0"


def test_crosscheck_gradients_refuses_a_bias_given_as_a_row():
    net, x, y, dw, db, deltas = _mlp_case()
    with pytest.raises(ValueError, match=r"db of layer 1 has shape \(1, 3\), expected \(3,\)"):
        crosscheck_gradients(net, x, y, dw, [db[0].reshape(1, 3), db[1]], deltas)


# crosscheck's inputs: x as a list of rows or a Value, the loss named in full when unknown
# (_prepare mutants 4, 16, 17).

def test_crosscheck_takes_x_as_a_list_of_rows_or_as_a_value():
    from microgradnn.check import crosscheck
    net, x, y, *_ = _mlp_case()
    expected = crosscheck(net, x, y).errors
    assert crosscheck(net, x.tolist(), y).errors == expected
    assert crosscheck(net, Value(x), y).errors == expected


def test_crosscheck_names_every_known_loss_when_given_an_unknown_one():
    from microgradnn.check import crosscheck
    net, x, y, *_ = _mlp_case()
    with pytest.raises(ValueError) as info:
        crosscheck(net, x, y, loss="hinge")
    assert str(info.value) == "unknown loss 'hinge'; known: quadratic, bce, cross_entropy"


# crosscheck of a PyTorch model: its own gradients against BP1–BP4, reported as such
# (_crosscheck_torch mutants 5, 10–49; crosscheck 15–19).

def test_crosscheck_of_a_pytorch_model_reports_its_gradients_against_the_closed_form():
    torch = pytest.importorskip("torch")
    from microgradnn.check import crosscheck
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(),
                                torch.nn.Linear(3, 1), torch.nn.Sigmoid()).double()
    x = np.array([[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]])
    report = crosscheck(model, x, np.array([[1.0], [0.0], [0.5]]), rtol=1e-4, atol=1e-9)
    assert str(report).splitlines()[0] == (
        "Cross-check of your PyTorch model against closed form (BP1–BP4) (loss 'quadratic', "
        "batch 3, rtol 0.0001, atol 1e-09): OK")
    assert [(r.layer, r.equation, r.ok) for r in report.rows] == [
        (2, "BP1", True), (2, "BP3", True), (2, "BP4", True),
        (1, "BP2", True), (1, "BP3", True), (1, "BP4", True)]


# gradcheck: its tolerances and step are checked, the criterion is ≤ (an error exactly at the
# tolerance passes), 0/0 is no error, x/0 an infinite one, nan fails as inf — all silently
# (gradcheck mutants 14, 18, 159–162, 168, 175, 179, 180, 216).

def test_gradcheck_refuses_a_negative_atol_and_a_boolean_step():
    with pytest.raises(ValueError) as info:
        gradcheck(lambda x: x, 1.0, atol=-1.0)
    assert str(info.value) == "gradcheck: atol must be a finite number ≥ 0, got -1.0"
    with pytest.raises(ValueError) as info:
        gradcheck(lambda x: x, 1.0, eps=True)
    assert str(info.value) == "gradcheck: eps must be positive, got True (a finite step)"


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


# crosscheck_gradients against an all-zero reference computes no 0/0 (_compare mutant 49).

def test_crosscheck_gradients_against_an_all_zero_reference_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = _dw_row([[0.1, 0.0]], [[0.0, 0.0]])
    assert not row.ok and row.note == ""


# --- the run of 10:37: backprop.py and functional.py --------------------------------------------

def test_an_unknown_activation_is_refused_naming_every_known_one():
    from microgradnn.backprop import activation
    with pytest.raises(ValueError) as info:
        activation("swish")
    assert str(info.value) == "unknown activation 'swish'; known: sigmoid, tanh, relu, linear, softmax"


def test_a_network_from_weights_has_no_deltas_before_backpropagation():
    # as a new network: an empty list, filled by backpropagation (from_weights mutant 74)
    net = NeuralNetwork.from_weights([_w(3, 2), _w(1, 3)], [_w(3), _w(1)], ["sigmoid", "sigmoid"])
    assert net.deltas == [] and NeuralNetwork([2, 3, 1], ["sigmoid", "sigmoid"]).deltas == []


# maximum with one Value and one plain operand lifts the other side; a bad operand is named
# (functional.maximum mutants 7, 10, 11, 15–21, 30–40).

def test_maximum_of_a_value_and_a_number_or_array_has_the_elementwise_gradient():
    x = Value(np.array([0.5, 1.0, 2.0]))
    out = maximum(x, np.array([1.0, 1.0, 1.0]))
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 2.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 1.0])          # a tie: half
    y = Value(3.0)
    maximum(1.0, y).backward()
    assert y.grad == 1.0


@pytest.mark.parametrize("a, b", [(Value(1.0), "x"), ("x", Value(1.0)), ("x", 1.0), (1.0, "x")])
def test_maximum_refuses_a_string_on_either_side_naming_itself(a, b):
    with pytest.raises(TypeError) as info:
        maximum(a, b)
    assert str(info.value) == "maximum: expected a number, list or ndarray, got str"


# The value-aware functions give an ndarray for an ndarray, even 0-d, where numpy's ufuncs give
# a numpy scalar (functional._kind_of mutants 3–10, maximum 46–54).

def test_exp_and_maximum_of_a_0d_array_give_a_0d_array():
    from microgradnn import exp
    out = exp(np.array(0.0))
    assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64 and out == 1.0
    assert type(maximum(np.array(1.0), 2.0)) is np.ndarray
    assert type(maximum(2.0, np.array(1.0))) is np.ndarray
    assert type(exp(0.0)) is float and type(maximum(1.0, 2.0)) is float


def test_the_value_of_value_and_grad_inside_another_transform_is_differentiable():
    # d/dx of the value x² is 2x (functional._value_and_grad mutant 35)
    assert jacobian(lambda x: value_and_grad(lambda y: y * y)(x)[0])(3.0) == 6.0


def test_hvp_of_a_function_that_ignores_x_is_zero_and_silent():
    # its gradient is a plain zero array, not a Value (functional.hvp mutants 22–25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = hvp(lambda x: 5.0, np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0])


# --- the run of 10:37: engine.py ------------------------------------------------------------------

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


def test_an_op_that_fails_on_a_scalar_operand_calls_it_a_scalar():
    with pytest.raises(ValueError) as info:
        Value(2.0).broadcast_to((-1,))
    assert str(info.value).startswith("broadcast_to: cannot apply to scalar: ")


# The general reverse pass (create_graph, an anomaly hook): gradients accumulate on every node,
# intermediate ones too; gradients() of an intermediate node; a broadcast or scalar operand gets
# its gradient summed back to its own shape and kind (engine._reverse mutants 3, 4, 6, 8, 11,
# 12, 42, 45–48, 50, 52).

def test_two_recorded_backward_passes_add_up_on_every_node():
    x = Value(2.0)
    y = x * x
    z = y * 3.0
    z.backward(create_graph=True)
    z.backward(create_graph=True)
    assert (y.grad.data, x.grad.data) == (6.0, 24.0)              # 2·3, 2·(3·2x)


def test_gradients_of_an_intermediate_node_with_create_graph_is_a_value():
    from microgradnn.engine import gradients
    x = Value(2.0)
    y = x * x
    (gy,) = gradients(y * 3.0, [y], create_graph=True)
    assert isinstance(gy, Value) and gy.data == 3.0


def test_under_an_anomaly_hook_a_scalar_operand_gets_a_float_gradient():
    from microgradnn.anomaly import detect_anomaly
    a, t = Value(2.0), Value(np.array([1.0, 2.0, 3.0]))
    with detect_anomaly():
        (a * t).sum().backward()
    assert type(a.grad) is float and a.grad == 6.0
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])


def test_under_an_anomaly_hook_a_broadcast_operand_gets_its_gradient_summed_back():
    from microgradnn.anomaly import detect_anomaly
    u, w = Value(np.ones(3)), Value(np.ones((2, 3)))
    with detect_anomaly():
        (u * w * np.array([[1.0], [2.0]])).sum().backward()
    np.testing.assert_array_equal(u.grad, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(w.grad, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


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


# Powers: IEEE results without numpy's warnings, in the forward pass of two floats and in both
# slopes of an array power (numeric.power mutant 10; _pow_base 1–4; _pow_exponent 1–4); a⁰'s
# recorded slope in x where the exponent array is shorter than x (_where_zero 22).

def test_a_float_power_that_math_pow_refuses_is_nan_or_inf_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan((Value(-8.0) ** Value(1 / 3)).data)
        assert (Value(0.0) ** Value(-1.0)).data == math.inf


def test_the_slopes_of_an_array_power_are_ieee_results_silently():
    x, y = Value(np.array([0.0, -1.0, -1.0])), Value(np.array([-1.0, 2.0, 0.5]))
    with np.errstate(all="ignore"):                     # the forward pass is numpy's: 0⁻¹, (−1)^½
        z = (x ** y).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z.backward()
    # ∂/∂x = y·x^(y−1): −1·0⁻², 2·(−1), ½·(−1)^(−½);  ∂/∂y = xʸ·ln x: ∞·(−∞), 1·ln(−1), nan
    np.testing.assert_array_equal(x.grad, [-math.inf, -2.0, math.nan])
    np.testing.assert_array_equal(y.grad, [-math.inf, math.nan, math.nan])


def test_a_recorded_slope_of_x_to_a_zero_exponent_of_length_1_is_zeros_of_xs_shape():
    x, y = Value(np.array([1.0, 2.0, 3.0])), Value(np.array([0.0]))
    (x ** y).sum().backward(create_graph=True)
    assert isinstance(x.grad, Value)
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


def test_a_string_at_a_value_is_pythons_unsupported_operand_error():
    # Value.__rmatmul__ returns NotImplemented for what it cannot lift (mutant 3)
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'str' and 'Value'"):
        "abc" @ Value(np.ones(2))


# Value.linear records its node directly; under no_grad() or detect_anomaly() it goes through
# the op's own forward, which must compute the same x Wᵀ (tests/mutate_ops.py: linear's
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


# --- the run of 12:02 (make mutants on h17-engine-mutants): engine.py after main's fused ops ------

# A dense layer's x Wᵀ + b is one node with a third parent (engine._Ternary): the graph walk and
# zero_grad see the bias (walk mutants 7 and 8 skipped it); under no_grad() the node keeps none of
# its inputs, recorded it keeps all three (pinned for the new code, no survivor of the run).

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


# The plain reverse loop passes g on itself for a VJP that is g (add's two, sub's first; ops.Op.pair)
# and still sums a broadcast gradient back to its input's shape and kind (pinned for the new code).

def test_the_gradients_of_a_plus_b_and_a_minus_b_are_plus_and_minus_one_summed_over_broadcasting():
    a, b, s = Value(np.arange(6.0).reshape(2, 3)), Value(np.ones(3)), Value(2.0)
    ((a + b).sum() + (a - s).sum() + (s - b).sum()).backward()
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 2.0))   # +1 from a + b, +1 from a − s
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])     # +1 per row of a + b, −1 from s − b
    assert s.grad == -6.0 + 3.0 and type(s.grad) is float     # −1 per entry of a, +1 per one of b


# The quadratic cost's node has two inputs and a parameter (n): the plain reverse loop's general
# step, with the targets differentiable too, summed back to their own shape and kind (pinned for
# the new code).

def test_the_quadratic_ops_target_gradient_is_summed_back_to_a_broadcast_targets_shape():
    from microgradnn import ops
    from microgradnn.engine import record
    a, y = Value(np.arange(8.0).reshape(4, 2)), Value(np.array([1.0, 2.0]))
    record(ops.quadratic, (a, y), (4,)).backward()
    # ∂C/∂y = −Σ_rows (a − y)/n: column 0 is −(−1 + 1 + 3 + 5)/4, column 1 −(−1 + 1 + 3 + 5)/4
    np.testing.assert_array_equal(y.grad, [-2.0, -2.0])
    np.testing.assert_array_equal(a.grad, (np.arange(8.0).reshape(4, 2) - [1.0, 2.0]) / 4)


def test_the_quadratic_ops_gradient_for_a_scalar_target_is_a_float():
    from microgradnn import ops
    from microgradnn.engine import record
    a, y = Value(np.arange(8.0).reshape(4, 2)), Value(0.5)
    record(ops.quadratic, (a, y), (4,)).backward()
    assert y.grad == -(28.0 - 8 * 0.5) / 4 and type(y.grad) is float
