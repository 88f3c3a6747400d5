"""numpy's own functions on Values (NEP 13 and NEP 18), and the methods numpy arrays have.

Imported by ``microgradnn/__init__.py``, this module attaches to :class:`Value`

* ``__array_ufunc__``: ``np.exp(v)``, ``np.maximum(x, 0)``, ``ndarray + v`` ... record the same op
  as ``v.exp()``, ``v.maximum(0)``, ``v + ndarray`` do;
* ``__array_function__``: ``np.sum(v, axis=0)``, ``np.var(v)``, ``np.dot(W, v)``,
  ``np.concatenate([...])`` ... likewise, with numpy's own defaults (``var``'s ddof=0);
* the comparisons ``<``, ``<=``, ``>``, ``>=`` (the data's, a bool or a bool array, not
  differentiable, as in PyTorch: ``==`` stays identity, so graphs keep Values in sets);
* the methods and properties numpy arrays have and the engine did not: ``sin`` ... ``sign``,
  ``minimum``, ``clip``, ``min``, ``prod``, ``cumsum``, ``var``, ``std``, ``dot``, ``copy``,
  ``dtype``.

A numpy function the engine does not differentiate is refused with a TypeError naming it, never
answered with an object array of Values.

>>> import numpy as np
>>> from microgradnn import Value
>>> x = Value(np.array([1.0, 2.0, 3.0]))
>>> y = np.sum(np.exp(x) * np.array([1.0, 0.0, 2.0]))
>>> y.backward()
>>> np.round(x.grad, 4)
array([ 2.7183,  0.    , 40.1711])

What the protocols cannot see: ``np.array([v1, v2])`` builds an object array (numpy makes
arrays of unknown objects without asking them; :func:`stack_values` turns it into one Value),
and writing a Value into an ndarray element (``out[i] = v``) converts it to a float.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import ops
from .engine import Value, lift, record, unary_method
from .engine import _axis as engine_axis

DTYPE = np.dtype(np.float64)


# ---------------------------------------------------------------------------------------------
# The methods numpy arrays have: each records one op of the op table (or composes them)
# ---------------------------------------------------------------------------------------------

def _operand(x: Any, name: str) -> Value:
    v = lift(x)
    if v is None:
        raise TypeError(f"{name}: expected a Value, a number or an array, got {type(x).__name__}")
    return v


def _axis(v: Value, axis: Any, name: str, single: bool = False):
    """axis checked against v's shape as the engine's reductions check it; single: one int."""
    if single and isinstance(axis, (tuple, list)):
        raise TypeError(f"{name}: axis must be None or one int, got {axis!r}")
    return engine_axis(axis, v, name)


def minimum(self: Value, other: Any) -> Value:
    """Elementwise min(self, other); ties share the gradient equally, as in PyTorch."""
    return record(ops.minimum, (self, _operand(other, "minimum")))


def clip(self: Value, lo: Any = None, hi: Any = None) -> Value:
    """self limited to [lo, hi] (None: no bound); the gradient passes where lo ≤ x ≤ hi, both
    ends included, as PyTorch's clamp. The bounds are constants (numbers or arrays)."""
    if isinstance(lo, Value) or isinstance(hi, Value):
        raise TypeError("clip: the bounds must be numbers or arrays, not Values (for a bound "
                        "that needs a gradient use np.minimum and np.maximum)")
    if lo is None and hi is None:
        raise ValueError("clip: give a lower bound, an upper bound or both (got None and None)")
    lo, hi = (None if b is None else b if isinstance(b, float) else np.asarray(b, dtype=float)
              for b in (lo, hi))
    return record(ops.clip, (self,), (lo, hi))


def _reduction(op: ops.Op) -> Callable:
    def method(self: Value, axis=None, keepdims: bool = False) -> Value:
        if self.size == 0:
            raise ValueError(f"{op.name}: cannot reduce an empty Value of shape {self.shape}")
        return record(op, (self,), (_axis(self, axis, op.name, single=op is ops.prod),
                                    bool(keepdims)))
    method.__name__ = op.name
    method.__doc__ = {"min": "The smallest element(s); where several tie, they share the "
                             "gradient evenly.",
                      "prod": "The product of the elements (along one axis, or of all)."}[op.name]
    return method


def cumsum(self: Value, axis=None) -> Value:
    """Running sums along axis (of the flattened Value when axis is None, as numpy)."""
    if axis is None or self.ndim == 0:
        return record(ops.cumsum, (self.reshape(1) if self.is_scalar else self.reshape(-1),), (0,))
    return record(ops.cumsum, (self,), (_axis(self, axis, "cumsum", single=True),))


def var(self: Value, axis=None, ddof: int = 0, keepdims: bool = False) -> Value:
    """The variance, Σ(x − mean)² / (n − ddof), numpy's default ddof=0 (PyTorch's unbiased=False).
    Composed of mean, subtraction, square and sum: no derivative of its own."""
    axes = _axis(self, axis, "var")
    n = self.size if axes is None else int(np.prod([self.shape[a] for a in
                                                    (axes if isinstance(axes, tuple) else (axes,))]))
    if n - ddof <= 0:
        raise ValueError(f"var: {n} element(s) with ddof={ddof} leave no degree of freedom "
                         f"(shape {self.shape}, axis {axis})")
    centred = self - self.mean(axis=axes, keepdims=True)
    return centred.square().sum(axis=axes, keepdims=keepdims) * (1.0 / (n - ddof))


def std(self: Value, axis=None, ddof: int = 0, keepdims: bool = False) -> Value:
    """The standard deviation, √var (ddof=0 as numpy)."""
    return var(self, axis, ddof, keepdims).sqrt()


def dot(self: Value, other: Any) -> Value:
    """numpy's dot: a product for a scalar, else matmul (other at most 2-D; for higher dimensions
    numpy's dot and matmul differ: use matmul or einsum's meaning explicitly)."""
    other = _operand(other, "dot")
    if self.ndim == 0 or other.ndim == 0:
        return self * other
    if other.ndim > 2:
        raise ValueError(f"dot: shapes {self.shape} and {other.shape}: only a right operand of at "
                         "most 2 dimensions is supported (use @ for stacks of matrices)")
    return self @ other


def copy(self: Value) -> Value:
    """A new node with the same numbers; the gradient flows through it (PyTorch's clone)."""
    return record(ops.reshape, (self,), (self.shape,)) if self.ndim else self + 0.0


def setitem(self: Value, index: Any, x: Any) -> None:
    """``v[index] = x``: writes into a copy of v's data, and v becomes a constant holding it.

    Its history is dropped (a Value is a node of a graph, not a buffer): a graph that used v
    before is refused by backward, as after any assignment of ``.data``."""
    if isinstance(x, Value):
        x = x.data
    data = np.array(self.data, dtype=float)
    data[index] = x
    self._op, self._parents, self._saved, self._requires_grad = None, (), (), False
    self.data = data if self.ndim else float(data)


def _compare(name: str, test: Callable) -> Callable:
    def method(self: Value, other: Any):
        if isinstance(other, Value):
            other = other.data
        elif not isinstance(other, (int, float, np.ndarray, np.number, np.bool_, list)):
            return NotImplemented
        return test(self.data, other)
    method.__name__ = name
    method.__doc__ = f"The comparison of the data (not differentiable), as PyTorch's {name}."
    return method


# ---------------------------------------------------------------------------------------------
# Shape functions numpy has, composed of getitem/scatter_add/reshape (no derivative of their own)
# ---------------------------------------------------------------------------------------------

def concatenate(arrays, axis: int = 0) -> Value:
    """Values (or arrays) joined along an existing axis: each one is placed into the result by
    scatter_add (whose VJP, indexing, hands each input back its own slice of the gradient)."""
    vs = [_operand(a, "concatenate") for a in arrays]
    if not vs:
        raise ValueError("concatenate: needs at least one array")
    if any(v.ndim == 0 for v in vs):
        raise ValueError("concatenate: zero-dimensional Values cannot be concatenated (use stack)")
    k = _axis(vs[0], axis, "concatenate", single=True)
    rest = [v.shape[:k] + v.shape[k + 1:] for v in vs]
    if any(v.ndim != vs[0].ndim for v in vs) or len(set(rest)) != 1:
        raise ValueError(f"concatenate: shapes {[v.shape for v in vs]} differ outside axis {axis}")
    shape = vs[0].shape[:k] + (sum(v.shape[k] for v in vs),) + vs[0].shape[k + 1:]
    total, start = None, 0
    for v in vs:
        at = (slice(None),) * k + (slice(start, start + v.shape[k]),)
        part = v.scatter_add(at, shape)
        total, start = part if total is None else total + part, start + v.shape[k]
    return total


def stack(arrays, axis: int = 0) -> Value:
    """Values (or arrays) of one shape joined along a new axis."""
    vs = [_operand(a, "stack") for a in arrays]
    if not vs:
        raise ValueError("stack: needs at least one array")
    if len({v.shape for v in vs}) != 1:
        raise ValueError(f"stack: all inputs must have the same shape, got {[v.shape for v in vs]}")
    bound = vs[0].ndim + 1
    if not isinstance(axis, (int, np.integer)) or not -bound <= axis < bound:
        raise ValueError(f"stack: axis {axis!r} is out of range for {bound - 1}-D inputs")
    k = int(axis) % bound
    grown = [v.reshape(v.shape[:k] + (1,) + v.shape[k:]) for v in vs]
    return concatenate(grown, axis=k)


def where(cond: Any, x: Any, y: Any) -> Value:
    """x where cond holds, y elsewhere; cond is a boolean mask (``x > 0``), not differentiated."""
    mask = cond.data if isinstance(cond, Value) else cond
    mask = np.asarray(mask)
    if mask.dtype != bool:
        if mask.dtype.kind not in "biuf":
            raise TypeError(f"where: the condition must be a boolean array, got dtype {mask.dtype}")
        mask = mask != 0
    return record(ops.where, (_operand(x, "where"), _operand(y, "where")), (mask,))


def stack_values(y: Any, what: str) -> Any:
    """One Value from a list, tuple or object ndarray of Values and numbers (nested too), as
    ``np.array`` would have made; anything else is returned unchanged."""
    if not (isinstance(y, (list, tuple)) or isinstance(y, np.ndarray) and y.dtype == object):
        return y
    grid = np.empty(np.shape(np.asarray(y, dtype=object)), dtype=object)
    grid[...] = y if isinstance(y, np.ndarray) else np.asarray(y, dtype=object)
    items = [_operand(e, what) for e in grid.flat]
    if not items:
        raise ValueError(f"{what}: an empty list of Values")
    if len({v.shape for v in items}) != 1:
        raise ValueError(f"{what}: the Values have different shapes {sorted({v.shape for v in items})}")
    return stack(items).reshape(grid.shape + items[0].shape)


# ---------------------------------------------------------------------------------------------
# NEP 13: numpy's ufuncs (np.exp, np.add, ndarray + Value ...)
# ---------------------------------------------------------------------------------------------

UFUNCS: dict = {
    np.add: lambda a, b: a + b, np.subtract: lambda a, b: a - b,
    np.multiply: lambda a, b: a * b, np.divide: lambda a, b: a / b,
    np.power: lambda a, b: a ** b, np.float_power: lambda a, b: a ** b,
    np.negative: lambda a: -a, np.positive: lambda a: a, np.matmul: lambda a, b: a @ b,
    np.exp: Value.exp, np.log: Value.log, np.sqrt: Value.sqrt, np.tanh: Value.tanh,
    np.absolute: Value.abs, np.fabs: Value.abs, np.maximum: Value.maximum, np.fmax: Value.maximum,
    np.minimum: minimum, np.fmin: minimum,
    np.reciprocal: lambda a: 1.0 / a, np.exp2: lambda a: 2.0 ** a,
    np.log2: lambda a: a.log() * (1.0 / math.log(2.0)),
    np.log10: lambda a: a.log() * (1.0 / math.log(10.0)),
}
# The elementwise ops numpy names alike: one method each, a Value method and np's ufunc.
UNARY = {op.name: unary_method(op) for op in (ops.sin, ops.cos, ops.tan, ops.arcsin, ops.arccos,
                                         ops.arctan, ops.sinh, ops.cosh, ops.square, ops.sign)}
UFUNCS.update({getattr(np, name): method for name, method in UNARY.items()})
# Answered from the data, as PyTorch's comparisons: booleans, not differentiable.
ON_DATA = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
           np.isnan, np.isinf, np.isfinite, np.signbit, np.logical_and, np.logical_or,
           np.logical_not}
# ufunc.reduce and .accumulate: np.add.reduce(v) is v.sum(axis=0).
REDUCE = {np.add: "sum", np.maximum: "max", np.minimum: "min", np.multiply: "prod"}


def _name(f: Any) -> str:
    module = getattr(f, "__module__", None) or "numpy"
    return module.replace("numpy", "np", 1).replace("np._core.", "np.") + "." + f.__name__ \
        if not isinstance(f, np.ufunc) else f"np.{f.__name__}"


def _refuse(f: Any, why: str = "") -> TypeError:
    return TypeError(f"{_name(f)} is not differentiated by microgradnn{why}; the numpy functions "
                     "it differentiates are listed in microgradnn.core.numpy_api (UFUNCS, "
                     "FUNCTIONS); take .data for numbers without a gradient")


def _no_out(name: str, kwargs: dict) -> None:
    out = kwargs.pop("out", None)
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        raise TypeError(f"{name}: out= cannot receive a Value (an ndarray holds numbers, not graph "
                        "nodes); write y = f(x) instead of f(x, out=y), and a = a + v instead of "
                        "a += v for an ndarray a")
    dtype = kwargs.pop("dtype", None)
    if dtype is not None and np.dtype(dtype) != DTYPE:
        raise TypeError(f"{name}: a Value holds float64; dtype={np.dtype(dtype)} is not supported")
    if kwargs.pop("where", True) is not True:
        raise TypeError(f"{name}: where= is not supported on Values; use np.where(mask, a, b)")
    for key in ("casting", "order", "subok"):
        kwargs.pop(key, None)
    if kwargs:
        raise TypeError(f"{name}: the keyword(s) {sorted(kwargs)} are not supported on Values")


def array_ufunc(self: Value, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NEP 13: np.exp(v), np.add(a, v), ndarray * v ... record the Value ops."""
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if method in ("reduce", "accumulate"):
        axis, keepdims = kwargs.pop("axis", 0), kwargs.pop("keepdims", False)
        _no_out(name, kwargs)
        v = inputs[0]
        if method == "accumulate" and ufunc is np.add:
            return cumsum(v, axis)
        if method == "reduce" and ufunc in REDUCE:
            return getattr(v, REDUCE[ufunc])(axis=axis, keepdims=keepdims)
        raise _refuse(ufunc, f" as {ufunc.__name__}.{method}")
    if method != "__call__":
        raise _refuse(ufunc, f" as {ufunc.__name__}.{method}")
    _no_out(name, kwargs)
    if ufunc in ON_DATA:
        return ufunc(*[x.data if isinstance(x, Value) else x for x in inputs])
    if ufunc not in UFUNCS:
        raise _refuse(ufunc)
    values = [lift(x) for x in inputs]
    if any(v is None for v in values):
        return NotImplemented
    return UFUNCS[ufunc](*values)


# ---------------------------------------------------------------------------------------------
# NEP 18: numpy's other functions (np.sum, np.var, np.dot, np.concatenate ...)
# ---------------------------------------------------------------------------------------------

def _v(x: Any, name: str) -> Value:
    return _operand(x, f"np.{name}")


def _reduce(method: str) -> Callable:
    def handler(a, axis=None, dtype=None, out=None, keepdims=False, **rest):
        _no_out(f"np.{method}", {"out": out, "dtype": dtype, **rest})
        return getattr(_v(a, method), method)(axis=axis, keepdims=keepdims)
    return handler


def _var(method: str) -> Callable:
    def handler(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **rest):
        _no_out(f"np.{method}", {"out": out, "dtype": dtype, **rest})
        return getattr(_v(a, method), method)(axis=axis, ddof=ddof, keepdims=keepdims)
    return handler


def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **rest):
    _no_out("np.clip", {"out": out, **rest})
    return clip(_v(a, "clip"), a_min if min is None else min, a_max if max is None else max)


def _norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or (ord == 2 and axis is None and np.ndim(x) > 1):
        raise TypeError(f"np.linalg.norm: only the Euclidean (Frobenius) norm is differentiated, "
                        f"got ord={ord!r}")
    x = _v(x, "linalg.norm")
    return (x * x).sum(axis=axis, keepdims=keepdims).sqrt()


FUNCTIONS: dict = {
    np.sum: _reduce("sum"), np.mean: _reduce("mean"), np.max: _reduce("max"),
    np.amax: _reduce("max"), np.min: _reduce("min"), np.amin: _reduce("min"),
    np.prod: _reduce("prod"), np.var: _var("var"), np.std: _var("std"),
    np.cumsum: lambda a, axis=None, dtype=None, out=None: (
        _no_out("np.cumsum", {"out": out, "dtype": dtype}), cumsum(_v(a, "cumsum"), axis))[1],
    np.dot: lambda a, b, out=None: (_no_out("np.dot", {"out": out}), dot(_v(a, "dot"), b))[1],
    np.outer: lambda a, b, out=None: (_no_out("np.outer", {"out": out}),
                                      _v(a, "outer").reshape(-1, 1) * _v(b, "outer").reshape(1, -1))[1],
    np.clip: _clip, np.where: lambda cond, x, y: where(cond, x, y),
    np.concatenate: lambda arrays, axis=0, out=None, **kw: (
        _no_out("np.concatenate", {"out": out, **kw}), concatenate(arrays, axis))[1],
    np.stack: lambda arrays, axis=0, out=None, **kw: (
        _no_out("np.stack", {"out": out, **kw}), stack(arrays, axis))[1],
    np.vstack: lambda tup, **kw: concatenate([_v(a, "vstack").reshape(1, -1) if _v(a, "vstack").ndim < 2
                                              else a for a in tup], 0),
    np.hstack: lambda tup, **kw: concatenate(tup, 0 if _v(tup[0], "hstack").ndim == 1 else 1),
    np.reshape: lambda a, shape=None, order="C", **kw: _v(a, "reshape").reshape(
        kw.get("newshape", shape)),
    np.ravel: lambda a, order="C": _v(a, "ravel").reshape(-1),
    np.transpose: lambda a, axes=None: _v(a, "transpose").transpose(*(axes or ())),
    np.swapaxes: lambda a, i, j: _v(a, "swapaxes").transpose(
        *[j if k == i % a.ndim else i if k == j % a.ndim else k for k in range(a.ndim)]),
    np.expand_dims: lambda a, axis: _v(a, "expand_dims").reshape(
        np.expand_dims(np.empty(_v(a, "expand_dims").shape), axis).shape),
    np.squeeze: lambda a, axis=None: _v(a, "squeeze").reshape(
        np.squeeze(np.empty(_v(a, "squeeze").shape), axis).shape),
    np.broadcast_to: lambda a, shape, subok=False: _v(a, "broadcast_to").broadcast_to(
        (shape,) if isinstance(shape, int) else shape),
    np.copy: lambda a, order="K", subok=False: copy(_v(a, "copy")),
    np.linalg.norm: _norm,
}
# Answered from the data: shapes, fresh arrays of a Value's shape, indices, tests of closeness.
DATA_FUNCTIONS = {np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like,
                  np.full_like, np.argmax, np.argmin, np.argsort, np.isclose, np.allclose,
                  np.array_equal, np.count_nonzero, np.nonzero, np.any, np.all, np.result_type}


def _data_of(x: Any) -> Any:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_data_of(e) for e in x)
    return x


def array_function(self: Value, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
    """NEP 18: np.sum(v), np.dot(W, v), np.concatenate([u, v]) ... record the Value ops."""
    if not all(issubclass(t, (Value, np.ndarray)) for t in types):
        return NotImplemented
    if func in FUNCTIONS:
        return FUNCTIONS[func](*args, **kwargs)
    if func in DATA_FUNCTIONS:
        return func(*_data_of(args), **kwargs)
    raise _refuse(func)


# ---------------------------------------------------------------------------------------------
# Attach it all to Value
# ---------------------------------------------------------------------------------------------

Value.__array_ufunc__ = array_ufunc
Value.__array_function__ = array_function
for _op_name, _method in UNARY.items():
    setattr(Value, _op_name, _method)
Value.minimum, Value.clip, Value.cumsum, Value.var, Value.std = minimum, clip, cumsum, var, std
Value.min, Value.prod = _reduction(ops.min), _reduction(ops.prod)
Value.dot, Value.copy, Value.__setitem__ = dot, copy, setitem
Value.__lt__ = _compare("__lt__", lambda a, b: a < b)
Value.__le__ = _compare("__le__", lambda a, b: a <= b)
Value.__gt__ = _compare("__gt__", lambda a, b: a > b)
Value.__ge__ = _compare("__ge__", lambda a, b: a >= b)
Value.dtype = property(lambda self: DTYPE, doc="float64, as numpy says of the data")
Value.flatten = Value.ravel = lambda self: self.reshape(-1)
