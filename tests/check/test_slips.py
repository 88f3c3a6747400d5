"""Named slips: a failing row names the common mistake whose numbers match the learner's.

The oracle: a learner's hand-written numpy backprop (tests/handwritten.py), in both layouts,
with one slip planted at a known layer. The report must name that slip and blame that equation,
and name nothing for correct gradients or noise.
"""
import numpy as np
import pytest

from handwritten import learner, slips_for
from microgradnn.check import crosscheck_gradients
from microgradnn.check.slips import find_slips
from microgradnn.nn import MLP

ACTIVATIONS = ["tanh", "sigmoid", "relu"]
LAYOUTS = ["columns", "rows"]


def _case(act):
    """A 3-4-4-2 network (W2 and ∂C/∂W2 square, so both transposes can happen) and a batch."""
    net = MLP([3, 4, 4, 2], [act, act, act], seed=4)
    r = np.random.default_rng(7)
    return net, r.standard_normal((6, 3)), r.random((6, 2))


# --- the generic finder --------------------------------------------------------------------

REF = np.array([[1.0, -2.0], [0.5, 3.0]])


def test_find_slips_names_the_candidate_the_numbers_match():
    assert find_slips(REF.T, {"transpose": REF.T, "sign": -REF}, reference=REF) == ["transpose"]


def test_find_slips_names_every_candidate_that_matches():
    assert find_slips(-REF, {"sign": -REF, "also minus": -1.0 * REF}, reference=REF) == \
        ["sign", "also minus"]


def test_find_slips_names_nothing_for_numbers_that_match_the_reference():
    assert find_slips(REF, {"sign": -REF}, reference=REF) == []


def test_find_slips_names_nothing_for_noise():
    noisy = REF + np.random.default_rng(0).normal(0, 1e-3, REF.shape)
    assert find_slips(noisy, {"sign": -REF, "zero": 0 * REF}, reference=REF) == []


def test_find_slips_skips_a_candidate_of_another_shape_or_none():
    assert find_slips(REF, {"transpose": np.ones((3, 2)), "cannot happen": None}) == []


def test_find_slips_skips_a_candidate_that_changes_nothing():
    # a slip whose numbers equal the reference cannot be seen, so it is never named
    assert find_slips(2 * REF, {"same as right": REF.copy(), "2×": 2 * REF}, reference=REF) == \
        ["2×"]


def test_find_slips_matches_within_the_tolerance_it_is_given():
    close = -REF * (1 + 1e-4)
    assert find_slips(close, {"sign": -REF}, rtol=1e-6) == []
    assert find_slips(close, {"sign": -REF}, rtol=1e-3) == ["sign"]


# --- planted slips in a hand-written backprop, both layouts × three activations ---------------

@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_correct_backprop_passes_with_no_slip_named(layout, act):
    net, x, y = _case(act)
    dw, db, deltas = learner(net, x, y, layout)
    report = crosscheck_gradients(net, x, y, dw, db, deltas, layout=layout)
    assert report.ok and report.failures == [] and all(r.slips == [] for r in report.rows), report


@pytest.mark.parametrize("with_deltas", [False, True], ids=["without deltas", "with deltas"])
@pytest.mark.parametrize("slip", list(slips_for("tanh")))
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_planted_slip_is_named_at_its_layer_and_equation(layout, act, slip, with_deltas):
    net, x, y = _case(act)
    layer, equation, name = slips_for(act)[slip]
    dw, db, deltas = learner(net, x, y, layout, slip=slip, at=layer)
    report = crosscheck_gradients(net, x, y, dw, db, deltas if with_deltas else None,
                                  layout=layout)
    assert not report.ok, report
    assert len(report.failures) == 1, report            # one slip, one independent failure
    failure = report.failures[0]
    assert (failure.layer, failure.equation.split()[0]) == (layer, equation), report
    assert name in failure.slips, report
    assert f"FAILED at layer {layer}, {equation}" in str(report).splitlines()[0]
    assert name in str(report).splitlines()[0]
    assert all(r.ok for r in report.rows if r.layer > layer), report


@pytest.mark.parametrize("layout", LAYOUTS)
def test_noise_fails_with_no_slip_named(layout):
    net, x, y = _case("tanh")
    dw, db, deltas = learner(net, x, y, layout)
    r = np.random.default_rng(3)
    dw = [g + r.normal(0, 1e-3, g.shape) for g in dw]
    report = crosscheck_gradients(net, x, y, dw, db, layout=layout)
    assert not report.ok and all(f.slips == [] for f in report.failures), report


def test_a_failing_row_says_which_line_to_look_at():
    net, x, y = _case("tanh")
    dw, db, deltas = learner(net, x, y, "columns", slip="sigma for sigma prime", at=2)
    report = crosscheck_gradients(net, x, y, dw, db, deltas)
    delta_row = next(r for r in report.rows if r.layer == 2 and r.equation == "BP2")
    assert delta_row.slips == ["σ(z) for σ′(z)"]
    assert "tanh(z2) where its derivative tanh′(z2) belongs" in delta_row.note
    assert "BP2: δ2 = ((W3)ᵀ δ3) ⊙ σ′(z2)" in delta_row.note
