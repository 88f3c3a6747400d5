"""Training an :class:`~microgradnn.nn.MLP`: ``fit`` (mini-batch descent) and ``predict``.

>>> from microgradnn.nn import MLP
>>> from microgradnn.datasets import xor
>>> x, y = xor(n=4, noise=0.0)
>>> net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0, init="xavier")
>>> history = fit(net, x, y, loss="bce", optimizer="adam", lr=0.05, epochs=300,
...               batch_size=4, progress=False)
>>> predict(net, x).tolist() == y.tolist()
True

Which loss sees what: "quadratic" compares the output aᴸ with y; "bce" and "cross_entropy"
are computed from the logits zᴸ (the output layer's input to its sigmoid / softmax), which
is why they need a sigmoid / softmax output layer (see :mod:`microgradnn.losses`).
"""
from __future__ import annotations

import math
import sys
from typing import Any, Optional, Union

import numpy as np

from ..core.compiler import compile as compile_graph
from ..core.engine import no_grad
from ..core.modes import modes
from ..core.numeric import sigmoid
from ..network.architecture import numbers
from ..network.losses import LOSSES, check_output_activation, labels_hint, network_loss, \
    one_hot
from ..network.optim import Optimizer, get_optimizer


class History:
    """Per-epoch lists: ``loss`` and ``accuracy`` (classification only) on the training data,
    ``val_loss`` and ``val_accuracy`` when validation data was given.

    ``loss`` and ``accuracy`` are running means over the epoch's batches, taken while the
    weights change; ``val_*`` are measured on the held-out data after the epoch, which is
    called ``validation_name`` in printed lines and plots ("validation", or "test")."""

    def __init__(self, validation_name: str = "validation") -> None:
        self.loss: list = []
        self.accuracy: list = []
        self.val_loss: list = []
        self.val_accuracy: list = []
        self.validation_name = validation_name

    def as_dict(self) -> dict:
        return {k: list(v) for k, v in vars(self).items() if isinstance(v, list) and v}

    def line(self, epoch: int) -> str:
        """One epoch as text, e.g. "epoch 3: loss 0.2104  accuracy 0.9500 (running means)
        validation loss 0.1980  validation accuracy 0.9625"."""
        return f"epoch {epoch + 1}: " + self.summary(epoch)

    def summary(self, epoch: int) -> str:
        """The numbers of one epoch, training (running means) then held-out data."""
        train = "  ".join(f"{k} {getattr(self, k)[epoch]:.4f}" for k in ("loss", "accuracy")
                          if getattr(self, k))
        held = "  ".join(f"{self.validation_name} {k[4:]} {getattr(self, k)[epoch]:.4f}"
                         for k in ("val_loss", "val_accuracy") if getattr(self, k))
        return f"{train} (running means)" + (f"  {held}" if held else "")

    def __len__(self) -> int:
        return len(self.loss)

    def __str__(self) -> str:
        return "\n".join(self.line(e) for e in range(len(self))) or "History (no epochs)"

    def __repr__(self) -> str:
        return f"History({self.as_dict()})"


# ---------------------------------------------------------------------------------------------
# Checking data before any training step
# ---------------------------------------------------------------------------------------------

def _is_classification(loss: str) -> bool:
    return loss in ("bce", "cross_entropy")


def prepare_data(net, x: Any, y: Any, loss: str, what: str = "x") -> tuple:
    """(x, y) as float arrays, checked against the network and the loss; ValueError if not.

    x: (n, layers[0]). y: (n, out) targets for "quadratic" ((n,) when out is 1); 0/1 labels
    (n,) or (n, out) for "bce"; integer labels (n,) or one-hot rows (n, classes) for
    "cross_entropy".
    """
    ylabel = "y" if what == "x" else "validation y"
    x, y = numbers(x, f"fit: {what}"), numbers(y, f"fit: {ylabel}")   # complex, strings: refused
    n_in, n_out = net.layers[0], net.layers[-1]
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"fit: {what} must have shape (n, {n_in}) for this network, "
                         f"got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"fit: {what} has no examples")
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(f"fit: {what} has {x.shape[0]} examples but {ylabel} has "
                         f"{y.shape[0] if y.ndim else 'a single value'}")
    for name, arr in ((what, x), (ylabel, y)):
        if not np.all(np.isfinite(arr)):
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(f"fit: {name} contains NaN or inf (first at index "
                             f"{tuple(int(i) for i in bad)})")
    if loss == "cross_entropy":
        if y.ndim == 1:
            fractional = np.flatnonzero(y != np.round(y))
            if fractional.size:
                i = int(fractional[0])
                raise ValueError(f"fit: labels must be integers in 0..{n_out - 1} for "
                                 f"{n_out} output classes, got {y[i]:g} at index {i}")
            if y.min() < 0 or y.max() >= n_out:
                raise ValueError(f"fit: labels must be integers in 0..{n_out - 1} for "
                                 f"{n_out} output classes, got values from {y.min():g} to "
                                 f"{y.max():g}")
            y = y.astype(np.int64)
        elif y.shape != (x.shape[0], n_out):
            raise ValueError(f"fit: {ylabel} must be integer labels (n,) or one-hot rows "
                             f"(n, {n_out}), got {y.shape}")
        return x, y
    if y.ndim == 1 and n_out == 1:
        y = y.reshape(-1, 1)
    if y.shape != (x.shape[0], n_out):
        raise ValueError(f"fit: {ylabel} must have shape ({x.shape[0]}, {n_out}) for "
                         f"{n_out} outputs, got {y.shape}"
                         + labels_hint(y, (x.shape[0], n_out)))
    if loss == "bce" and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"fit: bce targets must lie in [0, 1], got values from {y.min()} "
                         f"to {y.max()}")
    return x, y


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------

def fit(net, x: Any, y: Any, *, loss: str = "quadratic",
        optimizer: Union[str, Optimizer] = "sgd", lr: float = 0.1, epochs: int = 100,
        batch_size: int = 32, shuffle: bool = True, seed: int = 0,
        validation_data: Optional[tuple] = None, validation_name: str = "validation",
        progress: bool = True, compile: bool = True) -> History:
    """Train ``net`` by mini-batch gradient descent and return its :class:`History`.

    Batches are taken along axis 0 (the last one may be smaller), in a fresh order each epoch
    when ``shuffle`` (seeded by ``seed``). ``optimizer`` is "sgd", "adam" (with ``lr``) or an
    :class:`~microgradnn.optim.Optimizer` over ``net.parameters()``. Every check on the data
    and the settings happens before the first step. The recorded loss of an epoch is the
    mean of its batches' losses (weighted by batch size), taken during training; accuracy is
    recorded for "bce" and "cross_entropy". ``validation_name`` is what printed lines and
    plots call the held-out data. ``progress`` shows a tqdm bar when tqdm is installed and the
    output is a terminal or a notebook, else one printed line per epoch.

    When fit returns, every parameter's ``.grad`` is cleared (None, read as zeros), as after
    ``opt.zero_grad()``: the last batch's gradients were spent on the last step, and a
    ``backward()`` after training starts from nothing. When it raises for divergence, the
    ``.grad`` are those of the batch that diverged, to look at.

    Divergence is never silent: at the first non-finite loss or gradient, or a step that
    makes a weight or the optimizer's state non-finite, fit raises ``FloatingPointError`` naming the epoch and the
    batch, and that step is not taken (or is undone), so the network's weights and the
    optimizer's state are those from before it. A non-finite held-out loss after an epoch
    raises it too.

    Each step's graph is recorded once per batch shape and run as the numpy source
    :func:`microgradnn.compile` writes: the same arithmetic as ``backward()`` in the same order,
    so the same weights to the last bit, in less time. ``compile=False`` records and walks the
    graph on every step; so does fit under ``detect_anomaly()``, which checks every op.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}")
    check_output_activation(net.activations[-1], loss)
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    x, y = prepare_data(net, x, y, loss)
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit: validation_data must be a pair (x_val, y_val)")
        val = prepare_data(net, *validation_data, loss, what="validation x")
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        ours = {id(p) for p in net.parameters()}
        if any(id(p) not in ours for p in opt.params):
            raise ValueError("fit: the optimizer updates Values that are not this network's "
                             "parameters; build it from net.parameters()")
    elif isinstance(optimizer, str):
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) \
                or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"fit: lr must be a positive finite number, got {lr!r}")
        opt = get_optimizer(optimizer, net.parameters(), float(lr))
    else:
        raise TypeError(f"fit: optimizer must be 'sgd', 'adam' or an Optimizer, "
                        f"got {type(optimizer).__name__}")

    history = History(validation_name)
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    batches = -(-n // batch_size)
    classify = _is_classification(loss)
    bar, report = _progress(epochs, progress)
    guard = _StepGuard(opt)
    compile = compile and modes.hook is None        # detect_anomaly() checks recorded ops
    steps = _CompiledSteps(net, loss, opt, y) if compile else None
    try:
        for epoch in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            total, correct = 0.0, 0.0
            for b, start in enumerate(range(0, n, batch_size)):
                idx = order[start:start + batch_size]
                xb, yb = x[idx], y[idx]
                if compile:
                    value, out_data = steps(xb, idx)
                else:
                    out_data = net(xb).data
                    cost = network_loss(net, yb, loss)
                    value = float(cost.data)
                    opt.zero_grad()
                    cost.backward()
                if not math.isfinite(value):      # the .grad are this batch's, to look at
                    raise _diverged(f"the loss is {value}", epoch, b, batches, opt)
                bad, g_max = _gradient_bound(opt.params)
                if bad is not None:
                    raise _diverged(f"the gradient of {bad} is not finite", epoch, b, batches,
                                    opt)
                guard.before_step(g_max)
                opt.step()
                bad = guard.after_step()
                if bad is not None:
                    raise _diverged(f"the step makes {bad} non-finite", epoch, b, batches, opt)
                total += value * len(idx)
                if classify:
                    correct += _correct(out_data, yb, loss)
            history.loss.append(total / n)
            if classify:
                history.accuracy.append(correct / n)
            if val is not None:
                v_loss, v_acc = evaluate(net, *val, loss=loss)
                if not math.isfinite(v_loss):
                    raise FloatingPointError(
                        f"fit: training diverged: after epoch {epoch + 1} the "
                        f"{validation_name} loss is {v_loss} (the weights are finite but too "
                        f"large); they are those after that epoch. Try a smaller learning rate"
                        + _lr_now(opt))
                history.val_loss.append(v_loss)
                if classify:
                    history.val_accuracy.append(v_acc)
            report(history, epoch)
    finally:
        if bar is not None:
            bar.close()
    opt.zero_grad()          # spent on the last step: a backward after fit starts from nothing
    return history


class _CompiledSteps:
    """fit's forward and backward as compiled graphs, one per batch shape (the last batch may be
    smaller): ``steps(xb, idx)``, for the batch xb of the examples idx, sets the parameters'
    gradients and returns (loss, output)."""

    def __init__(self, net, loss: str, opt, y: np.ndarray) -> None:
        self.net, self.loss, self.opt, self.by_shape = net, loss, opt, {}
        # the targets as the loss node holds them, one-hot rows for the cross-entropy: made once
        self.targets = one_hot(y, net.layers[-1]) if loss == "cross_entropy" else y

    def __call__(self, xb: np.ndarray, idx: np.ndarray) -> tuple:
        net, loss = self.net, self.loss
        yb = self.targets[idx]
        f = self.by_shape.get(xb.shape)
        if f is None:
            net(xb)
            cost = network_loss(net, yb, loss)
            # the logits for the cross-entropies (their output layer is not on the loss's graph)
            out = net[f"z{len(net.activations)}" if loss != "quadratic" else
                      f"a{len(net.activations)}"]
            f = self.by_shape[xb.shape] = compile_graph(cost, [net["x"], cost.parents[1]],
                                                        also=[out])
        self.opt.zero_grad()
        value, out = f(xb, yb)
        if loss == "bce":
            out = sigmoid(out)
        elif loss == "cross_entropy":               # softmax as the network computes it
            out = np.exp(out - out.max(axis=-1, keepdims=True))
            out /= out.sum(axis=-1, keepdims=True)
        return float(value), out


def _gradient_bound(params: list) -> tuple:
    """(label of the first parameter whose gradient holds NaN or inf, or None; an upper bound
    on every |gradient element|). One read of each gradient: ‖g‖₂ ≥ max |gᵢ|, and it is not
    finite when an element is not (or is beyond 1e154) — only then is the exact test needed."""
    bound = 0.0
    for i, p in enumerate(params):
        g = p.grad
        if g is None:
            continue
        flat = np.ravel(g)
        norm = math.sqrt(float(np.dot(flat, flat)))
        if not math.isfinite(norm):
            if not np.isfinite(flat).all():
                return p.label or f"parameter {i}", math.inf
        bound = max(bound, norm)
    return None, bound


# Bounds below this are safe: the step's arithmetic cannot overflow a float64 (max 1.8e308).
_SAFE = 1e300


class _StepGuard:
    """Makes sure that a step which would turn a weight or the optimizer's state NaN or inf (a
    finite gradient times a huge learning rate; Adam's v when g² overflows) is not kept: the
    weights and the state after the FloatingPointError are those before the failing step.

    Copying everything before every step would cost as much as a third of a step, so for SGD
    and Adam the guard carries upper bounds instead — on |w|, on the state's elements, and
    (from the gradient bound) on the step itself — that prove, in a few float operations, that
    the step stays finite. Only when they cannot (or for another optimizer) is a copy taken
    before the step and checked after it."""

    def __init__(self, opt) -> None:
        from ..network.optim import SGD, Adam
        self.opt = opt
        self.kind = type(opt) if type(opt) in (SGD, Adam) else None
        self.arrays = [p.data for p in opt.params if isinstance(p.data, np.ndarray)]
        state = getattr(opt, "state", None)
        self.state = {}                  # "v.0" → Adam's running mean of g² for parameter 0, ...
        if isinstance(state, dict):
            self.state = {f"{slot}.{i}": a for slot, arrays in state.items()
                          if isinstance(arrays, list)
                          for i, a in enumerate(arrays) if isinstance(a, np.ndarray)}
            self.arrays += list(self.state.values())
        self.copies: Optional[list] = None      # allocated the first time a copy is needed
        self.copied = self.pending_measure = False
        self._measure()

    def _measure(self) -> None:
        """Exact bounds, from the data: max |w| and max |element| of each kind of state."""
        self.w = max((float(np.max(np.abs(p.data))) if np.size(p.data) else 0.0
                      for p in self.opt.params), default=0.0)
        self.slot = {}
        for name, a in self.state.items():
            slot = name.split(".")[0]
            top = float(np.max(np.abs(a))) if a.size else 0.0
            self.slot[slot] = max(self.slot.get(slot, 0.0), top)

    def _bounds_after(self, g: float) -> Optional[tuple]:
        """(bound on |w|, bounds on the state) after a step with |g| ≤ g, if provably finite."""
        o = self.opt
        if self.kind is None or not math.isfinite(g):
            return None
        slot = dict(self.slot)
        if o.name == "sgd":
            if o.momentum == 0.0:
                step = o.lr * g
            else:                                  # v ← μ v + g; Δw = lr v
                slot["velocity"] = o.momentum * slot.get("velocity", 0.0) + g
                step = o.lr * slot["velocity"]
        else:                                      # Adam, step t = steps + 1
            t = o.steps + 1
            slot["m"] = o.beta1 * slot.get("m", 0.0) + (1.0 - o.beta1) * g
            slot["v"] = o.beta2 * slot.get("v", 0.0) + (1.0 - o.beta2) * g * g
            m_hat = slot["m"] / (1.0 - o.beta1 ** t)
            v_hat = slot["v"] / (1.0 - o.beta2 ** t)
            if not (g * g < _SAFE and m_hat < _SAFE and v_hat < _SAFE):
                return None
            step = o.lr * m_hat / o.eps            # √v̂ + eps ≥ eps
        w = self.w + step * (1.0 + 1e-9)           # a margin for rounding
        if not (w < _SAFE and all(v < _SAFE for v in slot.values())):
            return None
        return w, slot

    def before_step(self, g: float) -> None:
        bounds = self._bounds_after(g)
        self.copied = bounds is None
        if bounds is not None:
            self.w, self.slot = bounds
            if self.w > 1e250:                     # the bound has drifted: measure again
                self.pending_measure = True
            return
        if self.copies is None:
            self.copies = [np.empty_like(a) for a in self.arrays]
        for a, c in zip(self.arrays, self.copies):
            np.copyto(c, a)
        self.scalars = [p.data for p in self.opt.params]   # floats of scalar Values
        self.steps = getattr(self.opt, "steps", None)

    def after_step(self) -> Optional[str]:
        """None when the step is kept; else what it made non-finite, after undoing it."""
        if not self.copied:
            if self.pending_measure:
                self.pending_measure = False
                self._measure()
            return None
        bad = None
        for i, p in enumerate(self.opt.params):
            if not np.isfinite(p.data).all():
                bad = p.label or f"parameter {i}"
                break
        if bad is None:
            for name, a in self.state.items():
                if not np.isfinite(a).all():
                    bad = f"the optimizer's state {name}"
                    break
        if bad is not None:
            for a, c in zip(self.arrays, self.copies):
                np.copyto(a, c)
            for p, d in zip(self.opt.params, self.scalars):
                if not isinstance(p.data, np.ndarray):
                    p.data = d
            if self.steps is not None:
                self.opt.steps = self.steps
        self._measure()
        return bad


def _lr_now(opt) -> str:
    lr = getattr(opt, "lr", None)
    return f" (lr={lr:g} now)" if isinstance(lr, (int, float)) else ""


def _diverged(what: str, epoch: int, batch: int, batches: int, opt) -> FloatingPointError:
    return FloatingPointError(
        f"fit: training diverged at epoch {epoch + 1}, batch {batch + 1} of {batches}: {what}; "
        f"stopped before that step, so the weights are those from before it. Try a smaller "
        f"learning rate{_lr_now(opt)}")


def _redraws() -> bool:
    """Can a bar redraw itself in place? In a terminal or a Jupyter notebook, yes; written into a
    pipe or a file, its redraws would run together into one long line."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and "IPKernelApp" in getattr(shell, "config", {}):
        return True
    isatty = getattr(sys.stderr, "isatty", None)           # where tqdm draws
    return bool(isatty and isatty())


def _progress(epochs: int, enabled: bool):
    """(bar, report(history, epoch)): a tqdm bar, plain printed lines, or nothing."""
    if not enabled:
        return None, lambda history, epoch: None
    try:
        if not _redraws():
            raise ImportError("no terminal to redraw a bar in")
        from tqdm.auto import tqdm
    except ImportError:
        return None, lambda history, epoch: print(history.line(epoch), flush=True)
    bar = tqdm(total=epochs, desc="fit", unit="epoch")

    def report(history, epoch):
        bar.set_postfix_str(history.summary(epoch), refresh=False)
        bar.update(1)
    return bar, report


# ---------------------------------------------------------------------------------------------
# Using a trained network
# ---------------------------------------------------------------------------------------------

def _correct(out: np.ndarray, y: np.ndarray, loss: str) -> float:
    """How many examples are classified right (for several bce outputs, the mean per example
    of the outputs that are right)."""
    if loss == "bce":
        return float(np.mean((out >= 0.5) == (y >= 0.5), axis=1).sum())
    labels = np.argmax(y, axis=1) if y.ndim == 2 else y
    return float(np.sum(np.argmax(out, axis=1) == labels))


def predict_proba(net, x: Any) -> np.ndarray:
    """The network's output for x (batch, layers[0]) as an array, without recording a graph."""
    with no_grad():
        return net(numbers(x, "predict: x")).data


def predict(net, x: Any) -> np.ndarray:
    """Class labels (n,): argmax of the outputs for several outputs, output ≥ 0.5 for one.

    Use :func:`predict_proba` for the raw outputs (probabilities for a sigmoid or softmax
    output layer, the fitted values for regression).
    """
    out = predict_proba(net, x)
    if out.shape[1] == 1:
        return (out[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(out, axis=1)


def accuracy(net, x: Any, y: Any) -> float:
    """The fraction of examples whose predicted label equals y (labels, or one-hot rows)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    return float(np.mean(predict(net, x) == y.reshape(-1)))


def evaluate(net, x: Any, y: Any, loss: str = "quadratic") -> tuple:
    """(loss, accuracy) of ``net`` on (x, y) without recording a graph; accuracy is None for
    "quadratic"."""
    x, y = prepare_data(net, x, y, loss)
    with no_grad():
        out = net(x)
        cost = float(network_loss(net, y, loss).data)
    if not _is_classification(loss):
        return cost, None
    return cost, _correct(out.data, y, loss) / x.shape[0]
