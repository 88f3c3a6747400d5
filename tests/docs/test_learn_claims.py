"""The Learn pages state facts about other engines and about training; each is held here.

(The pages' own code blocks run in tests/docs/test_pages.py; these are the claims made in prose.)
"""
import random

import numpy as np
import pytest

from microgradnn import Value


def _squared_neuron(V):
    """o = (x1·w1 + b)²: an intermediate node (x1·w1 + b) used twice, as on docs/autodiff.md."""
    x1, w1, b = V(2.0), V(-3.0), V(7.0)
    n = x1 * w1 + b
    return n * n, w1


def test_a_second_backward_adds_exactly_one_more_copy():
    o, w1 = _squared_neuron(Value)
    o.backward()
    once = w1.grad
    o.backward()
    assert once == 2 * 1.0 * 2.0 and w1.grad == 2 * once      # do/dw1 = 2n·x1 = 4


def test_pytorch_refuses_a_second_backward_unless_the_graph_is_retained():
    torch = pytest.importorskip("torch")
    T = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)
    o, _ = _squared_neuron(T)
    o.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        o.backward()
    o, w1 = _squared_neuron(T)
    o.backward(retain_graph=True)
    once = w1.grad.item()
    o.backward()
    assert w1.grad.item() == 2 * once


def test_micrograd_resends_stale_intermediate_gradients_on_a_second_backward():
    engine = pytest.importorskip("micrograd.engine")
    o, w1 = _squared_neuron(engine.Value)
    o.backward()
    once = w1.grad
    o.backward()
    assert w1.grad == 4 * once


def _toy_network_losses(lr, steps=30):
    """The scalar network of docs/neuron-to-network.md, trained with learning rate lr."""
    random.seed(0)

    def neuron(n):
        return [Value(random.uniform(-1, 1)) for _ in range(n)], Value(0.0)

    layers = [[neuron(3) for _ in range(4)], [neuron(4)]]
    params = [p for layer in layers for w, b in layer for p in w + [b]]

    def forward(x):
        for layer in layers:
            x = [sum((wi * xi for wi, xi in zip(w, x)), b).tanh() for w, b in layer]
        return x[0]

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(steps):
        loss = sum(((forward(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


def test_a_small_learning_rate_lowers_the_loss_at_every_step():
    losses = _toy_network_losses(0.05)
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_a_learning_rate_of_one_overshoots_and_saturates():
    losses = _toy_network_losses(1.0)
    assert round(losses[0], 1) == 6.6 and round(losses[1], 1) == 8.0     # the first step goes up
    assert min(losses[1:20]) > 7.9                                       # and learning stalls


def test_central_differences_on_the_digits_network_need_two_forward_passes_per_parameter():
    from microgradnn import MLP
    net = MLP([64, 64, 10], ["tanh", "softmax"], seed=0)
    assert sum(p.size for p in net.parameters()) == 4810


def test_sigmoid_rounds_to_one_above_37_but_to_zero_only_below_minus_745():
    from microgradnn.core.numeric import sigmoid
    assert sigmoid(np.array([36.0]))[0] < 1.0 or sigmoid(36.0) < 1.0
    assert sigmoid(37.0) == 1.0 and sigmoid(np.array([38.0]))[0] == 1.0
    assert sigmoid(-744.0) > 0.0 and sigmoid(np.array([-745.0]))[0] > 0.0
    assert sigmoid(-746.0) == 0.0 and sigmoid(np.array([-746.0]))[0] == 0.0
