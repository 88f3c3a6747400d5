"""Edge-value gradients, second pass: what the per-op sweep of test_special_values.py does not
reach — the recorded backward pass (create_graph, so grad(grad(f)), hessian) at special values,
and a non-finite gradient arriving at a kink from further up the graph."""
import itertools
import math
import warnings

import numpy as np
import pytest

from microgradnn import Value, gradients, grad, sqrt, log, relu, maximum

INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, 1.0, -1.0, 5e-324, 1e300, -1e300, INF, -INF, NAN, 0.5, -2.5, 2.0]


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _same(a, e) -> bool:
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
    pairs = list(itertools.product(SPECIAL, SPECIAL))
    cases = [tuple(map(list, zip(*pairs)))] if path == "tensor" else pairs
    for x, z in cases:
        a, b = Value(x), Value(z)
        y = f(a, b)
        seed = np.ones(y.shape) if path == "tensor" else None
        plain = gradients(y, [a, b], seed=seed)
        recorded = [_data(g) for g in gradients(y, [a, b], seed=seed, create_graph=True)]
        assert _same(plain[0], recorded[0]) and _same(plain[1], recorded[1]), (name, x, z)


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
