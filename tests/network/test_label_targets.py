"""Integer class labels given to the quadratic loss: the message says what they need."""
import numpy as np
import pytest

from microgradnn import MLP
from microgradnn.losses import network_loss, one_hot, quadratic
from microgradnn.training import fit

X = np.ones((10, 2))
LABELS = np.arange(10) % 3
NEEDS = r"these look like integer class labels \(0\.\.2\), which need loss='cross_entropy'"


def test_fit_with_labels_and_the_quadratic_loss_says_they_need_cross_entropy_or_one_hot():
    net = MLP([2, 3, 3], ["tanh", "softmax"])
    with pytest.raises(ValueError, match=r"fit: y must have shape \(10, 3\) for 3 outputs, got "
                                         r"\(10,\): " + NEEDS + r".*one_hot\(y, 3\)"):
        fit(net, X, LABELS, loss="quadratic", epochs=1, progress=False)


def test_the_quadratic_loss_given_labels_says_they_need_cross_entropy_or_one_hot():
    net = MLP([2, 3, 3], ["tanh", "sigmoid"])
    net(X)
    with pytest.raises(ValueError, match=r"quadratic: the targets have shape \(10,\), the output "
                                         r"has shape \(10, 3\): " + NEEDS):
        network_loss(net, LABELS, "quadratic")


def test_one_hot_rows_are_what_the_message_suggests_and_they_work():
    net = MLP([2, 3, 3], ["tanh", "sigmoid"])
    out = net(X)
    assert np.isfinite(quadratic(out, one_hot(LABELS, 3)).data)


@pytest.mark.parametrize("y", [np.linspace(0, 1, 10), np.arange(10) + 5, np.arange(10)[::-1] * 1.5])
def test_targets_that_are_not_labels_get_no_label_hint(y):
    net = MLP([2, 3, 3], ["tanh", "sigmoid"])
    net(X)
    with pytest.raises(ValueError) as info:
        network_loss(net, y, "quadratic")
    assert "class labels" not in str(info.value)
