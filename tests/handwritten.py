"""A learner's own backprop in plain numpy, in both layouts, with the common slips to plant.

Independent of microgradnn: its own activations and derivatives, its own loops. Each slip is
written the way a learner writes it in that layout (e.g. the transpose slip is ``W @ delta`` in
columns and ``delta @ W.T`` in rows). ``slip`` is a name from SLIPS, ``at`` the layer (1-based).
The quadratic cost C = 1/(2n) Σ ‖a − y‖², or softmax + cross-entropy (δᴸ = (a − y)/n).
"""
import numpy as np

F = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
     "relu": lambda z: np.maximum(z, 0.0)}
DF = {"sigmoid": lambda z: F["sigmoid"](z) * (1 - F["sigmoid"](z)),
      "tanh": lambda z: 1 - np.tanh(z) ** 2,
      "relu": lambda z: (z > 0).astype(float)}


def softmax_columns(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def other_activation(act):
    """The activation whose derivative the "other derivative" slip uses in an ``act`` layer."""
    return "tanh" if act == "sigmoid" else "sigmoid"


def _prime(act, z, slip):
    """σ′(z) of an ``act`` layer, with the σ′ slip planted there (if ``slip`` is one)."""
    if slip == "sigma for sigma prime":
        return F[act](z)
    if slip == "sigma prime missing":
        return np.ones_like(z)
    if slip == "other derivative":
        return DF[other_activation(act)](z)
    return DF[act](z)


# slip name → (the layer it is planted at, the equation to blame, the name the report gives)
def slips_for(act):
    other = other_activation(act)
    return {
        "transpose in BP2": (1, "BP2", "transpose"),
        "dW transposed": (2, "BP4", "transpose"),
        "sigma for sigma prime": (2, "BP2", "σ(z) for σ′(z)"),
        "sigma prime missing": (2, "BP2", "⊙σ′ missing"),
        "other derivative": (2, "BP2", f"{other}′ in a {act} layer"),
        "layer skipped": (2, "BP2", "zero δ (a layer skipped)"),
        "z for a": (2, "BP4", "z for a"),
        "sign": (3, "BP1", "sign"),
        "1/n missing": (3, "BP1", "batch mean: 1/n missing"),
        "1/n twice in BP3 and BP4": (3, "BP3", "batch mean: 1/n twice"),
        "a factor 2": (3, "BP1", "constant factor 2×"),
        "delta of the layer below in BP4": (2, "BP4", "off-by-one layer: δ1 for δ2"),
        "delta of the layer above in BP4": (1, "BP4", "off-by-one layer: δ2 for δ1"),
    }


def backprop_columns(W, B, acts, x, y, slip=None, at=None, loss="quadratic"):
    """x (in, n), y (out, n); returns dw (out, in), db (out, 1), deltas (out, n)."""
    a, a_s, z_s = x, [x], []
    for w, b, act in zip(W, B, acts):
        z = w @ a + b.reshape(-1, 1)
        a = softmax_columns(z) if act == "softmax" else F[act](z)
        z_s.append(z)
        a_s.append(a)
    L, n = len(W), x.shape[1]

    def prime(l):
        return _prime(acts[l - 1], z_s[l - 1], slip if l == at else None)

    if loss == "cross_entropy":
        delta = (a_s[-1] - y) / n
    else:
        delta = (a_s[-1] - y) / n * prime(L)                              # BP1
    if slip == "sign":
        delta = (y - a_s[-1]) / n * prime(L)                              # the article's y − a
    if slip == "1/n missing":
        delta = delta * n
    if slip == "a factor 2":
        delta = delta * 2
    deltas, dw, db = [None] * L, [None] * L, [None] * L
    deltas[L - 1] = delta
    for l in range(L, 0, -1):
        if l < L:
            upper = deltas[l]
            Wt = W[l] if (slip == "transpose in BP2" and l == at) else W[l].T
            deltas[l - 1] = (Wt @ upper) * prime(l)                       # BP2
            if slip == "layer skipped" and l == at:
                deltas[l - 1] = np.zeros_like(deltas[l - 1])
    for l in range(L, 0, -1):
        d, a_prev = deltas[l - 1], a_s[l - 1]
        if slip == "z for a" and l == at:
            a_prev = z_s[l - 2]
        if slip == "delta of the layer below in BP4" and l == at:
            d = deltas[l - 2]
        if slip == "delta of the layer above in BP4" and l == at:
            d = deltas[l]
        db[l - 1] = deltas[l - 1].sum(axis=1, keepdims=True)             # BP3
        dw[l - 1] = d @ a_prev.T                                          # BP4
        if slip == "dW transposed" and l == at:
            dw[l - 1] = a_prev @ d.T
        if slip == "1/n twice in BP3 and BP4" and l == at:
            db[l - 1], dw[l - 1] = db[l - 1] / n, dw[l - 1] / n
    return dw, db, deltas


def backprop_rows(W, B, acts, x, y, slip=None, at=None, loss="quadratic"):
    """x (n, in), y (n, out), one example per row; returns dw (out, in), db (out,), deltas
    (n, out)."""
    a, a_s, z_s = x, [x], []
    for w, b, act in zip(W, B, acts):
        z = a @ w.T + b
        a = softmax_columns(z.T).T if act == "softmax" else F[act](z)
        z_s.append(z)
        a_s.append(a)
    L, n = len(W), x.shape[0]

    def prime(l):
        return _prime(acts[l - 1], z_s[l - 1], slip if l == at else None)

    if loss == "cross_entropy":
        delta = (a_s[-1] - y) / n
    else:
        delta = (a_s[-1] - y) / n * prime(L)
    if slip == "sign":
        delta = -delta
    if slip == "1/n missing":
        delta = (a_s[-1] - y) * prime(L)
    if slip == "a factor 2":
        delta = 2 * delta
    deltas, dw, db = [None] * L, [None] * L, [None] * L
    deltas[L - 1] = delta
    for l in range(L - 1, 0, -1):
        Wl = W[l].T if (slip == "transpose in BP2" and l == at) else W[l]
        deltas[l - 1] = (deltas[l] @ Wl) * prime(l)                       # BP2 in rows
        if slip == "layer skipped" and l == at:
            deltas[l - 1] = np.zeros_like(deltas[l - 1])
    for l in range(L, 0, -1):
        d, a_prev = deltas[l - 1], a_s[l - 1]
        if slip == "z for a" and l == at:
            a_prev = z_s[l - 2]
        if slip == "delta of the layer below in BP4" and l == at:
            d = deltas[l - 2]
        if slip == "delta of the layer above in BP4" and l == at:
            d = deltas[l]
        db[l - 1] = deltas[l - 1].sum(axis=0)
        dw[l - 1] = d.T @ a_prev
        if slip == "dW transposed" and l == at:
            dw[l - 1] = a_prev.T @ d
        if slip == "1/n twice in BP3 and BP4" and l == at:
            db[l - 1], dw[l - 1] = db[l - 1] / n, dw[l - 1] / n
    return dw, db, deltas


def learner(net, x, y, layout, slip=None, at=None, loss="quadratic"):
    """The learner's (dw, db, deltas) for ``net``'s weights, x and y in the MLP's row layout."""
    W = [p.data.copy() for p in net.weights]
    B = [p.data.copy() for p in net.biases]
    if layout == "columns":
        return backprop_columns(W, B, net.activations, x.T, y.T, slip, at, loss)
    return backprop_rows(W, B, net.activations, x, y, slip, at, loss)
