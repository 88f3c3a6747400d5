"""The Value engine, specified against independent oracles.

One catalogue of test functions is checked at every level — Python floats (scalar graph), numpy
arrays (tensor graph) — against central finite differences in float64, and against PyTorch float64
when it is installed.
"""
from microgradnn.core import numeric
import gc
import math
import sys
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from microgradnn import Value, gradients, no_grad
from microgradnn.engine import walk
from oracles import central_differences

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def forward_data(fn, xs):
    """Evaluate fn on plain data by running it on constant Values."""
    out = fn(*[Value(x, requires_grad=False) for x in xs])
    return out.data


# name, function of Values, input generator (a safe domain for each input)
pos = lambda shape, rng: rng.uniform(0.5, 2.0, shape)
anyv = lambda shape, rng: rng.uniform(-2.0, 2.0, shape)
away = lambda shape, rng: rng.choice([-1, 1], shape) * rng.uniform(0.3, 2.0, shape)  # |x| >= 0.3

CATALOGUE = [
    ("add", lambda a, b: a + b, (anyv, anyv)),
    ("sub", lambda a, b: a - b, (anyv, anyv)),
    ("mul", lambda a, b: a * b, (anyv, anyv)),
    ("div", lambda a, b: a / b, (anyv, away)),
    ("pow_const", lambda a: a ** 3, (anyv,)),
    ("pow_frac", lambda a: a ** 0.5, (pos,)),
    ("pow_value", lambda a, b: a ** b, (pos, anyv)),
    ("rpow", lambda a: 2.0 ** a, (anyv,)),
    ("neg", lambda a: -a, (anyv,)),
    ("rsub_rdiv", lambda a: 1.0 - 2.0 / a, (away,)),
    ("exp", lambda a: a.exp(), (anyv,)),
    ("log", lambda a: a.log(), (pos,)),
    ("tanh", lambda a: a.tanh(), (anyv,)),
    ("sigmoid", lambda a: a.sigmoid(), (anyv,)),
    ("relu", lambda a: a.relu(), (away,)),
    ("abs", lambda a: a.abs(), (away,)),
    ("neuron", lambda x, w, b: (x * w + b).tanh(), (anyv, anyv, anyv)),
    ("reuse", lambda a: a * a + a / (a * a + 1.0), (anyv,)),
    ("diamond", lambda a: (lambda h: h.exp() * h.sigmoid())(a * 0.5), (anyv,)),
]


def _inputs(gens, shape, seed):
    rng = np.random.default_rng(seed)
    return [g(shape, rng) if shape else float(g((), rng)) for g in gens]


def _autodiff(fn, xs):
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward(None if out.size == 1 else np.ones(out.shape))
    return out, [v.grad for v in vs]


@pytest.mark.parametrize("name,fn,gens", CATALOGUE, ids=[c[0] for c in CATALOGUE])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=["scalar", "vector", "matrix"])
def test_catalogue_gradients_match_central_differences(name, fn, gens, shape):
    xs = _inputs(gens, shape, seed=len(name))
    out, grads = _autodiff(fn, xs)
    expected = central_differences(lambda *a: forward_data(fn, a), xs)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
    if shape == ():
        assert type(out.data) is float and all(type(g) is float for g in grads)


@needs_torch
@pytest.mark.parametrize("name,fn,gens", CATALOGUE, ids=[c[0] for c in CATALOGUE])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=["scalar", "vector", "matrix"])
def test_catalogue_values_and_gradients_match_pytorch(name, fn, gens, shape):
    xs = _inputs(gens, shape, seed=len(name) + 1)
    out, grads = _autodiff(fn, xs)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    tout = fn(*ts)
    tout.backward(torch.ones_like(tout))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- tensor ops: reductions, shapes, indexing, matmul, softmax ---

TENSOR_CATALOGUE = [
    ("sum_all", lambda a: a.sum(), (3, 4)),
    ("sum_axis0", lambda a: a.sum(axis=0), (3, 4)),
    ("sum_axis1_keepdims", lambda a: a.sum(axis=1, keepdims=True), (3, 4)),
    ("sum_axes_tuple", lambda a: a.sum(axis=(0, 2)), (2, 3, 4)),
    ("mean_all", lambda a: a.mean(), (3, 4)),
    ("mean_axis_neg1", lambda a: a.mean(axis=-1), (3, 4)),
    ("max_all", lambda a: a.max(), (3, 4)),
    ("max_axis0", lambda a: a.max(axis=0), (3, 4)),
    ("max_axis1_keepdims", lambda a: a.max(axis=1, keepdims=True), (3, 4)),
    ("reshape", lambda a: a.reshape(4, 3) * np.arange(12.0).reshape(4, 3), (3, 4)),
    ("reshape_minus1", lambda a: a.reshape(-1) * np.arange(12.0), (3, 4)),
    ("T", lambda a: a.T * np.arange(12.0).reshape(4, 3), (3, 4)),
    ("transpose_axes", lambda a: a.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), (2, 3, 4)),
    ("getitem_slice", lambda a: a[1:, ::2] * 3.0, (3, 4)),
    ("getitem_int_array_repeats", lambda a: a[[0, 2, 0, 0]] * np.arange(16.0).reshape(4, 4), (3, 4)),
    ("getitem_bool_mask", lambda a: a[np.array([True, False, True])], (3, 4)),
    ("getitem_pairs", lambda a: a[[0, 1, 1], [3, 2, 2]], (3, 4)),
    ("matmul_mm", lambda a: a @ np.arange(8.0).reshape(4, 2), (3, 4)),
    ("matmul_mv", lambda a: a @ np.arange(4.0), (3, 4)),
    ("matmul_vm", lambda a: np.arange(3.0) @ a, (3, 4)),
    ("matmul_vv", lambda a: a @ np.arange(4.0), (4,)),
    ("matmul_batched", lambda a: a @ np.ones((4, 2)), (2, 3, 4)),
    ("matmul_self", lambda a: a @ a.T, (3, 4)),
    ("linear_x", lambda a: a.linear(np.arange(8.0).reshape(2, 4)) * np.arange(6.0).reshape(3, 2), (3, 4)),
    ("linear_w", lambda a: Value(np.arange(12.0).reshape(3, 4) / 10, requires_grad=False).linear(a).tanh(),
     (2, 4)),
    ("softmax", lambda a: a.softmax() * np.arange(12.0).reshape(3, 4), (3, 4)),
    ("softmax_axis0", lambda a: a.softmax(axis=0) * np.arange(12.0).reshape(3, 4), (3, 4)),
    ("log_softmax", lambda a: a.log_softmax() * np.arange(12.0).reshape(3, 4), (3, 4)),
    ("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)) * np.arange(24.0).reshape(2, 3, 4), (3, 1)),
    ("scatter_add", lambda a: a.scatter_add([0, 2, 0], (4, 2)) * np.arange(8.0).reshape(4, 2), (3, 2)),
]


@pytest.mark.parametrize("name,fn,shape", TENSOR_CATALOGUE, ids=[c[0] for c in TENSOR_CATALOGUE])
def test_tensor_ops_match_central_differences(name, fn, shape):
    x = np.random.default_rng(len(name)).uniform(-2, 2, shape)
    out, (g,) = _autodiff(fn, [x])
    (expected,) = central_differences(lambda a: forward_data(fn, [a]), [x])
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7)


def _torch_spellings():
    """The tensor catalogue entries whose PyTorch spelling differs from ours."""
    w = lambda *shape: torch.arange(float(np.prod(shape)), dtype=torch.float64).reshape(shape)
    return {
        "sum_axis0": lambda a: a.sum(dim=0),
        "sum_axes_tuple": lambda a: a.sum(dim=(0, 2)),
        "mean_axis_neg1": lambda a: a.mean(dim=-1),
        "max_axis0": lambda a: a.amax(dim=0),          # amax, like ours, splits ties evenly
        "max_axis1_keepdims": lambda a: a.amax(dim=1, keepdim=True),
        "transpose_axes": lambda a: a.permute(2, 0, 1) * w(4, 2, 3),
        "matmul_self": lambda a: a @ a.T,
        "linear_w": lambda a: torch.nn.functional.linear(w(3, 4) / 10, a).tanh(),
        "softmax": lambda a: a.softmax(-1) * w(3, 4),
        "softmax_axis0": lambda a: a.softmax(0) * w(3, 4),
        "log_softmax": lambda a: a.log_softmax(-1) * w(3, 4),
    }


TORCH_CHECKED = ["sum_axis0", "sum_axes_tuple", "mean_axis_neg1", "max_axis0", "max_axis1_keepdims",
                 "transpose_axes", "matmul_self", "linear_w", "softmax", "softmax_axis0", "log_softmax"]


@needs_torch
@pytest.mark.parametrize("name", TORCH_CHECKED)
def test_tensor_ops_match_pytorch(name):
    fn, shape = {c[0]: (c[1], c[2]) for c in TENSOR_CATALOGUE}[name]
    x = np.random.default_rng(len(name) + 7).uniform(-2, 2, shape)
    out, (g,) = _autodiff(fn, [x])
    t = torch.tensor(x, requires_grad=True)
    tout = _torch_spellings()[name](t)
    tout.backward(torch.ones_like(tout))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_max_ties_share_the_gradient_evenly():
    x = Value([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    x = Value([0.0, -1.0, 2.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])
    s = Value(0.0)
    s.relu().backward()
    assert s.grad == 0.0


def test_abs_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.abs().backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("method", ["sigmoid", "softmax", "log_softmax"])
def test_stable_ops_are_finite_and_silent_at_plus_minus_1000(method, recwarn):
    x = Value([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    y = getattr(x, method)()
    y.backward(np.ones(y.shape))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    for s in (-1000.0, 1000.0):
        v = Value(s)
        out = getattr(v, method)()
        out.backward()
        assert np.isfinite(out.data) and np.isfinite(v.grad)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_sigmoid_is_exact_in_the_far_tails():
    assert Value(-40.0).sigmoid().data == pytest.approx(np.exp(-40.0), rel=1e-12)
    np.testing.assert_allclose(Value([-40.0]).sigmoid().data, [np.exp(-40.0)], rtol=1e-12)


# --- broadcasting: one shared step sums gradients back to each input's shape ---

broadcast_pairs = st.sampled_from([
    ((3, 1), (1, 4)), ((5, 3), (3,)), ((), (2, 3)), ((2, 3), ()), ((4, 1, 3), (2, 1)),
    ((1,), (3, 2)), ((2, 1, 1), (1, 3, 1)),
])


@settings(max_examples=40, deadline=None)
@given(pair=broadcast_pairs, op=st.sampled_from(["add", "sub", "mul", "div"]),
       seed=st.integers(0, 2**16), left_is_array=st.booleans())
def test_broadcast_gradients_are_summed_back_to_each_input_shape(pair, op, seed, left_is_array):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, pair[0]) if pair[0] else float(rng.uniform(0.5, 2.0))
    b = rng.uniform(0.5, 2.0, pair[1]) if pair[1] else float(rng.uniform(0.5, 2.0))
    f = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
         "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
    vb = Value(b)
    if left_is_array:   # an ndarray on the left calls Value's reflected operator
        out = f(np.asarray(a), vb)
        out.backward(np.ones(out.shape))
        (eb,) = central_differences(lambda y: np.asarray(f(np.asarray(a), y)), [b])
    else:
        va = Value(a)
        out = f(va, vb)
        out.backward(np.ones(out.shape) if out.shape else None)
        ea, eb = central_differences(lambda x, y: np.asarray(f(x, y)), [a, b])
        np.testing.assert_allclose(va.grad, ea, rtol=1e-6, atol=1e-8)
        assert np.shape(va.grad) == np.shape(a)
    np.testing.assert_allclose(vb.grad, eb, rtol=1e-6, atol=1e-8)
    assert np.shape(vb.grad) == np.shape(b)


def test_scalar_combined_with_tensor_gets_a_float_grad():
    s = Value(2.0)
    t = Value(np.arange(3.0))
    (s * t).sum().backward()
    assert type(s.grad) is float and s.grad == 3.0


UNARY = ["exp", "tanh", "sigmoid", "relu", "abs", "neg", "square", "sum0", "reshape", "T"]


def _apply_unary(name, v):
    # Each keeps growth bounded, so that eight of them in a row stay far from overflow.
    return {"exp": lambda: v.tanh().exp(), "tanh": v.tanh, "sigmoid": v.sigmoid, "relu": v.relu,
            "abs": v.abs, "neg": lambda: -v, "square": lambda: v * v.tanh(),
            "sum0": lambda: v.sum(axis=0, keepdims=True) if v.ndim else v,
            "reshape": lambda: v.reshape(-1).reshape(v.shape) if v.ndim else v,
            "T": lambda: v.T.T}[name]()


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
       steps=st.lists(st.tuples(st.sampled_from(UNARY), st.sampled_from(["add", "mul", "none"])),
                      min_size=1, max_size=8),
       seed=st.integers(0, 2**16))
def test_random_compositions_with_node_reuse_match_central_differences(shape, steps, seed):
    x0 = np.random.default_rng(seed).uniform(-1.5, 1.5, shape)

    def build(x):
        h = x
        for unary, combine in steps:
            u = _apply_unary(unary, h)    # same shape as h, or (sum0) broadcastable to it
            h = u + h if combine == "add" else u * x if combine == "mul" else u
        return (h * h).sum()

    x = Value(x0)
    build(x).backward()
    (expected,) = central_differences(lambda a: build(Value(a, requires_grad=False)).data, [x0])
    np.testing.assert_allclose(x.grad, expected, rtol=1e-5, atol=1e-6)


# --- the backward pass itself ---

def test_chain_of_a_million_scalar_ops_runs_backward_under_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_reused_node_accumulates_and_keeps_two_edges():
    a = Value(3.0)
    b = a + a
    assert b.parents == (a, a)
    b.backward()
    assert a.grad == 2.0


def test_diamond_accumulates_both_paths():
    x = Value(2.0)
    h = x * 3.0
    y = h.exp() + h * h        # two paths from h to y
    y.backward()
    assert x.grad == pytest.approx(3.0 * (np.exp(6.0) + 2 * 6.0), rel=1e-12)


def test_intermediate_nodes_hold_their_gradient():
    x = Value(0.5)
    z = x * 2.0
    y = z.tanh()
    y.backward()
    assert z.grad == pytest.approx(1 - np.tanh(1.0) ** 2)


def test_backward_twice_doubles_leaf_gradients_exactly():
    x = Value(np.array([0.3, -1.2]))
    w = Value(1.7)
    y = ((x * w).tanh() * x).sum()
    y.backward()
    first_x, first_w = x.grad.copy(), w.grad
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * first_x)
    assert w.grad == 2 * first_w


def test_zero_grad_resets_every_grad_in_the_graph():
    x = Value(np.ones(3))
    h = x * 2.0
    y = h.sum()
    y.backward()
    y.zero_grad()
    for v in (x, h, y):
        assert np.all(v.grad == 0)


def test_backward_with_a_seed_of_the_outputs_shape():
    x = Value(np.array([1.0, 2.0]))
    y = x * x
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])


def test_nonscalar_backward_without_seed_names_the_shape():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        Value(np.ones((2, 3))).exp().backward()


def test_backward_seed_of_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"seed has shape \(3,\).*\(2,\)"):
        Value(np.ones(2)).exp().backward(np.ones(3))


def test_a_dropped_graph_is_freed_without_the_garbage_collector():
    gc.disable()
    try:
        x = Value(np.ones(3))
        y = ((x * 2.0).tanh() + x).sum()
        y.backward()
        ref = weakref.ref(y)
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_no_grad_records_nothing():
    w = Value(2.0)
    with no_grad():
        y = w * 3.0
    assert not y.requires_grad and y.parents == ()
    with pytest.raises(RuntimeError, match="does not depend"):
        y.backward()


def test_detach_stops_gradients():
    x = Value(2.0)
    y = x * x.detach()   # d/dx treats the detached copy as a constant
    y.backward()
    assert x.grad == 2.0


def test_gradients_does_not_touch_grad_attributes():
    x = Value(3.0)
    (gx,) = gradients(x * x, [x])
    assert gx == 6.0 and x.grad == 0.0


# --- construction and errors ---

def test_numbers_make_scalar_values_with_float_data_and_grad():
    v = Value(3)
    assert type(v.data) is float and type(v.grad) is float and v.shape == ()


def test_lists_and_int_or_bool_arrays_make_float64_tensors():
    for data in ([1, 2, 3], np.array([1, 2, 3]), np.array([True, False])):
        v = Value(data)
        assert v.data.dtype == np.float64 and v.grad.shape == v.shape


def test_value_copies_the_callers_array():
    a = np.zeros(2)
    v = Value(a)
    v.data += 1
    assert a[0] == 0


@pytest.mark.parametrize("bad,typename", [("x", "str"), (None, "NoneType"), (1 + 2j, "complex"),
                                          (np.array([object()]), "object"),
                                          (np.array(["a"]), "<U1"), (np.array([1j]), "complex128")])
def test_non_numeric_data_is_refused_naming_the_type(bad, typename):
    with pytest.raises(TypeError, match=typename):
        Value(bad)


def test_matmul_shape_error_names_matmul_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 2\).*\(3, 2\)"):
        Value(np.ones((3, 2))) @ Value(np.ones((3, 2)))


def test_linear_shape_error_names_both_shapes_and_the_layout():
    with pytest.raises(ValueError, match=r"linear: x of shape \(3, 2\) and W of shape \(4, 3\)"):
        Value(np.ones((3, 2))).linear(Value(np.ones((4, 3))))


def test_broadcast_error_names_the_op_and_the_shapes():
    with pytest.raises(ValueError, match=r"add.*\(3, 2\) and \(4,\)"):
        Value(np.ones((3, 2))) + np.ones(4)


def test_bad_axis_names_the_axis_and_shape():
    with pytest.raises(ValueError, match=r"sum: axis 2 .*\(3, 4\)"):
        Value(np.ones((3, 4))).sum(axis=2)


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "a"


def test_scalar_ieee_semantics_instead_of_python_exceptions():
    assert Value(1.0) / 0.0 is not None and (Value(1.0) / 0.0).data == float("inf")
    assert Value(0.0).log().data == float("-inf")
    assert np.isnan((Value(-8.0) ** Value(1 / 3)).data)
    assert Value(1000.0).exp().data == float("inf")


@needs_torch
def test_zero_to_a_value_power_has_zero_exponent_gradient_as_in_pytorch():
    a, b = Value(np.array([0.0, 2.0])), Value(np.array([2.0, 3.0]))
    (a ** b).sum().backward()
    ta = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    (ta ** tb).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-14)
    s, e = Value(0.0), Value(2.0)
    (s ** e).backward()
    assert (s.grad, e.grad) == (0.0, 0.0)



def test_backward_of_a_constant_says_create_graph_is_needed_to_differentiate_a_gradient():
    x = Value(2.0)
    (x * x).backward()
    with pytest.raises(RuntimeError, match=r"backward\(create_graph=True\)"):
        Value(x.grad, requires_grad=False).backward()
    with pytest.raises(TypeError, match=r"unless backward\(create_graph=True\)"):
        gradients(x.grad, [x])


# --- 0 to a Value power, without PyTorch: closed forms ---

def test_zero_to_a_positive_value_power_has_exponent_gradient_zero_tensor():
    # ∂aᵇ/∂a = b·aᵇ⁻¹ and ∂aᵇ/∂b = aᵇ ln a, with 0ᵇ·ln 0 taken as 0 for b > 0 (0ᵇ = 0).
    a, b = Value(np.array([0.0, 2.0, 0.0])), Value(np.array([2.0, 3.0, 0.5]))
    (a ** b).sum().backward()
    np.testing.assert_array_equal(b.grad, [0.0, 8.0 * math.log(2.0), 0.0])
    np.testing.assert_allclose(a.grad[:2], [0.0, 12.0])
    assert a.grad[2] == math.inf                   # 0.5 · 0^(−0.5): the slope of √a at 0


@pytest.mark.parametrize("b0", [2.0, 1.0, 0.5])
def test_zero_to_a_positive_value_power_has_exponent_gradient_zero_scalar(b0):
    a, b = Value(0.0), Value(b0)
    (a ** b).backward()
    assert b.grad == 0.0 and type(b.grad) is float


@pytest.mark.parametrize("shape", ["scalar", "tensor"])
def test_zero_to_the_zero_has_both_gradients_zero_as_in_pytorch(shape):
    data = (lambda x: x) if shape == "scalar" else (lambda x: np.array([x]))
    a, b = Value(data(0.0)), Value(data(0.0))
    (a ** b).sum().backward()
    assert float(np.sum(a.grad)) == 0.0 and float(np.sum(b.grad)) == 0.0


# --- scalar ops on both sides of their kinks (numeric.sign, ops._relu, the scalar path of max) ---

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


# --- Value: item, detach, walk ---

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


# --- reductions' keepdims, transpose's axes, indices; gradients() of an unused input ---

# (engine mutants: mean 7 and 9, transpose 27 and 38, gradients 31)
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


def test_gradients_of_an_unused_tensor_input_are_zeros_of_its_shape():
    from microgradnn.engine import gradients
    x, z = Value(np.ones((2, 3))), Value(np.ones(4))
    (gx,) = gradients((z * 2.0).sum(), [x])
    np.testing.assert_array_equal(gx, np.zeros((2, 3)))


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


def test_an_op_that_fails_on_a_scalar_operand_calls_it_a_scalar():
    with pytest.raises(ValueError) as info:
        Value(2.0).broadcast_to((-1,))
    assert str(info.value).startswith("broadcast_to: cannot apply to scalar: ")


# --- the general reverse pass (create_graph, an anomaly hook): gradients accumulate on every node,
# --- intermediate ones too; gradients() of an intermediate node; a broadcast or scalar operand
# --- gets its gradient summed back to its own shape and kind ---

# (engine._reverse mutants 3, 4, 6, 8, 11, 12, 42, 45–48, 50, 52)
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


# The plain reverse loop passes g on itself for a VJP that is g (add's two, sub's first; ops.Op.pair)
# and still sums a broadcast gradient back to its input's shape and kind.
def test_the_gradients_of_a_plus_b_and_a_minus_b_are_plus_and_minus_one_summed_over_broadcasting():
    a, b, s = Value(np.arange(6.0).reshape(2, 3)), Value(np.ones(3)), Value(2.0)
    ((a + b).sum() + (a - s).sum() + (s - b).sum()).backward()
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 2.0))   # +1 from a + b, +1 from a − s
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])     # +1 per row of a + b, −1 from s − b
    assert s.grad == -6.0 + 3.0 and type(s.grad) is float     # −1 per entry of a, +1 per one of b


# --- powers: IEEE results without numpy's warnings ---

def test_zero_base_to_a_positive_power_is_silent_in_backward():
    # 0ᵇ·ln 0 is taken as 0 without a numpy warning (ops.xlogy's errstate), as PyTorch is silent.
    a, b = Value(np.array([0.0, 2.0])), Value(np.array([2.0, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 8 * math.log(2.0)])


# In the forward pass of two floats and in both slopes of an array power (numeric.power mutant 10;
# _pow_base 1–4; _pow_exponent 1–4); a⁰'s recorded slope in x where the exponent array is shorter
# than x (_where_zero 22).
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
