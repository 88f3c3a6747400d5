"""The numbers a Value holds (``as_data``: a Python float or a float64 array), and the math on
Python floats, numpy arrays and Values alike that the op table's forwards and VJPs are written
with (microgradnn.core.ops).

Every helper here dispatches on the type it is given:

* Python floats (a scalar graph, micrograd-style) take the ``math`` route: fast, and IEEE results
  (inf, nan) where ``math`` would raise;
* numpy arrays (a tensor graph) take numpy;
* anything else is a :class:`~microgradnn.core.engine.Value` (``backward(create_graph=True)``
  records the backward pass itself) and uses the Value's own methods, so the derivative of a
  derivative comes free.

So a VJP written with these helpers serves all three. Broadcasting is undone in one shared step,
:func:`unbroadcast`, that the engine applies to every gradient. This module imports nothing from
the package.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

_inf = math.inf
_nan = math.nan



# ---------------------------------------------------------------------------------------------
# The numbers a Value holds: a Python float, or a float64 ndarray
# ---------------------------------------------------------------------------------------------

def as_data(x: Any, what: str, copy: bool = False) -> Any:
    """A Python float for a number, a float64 ndarray for an array or a list; TypeError otherwise.

    copy: never share memory with the caller's array (a Value's data may be updated in place).
    An ndarray subclass (memmap, masked array, matrix) is always copied into a plain ndarray.
    """
    t = type(x)
    if t is float:
        return x
    if t is int or t is bool or isinstance(x, (np.integer, np.floating, np.bool_)):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{what}: the integer {str(x)[:20]}… ({len(str(x))} digits) is "
                             "too large for a float64 (largest ~1.8e308)") from None
    if isinstance(x, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(x)
            if arr.dtype == object and t is not np.ndarray:    # ints beyond int64, 10**30
                arr = np.asarray(x, dtype=np.float64)
        except (ValueError, TypeError, OverflowError) as e:   # ragged or non-numeric lists
            raise TypeError(f"{what}: cannot make an array of {t.__name__} ({e})") from None
        if arr.dtype.kind in "biuf":
            if isinstance(x, np.ndarray) and t is not np.ndarray:   # memmap, masked, matrix:
                return np.array(arr, dtype=np.float64)             # a plain copy, never a view
            return arr.astype(np.float64, copy=copy and arr is x)
        raise TypeError(f"{what}: expected numbers, got an array of dtype {arr.dtype} "
                        f"(allowed: bool, int, float)")
    if hasattr(x, "backward"):                   # a Value (this module does not import the engine)
        raise TypeError(f"{what}: got a Value; use it directly, or .detach() for a copy "
                        "that stops gradients")
    raise TypeError(f"{what}: expected a number, list or ndarray, got {t.__name__}")


# ---------------------------------------------------------------------------------------------
# Math on them (and on Values)
# ---------------------------------------------------------------------------------------------

def _elementary(name: str, on_float: Callable, on_array: Callable) -> Callable:
    """A function of floats (IEEE results where math raises: exp(1000) = inf, log(0) = -inf,
    sqrt(-1) = nan, as numpy and PyTorch), arrays and Values (its method, so it is recorded)."""
    def f(x):
        if type(x) is float:
            try:
                return on_float(x)
            except (ValueError, OverflowError):       # sin(inf), asin(2), cosh(1000)
                with np.errstate(all="ignore"):
                    return float(on_array(x))
        if type(x) is np.ndarray:
            return on_array(x)
        return getattr(x, name)()
    f.__name__ = name
    return f


exp = _elementary("exp", math.exp, np.exp)
log = _elementary("log", math.log, np.log)
tanh = _elementary("tanh", math.tanh, np.tanh)
sqrt = _elementary("sqrt", math.sqrt, np.sqrt)


def _where_zero(zero, f, a, *rest):
    """f(a, *rest), but exactly 0 where the boolean mask ``zero`` holds (PyTorch's where()).

    Where the mask holds, a is replaced by 1 before f sees it, so that no NaN (0·∞, say) is made
    and then multiplied away — not even in a recorded (create_graph) backward pass, whose own
    derivative would carry it.
    """
    if type(zero) is bool:                      # floats, or scalar Values: one number
        return 0.0 if zero else f(a, *rest)
    if not zero.any():                          # the common case: nothing to mask
        return f(a, *rest)
    if any(type(x) is not float and type(x) is not np.ndarray for x in (a, *rest)):
        # Values (a recorded backward pass): f of the unmasked entries only, gathered on the
        # graph and scattered back among zeros. Masking by multiplying with a 0/1 array would
        # not do: 0·∞ and 0·NaN are NaN, so a = ±∞ or NaN under the mask would poison the result.
        full = np.broadcast_shapes(zero.shape, *(shape(x) for x in (a, *rest)))
        keep = np.nonzero(~np.broadcast_to(zero, full))
        return f(*(_gather(x, keep, full) for x in (a, *rest))).scatter_add(keep, full)
    with np.errstate(all="ignore"):
        return np.where(zero, 0.0, f(np.where(zero, 1.0, a), *rest))


def _gather(x, keep: tuple, shape: tuple):
    """The entries of x (broadcast to shape) at the integer index arrays keep; a Value stays on
    the graph."""
    if type(x) is float:
        return x
    if type(x) is np.ndarray:
        return np.broadcast_to(x, shape)[keep]
    return (x if x.shape == shape else x.broadcast_to(shape))[keep]


def gate(g, d, stop=None):
    """g·d, the chain rule, but exactly 0 where ``stop`` holds (by default: where the local
    derivative d is 0) whatever g is: relu below 0, the smaller side of maximum and a⁰ stop even
    an infinite or NaN gradient from further up, as PyTorch's masked backward does (0·∞ would
    be NaN). Only a NaN product can hide a 0·∞, so the common case pays one check."""
    p = g * d
    if type(p) is float:
        return p if p == p or not (d == 0.0 if stop is None else stop) else 0.0
    numeric = isinstance(p, (np.ndarray, np.generic))
    data = p if numeric else p.data
    if not (data != data if type(data) is float else np.isnan(data.sum())):
        return p
    if stop is None:
        stop = _data(d) == 0.0
    if numeric:
        return np.where(stop, 0.0, p)
    return _where_zero(stop, _times, g, d)         # Values: a recorded backward pass


def relu_back(g, a):
    """g where a > 0 (or is NaN), exactly 0 where a ≤ 0 whatever g is: relu's VJP, g·step(a)
    gated as in :func:`gate`, in one select for numbers and arrays (as PyTorch's threshold)."""
    if type(a) is float:
        return 0.0 if a <= 0.0 else g
    if type(a) is np.ndarray and type(g) is np.ndarray:
        return np.where(a <= 0.0, 0.0, g)
    return gate(g, step(a))



def pow_back(g, a, b):
    """∂aᵇ/∂a's VJP: g·b·aᵇ⁻¹, gated to exactly 0 where b = 0 (a⁰ = 1 for every a, so no
    gradient passes, not even an infinite one: PyTorch's masked_fill)."""
    bd = _data(b)                              # (b is a Value in a recorded backward pass)
    if type(bd) is float and bd != 0.0:        # x ** 2 ...: nothing to mask
        if bd == 0.5 and type(_data(a)) is np.ndarray:
            # numpy computes an array ** 0.5 as √a (as PyTorch; −0 and NaN where IEEE pow has
            # +0 and inf): its slope is then 1/(2√a), −inf at −0 (as PyTorch), not +inf.
            return divide(g, 2.0 * sqrt(a))
        return g * (b * power(a, b - 1.0))
    return gate(g, pow_slope(a, b), bd == 0.0)



def _times(g, d):
    return g * d


# An exponent that is a Value or an array: the slopes are IEEE results (0 ** -0.5 = inf,
# log 0 = -inf) as in PyTorch, which says nothing; numpy would warn about each.
def _pow_base(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return b * power(a, b - 1.0)


def _pow_exponent(a, out):
    with np.errstate(divide="ignore", invalid="ignore"):
        return out * log(a)


def pow_slope(a, b):
    """b·aᵇ⁻¹ (∂aᵇ/∂a), but 0 where b = 0: a⁰ = 1 whatever a (b·aᵇ⁻¹ is 0·∞ at a = 0), as PyTorch.
    (A float b ≠ 0, the common x ** 2, never comes here: pow_back multiplies it out itself.)"""
    return _where_zero(_data(b) == 0.0, _pow_base, a, b)


def pow_log_slope(out, a, b):
    """aᵇ·ln a (∂aᵇ/∂b), but 0 where a = 0 and b ≥ 0, as PyTorch (ln 0 = −∞): 0ᵇ is 0 for every
    b > 0, so constant there; at b = 0, where 0ᵇ jumps from 0 to 1, no derivative exists and
    PyTorch's 0 is taken too."""
    return _where_zero((_data(a) == 0.0) & (_data(b) >= 0.0), _pow_exponent, a, out)



def sigmoid(x):
    # exp(x) / (1 + exp(x)) overflows for large x (the seed article's bug); exponentiate -|x| only.
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    if type(x) is not np.ndarray:
        return x.sigmoid()                 # a Value: recorded, so its derivative flows
    if x.ndim == 0:
        return np.array(sigmoid(float(x)))
    # Arrays: 1 / (1 + e⁻ˣ) in one buffer, four numpy calls. e⁻ˣ overflows only for x < −709,
    # where σ(x) ≈ eˣ is tiny but not 0; there (rarely) the two-case formula takes over.
    t = np.negative(x)
    try:
        with np.errstate(over="raise"):
            np.exp(t, out=t)
    except FloatingPointError:
        e = np.exp(-np.abs(x))            # σ(|x|) = 1 / (1 + e), σ(−|x|) = e / (1 + e)
        r = 1.0 / (1.0 + e)
        return np.where(x >= 0, r, e * r)
    t += 1.0
    return np.divide(1.0, t, out=t)


def sigmoid_back(g, out):
    """g·σ(1 − σ): σ's VJP from its output (BP2's σ′(z) = a(1 − a), never σ(z) again). On
    arrays in one new buffer instead of three."""
    if type(out) is np.ndarray and type(g) is np.ndarray and g.shape == out.shape:
        d = np.subtract(1.0, out)
        d *= out
        d *= g
        return d
    return g * (out * (1.0 - out))



def power(a, b):
    if type(a) is float and type(b) is float:
        try:
            return math.pow(a, b)  # unlike a ** b, never a complex number
        except (ValueError, OverflowError, ZeroDivisionError):
            with np.errstate(all="ignore"):  # negative base, 0 ** -1, overflow: IEEE nan / inf
                return float(np.power(a, b))
    if type(a) is np.ndarray or type(b) is np.ndarray:
        if type(a) is float and type(b) is np.ndarray:
            a = np.float64(a)
        return np.power(a, b)
    return a ** b


def divide(a, b):
    if type(a) is float and type(b) is float:
        try:
            return a / b
        except ZeroDivisionError:  # IEEE: x/0 = ±inf, 0/0 = nan
            return _nan if a == 0.0 or a != a else math.copysign(_inf, a) * math.copysign(1.0, b)
    return a / b


def step(x):
    """0 where x ≤ 0, else 1: relu's derivative (relu'(0) = 0, and 1 at NaN, as in PyTorch).
    A constant."""
    x = _data(x)
    return (0.0 if x <= 0.0 else 1.0) if type(x) is float else (~(x <= 0)).astype(float)


def sign(x):
    """abs's derivative: sign(0) = 0 and sign(NaN) = 0, as in PyTorch. A constant."""
    x = _data(x)
    return float((x > 0) - (x < 0)) if type(x) is float else \
        (x > 0).astype(float) - (x < 0).astype(float)


def share(a, b):
    """maximum(a, b)'s derivative in a: 1 where a wins, 0 where b wins, ½ at a tie (as PyTorch;
    a NaN on either side counts as a win for both). A constant."""
    a, b = _data(a), _data(b)
    if type(a) is float and type(b) is float:
        return 0.0 if a < b else 0.5 if a == b else 1.0
    with np.errstate(invalid="ignore"):
        return np.where(a < b, 0.0, np.where(a == b, 0.5, 1.0))


def _data(x):
    """The raw number or array behind x (x itself when it is not a Value)."""
    return x if type(x) is float or type(x) is np.ndarray else x.data


def shape(x) -> tuple:
    return () if type(x) is float else x.shape


def ndim(x) -> int:
    return len(shape(x))


def reshape(x, shp):
    if type(x) is float:
        return x if shp == () else np.full(shp, x)
    return x.reshape(shp)


def transpose(x, axes):
    return x.transpose(axes)


def sum_axes(x, axis=None, keepdims=False):
    if type(x) is float:
        return x
    if type(x) is np.ndarray:      # what ndarray.sum calls, without its Python wrapper
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return x.sum(axis=axis, keepdims=keepdims)     # Value.sum


def max_axes(x, axis=None, keepdims=False):
    return x if type(x) is float else np.max(x, axis=axis, keepdims=keepdims)


def broadcast_to(x, shp):
    if type(x) is np.ndarray or isinstance(x, np.generic):
        # np.full is several times cheaper than np.broadcast_to for the common one-element case
        return np.full(shp, x) if np.size(x) == 1 else np.broadcast_to(x, shp)
    if type(x) is float:
        return np.full(shp, x)
    return x.broadcast_to(shp)


def inverse_permutation(axes: tuple) -> tuple:
    """The axes that undo a transpose: transposing by axes, then by these, is the identity."""
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))


def matrix_transpose(x):
    """Swap the last two axes (x must have at least two)."""
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)
    axes = list(range(ndim(x)))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, tuple(axes))


_ONES: dict = {}


def _ones(n: int) -> np.ndarray:
    """A read-only vector of n ones, made once per length (for the first 64 lengths asked)."""
    v = _ONES.get(n)
    if v is None:
        v = np.ones(n)
        v.flags.writeable = False
        if len(_ONES) < 64:
            _ONES[n] = v
    return v


def broadcast_axes(shape: tuple, to: tuple) -> tuple:
    """The axes numpy broadcasting added or stretched to turn shape ``to`` into ``shape``: the
    ones a gradient of ``shape`` is summed over to come back to ``to``."""
    lead = len(shape) - len(to)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(to)
                                      if n == 1 and shape[lead + i] != 1)


def unbroadcast(g, like):
    """Sum g down to the shape of ``like`` (an input's data or Value), undoing numpy broadcasting.

    This is the one shared step that spares every op from thinking about broadcasting.

    >>> unbroadcast(np.ones((2, 3)), np.zeros(3))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), 5.0)   # a scalar combined with a tensor gets a float
    6.0
    """
    tg, tl = type(g), type(like)
    if tg is float and tl is float or tg is np.ndarray and tl is np.ndarray \
            and g.shape == like.shape:
        return g                          # nothing was broadcast: the common case
    if tg is np.ndarray and tl is np.ndarray and g.ndim == like.ndim + 1 \
            and g.shape[1:] == like.shape:
        # The common case, a bias: sum over the batch (BP3). For a (batch, n) gradient, as the
        # product 1ᵀG: BLAS does it several times faster than numpy's sum over axis 0.
        return sum_rows(g) if g.ndim == 2 else np.add.reduce(g, axis=0)
    shp, gshp = shape(like), shape(g)
    if gshp != shp:
        g = sum_axes(g, axis=broadcast_axes(gshp, shp))
        if shp != ():
            g = reshape(g, shp)
    if type(like) is float:          # a scalar Value's gradient stays a Python float
        return float(g)
    if type(like) is np.ndarray and type(g) is not np.ndarray:
        return np.asarray(g, dtype=float)
    return g


def expand(g, in_shape: tuple, axis, keepdims: bool):
    """Spread the gradient of a reduction (sum, max) back over the axes it reduced."""
    if not keepdims and axis is not None and in_shape != ():
        axes = (axis,) if isinstance(axis, int) else axis
        axes = {a % len(in_shape) for a in axes}
        g = reshape(g, tuple(1 if i in axes else n for i, n in enumerate(in_shape)))
    if type(g) is np.ndarray or isinstance(g, np.generic):
        out = np.empty(in_shape, dtype=g.dtype)   # filling a new array is cheaper than
        out[...] = g                  # np.broadcast_to (an iterator built in Python on every
        return out                    # call) and than np.full (a loss's Σ: g has one element)
    return broadcast_to(g, in_shape)


def scatter_add(g, index, in_shape: tuple):
    """Zeros of in_shape with g added at index (repeated indices accumulate): getitem's VJP."""
    if isinstance(g, (np.ndarray, float)):   # float includes numpy scalars (0-d results)
        z = np.zeros(in_shape)
        np.add.at(z, index, g)
        return z
    return g.scatter_add(index, in_shape)


def getitem(x, index):
    return x[index]


# --- forwards and VJPs of the ops that are not one line ---


def relu(x):
    """max(x, 0), with PyTorch's edge values: relu(−0.0) is −0.0 and NaN stays NaN."""
    if type(x) is float:
        return x if x >= 0.0 or x != x else 0.0
    return np.maximum(0.0, x)      # 0 first: where x is −0.0, numpy returns the second, x


def maximum(a, b):
    if type(a) is float and type(b) is float:
        return a if a >= b else b if b > a else a + b     # a NaN on either side: NaN (a + b)
    return np.maximum(a, b)


def argmax_mask(a, out, axis, keepdims):
    """1/k at each of the k positions holding the maximum (ties share the gradient evenly)."""
    a, out = _data(a), _data(out)
    if type(a) is float:
        return 1.0
    hit = (a == expand(out, a.shape, axis, keepdims)).astype(float)
    return hit / expand(hit.sum(axis=axis, keepdims=keepdims), a.shape, axis, keepdims)


def sum_rows(g):
    """Σ over the rows (the batch): BP3's ∂C/∂b = Σₓ δₓ. On a matrix as the product 1ᵀG, which
    BLAS does several times faster than numpy's sum over axis 0."""
    if type(g) is np.ndarray:
        return _ones(g.shape[0]) @ g
    return g.sum(axis=0)


def affine(x, w, b):
    """x Wᵀ + b, the bias added into the product's new buffer (no second array per layer)."""
    z = x @ w.T
    z += b
    return z


def times_difference(a, y, s):
    """(a − y)·s: the quadratic cost's VJP; on arrays (s a number) in one new buffer."""
    if type(a) is np.ndarray and type(y) is np.ndarray and isinstance(s, float):
        d = np.subtract(a, y)
        d *= s
        return d
    return (a - y) * s


def squared_error(a, y, n):
    """C = 1/(2n) Σ (a − y)²: the quadratic cost's forward, a float for floats, else 0-d."""
    d = a - y
    if type(d) is float:
        return 0.5 / n * (d * d)
    d = d.ravel()
    return np.array(0.5 / n * (d @ d))   # the dot product: one BLAS call for Σ (a − y)²



def log_softmax(z):
    """z − ln Σ exp(z) along the last axis, the maximum shifted out first (every exp ≤ 1)."""
    if type(z) is np.ndarray:
        s = z - z.max(axis=-1, keepdims=True)
        s -= np.log(np.exp(s).sum(axis=-1, keepdims=True))
        return s
    return z.log_softmax(axis=-1)


def softmax_minus(z, t, s):
    """(softmax(z) − t)·s along the last axis: the softmax cross-entropy's VJP. On arrays (s a
    number) in one new buffer."""
    if type(z) is np.ndarray and type(t) is np.ndarray and isinstance(s, float):
        p = z - z.max(axis=-1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        p -= t
        p *= s
        return p
    return (z.softmax(axis=-1) - t) * s


def cross_entropy(z, t, n):
    """C = −1/n Σ t ⊙ ln softmax(z): the softmax cross-entropy's forward, a 0-d array."""
    ls = log_softmax(z)
    # Σ t ln softmax(z) over the entries where t ≠ 0 only: a masked logit (−inf), whose target is
    # 0, adds 0 to the loss, not 0·(−∞) = NaN (as PyTorch).
    return np.array(-1.0 / n * np.vdot(t[t != 0], ls[t != 0]))



def sigmoid_minus(z, t, s):
    """(σ(z) − t)·s: the binary cross-entropy's VJP; on arrays (s a number) in one new buffer."""
    if type(z) is np.ndarray and type(t) is np.ndarray and isinstance(s, float):
        p = sigmoid(z)
        p -= t
        p *= s
        return p
    return (z.sigmoid() - t) * s


def bce_from_logits(z, t, n):
    """C = 1/n Σ [softplus(z) − t·z], which is −1/n Σ [t ln σ(z) + (1 − t) ln(1 − σ(z))]: the
    binary cross-entropy's forward from the logits z, a 0-d array, finite at any finite z.

    softplus(z) − t·z is computed as (m − t·z) + ln(1 + e^−|z|) with m = max(z, 0): the exponent is
    ≤ 0, so nothing overflows (ln(1 + eᶻ) does above z ≈ 709), and the small last term is added
    to the cancelled first one, so a confident logit keeps its precision (z = 36, t = 1: 2.3e-16,
    not 0). t·z is taken only where t ≠ 0, so z = +inf with t = 0 gives inf, not 0·inf = NaN."""
    m = np.maximum(z, 0.0)
    tz = np.multiply(t, z, out=np.zeros(np.broadcast_shapes(np.shape(t), np.shape(z))),
                     where=t != 0)
    per_point = m - tz
    per_point += np.log1p(np.exp(-np.abs(z)))
    return np.array(np.add.reduce(per_point, axis=None) / n)


# --- the elementary functions numpy has (sin, cos ...) and the ops added with them ---

sin = _elementary("sin", math.sin, np.sin)
cos = _elementary("cos", math.cos, np.cos)
tan = _elementary("tan", math.tan, np.tan)
arcsin = _elementary("arcsin", math.asin, np.arcsin)
arccos = _elementary("arccos", math.acos, np.arccos)
arctan = _elementary("arctan", math.atan, np.arctan)
sinh = _elementary("sinh", math.sinh, np.sinh)
cosh = _elementary("cosh", math.cosh, np.cosh)
square = _elementary("square", lambda x: x * x, np.square)


def sign_of(x):
    """−1, 0 or +1 (NaN stays NaN): the forward of the sign op."""
    return float(np.sign(x)) if type(x) is float else np.sign(x)


def no_gradient(g):
    """The VJP of a function flat everywhere: zeros like g (for a Value, on the graph)."""
    if type(g) is float:
        return 0.0
    if type(g) is np.ndarray:
        return np.zeros(g.shape)
    return g * 0.0


def clip(a, lo, hi):
    return np.clip(a, lo, hi)


def inside(a, lo, hi):
    """1 where lo ≤ a ≤ hi (a missing bound is no bound), else 0: clip's derivative. A constant."""
    a = _data(a)
    keep = np.ones(np.shape(a), dtype=bool)
    if lo is not None:
        keep &= a >= lo
    if hi is not None:
        keep &= a <= hi
    return float(keep) if type(a) is float else keep.astype(float)


def minimum(a, b):
    return np.minimum(a, b)


def where(a, b, cond):
    return np.where(cond, a, b)


def pick(g, keep):
    """g where the boolean mask keep holds, exactly 0 elsewhere (even where g is ∞ or NaN)."""
    if type(g) is float or type(g) is np.ndarray:
        return np.where(keep, g, 0.0)
    return gate(g, np.asarray(keep, dtype=float), ~np.asarray(keep))


def min_axes(x, axis=None, keepdims=False):
    return x if type(x) is float else np.min(x, axis=axis, keepdims=keepdims)


def prod_axes(x, axis=None, keepdims=False):
    return x if type(x) is float else np.prod(x, axis=axis, keepdims=keepdims)


def prod_others(a, out, axis, keepdims):
    """For each aᵢ the product of the other entries along axis (all of them for axis None):
    out/aᵢ where no entry is 0, else products of the others taken one by one (exact at 0s)."""
    if type(a) is float:
        return 1.0
    if not (_data(a) == 0.0).any():
        return divide(expand(out, shape(a), axis, keepdims), a)
    if axis is None:
        return reshape(prod_others(reshape(a, (-1,)), None, 0, False), shape(a))
    k, n = axis % ndim(a), shape(a)[axis]
    if type(a) is np.ndarray:            # exclusive products from the left and from the right
        b = np.moveaxis(a, k, -1)
        ones = np.ones(b.shape[:-1] + (1,))
        left = np.cumprod(np.concatenate([ones, b[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, b[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        return np.moveaxis(left * right, -1, k)
    total = None                          # a Value (a recorded backward pass): one by one
    for i in range(n):
        others = a[(slice(None),) * k + (np.array([j for j in range(n) if j != i], dtype=int),)]
        at_i = others.prod(axis=k, keepdims=True).scatter_add(
            (slice(None),) * k + (slice(i, i + 1),), shape(a))
        total = at_i if total is None else total + at_i
    return total


def cumsum(x, axis):
    return np.cumsum(x, axis=axis)


def reverse_cumsum(g, axis):
    """Σ_{j ≥ i} g_j along axis: cumsum's VJP (for a Value, on the graph)."""
    back = (slice(None),) * (axis % ndim(g)) + (slice(None, None, -1),)
    if type(g) is np.ndarray:
        return np.cumsum(g[back], axis=axis)[back]
    return g[back].cumsum(axis)[back]
