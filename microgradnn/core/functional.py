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

from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import ops
from .engine import Value, as_data, gradients, lift, record
from .modes import tracing
from .numpy_api import stack_values

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
            xs[i] = Value(as_data(xs[i], f"{fname}: argument {i}"), label=f"arg{i}")
    return xs, nums, traced


def _call(fname: str, f: Callable, xs: list, nums: tuple, many: bool = False) -> Value:
    """f(*xs) as a Value; many: a list or an object array of Values (jacobian's f) is stacked."""
    with tracing(fname, [xs[i] for i in nums]):     # float(x) inside f would cut the graph
        y = f(*xs)
    if many:
        y = stack_values(y, f"{fname}: f's result")   # a list or an object array of Values
    if isinstance(y, Value):
        return y
    if isinstance(y, (int, float, np.integer, np.floating)) and not isinstance(y, bool):
        return Value(float(y), requires_grad=False)   # a constant: every derivative is 0
    raise TypeError(f"{fname}: f must return a Value or a number, got {type(y).__name__}"
                    + (" (or a list or an object array of Values)" if many else ""))


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
        y = _call("jacobian", f, xs, nums, many=True)
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
        v_ = as_data(v, "hvp: v")
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
        return _kind_of(as_data(x, op.name), op.forward)   # a float gives a float, an array an array
    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (f"{what}, elementwise, for a float, an ndarray or a Value (which records "
                        f"the op, so derivatives flow through it).\n\n{example}")
    return function


exp = _elementwise(ops.exp, "e to the x", """>>> exp(0.0)
1.0
>>> grad(lambda x: exp(x) * x)(1.0)          # (1 + x)·eˣ; math.exp(x) here would raise
5.43656365691809""")
log = _elementwise(ops.log, "The natural logarithm (-inf at 0, nan below)", """>>> log(np.array([1.0, np.e]))
array([0., 1.])""")
tanh = _elementwise(ops.tanh, "The hyperbolic tangent", """>>> grad(lambda x: tanh(x))(0.0)
1.0""")
sigmoid = _elementwise(ops.sigmoid, "1 / (1 + e⁻ˣ), without overflow", """>>> sigmoid(0.0)
0.5""")
relu = _elementwise(ops.relu, "max(x, 0) (derivative 0 at 0, as in PyTorch)", """>>> relu(np.array([-1.0, 2.0]))
array([0., 2.])""")
abs = _elementwise(ops.abs, "|x| (derivative 0 at 0, as in PyTorch)", """>>> abs(-2.0)
2.0""")
sqrt = _elementwise(ops.sqrt, "The square root (nan below 0; derivative inf at 0)", """>>> sqrt(4.0), grad(sqrt)(4.0)
(2.0, 0.25)""")

sin = _elementwise(ops.sin, "The sine", """>>> grad(sin)(0.0)
1.0""")
cos = _elementwise(ops.cos, "The cosine", """>>> cos(0.0)
1.0""")
tan = _elementwise(ops.tan, "The tangent", """>>> grad(tan)(0.0)
1.0""")
arcsin = _elementwise(ops.arcsin, "The inverse sine (nan outside [-1, 1])", """>>> grad(arcsin)(0.0)
1.0""")
arccos = _elementwise(ops.arccos, "The inverse cosine (nan outside [-1, 1])", """>>> grad(arccos)(0.0)
-1.0""")
arctan = _elementwise(ops.arctan, "The inverse tangent", """>>> grad(arctan)(1.0)
0.5""")
sinh = _elementwise(ops.sinh, "The hyperbolic sine", """>>> grad(sinh)(0.0)
1.0""")
cosh = _elementwise(ops.cosh, "The hyperbolic cosine", """>>> cosh(0.0)
1.0""")
square = _elementwise(ops.square, "x * x", """>>> grad(square)(3.0)
6.0""")
sign = _elementwise(ops.sign, "-1, 0 or 1 (derivative 0, as in PyTorch)", """>>> sign(-2.0), grad(sign)(-2.0)
(-1.0, 0.0)""")


def _binary(op: ops.Op, a, b):
    """op of a and b: recorded when either is a Value; else its forward, a float for two
    numbers and an ndarray when either is one (numpy gives a 0-d array's result as a scalar)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return record(op, tuple(x if isinstance(x, Value) else lift(as_data(x, op.name))
                                for x in (a, b)))
    a, b = as_data(a, op.name), as_data(b, op.name)
    out = op.forward(a, b)
    return np.asarray(out) if np.ndarray in (type(a), type(b)) else float(out)


def minimum(a, b):
    """The elementwise smaller of a and b (floats, ndarrays or Values, with broadcasting); ties
    share the gradient, as in PyTorch's ``torch.minimum``.

    >>> minimum(1.0, 2.0), grad(lambda x: minimum(x, 1.0))(1.0)
    (1.0, 0.5)
    """
    return _binary(ops.minimum, a, b)


def clip(x, lo=None, hi=None):
    """x limited to [lo, hi]; the gradient passes where lo ≤ x ≤ hi (PyTorch's clamp).

    >>> clip(3.0, 0.0, 1.0), grad(lambda x: clip(x, 0.0, 1.0))(1.0)
    (1.0, 1.0)
    """
    if isinstance(x, Value):
        return x.clip(lo, hi)
    x = as_data(x, "clip")
    return lift(x).clip(lo, hi).data


def maximum(a, b):
    """The elementwise larger of a and b (floats, ndarrays or Values, with broadcasting).

    Where a and b tie, each gets half the gradient, as in PyTorch's ``torch.maximum``.

    >>> maximum(1.0, 2.0)
    2.0
    >>> grad(lambda x: maximum(x, 1.0))(1.0)     # a tie: half the gradient
    0.5
    """
    return _binary(ops.maximum, a, b)


# ---------------------------------------------------------------------------------------------
# A new op, made as the built-in ones are
# ---------------------------------------------------------------------------------------------

def define_op(name: str, forward: Callable[..., Any], vjps: Sequence[Callable[..., Any]],
              formulas: Optional[Sequence[str]] = None, *, symbol: Optional[str] = None,
              elementwise: bool = True) -> Callable[..., Any]:
    """A new op, made as every built-in op is: returns a function of Values (or numbers, arrays).

    forward(*arrays) computes the value with numpy (or floats); vjps holds one
    ``vjp(g, out, *inputs)`` per input, written with Value-aware functions (``microgradnn.exp``,
    ``sigmoid``, arithmetic ...) so that second derivatives come free; formulas holds one text per
    input, the local derivative a learner reads in ``explain``, the drawings and the explorer
    (``{out}``, ``{a}``, ``{b}`` stand for the output and the inputs). Set ``elementwise=False``
    for an op whose formulas are VJPs rather than local derivatives.

    >>> import numpy as np
    >>> from microgradnn import Value, sigmoid
    >>> softplus = define_op("softplus", lambda x: np.logaddexp(0.0, x),
    ...                      [lambda g, out, x: g * sigmoid(x)], ["σ({a})"])
    >>> x = Value(0.0, label="x"); y = softplus(x); y.backward()
    >>> round(y.data, 6), x.grad, y.op
    (0.693147, 0.5, 'softplus')
    """
    if not (isinstance(name, str) and name.isidentifier()):
        raise ValueError(f"define_op: the name must be an identifier, got {name!r}")
    if not callable(forward) or not vjps or not all(callable(v) for v in vjps):
        raise TypeError(f"define_op {name!r}: forward and each of vjps must be functions")
    formulas = tuple(formulas) if formulas is not None else tuple(
        f"∂{name}/∂{'abc'[i]}" for i in range(len(vjps)))
    # source="calls": microgradnn.compile writes calls of forward and the VJPs, by name.
    op = ops.Op(name, symbol or name, forward, vjps, formulas, elementwise=elementwise,
                source="calls")

    def apply(*args: Any) -> Any:
        if len(args) != len(op.vjps):
            raise TypeError(f"{name}: takes {len(op.vjps)} input(s), got {len(args)}")
        inputs = [lift(a) for a in args]
        if any(v is None for v in inputs):
            bad = next(a for a, v in zip(args, inputs) if v is None)
            raise TypeError(f"{name}: expected Values, numbers or arrays, got {type(bad).__name__}")
        return record(op, tuple(inputs))
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"The op {name!r} (made with define_op): {', '.join(formulas)}"
    apply.op = op
    return apply
