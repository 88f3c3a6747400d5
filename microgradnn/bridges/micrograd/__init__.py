"""micrograd, on microgradnn: the same ``Value`` and ``nn`` API, with microgradnn's engine beneath.

Change the import line and micrograd code runs as it is::

    from microgradnn.micrograd.engine import Value          # was: from micrograd.engine import Value
    from microgradnn.micrograd.nn import Neuron, Layer, MLP  # was: from micrograd.nn import ...
    from microgradnn.micrograd import draw_dot               # the lecture's drawing helper

See docs/micrograd.md ("Coming from micrograd") for what stays the same and what changes.
"""
from .engine import Value
from .trace_graph import draw_dot, trace

__all__ = ["Value", "draw_dot", "trace"]
