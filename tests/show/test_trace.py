"""The explained backward pass: every chain-rule step, with its formula from the op's definition."""
from microgradnn.core import numeric
import math

import numpy as np
import pytest

from microgradnn import Value, ops
from microgradnn.trace import local_formula

from helpers import tanh_neuron


def test_tanh_neuron_trace_matches_a_hand_computed_table():
    x, w, b, y = tanh_neuron()
    trace = y.backward(explain=True)
    t = math.tanh(0.5 * -1.2 + 0.3)          # y = tanh(-0.3)
    dy_dn = 1 - t * t
    # step, node, op, input, upstream, formula, local, contribution, accumulated — by hand
    expected = [
        (1, "y", "tanh", "n", 1.0, "1 - y * y", dy_dn, dy_dn, dy_dn),
        (2, "n", "add", "x*w", dy_dn, "1", 1.0, dy_dn, dy_dn),
        (3, "n", "add", "b", dy_dn, "1", 1.0, dy_dn, dy_dn),
        (4, "x*w", "mul", "x", dy_dn, "w", -1.2, dy_dn * -1.2, dy_dn * -1.2),
        (5, "x*w", "mul", "w", dy_dn, "x", 0.5, dy_dn * 0.5, dy_dn * 0.5),
    ]
    assert len(trace.rows) == len(expected)
    for row, (step, node, op, inp, up, formula, local, contrib, acc) in zip(trace.rows, expected):
        assert (row.step, row.node, row.op, row.input, row.formula) == (step, node, op, inp, formula)
        assert row.upstream == pytest.approx(up, rel=1e-14)
        assert row.local == pytest.approx(local, rel=1e-14)
        assert row.contribution == pytest.approx(contrib, rel=1e-14)
        assert row.accumulated == pytest.approx(acc, rel=1e-14)
    assert x.grad == pytest.approx(dy_dn * -1.2, rel=1e-14)   # and the grads are the same as ever


def test_trace_accumulates_when_a_node_is_used_twice():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    rows = y.backward(explain=True).rows
    assert [(r.input, r.contribution, r.accumulated) for r in rows] == [("a", 3.0, 3.0), ("a", 3.0, 6.0)]


def test_printed_trace_is_a_table_naming_formulas_and_values():
    *_, y = tanh_neuron()
    text = str(y.backward(explain=True))
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["step", "node", "op", "→"]
    assert "1 - y * y = 0.915" in text and len(lines) == 2 + 5


def test_tensor_trace_shows_shapes_and_summaries():
    X = Value(np.ones((4, 3)), label="X")
    W = Value(np.full((2, 3), 0.1), label="W")
    loss = (X @ W.T).tanh().sum()
    text = str(loss.backward(explain=True))
    assert "(4, 2)" in text and "(2, 3)" in text and "G W " in text     # G (Wᵀ)ᵀ = G W
    assert text.splitlines()[0].split()[5:7] == ["upstream", "G"]      # → input, then upstream G


def test_explain_gives_the_same_gradients_as_a_plain_backward():
    x1, w1, b1, y1 = tanh_neuron()
    x2, w2, b2, y2 = tanh_neuron()
    y1.backward()
    y2.backward(explain=True)
    assert (x1.grad, w1.grad, b1.grad) == (x2.grad, w2.grad, b2.grad)


@pytest.mark.parametrize("op,i,text", [
    (ops.add, 1, "1"), (ops.sub, 1, "-1"), (ops.mul, 0, "b"), (ops.div, 0, "1 / b"),
    (ops.div, 1, "-(out / b)"), (ops.pow, 0, "b * a ** (b - 1)"), (ops.pow, 1, "out * log(a)"),
    (ops.exp, 0, "out"), (ops.log, 0, "1 / a"), (ops.sigmoid, 0, "out * (1 - out)"),
    (ops.relu, 0, "step(a)"), (ops.abs, 0, "sign(a)"),
])
def test_local_formulas_are_read_from_the_ops_definitions(op, i, text):
    assert local_formula(op, i) == text


@pytest.mark.parametrize("op,i", [(o, i) for o in vars(ops).values() if isinstance(o, ops.Op)
                                   for i in range(len(o.vjps))])
def test_every_local_formula_evaluates_to_the_vjp_at_g_equal_1(op, i):
    """The text is not decoration: for elementwise ops it computes the same number as the VJP."""
    if not op.elementwise:
        text = local_formula(op, i, upstream="Γ")
        assert "Γ" in text and not set("{}") & set(text)      # the VJP, in terms of the upstream
        return
    a, b = 0.7, 1.3
    ins = (a, b) if len(op.vjps) == 2 else (a,)
    params = {"lo": 0.0, "hi": 1.0} if op.params == ("lo", "hi") else {}   # clip's bounds
    out = op.forward(*ins, *params.values())
    env = {"a": a, "b": b, "out": out, "log": math.log, "step": numeric.step, "sign": numeric.sign,
           "share": numeric.share, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
           "sinh": math.sinh, "cosh": math.cosh, "inside": numeric.inside, **params}
    assert eval(local_formula(op, i), env) == pytest.approx(
        op.vjps[i](1.0, out, *ins, *params.values()), rel=1e-14)


# ---------------------------------------------------------------------------------------------
# Operand names: the nodes' own, never the letters of ops.py (which could be the learner's)
# ---------------------------------------------------------------------------------------------

def test_formulas_name_operands_by_the_learners_labels_not_by_a_and_b():
    a = Value(2.0, label="b")          # the learner's "b" is the FIRST operand
    c = Value(-3.0, label="a")
    y = a * c
    y.label = "y"
    rows = y.backward(explain=True).rows
    assert [(r.input, r.formula, r.local) for r in rows] == [("b", "a", -3.0), ("a", "b", 2.0)]


def test_the_output_of_an_op_is_named_by_its_label_in_formulas():
    x = Value(0.5, label="x")
    t = x.tanh()
    t.label = "out_t"
    (row,) = t.backward(explain=True).rows
    assert row.formula == "1 - out_t * out_t"


def test_unlabelled_operands_are_named_by_their_expression_in_brackets():
    p = Value(2.0, label="p")
    q = p / (p * 3 - 1)
    q.label = "q"
    formulas = {(r.node, r.input): r.formula for r in q.backward(explain=True).rows}
    assert formulas[("q", "p")] == "1 / (p*3-1)"
    assert formulas[("q", "p*3-1")] == "-(q / (p*3-1))"


def test_a_renamed_formula_still_evaluates_to_the_local_derivative():
    """Substituting names must not change the math: evaluate the text with the nodes' values."""
    u, v = Value(0.7, label="u"), Value(1.3, label="v")
    y = u ** v
    y.label = "y"
    env = {"u": 0.7, "v": 1.3, "y": 0.7 ** 1.3, "log": math.log}
    for r in y.backward(explain=True).rows:
        assert eval(r.formula, env) == pytest.approx(r.local, rel=1e-14)


def test_a_trace_cell_holding_a_matrix_stays_on_one_line():
    W = Value([[1.0, 2.0], [3.0, 4.0]], label="W")
    loss = (W * W).sum()
    text = str(loss.backward(explain=True))
    lines = text.splitlines()
    assert len(lines) == 2 + 3                       # head, rule, one line per row
    assert "[[2., 4.], [6., 8.]]" in text            # ∂(W·W)/∂W = 2W, elementwise
    assert len({len(line.rstrip()) <= len(lines[1]) for line in lines}) == 1


def test_a_label_spelt_like_the_vjps_own_letters_is_still_named_right():
    g = Value(0.4, label="g")          # ops.py calls the upstream gradient g
    out = Value(-1.5, label="out")     # and an op's output out
    y = (g * out).sigmoid()
    y.label = "y"
    formulas = {(r.node, r.input): r.formula for r in y.backward(explain=True).rows}
    assert formulas[("y", "g*out")] == "y * (1 - y)"
    assert formulas[("g*out", "g")] == "out" and formulas[("g*out", "out")] == "g"
