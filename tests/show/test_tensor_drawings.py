"""Tensor graphs drawn to fit a page, with math on their arrows.

The graph of issue 27: h = tanh(x Wᵀ + b) with an input x that wants no gradient, then the mean
of h·h — six ops (ᵀ, @, +, tanh, *, Σ, and the mean's × 1/n).
"""
import re
import shutil

import numpy as np
import pytest

from microgradnn import MLP, Value, draw_graph
from microgradnn.core import ops
from microgradnn.core.engine import walk
from microgradnn.losses import network_loss
from microgradnn.show.labels import PAGE_WIDTH, default_rankdir, ranks
from microgradnn.show.trace import local_formula

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's `dot`")


def six_ops(x_wants_grad=False):
    rng = np.random.default_rng(0)
    x = Value(rng.normal(size=(4, 3)), label="x", requires_grad=x_wants_grad)
    W = Value(rng.normal(size=(2, 3)), label="W")
    b = Value(np.zeros(2), label="b")
    h = (x @ W.T + b).tanh()
    h.label = "h"
    loss = (h * h).mean()
    loss.label = "loss"
    loss.backward()
    return loss


def neuron():
    x, w, b = Value(0.5, label="x"), Value(-1.2, label="w"), Value(0.3, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    y.backward()
    return y


def labels(drawing):
    """source -> target: the label of every labelled arrow."""
    return {f"{m.group(1)}->{m.group(2)}": m.group(3) for m in re.finditer(
        r'(\w+) -> (\w+) \[label="([^"]*)"', drawing.source)}


def width_pt(drawing):
    svg = drawing.pipe(format="svg").decode("utf-8")
    return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))


# --- the direction ---

@needs_dot
@pytest.mark.parametrize("edge_labels", [None, "local"])
def test_the_six_op_tensor_graph_fits_1000_pt_by_default(edge_labels):
    assert width_pt(draw_graph(six_ops(), edge_labels=edge_labels)) <= 1000


def test_a_deep_tensor_graph_runs_top_to_bottom_by_default():
    assert "rankdir=TB" in draw_graph(six_ops()).source


def test_a_small_scalar_graph_runs_left_to_right_as_micrograd_draws_it():
    assert "rankdir=LR" in draw_graph(neuron()).source
    assert "rankdir=LR" in draw_graph(neuron(), edge_labels="local").source


def test_a_direction_given_is_the_direction_drawn():
    assert "rankdir=LR" in draw_graph(six_ops(), rankdir="LR").source
    assert "rankdir=TB" in draw_graph(neuron(), rankdir="TB").source


@needs_dot
@pytest.mark.parametrize("make", [neuron, six_ops], ids=["neuron", "six_ops"])
@pytest.mark.parametrize("edge_labels", [None, "local"])
def test_left_to_right_is_chosen_only_when_it_fits_the_page(make, edge_labels):
    root = make()
    nodes = walk(root)
    index = {n: i for i, n in enumerate(nodes)}
    chosen = default_rankdir(nodes, index, edge_labels)
    lr = width_pt(draw_graph(root, rankdir="LR", edge_labels=edge_labels))
    if chosen == "LR":
        assert lr <= PAGE_WIDTH
    else:
        assert width_pt(draw_graph(root, rankdir="TB", edge_labels=edge_labels)) < lr


def test_ranks_count_a_value_and_the_op_that_made_it_as_two():
    y = neuron()                              # x → * → x*w → + → x*w+b → tanh → y
    nodes = walk(y)
    assert ranks(nodes, {n: i for i, n in enumerate(nodes)}) == 7


# --- the labels ---

def test_tensor_labels_are_math_not_code():
    source = draw_graph(six_ops(x_wants_grad=True), edge_labels="local").source
    for code in ("vjp", "upstream", "inverse_permutation", "matrix_transpose", "expand("):
        assert code not in source


def test_a_transpose_of_a_transpose_is_written_as_what_it_is():
    found = labels(draw_graph(six_ops(x_wants_grad=True), edge_labels="local"))
    assert "into x: G W" in found.values()             # G (Wᵀ)ᵀ
    assert "into Wᵀ: xᵀ G" in found.values() and "into W: Gᵀ" in found.values()
    assert not any("ᵀᵀ" in text for text in found.values())


def test_a_dense_layers_arrows_say_G_W_G_transpose_x_and_1_transpose_G():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net(np.array([[0.5, -1.0], [1.0, 2.0]]))
    loss = network_loss(net, np.array([[1.0], [0.0]]), "quadratic")
    loss.backward()
    found = set(labels(draw_graph(loss, edge_labels="local")).values())
    assert {"into W1: Gᵀ x", "into b1: 1ᵀG", "into a1: G W2"} <= found


def test_no_gradient_label_where_no_gradient_flows():
    found = labels(draw_graph(six_ops(), edge_labels="local"))
    assert not any(text.startswith(("into x:", "∂/∂x")) for text in found.values())   # no grad
    assert not any("0.125:" in text or "∂/∂0.125" in text for text in found.values())  # 1/n
    assert "∂/∂sum(h*h): 0.125" in found.values()      # the other operand of the same op has one


def test_a_value_used_twice_by_one_op_has_one_label():
    source = draw_graph(six_ops(), edge_labels="local").source
    assert source.count("∂/∂h: h") == 1 and "∂/∂h: h (each of 2 uses)" in source


def test_a_small_graphs_unlabelled_nodes_go_by_their_expression_not_a_placeholder():
    found = labels(draw_graph(six_ops(), edge_labels="local"))
    assert "∂/∂(x@Wᵀ): 1" in found.values() and "∂/∂(x@Wᵀ+b): 1 - h * h" in found.values()
    assert not any(re.search(r"\b[uv]′*\b", text) for text in found.values())


def test_a_label_spelt_G_primes_the_upstream_gradients_name():
    A = Value(np.ones((2, 2)), label="G")
    B = Value(np.eye(2), label="B")
    out = A @ B
    out.backward(np.ones((2, 2)))
    found = set(labels(draw_graph(out, edge_labels="local")).values())
    assert found == {"into G: G′ Bᵀ", "into B: Gᵀ G′"}


@pytest.mark.parametrize("op,i", [(o, i) for o in vars(ops).values() if isinstance(o, ops.Op)
                                   for i in range(len(o.formulas))])
def test_every_formula_renders_without_a_stray_brace(op, i):
    text = local_formula(op, i, ("out", *("p", "q", "r")[:len(op.formulas)]))
    assert "{" not in text and "}" not in text and "vjp" not in text


def test_the_trace_the_explorer_and_the_drawing_show_the_same_formula():
    loss = six_ops(x_wants_grad=True)
    rows = loss.backward(explain=True).rows
    drawn = " | ".join(labels(draw_graph(loss, edge_labels="local")).values())
    for row in rows:
        assert f": {row.formula}" in drawn, row
