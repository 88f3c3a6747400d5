"""The cross-check: autodiff agrees with BP1–BP4 everywhere, and points at a wrong equation."""
import warnings

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import Value
from microgradnn.backprop import NeuralNetwork, activation, activation_derivative, softmax_vjp
from microgradnn.check import Comparison, CrossCheckReport, crosscheck, crosscheck_gradients
from microgradnn.losses import quadratic
from microgradnn.nn import MLP
from microgradnn.optim import SGD

from helpers import closed_form_case

HIDDEN = ["sigmoid", "tanh", "relu", "linear"]
OUTPUT_FOR = {"quadratic": HIDDEN + ["softmax"], "bce": ["sigmoid"], "cross_entropy": ["softmax"]}


def _targets(loss, batch, out, r):
    if loss == "quadratic":
        return r.standard_normal((batch, out))
    if loss == "bce":
        return (r.random((batch, out)) > 0.5).astype(float)
    return r.integers(0, out, batch)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), loss=st.sampled_from(["quadratic", "bce", "cross_entropy"]),
       sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5), batch=st.integers(1, 9),
       seed=st.integers(0, 10_000))
def test_autodiff_agrees_with_bp1_to_bp4(data, loss, sizes, batch, seed):
    if loss == "cross_entropy" and sizes[-1] < 2:
        sizes[-1] = 2
    acts = [data.draw(st.sampled_from(HIDDEN)) for _ in sizes[:-2]]
    acts.append(data.draw(st.sampled_from(OUTPUT_FOR[loss])))
    net = MLP(sizes, acts, seed=seed, init=data.draw(st.sampled_from(["normal", "xavier", "he"])))
    r = np.random.default_rng(seed)
    report = crosscheck(net, r.standard_normal((batch, sizes[0])), _targets(loss, batch, sizes[-1], r),
                        loss=loss)
    assert report.ok, report
    assert report.first_failure is None
    assert len(report.rows) == 3 * (len(sizes) - 1)


def test_report_table_names_every_equation_and_layer():
    net = MLP([2, 3, 3, 1], ["tanh", "relu", "sigmoid"], seed=0)
    text = str(crosscheck(net, np.ones((4, 2)), np.zeros((4, 1))))
    for eq in ("BP1", "BP2", "BP3", "BP4"):
        assert eq in text
    assert "OK" in text and "δ3" in text and "∂C/∂W1" in text


def test_crosscheck_leaves_gradients_untouched():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    crosscheck(net, np.ones((2, 2)), np.zeros((2, 1)))
    assert all(p._grad is None for p in net.parameters())


def _hand_backprop(weights, biases, activations, x, y, wrong_layer=None):
    """A learner's own BP1–BP4 in column layout, quadratic cost, optionally with a wrong σ′
    (σ instead of σ(1 − σ)) in one layer (1-based)."""
    a, a_s, z_s = x, [x], []
    for w, b, name in zip(weights, biases, activations):
        z = w @ a + b[:, None]
        a = activation(name)(z)
        z_s.append(z)
        a_s.append(a)

    def sigma_prime(l):
        name = activations[l - 1]
        if l == wrong_layer:
            return activation(name)(z_s[l - 1])            # the mistake: σ, not σ′
        return activation_derivative(name)(z_s[l - 1])

    L, n = len(weights), x.shape[1]
    deltas = [None] * L
    deltas[-1] = (a_s[-1] - y) / n * sigma_prime(L)
    for l in range(L - 1, 0, -1):
        deltas[l - 1] = (weights[l].T @ deltas[l]) * sigma_prime(l)
    return ([d @ a_s[i].T for i, d in enumerate(deltas)],
            [d.sum(axis=1, keepdims=True) for d in deltas], deltas)


def _setup():
    net = MLP([3, 4, 4, 2], ["sigmoid", "sigmoid", "sigmoid"], seed=3)
    r = np.random.default_rng(1)
    x, y = r.standard_normal((5, 3)), r.random((5, 2))
    W = [w.data for w in net.weights]
    B = [b.data for b in net.biases]
    return net, x, y, W, B


def test_correct_hand_written_gradients_pass():
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, dw, db, deltas=deltas)
    assert report.ok, report


@pytest.mark.parametrize("wrong_layer, equation", [(1, "BP2"), (2, "BP2"), (3, "BP1")])
def test_wrong_sigma_prime_is_located_by_layer_and_equation(wrong_layer, equation):
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T, wrong_layer)
    report = crosscheck_gradients(net, x, y, dw, db, deltas=deltas)
    assert not report.ok
    assert report.first_failure == (wrong_layer, equation)
    assert "MISMATCH" in str(report) and f"layer {wrong_layer}, {equation}" in str(report)
    # the layers above the mistake are still right
    assert all(r.ok for r in report.rows if r.layer > wrong_layer)


@pytest.mark.parametrize("wrong_layer, equation", [(1, "BP2"), (2, "BP2"), (3, "BP1")])
def test_without_deltas_a_wrong_delta_is_named_by_the_equation_that_makes_it(wrong_layer, equation):
    """∂C/∂b and ∂C/∂W of the layer are both wrong in the way a σ for σ′ makes δ wrong: the δ
    equation is named, with the slip."""
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T, wrong_layer=wrong_layer)
    report = crosscheck_gradients(net, x, y, dw, db)
    assert report.first_failure == (wrong_layer, equation)
    assert f"FAILED at layer {wrong_layer}, {equation} (σ(z) for σ′(z))" in str(report)


def test_without_deltas_a_wrong_bias_gradient_alone_is_bp3():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    db[1] = db[1] * 0.0 + 1.0                  # layer 2's BP3 slip; its δ and BP4 are right
    assert crosscheck_gradients(net, x, y, dw, db).first_failure == (2, "BP3")


def test_without_deltas_a_wrong_weight_gradient_alone_is_bp4():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    dw[1] = dw[1].T.copy().reshape(dw[1].shape) + 0.1      # layer 2's BP4 slip
    assert crosscheck_gradients(net, x, y, dw, db).first_failure == (2, "BP4")


def test_seed_article_sign_is_flagged():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, [-g for g in dw], [-g for g in db])
    assert report.first_failure == (3, "BP1") and "minus the gradient" in str(report)


@pytest.mark.parametrize("factor, words", [
    (-1.0, "minus the gradient"),
    (5.0, "5× the gradient: per-example"),
    (-5.0, "−5× the gradient: minus the gradient, and per-example"),
    (1 / 5, "1/5× the gradient: divided by the batch size 5 once too often"),
    (-1 / 5, "−1/5× the gradient: minus the gradient, and divided by the batch size 5"),
    (2.0, "2× the gradient: a constant factor"),
    (0.5, "1/2× the gradient: a constant factor"),
    (-3.0, "−3× the gradient: a constant factor"),
    (1.7, "1.7× the gradient: a constant factor"),
])
def test_a_constant_factor_between_given_and_true_gradients_is_named(factor, words):
    net, x, y, W, B = _setup()                 # batch of 5
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, [g * factor for g in dw], [g * factor for g in db])
    assert not report.ok
    assert all(words in r.note for r in report.rows), report


def test_an_error_that_is_no_constant_factor_gets_no_factor_note():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T, wrong_layer=3)
    report = crosscheck_gradients(net, x, y, dw, db)
    assert not report.ok and "× the gradient" not in str(report)


def test_per_example_deltas_are_accepted_when_declared():
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T)
    per_example = [d * x.shape[0] for d in deltas]
    assert "per-example" in str(crosscheck_gradients(net, x, y, dw, db, deltas=per_example))
    assert crosscheck_gradients(net, x, y, dw, db, deltas=per_example, per_example_deltas=True).ok


def test_rows_layout_is_accepted():
    net, x, y, W, B = _setup()
    dw, db, deltas = _hand_backprop(W, B, net.activations, x.T, y.T)
    report = crosscheck_gradients(net, x, y, dw, [b.ravel() for b in db],
                                  deltas=[d.T for d in deltas], layout="rows")
    assert report.ok, report


def test_wrongly_shaped_user_gradient_names_layer_and_shapes():
    net, x, y, W, B = _setup()
    dw, db, _ = _hand_backprop(W, B, net.activations, x.T, y.T)
    dw[2] = dw[2].T
    with pytest.raises(ValueError, match=r"dw of layer 3 has shape \(4, 2\), expected \(2, 4\)"):
        crosscheck_gradients(net, x, y, dw, db)
    with pytest.raises(ValueError, match=r"layout must be 'columns' or 'rows'"):
        crosscheck_gradients(net, x, y, dw, db, layout="sideways")


def test_wrong_loss_for_output_activation_is_explained():
    net = MLP([2, 2], ["tanh"])
    with pytest.raises(ValueError, match="needs a softmax output"):
        crosscheck(net, np.ones((1, 2)), [0], loss="cross_entropy")


def test_softmax_quadratic_bp1_uses_the_jacobian():
    a = np.array([[0.2], [0.5], [0.3]])
    g = np.array([[1.0], [-2.0], [0.5]])
    J = np.diagflat(a) - a @ a.T                    # ∂aᵢ/∂zⱼ
    np.testing.assert_allclose(softmax_vjp(g, a), J.T @ g)


def test_sgd_trajectories_of_autodiff_and_closed_form_coincide():
    layers, acts = [2, 6, 5, 1], ["tanh", "relu", "sigmoid"]
    net, closed = MLP(layers, acts, seed=7), NeuralNetwork(layers, acts, seed=7)
    r = np.random.default_rng(2)
    x, y = r.standard_normal((8, 2)), r.random((8, 1))
    opt = SGD(net.parameters(), lr=0.5)
    for _ in range(50):
        loss = quadratic(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    closed.train(x.T, y.T, batch_size=8, epochs=50, lr=0.5)
    moved = np.abs(net.weights[0].data - MLP(layers, acts, seed=7).weights[0].data).max()
    assert moved > 1e-2                                   # training actually moved the weights
    for W, w, b, c in zip(net.weights, closed.weights, net.biases, closed.biases):
        np.testing.assert_allclose(W.data, w, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b.data, c.ravel(), rtol=0, atol=1e-10)


# --- the report, word for word; crosscheck_gradients' rows, numbers and inputs ---

def test_a_crosscheck_report_prints_its_header_table_and_verdict_exactly():
    report = CrossCheckReport("your gradients", "autodiff", "quadratic", 3,
                              [Comparison(2, "BP1", "δ2 = ∂C/∂z2", 0.0, 0.0, True),
                               Comparison(2, "BP4", "∂C/∂W2", 0.5, 0.25, False, "a hint")],
                              rtol=1e-6, atol=0.0)
    assert str(report) == (
        "Cross-check of your gradients against autodiff (loss 'quadratic', batch 3, rtol 1e-06, "
        "atol 0): FAILED at layer 2, BP4\n"
        "layer  equation  compares          max abs err  max rel err\n"
        "    2  BP1       δ2 = ∂C/∂z2         0.000e+00    0.000e+00  ok\n"
        "    2  BP4       ∂C/∂W2              5.000e-01    2.500e-01  MISMATCH  (a hint)")
    assert str(CrossCheckReport("c", "r", "bce", 1, [])).endswith("atol 0): OK\n"
                                                                  "layer  equation  compares"
                                                                  "          max abs err  max rel err")


def test_crosscheck_gradients_reports_who_is_checked_and_honours_its_tolerances():
    net, x, y, dw, db, deltas = closed_form_case()
    off = [dw[0], dw[1] * (1 + 1e-3)]
    strict = crosscheck_gradients(net, x, y, off, db, deltas)
    loose = crosscheck_gradients(net, x, y, off, db, deltas, rtol=1e-2)
    assert not strict.ok and loose.ok and (loose.rtol, loose.atol) == (1e-2, 0.0)
    assert crosscheck_gradients(net, x, y, off, db, deltas, atol=1.0).ok
    assert str(strict).startswith("Cross-check of your gradients against autodiff "
                                  "(loss 'quadratic', batch 3")


def test_crosscheck_gradients_takes_the_articles_column_biases_and_deltas():
    net, x, y, dw, db, deltas = closed_form_case()
    assert crosscheck_gradients(net, x, y, dw, db, deltas).ok                    # (out, 1), (out, n)
    assert crosscheck_gradients(net, x, y, dw, [b.ravel() for b in db], deltas).ok   # (out,)
    per_example = [d * 3 for d in deltas]                                        # not divided by n
    assert crosscheck_gradients(net, x, y, dw, db, per_example, per_example_deltas=True).ok
    assert not crosscheck_gradients(net, x, y, dw, db, per_example).ok


@pytest.mark.parametrize("change, words", [
    (lambda dw, db, d: ([dw[0]], db, d), "crosscheck_gradients: dw has 1 entries, the network has 2 layers"),
    (lambda dw, db, d: (dw, db[:1], d), "crosscheck_gradients: db has 1 entries, the network has 2 layers"),
    (lambda dw, db, d: (dw, db, d[:1]), "crosscheck_gradients: deltas has 1 entries, the network has 2 layers"),
    (lambda dw, db, d: ([dw[0], dw[1].T], db, d), "crosscheck_gradients: dw of layer 2 has shape (3, 1), expected (1, 3) (columns layout): it is transposed — BP4 is ∂C/∂W2 = δ2 (a1)ᵀ, one row per neuron of layer 2 (in the rows layout (δ2)ᵀ a1)"),
    (lambda dw, db, d: (dw, [db[0][:2], db[1]], d), "crosscheck_gradients: db of layer 1 has shape (2, 1), expected (3,) (columns layout)"),
    (lambda dw, db, d: (dw, db, [d[0], d[1].T]), "crosscheck_gradients: delta of layer 2 has shape (3, 1), expected (1, 3) (columns layout)"),
])
def test_crosscheck_gradients_names_the_entry_layer_and_shapes_it_cannot_use(change, words):
    net, x, y, dw, db, deltas = closed_form_case()
    with pytest.raises(ValueError) as info:
        crosscheck_gradients(net, x, y, *change(dw, db, deltas))
    assert str(info.value) == words


# crosscheck_gradients' comparison numbers (_compare mutants 16, 17, 21, 23, 25–30): max_abs is
# the largest |yours − autodiff|, max_rel = max_abs / max|autodiff|; a reference of all zeros
# gives max_rel 0 when yours is zero too, else inf; a nan is a failure with max_abs = inf.
def _dw_row(dw, x):
    """The dw row of crosscheck_gradients for a 2-in, 1-out sigmoid network, yours = dw."""
    net = MLP([2, 1], ["sigmoid"], seed=0)
    report = crosscheck_gradients(net, np.array(x), np.array([[0.5]]), [np.array(dw)],
                                  [np.zeros(1)])
    return next(r for r in report.rows if r.quantity.startswith("∂C/∂W"))


def test_crosscheck_gradients_max_rel_is_max_abs_over_the_largest_autodiff_entry():
    row = _dw_row([[0.0, 0.0]], [[0.3, -0.2]])    # yours = 0: the difference is autodiff itself
    assert row.max_abs > 0 and row.max_rel == pytest.approx(1.0, rel=1e-12)


def test_crosscheck_gradients_against_an_all_zero_reference_gives_max_rel_0_or_inf():
    # x = 0 makes every ∂C/∂W = δ·x exactly 0
    assert _dw_row([[0.0, 0.0]], [[0.0, 0.0]]).max_rel == 0.0
    row = _dw_row([[0.1, 0.0]], [[0.0, 0.0]])
    assert row.max_rel == math.inf and row.max_abs == pytest.approx(0.1) and not row.ok


def test_crosscheck_gradients_counts_a_nan_as_an_infinite_difference():
    row = _dw_row([[math.nan, 0.0]], [[0.3, -0.2]])
    assert row.max_abs == math.inf and row.max_rel == math.inf and not row.ok


# crosscheck_gradients' rows: backprop order, each named by its equation and quantity
# (_fill mutants 29, 30, 32).
def test_crosscheck_gradients_rows_are_in_backprop_order_named_by_equation():
    net, x, y, dw, db, deltas = closed_form_case()
    rows = crosscheck_gradients(net, x, y, dw, db, deltas).rows
    assert [(r.layer, r.equation, r.quantity) for r in rows] == [
        (2, "BP1", "δ2 = ∂C/∂z2"), (2, "BP3", "∂C/∂b2"), (2, "BP4", "∂C/∂W2"),
        (1, "BP2", "δ1 = ∂C/∂z1"), (1, "BP3", "∂C/∂b1"), (1, "BP4", "∂C/∂W1")]


def test_crosscheck_gradients_refuses_a_bias_given_as_a_row():
    net, x, y, dw, db, deltas = closed_form_case()
    with pytest.raises(ValueError, match=r"db of layer 1 has shape \(1, 3\), expected \(3,\)"):
        crosscheck_gradients(net, x, y, dw, [db[0].reshape(1, 3), db[1]], deltas)


# crosscheck's inputs: x as a list of rows or a Value, the loss named in full when unknown
# (_prepare mutants 4, 16, 17).
def test_crosscheck_takes_x_as_a_list_of_rows_or_as_a_value():
    from microgradnn.check import crosscheck
    net, x, y, *_ = closed_form_case()
    expected = crosscheck(net, x, y).errors
    assert crosscheck(net, x.tolist(), y).errors == expected
    assert crosscheck(net, Value(x), y).errors == expected


def test_crosscheck_names_every_known_loss_when_given_an_unknown_one():
    from microgradnn.check import crosscheck
    net, x, y, *_ = closed_form_case()
    with pytest.raises(ValueError) as info:
        crosscheck(net, x, y, loss="hinge")
    assert str(info.value) == "unknown loss 'hinge'; known: quadratic, bce, cross_entropy"


# crosscheck of a PyTorch model: its own gradients against BP1–BP4, reported as such
# (_crosscheck_torch mutants 5, 10–49; crosscheck 15–19).
def test_crosscheck_of_a_pytorch_model_reports_its_gradients_against_the_closed_form():
    torch = pytest.importorskip("torch")
    from microgradnn.check import crosscheck
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(),
                                torch.nn.Linear(3, 1), torch.nn.Sigmoid()).double()
    x = np.array([[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]])
    report = crosscheck(model, x, np.array([[1.0], [0.0], [0.5]]), rtol=1e-4, atol=1e-9)
    assert str(report).splitlines()[0] == (
        "Cross-check of your PyTorch model against closed form (BP1–BP4) (loss 'quadratic', "
        "batch 3, rtol 0.0001, atol 1e-09): OK")
    assert [(r.layer, r.equation, r.ok) for r in report.rows] == [
        (2, "BP1", True), (2, "BP3", True), (2, "BP4", True),
        (1, "BP2", True), (1, "BP3", True), (1, "BP4", True)]


# crosscheck_gradients against an all-zero reference computes no 0/0 (_compare mutant 49).
def test_crosscheck_gradients_against_an_all_zero_reference_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = _dw_row([[0.1, 0.0]], [[0.0, 0.0]])
    assert not row.ok and row.note == ""


# --- the hint on a failing row: a constant factor between yours and autodiff, and the δ hint ---

# The hint on a failing row, word for word: a constant factor c between yours and autodiff,
# written as a learner would (2, −3, 1/8), with its likely cause (_factor_note mutants 36, 42,
# 48, 63, 67–73; _ratio_text 8, 24, 27, 28, 33, 34).
def _note(c, batch=3, layer=2):
    """The note on the ∂C/∂W row of `layer` when yours = c × the true ∂C/∂W there."""
    net, x, y, dw, db, deltas = closed_form_case()
    net_x, net_y = x[:batch], y[:batch]
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(net_x.T)
    dw, db = closed.backpropagation(net_y.T, z_s, a_s)
    dw = [w * c if l == layer else w for l, w in enumerate(dw, 1)]
    report = crosscheck_gradients(net, net_x, net_y, dw, db)
    return next(r for r in report.rows if (r.layer, r.equation) == (layer, "BP4")).note


CONSTANT = "a constant factor — look for a ½, 2 or n too many or too few"


@pytest.mark.parametrize("c, batch, note", [
    (-1.0, 3, "this is minus the gradient: the seed article's (y − a) sign"),
    (3.0, 3, "this is 3× the gradient: per-example values, not divided by the batch size"),
    (2.0, 2, "this is 2× the gradient: per-example values, not divided by the batch size"),
    (-3.0, 3, "this is −3× the gradient: minus the gradient, and per-example values not "
              "divided by the batch size"),
    (1 / 3, 3, "this is 1/3× the gradient: divided by the batch size 3 once too often"),
    (-1 / 3, 3, "this is −1/3× the gradient: minus the gradient, and divided by the batch "
                "size 3 once too often"),
    (0.5, 3, f"this is 1/2× the gradient: {CONSTANT}"),
    (-2.0, 3, f"this is −2× the gradient: {CONSTANT}, or a sign"),
    (1.7, 3, f"this is 1.7× the gradient: {CONSTANT}"),
    (-1.7, 3, f"this is −1.7× the gradient: {CONSTANT}, or a sign"),
])
def test_a_constant_factor_is_named_word_for_word_with_its_cause(c, batch, note):
    assert _note(c, batch) == note


def test_a_factor_within_a_millionth_of_n_or_1_over_n_is_read_as_that_number():
    # 3·(1 + 5e-7) is the batch size 3 to 1e-6 relative: per-example; 1/8·(1 + 5e-7) is 1/8
    assert _note(3 * (1 + 5e-7)).startswith("this is 3× the gradient: per-example values")
    assert _note(0.125 * (1 + 5e-7)) == f"this is 1/8× the gradient: {CONSTANT}"


def test_a_failing_row_with_no_constant_factor_has_no_note():
    net, x, y, dw, db, deltas = closed_form_case()
    off = [dw[0], dw[1] + np.array([[0.1, -0.2, 0.3]])]
    row = crosscheck_gradients(net, x, y, off, db, deltas).rows[2]
    assert (row.layer, row.equation, row.ok, row.note) == (2, "BP4", False, "")


def test_a_row_that_passes_has_no_note_even_when_yours_is_a_multiple():
    # atol = 1 lets 2× the gradient pass: a passing row gets no hint
    net, x, y, dw, db, deltas = closed_form_case()
    report = crosscheck_gradients(net, x, y, [dw[0], 2 * dw[1]], db, deltas, atol=1.0)
    assert report.ok and [r.note for r in report.rows] == [""] * 6


# A constant factor is named when yours = c·autodiff to rtol 1e-6 and atol 1e-12·max|autodiff|·|c|
# (_factor_note mutants 26, 27, 30, 31). The network's third input is 0, so ∂C/∂W's third
# entry is exactly 0 and only the atol can cover an error there.
def _factor_case(change):
    net = MLP([3, 1], ["sigmoid"], seed=0)
    x, y = np.array([[0.3, -0.5, 0.0], [0.8, 0.2, 0.0]]), np.array([[1.0], [0.0]])
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(x.T)
    (dw,), (db,) = closed.backpropagation(y.T, z_s, a_s)
    assert dw[0, 2] == 0.0
    report = crosscheck_gradients(net, x, y, [change(dw.copy())], [db])
    return report.rows[1].note                                        # the ∂C/∂W1 row


def test_a_factor_is_named_when_an_exact_zero_is_off_by_under_its_atol():
    def yours(dw):
        big = np.abs(dw).max()
        dw *= 4.0
        dw[0, 2] = 0.5 * 1e-12 * big * 4.0           # half the atol of a factor 4
        return dw
    assert _factor_case(yours).startswith("this is 4× the gradient")


def test_no_factor_is_named_when_an_exact_zero_is_off_by_twice_its_atol():
    def yours(dw):
        big = np.abs(dw).max()
        dw *= 4.0
        dw[0, 2] = 2 * 1e-12 * big * 4.0
        return dw
    assert _factor_case(yours) == ""


def test_no_factor_is_named_when_the_ratio_varies_by_more_than_a_millionth():
    def yours(dw):
        return dw * 4.0 * np.array([[1 + 3e-6, 1 - 3e-6, 1.0]])
    assert _factor_case(yours) == ""


# The report's δ hint: only when no δ was given and ∂C/∂b and ∂C/∂W of a layer both fail
# (CrossCheckReport.__str__ mutant 14, _delta_equation 5–10).
def test_without_deltas_the_report_adds_the_delta_hint_to_its_verdict():
    net, x, y, dw, db, deltas = closed_form_case()
    # δ2 wrong in no way we can name (a different wrong value per element), and so is layer 1
    # below it: both come from δ2.
    bump = lambda g: g * (2 + np.arange(g.size).reshape(g.shape))
    report = crosscheck_gradients(net, x, y, [bump(dw[0]), bump(dw[1])],
                                  [bump(db[0]), bump(db[1])])
    assert str(report).splitlines()[0].endswith(
        "atol 0): FAILED at layer 2, BP1 (∂C/∂b2 and ∂C/∂W2 are both wrong, and both are "
        "computed from δ2: check δ2, which BP1 computes; pass deltas to compare it)")


@pytest.mark.parametrize("layer, equation", [(2, "BP1"), (1, "BP2")])
def test_with_deltas_a_wrong_delta_is_named_with_its_factor(layer, equation):
    net, x, y, dw, db, deltas = closed_form_case()
    twice = lambda gs: [2 * g if l == layer else g for l, g in enumerate(gs, 1)]
    report = crosscheck_gradients(net, x, y, twice(dw), twice(db), twice(deltas))
    assert report.first_failure == (layer, equation)
    assert str(report).splitlines()[0].endswith(
        f"FAILED at layer {layer}, {equation} (constant factor 2×)")
