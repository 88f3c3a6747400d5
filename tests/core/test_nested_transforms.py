"""The transforms nest (functional.py: "They nest"): jacobian inside jacobian, hessian of one
component of a vector function, grad of a Jacobian entry — each against its closed form.

Runs without PyTorch; the reference values are hand-derived formulas in plain numpy.
"""
import numpy as np
import pytest

from microgradnn import grad, hessian, jacobian

A = np.array([[1.0, -2.0, 0.5],
              [0.3, 4.0, -1.5]])
X = np.array([0.7, -1.1, 1.9])


def cubic_mix(x):
    """f(x) = A (x³): f_i = Σ_j A_ij x_j³, so J_ij = 3 A_ij x_j² and ∂J_ij/∂x_k = 6 A_ij x_j δ_jk."""
    return A @ (x ** 3)


def coupled(x):
    """g(x) = x · Σx: J_ij = δ_ij S + x_i and ∂J_ij/∂x_k = δ_ij + δ_ik (every row differs)."""
    return x * x.sum()


def cubic_mix_second(x):
    t = np.zeros(A.shape + (x.size,))
    for j in range(x.size):
        t[:, j, j] = 6 * A[:, j] * x[j]
    return t


def coupled_second(x):
    n = x.size
    eye = np.eye(n)
    return eye[:, :, None] + eye[:, None, :]        # δ_ij + δ_ik


def test_jacobian_of_a_vector_function_matches_its_closed_form():
    np.testing.assert_allclose(jacobian(cubic_mix)(X), 3 * A * X ** 2, rtol=1e-13)
    np.testing.assert_allclose(jacobian(coupled)(X), np.eye(3) * X.sum() + X[:, None],
                               rtol=1e-13)


@pytest.mark.parametrize("f, second", [(cubic_mix, cubic_mix_second), (coupled, coupled_second)],
                         ids=["cubic_mix", "coupled"])
def test_jacobian_of_jacobian_fills_every_row(f, second):
    jj = jacobian(jacobian(f))(X)
    assert jj.shape == (A.shape[0] if f is cubic_mix else 3, 3, 3)
    np.testing.assert_allclose(jj, second(X), rtol=1e-12, atol=1e-12)


def test_jacobian_of_jacobian_of_a_matrix_valued_function():
    # f(X) = X X (2×2 matrices): J has shape (2, 2, 2, 2), its Jacobian (2, 2, 2, 2, 2, 2);
    # ∂²(XX)_ij / ∂X_kl ∂X_mn = δ_ik δ_lm δ_jn + δ_im δ_nk δ_jl.
    x0 = np.array([[0.5, -1.0], [2.0, 0.3]])
    e = np.eye(2)
    expected = (np.einsum("ik,lm,jn->ijklmn", e, e, e) + np.einsum("im,nk,jl->ijklmn", e, e, e))
    np.testing.assert_allclose(jacobian(jacobian(lambda x: x @ x))(x0), expected, atol=1e-14)


@pytest.mark.parametrize("i", [0, 1])
def test_hessian_of_each_component_of_a_vector_function(i):
    # H(f_i) = diag(6 A_ij x_j): component i of jacobian(jacobian(f)).
    h = hessian(lambda x: cubic_mix(x)[i])(X)
    np.testing.assert_allclose(h, np.diag(6 * A[i] * X), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("i", [0, 1, 2])
def test_hessian_of_a_component_of_a_coupled_function(i):
    # g_i = x_i Σx: ∂²g_i/∂x_j∂x_k = δ_ij + δ_ik.
    h = hessian(lambda x: coupled(x)[i])(X)
    np.testing.assert_allclose(h, coupled_second(X)[i], atol=1e-14)


def test_grad_of_a_weighted_sum_of_the_jacobian():
    # Σ_ij W_ij J_ij for g(x) = x Σx has gradient Σ_ij W_ij (δ_ij + δ_ik) = tr(W) + W.sum(axis=1).
    W = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 0.25], [4.0, 0.0, 1.5]])
    g = grad(lambda x: (jacobian(coupled)(x) * W).sum())(X)
    np.testing.assert_allclose(g, np.trace(W) + W.sum(axis=1), rtol=1e-13)


@pytest.mark.parametrize("i, j", [(0, 0), (1, 2), (1, 1)])
def test_grad_of_one_jacobian_entry(i, j):
    # ∂J_ij/∂x for f = A x³ is 6 A_ij x_j at k = j, zero elsewhere.
    g = grad(lambda x: jacobian(cubic_mix)(x)[i, j])(X)
    expected = np.zeros(3)
    expected[j] = 6 * A[i, j] * X[j]
    np.testing.assert_allclose(g, expected, rtol=1e-13, atol=1e-15)


def test_jacobian_of_grad_equals_hessian_and_is_symmetric():
    f = lambda x: (x[0] ** 2 * x[1] + x[1].exp() * x[2] + (x * x).sum())
    h = jacobian(grad(f))(X)
    x0, x1, x2 = X
    e1 = np.exp(x1)
    expected = np.array([[2 * x1 + 2, 2 * x0, 0.0],
                         [2 * x0, e1 * x2 + 2, e1],
                         [0.0, e1, 2.0]])
    np.testing.assert_allclose(h, expected, rtol=1e-13)
    np.testing.assert_allclose(hessian(f)(X), expected, rtol=1e-13)


def test_third_order_by_jacobian_of_hessian():
    # f = Σ x³: ∂³f/∂x_i∂x_j∂x_k = 6 δ_ij δ_jk.
    t = jacobian(hessian(lambda x: (x ** 3).sum()))(X)
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 6.0
    np.testing.assert_allclose(t, expected, atol=1e-13)
