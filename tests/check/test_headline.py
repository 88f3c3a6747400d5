"""The cross-check's headline: every independent failure, the equation the evidence blames,
and the loss a softmax output implies.

The oracle: a learner's hand-written numpy backprop (tests/handwritten.py) with slips planted
at known layers and equations.
"""
import numpy as np
import pytest

from handwritten import learner
from microgradnn.check import crosscheck, crosscheck_gradients
from microgradnn.nn import MLP


def _case(act="tanh"):
    net = MLP([3, 4, 4, 2], [act, act, "sigmoid"], seed=4)
    r = np.random.default_rng(7)
    return net, r.standard_normal((6, 3)), r.random((6, 2))


def _first_line(report):
    return str(report).splitlines()[0]


# --- every independent failure ----------------------------------------------------------------

@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_two_independent_slips_both_reach_the_headline(layout):
    net, x, y = _case()
    dw3, db3, _ = learner(net, x, y, layout, slip="1/n twice in BP3 and BP4", at=3)
    dw1, db1, _ = learner(net, x, y, layout, slip="transpose in BP2", at=1)
    report = crosscheck_gradients(net, x, y, [dw1[0], dw3[1], dw3[2]],
                                  [db1[0], db3[1], db3[2]], layout=layout)
    assert _first_line(report).endswith(
        "FAILED at layer 3, BP3 and BP4 (batch mean: 1/n twice) and at layer 1, BP2 (transpose)")
    assert [(f.layer, f.equations) for f in report.failures] == \
        [(3, ("BP3 and BP4",)), (1, ("BP2",))]


def test_a_failure_that_follows_from_a_wrong_delta_above_is_not_a_second_failure():
    net, x, y = _case()
    dw, db, _ = learner(net, x, y, "columns", slip="sign", at=3)
    report = crosscheck_gradients(net, x, y, dw, db)
    assert len(report.failures) == 1 and report.first_failure == (3, "BP1"), report
    below = [r for r in report.rows if r.layer < 3]
    assert all(not r.ok and "follows from layer 3's δ (sign)" in r.note for r in below), report


def test_a_slip_below_a_wrong_delta_is_found_on_top_of_it():
    # δ3 with the article's sign, and z for a in layer 2's BP4 on top of it: ∂C/∂W2 differs
    # from what δ3's sign alone makes, ∂C/∂b2 does not.
    net, x, y = _case()
    dw, db, _ = learner(net, x, y, "columns", slip="sign", at=3)
    dwz, _, _ = learner(net, x, y, "columns", slip="z for a", at=2)
    report = crosscheck_gradients(net, x, y, [dw[0], -dwz[1], dw[2]], db)
    assert [(f.layer, f.slips) for f in report.failures] == [(3, ["sign"]), (2, ["z for a"])]


def test_with_deltas_the_layers_below_are_checked_against_the_learners_own_delta():
    net, x, y = _case()
    dw, db, deltas = learner(net, x, y, "rows", slip="sigma for sigma prime", at=2)
    dw1, db1, deltas1 = learner(net, x, y, "rows", slip="dW transposed", at=2)
    report = crosscheck_gradients(net, x, y, [dw[0], dw1[1].copy() * 0 + dw[1].T, dw[2]], db,
                                  deltas, layout="rows")
    assert [(f.layer, f.equation) for f in report.failures][0] == (2, "BP2"), report


# --- the equation the evidence blames, without deltas ------------------------------------------

def test_without_deltas_a_missing_mean_in_bp3_and_bp4_blames_them_not_the_delta():
    # layer 2's ∂C/∂b2 and ∂C/∂W2 are n× too big, δ2 is right: layer 1 (made from δ2) is right
    net, x, y = _case()
    dw, db, _ = learner(net, x, y, "columns")
    n = x.shape[0]
    report = crosscheck_gradients(net, x, y, [dw[0], n * dw[1], dw[2]], [db[0], n * db[1], db[2]])
    assert report.first_failure == (2, "BP3")
    assert _first_line(report).endswith("FAILED at layer 2, BP3 and BP4 (batch mean: 1/n missing)")
    assert "check δ2" not in str(report)


def test_without_deltas_a_missing_mean_in_delta_blames_the_delta():
    net, x, y = _case()
    dw, db, _ = learner(net, x, y, "columns", slip="1/n missing", at=3)
    report = crosscheck_gradients(net, x, y, dw, db)
    assert _first_line(report).endswith("FAILED at layer 3, BP1 (batch mean: 1/n missing)")


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_scaled_first_layer_names_both_equations_it_cannot_tell_apart(layout):
    # 2·δ1 (BP2) and 2·(BP3, BP4) of layer 1 give the same ∂C/∂b1 and ∂C/∂W1
    net, x, y = _case()
    dw, db, _ = learner(net, x, y, layout)
    report = crosscheck_gradients(net, x, y, [2 * dw[0], dw[1], dw[2]], [2 * db[0], db[1], db[2]],
                                  layout=layout)
    failure, = report.failures
    assert failure.equations == ("BP2", "BP3 and BP4") and failure.ambiguous
    assert _first_line(report).endswith(
        "FAILED at layer 1, BP2 or BP3 and BP4 (constant factor 2×; the two give the same ∂C/∂b1 "
        "and ∂C/∂W1: pass deltas to tell them apart)")


def test_with_deltas_a_scaled_first_layer_delta_is_bp2_alone():
    net, x, y = _case()
    dw, db, deltas = learner(net, x, y, "columns")
    report = crosscheck_gradients(net, x, y, [2 * dw[0], dw[1], dw[2]],
                                  [2 * db[0], db[1], db[2]], [2 * deltas[0], deltas[1], deltas[2]])
    assert [(f.layer, f.equations, f.ambiguous) for f in report.failures] == \
        [(1, ("BP2",), False)]


def test_with_deltas_a_scaled_first_layer_bp3_and_bp4_with_a_right_delta_is_bp3_and_bp4():
    net, x, y = _case()
    dw, db, deltas = learner(net, x, y, "columns")
    report = crosscheck_gradients(net, x, y, [2 * dw[0], dw[1], dw[2]],
                                  [2 * db[0], db[1], db[2]], deltas)
    assert [(f.layer, f.equations) for f in report.failures] == [(1, ("BP3 and BP4",))]


# --- the right loss ----------------------------------------------------------------------------

def _softmax_case():
    net = MLP([3, 4, 3], ["tanh", "softmax"], seed=2)
    r = np.random.default_rng(5)
    x, labels = r.standard_normal((6, 3)), r.integers(0, 3, 6)
    return net, x, np.eye(3)[labels]


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_correct_softmax_backprop_checked_without_loss_passes(layout):
    net, x, y = _softmax_case()
    dw, db, deltas = learner(net, x, y, layout, loss="cross_entropy")
    report = crosscheck_gradients(net, x, y, dw, db, deltas, layout=layout)
    assert report.ok and report.loss == "cross_entropy", report


def test_crosscheck_of_a_softmax_output_without_loss_uses_cross_entropy():
    net, x, y = _softmax_case()
    report = crosscheck(net, x, y.argmax(axis=1))
    assert report.ok and report.loss == "cross_entropy", report


def test_an_explicit_loss_is_always_obeyed():
    net, x, y = _softmax_case()
    assert crosscheck(net, x, y, loss="quadratic").loss == "quadratic"
    dw, db, _ = learner(net, x, y, "columns", loss="cross_entropy")
    report = crosscheck_gradients(net, x, y, dw, db, loss="quadratic")
    assert report.loss == "quadratic" and not report.ok


def test_other_outputs_keep_the_quadratic_default():
    net, x, y = _case()
    assert crosscheck(net, x, y).loss == "quadratic"
