"""Higher-order gradients: Newton's method, which needs the second derivative (the Hessian).

    python examples/08_newton_method.py

Gradient descent steps along −∇f; Newton's method solves H·step = −∇f, using the curvature to
take a well-sized step. `grad` and `hessian` come from the functional API, which differentiates
the backward pass itself (create_graph) — no second derivatives written by hand.
"""
import numpy as np

from microgradnn import Value, grad, hessian

# 1. One dimension: the minimum of f(x) = x⁴ − 3x² + x, from x = 2.
f = lambda x: x ** 4 - 3 * x ** 2 + x
df, d2f = grad(f), grad(grad(f))            # f′ and f″, both by autodiff
x = 2.0
for step in range(6):
    x = x - df(x) / d2f(x)                  # Newton: x ← x − f′(x) / f″(x)
    print(f"step {step + 1}: x = {x:.12f}   f'(x) = {df(x):.1e}")   # as docs/higher-order.md


# 2. Two dimensions: Rosenbrock's banana valley, minimum at (1, 1).
def rosenbrock(p):
    x, y = p[:1], p[1:]           # slices of length 1 (p is a Value of shape (2,))
    return ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum()


# The same loop as docs/higher-order.md, so both count the same 7 steps. Note step 2: f rises
# from 4.73 to 1412 — an undamped Newton step can go uphill (the page shows the damped fix).
p = np.array([-1.2, 1.0])
for step in range(1, 21):
    g, H = grad(rosenbrock)(p), hessian(rosenbrock)(p)
    p = p - np.linalg.solve(H, g)           # solve H·step = −∇f rather than inverting H
    print(f"step {step}: f = {float(rosenbrock(Value(p)).data):.4g}")
    if np.linalg.norm(grad(rosenbrock)(p)) < 1e-10:
        break
print(f"Rosenbrock: p = {p.round(8)} after {step} Newton steps (minimum at [1, 1])")
