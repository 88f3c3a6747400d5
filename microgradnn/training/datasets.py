"""Small classification data sets, generated in code (seeded) — plus scikit-learn's digits.

Each generator returns ``(x, y)``: x a float64 array (n, 2) of points, y an int64 array (n,)
of class labels, in a seeded random order; ``noise`` is the standard deviation of the Gaussian
noise added to every coordinate.

>>> x, y = moons(n=100, noise=0.1, seed=0)
>>> x.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def _check(n, noise, name: str, least: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < least:
        raise ValueError(f"{name}: n must be an integer ≥ {least}, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"{name}: noise must be a number ≥ 0, got {noise!r}")


def _finish(points: np.ndarray, labels: np.ndarray, noise: float, rng) -> tuple:
    """Add the noise and shuffle, so that classes are not in blocks. The noise is drawn even
    when it is 0, so that one seed gives one order whatever the noise."""
    points = points + noise * rng.standard_normal(points.shape)
    order = rng.permutation(len(labels))
    return points[order].astype(np.float64), labels[order].astype(np.int64)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple:
    """Two interleaving half circles: class 0 the upper moon, class 1 the lower one."""
    _check(n, noise, "moons", 2)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    labels = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _finish(np.vstack([upper, lower]), labels, noise, rng)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``."""
    _check(n, noise, "circles", 2)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must lie in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n - n0, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)
    labels = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _finish(np.vstack([outer, inner]), labels, noise, rng)


def spirals(n: int = 300, noise: float = 0.1, classes: int = 3, turns: float = 1.0,
            seed: int = 0) -> tuple:
    """``classes`` interleaved spiral arms from the origin, one per class (radius ≤ 1)."""
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"spirals: classes must be an integer ≥ 2, got {classes!r}")
    _check(n, noise, "spirals", classes)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    r = np.empty(n)
    for c in range(classes):                # points spread evenly along each arm
        mine = labels == c
        r[mine] = np.linspace(0.05, 1.0, mine.sum())
    angle = 2 * np.pi * (turns * r + labels / classes)
    points = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return _finish(points, labels, noise, rng)


def xor(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple:
    """Points around the four corners of the unit square, labelled x₁ XOR x₂.

    ``xor(n=4, noise=0.0)`` is the truth table itself (in a seeded order).
    """
    _check(n, noise, "xor")
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    points = corners[which]
    labels = (points[:, 0] != points[:, 1]).astype(np.int64)
    return _finish(points, labels, noise, rng)


def digits() -> tuple:
    """scikit-learn's bundled 8×8 handwritten digits: x (1797, 64) scaled to [0, 1], y 0..9.

    Needs scikit-learn (``pip install scikit-learn``, or ``pip install -e ".[digits]"`` in the
    checkout).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits() needs scikit-learn, which is not installed: "
                          "pip install scikit-learn (or, in the checkout, pip install -e \".[digits]\")") \
            from None
    data = load_digits()
    return data.data.astype(np.float64) / 16.0, data.target.astype(np.int64)


_GENERATORS: dict = {"moons": moons, "circles": circles, "spirals": spirals, "xor": xor,
                     "digits": digits}
NAMES = tuple(_GENERATORS)


def load(name: str, **kwargs) -> tuple:
    """A data set by name (moons, circles, spirals, xor, digits), with its keyword arguments."""
    fn: Callable[..., tuple] = _GENERATORS.get(name)
    if fn is None:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(_GENERATORS)}")
    return fn(**kwargs)
