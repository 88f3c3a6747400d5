"""The exercises' reference answers (microgradnn.exercises.solution), kept out of the pages.

Each answer is defined under its exercise's name, so that a learner's file of answers and this
one read alike; ``PREAMBLE`` holds the imports they use.
"""
import numpy as np

from ..core.functional import abs, grad, sigmoid   # noqa: A004 - Value-aware |x|

PREAMBLE = "import numpy as np\nfrom microgradnn import abs, grad, sigmoid\n\n"

# c = a·b + b with b = a², a = 3: through a in a·b (b = 9), through b in a·b (a · 2a = 18),
# through b in + b (2a = 6).
value_used_twice = 33.0


def softsign_vjp(g, out, x):
    return g / (1 + abs(x)) ** 2


def neuron_gradients(x, w, b):
    out = np.tanh(w @ x + b)
    slope = 1 - out ** 2                 # tanh′(z), from the output
    return x * slope, slope


def dual_mul(a, b):
    (u, du), (v, dv) = a, b
    return u * v, u * dv + du * v        # the product rule


def central_difference(f, x, eps):
    g = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step.flat[i] = eps
        g.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return g


def xw_vjps(G, X, W):
    return G @ W, G.T @ X


def rows_bp4(delta, a_prev):
    return delta.T @ a_prev


def softmax_jacobian(z):
    e = np.exp(z - z.max())
    a = e / e.sum()
    return np.diag(a) - np.outer(a, a)


def softmax_delta(z, y):
    e = np.exp(z - z.max())
    return e / e.sum() - y


def tanh_bp2(W_next, delta_next, a):
    return (W_next.T @ delta_next) * (1 - a ** 2)


def bp3_bp4(delta, a_prev):
    n = delta.shape[1]
    return delta @ a_prev.T / n, delta.sum(axis=1, keepdims=True) / n


def fixed_backprop(weights, biases, x, y):
    n = x.shape[1]
    activations, a = [x], x
    for W, b in zip(weights, biases):
        a = sigmoid(W @ a + b)
        activations.append(a)
    delta = (a - y) / n * a * (1 - a)                                   # BP1
    dw, db = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        db[l] = delta.sum(axis=1, keepdims=True)                        # BP3: δ carries 1/n
        dw[l] = delta @ activations[l].T                                # BP4
        if l > 0:
            a_l = activations[l]
            delta = (weights[l].T @ delta) * a_l * (1 - a_l)            # BP2
    return dw, db


def newton_step(f, x):
    return x - grad(f)(x) / grad(grad(f))(x)
