"""microgradnn: a small, exact and fast reverse-mode autodiff engine, built to be read.

>>> from microgradnn import Value
>>> x = Value(3.0)
>>> y = x ** 2 + 2 * x
>>> y.backward()
>>> x.grad
8.0

The public API, by module (engine ← nn ← losses/optim ← training ← cli; check and viz look at
the engine from outside):

* ``Value``, ``no_grad``, ``gradients``                 — microgradnn.engine
* ``grad``, ``value_and_grad``, ``jacobian``, ``hessian``, ``hvp`` — microgradnn.functional
* ``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``, ``abs``, ``sqrt``, ``maximum``: math that
  takes floats, arrays and Values alike (use them, not ``math.*``, in what you differentiate)
                                                        — microgradnn.functional
* ``detect_anomaly``                                    — microgradnn.anomaly
* ``draw_graph``, ``draw_network``                      — microgradnn.viz
* ``explore`` (a backward pass to step through in the browser) — microgradnn.explorer
* ``MLP`` (microgradnn.nn), ``NeuralNetwork`` (microgradnn.backprop),
  ``crosscheck``, ``crosscheck_gradients``, ``gradcheck`` (microgradnn.check)

Imported by module name: ``fit``, ``evaluate``, ``predict`` (microgradnn.training), the losses
and optimizers (microgradnn.losses, microgradnn.optim), micrograd's ``Value``, ``nn`` and
``draw_dot`` on this engine (microgradnn.micrograd), and ``to_torch``, ``from_torch``,
``torch_loss``, ``torch_gradients`` (microgradnn.torch_bridge, needs PyTorch).
"""
import os as _os
import sys as _sys
from importlib import import_module

if _sys.argv[:1] == ["-m"] or _os.path.basename(_sys.argv[0] if _sys.argv else "") in (
        "microgradnn", "microgradnn.exe", "microgradnn-script.py"):
    # Started as the command (python -m microgradnn sets argv[0] to "-m" while it imports the
    # package): Ctrl-C while numpy loads, before cli.main can catch it, prints the command's
    # one line instead of a traceback, and exits with status 130 as main would.
    def _interrupted(kind, value, tb, _default=_sys.excepthook):
        if not issubclass(kind, KeyboardInterrupt):
            return _default(kind, value, tb)
        try:
            _sys.stdout.flush()
            _sys.stderr.write("microgradnn: interrupted (Ctrl-C)\n")
            _sys.stderr.flush()
        finally:
            _os._exit(130)
    _sys.excepthook = _interrupted

from .engine import Value, gradients, no_grad  # noqa: E402 - after the hook, on purpose

__version__ = "0.1.0"

# Imported on first use, so that `import microgradnn` stays light (graphviz is loaded only
# by whoever draws).
_LAZY = {
    "grad": "functional", "value_and_grad": "functional", "jacobian": "functional",
    "hessian": "functional", "hvp": "functional",
    "exp": "functional", "log": "functional", "tanh": "functional", "sigmoid": "functional",
    "relu": "functional", "abs": "functional", "sqrt": "functional", "maximum": "functional",
    "detect_anomaly": "anomaly",
    "draw_graph": "viz", "draw_network": "viz", "explore": "explorer",
    "MLP": "nn", "NeuralNetwork": "backprop",
    "crosscheck": "check", "crosscheck_gradients": "check", "gradcheck": "check",
}

__all__ = ["Value", "gradients", "no_grad", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'microgradnn' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
