"""Optimizers: plain SGD, SGD with momentum, and Adam.

An optimizer holds a list of parameter Values; ``step()`` moves each one against its
``.grad``, in place on ``.data`` (plain arrays, so an update is never part of any graph), and
``zero_grad()`` clears the gradients before the next backward.

>>> from microgradnn import Value
>>> w = Value([1.0, -2.0])
>>> opt = SGD([w], lr=0.1)
>>> (w * w).sum().backward()        # dC/dw = 2w
>>> opt.step()
>>> w.data                          # w − 0.1 · 2w
array([ 0.8, -1.6])

``backward()`` *adds* to ``.grad``, so a loop must clear the gradients once per step: call
``opt.zero_grad()`` before each backward (or after each step). An optimizer that steps again
without a ``zero_grad()`` since its last step warns once (a
:class:`GradientsNotClearedWarning`): it is stepping on the sum of the gradients of every
backward since then. Accumulating over several backwards *before* one step is fine; if you
accumulate across steps on purpose, or clear the gradients another way (``p.grad = None``,
``loss.zero_grad()``), silence it with
``warnings.simplefilter("ignore", GradientsNotClearedWarning)``.

``state_dict()`` returns plain data only (numbers, strings and ndarrays, keys like
"velocity.0" for the i-th parameter), so a checkpoint can store it anywhere;
``load_state_dict`` checks it before taking it.
"""
from __future__ import annotations

import math
import warnings
from typing import Iterable

import numpy as np

from ..core.engine import Value


def _positive(name: str, value, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive finite number, got {value!r}")
    return float(value)


def _fraction(name: str, value, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


class GradientsNotClearedWarning(UserWarning):
    """An optimizer stepped again without a zero_grad() since its last step."""


class Optimizer:
    """What SGD and Adam share: the parameter list, zero_grad, and state checking."""

    name = ""
    _hyper: tuple = ()          # names of the hyper-parameters stored in the state dict
    _slots: tuple = ()          # names of the per-parameter arrays (velocity, m, v)

    def __init__(self, params: Iterable[Value]) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        owner, seen = type(self).__name__, {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{owner}: parameter {i} is a "
                                f"{type(p).__name__}, expected a Value")
            if p._op is not None:
                raise ValueError(f"{owner}: parameter {i} ({_name(p)}) is not a leaf: it was "
                                 f"made by the op {p.op!r}, so a step on its data would be "
                                 f"overwritten by the next forward pass and never reach what "
                                 f"it was computed from. Optimize the leaf Values it comes "
                                 f"from (as PyTorch: \"can't optimize a non-leaf Tensor\")")
            if id(p) in seen:
                raise ValueError(f"{owner}: parameters {seen[id(p)]} and {i} are the same Value "
                                 f"({_name(p)}): it would be stepped twice per step. List "
                                 f"each parameter once")
            seen[id(p)] = i
        # A scalar-mode weight (MLP.scalar_params) is a view of one entry of a tensor
        # parameter: with the tensor in the same list, that entry would be stepped twice.
        for i, p in enumerate(self.params):
            tensor = getattr(p, "_param", None)
            if tensor is not None and id(tensor) in seen:
                raise ValueError(f"{owner}: parameter {i} ({_name(p)}) is an entry of "
                                 f"parameter {seen[id(tensor)]} ({_name(tensor)}): it would be "
                                 f"stepped twice per step. Give the tensors "
                                 f"(net.parameters()) or the scalars (net.scalar_params), "
                                 f"not both")
        self.steps = 0
        self._cleared, self._warned = True, False  # zero_grad() since the last step? warned?
        self.state = {slot: [np.zeros(np.shape(p.data)) for p in self.params]
                      for slot in self._slots}
        # Scratch arrays, one per parameter, that each step's arithmetic writes into: no
        # parameter-sized temporary is allocated (and, when large, handed back to the operating
        # system and faulted in again) on every step. Not part of the state.
        self._scratch = [np.zeros(np.shape(p.data)) for p in self.params]

    def zero_grad(self) -> None:
        """Forget the gradients of the parameters (do it before each backward)."""
        for p in self.params:
            p._grad = None
        self._cleared = True

    def _check_cleared(self) -> None:
        """Warn, once, when this step uses gradients that were not cleared since the last."""
        if not self._cleared and not self._warned:
            self._warned = True
            warnings.warn(
                f"{type(self).__name__}.step(): no zero_grad() since the last step, so the "
                f"gradients still hold the ones that step used: backward() adds to .grad, and "
                f"this step moves along the sum of every backward since. Call opt.zero_grad() "
                f"before each backward (this warning is given once per optimizer; if you "
                f"accumulate across steps on purpose or clear the gradients another way, "
                f"silence it: warnings.simplefilter('ignore', GradientsNotClearedWarning))",
                GradientsNotClearedWarning, stacklevel=3)
        self._cleared = False

    def step(self) -> None:
        self._check_cleared()
        self._step_all()

    def _step_all(self) -> None:
        # The update works on .data (floats and arrays), never on Values, so nothing is
        # recorded and no no_grad() is needed.
        self.steps += 1
        update = self._update
        for i, (p, out) in enumerate(zip(self.params, self._scratch)):
            g, data = p._grad, p.data
            if type(g) is np.ndarray and type(data) is np.ndarray:   # a tensor parameter
                update(i, g, out)        # the step, written into out
                data -= out              # in place, on the parameter's array itself
                p.data = data            # the assignment stamps p: graphs made before are stale
            else:
                self._step_other(i, p, g, out)

    def _step_other(self, i: int, p: Value, g, out: np.ndarray) -> None:
        """The step of a scalar parameter, or of one without a gradient or with a Value one."""
        if g is None:                    # no gradient reached p: the same as a zero gradient
            g = 0.0
        elif type(g) is not float:
            g = p.grad                   # a Value (after create_graph) or a 0-d numpy scalar
            g = g.data if isinstance(g, Value) else g
        self._update(i, g, out)
        if type(p.data) is float:        # a scalar Value: its data is an immutable float
            p.data = p.data - float(out)
        else:
            p.data -= out

    def _update(self, i: int, g, out: np.ndarray) -> None:
        """Write the step for parameter i, with gradient g, into out."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Hyper-parameters, step count and per-parameter arrays, as plain data."""
        d = {"optimizer": self.name, "steps": self.steps}
        d.update({h: getattr(self, h) for h in self._hyper})
        for slot, arrays in self.state.items():
            for i, arr in enumerate(arrays):
                d[f"{slot}.{i}"] = np.array(arr, dtype=np.float64)
        return d

    def load_state_dict(self, d: dict) -> None:
        """Take a state written by :meth:`state_dict`, after checking it fits these params."""
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(d, dict):
            raise TypeError(f"{owner}: expected a dict, got {type(d).__name__}")
        if d.get("optimizer") != self.name:
            raise ValueError(f"{owner}: the state is for optimizer {d.get('optimizer')!r}, "
                             f"this is {self.name!r}")
        expected = {"optimizer", "steps", *self._hyper,
                    *(f"{s}.{i}" for s in self._slots for i in range(len(self.params)))}
        missing, extra = expected - set(d), set(d) - expected
        if missing or extra:
            raise ValueError(f"{owner}: the state does not match {len(self.params)} parameters"
                             f" (missing keys: {sorted(missing)}, unexpected keys: "
                             f"{sorted(extra)})")
        steps = d["steps"]
        # A count up to 2**53 (exact as a float): β ** steps never overflows converting it.
        if isinstance(steps, bool) or not isinstance(steps, (int, float, np.integer, np.floating)) \
                or not 0 <= steps <= 2 ** 53 or int(steps) != steps:
            raise ValueError(f"{owner}: steps must be a non-negative integer (at most 2**53), "
                             f"got {str(steps)[:40]}")
        arrays = {}
        for slot in self._slots:
            arrays[slot] = []
            for i, p in enumerate(self.params):
                arr = np.array(d[f"{slot}.{i}"], dtype=np.float64)
                if arr.shape != np.shape(p.data):
                    raise ValueError(f"{owner}: {slot}.{i} has shape {arr.shape}, parameter "
                                     f"{i} ({p.label or 'unlabelled'}) has shape "
                                     f"{np.shape(p.data)}")
                arrays[slot].append(arr)
        self._set_hyper(**{h: d[h] for h in self._hyper})
        self.steps, self.state = int(steps), arrays

    def _set_hyper(self, **hyper) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent: p ← p − lr·v with v ← momentum·v + ∇p (v = ∇p when momentum is 0)."""

    name = "sgd"
    _hyper = ("lr", "momentum")
    _slots = ("velocity",)

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params)
        self._set_hyper(lr=lr, momentum=momentum)

    def _set_hyper(self, lr, momentum) -> None:
        self.lr = _positive("lr", lr, "SGD")
        self.momentum = _fraction("momentum", momentum, "SGD")

    def step(self) -> None:
        self._check_cleared()
        if self.momentum != 0.0:
            return self._step_all()
        # Plain SGD, p −= lr·∇p, the loop of most training steps: written out, without a call
        # per parameter (the same arithmetic as _update, so the same numbers).
        self.steps += 1
        lr, multiply = self.lr, np.multiply
        for i, (p, out) in enumerate(zip(self.params, self._scratch)):
            g, data = p._grad, p.data
            if type(g) is np.ndarray and type(data) is np.ndarray:
                multiply(g, lr, out=out)             # lr · ∇p
                data -= out
                p.data = data                        # stamps p (see Optimizer.step)
            else:
                self._step_other(i, p, g, out)

    def _update(self, i: int, g, out: np.ndarray) -> None:
        if self.momentum == 0.0:
            np.multiply(g, self.lr, out=out)         # lr · ∇p
            return
        v = self.state["velocity"][i]
        v *= self.momentum
        v += g
        np.multiply(v, self.lr, out=out)             # lr · v


class Adam(Optimizer):
    """Adam (Kingma & Ba): moving averages of the gradient and its square, bias-corrected."""

    name = "adam"
    _hyper = ("lr", "beta1", "beta2", "eps")
    _slots = ("m", "v")

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params)
        self._tmp = [np.zeros(np.shape(p.data)) for p in self.params]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self._set_hyper(lr=lr, beta1=betas[0], beta2=betas[1], eps=eps)

    def _set_hyper(self, lr, beta1, beta2, eps) -> None:
        self.lr = _positive("lr", lr, "Adam")
        self.beta1 = _fraction("beta1", beta1, "Adam")
        self.beta2 = _fraction("beta2", beta2, "Adam")
        self.eps = _positive("eps", eps, "Adam")

    def _update(self, i: int, g, out: np.ndarray) -> None:
        # lr · m̂ / (√v̂ + eps), computed in place in out and one more scratch array.
        m, v, tmp = self.state["m"][i], self.state["v"][i], self._tmp[i]
        np.multiply(g, 1.0 - self.beta1, out=tmp)
        m *= self.beta1
        m += tmp                                    # first moment: a running mean of g
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.beta2
        v *= self.beta2
        v += tmp                                    # second moment: a running mean of g²
        np.divide(v, 1.0 - self.beta2 ** self.steps, out=tmp)   # v̂: undo the bias towards
        np.sqrt(tmp, out=tmp)                                   # the zero start, as for m̂
        tmp += self.eps
        np.divide(m, 1.0 - self.beta1 ** self.steps, out=out)   # m̂
        out *= self.lr
        out /= tmp


def _name(p: Value) -> str:
    return repr(p.label) if p.label else f"a Value of shape {p.shape}"


def get_optimizer(name: str, params: Iterable[Value], lr: float) -> Optimizer:
    """SGD or Adam by name ("sgd", "adam")."""
    if name == "sgd":
        return SGD(params, lr=lr)
    if name == "adam":
        return Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; known: sgd, adam (or pass an Optimizer)")
