"""fit compiles its step by default, and a compiled fit trains as fit with backward() does: the
same weights, loss and accuracy to the last bit, for every loss and hidden activation, with a
smaller last batch (a second compiled shape)."""
import inspect

import numpy as np
import pytest

from microgradnn.anomaly import detect_anomaly
from microgradnn.nn import MLP
from microgradnn.training import fit, loop

OUTPUTS = [("quadratic", "sigmoid", 1), ("quadratic", "linear", 2), ("bce", "sigmoid", 1),
           ("cross_entropy", "softmax", 3)]


def _data(loss, classes):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 2))                          # 50 = 3 batches of 16 and one of 2
    if loss == "quadratic":
        return x, rng.random((50, classes))
    return x, rng.integers(0, 2 if classes == 1 else classes, 50).astype(float)


def _train(activations, loss, classes, **kwargs):
    x, y = _data(loss, classes)
    net = MLP([2, 6, 5, classes], activations, seed=0)
    history = fit(net, x, y, loss=loss, optimizer="adam", lr=0.01, epochs=5, batch_size=16,
                  progress=False, **kwargs)
    return net, history


@pytest.mark.parametrize("loss, output, classes", OUTPUTS)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "linear"])
def test_a_compiled_fit_ends_with_the_very_weights_of_an_autodiff_fit(hidden, loss, output,
                                                                      classes):
    activations = [hidden, hidden, output]
    net_a, hist_a = _train(activations, loss, classes, compile=False)
    net_c, hist_c = _train(activations, loss, classes, compile=True)
    for p, q in zip(net_a.parameters(), net_c.parameters()):
        assert np.array_equal(p.data, q.data)
    assert hist_a.loss == hist_c.loss
    assert hist_a.accuracy == hist_c.accuracy


def test_fit_compiles_by_default():
    assert inspect.signature(fit).parameters["compile"].default is True


def test_fit_under_detect_anomaly_walks_the_recorded_graph_and_trains_the_same(monkeypatch):
    def refuse(*args):
        raise AssertionError("fit compiled its step under detect_anomaly()")
    with monkeypatch.context() as m, detect_anomaly():
        m.setattr(loop, "_CompiledSteps", refuse)
        net_a, _ = _train(["relu", "relu", "softmax"], "cross_entropy", 3)
    net_c, _ = _train(["relu", "relu", "softmax"], "cross_entropy", 3)
    for p, q in zip(net_a.parameters(), net_c.parameters()):
        assert np.array_equal(p.data, q.data)
