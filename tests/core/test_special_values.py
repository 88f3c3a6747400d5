"""Every op at the edges: ±0, ±1, denormals, ±huge, ±inf, NaN and each op's kinks, against PyTorch.

Each op runs on every special value (every pair, for binary ops) on both paths — scalar Values
(Python floats) and tensor Values (arrays) — and its output and the gradient of each input must
equal PyTorch float64's, NaN for NaN. Where we differ from PyTorch on purpose, the difference is
listed in docs/autodiff.md ("Where we differ from PyTorch on purpose") and held by a test at the
end of this file. A few closed-form checks that need no PyTorch come first.
"""
import itertools
import math
import warnings

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly, grad, hessian

TINY = 5e-324                  # the smallest denormal
SPECIAL = [0.0, -0.0, 1.0, -1.0, TINY, -TINY, 2.2e-308, 1e300, -1e300,
           math.inf, -math.inf, math.nan, 0.5, -2.5, 2.0, 3.0]


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _same(actual, expected, atol: float = 0.0) -> bool:
    """Equal as float64 numbers: NaN equals NaN, infinities match exactly, finite numbers to
    rounding (1e-12 relative: 1 − tanh² loses a few digits to cancellation, differently from
    PyTorch's fused kernels; atol for the composites, whose gradients cancel to ~1e-17)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return a.shape == e.shape and bool(np.all(
        (a == e) | (np.isnan(a) & np.isnan(e)) |
        (np.isfinite(e) & (np.abs(a - e) <= 1e-12 * np.abs(e) + atol))))


# --- the closed-form cases of the issue, without PyTorch ---

def test_x_to_the_power_0_has_derivative_0_at_0():
    x = Value(0.0)
    (x ** 0).backward()
    assert x.grad == 0.0


def test_a_polynomial_has_its_finite_derivative_at_0():
    f = lambda x: 3.0 * x ** 0 + 2.0 * x ** 1 + 5.0 * x ** 2       # f'(0) = 2, f''(0) = 10
    assert grad(f)(0.0) == 2.0
    assert grad(grad(f))(0.0) == 10.0


def test_0_to_a_value_power_0_has_exponent_derivative_0():
    b = Value(0.0)
    (Value(0.0) ** b).backward()
    assert b.grad == 0.0


def test_0_to_a_positive_value_power_has_exponent_derivative_0_and_a_negative_one_minus_inf():
    b = Value(np.array([2.0, 0.5, -1.0]))
    (Value(0.0) ** b).backward(np.ones(3))
    np.testing.assert_array_equal(b.grad, [0.0, 0.0, -math.inf])      # 0ᵇ·ln 0 for b < 0


def test_exp_of_nan_is_nan_on_both_paths():
    assert math.isnan(Value(math.nan).exp().data)
    assert np.isnan(Value(np.array([math.nan])).exp().data).all()


def test_the_second_derivative_of_x_to_the_0_is_0_at_0_without_nan():
    assert hessian(lambda x: (x ** 0.0).sum())(np.zeros(2)).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_detect_anomaly_finds_nothing_wrong_with_x_to_the_0_or_0_to_the_b_at_0():
    with detect_anomaly():
        x, b = Value(0.0), Value(0.0)
        (x ** 0 + Value(0.0) ** b + x).backward()
    assert (x.grad, b.grad) == (1.0, 0.0)


def test_detect_anomaly_blames_the_infinite_slope_of_a_square_root_at_0():
    x = Value(0.0)
    with pytest.raises(FloatingPointError, match="0 to a power < 1"):
        with detect_anomaly():
            (x ** 0.5).backward()
    with pytest.raises(FloatingPointError, match=r"sqrt's derivative 1/\(2√x\) is infinite at 0"):
        with detect_anomaly():
            x.sqrt().backward()


# --- the sweep against PyTorch ---

torch = pytest.importorskip("torch")

UNARY = {
    "neg": (lambda v: -v, lambda t: -t),
    "exp": (lambda v: v.exp(), torch.exp),
    "log": (lambda v: v.log(), torch.log),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "relu": (lambda v: v.relu(), torch.relu),
    "abs": (lambda v: v.abs(), torch.abs),
    "sqrt": (lambda v: v.sqrt(), torch.sqrt),
    "pow 0": (lambda v: v ** 0, lambda t: t ** 0),
    "pow 1": (lambda v: v ** 1, lambda t: t ** 1),
    "pow 2": (lambda v: v ** 2, lambda t: t ** 2),
    "pow 0.5": (lambda v: v ** 0.5, lambda t: t ** 0.5),      # but at -0 and -inf: see the end
    "pow -1": (lambda v: v ** -1, lambda t: t ** -1),
    "pow -1.5": (lambda v: v ** -1.5, lambda t: t ** -1.5),
    "2 ** x": (lambda v: 2.0 ** v, lambda t: 2.0 ** t),
    "0 ** x": (lambda v: 0.0 ** v, lambda t: torch.tensor(0.0, dtype=torch.float64) ** t),
    "x / 0": (lambda v: v / 0.0, lambda t: t / 0.0),
    "1 / x": (lambda v: 1.0 / v, lambda t: 1.0 / t),
}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "maximum": lambda a, b: a.maximum(b) if isinstance(a, Value) else torch.maximum(a, b),
}


def _mg_leaf(x, path):
    return Value(x) if path == "scalar" else Value(np.array(x, dtype=float))


def _torch_leaf(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def _backward(y, path):
    y.backward() if path == "scalar" else y.backward(np.ones(y.shape))


def _torch_grad(t):
    return np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()


@pytest.mark.parametrize("path", ["scalar", "tensor"])
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_at_every_special_value_matches_pytorch(name, path):
    ours, theirs = UNARY[name]
    wrong = []
    for x in SPECIAL:
        if name == "pow 0.5" and (x == -math.inf or math.copysign(1.0, x) < 0 and x == 0):
            continue                          # a deliberate difference, tested below
        v, t = _mg_leaf(x if path == "scalar" else [x], path), _torch_leaf([x])
        y, ty = ours(v), theirs(t)
        _backward(y, path)
        ty.backward(torch.ones_like(ty))
        if not (_same(np.ravel(y.data), ty.detach().numpy()) and
                _same(np.ravel(v.grad), _torch_grad(t))):
            wrong.append(f"x={x}: value {y.data} vs {ty.tolist()}, grad {v.grad} vs "
                         f"{_torch_grad(t).tolist()}")
        if path == "scalar":
            assert type(y.data) is float and type(v.grad) is float
    assert not wrong, f"{name} ({path}) differs from PyTorch:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", ["scalar", "tensor"])
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_at_every_pair_of_special_values_matches_pytorch(name, path):
    f = BINARY[name]
    pairs = list(itertools.product(SPECIAL, SPECIAL))
    wrong = []
    if path == "tensor":                       # all pairs at once, elementwise
        xs, zs = zip(*pairs)
        cases = [(list(xs), list(zs))]
    else:
        cases = pairs
    for x, z in cases:
        a, b = _mg_leaf(x, path), _mg_leaf(z, path)
        ta, tb = _torch_leaf(x), _torch_leaf(z)
        y, ty = f(a, b), f(ta, tb)
        _backward(y, path)
        ty.backward(torch.ones_like(ty))
        for what, ours, theirs in (("value", y.data, ty.detach().numpy()),
                                   ("grad a", a.grad, _torch_grad(ta)),
                                   ("grad b", b.grad, _torch_grad(tb))):
            ours, theirs = np.atleast_1d(ours), np.atleast_1d(theirs)
            for i in np.flatnonzero(~np.array([_same(o, t) for o, t in zip(ours, theirs)])):
                px, pz = (x, z) if path == "scalar" else (x[i], z[i])
                wrong.append(f"a={px}, b={pz}: {what} {ours[i]} vs {theirs[i]}")
    assert not wrong, f"{name} ({path}) differs from PyTorch:\n" + "\n".join(wrong[:40])


REDUCTIONS = {
    "sum": (lambda v: v.sum(), lambda t: t.sum()),
    "mean": (lambda v: v.mean(), lambda t: t.mean()),
    "max": (lambda v: v.max(), lambda t: t.amax()),                # amax: ties share the gradient
    "max axis 0": (lambda v: v.max(axis=0), lambda t: t.amax(dim=0)),
    "softmax": (lambda v: v.softmax(), lambda t: t.softmax(-1)),
    "log_softmax": (lambda v: v.log_softmax(), lambda t: t.log_softmax(-1)),
}

# Small arrays of special values: ties, an inf or a NaN among finite numbers, all equal ...
VECTORS = [[1.0, 2.0, 2.0], [3.0, 3.0, 3.0], [0.0, -0.0, 0.0], [math.inf, 1.0, 2.0],
           [-math.inf, 1.0, 2.0], [math.inf, math.inf, 1.0], [math.nan, 1.0, 2.0],
           [1e300, 1e300, -1e300], [TINY, 0.0, -TINY], [1000.0, 0.0, -1000.0],
           [-math.inf, -math.inf, -math.inf]]


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions_and_softmax_at_special_vectors_match_pytorch(name):
    ours, theirs = REDUCTIONS[name]
    wrong = []
    for x in VECTORS:
        v, t = Value(x), _torch_leaf(x)
        y, ty = ours(v), theirs(t)
        seed = np.linspace(0.5, 1.5, y.size).reshape(y.shape)   # distinct weights per output
        y.backward(seed)
        ty.backward(torch.from_numpy(seed))
        atol = 1e-15 if "softmax" in name else 0.0
        if not (_same(y.data, ty.detach().numpy(), atol) and _same(v.grad, _torch_grad(t), atol)):
            wrong.append(f"x={x}: value {y.data} vs {ty.tolist()}, grad {v.grad} vs "
                         f"{_torch_grad(t).tolist()}")
    assert not wrong, f"{name} differs from PyTorch:\n" + "\n".join(wrong)


def test_matmul_with_special_values_matches_pytorch():
    a = np.array([[0.0, math.inf], [math.nan, 1.0], [1e300, 1e300], [TINY, -0.0]])
    b = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, math.inf]])
    va, vb, ta, tb = Value(a), Value(b), _torch_leaf(a), _torch_leaf(b)
    y, ty = va @ vb, ta @ tb
    y.backward(np.ones(y.shape))
    ty.backward(torch.ones_like(ty))
    assert _same(y.data, ty.detach().numpy())
    assert _same(va.grad, _torch_grad(ta)) and _same(vb.grad, _torch_grad(tb))


# --- where we differ on purpose (docs/autodiff.md), each held here ---

def test_max_over_all_elements_shares_the_gradient_among_ties_like_amax_not_max_dim():
    v = Value([1.0, 3.0, 3.0])
    v.max().backward()
    np.testing.assert_array_equal(v.grad, [0.0, 0.5, 0.5])         # torch.amax: the same
    t = _torch_leaf([1.0, 3.0, 3.0])
    torch.max(t, dim=0).values.backward()                          # torch.max(dim): one index
    assert sorted(t.grad.tolist()) == [0.0, 0.0, 1.0]


def test_a_scalar_to_the_number_half_is_ieee_pow_where_pytorch_takes_a_square_root():
    # PyTorch computes t ** 0.5 (a Python number) as sqrt(t); a scalar Value computes pow, as
    # IEEE 754 and Python's math.pow define it. They differ only at -0 and -inf.
    for x, ours, theirs in ((-0.0, (0.0, math.inf), (-0.0, -math.inf)),
                            (-math.inf, (math.inf, 0.0), (math.nan, math.nan))):
        v, t = Value(x), _torch_leaf(x)
        y, ty = v ** 0.5, t ** 0.5
        y.backward()
        ty.backward()
        assert _same([y.data, v.grad], ours) and _same([ty.item(), t.grad.item()], theirs)


@pytest.mark.parametrize("x", [-0.0, -math.inf])
def test_sqrt_is_pytorchs_square_root_where_x_to_the_half_differs(x):
    s, ts = Value(x), _torch_leaf(x)
    y, ty = s.sqrt(), ts.sqrt()
    y.backward()
    ty.backward()
    assert _same([y.data, s.grad], [ty.item(), ts.grad.item()])
