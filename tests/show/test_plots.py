"""The training plots: what the legends and the axes say."""
import numpy as np
import pytest

from microgradnn.training import History

pytest.importorskip("matplotlib")
from microgradnn.plots import decision_boundary, loss_curve, loss_figure  # noqa: E402


def _history(epochs=7, name="test"):
    h = History(name)
    h.loss = list(np.linspace(1.0, 0.1, epochs))
    h.accuracy = list(np.linspace(0.5, 0.9, epochs))
    h.val_loss = list(np.linspace(1.1, 0.2, epochs))
    h.val_accuracy = list(np.linspace(0.4, 0.8, epochs))
    return h


def _legends(fig):
    return [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes]


def test_the_legends_call_the_held_out_data_what_the_history_calls_it():
    assert _legends(loss_figure(_history(name="test"))) == [["train (running mean)", "test"]] * 2
    assert _legends(loss_figure(_history(name="validation")))[0][1] == "validation"
    assert _legends(loss_figure(_history(), validation_name="held out"))[1][1] == "held out"


@pytest.mark.parametrize("epochs", [2, 3, 7, 250])
def test_epoch_ticks_are_whole_numbers(epochs):
    for ax in loss_figure(_history(epochs)).axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_the_plots_are_png_files(tmp_path):
    from microgradnn.nn import MLP
    assert loss_curve(_history(), tmp_path / "a" / "loss.png").read_bytes()[:4] == b"\x89PNG"
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = (x[:, 0] > 0).astype(int)
    path = decision_boundary(MLP([2, 3, 1], ["tanh", "sigmoid"]), x, y, tmp_path / "b.png",
                             resolution=20)
    assert path.read_bytes()[:4] == b"\x89PNG"
