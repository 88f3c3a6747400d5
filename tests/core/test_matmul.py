"""Batched (3-D) matmul: both operands' gradients against numpy closed forms and against central
differences of numpy's own matmul (np.matmul, not the library's forward).

For C = A @ B over a batch and a loss L = Σ U ⊙ C: ∂L/∂A = U Bᵀ and ∂L/∂B = Aᵀ U, where ᵀ swaps
the last two axes only (a batch of matrices is transposed matrix by matrix, not as a whole).
"""
import numpy as np
import pytest

from microgradnn import Value, grad, hvp
from oracles import central_differences

r = np.random.default_rng(7)


def mT(x):
    return np.swapaxes(x, -1, -2)


SHAPES = [((2, 3, 4), (2, 4, 5)),       # a batch of 2 products
          ((3, 4), (2, 4, 5)),          # A broadcast over B's batch
          ((2, 3, 4), (4, 5)),          # B broadcast over A's batch
          ((2, 1, 3, 4), (1, 3, 4, 2)),  # two batch axes, each broadcast once
          ((2, 3, 3), (2, 3, 3))]       # square matrices: a whole-array .T would still fit


def _reduce_to(g, shape):
    """Sum a broadcast gradient back to an operand's shape (what the closed form needs)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


@pytest.mark.parametrize("sa, sb", SHAPES, ids=[f"{a}@{b}" for a, b in SHAPES])
def test_batched_matmul_gradients_of_both_operands_match_closed_form(sa, sb):
    a0, b0 = r.standard_normal(sa), r.standard_normal(sb)
    u = r.standard_normal(np.matmul(a0, b0).shape)
    a, b = Value(a0), Value(b0)
    ((a @ b) * u).sum().backward()
    np.testing.assert_allclose(a.grad, _reduce_to(u @ mT(b0), sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, _reduce_to(mT(a0) @ u, sb), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sa, sb", SHAPES, ids=[f"{a}@{b}" for a, b in SHAPES])
def test_batched_matmul_gradients_match_numpy_finite_differences(sa, sb):
    a0, b0 = r.standard_normal(sa), r.standard_normal(sb)
    u = r.standard_normal(np.matmul(a0, b0).shape)
    a, b = Value(a0), Value(b0)
    ((a @ b).tanh() * u).sum().backward()
    fa, fb = central_differences(lambda x, y: np.tanh(np.matmul(x, y)) * u, [a0, b0])
    np.testing.assert_allclose(a.grad, fa, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.grad, fb, rtol=1e-6, atol=1e-8)


def test_batched_matmul_second_order_through_recorded_backward():
    # f(A) = Σ (A B)²: ∇f = 2 (A B) Bᵀ, and the Hessian times V is 2 (V B) Bᵀ. The second pass
    # differentiates the recorded VJPs, so the transposes there act on Values.
    a0, b0, v0 = r.standard_normal((2, 3, 4)), r.standard_normal((2, 4, 5)), r.standard_normal((2, 3, 4))
    f = lambda a: ((a @ b0) ** 2).sum()
    np.testing.assert_allclose(grad(f)(a0), 2 * (a0 @ b0) @ mT(b0), rtol=1e-12)
    np.testing.assert_allclose(hvp(f, a0, v0), 2 * (v0 @ b0) @ mT(b0), rtol=1e-12)
    w0 = r.standard_normal((2, 4, 5))
    g = lambda b: ((a0 @ b) ** 2).sum()              # ∇g = 2 Aᵀ (A B), Hessian · W = 2 Aᵀ (A W)
    np.testing.assert_allclose(grad(g)(b0), 2 * mT(a0) @ (a0 @ b0), rtol=1e-12)
    np.testing.assert_allclose(hvp(g, b0, w0), 2 * mT(a0) @ (a0 @ w0), rtol=1e-12)


# --- matmul with vectors, the 1-D rules of numpy (engine._matmul), and its shape errors ---

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


def test_matmul_error_names_the_last_dim_of_an_nd_left_operand():
    with pytest.raises(ValueError, match=r"not aligned: 4 \(last dim of the left\) != 5"):
        Value(np.ones((2, 3, 4))) @ Value(np.ones((5, 6)))
