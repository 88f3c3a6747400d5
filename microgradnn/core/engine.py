"""The Value graph and reverse-mode autodiff.

A :class:`Value` holds a Python float (a *scalar*: one node per number, micrograd-style) or a
float64 numpy array (a *tensor*: one node per array op). Every operation on Values records a node
(:func:`record`): its op from the op table (:mod:`microgradnn.core.ops`), its inputs in order and
its output. :meth:`Value.backward` walks that graph once, from the output back to the leaves,
and applies each op's vector-Jacobian products (:func:`backward_pass`): the chain rule, one node
at a time.

>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad          # dy/dx = 2x + 3
7.0

How it works, for readers:

* Nodes are numbered in creation order. A node is always created after its inputs, so the nodes
  sorted newest first are a valid order for the backward pass (:func:`walk`): no recursion, no
  depth limit. The numbers also give drawings stable node ids.
* A node keeps no closure, only its op (shared by every node of that op): a dropped graph holds
  no reference cycles and is freed at once.
* One backward pass sums its gradients in a dict of its own and only then adds them to ``.grad``:
  a second ``backward()``, or another thread, never mixes its sums into this one's.
* Assigning ``.data`` stamps the Value with a new number from the same counter. A node whose
  input (or itself) was stamped after the node was made would be differentiated with numbers it
  was not computed from, so the backward pass refuses it (PyTorch's "modified by an inplace
  operation").

The functions without an underscore are the core's interface to the rest of the package: the
network records its layers and costs with :func:`record` and makes inputs with :func:`constant`.
"""
from __future__ import annotations

import contextlib
import itertools
import operator
import threading
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import numeric, ops
from .numeric import as_data  # noqa: F401 - what a Value may hold; part of this module's API
from .modes import enable_grad, modes, no_grad  # noqa: F401 - no_grad is part of this module's API

_new = object.__new__
_next = itertools.count().__next__        # creation order of nodes, and the .data stamps
_seq_of = operator.attrgetter("_seq")

# backward(explain=True) returns a trace of its chain-rule steps. The trace lives in the part that
# shows things (microgradnn.show.trace), which registers its class here when imported.
EXPLAIN: Optional[Callable[[], Any]] = None
# Adding a pass's gradients into .grad reads, adds and stores: one thread at a time, so that two
# threads differentiating through a shared parameter both count.
_storing = threading.Lock()


def _shape_of(data: Any) -> tuple:
    return () if type(data) is float else data.shape


# ---------------------------------------------------------------------------------------------
# Recording: the one place a node is made
# ---------------------------------------------------------------------------------------------

def init_leaf(v: "Value", data: Any, requires_grad: bool = False, label: str = "") -> None:
    """Fill the fields of a new Value v as a leaf holding data: Value() and constant() call it,
    and so can the Value subclasses of other parts. (An op node is made by record().)"""
    v._data, v._grad, v._seq, v._version, v._label = data, None, _next(), 0, label
    v._op, v._parents, v._saved, v._requires_grad = None, (), (), requires_grad


def constant(data: Any, label: str = "", kind: Optional[type] = None) -> "Value":
    """A leaf (of class kind, Value by default) that needs no gradient (an input, the targets)
    over ``data`` as it is, not copied: a float or a float64 ndarray (see :func:`as_data`)."""
    v = _new(kind or Value)
    init_leaf(v, data, label=label)
    return v


def lift(x: Any, kind: Optional[type] = None) -> Optional["Value"]:
    """x itself if it is a Value; a number or an array as a constant leaf (of class kind);
    None otherwise."""
    if isinstance(x, Value):
        return x
    if type(x) is float:
        return constant(x, kind=kind)
    if isinstance(x, (int, np.ndarray, np.number, np.bool_, list)):
        return constant(as_data(x, "operand"), kind=kind)
    return None


def record(op: ops.Op, inputs: tuple, params: tuple = (), kind: Optional[type] = None) -> "Value":
    """Run op's forward on the inputs' data (then its params) and record the result as a new node
    of class kind (Value by default): the one place an op node is made. The node keeps what its
    forward was called with (saved), for its VJPs. Inside no_grad() the result is a leaf."""
    # What the op's forward and VJPs are called with. Spelled out for one and two inputs: a
    # comprehension costs more than a scalar op itself.
    n = len(inputs)
    saved = (inputs[0]._data, *params) if n == 1 else \
        (inputs[0]._data, inputs[1]._data, *params) if n == 2 else \
        (*[v._data for v in inputs], *params)
    try:
        data = op.forward(*saved)
        if type(data) is not float and type(data) is not np.ndarray:   # e.g. numpy scalars
            data = float(data) if all(type(v._data) is float for v in inputs) else \
                np.asarray(data, dtype=np.float64)
    except (ValueError, IndexError) as e:
        shapes = " and ".join("scalar" if v.is_scalar else str(v.shape) for v in inputs)
        error = IndexError if isinstance(e, IndexError) and not isinstance(e, ValueError) \
            else ValueError               # numpy's AxisError is both: call it a ValueError
        raise error(f"{op.name}: cannot apply to {shapes}: {e}") from None
    grad_enabled, hook = modes.recording
    out = _new(kind or Value)
    out._data = data
    out._grad = None
    out._seq = _next()
    out._version = 0
    out._label = ""
    if grad_enabled:
        out._op = op
        out._parents = inputs
        out._saved = saved
        out._requires_grad = False
        for v in inputs:                # (a loop: faster than any() for one to three inputs)
            if v._requires_grad:
                out._requires_grad = True
                break
    else:                               # no_grad(): a result without history
        out._op = None
        out._parents = out._saved = ()
        out._requires_grad = False
    if hook is not None:
        hook.forward(out, op, inputs)
    return out


def binary_method(op: ops.Op, reflected: bool = False, kind: Optional[type] = None):
    """``self op other`` (or ``other op self``) as a method: the arithmetic operators of Value
    and of its subclasses (kind: the class of the results and of a number made an operand)."""
    def method(self: "Value", other: Any) -> "Value":
        if not isinstance(other, Value):
            other = lift(other, kind)
            if other is None:
                return NotImplemented
        return record(op, (other, self) if reflected else (self, other), kind=kind)
    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    method.__doc__ = f"self {op.symbol} other" if not reflected else f"other {op.symbol} self"
    return method


def unary_method(op: ops.Op, kind: Optional[type] = None):
    """An elementwise function of one Value (exp, tanh ...) as a method."""
    def method(self: "Value") -> "Value":
        return record(op, (self,), kind=kind)
    method.__name__ = op.name
    method.__doc__ = f"{op.name}(self), elementwise: ∂/∂x = " + \
        op.formulas[0].format(a="x", out=f"{op.name}(x)")
    return method


# ---------------------------------------------------------------------------------------------
# The Value
# ---------------------------------------------------------------------------------------------

class Value:
    """A node of the computation graph: a scalar (Python float) or a tensor (float64 ndarray).

    >>> a = Value(2.0, label="a"); b = Value(-0.5, label="b")
    >>> c = (a * b).tanh()
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)     # (1 − tanh²(ab))·b and (1 − tanh²(ab))·a
    (-0.209987, 0.839949)
    """

    __slots__ = ("_data", "_grad", "_op", "_parents", "_saved", "_requires_grad", "_seq",
                 "_version", "_label", "_site", "__weakref__")
    __array_ufunc__ = None   # ndarray + Value calls Value.__radd__; numpy_api attaches NEP 13

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True) -> None:
        init_leaf(self, data if type(data) is float else as_data(data, "Value", copy=True),
                  bool(requires_grad), str(label) if label else "")

    # --- what a node is ---

    @property
    def data(self) -> Any:
        """The number (a float) or the array (float64) this node holds."""
        return self._data

    @data.setter
    def data(self, x: Any) -> None:
        # w.data += 1 and w.data *= 2 come here too (Python reads, updates, then assigns).
        if type(x) is not float and not (type(x) is np.ndarray and x.dtype == np.float64):
            x = as_data(x, "data")
        self._data, self._version = x, _next()

    @property
    def label(self) -> str:
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        self._label = str(text)

    @property
    def grad(self) -> Any:
        """dOutput/dself after backward(): a Python float for a scalar Value, an array of data's
        shape for a tensor (a Value after ``backward(create_graph=True)``).

        A plain float or array has no ``.backward()``: to differentiate a gradient again, call
        ``backward(create_graph=True)`` (or use ``grad(grad(f))``), which makes ``.grad`` a Value.
        """
        g = self._grad
        if g is None:
            return 0.0 if type(self._data) is float else np.zeros(self._data.shape)
        return np.asarray(g) if type(g) is np.float64 else g   # a 0-d tensor's grad stays an array

    @grad.setter
    def grad(self, g: Any) -> None:
        if g is None or (type(g) is float and g == 0.0):   # p.grad = 0.0: the common reset
            self._grad = None
        elif type(g) is float and type(self._data) is float:
            self._grad = g
        else:
            self._grad = _checked_grad(self, g)

    @property
    def has_grad(self) -> bool:
        """Whether a gradient has been stored since the last reset (``.grad`` reads 0 if not)."""
        return self._grad is not None

    @property
    def shape(self) -> tuple:
        return _shape_of(self._data)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return 1 if type(self._data) is float else self._data.size

    @property
    def is_scalar(self) -> bool:
        """True for a micrograd-style scalar node whose data is a Python float."""
        return type(self._data) is float

    @property
    def op(self) -> str:
        """The name of the op that made this node ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def operation(self) -> Optional[ops.Op]:
        """The op-table entry that made this node (None for a leaf): its symbol, formulas, VJPs."""
        return self._op

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this node, in order (a + a has the same parent twice)."""
        return self._parents

    @property
    def params(self) -> dict:
        """The op's static parameters (axis, shape, index ...), by name."""
        if self._op is None:
            return {}
        return dict(zip(self._op.params, self._saved[len(self._parents):]))

    @property
    def forward_args(self) -> tuple:
        """What the op's forward was called with: the inputs' data, then its parameters (what its
        VJPs are called with after g and out)."""
        return self._saved

    @property
    def number(self) -> int:
        """The node's place in creation order (stable ids for drawings)."""
        return self._seq

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    def item(self) -> float:
        if self.size != 1:
            raise ValueError(f"item: only a one-element Value converts to a float, "
                             f"this one has shape {self.shape}")
        d = self._data
        return d if type(d) is float else float(d.reshape(()))

    def __float__(self) -> float:
        """The number, for printing: ``float(loss)``. Refused inside grad(), jacobian() & co. for
        a Value that depends on what they differentiate: ``math.exp(x)`` calls float(x), which
        would cut the graph and make the derivative silently wrong. ``.item()`` reads it on
        purpose."""
        if modes.tracing and self._requires_grad:
            _refuse_float(self)
        return self.item()

    def __int__(self) -> int:
        return int(self.__float__())

    def __round__(self, ndigits=None):
        return round(self.__float__(), ndigits)

    def __bool__(self) -> bool:
        """The truth of a one-element Value's number (as numpy); ambiguous for more elements."""
        if self.size != 1:
            raise ValueError(f"the truth value of a Value with {self.size} elements (shape "
                             f"{self.shape}) is ambiguous; use v.data.any() or v.data.all()")
        return bool(self.item())

    def __setstate__(self, state: tuple) -> None:
        """Unpickled: restored, then numbered anew, since creation numbers and .data stamps
        belong to the process that made them."""
        for name, value in state[1].items():
            setattr(self, name, value)
        self._seq, self._version = _next(), 0

    def detach(self) -> "Value":
        """The same data as a new leaf that stops gradients (requires_grad=False)."""
        return constant(self._data)      # shared, not copied, as in PyTorch

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        if type(self._data) is float:
            g = self.grad
            grad = f"{g:.6g}" if type(g) is float else repr(g)   # a Value after create_graph
            return f"Value(data={self._data:.6g}, grad={grad}{label})"
        return f"Value(shape={self._data.shape}{label})"

    # --- arithmetic: each operator records one op of the op table ---

    __add__, __radd__ = binary_method(ops.add), binary_method(ops.add, reflected=True)
    __sub__, __rsub__ = binary_method(ops.sub), binary_method(ops.sub, reflected=True)
    __mul__, __rmul__ = binary_method(ops.mul), binary_method(ops.mul, reflected=True)
    __truediv__, __rtruediv__ = binary_method(ops.div), binary_method(ops.div, reflected=True)
    __pow__, __rpow__ = binary_method(ops.pow), binary_method(ops.pow, reflected=True)
    __neg__ = unary_method(ops.neg)

    def __matmul__(self, other: Any) -> "Value":
        other = lift(other)
        return NotImplemented if other is None else _matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Value":
        other = lift(other)
        return NotImplemented if other is None else _matmul(other, self)

    def linear(self, weight: Any, bias: Any = None) -> "Value":
        """``self @ weight.T`` (+ ``bias``) as one node: a dense layer's zˡ = x Wᵀ + b, with W
        stored (out, in) as in the seed article and PyTorch's ``F.linear``.

        >>> x = Value([[1.0, 2.0]]); W = Value([[3.0, 4.0], [5.0, 6.0]])
        >>> x.linear(W).data
        array([[11., 17.]])
        >>> z = x.linear(W, Value([0.5, -1.0]))      # one "affine" node with inputs x, W and b
        >>> z.data, z.op
        (array([[11.5, 16. ]]), 'affine')
        """
        w, b = lift(weight), lift(bias)
        if w is None or (bias is not None and b is None):
            what = "weight" if w is None else "bias"
            raise TypeError(f"linear: the {what} must be a Value or an array")
        xs, ws = _shape_of(self._data), _shape_of(w._data)
        if len(xs) != 2 or len(ws) != 2 or xs[1] != ws[1]:
            raise ValueError(f"linear: x of shape {xs} and W of shape {ws} do not fit: x must be "
                             f"(batch, in) and W (out, in)")
        if b is not None and _shape_of(b._data) != ws[:1]:
            raise ValueError(f"linear: the bias has shape {b.shape}, W of shape {ws} has "
                             f"{ws[0]} outputs: the bias must have shape ({ws[0]},)")
        return record(ops.linear, (self, w)) if b is None else record(ops.affine, (self, w, b))

    # --- elementwise functions ---

    exp = unary_method(ops.exp)
    log = unary_method(ops.log)
    tanh = unary_method(ops.tanh)
    sigmoid = unary_method(ops.sigmoid)
    relu = unary_method(ops.relu)
    abs = unary_method(ops.abs)
    __abs__ = abs
    sqrt = unary_method(ops.sqrt)
    maximum = binary_method(ops.maximum)
    maximum.__name__, maximum.__doc__ = "maximum", "elementwise max(self, other); ties share " \
        "the gradient equally, as in PyTorch"

    # --- reductions ---

    def sum(self, axis=None, keepdims: bool = False) -> "Value":
        return record(ops.sum, (self,), (_axis(axis, self, "sum"), bool(keepdims)))

    def mean(self, axis=None, keepdims: bool = False) -> "Value":
        if self.size == 0:
            raise ValueError(f"mean: cannot average an empty Value of shape {self.shape}")
        total = self.sum(axis, keepdims)
        return total * (total.size / self.size)

    def max(self, axis=None, keepdims: bool = False) -> "Value":
        """The largest element(s); where several tie, they share the gradient evenly."""
        if self.size == 0:
            raise ValueError(f"max: cannot reduce an empty Value of shape {self.shape}")
        return record(ops.max, (self,), (_axis(axis, self, "max"), bool(keepdims)))

    # --- shape ---

    def reshape(self, *shape) -> "Value":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
            raise TypeError(f"reshape: the new shape must be integers, got {shape!r}")
        return record(ops.reshape, (self,), (tuple(int(n) for n in shape),))

    def transpose(self, *axes) -> "Value":
        if type(self._data) is float:
            if axes:
                raise ValueError(f"transpose: a scalar has no axes, got {axes}")
            return self
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(range(self.ndim))[::-1] if not axes else tuple(int(a) for a in axes)
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{self.ndim} axes of shape {self.shape}")
        return record(ops.transpose, (self,), (tuple(a % self.ndim for a in axes),))

    @property
    def T(self) -> "Value":
        return self.transpose()

    def broadcast_to(self, shape) -> "Value":
        return record(ops.broadcast_to, (self,), (tuple(shape),))

    def __getitem__(self, index) -> "Value":
        if type(self._data) is float:
            raise TypeError("getitem: a scalar Value cannot be indexed")
        return record(ops.getitem, (self,), (_index(index),))

    def scatter_add(self, index, shape) -> "Value":
        """Zeros of ``shape`` with self added at ``index`` (the gradient of indexing)."""
        return record(ops.scatter_add, (self,), (_index(index), tuple(shape)))

    # --- composites: built from the primitives above, so they need no derivative of their own ---

    def softmax(self, axis: int = -1) -> "Value":
        """exp(x) / Σ exp(x) along axis, finite at ±1000.

        Subtracting the (constant) maximum first keeps every exp ≤ 1; it does not change the
        result, nor, since softmax is shift-invariant, the gradient.
        """
        e = (self - _constant_max(self, _axis(axis, self, "softmax"))).exp()
        return e / e.sum(axis=axis, keepdims=True)

    def log_softmax(self, axis: int = -1) -> "Value":
        """x − log Σ exp(x) along axis (log-sum-exp with the maximum shifted out first)."""
        shifted = self - _constant_max(self, _axis(axis, self, "log_softmax"))
        return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()

    # --- autodiff ---

    def backward(self, grad: Any = None, *, create_graph: bool = False, explain: bool = False):
        """Accumulate d(self)/d(node) into ``.grad`` of every node self depends on.

        ``grad`` is the seed (default 1 when self has one element). With ``create_graph=True``
        the backward pass is recorded, so each ``.grad`` is a Value you can differentiate again;
        without it ``.grad`` is a plain float or array. After ``create_graph=True`` a leaf and its
        ``.grad`` refer to each other (as in PyTorch): reset ``.grad`` when done, or the pair
        waits for the garbage collector. With ``explain=True`` it returns a
        :class:`~microgradnn.show.trace.BackwardTrace` of every chain-rule step.
        """
        trace = EXPLAIN() if explain else None
        grads = backward_pass(self, _seed(self, grad, "backward"), create_graph,
                              None if trace is None else trace.record)
        if create_graph:
            with enable_grad():           # old + new is recorded too
                _store(grads)
        else:
            _store(grads)
        return trace

    def zero_grad(self) -> None:
        """Reset the .grad of every node in this Value's graph."""
        for n in walk(self):
            n._grad = None


def _store(grads: dict) -> None:
    """Add each node's gradient from one backward pass into its .grad."""
    with _storing:
        for node, g in grads.items():
            old = node._grad
            node._grad = g if old is None else old + g


def _checked_grad(v: Value, g: Any) -> Any:
    """What may be assigned to v.grad besides None, 0 and a float: a number or an array of v's
    shape, or a Value of v's shape (a recorded gradient); a scalar Value's grad stays a float."""
    if isinstance(g, Value):
        if g.shape != v.shape:
            raise ValueError(f"grad: a gradient of shape {g.shape} does not fit a Value of shape "
                             f"{v.shape}")
        return g
    if isinstance(g, (bool, np.bool_)) or not isinstance(g, (int, float, np.number, np.ndarray,
                                                            list, tuple)):
        raise TypeError(f"grad: expected None, a number, an array of shape {v.shape} or a Value, "
                        f"got {type(g).__name__}")
    data = as_data(g, "grad", copy=True)
    if np.shape(data) != v.shape:
        raise ValueError(f"grad: a gradient of shape {np.shape(data)} does not fit a Value of "
                         f"shape {v.shape}")
    if type(v._data) is float:
        data = float(data)
        return None if data == 0.0 else data          # 0 is the same as never set
    return np.asarray(data, dtype=np.float64)


def _refuse_float(v: Value) -> None:
    """Raise if v depends on an argument a transform in this thread is differentiating."""
    nodes = set(walk(v))
    for name, args in reversed(modes.tracing):
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
    bound = max(v.ndim, 1)
    for a in axes:
        if not -bound <= a < bound:
            raise ValueError(f"{name}: axis {axis} is out of range for shape {v.shape}")
    if v.ndim == 0:
        return None       # as in PyTorch, a 0-d Value accepts axis 0 or -1: reduce "everything"
    return int(axes[0]) if isinstance(axis, (int, np.integer)) else tuple(int(a) for a in axes)


def _index(index):
    """Indices may contain Values or lists (integer arrays); turn them into plain numpy."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Value):
        index = index._data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind == "f":
        raise TypeError(f"getitem: indices must be integers or booleans, got dtype {index.dtype}")
    return index


def _constant_max(v: Value, axis):
    """The maximum along axis as a constant (no gradient flows through it)."""
    if type(v._data) is float:
        return v._data
    if v._data.size == 0:       # nothing to shift: an empty softmax is empty, as in PyTorch
        return np.zeros_like(np.sum(v._data, axis=axis, keepdims=True))
    return np.max(v._data, axis=axis, keepdims=True)


def _matmul(a: Value, b: Value) -> Value:
    """A @ B with numpy's rules; 1-D operands are promoted to matrices by reshapes."""
    sa, sb = a.shape, b.shape
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes {sa} "
                         f"and {sb}")
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {sa[-1]} (last dim of "
                         f"the left) != {inner_b} ({'first' if len(sb) == 1 else 'second-to-last'}"
                         f" dim of the right)")
    left = a.reshape(1, sa[0]) if len(sa) == 1 else a
    right = b.reshape(sb[0], 1) if len(sb) == 1 else b
    out = record(ops.matmul, (left, right))
    if len(sa) == 1 or len(sb) == 1:
        out = out.reshape(out.shape[:-2] + ((out.shape[-2],) if len(sa) > 1 else ())
                          + ((out.shape[-1],) if len(sb) > 1 else ()))
    return out


def _seed(y: Value, grad: Any, what: str) -> Any:
    if grad is None:
        if y.size != 1:
            raise ValueError(f"{what}: the output has shape {y.shape}; pass a gradient of that "
                             "shape as the seed (only one-element outputs default to 1)")
        # (np.array(1.0) costs a sixth of np.ones(()), and a loss is 0-d)
        return 1.0 if y.is_scalar else np.array(1.0) if y.ndim == 0 else np.ones(y.shape)
    g = as_data(grad._data if isinstance(grad, Value) else grad, f"{what} seed")
    if y.is_scalar:
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
# Walking the graph, and the backward pass
# ---------------------------------------------------------------------------------------------

def walk(root: Value, for_backward: bool = False) -> list:
    """Every node root depends on, root included, oldest first (a topological order).

    for_backward: only the op nodes that need a gradient, newest first (the order backward
    visits them; leaves pass nothing on). Iterative: deep graphs (a million nodes) never touch
    the recursion limit.
    """
    nodes, seen = [root], {root}
    for node in nodes:                  # the list grows while it is read: breadth first
        for p in node._parents:
            if p not in seen and (not for_backward or p._requires_grad and p._op is not None):
                seen.add(p)
                nodes.append(p)
    nodes.sort(key=_seq_of, reverse=for_backward)
    return nodes


def backward_pass(root: Value, seed: Any, create_graph: bool = False,
                  observe: Optional[Callable[..., None]] = None) -> dict:
    """{node: ∂root/∂node} for root and every node it depends on that requires a gradient.

    Newest node first, each op node passes the gradient g arriving at it on to each input that
    requires one: ``vjp(g, out, *inputs)``, g times the local derivative, summed back to the
    input's shape. With create_graph the VJPs run on the Values themselves, so the pass is
    recorded and can be differentiated again. observe(node, i, g, contribution, total, inputs,
    out) sees every step (the explained trace); the anomaly hook checks each one.
    """
    if not root._requires_grad:
        raise RuntimeError("backward: this Value does not depend on anything that requires a "
                           "gradient (it was built from constants, under no_grad(), or detached). "
                           "To differentiate a gradient again, the first pass must record it: "
                           "backward(create_graph=True), or grad(grad(f))")
    order = walk(root, for_backward=True) if root._op is not None else []
    hook = modes.hook
    grads = {root: lift(seed) if create_graph else seed}
    with enable_grad() if create_graph else contextlib.nullcontext():
        for node in order:                # op nodes, newest first; leaves pass nothing on
            op, g, parents, stamp = node._op, grads[node], node._parents, node._seq
            if create_graph:              # the VJPs see Values, and so are recorded
                out, ins = node, parents + node._saved[len(parents):]
            else:
                out, ins = node._data, node._saved
            if node._version > stamp:
                _stale(node, node)
            for i, parent in enumerate(parents):
                if parent._version > stamp:
                    _stale(node, parent)
                if not parent._requires_grad:
                    continue
                pg = op.vjps[i](g, out, *ins)    # the chain rule: g times the local derivative
                like = parent if create_graph else parent._data
                # unbroadcast's own first test, here: it spares most edges a call (scalar graphs'
                # backward about 15 % faster, benchmarks/scalar_engine.py)
                if type(pg) is not type(like) or type(like) is not float and pg.shape != like.shape:
                    pg = numeric.unbroadcast(pg, like)    # sum a broadcast gradient back
                if hook is not None:
                    hook.backward(node, parent, pg, g)
                total = grads[parent] = pg if parent not in grads else grads[parent] + pg
                if observe is not None:
                    observe(node, i, g, pg, total, ins, out)
    return grads


def _stale(node: Value, v: Value) -> None:
    """Refuse to differentiate node: v, its output or one of its inputs, had its .data assigned
    after node was made."""
    name = f"{v.label!r}" if v.label else f"of shape {v.shape}" if v.ndim else \
        f"holding {v._data!r}" if v.is_scalar else "(unlabelled)"
    role = "its output" if v is node else "an input"
    raise RuntimeError(
        f"backward: the Value {name}, {role} of {node.op}, had its .data assigned after "
        f"{node.op} used it: its gradient would be computed from numbers it was not made from. "
        "Run the forward pass again after changing .data (an optimizer's step belongs after "
        "backward(), before the next forward pass)")


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
    grads = backward_pass(y, _seed(y, seed, "gradients"), create_graph) if y._requires_grad \
        else {}
    return [grads[x] if x in grads else (0.0 if x.is_scalar else np.zeros(x.shape)) for x in xs]
