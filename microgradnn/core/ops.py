"""The catalogue of primitive operations: each op's forward and its derivative, side by side.

Every op is an :class:`Op` holding

* ``forward(*inputs, *params)``: computes the output from the inputs' data, and
* ``vjps``: one vector-Jacobian product per input, ``vjp(g, out, *inputs, *params)``,
  that turns the gradient ``g`` arriving at the output into the gradient of that input.

The same lines serve three kinds of arguments:

* Python floats (a scalar graph, micrograd-style; no numpy on the hot path),
* numpy arrays (a tensor graph),
* :class:`~microgradnn.engine.Value` nodes (``backward(create_graph=True)``: the backward pass is
  itself recorded, so gradients can be differentiated again).

That is why the derivatives below use only arithmetic and the small helpers defined here
(``exp``, ``log``, ``reshape``, ...), each of which dispatches on the type it is given.

Broadcasting is never handled here: the engine sums every gradient back to its input's shape in
one shared step (:func:`unbroadcast`). This module imports nothing from the engine.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable

import numpy as np

_inf = math.inf
_nan = math.nan


# ---------------------------------------------------------------------------------------------
# Helpers that work on floats, ndarrays and Values alike.
# Floats take the `math` route (fast, and IEEE results instead of Python exceptions);
# arrays take numpy; anything else is a Value and uses its own methods.
# ---------------------------------------------------------------------------------------------

def exp(x):
    if type(x) is float:
        return _inf if x > 709.782712893384 else math.exp(x)  # math.exp raises on overflow; nan stays nan
    if type(x) is np.ndarray:
        return np.exp(x)
    return x.exp()


def log(x):
    if type(x) is float:
        if x > 0.0:
            return math.log(x)
        return -_inf if x == 0.0 else _nan  # what numpy and PyTorch return
    if type(x) is np.ndarray:
        return np.log(x)
    return x.log()


def tanh(x):
    if type(x) is float:
        return math.tanh(x)
    if type(x) is np.ndarray:
        return np.tanh(x)
    return x.tanh()


def sqrt(x):
    if type(x) is float:
        return math.sqrt(x) if x >= 0.0 else _nan   # math.sqrt raises below 0; nan stays nan
    if type(x) is np.ndarray:
        return np.sqrt(x)
    return x.sqrt()


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


relu_back.formula = "g * step(a)"             # how traces write it (microgradnn.trace)


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


pow_back.formula = "g * (b * a ** (b - 1))"


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
    """aᵇ·ln a (∂aᵇ/∂b), but 0 where a = 0 and b ≥ 0: 0ᵇ is constant there (ln 0 = −∞), as
    PyTorch."""
    return _where_zero((_data(a) == 0.0) & (_data(b) >= 0.0), _pow_exponent, a, out)


pow_slope.formula = "b * a ** (b - 1)"         # how traces write them (microgradnn.trace)
pow_log_slope.formula = "out * log(a)"


def sigmoid(x):
    # exp(x) / (1 + exp(x)) overflows for large x (the seed article's bug); exponentiate -|x| only.
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
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


sigmoid_back.formula = "g * (out * (1 - out))"     # how traces write it (microgradnn.trace)


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


def unbroadcast(g, like):
    """Sum g down to the shape of ``like`` (an input's data or Value), undoing numpy broadcasting.

    This is the one shared step that spares every op from thinking about broadcasting.

    >>> unbroadcast(np.ones((2, 3)), np.zeros(3))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), 5.0)   # a scalar combined with a tensor gets a float
    6.0
    """
    if type(g) is np.ndarray and type(like) is np.ndarray and g.ndim == like.ndim + 1 \
            and g.shape[1:] == like.shape:
        # The common case, a bias: sum over the batch (BP3). For a (batch, n) gradient, as the
        # product 1ᵀG: BLAS does it several times faster than numpy's sum over axis 0.
        return sum_rows(g) if g.ndim == 2 else np.add.reduce(g, axis=0)
    shp, gshp = shape(like), shape(g)
    if gshp != shp:
        lead = len(gshp) - len(shp)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shp) if n == 1 and gshp[lead + i] != 1)
        g = sum_axes(g, axis=axes)
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


def _getitem(x, index):
    return x[index]


# ---------------------------------------------------------------------------------------------
# The ops themselves.
# ---------------------------------------------------------------------------------------------

_IDENTITY_VJP = (lambda g, out, a, b: g).__code__


def _passes_g(vjp) -> bool:
    """Whether vjp is written ``lambda g, out, a, b: g`` (it returns the gradient unchanged)."""
    code = getattr(vjp, "__code__", None)
    return code is not None and code.co_code == _IDENTITY_VJP.co_code and \
        code.co_varnames[:4] == _IDENTITY_VJP.co_varnames[:4] and code.co_argcount == 4


class Op:
    """A primitive operation: its forward and, per input, its vector-Jacobian product (VJP).

    The VJP for input i is ``g * ∂out/∂input_i`` for elementwise ops (``g`` is the gradient
    arriving at the output), and the general chain rule for the others (matmul, reductions).
    """

    __slots__ = ("name", "symbol", "forward", "vjps", "params", "elementwise", "general", "pair")

    def __init__(self, name: str, symbol: str, forward: Callable[..., Any],
                 vjps: tuple, params: tuple = (), elementwise: bool = True):
        self.name = name            # for errors, drawings and traces
        self.symbol = symbol        # what a drawing writes in the op's box
        self.forward = forward      # forward(*inputs, *params)
        self.vjps = vjps            # one per input: vjp(g, out, *inputs, *params)
        self.params = params        # names of the static parameters stored on the node (axis, ...)
        self.elementwise = elementwise
        # Three inputs, or two and parameters (the quadratic cost): the engine's fast reverse
        # loop, written for one or two inputs, hands these to its general step.
        self.general = len(vjps) > 2 or (len(vjps) == 2 and bool(params))
        # What that fast loop calls for a plain binary op: its two VJPs, but None for one that is
        # `lambda g, out, a, b: g` (∂out/∂input = 1, both of add's): the loop passes g on itself
        # instead of calling a function that returns it (half the nodes of a scalar MLP are +).
        self.pair = None if self.general or len(vjps) != 2 else \
            tuple(None if _passes_g(v) else v for v in vjps)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# --- arithmetic (elementwise, numpy broadcasting) ---
# The forwards of +, -, * and unary - are the operator module's a + b, a - b, a * b and -a: the
# same arithmetic as a lambda, called from C, which takes about 40 ns off every scalar node.

add = Op("add", "+", operator.add,                 # a + b
         (lambda g, out, a, b: g,            # ∂(a+b)/∂a = 1
          lambda g, out, a, b: g))           # ∂(a+b)/∂b = 1

sub = Op("sub", "-", operator.sub,                 # a - b
         (lambda g, out, a, b: g,            # ∂(a−b)/∂a = 1
          lambda g, out, a, b: -g))          # ∂(a−b)/∂b = −1

mul = Op("mul", "*", operator.mul,                 # a * b
         (lambda g, out, a, b: g * b,        # ∂(ab)/∂a = b
          lambda g, out, a, b: g * a))       # ∂(ab)/∂b = a

div = Op("div", "/", divide,
         (lambda g, out, a, b: divide(g, b),           # ∂(a/b)/∂a = 1/b
          lambda g, out, a, b: -g * divide(out, b)))   # ∂(a/b)/∂b = −a/b² = −out/b


pow = Op("pow", "**", power,
         (lambda g, out, a, b: pow_back(g, a, b),            # ∂aᵇ/∂a = b·aᵇ⁻¹ (0 where b = 0)
          lambda g, out, a, b: g * pow_log_slope(out, a, b)))  # ∂aᵇ/∂b = aᵇ·ln a (0 at 0ᵇ, b ≥ 0)

neg = Op("neg", "-", operator.neg,                 # -a
         (lambda g, out, a: -g,))            # ∂(−a)/∂a = −1

# --- elementwise functions ---

exp_ = Op("exp", "exp", exp,
          (lambda g, out, a: g * out,))                    # exp' = exp = out

log_ = Op("log", "log", log,
          (lambda g, out, a: divide(g, a),))               # log'(a) = 1/a

sqrt_ = Op("sqrt", "√", sqrt,
           (lambda g, out, a: divide(g, 2.0 * out),))      # √a' = 1 / (2√a), ∞ at 0

tanh_ = Op("tanh", "tanh", tanh,
           (lambda g, out, a: g * (1.0 - out * out),))     # tanh' = 1 − tanh²

sigmoid_ = Op("sigmoid", "σ", sigmoid,
              (lambda g, out, a: sigmoid_back(g, out),))   # σ' = σ(1 − σ), from the output


def _relu(x):
    if type(x) is float:
        return 0.0 if x <= 0.0 else x   # nan stays nan
    return np.maximum(x, 0.0)


relu = Op("relu", "relu", _relu,
          (lambda g, out, a: relu_back(g, a),))              # relu' = 0 where a ≤ 0, else 1


def _maximum(a, b):
    if type(a) is float and type(b) is float:
        return a if a >= b else b if b > a else a + b     # a NaN on either side: NaN (a + b)
    return np.maximum(a, b)


maximum = Op("maximum", "max", _maximum,
             (lambda g, out, a, b: gate(g, share(a, b)),      # 1 where a wins, ½ at a tie
              lambda g, out, a, b: gate(g, share(b, a))))     # 1 where b wins, ½ at a tie

abs_ = Op("abs", "abs", lambda a: abs(a),
          (lambda g, out, a: g * sign(a),))                # |a|' = sign(a), 0 at 0

# --- shape and reduction ops (not elementwise: their VJPs move gradients between positions) ---

sum_ = Op("sum", "Σ", lambda a, axis, keepdims: sum_axes(a, axis, keepdims),
          (lambda g, out, a, axis, keepdims: expand(g, shape(a), axis, keepdims),),  # copy g back
          params=("axis", "keepdims"), elementwise=False)


def _argmax_mask(a, out, axis, keepdims):
    """1/k at each of the k positions holding the maximum (ties share the gradient evenly)."""
    a, out = _data(a), _data(out)
    if type(a) is float:
        return 1.0
    hit = (a == expand(out, a.shape, axis, keepdims)).astype(float)
    return hit / expand(hit.sum(axis=axis, keepdims=keepdims), a.shape, axis, keepdims)


max_ = Op("max", "max",
          lambda a, axis, keepdims: a if type(a) is float else np.max(a, axis=axis, keepdims=keepdims),
          (lambda g, out, a, axis, keepdims:                         # only the maxima get g
           expand(g, shape(a), axis, keepdims) * _argmax_mask(a, out, axis, keepdims),),
          params=("axis", "keepdims"), elementwise=False)

reshape_ = Op("reshape", "reshape", lambda a, shp: reshape(a, shp),
              (lambda g, out, a, shp: reshape(g, shape(a)),),       # put g back in a's shape
              params=("shape",), elementwise=False)

transpose_ = Op("transpose", "T", lambda a, axes: a.transpose(axes),
                (lambda g, out, a, axes: transpose(g, inverse_permutation(axes)),),
                params=("axes",), elementwise=False)

broadcast_to_ = Op("broadcast_to", "broadcast", lambda a, shp: broadcast_to(a, shp),
                   (lambda g, out, a, shp: g,),   # the engine's unbroadcast sums g back to a
                   params=("shape",), elementwise=False)

getitem = Op("getitem", "[]", _getitem,
             (lambda g, out, a, index: scatter_add(g, index, shape(a)),),  # g back where it came
             params=("index",), elementwise=False)

scatter_add_ = Op("scatter_add", "scatter", scatter_add,
                  (lambda g, out, a, index, shp: g[index],),  # getitem's VJP; its VJP is getitem
                  params=("index", "shape"), elementwise=False)

matmul = Op("matmul", "@", lambda a, b: a @ b,
            (lambda g, out, a, b: g @ matrix_transpose(b),    # VJP into A: G Bᵀ (not a Jacobian)
             lambda g, out, a, b: matrix_transpose(a) @ g),   # VJP into B: Aᵀ G
            elementwise=False)

# A dense layer's product x Wᵀ with W stored (out, in), as in the seed article and PyTorch. It is
# matmul with the transpose folded in: one node instead of two, so W feeds the layer directly in
# drawings, and no transposed copy is made forward or backward.
linear = Op("linear", "xWᵀ", lambda x, w: x @ w.T,
            (lambda g, out, x, w: g @ w,                      # VJP into X: G W
             lambda g, out, x, w: matrix_transpose(g) @ x),   # VJP into W: Gᵀ X
            elementwise=False)


def sum_rows(g):
    """Σ over the rows (the batch): BP3's ∂C/∂b = Σₓ δₓ. On a matrix as the product 1ᵀG, which
    BLAS does several times faster than numpy's sum over axis 0."""
    if type(g) is np.ndarray:
        return _ones(g.shape[0]) @ g
    return g.sum(axis=0)


sum_rows.formula = "sum(g, axis=0)"                 # how traces write it (microgradnn.trace)


def _affine(x, w, b):
    z = x @ w.T
    z += b                    # into the product's new buffer: no second array per layer
    return z


# A dense layer's zˡ = x Wᵀ + b as one node (PyTorch's F.linear with a bias): the step learners
# read as one equation, drawn with its three inputs. With G = δ (one row per example), its VJPs
# are BP2's G W (times σ′ at the layer below), BP4's Gᵀ X and BP3's G summed over the batch.
affine = Op("affine", "xWᵀ + b", _affine,
            (lambda g, out, x, w, b: g @ w,                      # VJP into X: G W
             lambda g, out, x, w, b: g.T @ x,                    # VJP into W: Gᵀ X (2-D)
             lambda g, out, x, w, b: sum_rows(g)),               # VJP into b: Σ rows of G
            elementwise=False)


def times_difference(a, y, s):
    """(a − y)·s: the quadratic cost's VJP; on arrays (s a number) in one new buffer."""
    if type(a) is np.ndarray and type(y) is np.ndarray and isinstance(s, float):
        d = np.subtract(a, y)
        d *= s
        return d
    return (a - y) * s


times_difference.formula = "(a - y) * (g / n)"    # how traces write it (microgradnn.trace)


def squared_error(a, y, n):
    """C = 1/(2n) Σ (a − y)²: the quadratic cost's forward, a float for floats, else 0-d."""
    d = a - y
    if type(d) is float:
        return 0.5 / n * (d * d)
    d = d.ravel()
    return np.array(0.5 / n * (d @ d))   # the dot product: one BLAS call for Σ (a − y)²


# The seed article's quadratic cost C = 1/(2n) Σₓ ‖a − y‖² as one node (PyTorch's mse_loss is one
# too). Its VJP into a is ∇ₐC = (a − y)/n, the factor BP1 multiplies by σ′(zᴸ).
quadratic = Op("quadratic", "½‖a − y‖²/n", squared_error,
               (lambda g, out, a, y, n: times_difference(a, y, g / n),    # ∂C/∂a = (a − y)/n
                lambda g, out, a, y, n: -times_difference(a, y, g / n)),  # ∂C/∂y = −(a − y)/n
               params=("n",), elementwise=False)


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


softmax_minus.formula = "(softmax(z) - t) * (g / n)"   # how traces write it (microgradnn.trace)


def cross_entropy(z, t, n):
    """C = −1/n Σ t ⊙ ln softmax(z): the softmax cross-entropy's forward, a 0-d array."""
    return np.array(-1.0 / n * np.vdot(t, log_softmax(z)))


# The softmax cross-entropy of logits z (batch, classes) against one-hot rows t as one node, as
# PyTorch's cross_entropy is one function: its VJP into z is the well-known softmax(z) − y
# (over n), the error δᴸ of a softmax output layer, with no log or division of its own.
softmax_cross_entropy = Op("softmax_cross_entropy", "−Σ y ln softmax(z) / n", cross_entropy,
                           (lambda g, out, z, t, n: softmax_minus(z, t, g / n),  # (softmax(z) − t)/n
                            lambda g, out, z, t, n: log_softmax(z) * (-g / n)),  # −ln softmax(z)/n
                           params=("n",), elementwise=False)


def sigmoid_minus(z, t, s):
    """(σ(z) − t)·s: the binary cross-entropy's VJP; on arrays (s a number) in one new buffer."""
    if type(z) is np.ndarray and type(t) is np.ndarray and isinstance(s, float):
        p = sigmoid(z)
        p -= t
        p *= s
        return p
    return (z.sigmoid() - t) * s


sigmoid_minus.formula = "(sigmoid(z) - t) * (g / n)"   # how traces write it (microgradnn.trace)


def bce_from_logits(z, t, n):
    """C = 1/n Σ [softplus(z) − t·z], which is −1/n Σ [t ln σ(z) + (1 − t) ln(1 − σ(z))]: the
    binary cross-entropy's forward from the logits z, a 0-d array, finite at any z.

    softplus(z) = ln(1 + eᶻ) is computed as m + ln(e⁻ᵐ + eᶻ⁻ᵐ) with m = max(z, 0): both exponents
    are ≤ 0 and one is 0, so the log never sees 0 or ∞ (ln(1 + eᶻ) overflows above z ≈ 709)."""
    m = np.maximum(z, 0.0)
    per_point = np.log(np.exp(-m) + np.exp(z - m))
    per_point += m
    per_point -= t * z
    return np.array(np.add.reduce(per_point, axis=None) / n)


# Binary cross-entropy from the logits as one node: its VJP into z is σ(z) − y (over n), exactly,
# at every z (also at 0, where max(z, 0) written as ops would need a subgradient).
binary_cross_entropy = Op("binary_cross_entropy", "Σ softplus(z) − y z / n", bce_from_logits,
                          (lambda g, out, z, t, n: sigmoid_minus(z, t, g / n),  # (σ(z) − t)/n
                           lambda g, out, z, t, n: z * (-g / n)),               # −z/n
                          params=("n",), elementwise=False)
