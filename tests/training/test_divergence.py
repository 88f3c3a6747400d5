"""Divergence is never silent, whichever way a run diverges.

The loss and the gradients can stay finite while the step itself overflows a weight (a huge
learning rate times a finite gradient, or Adam's momentum carrying a dead ReLU's weight on).
fit must stop at that step, name the epoch and the batch, suggest a smaller learning rate, and
leave the weights and the optimizer state exactly as they were before it — checked against a
spy that records what the optimizer's own updates produced.
"""
import numpy as np
import pytest

from microgradnn import datasets
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam
from microgradnn.training import fit


def _recording(base):
    class Recording(base):
        """The optimizer's own step, with a copy of the weights and state before each one."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.before = []

        def step(self):
            self.before.append(([p.data.copy() for p in self.params], self.state_dict()))
            super().step()
    return Recording


def _assert_restored(net, opt):
    weights, state = opt.before[-1]          # before the step that failed
    assert all(np.array_equal(p.data, w) for p, w in zip(net.parameters(), weights))
    now = opt.state_dict()
    assert now["steps"] == state["steps"]
    assert all(np.array_equal(now[k], v) for k, v in state.items() if isinstance(v, np.ndarray))


def test_a_step_that_overflows_a_weight_stops_fit_and_is_undone():
    # C = ½(w·2 + b)² = 2 at w=1, b=0; ∂C/∂w = 4 and ∂C/∂b = 2 are finite, but
    # w − 1e308 · 4 = −inf: the loss and the gradient checks cannot see it, the step can.
    net = MLP([1, 1], ["linear"], seed=0)
    net.weights[0].data[...] = 1.0
    net.biases[0].data[...] = 0.0
    opt = _recording(SGD)(net.parameters(), lr=1e308, momentum=0.5)
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 1 of 1: the step makes W1 "
                                                 r"non-finite.*smaller learning rate"), \
            np.errstate(over="ignore", invalid="ignore"):
        fit(net, np.array([[2.0]]), np.array([0.0]), optimizer=opt, progress=False)
    _assert_restored(net, opt)
    assert net.weights[0].data[0, 0] == 1.0 and net.biases[0].data[0] == 0.0


def test_adam_carrying_a_dead_relu_weight_to_infinity_is_stopped_and_undone():
    x, y = datasets.moons(n=64, noise=0.1, seed=0)
    net = MLP([2, 8, 1], ["relu", "linear"], seed=0)
    opt = _recording(Adam)(net.parameters(), lr=1e308)
    with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+ of 2: .*smaller learning "
                                                 r"rate \(lr=1e\+308 now\)"), \
            np.errstate(over="ignore", invalid="ignore"):
        fit(net, x, y, loss="quadratic", optimizer=opt, epochs=3, progress=False)
    assert all(np.isfinite(p.data).all() for p in net.parameters())
    _assert_restored(net, opt)


def test_a_non_finite_validation_loss_stops_fit_and_names_the_epoch():
    # One step with lr=1e300 leaves finite but huge weights; the held-out loss overflows.
    x, y = datasets.moons(n=64, noise=0.1, seed=0)
    net = MLP([2, 8, 1], ["tanh", "linear"], seed=0)
    with pytest.raises(FloatingPointError, match=r"after epoch 1 the test loss is (inf|nan).*"
                                                 r"smaller learning rate"), \
            np.errstate(all="ignore"):
        fit(net, x * 10, y * 10, optimizer="sgd", lr=1e300, epochs=1, batch_size=64,
            validation_data=(x, y), validation_name="test", progress=False)


def test_a_step_that_overflows_adams_second_moment_is_stopped_and_undone():
    # C = ½(w·1e100)² = 5e199 and ∂C/∂w = 1e200 are finite, but g² = 1e400 overflows Adam's
    # v to inf: the weight would not move (m / √inf = 0), now or ever — a silent stall.
    net = MLP([1, 1], ["linear"], seed=0)
    net.weights[0].data[...] = 1.0
    net.biases[0].data[...] = 0.0
    opt = _recording(Adam)(net.parameters(), lr=0.01)
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 1 of 1: the step makes the "
                                                 r"optimizer's state v.0 non-finite"), \
            np.errstate(over="ignore", invalid="ignore"):
        fit(net, np.array([[1e100]]), np.array([0.0]), optimizer=opt, progress=False)
    _assert_restored(net, opt)
    assert all(np.isfinite(a).all() for slot in opt.state.values() for a in slot)


@pytest.mark.parametrize("optimizer, kwargs, lr", [
    (SGD, {}, 1e306), (SGD, {"momentum": 0.9}, 1e305), (Adam, {}, 1e300), (Adam, {}, 1e-2)],
    ids=["sgd", "sgd momentum", "adam diverging", "adam finite"])
def test_plain_optimizers_end_exactly_where_a_step_by_step_recording_does(optimizer, kwargs, lr):
    # fit proves most steps safe from bounds instead of copying the weights; whichever way it
    # goes, a run ends with the same weights, state and error as the recorded, copied one.
    x, y = datasets.moons(n=64, noise=0.1, seed=0)
    ends = []
    for kind in (optimizer, _recording(optimizer)):
        net = MLP([2, 8, 1], ["relu", "linear"], seed=0)
        opt = kind(net.parameters(), lr=lr, **kwargs)
        try:
            with np.errstate(all="ignore"):
                fit(net, x * 30, y * 30, optimizer=opt, epochs=4, progress=False)
            error = None
        except FloatingPointError as e:
            error = str(e)
        ends.append((error, [p.data.copy() for p in net.parameters()], opt.state_dict()))
    (e1, w1, s1), (e2, w2, s2) = ends
    assert e1 == e2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert s1.keys() == s2.keys() and all(np.array_equal(s1[k], s2[k]) for k in s1)
    assert all(np.isfinite(w).all() for w in w1)
