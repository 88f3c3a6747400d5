"""Modes that change how ops are recorded, one set per thread (as in PyTorch).

* ``no_grad()``: ops record no graph (evaluation, parameter updates);
* the anomaly hook, set by :func:`microgradnn.core.anomaly.detect_anomaly`: every op reports its
  result to it, forward and backward;
* ``tracing``: while a transform (``grad``, ``jacobian`` ...) runs its function on Values, what
  ``float()`` of those Values would cut from the graph is refused.

Each thread starts with gradients on, no hook and no tracing; what one thread enters or leaves
never changes another.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, Sequence


class _Modes(threading.local):
    """One thread's modes; each thread sees these class defaults until it changes them."""
    # (gradients on?, the anomaly checker while detect_anomaly() is active): one tuple, so that
    # each op reads this thread's modes once.
    recording: tuple = (True, None)
    tracing: tuple = ()         # (transform name, its arguments), innermost last

    @property
    def grad_enabled(self) -> bool:
        return self.recording[0]

    @property
    def hook(self) -> Any:
        return self.recording[1]


modes = _Modes()


@contextlib.contextmanager
def _setting(name: str, value: Any) -> Iterator[None]:
    saved = getattr(modes, name)
    setattr(modes, name, value)
    try:
        yield
    finally:
        setattr(modes, name, saved)


def no_grad():
    """Compute without recording a graph (evaluation, parameter updates), in this thread.

    >>> from microgradnn import Value
    >>> w = Value(3.0)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _setting("recording", (False, modes.hook))


def enable_grad():
    """Record again, even inside ``no_grad()`` (``backward(create_graph=True)`` uses it)."""
    return _setting("recording", (True, modes.hook))


def anomaly_hook(hook: Any):
    """Report every op of this thread to ``hook`` (its ``forward`` and ``backward`` methods)."""
    return _setting("recording", (modes.grad_enabled, hook))


def tracing(name: str, args: Sequence[Any]):
    """While transform ``name`` runs its function on ``args``: float() of what depends on them
    is refused (it would cut the graph and make the derivative silently wrong)."""
    return _setting("tracing", modes.tracing + ((name, tuple(args)),))
