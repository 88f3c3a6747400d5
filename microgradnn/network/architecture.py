"""What a dense network is made of, checked: layer sizes, activation names, initial weights.

Plain numpy, shared by the Value network (:mod:`microgradnn.nn`) and the closed-form network
(:mod:`microgradnn.backprop`, which must not touch the engine), so both accept — and refuse —
exactly the same architectures.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
INITS = ("normal", "xavier", "he")
LOSSES = ("quadratic", "bce", "cross_entropy")   # the costs both networks know, by name


def numbers(x, what: str) -> np.ndarray:
    """x as a float64 array (the same array when it is one already); a TypeError naming the
    dtype for anything but real numbers — complex, strings, objects — as ``Value()`` refuses
    them, never a complex part dropped or a string parsed.

    >>> numbers([[1, 2.5]], "MLP input").dtype
    dtype('float64')
    >>> numbers([["1.5", "2"]], "MLP input")
    Traceback (most recent call last):
    TypeError: MLP input: expected numbers, got an array of dtype <U3 (allowed: bool, int, float)
    """
    try:
        arr = np.asarray(x)
    except ValueError as e:            # ragged nested lists
        raise TypeError(f"{what}: cannot make an array of {type(x).__name__} ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected numbers, got an array of dtype {arr.dtype} "
                        "(allowed: bool, int, float)")
    return arr.astype(np.float64, copy=False)


def check_architecture(layers: Sequence[int], activations: Sequence[str]) -> tuple:
    """Validate layer sizes and activation names; return them as (list, list).

    Shared by :class:`~microgradnn.nn.MLP` and :class:`~microgradnn.backprop.NeuralNetwork`,
    which accept the same architectures.
    """
    if isinstance(activations, str):
        raise TypeError(f"activations must be a list of names, one per layer, got the string "
                        f"{activations!r}")
    layers, activations = list(layers), list(activations)
    if len(layers) < 2:
        raise ValueError(f"layers must list at least an input and an output size, got {layers}")
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer sizes must be positive integers, got {layers}")
    if len(activations) != len(layers) - 1:
        raise ValueError(f"{len(layers)} layer sizes {layers} need {len(layers) - 1} activations "
                         f"(one per weight layer), got {len(activations)}: {activations}")
    for i, name in enumerate(activations):
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r} for layer {i + 1}; "
                             f"known: {', '.join(ACTIVATIONS)}")
        if name == "softmax" and i != len(activations) - 1:
            raise ValueError(f"softmax is allowed on the output layer only, got it on layer "
                             f"{i + 1} of {len(activations)}")
    return [int(n) for n in layers], activations


def init_parameters(layers: Sequence[int], init: str, seed: int) -> tuple:
    """Seeded weights (out, in) and biases (out,) as numpy arrays, drawn W1, b1, W2, b2, ...

    "normal": the seed article's standard normal for W and b; "xavier" (Glorot):
    W ~ N(0, 2/(in+out)), b = 0; "he": W ~ N(0, 2/in), b = 0. The closed-form network draws
    from the same generator in the same order, so equal seeds give equal weights.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        if init == "normal":
            weights.append(rng.standard_normal((n_out, n_in)))
            biases.append(rng.standard_normal(n_out))
        else:
            std = math.sqrt(2.0 / (n_in + n_out)) if init == "xavier" else math.sqrt(2.0 / n_in)
            weights.append(rng.standard_normal((n_out, n_in)) * std)
            biases.append(np.zeros(n_out))
    return weights, biases
