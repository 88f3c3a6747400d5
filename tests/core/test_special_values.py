"""Every op at the edges: ±0, ±1, denormals, ±huge, ±inf, NaN and each op's kinks, against PyTorch.

Each op runs on every special value (every pair, for binary ops) on both paths — scalar Values
(Python floats) and tensor Values (arrays) — and its output and the gradient of each input must
equal PyTorch float64's, NaN for NaN. Where we differ from PyTorch on purpose, the difference is
listed in docs/edge-values.md ("Where we differ from PyTorch on purpose") and held by a test in the
sections "where we differ on purpose". A few closed-form checks that need no PyTorch come first;
after the per-op sweep, the recorded backward pass (create_graph: grad(grad(f)), hessian) at
special values, and a non-finite gradient arriving at a kink from further up the graph.
"""
import itertools
import math

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly, grad, gradients, hessian, log, maximum, relu, sqrt

TINY = 5e-324                  # the smallest denormal
SPECIAL = [0.0, -0.0, 1.0, -1.0, TINY, -TINY, 2.2e-308, 1e300, -1e300,
           math.inf, -math.inf, math.nan, 0.5, -2.5, 2.0, 3.0]

pytestmark = pytest.mark.usefixtures("quiet_numpy")


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


# --- where we differ on purpose (docs/edge-values.md), each held here ---

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


INF, NAN = math.inf, math.nan
# the sweeps through a recorded pass and its second derivatives try every pair of these
FEWER_SPECIAL = [0.0, -0.0, 1.0, -1.0, 5e-324, 1e300, -1e300, INF, -INF, NAN, 0.5, -2.5, 2.0]


def _identical(a, e) -> bool:
    """Equal as float64 numbers to the last bit, NaN equal to NaN."""
    a, e = np.asarray(a, dtype=float), np.asarray(e, dtype=float)
    return a.shape == e.shape and bool(np.all((a == e) | (np.isnan(a) & np.isnan(e))))


def _data(g):
    return g.data if isinstance(g, Value) else g


# --- the recorded pass gives the same first derivative as the plain one ---

@pytest.mark.parametrize("path", ["scalar", "tensor"])
@pytest.mark.parametrize("name, f", [("pow", lambda a, b: a ** b), ("div", lambda a, b: a / b),
                                     ("mul", lambda a, b: a * b),
                                     ("maximum", lambda a, b: a.maximum(b))])
def test_a_recorded_backward_pass_gives_the_plain_passes_gradient_at_every_special_pair(name, f,
                                                                                        path):
    pairs = list(itertools.product(FEWER_SPECIAL, FEWER_SPECIAL))
    cases = [tuple(map(list, zip(*pairs)))] if path == "tensor" else pairs
    for x, z in cases:
        a, b = Value(x), Value(z)
        y = f(a, b)
        seed = np.ones(y.shape) if path == "tensor" else None
        plain = gradients(y, [a, b], seed=seed)
        recorded = [_data(g) for g in gradients(y, [a, b], seed=seed, create_graph=True)]
        assert _identical(plain[0], recorded[0]) and _identical(plain[1], recorded[1]), (name, x, z)


def test_x_to_a_zero_power_has_derivative_0_at_inf_and_nan_in_a_recorded_pass_too():
    # a⁰ = 1 for every a, so ∂/∂a = 0 (PyTorch: 0) — not 0·∞ = NaN from masking a by multiplying
    a, b = Value([INF, -INF, NAN, 0.0, 2.0]), Value([0.0, 0.0, 0.0, 0.0, 3.0])
    da, _ = gradients(a ** b, [a, b], seed=np.ones(5), create_graph=True)
    np.testing.assert_array_equal(da.data, [0.0, 0.0, 0.0, 0.0, 12.0])


def test_the_hessian_of_x_to_a_zero_power_is_0_at_inf():
    from microgradnn import hessian
    h = hessian(lambda x: (x ** Value(np.zeros(2))).sum())(np.array([INF, 1.0]))
    np.testing.assert_array_equal(h, np.zeros((2, 2)))


def test_a_negative_zero_base_keeps_its_sign_in_a_recorded_pass_beside_a_masked_entry():
    # ∂(a^b)/∂a = b·a^(b−1) = −2·(−0)^(−3) = −2·(−∞) = +∞; the b = 0 beside it is masked
    a, b = Value([-0.0, -0.0, 5.0]), Value([-2.0, 5e-324, 0.0])
    plain = gradients(a ** b, [a], seed=np.ones(3))[0]
    recorded = gradients(a ** b, [a], seed=np.ones(3), create_graph=True)[0].data
    np.testing.assert_array_equal(plain, [INF, -INF, 0.0])
    np.testing.assert_array_equal(recorded, plain)


# --- a kink's zero stops an infinite or NaN gradient from further up (as PyTorch) ---

@pytest.mark.parametrize("path", ["scalar", "tensor"])
@pytest.mark.parametrize("name, f", [
    ("log(relu(x))", lambda x: log(relu(x))),           # log'(0) = ∞ arrives where relu' = 0
    ("sqrt(relu(x))", lambda x: sqrt(relu(x))),
    ("log(maximum(x, 0))", lambda x: log(maximum(x, 0.0))),
    ("sqrt(x ** 0 - 1)", lambda x: sqrt(x ** 0 - 1.0)),  # √ at 0: slope ∞; ∂x⁰/∂x = 0
])
def test_a_zero_local_derivative_stops_an_infinite_gradient_from_above(name, f, path):
    x = Value(-1.0) if path == "scalar" else Value([-1.0, -3.0])
    y = f(x)
    y.backward() if path == "scalar" else y.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, 0.0 if path == "scalar" else [0.0, 0.0])
    assert type(x.grad) is (float if path == "scalar" else np.ndarray)


@pytest.mark.parametrize("seed", [INF, -INF, NAN])
def test_relu_maximum_and_a_zero_power_pass_0_for_a_non_finite_seed_where_their_slope_is_0(seed):
    x = Value([-1.0, 0.0, 2.0])
    x.relu().backward(np.full(3, seed))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, seed])
    a, b = Value([1.0, 3.0]), Value([2.0, 2.0])
    a.maximum(b).backward(np.full(2, seed))
    np.testing.assert_array_equal(a.grad, [0.0, seed])
    np.testing.assert_array_equal(b.grad, [seed, 0.0])
    z = Value(INF)
    (z ** 0).backward(seed)
    assert z.grad == 0.0


def test_a_zero_local_derivative_stops_an_infinite_gradient_in_a_recorded_pass_too():
    f = lambda x: log(relu(x)).sum()
    assert np.array_equal(grad(f)(np.array([-1.0, 2.0])), [0.0, 0.5])
    x = Value([-1.0, 2.0])
    (dx,) = gradients(f(x), [x], create_graph=True)
    np.testing.assert_array_equal(dx.data, [0.0, 0.5])


def test_an_incidental_zero_slope_does_not_stop_an_infinite_gradient():
    # ∂x²/∂x = 2x is 0 at x = 0 by arithmetic, not a masked kink: ∞·0 is NaN, as in PyTorch
    x = Value(0.0)
    (x ** 2).backward(INF)
    assert math.isnan(x.grad)


def test_special_seeds_match_pytorch_for_every_op():
    torch = pytest.importorskip("torch")
    unary = {"relu": (lambda v: v.relu(), torch.relu), "abs": (lambda v: v.abs(), torch.abs),
             "sqrt": (lambda v: v.sqrt(), torch.sqrt), "log": (lambda v: v.log(), torch.log),
             "x**0": (lambda v: v ** 0, lambda t: t ** 0), "x**2": (lambda v: v ** 2, lambda t: t ** 2),
             "tanh": (lambda v: v.tanh(), torch.tanh), "exp": (lambda v: v.exp(), torch.exp),
             "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid)}
    binary = {"maximum": (lambda a, b: a.maximum(b), torch.maximum), "pow": (pow, pow),
              "mul": (lambda a, b: a * b,) * 2, "div": (lambda a, b: a / b,) * 2}
    wrong = []
    for path in ("scalar", "tensor"):
        leaf = (lambda x: Value(x)) if path == "scalar" else (lambda x: Value([x]))
        for seed in (INF, -INF, NAN, -0.0):
            s = seed if path == "scalar" else np.array([seed])
            for name, (ours, theirs) in unary.items():
                for x in FEWER_SPECIAL:
                    v, t = leaf(x), torch.tensor([x], dtype=torch.float64, requires_grad=True)
                    ours(v).backward(s)
                    theirs(t).backward(torch.tensor([seed], dtype=torch.float64))
                    if not _identical(np.ravel(v.grad), t.grad.numpy()):
                        wrong.append((path, name, x, seed, v.grad, t.grad.item()))
            for name, (ours, theirs) in binary.items():
                for x, z in itertools.product(FEWER_SPECIAL, FEWER_SPECIAL):
                    a, b = leaf(x), leaf(z)
                    ta, tb = (torch.tensor([q], dtype=torch.float64, requires_grad=True)
                              for q in (x, z))
                    ours(a, b).backward(s)
                    theirs(ta, tb).backward(torch.tensor([seed], dtype=torch.float64))
                    if not (_identical(np.ravel(a.grad), ta.grad.numpy())
                            and _identical(np.ravel(b.grad), tb.grad.numpy())):
                        wrong.append((path, name, x, z, seed))
    assert not wrong, wrong[:20]


# --- where we differ on purpose (docs/edge-values.md): powers, and second derivatives ---

def test_a_tensor_to_the_number_half_is_a_square_root_in_value_and_slope_like_pytorch():
    # numpy computes array ** 0.5 as a square root (-0 and NaN): the slope must follow it
    for x in (Value([-0.0, -INF, 4.0]), ):
        y = x ** 0.5
        y.backward(np.ones(3))
        np.testing.assert_array_equal(y.data, [-0.0, NAN, 2.0])
        assert math.copysign(1.0, y.data[0]) == -1.0
        np.testing.assert_array_equal(x.grad, [-INF, NAN, 0.25])
    x = Value([-0.0, -INF, 4.0])
    (dx,) = gradients(x ** 0.5, [x], seed=np.ones(3), create_graph=True)
    np.testing.assert_array_equal(dx.data, [-INF, NAN, 0.25])


def test_second_derivatives_of_pow_at_its_masked_points_are_the_masked_formulas_derivatives():
    assert grad(grad(lambda b: 0.0 ** b))(1.0) == 0.0                # 0ᵇ = 0 for b > 0
    a = 0.5
    assert grad(grad(lambda b: a ** b))(0.0) == pytest.approx(math.log(a) ** 2, rel=1e-15)
    assert grad(grad(lambda x: x ** 0))(INF) == 0.0                 # x⁰ = 1


def test_pytorch_gives_nan_where_our_second_derivative_of_pow_is_a_number():
    torch = pytest.importorskip("torch")
    b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(torch.tensor(0.5, dtype=torch.float64) ** b, b, create_graph=True)
    (dd,) = torch.autograd.grad(d, b)
    assert dd.item() == pytest.approx(math.log(0.5) ** 2)           # a number here, the same
    b = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(torch.tensor(0.0, dtype=torch.float64) ** b, b, create_graph=True)
    (dd,) = torch.autograd.grad(d, b)
    assert math.isnan(dd.item())                                     # ours: 0 (above)


# --- empty inputs ---

@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((0,), -1), ((2, 0), -1), ((0, 3), -1), ((0, 3), 0)])
def test_softmax_of_an_empty_value_is_empty_with_an_empty_gradient(name, shape, axis):
    v = Value(np.zeros(shape))
    y = getattr(v, name)(axis=axis)
    y.backward(np.ones(shape))
    assert y.shape == shape and v.grad.shape == shape


@pytest.mark.parametrize("reduce", ["mean", "max"])
def test_the_mean_and_the_max_of_an_empty_value_raise_where_pytorchs_mean_is_nan(reduce):
    with pytest.raises(ValueError, match="empty Value of shape"):
        getattr(Value(np.zeros((0, 3))), reduce)(axis=0)


# --- detect_anomaly blames only what it made, and names it right ---

@pytest.mark.parametrize("build", [
    lambda: Value(1.0) ** INF,                       # ∂/∂a = b·a^(b−1) = ∞: carried from b = ∞
    lambda: Value(INF) ** Value(0.0),                # ∂/∂b = aᵇ·ln a = ∞: carried from a = ∞
    lambda: Value(INF) * Value(0.0) + Value(1.0) ** Value(INF),
], ids=["1**inf", "inf**b at 0", "mixed"])
def test_detect_anomaly_does_not_call_a_gradient_carried_from_an_infinite_input_an_overflow(build):
    from microgradnn import detect_anomaly
    with detect_anomaly():
        y = build()
        if math.isfinite(y.data):
            y.backward()          # the same as without the block: no error made here


def test_detect_anomaly_still_blames_an_overflow_between_finite_numbers():
    from microgradnn import detect_anomaly
    x = Value(1.0)
    with pytest.raises(FloatingPointError, match="overflow"):
        with detect_anomaly():
            (x * 1e10).backward(1e300)            # 1e300 · 1e10 exceeds float64


# --- second derivatives at special values, against PyTorch's double backward ---

def _second_derivatives(f, xs, path):
    """(first, second) derivatives of f at xs: the gradient, then the gradient of its sum."""
    vs = [Value(x) if path == "scalar" else Value([x]) for x in xs]
    y = f(*vs)
    seed = None if path == "scalar" else np.ones(y.shape)
    first = gradients(y, vs, seed=seed, create_graph=True)
    recorded = [g for g in first if isinstance(g, Value) and g.requires_grad]
    if recorded:
        total = recorded[0]
        for g in recorded[1:]:
            total = total + g
        second = gradients(total, vs, seed=None if path == "scalar" else np.ones(total.shape))
    else:
        second = [0.0] * len(vs)
    return [np.ravel(_data(g)) for g in first], [np.ravel(g) for g in second]


def _torch_second_derivatives(torch, f, xs):
    ts = [torch.tensor([x], dtype=torch.float64, requires_grad=True) for x in xs]
    y = f(*ts)

    def grads(out):
        if not out.requires_grad:
            return [torch.zeros(1, dtype=torch.float64) for _ in ts]
        gs = torch.autograd.grad(out.sum(), ts, create_graph=True, allow_unused=True)
        return [torch.zeros(1, dtype=torch.float64) if g is None or g._is_zerotensor() else g
                for g in gs]
    first = grads(y)
    second = grads(sum(first))
    return [g.detach().numpy() for g in first], [g.detach().numpy() for g in second]


def test_second_derivatives_at_special_values_equal_pytorchs_wherever_pytorchs_are_numbers():
    torch = pytest.importorskip("torch")
    T = torch
    unary = {"exp": (lambda v: v.exp(), T.exp), "log": (lambda v: v.log(), T.log),
             "tanh": (lambda v: v.tanh(), T.tanh), "sigmoid": (lambda v: v.sigmoid(), T.sigmoid),
             "relu": (lambda v: v.relu(), T.relu), "abs": (lambda v: v.abs(), T.abs),
             "sqrt": (lambda v: v.sqrt(), T.sqrt), "1/x": (lambda v: 1.0 / v, lambda t: 1.0 / t),
             "x*x": (lambda v: v * v, lambda t: t * t)}
    for c in (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5):
        unary[f"x**{c}"] = (lambda v, c=c: v ** c, lambda t, c=c: t ** c)
    for c in (0.0, 2.0, 0.5, -2.5):
        unary[f"{c}**x"] = (lambda v, c=c: c ** v,
                            lambda t, c=c: T.tensor(c, dtype=T.float64) ** t)
    binary = {"mul": lambda a, b: a * b, "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
              "maximum": lambda a, b: a.maximum(b) if isinstance(a, Value) else T.maximum(a, b)}
    cases = [(name, ours, theirs, (x,)) for name, (ours, theirs) in unary.items() for x in FEWER_SPECIAL]
    cases += [(name, f, f, (x, z)) for name, f in binary.items()
              for x, z in itertools.product(FEWER_SPECIAL, FEWER_SPECIAL)]
    wrong = []
    for path in ("scalar", "tensor"):
        for name, ours, theirs, xs in cases:
            x = xs[0]
            if name in ("x**0.5", "x**1.5") and (x == -INF or x == 0 and math.copysign(1, x) < 0):
                continue                          # the x ** 0.5 difference, listed and held above
            (o1, o2), (t1, t2) = (_second_derivatives(ours, xs, path),
                                  _torch_second_derivatives(torch, theirs, xs))
            for k in range(len(xs)):
                if not _same(o1[k], t1[k], atol=1e-300):
                    wrong.append((path, name, xs, "first", k, o1[k], t1[k]))
                if not np.isnan(t2[k]).all() and not _same(o2[k], t2[k], atol=1e-300):
                    wrong.append((path, name, xs, "second", k, o2[k], t2[k]))
                if np.isnan(t2[k]).all() and not np.isnan(o2[k]).all() and "**" not in name \
                        and name != "pow":
                    wrong.append((path, name, xs, "finite where PyTorch is NaN", k, o2[k]))
    assert not wrong, wrong[:20]
