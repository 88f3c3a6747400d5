"""Higher-order gradients: Newton's method, which needs the second derivative (the Hessian).

    python examples/08_newton_method.py [--fast]

Gradient descent steps along −∇f; Newton's method solves H·step = −∇f, using the curvature to
take a well-sized step. `grad` and `hessian` come from the functional API, which differentiates
the backward pass itself (create_graph) — no second derivatives written by hand.
"""
import os
import sys

import numpy as np

from microgradnn import grad, hessian

FAST = "--fast" in sys.argv or os.environ.get("MICROGRADNN_EXAMPLE_FAST") == "1"

# 1. One dimension: the minimum of f(x) = x⁴ − 3x² + x, from x = 2.
f = lambda x: x ** 4 - 3 * x ** 2 + x
df, d2f = grad(f), grad(grad(f))            # f′ and f″, both by autodiff
x = 2.0
for step in range(6):
    x = x - df(x) / d2f(x)                  # Newton: x ← x − f′(x) / f″(x)
    print(f"step {step + 1}: x = {x:.12f}   f'(x) = {df(x):.2e}")


# 2. Two dimensions: Rosenbrock's banana valley, minimum at (1, 1).
def rosenbrock(p):
    x, y = p[:1], p[1:]           # slices of length 1 (p is a Value of shape (2,))
    return ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum()


p = np.array([-1.2, 1.0])
for step in range(8 if FAST else 20):
    g, H = grad(rosenbrock)(p), hessian(rosenbrock)(p)
    p = p - np.linalg.solve(H, g)           # solve H·step = −∇f rather than inverting H
    if np.linalg.norm(g) < 1e-10:
        break
print(f"Rosenbrock: p = {p.round(8)} after {step + 1} Newton steps (minimum at [1, 1])")
