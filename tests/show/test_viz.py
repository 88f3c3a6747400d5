"""Drawings of computation graphs (microgradnn.viz), specified on their DOT text and their SVG.

The DOT text is read with a few regular expressions: value boxes are ``v<i>``, op ovals
``op<i>`` (i = position in creation order), collapsed layers ``L<k>``; edges are ``a -> b``.
Expected counts and numbers come from the expressions themselves (closed forms, finite
differences), not from earlier output — except the one golden file, which pins the whole text.
"""
import math
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import graphviz
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import Value, draw_graph, draw_network
from microgradnn.viz import ROLES, PATH_COLOUR, DotNotFoundError, Drawing

from helpers import svg_texts

GOLDEN = Path(__file__).parent / "golden"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")

NODE = re.compile(r"^\s*((?:v|op|L)\d+) \[(.*)\]$", re.M)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)


def nodes_of(source: str) -> dict:
    return dict(NODE.findall(source))


def value_nodes(source: str) -> dict:
    return {k: v for k, v in nodes_of(source).items() if k.startswith("v")}


def op_nodes(source: str) -> dict:
    return {k: v for k, v in nodes_of(source).items() if k.startswith("op")}


def op_texts(source: str) -> list:
    """What each op oval says, in order (DOT quotes a label only when it needs to)."""
    texts = []
    for attrs in op_nodes(source).values():
        m = re.match(r'label=(?:"([^"]*)"|(\S+))', attrs)
        texts.append(m.group(1) if m.group(1) is not None else m.group(2))
    return texts


def edges_of(source: str) -> list:
    return [(a, b, attrs) for a, b, attrs in EDGE.findall(source)]


def node_with_label(source: str, text: str) -> str:
    """The id of the one value box whose label contains <B>text</B>."""
    found = [k for k, attrs in value_nodes(source).items() if f"<B>{text}</B>" in attrs]
    assert len(found) == 1, (text, found)
    return found[0]


def micrograd_neuron():
    """o = tanh(x1·w1 + x2·w2 + b): micrograd's example neuron, after backward."""
    x1 = Value(2.0, label="x1", requires_grad=False)
    x2 = Value(0.0, label="x2", requires_grad=False)
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)


# ---------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------

def test_a_small_expression_draws_one_box_per_value_one_oval_per_op_and_one_edge_per_use():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    d = e + c
    src = draw_graph(d).source
    # values a, b, c, e, d; ops *, +; edges a→*, b→*, *→e, e→+, c→+, +→d
    assert len(value_nodes(src)) == 5
    assert op_texts(src) == ["*", "+"]
    assert len(edges_of(src)) == 6


def test_a_value_used_twice_draws_two_edges_into_its_op():
    a = Value(3.0, label="a")
    src = draw_graph(a + a).source
    va = node_with_label(src, "a")
    into_add = [(s, t) for s, t, _ in edges_of(src) if t.startswith("op")]
    assert into_add == [(va, into_add[0][1])] * 2


def test_operands_of_an_order_sensitive_op_are_marked_left_and_right():
    x, y = Value(5.0, label="a"), Value(2.0, label="b")     # words, never letters like a and b
    src = draw_graph(y - x).source
    labels = {s: attrs for s, t, attrs in edges_of(src) if t.startswith("op")}
    assert labels[node_with_label(src, "b")] == "label=left"
    assert labels[node_with_label(src, "a")] == "label=right"


def test_scalar_boxes_show_label_data_and_the_gradient_of_the_closed_form():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = a * b + a
    y.backward()                                   # dy/da = b + 1 = -2, dy/db = a = 2
    src = draw_graph(y).source
    box_a = value_nodes(src)[node_with_label(src, "a")]
    box_b = value_nodes(src)[node_with_label(src, "b")]
    assert "data 2<" in box_a and "grad -2<" in box_a
    assert "data -3<" in box_b and "grad 2<" in box_b


def test_no_grad_row_before_backward_or_with_show_grad_false():
    a = Value(2.0, label="a")
    y = a.exp()
    assert "grad" not in draw_graph(y).source
    y.backward()
    assert "grad" in draw_graph(y).source
    assert "grad" not in draw_graph(y, show_grad=False).source


def test_numbers_are_rounded_to_four_significant_digits():
    y = Value(math.pi, label="p") * 1e-5
    src = draw_graph(y).source
    assert "data 3.142<" in src and "data 3.142e-5<" in src


def test_small_tensors_list_their_values_with_their_shape():
    t = Value([[1.0, 2.5], [-3.0, 0.0]], label="t")
    src = draw_graph(t).source
    assert "<B>t</B>" in src and "2×2" in src and "[[1, 2.5], [-3, 0]]" in src


def test_big_tensors_show_min_mean_max_of_the_finite_elements_and_count_nan_and_inf():
    data = np.concatenate([np.arange(8.0), [np.nan, np.nan, np.inf]])   # finite: 0..7
    t = Value(data, label="t")
    box = value_nodes(draw_graph(t).source)["v0"]
    numbers = re.findall(r">(?:&#160;)*(-?[\d.]+)</TD>", box)
    assert numbers == ["0", "3.5", "7"]            # min, mean, max of 0..7
    assert "2 nan · 1 inf" in box
    assert "[0, 1" not in box                       # too many to list


def test_tensor_gradients_are_summarised_like_their_data():
    w = Value(np.arange(12.0).reshape(3, 4), label="W")
    (w * w).sum().backward()                        # grad = 2W: min 0, mean 11, max 22
    box = value_nodes(draw_graph(w).source)["v0"]
    grad_row = box[box.index("grad"):]
    assert re.findall(r">(\d+)</FONT>", grad_row) == ["0", "11", "22"]


@pytest.mark.parametrize("build, text", [
    (lambda x: x.sum(axis=0), "sum(axis=0)"),
    (lambda x: x.sum(), "Σ"),
    (lambda x: x.reshape(6), "reshape(6)"),
    (lambda x: x[0], "[0]"),
    (lambda x: x[:, 1:3], "[:, 1:3]"),
    (lambda x: x.T, "T"),
    (lambda x: x.max(axis=1, keepdims=True), "max(axis=1, keepdims=True)"),
])
def test_op_ovals_name_the_op_and_its_static_parameters(build, text):
    x = Value(np.ones((2, 3)), label="x")
    assert op_texts(draw_graph(build(x)).source) == [text]


def test_roles_are_coloured_and_listed_in_the_legend():
    o, v = micrograd_neuron()
    src = draw_graph(o).source
    nodes = value_nodes(src)

    def fill(label):
        return re.search(r'fillcolor="([^"]+)"', nodes[node_with_label(src, label)]).group(1)

    assert fill("x1") == ROLES["input"][0]          # a leaf that needs no gradient
    assert fill("w1") == ROLES["parameter"][0]      # a leaf that needs a gradient
    assert fill("n") == ROLES["intermediate"][0]
    assert fill("o") == ROLES["output"][0]          # the root
    legend = re.search(r"^\s*legend \[(.*)\]$", src, re.M).group(1)
    for role in ("input", "parameter", "intermediate", "output / loss"):
        assert f">{role}</TD>" in legend


def test_unlabelled_numbers_are_drawn_as_small_constants():
    x = Value(3.0, label="x")
    src = draw_graph(x ** 2).source
    constant = [attrs for attrs in value_nodes(src).values() if "dashed" in attrs]
    assert len(constant) == 1 and "<TD>2</TD>" in constant[0]


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------

def test_the_same_computation_gives_the_same_dot_text_in_every_run():
    first = draw_graph(micrograd_neuron()[0], edge_labels="local").source
    unrelated = [Value(float(i)) * 2 for i in range(100)]    # shifts the global creation counter
    second = draw_graph(micrograd_neuron()[0], edge_labels="local").source
    assert first == second and unrelated


def test_the_dot_text_of_the_neuron_matches_the_golden_file():
    """To accept a deliberate change: MICROGRADNN_UPDATE_GOLDEN=1 pytest tests/show/test_viz.py."""
    source = draw_graph(micrograd_neuron()[0]).source
    path = GOLDEN / "neuron.dot"
    if os.environ.get("MICROGRADNN_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert source == path.read_text(encoding="utf-8")


@settings(max_examples=40)
@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "sub", "tanh", "exp"]),
                          st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=25))
def test_random_graphs_draw_every_node_and_every_use(program):
    """Boxes = Values, ovals = ops, edges = one per parent use plus one per op output."""
    nodes = [Value(0.3, label="p"), Value(-0.7, label="q")]
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append({"add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b,
                      "tanh": lambda: a.tanh(), "exp": lambda: (a * 0.1).exp()}[op]())
    root = nodes[-1]
    reached, stack = {root}, [root]                 # an independent walk of the graph
    while stack:
        for p in stack.pop().parents:
            if p not in reached:
                reached.add(p)
                stack.append(p)
    src = draw_graph(root).source
    n_ops = sum(1 for n in reached if n.parents)
    assert len(value_nodes(src)) == len(reached)
    assert len(op_nodes(src)) == n_ops
    assert len(edges_of(src)) == sum(len(n.parents) for n in reached) + n_ops
    assert src == draw_graph(root).source


# ---------------------------------------------------------------------------------------------
# Options: layers, limits, highlight, local derivatives
# ---------------------------------------------------------------------------------------------

def cluster_members(source: str) -> dict:
    """cluster name → ids of the nodes declared inside it."""
    found = {}
    for m in re.finditer(r"subgraph (cluster_\w+) \{(.*?)\n\t\}", source, re.S):
        found[m.group(1)] = set(re.findall(r"^\s*((?:v|op)\d+) \[", m.group(2), re.M))
    return found


def tiny_mlp_loss(scalar: bool):
    from microgradnn.nn import MLP
    net = MLP([2, 3, 1], ["tanh", "tanh"], seed=0)
    if scalar:
        out = net.scalar_forward([0.5, -1.0])[0]
    else:
        out = net([[0.5, -1.0]])
    loss = ((out - 1.0) ** 2).sum() if not scalar else (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return net, loss


def test_cluster_layers_frames_each_layers_weights_biases_and_the_ops_between_them():
    net, loss = tiny_mlp_loss(scalar=False)
    src = draw_graph(loss, cluster_layers=True).source
    clusters = cluster_members(src)
    assert set(clusters) == {"cluster_layer1", "cluster_layer2", "cluster_loss"}
    for l in (1, 2):
        for name in (f"W{l}", f"b{l}", f"z{l}", f"a{l}"):
            assert node_with_label(src, name) in clusters[f"cluster_layer{l}"]
    # W1.T, x @ W1.T, + b1 and tanh belong to layer 1
    assert {"op" + node_with_label(src, "z1")[1:], "op" + node_with_label(src, "a1")[1:]} \
        <= clusters["cluster_layer1"]
    outside = set(value_nodes(src)) - set().union(*clusters.values())
    assert node_with_label(src, "x") in outside
    assert node_with_label(src, "loss") in clusters["cluster_loss"]


def test_cluster_layers_frames_the_loss_with_its_constants_and_names_it_by_the_roots_label():
    from microgradnn.losses import network_loss
    from microgradnn.nn import MLP
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net(np.array([[0.5, -1.0], [1.0, 0.2]]))
    loss = network_loss(net, np.array([1.0, 0.0]), "bce")
    loss.backward()
    src = draw_graph(loss, cluster_layers=True).source
    frame = cluster_members(src)["cluster_loss"]
    assert re.search(r"subgraph cluster_loss \{\n\t\tcolor=\"#dc2626\"[^\n]*label=loss", src)
    for name in ("loss", "y"):                 # the loss is one node, with its targets
        assert node_with_label(src, name) in frame, name
    assert node_with_label(src, "z2") not in frame and node_with_label(src, "x") not in frame


def test_a_constant_labelled_by_a_formula_is_drawn_as_a_constant_and_a_name_as_an_input():
    z = Value([1.0, -2.0], label="z")
    half = Value(0.5, label="1/n", requires_grad=False)
    y = Value([0.0, 1.0], label="y", requires_grad=False)
    loss = ((z - y) * half).sum()
    src = draw_graph(loss).source
    nodes = value_nodes(src)
    assert ROLES["constant"][0] in nodes[node_with_label(src, "1/n")]
    assert ROLES["input"][0] in nodes[node_with_label(src, "y")]


def test_frames_are_stacked_by_leaving_a_rank_between_them():
    net, loss = tiny_mlp_loss(scalar=False)
    src = draw_graph(loss, cluster_layers=True).source
    a1 = node_with_label(src, "a1")
    (attrs,) = [a for s, t, a in edges_of(src) if s == a1]
    assert "minlen=2" in attrs


def test_collapse_layers_draws_each_layer_as_one_box():
    net, loss = tiny_mlp_loss(scalar=True)
    full = draw_graph(loss, max_nodes=1000).source
    src = draw_graph(loss, collapse_layers=True).source
    boxes = {k: v for k, v in nodes_of(src).items() if k.startswith("L")}
    assert set(boxes) == {"L1", "L2"}
    assert "W1 ×6" in boxes["L1"] and "b1 ×3" in boxes["L1"] and "W2 ×3" in boxes["L2"]
    assert ("L1", "L2", "") in edges_of(src)
    assert len(nodes_of(src)) < len(nodes_of(full)) / 5
    for x in ("x[0]", "x[1]", "loss"):          # inputs and the loss stay visible
        node_with_label(src, x)


def test_too_many_nodes_are_refused_with_the_count_the_limit_and_the_ways_out():
    x = Value(0.1, label="x")
    y = x
    for _ in range(300):
        y = y.tanh()                            # 301 values + 300 ops
    with pytest.raises(ValueError) as err:
        draw_graph(y, max_nodes=500)
    message = str(err.value)
    assert "601" in message and "500" in message
    assert "max_nodes=601" in message and "collapse_layers=True" in message
    assert len(value_nodes(draw_graph(y, max_nodes=601).source)) == 301


def test_a_chain_of_100000_ops_is_refused_by_default_and_drawn_without_recursion_when_allowed():
    x = Value(0.5, label="x")
    y = x
    for _ in range(100_000):
        y = -y
    with pytest.raises(ValueError, match="200,001 nodes"):
        draw_graph(y)
    src = draw_graph(y, max_nodes=200_001, legend=False).source
    assert src.count("->") == 200_000


def test_highlight_marks_exactly_the_paths_from_the_parameter_to_the_root():
    o, v = micrograd_neuron()
    src = draw_graph(o, highlight=v["w1"]).source
    nodes = value_nodes(src)
    marked = {k for k, attrs in nodes.items() if PATH_COLOUR in attrs}
    # w1 → w1·x1 → (+ x2·w2) → n → o; nothing on the x2·w2 or b branches
    expected = {node_with_label(src, name) for name in ("w1", "n", "o")}
    assert expected <= marked and len(marked) == 5
    assert node_with_label(src, "w2") not in marked and node_with_label(src, "b") not in marked
    red_edges = [(s, t) for s, t, attrs in edges_of(src) if PATH_COLOUR in attrs]
    assert len(red_edges) == 2 * 4              # into and out of each of the 4 ops on the path
    assert all(s in marked or s.startswith("op") for s, _ in red_edges)


def test_highlight_of_a_value_outside_the_graph_is_an_error():
    o, _ = micrograd_neuron()
    with pytest.raises(ValueError, match="not part of the graph"):
        draw_graph(o, highlight=Value(1.0, label="elsewhere"))
    with pytest.raises(TypeError, match="highlight must be a Value"):
        draw_graph(o, highlight="w1")


SCALAR_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "tanh": lambda a, b: (a * b).tanh(), "exp": lambda a, b: (a * b).exp(),
    "log": lambda a, b: (a * b).log(), "sigmoid": lambda a, b: (a * b).sigmoid(),
}


@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
def test_local_derivatives_on_edges_match_central_differences(name):
    f = SCALAR_OPS[name]
    a, b = Value(1.3, label="a"), Value(0.7, label="b")
    y = f(a, b)
    src = draw_graph(y, edge_labels="local").source
    labels = [attrs for s, t, attrs in edges_of(src) if t.startswith("op")]
    assert labels and all("∂/∂" in text for text in labels)
    # the last op's first input: its local derivative ∂y/∂(input), by central differences
    last = y.parents[0]
    h = 1e-6
    if len(y.parents) == 2:
        other = y.parents[1].data
        g = {"add": lambda u: u + other, "sub": lambda u: u - other, "mul": lambda u: u * other,
             "div": lambda u: u / other, "pow": lambda u: u ** other}[name]
    else:
        g = {"tanh": math.tanh, "exp": math.exp, "log": math.log,
             "sigmoid": lambda u: 1 / (1 + math.exp(-u))}[name]
    expected = (g(last.data + h) - g(last.data - h)) / (2 * h)
    final_edge = [attrs for s, t, attrs in edges_of(src) if t == "op" + str(len(value_nodes(src)) - 1)]
    shown = float(re.search(r"= (-?[\d.e-]+)\"$", final_edge[0]).group(1))
    assert shown == pytest.approx(expected, rel=1e-3)


def test_local_derivatives_on_edges_give_the_formula_from_the_ops_definition():
    pytest.importorskip("microgradnn.trace")
    x = Value(0.5, label="x")
    src = draw_graph(x.tanh(), edge_labels="local").source
    assert "∂/∂x = 1 - tanh(x) * tanh(x) = 0.7864" in src     # 1 - tanh(0.5)² = 0.78645...


def test_edge_labels_name_operands_by_their_labels():
    x, w = Value(0.5, label="x"), Value(-1.2, label="w")
    b = Value(0.3, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    labels = [a for _, _, a in edges_of(draw_graph(y, edge_labels="local").source) if "∂" in a]
    assert 'label="∂/∂w = x = 0.5"' in labels and 'label="∂/∂x = w = -1.2"' in labels
    assert 'label="∂/∂(x*w+b) = 1 - y * y = 0.9151"' in labels


def test_placeholders_for_unnamed_nodes_never_spell_a_label_of_the_graph():
    u, out = Value(0.5, label="u"), Value(2.0, label="out")
    deep = u
    for _ in range(6):                    # an expression too long to be a name: a placeholder
        deep = deep * out + u
    y = deep.tanh()
    y.backward()
    src = draw_graph(y, edge_labels="local").source
    assert "1 - out′ * out′" in src                 # not "out", the learner's own name
    assert "∂/∂u′ = " in src


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(rankdir="RL"), ValueError, "rankdir must be 'LR'"),
    (dict(edge_labels="global"), ValueError, "edge_labels must be None or 'local'"),
    (dict(max_nodes=0), ValueError, "max_nodes must be a positive integer"),
])
def test_bad_options_are_named_in_the_error(kwargs, error, words):
    with pytest.raises(error, match=re.escape(words)):
        draw_graph(Value(1.0), **kwargs)


def test_drawing_something_that_is_not_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="expected a Value, got float"):
        draw_graph(1.0)


# ---------------------------------------------------------------------------------------------
# Rendering, and the missing `dot`
# ---------------------------------------------------------------------------------------------

@needs_dot
def test_rendered_svg_is_xml_holding_the_labels_values_and_ops():
    o, _ = micrograd_neuron()
    texts = svg_texts(draw_graph(o).pipe(format="svg", encoding="utf-8"))
    for label in ("x1", "w1", "b", "n", "o", "tanh", "*", "+", "data 0.7071", "grad 0.5"):
        assert label in texts, label


@needs_dot
def test_the_network_svg_keeps_the_space_between_size_and_activation():
    from microgradnn.nn import MLP
    svg = draw_network(MLP([2, 16, 1], ["relu", "sigmoid"])).pipe(format="svg", encoding="utf-8")
    texts = svg_texts(svg)
    at = texts.index("dense 16")
    assert texts[at + 1].startswith("\xa0· relu")       # a space SVG keeps (a plain one is dropped)


@needs_dot
def test_jupyter_displays_the_drawing_inline_as_svg():
    bundle = draw_graph(micrograd_neuron()[0])._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "tanh" in svg_texts(bundle["image/svg+xml"])


def test_without_dot_the_source_still_works_and_rendering_says_what_to_install(monkeypatch,
                                                                               tmp_path):
    drawing = draw_graph(micrograd_neuron()[0])
    monkeypatch.setenv("PATH", "")
    assert drawing.source.startswith("digraph")
    for attempt in (lambda: drawing.pipe(format="svg"),
                    lambda: drawing.render(tmp_path / "g", format="png"),
                    lambda: drawing._repr_mimebundle_()):
        with pytest.raises(DotNotFoundError) as err:
            attempt()
        message = str(err.value)
        assert "`dot`" in message and "apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert isinstance(err.value, graphviz.ExecutableNotFound)   # graphviz's own catch works


# ---------------------------------------------------------------------------------------------
# draw_network
# ---------------------------------------------------------------------------------------------

def stand_in(layers, activations):
    """Just the attributes draw_network reads: sizes, activation names, labelled parameters."""
    return SimpleNamespace(
        layers=layers, activations=activations,
        weights=[SimpleNamespace(label=f"W{l}") for l in range(1, len(layers))],
        biases=[SimpleNamespace(label=f"b{l}") for l in range(1, len(layers))])


def test_network_layers_are_boxes_with_sizes_activations_and_parameter_counts():
    src = draw_network(stand_in([2, 16, 16, 1], ["relu", "relu", "linear"])).source
    boxes = dict(re.findall(r"^\s*(layer\d) \[(.*)\]$", src, re.M))
    assert list(boxes) == ["layer0", "layer1", "layer2", "layer3"]
    assert "2 features" in boxes["layer0"]
    assert "dense 16</B>&#160;· relu" in boxes["layer1"] and "W1 16×2 · b1 16" in boxes["layer1"]
    assert "48 parameters" in boxes["layer1"]            # 16·2 + 16
    assert "dense 1</B>&#160;· linear" in boxes["layer3"]
    assert "337 parameters" in src                         # 48 + 272 + 17
    assert len(edges_of(src)) == 3


def test_small_networks_are_drawn_neuron_by_neuron_fully_connected():
    src = draw_network(stand_in([2, 3, 1], ["tanh", "sigmoid"])).source
    circles = re.findall(r"^\s*n\d+_\d+ \[", src, re.M)
    wires = [e for e in edges_of(src) if "invis" not in e[2]]
    assert len(circles) == 2 + 3 + 1 and len(wires) == 2 * 3 + 3 * 1
    assert "hidden 1 · 3 · tanh" in src and "output · 1 · sigmoid" in src


def test_a_network_whose_activations_do_not_match_its_layers_is_refused():
    with pytest.raises(ValueError, match=r"4 layer sizes \[2, 16, 16, 1\] need 3 activations"):
        draw_network(stand_in([2, 16, 16, 1], ["relu"]))


def test_the_real_mlp_is_drawn_with_its_parameter_labels():
    from microgradnn.nn import MLP
    net = MLP([2, 16, 16, 1], ["relu", "relu", "sigmoid"], seed=0)
    src = draw_network(net).source
    assert "W3 1×16 · b3 1" in src and "dense 1</B>&#160;· sigmoid" in src
    assert isinstance(draw_network(net), Drawing)


@needs_dot
def test_the_network_renders_to_svg():
    from microgradnn.nn import MLP
    svg = draw_network(MLP([2, 16, 16, 1], ["relu", "relu", "linear"])).pipe(format="svg",
                                                                             encoding="utf-8")
    assert "337 parameters" in " ".join(svg_texts(svg))
