"""Memory: training keeps memory flat, and a dropped graph is freed at once, without gc.

The engine promises no reference cycles (a node holds its parents and a shared Op, never a
closure over itself), so CPython's reference counting frees each step's graph as soon as the next
step drops the last reference to it. These tests turn the garbage collector off to prove it.
"""
import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly
from microgradnn.losses import quadratic
from microgradnn.nn import MLP
from microgradnn.optim import SGD


@pytest.fixture
def no_gc():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


X = np.random.default_rng(0).uniform(-1, 1, size=(4, 2))
Y = (X[:, :1] * X[:, 1:] > 0).astype(float)             # XOR-like targets


def _step(net, opt):
    opt.zero_grad()
    loss = quadratic(net(X), Y)
    loss.backward()
    opt.step()
    return loss


def test_twenty_thousand_training_steps_keep_the_number_of_live_blocks_flat(no_gc):
    net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0)
    opt = SGD(net.parameters(), lr=0.1)
    for _ in range(500):                                  # warm up caches and free lists
        _step(net, opt)
    start = sys.getallocatedblocks()                      # every live Python object's block
    for _ in range(20_000):
        _step(net, opt)
    grown = sys.getallocatedblocks() - start
    # One step's graph is ~60 blocks; keeping each alive would add ~1,200,000.
    assert grown < 2_000, f"{grown} more live blocks after 20,000 steps"


def test_training_keeps_traced_memory_flat_arrays_included(no_gc):
    net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0)
    opt = SGD(net.parameters(), lr=0.1)
    for _ in range(500):
        _step(net, opt)
    tracemalloc.start()                                   # also counts numpy's data buffers
    try:
        _step(net, opt)
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(5_000):
            _step(net, opt)
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A step's graph is a few kB; keeping each one alive would add ≥ 5,000 × 1 kB.
    assert end - start < 100_000, f"memory grew by {end - start} bytes over 5,000 steps"
    assert peak - start < 1_000_000, f"peak {peak - start} bytes above the start"


def test_each_steps_graph_is_freed_by_the_next_step_without_gc(no_gc):
    net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0)
    opt = SGD(net.parameters(), lr=0.1)
    loss = _step(net, opt)
    hidden = weakref.ref(net.nodes["z1"])
    del loss
    _step(net, opt)                                       # replaces net.nodes
    assert hidden() is None


@pytest.mark.parametrize("make", [lambda: Value(0.5), lambda: Value(np.linspace(-1, 1, 6))],
                         ids=["scalar", "tensor"])
def test_a_dropped_graph_is_freed_without_the_garbage_collector(no_gc, make):
    x = make()
    h = (x * 2.0 + 1.0).tanh()
    y = (h * h + h.exp()).sum() if not x.is_scalar else h * h + h.exp()
    y.backward()
    inner, out = weakref.ref(h), weakref.ref(y)
    del h, y
    assert inner() is None and out() is None
    assert x.grad is not None                             # the leaf lives on, with its gradient


def test_a_graph_built_in_anomaly_mode_is_freed_without_the_garbage_collector(no_gc):
    # The creation sites are stored as (file, line) tuples, never as frames (which would keep
    # every local variable of the caller, and the graph, alive).
    x = Value(np.ones(3))
    with detect_anomaly():
        h = (x * 3.0).log()
        y = h.sum()
        y.backward()
    inner = weakref.ref(h)
    del h, y
    assert inner() is None


# --- create_graph=True: the one documented cycle (docs/higher-order.md), and how it is broken ---

def _second_order_pass(reset: bool):
    """A leaf after backward(create_graph=True) and one more backward; weak refs to x and x.grad."""
    x = Value(np.array([0.5, -1.0]))
    y = (x * x * x).sum()
    y.backward(create_graph=True)
    g = x.grad
    refs = (weakref.ref(x), weakref.ref(g))
    if reset:
        x.grad = None
    del x, y, g
    return refs


def test_after_create_graph_a_leaf_and_its_grad_refer_to_each_other_until_collected(no_gc):
    refs = _second_order_pass(reset=False)
    assert all(r() is not None for r in refs)      # the cycle x → x.grad → … → x, as documented
    gc.collect()
    assert all(r() is None for r in refs)


def test_resetting_grad_after_create_graph_frees_the_leaf_and_its_grad_without_gc(no_gc):
    refs = _second_order_pass(reset=True)
    assert all(r() is None for r in refs)


def test_zero_grad_after_create_graph_frees_the_graph_without_gc(no_gc):
    x = Value(0.5)
    y = x.tanh() * x
    y.backward(create_graph=True)
    refs = (weakref.ref(x), weakref.ref(x.grad))
    y.zero_grad()
    del x, y
    assert all(r() is None for r in refs)


def test_second_derivatives_by_the_functional_api_leave_no_cycle(no_gc):
    from microgradnn import grad, gradients
    assert grad(grad(lambda x: x ** 3))(2.0) == 12.0
    x = Value(np.array([1.0, 2.0]))
    (g,) = gradients((x ** 3).sum(), [x], create_graph=True)
    refs = (weakref.ref(x), weakref.ref(g))
    del x, g
    assert all(r() is None for r in refs)
