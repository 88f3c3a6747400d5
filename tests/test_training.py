"""fit / predict: training learns, mini-batches and shuffling behave, bad data is refused early."""
import builtins
import sys

import numpy as np
import pytest

from microgradnn import datasets
from microgradnn.nn import MLP
from microgradnn.optim import SGD
from microgradnn.training import History, accuracy, evaluate, fit, predict, predict_proba


def test_xor_is_solved():
    x, y = datasets.xor(n=4, noise=0.0)
    net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0, init="xavier")
    fit(net, x, y, loss="bce", optimizer="adam", lr=0.05, epochs=300, batch_size=4, progress=False)
    np.testing.assert_array_equal(predict(net, x), y)


def test_two_moons_reach_97_percent_on_held_out_points():
    x, y = datasets.moons(n=200, noise=0.1, seed=0)
    x_test, y_test = datasets.moons(n=200, noise=0.1, seed=1)
    net = MLP([2, 16, 16, 1], ["tanh", "tanh", "sigmoid"], seed=0, init="xavier")
    history = fit(net, x, y, loss="bce", optimizer="adam", lr=0.02, epochs=150, batch_size=32,
                  progress=False, validation_data=(x_test, y_test))
    assert accuracy(net, x_test, y_test) >= 0.97
    assert history.val_accuracy[-1] == pytest.approx(accuracy(net, x_test, y_test))


def test_spirals_are_separated_with_softmax_cross_entropy():
    x, y = datasets.spirals(n=300, noise=0.05, seed=0)
    net = MLP([2, 32, 32, 3], ["tanh", "tanh", "softmax"], seed=0, init="xavier")
    fit(net, x, y, loss="cross_entropy", optimizer="adam", lr=0.02, epochs=150, batch_size=32,
        progress=False)
    assert accuracy(net, x, y) >= 0.95


def test_regression_target_is_fitted():
    x = np.linspace(-2, 2, 100).reshape(-1, 1)
    y = np.sin(2 * x)
    net = MLP([1, 16, 1], ["tanh", "linear"], seed=0, init="xavier")
    history = fit(net, x, y, optimizer="adam", lr=0.02, epochs=300, batch_size=20, progress=False)
    assert history.loss[-1] < 0.005 and history.accuracy == []
    assert np.abs(predict_proba(net, x) - y).max() < 0.15


def test_history_has_one_entry_per_epoch_and_prints():
    x, y = datasets.moons(n=40, seed=0)
    net = MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    h = fit(net, x, y, loss="bce", epochs=3, batch_size=16, progress=False)
    assert isinstance(h, History) and len(h.loss) == len(h.accuracy) == 3
    assert h.val_loss == [] and "epoch 3: loss" in str(h)


def test_recorded_loss_is_the_batch_weighted_mean_with_the_last_partial_batch():
    x, y = datasets.moons(n=10, seed=0)
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    # lr tiny: the weights barely move, so the epoch loss ≈ the loss over all 10 examples
    h = fit(net, x, y, loss="bce", optimizer=SGD(net.parameters(), lr=1e-12), epochs=1,
            batch_size=4, shuffle=False, progress=False)
    assert h.loss[0] == pytest.approx(evaluate(net, x, y, loss="bce")[0], rel=1e-9)


def test_same_seed_same_result_and_shuffle_changes_it():
    x, y = datasets.moons(n=50, seed=0)

    def train(**kw):
        net = MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0)
        fit(net, x, y, loss="bce", epochs=2, batch_size=8, progress=False, **kw)
        return net.weights[0].data

    np.testing.assert_array_equal(train(seed=1), train(seed=1))
    assert not np.array_equal(train(seed=1), train(seed=2))
    np.testing.assert_array_equal(train(shuffle=False, seed=1), train(shuffle=False, seed=2))


def test_progress_without_tqdm_prints_one_line_per_epoch(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "tqdm.auto", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    x, y = datasets.xor(n=8)
    fit(MLP([2, 2, 1], ["tanh", "sigmoid"]), x, y, loss="bce", epochs=3, batch_size=4)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]


def test_progress_false_is_silent(capsys):
    x, y = datasets.xor(n=8)
    fit(MLP([2, 2, 1], ["tanh", "sigmoid"]), x, y, loss="bce", epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("x, y, kwargs, match", [
    (np.ones((5, 3)), np.zeros(5), {}, r"shape \(n, 2\)"),
    (np.ones((5, 2)), np.zeros(4), {}, "5 examples but y has 4"),
    (np.array([[0.0, np.nan]] * 3), np.zeros(3), {}, "NaN or inf"),
    (np.ones((3, 2)), np.array([0.0, np.inf, 0.0]), {}, "y contains NaN or inf"),
    (np.ones((3, 2)), np.array([0, 1, 3]), {"loss": "cross_entropy"}, r"0\.\.2"),
    (np.ones((3, 2)), np.zeros(3), {"batch_size": 0}, "batch_size must be a positive integer"),
    (np.ones((3, 2)), np.zeros(3), {"epochs": -1}, "epochs must be a positive integer"),
    (np.ones((3, 2)), np.zeros(3), {"lr": 0.0}, "lr must be a positive"),
    (np.ones((3, 2)), np.zeros(3), {"loss": "hinge"}, "known: quadratic, bce, cross_entropy"),
    (np.ones((3, 2)), np.zeros(3), {"optimizer": "rmsprop"}, "known: sgd, adam"),
])
def test_bad_data_and_settings_are_refused_before_training(x, y, kwargs, match):
    out = 3 if kwargs.get("loss") == "cross_entropy" else 1
    net = MLP([2, 3, out], ["tanh", "softmax" if out == 3 else "linear"], seed=0)
    before = [p.data.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=match):
        fit(net, x, y, progress=False, **kwargs)
    assert all(np.array_equal(b, p.data) for b, p in zip(before, net.parameters()))


def test_bce_needs_a_sigmoid_output():
    x, y = datasets.xor(n=8)
    with pytest.raises(ValueError, match="needs a sigmoid output"):
        fit(MLP([2, 2, 1], ["tanh", "tanh"]), x, y, loss="bce", progress=False)


def test_predict_returns_labels_for_one_or_several_outputs():
    x = np.random.default_rng(0).standard_normal((6, 2))
    one = MLP([2, 1], ["sigmoid"], seed=0)
    several = MLP([2, 3], ["softmax"], seed=0)
    np.testing.assert_array_equal(predict(one, x), (predict_proba(one, x)[:, 0] >= 0.5).astype(int))
    np.testing.assert_array_equal(predict(several, x), predict_proba(several, x).argmax(axis=1))
