"""Function transforms in the spirit of HIPS autograd and JAX, on the same Value engine.

``grad(f)`` returns a new function computing df/dx. The transforms take and return plain numbers
and ndarrays; ``f`` itself receives Values and returns a Value (or a number). They nest: called with
Values (from an outer transform), a transform records its backward pass (``create_graph``), so the
outer one can differentiate it again.

>>> from microgradnn import grad
>>> f = lambda x: x ** 3
>>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)   # 3x², 6x, 6
(12.0, 12.0, 6.0)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, Union

import numpy as np

from . import ops
from .engine import Value, _apply, _as_data, _lift, _tracing, gradients

ArgNums = Union[int, Sequence[int]]


def _prepare(fname: str, args: tuple, argnums: ArgNums):
    """Wrap the differentiated arguments as Values; say whether we are inside another transform."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or any(not isinstance(i, int) or not -len(args) <= i < len(args) for i in nums):
        raise ValueError(f"{fname}: argnums {argnums!r} out of range for {len(args)} argument(s)")
    nums = tuple(i % len(args) for i in nums)
    traced = any(isinstance(a, Value) for a in args)
    xs = list(args)
    for i in nums:
        if not isinstance(xs[i], Value):
            xs[i] = Value(_as_data(xs[i], f"{fname}: argument {i}"), label=f"arg{i}")
    return xs, nums, traced


def _call(fname: str, f: Callable, xs: list, nums: tuple) -> Value:
    with _tracing(fname, [xs[i] for i in nums]):     # float(x) inside f would cut the graph
        y = f(*xs)
    if isinstance(y, Value):
        return y
    if isinstance(y, (int, float, np.integer, np.floating)) and not isinstance(y, bool):
        return Value(float(y), requires_grad=False)   # a constant: every derivative is 0
    raise TypeError(f"{fname}: f must return a Value or a number, got {type(y).__name__}")


def _result(v: Any, traced: bool) -> Any:
    """Inside another transform keep Values (they carry the graph); outside, plain data."""
    if traced:
        return v
    return v.data if isinstance(v, Value) else v


def _value_and_grad(fname: str, f: Callable, args: tuple, argnums: ArgNums):
    xs, nums, traced = _prepare(fname, args, argnums)
    y = _call(fname, f, xs, nums)
    if y.size != 1:
        raise ValueError(f"{fname}: f must return a scalar (one element), got shape {y.shape}; "
                         "use jacobian() for functions with vector outputs")
    gs = gradients(y, [xs[i] for i in nums], create_graph=traced)
    gs = [_result(g, traced) for g in gs]
    return _result(y, traced), (gs[0] if isinstance(argnums, int) else tuple(gs))


def value_and_grad(f: Callable, argnums: ArgNums = 0) -> Callable:
    """A function returning ``(f(*args), df/dargs[argnums])``.

    >>> value_and_grad(lambda x: x.exp())(0.0)
    (1.0, 1.0)
    """
    def value_and_grad_f(*args):
        return _value_and_grad("value_and_grad", f, args, argnums)
    return value_and_grad_f


def grad(f: Callable, argnums: ArgNums = 0) -> Callable:
    """A function returning the gradient of scalar-valued f with respect to args[argnums].

    >>> grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (4.0, 3.0)
    """
    def grad_f(*args):
        return _value_and_grad("grad", f, args, argnums)[1]
    return grad_f


def _stack(rows: list, out_shape: tuple, in_shape: tuple):
    """Assemble Jacobian rows (one per output element) into shape out_shape + in_shape."""
    if not any(isinstance(r, Value) for r in rows):
        if not out_shape and not in_shape:
            return float(rows[0])               # f: number → number, J is a number
        return np.stack([np.asarray(r, dtype=float) for r in rows]).reshape(out_shape + in_shape)
    # Inside another transform: Σ_k onehot_k ⊗ row_k keeps everything on the graph.
    total = None
    for k, r in enumerate(rows):
        onehot = np.zeros((len(rows),) + (1,) * len(in_shape))
        onehot[k] = 1.0
        total = onehot * r if total is None else total + onehot * r
    return total.reshape(out_shape + in_shape)


def jacobian(f: Callable, argnums: int = 0) -> Callable:
    """A function returning ∂f_i/∂x_j, of shape f(x).shape + x.shape (reverse mode, a row a pass).

    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if not isinstance(argnums, int):
        raise ValueError(f"jacobian: argnums must be one integer, got {argnums!r}")

    def jacobian_f(*args):
        xs, nums, traced = _prepare("jacobian", args, argnums)
        x = xs[nums[0]]
        y = _call("jacobian", f, xs, nums)
        rows = []
        for k in range(y.size):
            seed = 1.0 if y.is_scalar else np.eye(1, y.size, k).reshape(y.shape)
            rows.append(gradients(y, [x], seed=seed, create_graph=traced)[0])
        return _result(_stack(rows, y.shape, x.shape), traced)
    return jacobian_f


def hessian(f: Callable, argnums: int = 0) -> Callable:
    """A function returning the matrix of second derivatives of scalar f: jacobian(grad(f)).

    >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(grad(f, argnums), argnums)


def hvp(f: Callable, x: Any, v: Any) -> Any:
    """The Hessian of scalar f at x times v, without forming the Hessian: ∇ₓ(∇f(x) · v).

    Two backward passes (the first recorded with create_graph), whatever the size of x.

    >>> hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    def directional(x_):
        g = grad(f)(x_)
        v_ = _as_data(v, "hvp: v")
        if np.shape(v_) != np.shape(g.data if isinstance(g, Value) else g):
            raise ValueError(f"hvp: v has shape {np.shape(v_)}, x has shape {np.shape(g.data)}")
        return (g * v_).sum() if isinstance(g, Value) else float(np.sum(np.asarray(g) * v_))
    return grad(directional)(x)


# ---------------------------------------------------------------------------------------------
# Value-aware math: use these, not math.exp & co., inside a function you differentiate.
# math.exp(x) turns a Value into a float (float(x)) and the graph is cut there; these keep it.
# Each is the op's own forward for a number or an array, and records the op for a Value.
# ---------------------------------------------------------------------------------------------

def _kind_of(data, forward):
    """forward(data), an ndarray for an ndarray (numpy gives a 0-d array's result as a scalar)."""
    out = forward(data)
    return np.asarray(out) if type(data) is np.ndarray and type(out) is not np.ndarray else out


def _elementwise(op: ops.Op, what: str, example: str):
    def function(x):
        if isinstance(x, Value):
            return getattr(x, op.name)()              # records the op: gradients flow
        return _kind_of(_as_data(x, op.name), op.forward)   # a float gives a float, an array an array
    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (f"{what}, elementwise, for a float, an ndarray or a Value (which records "
                        f"the op, so derivatives flow through it).\n\n{example}")
    return function


exp = _elementwise(ops.exp_, "e to the x", """>>> exp(0.0)
1.0
>>> grad(lambda x: exp(x) * x)(1.0)          # (1 + x)·eˣ; math.exp(x) here would raise
5.43656365691809""")
log = _elementwise(ops.log_, "The natural logarithm (-inf at 0, nan below)", """>>> log(np.array([1.0, np.e]))
array([0., 1.])""")
tanh = _elementwise(ops.tanh_, "The hyperbolic tangent", """>>> grad(lambda x: tanh(x))(0.0)
1.0""")
sigmoid = _elementwise(ops.sigmoid_, "1 / (1 + e⁻ˣ), without overflow", """>>> sigmoid(0.0)
0.5""")
relu = _elementwise(ops.relu, "max(x, 0) (derivative 0 at 0, as in PyTorch)", """>>> relu(np.array([-1.0, 2.0]))
array([0., 2.])""")
abs = _elementwise(ops.abs_, "|x| (derivative 0 at 0, as in PyTorch)", """>>> abs(-2.0)
2.0""")
sqrt = _elementwise(ops.sqrt_, "The square root (nan below 0; derivative inf at 0)", """>>> sqrt(4.0), grad(sqrt)(4.0)
(2.0, 0.25)""")


def maximum(a, b):
    """The elementwise larger of a and b (floats, ndarrays or Values, with broadcasting).

    Where a and b tie, each gets half the gradient, as in PyTorch's ``torch.maximum``.

    >>> maximum(1.0, 2.0)
    2.0
    >>> grad(lambda x: maximum(x, 1.0))(1.0)     # a tie: half the gradient
    0.5
    """
    if isinstance(a, Value) or isinstance(b, Value):
        va = a if isinstance(a, Value) else _lift(_as_data(a, "maximum"))
        vb = b if isinstance(b, Value) else _lift(_as_data(b, "maximum"))
        return _apply(ops.maximum, va, vb)
    a, b = _as_data(a, "maximum"), _as_data(b, "maximum")
    out = ops.maximum.forward(a, b)
    # numpy gives a 0-d array's result as a numpy scalar: an array in, an array out
    return np.asarray(out) if np.ndarray in (type(a), type(b)) and type(out) is not np.ndarray \
        else out
