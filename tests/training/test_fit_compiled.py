"""fit(..., compile=True) trains as fit does with backward(): the same weights, loss and
accuracy, for every loss, with a smaller last batch (a second compiled shape)."""
import numpy as np
import pytest

from microgradnn.nn import MLP
from microgradnn.training import fit


@pytest.mark.parametrize("activations, loss, classes", [
    (["tanh", "sigmoid"], "quadratic", 1),
    (["relu", "sigmoid"], "bce", 1),
    (["relu", "softmax"], "cross_entropy", 3),
])
def test_a_compiled_fit_ends_with_the_weights_of_an_autodiff_fit(activations, loss, classes):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 2))                          # 50 = 3 batches of 16 and one of 2
    y = rng.integers(0, 2 if classes == 1 else classes, 50).astype(float)
    runs = []
    for compiled in (False, True):
        net = MLP([2, 6, classes], activations, seed=0)
        history = fit(net, x, y, loss=loss, optimizer="adam", lr=0.01, epochs=5, batch_size=16,
                      progress=False, compile=compiled)
        runs.append((net, history))
    (net_a, hist_a), (net_c, hist_c) = runs
    for p, q in zip(net_a.parameters(), net_c.parameters()):
        assert np.max(np.abs(p.data - q.data)) <= 1e-10
    assert np.allclose(hist_a.loss, hist_c.loss, rtol=0, atol=1e-12)
    assert hist_a.accuracy == hist_c.accuracy
