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
* ``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``, ``abs``, ``sqrt``, ``maximum``, ``sin``,
  ``cos``, ``tan``, ``arcsin``, ``arccos``, ``arctan``, ``sinh``, ``cosh``, ``square``, ``sign``,
  ``minimum``, ``clip``: math that takes floats, arrays and Values alike (use them, not
  ``math.*``, in what you differentiate)                — microgradnn.functional
* ``where``, ``concatenate``, ``stack``; and numpy's own functions on Values (``np.exp(v)``,
  ``np.sum(v, axis=0)``, ``np.var(v)`` ...)              — microgradnn.core.numpy_api
* ``detect_anomaly``                                    — microgradnn.anomaly
* ``draw_graph``, ``draw_network``                      — microgradnn.viz
* ``explore`` (a backward pass to step through in the browser) — microgradnn.explorer
* ``MLP`` (microgradnn.nn), ``NeuralNetwork`` (microgradnn.backprop),
  ``crosscheck``, ``crosscheck_gradients``, ``gradcheck``, ``check_backward`` (microgradnn.check)

Imported by module name: ``fit``, ``evaluate``, ``predict`` (microgradnn.training), the losses
and optimizers (microgradnn.losses, microgradnn.optim), micrograd's ``Value``, ``nn`` and
``draw_dot`` on this engine (microgradnn.micrograd), and ``to_torch``, ``from_torch``,
``torch_loss``, ``torch_gradients`` (microgradnn.torch_bridge, needs PyTorch).
"""
import os as _os
import sys as _sys
from importlib import abc as _abc, import_module, util as _util

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

from .core.engine import Value, gradients, no_grad  # noqa: E402 - after the hook, on purpose
# numpy's functions on Values (np.exp(v), np.sum(v) ...) and the numpy methods, attached to Value
# by the core's own numpy_api module (the engine's mechanism stays small without it).
from .core import numpy_api as _numpy_api  # noqa: E402,F401
# Parts above the core attach their conveniences to it when imported: the trace that
# backward(explain=True) returns, net.save / MLP.load, net.to_torch / MLP.from_torch.
from .show import trace as _trace  # noqa: E402,F401
from .training import checkpoint as _checkpoint  # noqa: E402,F401
from .bridges import pytorch as _pytorch  # noqa: E402,F401

__version__ = "0.1.0"

# The folders show the architecture (core ← network ← training; show, check and bridges look at
# the core from outside; command uses them all). Modules keep the short names they are imported
# by in the docs and in users' code, e.g. ``microgradnn.nn`` is ``microgradnn.network.nn``.
_SHORT_NAMES = {
    "engine": "core.engine", "ops": "core.ops", "functional": "core.functional",
    "anomaly": "core.anomaly", "compiler": "core.compiler",
    "architecture": "network.architecture", "nn": "network.nn", "losses": "network.losses",
    "optim": "network.optim",
    "datasets": "training.datasets", "checkpoint": "training.checkpoint",
    "trace": "show.trace", "viz": "show.viz", "explorer": "show.explorer", "plots": "show.plots",
    "backprop": "check.backprop",
    "torch_bridge": "bridges.pytorch", "micrograd": "bridges.micrograd",
    "exercises": "check.exercises",
    "cli": "command.cli", "expr": "command.expr",
}


class _ShortNames(_abc.MetaPathFinder, _abc.Loader):
    """Imports ``microgradnn.<short name>[.rest]`` as the module it names (the same object)."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, rest = fullname.partition(".")
        head, _, tail = rest.partition(".")
        if package != __name__ or head not in _SHORT_NAMES:
            return None
        return _util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        package, _, rest = spec.name.partition(".")
        head, _, tail = rest.partition(".")
        module = import_module(".".join(filter(None, (package, _SHORT_NAMES[head], tail))))
        spec.loader_state = module.__spec__    # the import system will overwrite __spec__
        return module

    def exec_module(self, module) -> None:
        """The module ran when create_module imported it under its own name: give it back its
        own spec."""
        module.__spec__ = module.__spec__.loader_state


_sys.meta_path.insert(0, _ShortNames())   # before the path finder, which would load a second copy

# Imported on first use, so that `import microgradnn` stays light (graphviz is loaded only
# by whoever draws).
_LAZY = {
    "grad": "core.functional", "value_and_grad": "core.functional",
    "jacobian": "core.functional", "hessian": "core.functional", "hvp": "core.functional",
    "exp": "core.functional", "log": "core.functional", "tanh": "core.functional",
    "sigmoid": "core.functional", "relu": "core.functional", "abs": "core.functional",
    "sqrt": "core.functional", "maximum": "core.functional",
    "sin": "core.functional", "cos": "core.functional", "tan": "core.functional",
    "arcsin": "core.functional", "arccos": "core.functional", "arctan": "core.functional",
    "sinh": "core.functional", "cosh": "core.functional", "square": "core.functional",
    "sign": "core.functional", "minimum": "core.functional", "clip": "core.functional",
    "where": "core.numpy_api", "concatenate": "core.numpy_api", "stack": "core.numpy_api",
    "define_op": "core.functional", "detect_anomaly": "core.anomaly", "compile": "core.compiler",
    "draw_graph": "show.viz", "draw_network": "show.viz", "explore": "show.explorer",
    "MLP": "network.nn", "NeuralNetwork": "check.backprop",
    "crosscheck": "check", "crosscheck_gradients": "check", "gradcheck": "check",
    "check_backward": "check",
}

__all__ = ["Value", "gradients", "no_grad", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    if name in _SHORT_NAMES:                    # microgradnn.engine without importing it first
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'microgradnn' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
