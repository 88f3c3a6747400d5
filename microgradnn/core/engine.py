"""The Value graph and reverse-mode autodiff.

A :class:`Value` holds a Python float (a *scalar*, one node per number, micrograd-style) or a
float64 numpy array (a *tensor*, one node per array op). Every operation on Values records a node
that remembers its op (from :mod:`microgradnn.ops`), its parents in order, and its output data.
:meth:`Value.backward` walks that graph once, from the output back to the leaves, applying each
op's vector-Jacobian product: the chain rule, one node at a time.

>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad          # dy/dx = 2x + 3
7.0

Design notes, for readers:

* Nodes are numbered in creation order (``_seq``). A node is always created after its parents,
  so sorting the reachable nodes by that number, newest first, is a valid order for the backward
  pass: no recursion, no depth limit. The numbers also give drawings stable node ids. Only the
  op nodes are sorted: a leaf passes nothing on, so it just takes its gradient at the end.
* A node keeps no closure, only a reference to a shared :class:`~microgradnn.ops.Op`; a dropped
  graph holds no reference cycles and is freed at once, without the garbage collector. (The one
  exception, as in PyTorch: after ``backward(create_graph=True)`` a leaf's ``.grad`` is a graph
  that refers back to the leaf, until ``.grad`` is reset; see docs/higher-order.md.)
* Each backward pass accumulates into a private per-pass slot (``_pg``) and only then adds to
  ``.grad``, so a second ``backward()`` propagates its own seed, not the gradients already stored.
"""
from __future__ import annotations

import contextlib
import itertools
import operator
import threading
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from . import ops

_new = object.__new__
_counter = itertools.count()   # creation order of nodes: a valid topological order
_next = _counter.__next__

# Modes (no_grad, detect_anomaly, a transform tracing f) belong to a thread, as in PyTorch: each
# thread starts with gradients on, no anomaly hook and no tracing, and what one thread enters or
# leaves never changes another. The hot path of every op pays for one check only: `_slow` counts
# the threads that are currently in a non-default mode, and only while it is non-zero does an op
# look up its own thread's modes (a threading.local, much slower to read than a module global).

class _Modes(threading.local):
    """One thread's modes; each thread sees the class defaults until it changes them."""
    grad_enabled = True
    hook = None                   # the anomaly checker while detect_anomaly() is active
    tracing = ()                  # (transform name, its arguments) while grad() & co. run f
    mark = None                   # a _SlowMark while this thread is counted in _slow


class _SlowMark:
    """Held by a thread while it is counted in _slow. A thread can end inside no_grad() (a
    generator suspended in the block, never closed by it): its thread-local modes are dropped
    then, and so is this mark, which takes the thread off the count, so that ops elsewhere get
    their fast path back."""
    __slots__ = ("armed",)

    def __init__(self) -> None:
        self.armed = True

    def __del__(self) -> None:
        if self.armed:
            _count_slow(-1)


_modes = _Modes()
_slow = 0                         # how many threads have a mode that departs from the default
_slow_lock = threading.RLock()    # re-entrant: a mark may be dropped while it is held


def _count_slow(step: int) -> None:
    global _slow
    with _slow_lock:
        _slow += step
# One backward pass at a time: a pass marks the nodes it visits in their _pg slots, and two
# threads sharing a parameter would otherwise add into each other's slots.
_backward_lock = threading.RLock()


def _set_modes(grad_enabled: bool, hook) -> None:
    """Set this thread's grad mode and anomaly hook, keeping the count of unusual threads."""
    m = _modes
    was = (not m.grad_enabled) or m.hook is not None
    m.grad_enabled, m.hook = grad_enabled, hook
    now = (not grad_enabled) or hook is not None
    if was != now:
        if now:
            _count_slow(1)
            m.mark = _SlowMark()
        else:
            m.mark.armed = False
            m.mark = None
            _count_slow(-1)


def _current_modes() -> tuple:
    """(grad_enabled, hook) of the calling thread."""
    return _modes.grad_enabled, _modes.hook


@contextlib.contextmanager
def _tracing(name: str, args: Sequence["Value"]) -> Iterator[None]:
    """While a transform (grad, jacobian ...) runs f on args: float() of what depends on them
    would silently cut the derivative, so Value.__float__ refuses it."""
    saved = _modes.tracing
    _modes.tracing = saved + ((name, tuple(args)),)
    try:
        yield
    finally:
        _modes.tracing = saved


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Compute without recording a graph (evaluation, parameter updates), in this thread.

    >>> w = Value(3.0)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    saved = _current_modes()
    _set_modes(False, saved[1])
    try:
        yield
    finally:
        _set_modes(*saved)


# ---------------------------------------------------------------------------------------------
# Turning user input into node data
# ---------------------------------------------------------------------------------------------

def _as_data(x: Any, what: str, copy: bool = False) -> Any:
    """A Python float for numbers, a float64 ndarray for arrays and lists; TypeError otherwise.

    copy: never share memory with the caller's array (a Value's data may be updated in place).
    """
    t = type(x)
    if t is float:
        return x
    if t is int or t is bool or isinstance(x, (np.integer, np.floating, np.bool_)):
        return float(x)
    if isinstance(x, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(x)
        except ValueError as e:   # ragged nested lists
            raise TypeError(f"{what}: cannot make an array of {t.__name__} ({e})") from None
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64, copy=copy and arr is x)
        raise TypeError(f"{what}: expected numbers, got an array of dtype {arr.dtype} "
                        f"(allowed: bool, int, float)")
    if isinstance(x, Value):
        raise TypeError(f"{what}: got a Value; use it directly, or .detach() for a copy "
                        "that stops gradients")
    raise TypeError(f"{what}: expected a number, list or ndarray, got {t.__name__}")


def _constant(data: Any, label: str) -> "Value":
    """A labelled leaf that needs no gradient (an input, the targets), over data as it is."""
    v = _new(Value)
    v.data, v._grad, v._pg, v._a, v._b, v._op, v._needs, v._seq, v._label = (
        data, None, None, None, None, None, False, _next(), label)
    return v


def _lift(x: Any) -> Optional["Value"]:
    """Wrap a number or array operand as a constant leaf (no gradient); None if it is neither."""
    t = type(x)
    if t is float:
        data = x
    elif t is int or isinstance(x, (np.ndarray, np.integer, np.floating, list, bool)):
        data = _as_data(x, "operand")
    else:
        # An instance of a Value subclass (microgradnn.micrograd's Value, a scalar-mode weight)
        # is an operand as it is: the operators test `type(other) is Value` only, for speed.
        return x if isinstance(x, Value) else None
    v = _new(Value)
    v.data, v._grad, v._pg, v._a, v._b, v._op, v._needs, v._seq = (
        data, None, None, None, None, None, False, _next())
    return v


def _shape_text(v: "Value") -> str:
    return "scalar" if type(v.data) is float else str(v.data.shape)


# ---------------------------------------------------------------------------------------------
# Recording an op. A node keeps its parents, in order, in the slots _a and _b: every primitive is
# unary or binary but one, the dense layer's x Wᵀ + b (ops.affine), whose node is a _Ternary with
# a third slot _c (on every other node, _c reads the class's None: no slot to fill per node). One
# object per node keeps the garbage collector's work small.
# ---------------------------------------------------------------------------------------------

def _apply(op: ops.Op, a: "Value", b: Optional["Value"] = None, arg: tuple = (),
           c: Optional["Value"] = None) -> "Value":
    """Run op forward on the parents' data and record the result as a new node."""
    try:
        data = op.forward(a.data, *arg) if b is None else op.forward(a.data, b.data, *arg) \
            if c is None else op.forward(a.data, b.data, c.data, *arg)
    except (ValueError, IndexError) as e:
        shapes = " and ".join(_shape_text(p) for p in (a, b, c) if p is not None)
        kind = IndexError if isinstance(e, IndexError) and not isinstance(e, ValueError) \
            else ValueError               # numpy's AxisError is both: call it a ValueError
        raise kind(f"{op.name}: cannot apply to {shapes}: {e}") from None
    if type(data) is not float and type(data) is not np.ndarray:
        data = np.asarray(data, dtype=np.float64)   # numpy reductions return numpy scalars
    out = _new(Value if c is None else _Ternary)
    out.data, out._grad, out._pg, out._op, out._arg, out._seq = data, None, None, op, arg, _next()
    out._a, out._b = a, b
    if c is not None:
        out._c = c
    out._needs = a._needs or (b is not None and b._needs) or (c is not None and c._needs)
    if _slow:                           # some thread is in no_grad() or detect_anomaly(): this one?
        m = _modes
        if not m.grad_enabled:          # no_grad(): a result without history
            out._a = out._b = out._op = None
            if c is not None:
                out._c = None
            out._needs = False
        if m.hook is not None:
            m.hook.forward(out, op, (a,) if b is None else (a, b) if c is None else (a, b, c))
    return out


def _binary_method(op: ops.Op):
    """``self op other``: the arithmetic operators, the scalar graph's hot path, kept lean."""
    forward = op.forward

    def method(self: "Value", other: Any) -> "Value":
        if type(other) is not Value:
            other = _lift(other)
            if other is None:
                return NotImplemented
        if _slow:
            return _apply(op, self, other)
        try:
            data = forward(self.data, other.data)
        except (ValueError, IndexError):
            return _apply(op, self, other)     # re-raises, naming the op and the shapes
        if type(data) is not float and type(data) is not np.ndarray:
            data = np.asarray(data, dtype=np.float64)
        out = _new(Value)     # one store per slot: cheaper than unpacking a tuple of eight
        out.data = data
        out._grad = out._pg = None
        out._a = self
        out._b = other
        out._op = op
        out._needs = self._needs or other._needs
        out._seq = _next()
        return out
    method.__name__ = f"__{op.name}__"
    method.__doc__ = f"self {op.symbol} other"
    return method


def _reflected_method(op: ops.Op):
    """``other op self`` where other, on the left, is a number or an array."""
    def method(self: "Value", other: Any) -> "Value":
        lifted = _lift(other)
        if lifted is None:
            return NotImplemented
        return _apply(op, lifted, self)
    method.__name__ = f"__r{op.name}__"
    return method


def _unary_method(op: ops.Op):
    """An elementwise function of one Value (exp, tanh, ...)."""
    forward = op.forward

    def method(self: "Value") -> "Value":
        if _slow:
            return _apply(op, self)
        data = forward(self.data)
        if type(data) is not float and type(data) is not np.ndarray:
            data = np.asarray(data, dtype=np.float64)
        out = _new(Value)
        out.data = data
        out._grad = out._pg = out._b = None
        out._a = self
        out._op = op
        out._needs = self._needs
        out._seq = _next()
        return out
    method.__name__ = op.name
    method.__doc__ = f"{op.name}(self), elementwise"
    return method


# ---------------------------------------------------------------------------------------------
# The Value
# ---------------------------------------------------------------------------------------------

class Value:
    """A node of the computation graph: a scalar (Python float) or a tensor (float64 ndarray).

    >>> a = Value(2.0, label="a"); b = Value(-0.5, label="b")
    >>> c = (a * b).tanh()
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)     # (1 - tanh²(ab)) · b  and  · a
    (-0.209987, 0.839949)
    """

    __slots__ = ("data", "_grad", "_pg", "_a", "_b", "_op", "_arg", "_needs", "_seq",
                 "_label", "_site", "__weakref__")
    _c = None                # the third parent: only a _Ternary node (x Wᵀ + b) has one
    __array_ufunc__ = None   # so that `ndarray + Value` calls Value.__radd__, not numpy

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True) -> None:
        self.data = data if type(data) is float else _as_data(data, "Value", copy=True)
        self._grad = self._pg = None
        self._a = self._b = self._op = None
        self._needs = requires_grad is True or bool(requires_grad)
        self._seq = _next()
        if label:
            self._label = str(label)

    # --- what a node is ---

    @property
    def label(self) -> str:
        return getattr(self, "_label", "")

    @label.setter
    def label(self, text: str) -> None:
        self._label = str(text)

    @property
    def grad(self):
        """dOutput/dself after backward(): a Python float for a scalar Value, an array of data's
        shape for a tensor (a Value after ``backward(create_graph=True)``).

        A plain float or array has no ``.backward()``: to differentiate a gradient again, call
        ``backward(create_graph=True)`` (or use ``grad(grad(f))``), which makes ``.grad`` a Value.
        """
        g = self._grad
        if g is None:
            return 0.0 if type(self.data) is float else np.zeros(self.data.shape)
        return np.asarray(g) if type(g) is np.float64 else g   # a 0-d tensor's grad stays an array

    @grad.setter
    def grad(self, g) -> None:
        self._grad = _checked_grad(self, g)

    @property
    def shape(self) -> tuple:
        return () if type(self.data) is float else self.data.shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return 1 if type(self.data) is float else self.data.size

    @property
    def is_scalar(self) -> bool:
        """True for a micrograd-style scalar node whose data is a Python float."""
        return type(self.data) is float

    @property
    def op(self) -> str:
        """The name of the op that made this node ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this node, in order (a + a has the same parent twice)."""
        a, b = self._a, self._b
        return () if a is None else (a,) if b is None else (a, b) if self._c is None \
            else (a, b, self._c)

    @property
    def params(self) -> dict:
        """The op's static parameters (axis, shape, index ...), by name."""
        return dict(zip(self._op.params, self._arg)) if self._op is not None and self._op.params else {}

    @property
    def requires_grad(self) -> bool:
        return self._needs

    def item(self) -> float:
        if self.size != 1:
            raise ValueError(f"item: only a one-element Value converts to a float, "
                             f"this one has shape {self.shape}")
        return float(self.data) if type(self.data) is float else float(self.data.reshape(()))

    def __float__(self) -> float:
        """The number, for printing: ``float(loss)``. Refused inside grad(), value_and_grad(),
        jacobian(), hessian() and hvp() for a Value that depends on the arguments being
        differentiated, where it would cut the graph (``math.exp(x)`` calls float(x)) and give a
        silently wrong derivative; ``.item()`` reads the number on purpose."""
        if _modes.tracing and self._needs:
            _refuse_float(self)
        return self.item()

    def __int__(self) -> int:
        """The number, truncated, as ``int(float(v))``: refused where float() is (a transform
        differentiating it)."""
        return int(self.__float__())

    def __round__(self, ndigits=None):
        """round(v) and round(v, 3) of a one-element Value's number, for printing: refused where
        float() is (a transform differentiating it)."""
        return round(self.__float__(), ndigits)

    def __bool__(self) -> bool:
        """The truth of a one-element Value's number (as numpy); ambiguous for more elements."""
        if self.size != 1:
            raise ValueError(f"the truth value of a Value with {self.size} elements (shape "
                             f"{self.shape}) is ambiguous; use v.data.any() or v.data.all()")
        return bool(self.item())

    def detach(self) -> "Value":
        """The same data as a new leaf that stops gradients (requires_grad=False)."""
        v = Value(0.0, requires_grad=False)
        v.data = self.data          # shared, not copied, as in PyTorch
        return v

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        if type(self.data) is float:
            g = self.grad
            grad = f"{g:.6g}" if type(g) is float else repr(g)   # a Value after create_graph
            return f"Value(data={self.data:.6g}, grad={grad}{label})"
        return f"Value(shape={self.data.shape}{label})"

    # --- arithmetic: each operator records one op of microgradnn.ops ---

    __add__ = _binary_method(ops.add)
    __sub__ = _binary_method(ops.sub)
    __mul__ = _binary_method(ops.mul)
    __truediv__ = _binary_method(ops.div)
    __pow__ = _binary_method(ops.pow)
    __radd__ = _reflected_method(ops.add)
    __rsub__ = _reflected_method(ops.sub)
    __rmul__ = _reflected_method(ops.mul)
    __rtruediv__ = _reflected_method(ops.div)
    __rpow__ = _reflected_method(ops.pow)
    __neg__ = _unary_method(ops.neg)

    def __matmul__(self, other):
        if type(other) is not Value:
            other = _lift(other)
            if other is None:
                return NotImplemented
        return _matmul(self, other)

    def __rmatmul__(self, other):
        lifted = _lift(other)
        return NotImplemented if lifted is None else _matmul(lifted, self)

    def linear(self, weight: "Value", bias: Any = None) -> "Value":
        """``self @ weight.T`` (+ ``bias``) as one node: a dense layer's zˡ = x Wᵀ + b, with W
        stored (out, in) as in the seed article and PyTorch's ``F.linear``.

        >>> x = Value([[1.0, 2.0]]); W = Value([[3.0, 4.0], [5.0, 6.0]])
        >>> x.linear(W).data
        array([[11., 17.]])
        >>> z = x.linear(W, Value([0.5, -1.0]))      # one "affine" node with inputs x, W and b
        >>> z.data, z.op
        (array([[11.5, 16. ]]), 'affine')
        """
        if type(weight) is not Value:
            weight = _lift(weight)
            if weight is None:
                raise TypeError("linear: the weight must be a Value or an array")
        if bias is not None and type(bias) is not Value:
            bias = _lift(bias)
            if bias is None:
                raise TypeError("linear: the bias must be a Value or an array")
        xd, wd = self.data, weight.data
        if type(xd) is not np.ndarray or type(wd) is not np.ndarray or xd.ndim != 2 \
                or wd.ndim != 2 or xd.shape[1] != wd.shape[1]:
            sx, sw = self.shape, weight.shape
            raise ValueError(f"linear: x of shape {sx} and W of shape {sw} do not fit: x must be "
                             f"(batch, in) and W (out, in)")
        if bias is not None and (type(bias.data) is float or bias.data.shape != (wd.shape[0],)):
            raise ValueError(f"linear: the bias has shape {bias.shape}, W of shape {wd.shape} "
                             f"has {wd.shape[0]} outputs: the bias must have shape "
                             f"({wd.shape[0]},)")
        if _slow:
            return _apply(ops.linear, self, weight) if bias is None else \
                _apply(ops.affine, self, weight, c=bias)
        out = _new(Value if bias is None else _Ternary)   # the shapes fit: record it directly
        out._grad = out._pg = None
        out._a = self
        out._b = weight
        out._seq = _next()
        if bias is None:
            out.data = xd @ wd.T
            out._op = ops.linear
            out._needs = self._needs or weight._needs
        else:
            out.data = ops.affine.forward(xd, wd, bias.data)
            out._c = bias
            out._op = ops.affine
            out._needs = self._needs or weight._needs or bias._needs
        return out

    # --- elementwise functions ---

    exp = _unary_method(ops.exp_)
    log = _unary_method(ops.log_)
    tanh = _unary_method(ops.tanh_)
    sigmoid = _unary_method(ops.sigmoid_)
    relu = _unary_method(ops.relu)
    abs = _unary_method(ops.abs_)
    __abs__ = abs
    sqrt = _unary_method(ops.sqrt_)
    maximum = _binary_method(ops.maximum)
    maximum.__name__, maximum.__doc__ = "maximum", "elementwise max(self, other); ties share " \
        "the gradient equally, as in PyTorch"

    # --- reductions ---

    def sum(self, axis=None, keepdims: bool = False) -> "Value":
        return _apply(ops.sum_, self, arg=(_axis(axis, self, "sum"), bool(keepdims)))

    def mean(self, axis=None, keepdims: bool = False) -> "Value":
        if self.size == 0:
            raise ValueError(f"mean: cannot average an empty Value of shape {self.shape}")
        total = self.sum(axis, keepdims)
        return total * (total.size / self.size)

    def max(self, axis=None, keepdims: bool = False) -> "Value":
        """The largest element(s); where several tie, they share the gradient evenly."""
        if self.size == 0:
            raise ValueError(f"max: cannot reduce an empty Value of shape {self.shape}")
        return _apply(ops.max_, self, arg=(_axis(axis, self, "max"), bool(keepdims)))

    # --- shape ---

    def reshape(self, *shape) -> "Value":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
            raise TypeError(f"reshape: the new shape must be integers, got {shape!r}")
        return _apply(ops.reshape_, self, arg=(tuple(int(n) for n in shape),))

    def transpose(self, *axes) -> "Value":
        if type(self.data) is float:
            if axes:
                raise ValueError(f"transpose: a scalar has no axes, got {axes}")
            return self
        if not axes and self.data.ndim == 2:      # the common W.T: nothing to check
            return _apply(ops.transpose_, self, arg=((1, 0),))
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(range(self.ndim))[::-1] if not axes else tuple(int(a) for a in axes)
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{self.ndim} axes of shape {self.shape}")
        return _apply(ops.transpose_, self, arg=(tuple(a % self.ndim for a in axes),))

    @property
    def T(self) -> "Value":
        return self.transpose()

    def broadcast_to(self, shape) -> "Value":
        return _apply(ops.broadcast_to_, self, arg=(tuple(shape),))

    def __getitem__(self, index) -> "Value":
        if type(self.data) is float:
            raise TypeError("getitem: a scalar Value cannot be indexed")
        return _apply(ops.getitem, self, arg=(_index(index),))

    def scatter_add(self, index, shape) -> "Value":
        """Zeros of ``shape`` with self added at ``index`` (the gradient of indexing)."""
        return _apply(ops.scatter_add_, self, arg=(_index(index), tuple(shape)))

    # --- composites: built from the primitives above, so they need no derivative of their own ---

    def softmax(self, axis: int = -1) -> "Value":
        """exp(x) / Σ exp(x) along axis, finite at ±1000.

        Subtracting the (constant) maximum first keeps every exp ≤ 1; it does not change the
        result, nor, since softmax is shift-invariant, the gradient.
        """
        e = (self - _stop_max(self, _axis(axis, self, "softmax"))).exp()
        return e / e.sum(axis=axis, keepdims=True)

    def log_softmax(self, axis: int = -1) -> "Value":
        """x − log Σ exp(x) along axis (log-sum-exp with the maximum shifted out first)."""
        shifted = self - _stop_max(self, _axis(axis, self, "log_softmax"))
        return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()

    # --- autodiff ---

    def backward(self, grad: Any = None, *, create_graph: bool = False, explain: bool = False):
        """Accumulate d(self)/d(node) into ``.grad`` of every node self depends on.

        ``grad`` is the seed (default 1 when self has one element). With ``create_graph=True``
        the backward pass is recorded, so each ``.grad`` is a Value you can differentiate again;
        without it ``.grad`` is a plain float or array, and ``x.grad.backward()`` fails with
        Python's AttributeError (see docs/autodiff.md). After ``create_graph=True`` a leaf and its
        ``.grad`` refer to each other (as in PyTorch): reset ``.grad`` when done, or the pair
        waits for the garbage collector.
        With ``explain=True`` it returns a :class:`~microgradnn.trace.BackwardTrace` of every
        chain-rule step.
        """
        seed = _seed(self, grad, "backward")
        trace = None
        if explain:
            from ..show.trace import BackwardTrace
            trace = BackwardTrace()
        _backprop(self, seed, create_graph, store=True, trace=trace)
        return trace

    def zero_grad(self) -> None:
        """Reset the .grad of every node in this Value's graph."""
        for n in walk(self):
            n._grad = None


class _Ternary(Value):
    """A node with three parents: x Wᵀ + b (ops.affine), the one op with a third input."""

    __slots__ = ("_c",)


def _checked_grad(v: Value, g):
    """What may be assigned to v.grad: None (or 0) to reset, a number or an array of v's shape, or
    a Value of v's shape (a recorded gradient); a scalar Value's grad is kept a Python float."""
    if g is None or isinstance(g, Value):
        if g is not None and g.shape != v.shape:
            raise ValueError(f"grad: a gradient of shape {g.shape} does not fit a Value of shape "
                             f"{v.shape}")
        return g
    if isinstance(g, (bool, np.bool_)) or not isinstance(g, (int, float, np.number, np.ndarray,
                                                            list, tuple)):
        raise TypeError(f"grad: expected None, a number, an array of shape {v.shape} or a Value, "
                        f"got {type(g).__name__}")
    data = _as_data(g, "grad", copy=True)
    if np.shape(data) != v.shape:
        raise ValueError(f"grad: a gradient of shape {np.shape(data)} does not fit a Value of "
                         f"shape {v.shape}")
    if type(v.data) is float:
        data = float(data)
        return None if data == 0.0 else data          # 0 is the same as never set
    return np.asarray(data, dtype=np.float64)


def _refuse_float(v: Value) -> None:
    """Raise if v depends on an argument a transform in this thread is differentiating."""
    nodes = set(walk(v))
    for name, args in reversed(_modes.tracing):
        if any(a in nodes for a in args):
            raise TypeError(
                f"float() of a Value that {name}() is differentiating: it would cut the Value off "
                "the graph and the derivative would be silently wrong (math.exp(x), math.tanh(x) "
                "... call float(x)). Use the functions that keep the graph: microgradnn.exp, log, "
                "tanh, sigmoid, relu, abs, sqrt, maximum (they also take floats and arrays), or "
                "the methods x.exp() ...; call x.item() to read the number on purpose")


def _axis(axis, v: Value, name: str):
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        axes = tuple(axis)
    else:
        raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {axis!r}")
    ndim = v.ndim
    bound = max(ndim, 1)
    for a in axes:
        if not -bound <= a < bound:
            raise ValueError(f"{name}: axis {axis} is out of range for shape {v.shape}")
    if ndim == 0:
        return None       # as in PyTorch, a 0-d Value accepts axis 0 or -1: reduce "everything"
    return int(axes[0]) if isinstance(axis, (int, np.integer)) else tuple(int(a) for a in axes)


def _index(index):
    """Indices may contain Values or lists (integer arrays); turn them into plain numpy."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Value):
        index = index.data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind == "f":
        raise TypeError(f"getitem: indices must be integers or booleans, got dtype {index.dtype}")
    return index


def _stop_max(v: Value, axis):
    """The maximum along axis as a constant (no gradient flows through it)."""
    if type(v.data) is float:
        return v.data
    if v.data.size == 0:        # nothing to shift: an empty softmax is empty, as in PyTorch
        return np.zeros_like(np.sum(v.data, axis=axis, keepdims=True))
    return np.max(v.data, axis=axis, keepdims=True)


def _matmul(a: Value, b: Value) -> Value:
    """A @ B with numpy's rules; 1-D operands are promoted to matrices by reshapes."""
    sa, sb = a.shape, b.shape
    if len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0]:
        return _apply(ops.matmul, a, b)           # the common case: two matrices that fit
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes {sa} and {sb}")
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {sa[-1]} (last dim of "
                         f"the left) != {inner_b} ({'first' if len(sb) == 1 else 'second-to-last'}"
                         f" dim of the right)")
    left = a.reshape(1, sa[0]) if len(sa) == 1 else a
    right = b.reshape(sb[0], 1) if len(sb) == 1 else b
    out = _apply(ops.matmul, left, right)
    if len(sa) == 1 or len(sb) == 1:
        shape = out.shape[:-2] + ((out.shape[-2],) if len(sa) > 1 else ()) + (
            (out.shape[-1],) if len(sb) > 1 else ())
        out = out.reshape(shape)
    return out


def _seed(y: Value, grad: Any, what: str):
    if grad is None:
        if y.size != 1:
            raise ValueError(f"{what}: the output has shape {y.shape}; pass a gradient of that "
                             "shape as the seed (only one-element outputs default to 1)")
        d = y.data
        # np.array(1.0) costs a sixth of np.ones(()), and a loss is 0-d
        return 1.0 if type(d) is float else np.array(1.0) if d.ndim == 0 else np.ones(d.shape)
    if isinstance(grad, Value):
        grad = grad.data
    g = _as_data(grad, f"{what} seed")
    if type(y.data) is float:
        if type(g) is not float and g.size == 1:
            g = float(g.reshape(()))
        if type(g) is not float:
            raise ValueError(f"{what}: the seed has shape {g.shape}, the output is a scalar")
        return g
    g = np.asarray(g, dtype=np.float64)
    if g.shape != y.shape:
        raise ValueError(f"{what}: the seed has shape {g.shape}, the output has shape {y.shape}")
    return g


# ---------------------------------------------------------------------------------------------
# Walking the graph (never recursively)
# ---------------------------------------------------------------------------------------------

_seq_of = operator.attrgetter("_seq")


def walk(root: Value) -> list:
    """Every node root depends on, root included, oldest first (a topological order).

    Iterative: deep graphs (a million nodes) never touch the recursion limit.
    """
    seen = {root}
    nodes = [root]
    stack = [root]
    pop, push, add, keep = stack.pop, stack.append, seen.add, nodes.append
    while stack:
        n = pop()
        for p in (n._a, n._b) if n._b is None else (n._a, n._b, n._c):
            if p is not None and p not in seen:
                add(p)
                keep(p)
                push(p)
    nodes.sort(key=_seq_of)
    return nodes


_PENDING = object()   # marks a node reached by the current backward pass, before its gradient


def _backward_order(root: Value) -> tuple:
    """(op nodes newest first, leaves) of the nodes that need a gradient; each is marked
    _PENDING on the way.

    Like walk(), but marking nodes in their _pg slot instead of a set: this is the hot walk.
    Leaves (a third of a scalar MLP's nodes) are kept apart, unsorted: they have no parents to
    pass a gradient on to, so they only need theirs once every op node is done, in any order.
    """
    root._pg = _PENDING
    if root._op is None:
        return [], [root]
    nodes = [root]
    leaves = []
    keep, keep_leaf = nodes.append, leaves.append
    for n in nodes:     # the list grows while it is read: a breadth-first walk with no stack
        p = n._a        # an op node always has a first input
        if p._pg is None and p._needs:
            p._pg = _PENDING
            if p._op is None:
                keep_leaf(p)
            else:
                keep(p)
        p = n._b
        if p is not None:
            if p._pg is None and p._needs:
                p._pg = _PENDING
                if p._op is None:
                    keep_leaf(p)
                else:
                    keep(p)
            p = n._c
            if p is not None and p._pg is None and p._needs:
                p._pg = _PENDING
                if p._op is None:
                    keep_leaf(p)
                else:
                    keep(p)
    nodes.sort(key=_seq_of, reverse=True)
    return nodes, leaves


def _backprop(root: Value, seed, create_graph: bool, store: bool, trace=None,
              targets: Optional[dict] = None) -> None:
    """The reverse pass: visit nodes newest first and apply each op's VJPs (the chain rule).

    store: add each node's gradient to its .grad (backward()); targets: a dict whose keys are
    nodes to collect the gradients of (the functional API), left untouched otherwise.
    """
    if not root._needs:
        raise RuntimeError("backward: this Value does not depend on anything that requires a "
                           "gradient (it was built from constants, under no_grad(), or detached). "
                           "To differentiate a gradient again, the first pass must record it: "
                           "backward(create_graph=True), or grad(grad(f))")
    hook = _modes.hook if _slow else None
    with _backward_lock:
        order, leaves = _backward_order(root)
        try:
            root._pg = _lift(seed) if create_graph else seed
            if create_graph:
                with _recording():
                    _reverse(order, True, store, trace, targets, hook)
                    _collect_leaves(leaves, store, targets)   # old + new grad is recorded too
            else:
                if trace is None and hook is None:
                    _reverse_plain(order, store, targets)   # backward(), grad(): numbers only
                else:
                    _reverse(order, False, store, trace, targets, hook)
                _collect_leaves(leaves, store, targets)
        except BaseException:
            for n in itertools.chain(order, leaves):   # _reverse clears each slot it visits;
                n._pg = None          # after an error, clear the rest, so the next pass starts clean
            raise


def _collect_leaves(leaves: list, store: bool, targets: Optional[dict]) -> None:
    """Hand each leaf the gradient the op nodes accumulated in its _pg slot."""
    if targets is None:
        if store:
            for n in leaves:
                g = n._pg
                n._pg = None
                old = n._grad
                n._grad = g if old is None else old + g
        else:
            for n in leaves:
                n._pg = None
        return
    for n in leaves:
        g = n._pg
        n._pg = None
        if store:
            old = n._grad
            n._grad = g if old is None else old + g
        if n in targets:
            targets[n] = g


@contextlib.contextmanager
def _recording():
    """create_graph records the backward pass even inside no_grad()."""
    saved = _current_modes()
    _set_modes(True, saved[1])
    try:
        yield
    finally:
        _set_modes(*saved)


def _reverse_plain(order: list, store: bool, targets: Optional[dict]) -> None:
    """The reverse pass on numbers: the same chain rule as _reverse below, for the case every
    training step takes (no create_graph, trace or hook), with none of their branches in its
    loop."""
    for n in order:
        g = n._pg
        n._pg = None
        if store:
            old = n._grad
            n._grad = g if old is None else old + g
        if targets is not None and n in targets:
            targets[n] = g
        op = n._op                        # every node here has an op (leaves come later)
        a, b = n._a, n._b
        if b is None:                     # unary: a needs a gradient, since n does
            if op.params:                 # sum, reshape, getitem ...: may change the shape
                pg = op.vjps[0](g, n.data, a.data, *n._arg)
                ad = a.data
                if not (type(pg) is np.ndarray and type(ad) is np.ndarray and pg.shape == ad.shape
                        or type(pg) is float and type(ad) is float):
                    pg = ops.unbroadcast(pg, ad)
            else:                         # elementwise: the gradient has a's shape already
                pg = op.vjps[0](g, n.data, a.data)
            q = a._pg
            a._pg = pg if q is _PENDING else q + pg
            continue
        od, ad, bd = n.data, a.data, b.data
        pair = op.pair
        if pair is None:                  # x Wᵀ + b (three inputs), the quadratic cost (n)
            # _reverse_node's step without its Values, trace and hook: calling it here measured
            # 3 µs slower per MLP step (its tuple of parents' data is built by a generator).
            c = n._c
            if c is None:
                parents, ins = (a, b), (ad, bd, *n._arg)
            else:
                parents, ins = (a, b, c), (ad, bd, c.data)
            for p, vjp, pd in zip(parents, op.vjps, ins):
                if p._needs:
                    pg = vjp(g, od, *ins)
                    if type(pg) is not float and (type(pd) is float or pg.shape != pd.shape):
                        pg = ops.unbroadcast(pg, pd)
                    q = p._pg
                    p._pg = pg if q is _PENDING else q + pg
            continue
        vjp_a, vjp_b = pair               # None: the VJP is g itself (ops.Op.pair)
        # unbroadcast: sum a broadcast gradient back to the input's shape, and give a scalar
        # (float) input a float even where the output is a 0-d array (scalar + tensor.sum()).
        # Floats pay one check: a float gradient never needs either.
        if a._needs:
            pg = g if vjp_a is None else vjp_a(g, od, ad, bd)
            if type(pg) is not float and (type(ad) is float or pg.shape != ad.shape):
                pg = ops.unbroadcast(pg, ad)
            q = a._pg
            a._pg = pg if q is _PENDING else q + pg
        if b._needs:
            pg = g if vjp_b is None else vjp_b(g, od, ad, bd)
            if type(pg) is not float and (type(bd) is float or pg.shape != bd.shape):
                pg = ops.unbroadcast(pg, bd)
            q = b._pg
            b._pg = pg if q is _PENDING else q + pg


def _reverse(order: list, create_graph: bool, store: bool, trace, targets, hook) -> None:
    """The general reverse pass: gradients as Values (create_graph), the explained trace and
    the anomaly hook."""
    for n in order:
        g = n._pg
        n._pg = None
        if store:
            old = n._grad
            n._grad = g if old is None else old + g
        if targets is not None and n in targets:
            targets[n] = g
        _reverse_node(n, g, create_graph, trace, hook)


def _reverse_node(n: Value, g, create_graph: bool, trace, hook) -> None:
    """Pass the gradient g of op node n on to each of its inputs: one VJP per input."""
    op = n._op                            # every node here has an op (leaves come later)
    parents = n.parents
    if create_graph:                      # the VJPs see Values, so they record new nodes
        out, ins = n, parents
    else:                                 # the VJPs see floats or arrays
        out, ins = n.data, tuple(p.data for p in parents)
    if op.params:
        ins += n._arg
    for p, vjp in zip(parents, op.vjps):
        if not p._needs:
            continue
        pg = vjp(g, out, *ins)            # the chain rule: upstream g times the local derivative
        pd = p.data
        if not (type(pg) is np.ndarray and type(pd) is np.ndarray and pg.shape == pd.shape
                or type(pg) is float and type(pd) is float):
            pg = ops.unbroadcast(pg, p if create_graph else pd)
        if hook is not None:
            hook.backward(n, p, pg, g)
        q = p._pg
        total = pg if q is _PENDING else q + pg
        p._pg = total
        if trace is not None:
            trace.record(n, p, vjp, g, pg, total, ins, out)


def gradients(y: Value, xs: Sequence[Value], seed: Any = None, create_graph: bool = False) -> list:
    """dy/dx for each x in xs, without touching any .grad (like torch.autograd.grad).

    >>> x = Value(3.0)
    >>> gradients(x * x, [x])
    [6.0]
    """
    for v, what in ((y, "y must be a Value"), *((x, "xs must hold Values") for x in xs)):
        if not isinstance(v, Value):
            hint = (" (a .grad is a plain number or array unless backward(create_graph=True) "
                    "recorded it as a Value)") if isinstance(v, (float, np.ndarray)) else ""
            raise TypeError(f"gradients: {what}, got {type(v).__name__}{hint}")
    targets = dict.fromkeys(xs)
    if y._needs:
        _backprop(y, _seed(y, seed, "gradients"), create_graph, store=False, targets=targets)
    return [targets[x] if targets[x] is not None else
            (0.0 if type(x.data) is float else np.zeros(x.shape)) for x in xs]
