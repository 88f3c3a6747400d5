"""fit / predict: training learns, mini-batches and shuffling behave, bad data is refused early."""
import builtins
import re
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


# --- divergence is never silent ---

class _RecordingSGD(SGD):
    """Plain SGD that keeps a copy of the weights after every step it takes (a spy: the
    updates are SGD's own)."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.after = []

    def step(self):
        super().step()
        self.after.append([p.data.copy() for p in self.params])


def test_a_diverging_fit_stops_at_the_first_non_finite_loss_and_keeps_the_last_good_weights():
    x, y = datasets.moons(n=100, seed=0)
    net = MLP([2, 16, 1], ["relu", "linear"], seed=0)
    opt = _RecordingSGD(net.parameters(), lr=1e10)
    with pytest.raises(FloatingPointError, match=r"epoch (\d+), batch (\d+) of 4: the loss is "
                                                  r"(inf|nan).*smaller learning rate") as caught, \
            np.errstate(over="ignore", invalid="ignore"):
        fit(net, x * 10, y * 10, optimizer=opt, epochs=50, progress=False)
    epoch, batch = (int(v) for v in re.search(r"epoch (\d+), batch (\d+)",
                                              str(caught.value)).groups())
    assert len(opt.after) == (epoch - 1) * 4 + batch - 1     # the failing step was not taken
    weights = [p.data for p in net.parameters()]
    assert all(np.isfinite(w).all() for w in weights)
    assert all(np.array_equal(w, last) for w, last in zip(weights, opt.after[-1]))


def test_the_issues_repro_raises_instead_of_returning_nan_weights():
    x, y = datasets.moons(n=100, seed=0)
    net = MLP([2, 16, 16, 1], ["relu", "relu", "linear"], seed=0)
    with pytest.raises(FloatingPointError, match="Try a smaller learning rate"), \
            np.errstate(over="ignore", invalid="ignore"):
        fit(net, x * 10, y * 10, optimizer="sgd", lr=1e10, progress=False)
    assert all(np.isfinite(p.data).all() for p in net.parameters())


def test_a_non_finite_gradient_stops_fit_before_the_step_with_weights_and_state_unchanged():
    # loss ½(wx − y)² is finite (5e19), but ∂C/∂w = (wx − y)·x = 1e10 · 1e300 overflows.
    net = MLP([1, 1], ["linear"], seed=0)
    net.weights[0].data[...] = 1e-300
    net.biases[0].data[...] = 0.0
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    before, state = [p.data.copy() for p in net.parameters()], opt.state_dict()
    with pytest.raises(FloatingPointError, match="epoch 1, batch 1 of 1: the gradient of W1 is "
                                                 "not finite"), \
            np.errstate(over="ignore", invalid="ignore"):
        fit(net, np.array([[1e300]]), np.array([-1e10]), optimizer=opt, progress=False)
    assert all(np.array_equal(p.data, b) for p, b in zip(net.parameters(), before))
    assert opt.steps == state["steps"] and np.array_equal(opt.state_dict()["velocity.0"],
                                                          state["velocity.0"])


def test_the_divergence_check_does_not_stop_a_finite_run():
    x, y = datasets.moons(n=60, seed=0)
    net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0)
    h = fit(net, x, y, loss="bce", optimizer="adam", lr=0.05, epochs=5, progress=False)
    assert len(h) == 5 and all(np.isfinite(h.loss))


# --- settings and messages ---

def test_a_numpy_learning_rate_is_accepted_like_the_optimizers_accept_it():
    x, y = datasets.xor(n=8)
    nets = [MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0) for _ in range(2)]
    fit(nets[0], x, y, loss="bce", lr=np.float32(0.1), epochs=3, progress=False)
    fit(nets[1], x, y, loss="bce", lr=float(np.float32(0.1)), epochs=3, progress=False)
    assert all(np.array_equal(a.data, b.data)
               for a, b in zip(nets[0].parameters(), nets[1].parameters()))


def test_a_fractional_label_is_named_with_its_position():
    net = MLP([2, 3, 3], ["tanh", "softmax"], seed=0)
    with pytest.raises(ValueError, match=r"labels must be integers in 0..2 for 3 output classes, "
                                         r"got 1.5 at index 2"):
        fit(net, np.ones((4, 2)), [0, 2, 1.5, 1], loss="cross_entropy", progress=False)


def test_printed_lines_call_the_training_numbers_running_means_and_name_the_held_out_data():
    x, y = datasets.moons(n=40, seed=0)
    net = MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    h = fit(net, x, y, loss="bce", epochs=2, progress=False, validation_data=(x, y),
            validation_name="test")
    assert h.line(1) == (f"epoch 2: loss {h.loss[1]:.4f}  accuracy {h.accuracy[1]:.4f} "
                         f"(running means)  test loss {h.val_loss[1]:.4f}  test accuracy "
                         f"{h.val_accuracy[1]:.4f}")
    assert set(h.as_dict()) == {"loss", "accuracy", "val_loss", "val_accuracy"}
