"""The elementary ops numpy has (sin ... sign, clip, minimum, min, prod, cumsum, var, concatenate,
stack, where, dot): values, gradients and second derivatives equal PyTorch's in float64, edge
values included; gradients equal central differences of a plain-numpy forward.

Each case is called through numpy (``np.sin(v)``), so the dispatch is checked with the op.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import microgradnn
from microgradnn import Value, gradients
from oracles import central_differences

torch = pytest.importorskip("torch")

anyv = lambda shape, rng: rng.uniform(-2.0, 2.0, shape)
unit = lambda shape, rng: rng.uniform(-0.9, 0.9, shape)
W = np.arange(12.0).reshape(3, 4) / 7 - 0.5

# name, f on Values through numpy, the same in torch, the same in plain numpy, input generator, shape
CASES = [
    ("sin", np.sin, torch.sin, np.sin, anyv, (3, 4)),
    ("cos", np.cos, torch.cos, np.cos, anyv, (3, 4)),
    ("tan", np.tan, torch.tan, np.tan, unit, (3, 4)),
    ("arcsin", np.arcsin, torch.asin, np.arcsin, unit, (3, 4)),
    ("arccos", np.arccos, torch.acos, np.arccos, unit, (3, 4)),
    ("arctan", np.arctan, torch.atan, np.arctan, anyv, (3, 4)),
    ("sinh", np.sinh, torch.sinh, np.sinh, anyv, (3, 4)),
    ("cosh", np.cosh, torch.cosh, np.cosh, anyv, (3, 4)),
    ("square", np.square, torch.square, np.square, anyv, (3, 4)),
    ("clip", lambda a: np.clip(a, -0.5, 1.0), lambda a: torch.clamp(a, -0.5, 1.0),
     lambda a: np.clip(a, -0.5, 1.0), anyv, (3, 4)),
    ("minimum", lambda a: np.minimum(a, W), lambda a: torch.minimum(a, torch.tensor(W)),
     lambda a: np.minimum(a, W), anyv, (3, 4)),
    ("min_axis", lambda a: np.min(a, axis=1), lambda a: torch.amin(a, dim=1),
     lambda a: np.min(a, axis=1), anyv, (3, 4)),
    ("min_all", np.min, torch.min, np.min, anyv, (3, 4)),
    ("prod_all", np.prod, torch.prod, np.prod, anyv, (2, 3)),
    ("prod_axis", lambda a: np.prod(a, axis=0, keepdims=True),
     lambda a: torch.prod(a, dim=0, keepdim=True), lambda a: np.prod(a, axis=0, keepdims=True),
     anyv, (3, 4)),
    ("cumsum_axis", lambda a: np.cumsum(a, axis=1), lambda a: torch.cumsum(a, dim=1),
     lambda a: np.cumsum(a, axis=1), anyv, (3, 4)),
    ("cumsum_flat", np.cumsum, lambda a: torch.cumsum(a.reshape(-1), 0), np.cumsum, anyv, (3, 4)),
    ("var_axis", lambda a: np.var(a, axis=0), lambda a: torch.var(a, dim=0, unbiased=False),
     lambda a: np.var(a, axis=0), anyv, (3, 4)),
    ("var_ddof", lambda a: np.var(a, ddof=1), torch.var, lambda a: np.var(a, ddof=1), anyv, (3, 4)),
    ("std", lambda a: np.std(a, axis=1), lambda a: torch.std(a, dim=1, unbiased=False),
     lambda a: np.std(a, axis=1), anyv, (3, 4)),
    ("concatenate", lambda a: np.concatenate([a, a[:1] * 2], axis=0),
     lambda a: torch.cat([a, a[:1] * 2], dim=0), lambda a: np.concatenate([a, a[:1] * 2], axis=0),
     anyv, (3, 4)),
    ("stack", lambda a: np.stack([a, a * a], axis=1), lambda a: torch.stack([a, a * a], dim=1),
     lambda a: np.stack([a, a * a], axis=1), anyv, (3, 4)),
    ("where", lambda a: np.where(a > 0, a * a, np.sin(a)),
     lambda a: torch.where(a > 0, a * a, torch.sin(a)),
     lambda a: np.where(a > 0, a * a, np.sin(a)), anyv, (3, 4)),
    ("dot_matrix", lambda a: np.dot(a, W.T), lambda a: a @ torch.tensor(W.T),
     lambda a: np.dot(a, W.T), anyv, (2, 4)),
    ("dot_ndarray_left", lambda a: np.dot(W, a), lambda a: torch.tensor(W) @ a,
     lambda a: np.dot(W, a), anyv, (4,)),
]
IDS = [c[0] for c in CASES]


def _ours(f, x, w, v):
    """f(x), the gradient of Σ f(x)·w, and the derivative of that gradient along v."""
    xv = Value(x)
    y = f(xv)
    (g,) = gradients(y, [xv], seed=w, create_graph=True)
    (h,) = gradients((g * v).sum(), [xv])
    return y.data, g.data, h


def _torch(f, x, w, v):
    xt = torch.tensor(x, requires_grad=True)
    y = f(xt)
    (g,) = torch.autograd.grad(y, xt, torch.tensor(w), create_graph=True)
    if not g.requires_grad:                      # f is piecewise linear: no second derivative
        return y.detach().numpy(), g.detach().numpy(), np.zeros_like(x)
    (h,) = torch.autograd.grad((g * torch.tensor(v)).sum(), xt, allow_unused=True)
    h = torch.zeros_like(xt) if h is None else h
    return y.detach().numpy(), g.detach().numpy(), h.detach().numpy()


def _inputs(gen, shape, f, seed=0):
    rng = np.random.default_rng(seed)
    x = gen(shape, rng)
    w = rng.standard_normal(np.shape(f(x)))
    return x, w, rng.standard_normal(shape)


@pytest.mark.parametrize("name, f, tf, nf, gen, shape", CASES, ids=IDS)
def test_values_gradients_and_second_derivatives_equal_pytorch(name, f, tf, nf, gen, shape):
    x, w, v = _inputs(gen, shape, nf)
    for ours, theirs in zip(_ours(f, x, w, v), _torch(tf, x, w, v)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, f, tf, nf, gen, shape", CASES, ids=IDS)
def test_gradients_equal_central_differences_of_plain_numpy(name, f, tf, nf, gen, shape):
    x, w, _ = _inputs(gen, shape, nf, seed=1)
    xv = Value(x)
    (g,) = gradients(f(xv), [xv], seed=w)
    (expected,) = central_differences(lambda a: nf(a) * w, [x])
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7)


# --- edge values: where the derivative is infinite, undefined, or a tie --------------------------

def _grad_both(f, tf, x):
    xv, xt = Value(np.array(x)), torch.tensor(np.array(x), requires_grad=True)
    (g,) = gradients(f(xv).sum(), [xv])
    tf(xt).sum().backward()
    return g, xt.grad.numpy()


@pytest.mark.parametrize("f, tf, x", [
    (np.arcsin, torch.asin, [-1.0, 1.0, 0.0]),
    (np.arccos, torch.acos, [-1.0, 1.0, 0.0]),
    (np.sign, torch.sign, [-2.0, 0.0, 3.0, np.nan]),
    (lambda a: np.clip(a, 0.0, 1.0), lambda a: torch.clamp(a, 0.0, 1.0), [0.0, 1.0, 2.0, -1.0]),
    (lambda a: np.minimum(a, 1.0), lambda a: torch.minimum(a, torch.tensor(1.0, dtype=torch.float64)),
     [1.0, 0.5, 2.0]),
    (np.min, torch.min, [1.0, 0.0, 0.0, 3.0]),
    (np.prod, torch.prod, [2.0, 0.0, 3.0]),
    (np.prod, torch.prod, [0.0, 0.0, 3.0]),
    (np.sin, torch.sin, [np.inf, 0.0]),
    (np.cosh, torch.cosh, [800.0, -800.0]),
], ids=["arcsin_ends", "arccos_ends", "sign_jump_nan", "clip_bounds_included", "minimum_tie",
        "min_ties_share", "prod_one_zero", "prod_two_zeros", "sin_inf", "cosh_overflow"])
def test_edge_values_give_pytorchs_gradients(f, tf, x):
    ours, theirs = _grad_both(f, tf, x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [1.5, -2.0, 0.5]],
                         ids=["one_zero", "two_zeros", "no_zero"])
def test_prods_hessian_equals_pytorchs_even_with_zeros(x):
    ours = microgradnn.hessian(lambda a: np.prod(a))(np.array(x))
    theirs = torch.autograd.functional.hessian(torch.prod, torch.tensor(x))
    np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-12)


def test_scalar_values_get_float_results_and_derivatives():
    x = Value(0.5)
    for name in ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "square"):
        y = getattr(x, name)()
        assert type(y.data) is float
        assert type(gradients(y, [x])[0]) is float


@pytest.mark.parametrize("name", ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
                                  "cosh", "square", "sign"])
def test_the_package_functions_take_floats_arrays_and_values(name):
    f = getattr(microgradnn, name)
    assert f(0.25) == pytest.approx(float(getattr(np, name)(0.25)))
    np.testing.assert_allclose(f(np.array([0.25, -0.5])), getattr(np, name)([0.25, -0.5]))
    assert f(Value(0.25)).op == name


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6), st.integers(0, 4))
def test_any_composition_of_the_new_ops_matches_pytorch(xs, k):
    x = np.array(xs)
    pick = [(lambda a: np.sin(a) * np.cumsum(a), lambda a: torch.sin(a) * torch.cumsum(a, 0)),
            (lambda a: np.clip(np.cosh(a), 1.0, 3.0), lambda a: torch.clamp(torch.cosh(a), 1.0, 3.0)),
            (lambda a: np.arctan(a) - np.var(a), lambda a: torch.atan(a) - torch.var(a, unbiased=False)),
            (lambda a: np.minimum(np.square(a), 1.0) * np.tanh(a),
             lambda a: torch.clamp(torch.square(a), max=1.0) * torch.tanh(a)),
            (lambda a: np.concatenate([a, np.sinh(a)]), lambda a: torch.cat([a, torch.sinh(a)]))][k]
    if k == 3 and np.any(np.abs(np.abs(x) - 1.0) < 1e-9):
        return                          # a tie of minimum: ½ against clamp's 1, both correct
    ours, theirs = _grad_both(*pick, x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
