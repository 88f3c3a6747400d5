"""The independent oracle every test shares: central finite differences in float64.

Plain numpy, no autodiff: f is evaluated at x ± eps, one element at a time. The oracle is only
as independent as the f it is given: op tests give it a plain-numpy reference forward
(tests/core/test_ops.py, tests/core/test_matmul.py), so that neither the values nor the
gradients they are checked against come from the library. Tests that give it the library's own
forward (run on constant Values) check the backward pass against the forward pass only.

``np_sigmoid`` and ``np_softmax`` are two such reference forwards, shared by the op and loss tests.
"""
import numpy as np


def central_differences(f, xs, eps=1e-6):
    """[∂ sum(f(*xs)) / ∂ xs[i] for each i], elementwise; a float where xs[i] is a number."""
    grads = []
    for i, x in enumerate(xs):
        x = np.array(x, dtype=float)
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            hi, lo = x.copy(), x.copy()
            hi[idx] += eps
            lo[idx] -= eps
            args_hi = [*xs[:i], hi if x.ndim else float(hi), *xs[i + 1:]]
            args_lo = [*xs[:i], lo if x.ndim else float(lo), *xs[i + 1:]]
            g[idx] = (np.sum(f(*args_hi)) - np.sum(f(*args_lo))) / (2 * eps)
        grads.append(g if x.ndim else float(g))
    return grads


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
