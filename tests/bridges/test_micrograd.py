"""microgradnn.micrograd: micrograd's own usage patterns, run on microgradnn.

The oracles: PyTorch in float64 (micrograd's test suite uses it the same way), closed forms,
and micrograd 0.1.0 itself when it is installed (the test set-up installs it: the `bench` extra).
"""
import importlib.util
import math
import random
from pathlib import Path

import pytest

import microgradnn
from microgradnn.micrograd import draw_dot, trace
from microgradnn.micrograd.engine import Value
from microgradnn.micrograd.nn import MLP, Layer, Module, Neuron

ROOT = Path(__file__).resolve().parents[2]


# --- micrograd's test/test_engine.py, its two tests, against PyTorch ---

def sanity_check(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def torch_leaf(x):
    torch = pytest.importorskip("torch")
    return torch.tensor([x], dtype=torch.float64, requires_grad=True)


def test_micrograd_sanity_check_matches_pytorch_exactly():
    x, y = sanity_check(Value)
    xt, yt = sanity_check(lambda v: torch_leaf(v))
    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_micrograd_more_ops_matches_pytorch():
    a, b, g = more_ops(Value)
    at, bt, gt = more_ops(lambda v: torch_leaf(v))
    tol = 1e-12        # micrograd's own test allows 1e-6
    assert abs(g.data - gt.item()) < tol
    assert abs(a.grad - at.grad.item()) < tol
    assert abs(b.grad - bt.grad.item()) < tol


def test_micrograd_tests_give_what_micrograd_gives():
    mg = pytest.importorskip("micrograd.engine")
    for ours, theirs in zip(more_ops(Value), more_ops(mg.Value)):
        assert ours.data == pytest.approx(theirs.data, rel=1e-14)
        assert ours.grad == pytest.approx(theirs.grad, rel=1e-14)


def test_the_readme_example_prints_what_micrograd_promises():
    a, b, g = more_ops(Value)
    assert (f"{g.data:.4f}", f"{a.grad:.4f}", f"{b.grad:.4f}") == ("24.7041", "138.8338", "645.5773")


# --- the lecture: one neuron, by hand and by backward() ---

def lecture_neuron(composite_tanh: bool):
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1 = x1*w1; x1w1.label = 'x1*w1'
    x2w2 = x2*w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    if composite_tanh:
        e = (2*n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.label = 'o'
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n)


def test_lecture_neuron_gradients_are_the_closed_form():
    o, v = lecture_neuron(composite_tanh=False)
    o.backward()
    dn = 1 - math.tanh(v["n"].data) ** 2        # do/dn = 1 − tanh²(n)
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert v["x1"].grad == pytest.approx(dn * -3.0) and v["w1"].grad == pytest.approx(dn * 2.0)
    assert v["x2"].grad == pytest.approx(dn * 1.0) and v["w2"].grad == 0.0


def test_manual_backward_steps_give_the_same_grads_as_backward():
    o, v = lecture_neuron(composite_tanh=False)
    o.grad = 1.0
    o._backward()
    v["n"]._backward()
    v["b"]._backward()                # a leaf: nothing to do, as in micrograd
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    manual = {k: x.grad for k, x in v.items()}
    o2, v2 = lecture_neuron(composite_tanh=False)
    o2.backward()
    assert manual == {k: x.grad for k, x in v2.items()}


def test_manual_steps_in_topological_order_equal_backward_on_the_composite_tanh():
    o, v = lecture_neuron(composite_tanh=True)
    o.grad = 1.0
    for node in reversed(microgradnn.engine.walk(o)):     # newest first: a topological order
        node._backward()
    manual = {k: x.grad for k, x in v.items()}
    o2, v2 = lecture_neuron(composite_tanh=True)
    o2.backward()
    assert manual == pytest.approx({k: x.grad for k, x in v2.items()}, rel=1e-14)


def test_composite_tanh_and_tanh_agree():
    (o1, v1), (o2, v2) = lecture_neuron(False), lecture_neuron(True)
    o1.backward(); o2.backward()
    assert o1.data == pytest.approx(o2.data, rel=1e-12)
    assert v1["w1"].grad == pytest.approx(v2["w1"].grad, rel=1e-9)


# --- what micrograd code reads on a node ---

def test_op_strings_are_micrograds():
    a, b = Value(3.0), Value(-2.0)
    got = {"+": a + b, "*": a * b, "**2": a ** 2, "**-1": a ** -1, "ReLU": a.relu(),
           "tanh": a.tanh(), "exp": a.exp(), "/": a / b, "-": a - b}
    assert {k: v._op for k, v in got.items()} == {k: k for k in got}
    assert not a._op                  # a leaf's op is empty (None here, '' in micrograd)


def test_prev_is_the_set_of_children():
    a, b = Value(3.0), Value(-2.0)
    c = a * b
    assert c._prev == {a, b} and isinstance(c._prev, set)
    assert (a + a)._prev == {a}       # a set, as in micrograd (the engine still counts a twice)
    assert a._prev == set()


def test_numbers_are_wrapped_as_constant_values_of_the_same_class():
    a = Value(3.0)
    for c in (a + 2, 2 + a, 2 * a, a - 1, 1 - a, a / 4, 4 / a):
        assert all(type(p) is Value for p in c._prev)


def test_results_are_micrograd_values_and_microgradnn_values():
    c = Value(1.0) * 2 + Value(0.5).tanh()
    assert type(c) is Value and isinstance(c, microgradnn.Value)


def test_repr_is_micrograds():
    a = Value(2.0)
    (a * a).backward()
    assert repr(a) == "Value(data=2.0, grad=4.0)"


def test_label_is_a_constructor_argument_and_an_attribute():
    a = Value(1.0, label="a")
    b = Value(1.0, (), "", "b")
    a.label = "renamed"
    assert (a.label, b.label) == ("renamed", "b")


def test_a_node_built_by_hand_keeps_its_children_and_op_string():
    a, b = Value(1.0), Value(2.0)
    c = Value(5.0, (a, b), "+")
    assert c._prev == {a, b} and c._op == "+" and c.data == 5.0


def test_a_node_built_by_hand_without_a_closure_passes_no_gradient():
    a = Value(2.0)
    c = Value(4.0, (a,), "sq")
    (c * 3).backward()
    assert a.grad == 0.0 and c.grad == 3.0


def _cube(x):
    """micrograd's way to add an op: the node by hand, then its _backward closure."""
    out = Value(x.data ** 3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data ** 2 * out.grad
    out._backward = _backward
    return out


def test_a_backward_closure_on_a_hand_made_node_gives_micrographs_gradients():
    x = Value(-1.5)
    y = (_cube(x) * x).tanh()            # d/dx tanh(x⁴) = (1 − tanh²(x⁴))·4x³
    y.backward()
    want = (1 - math.tanh(x.data ** 4) ** 2) * 4 * x.data ** 3
    assert math.isclose(x.grad, want, rel_tol=1e-12)


def test_a_closure_node_with_the_same_child_twice_counts_it_once():
    x = Value(3.0)
    out = Value(x.data * x.data, (x, x), "*")

    def _backward():
        x.grad += x.data * out.grad
        x.grad += x.data * out.grad
    out._backward = _backward
    out.backward()
    assert x.grad == 6.0


def test_a_closure_node_works_with_gradients_and_the_trace():
    from microgradnn import gradients
    x = Value(0.5, label="x")
    y = _cube(x)
    assert gradients(y, [x]) == [3 * 0.25]
    trace = y.backward(explain=True)
    assert [(r.op, r.formula) for r in trace.rows] == [("cube", "closure")]


def test_create_graph_through_a_closure_node_is_refused():
    x = Value(0.5)
    with pytest.raises(TypeError, match="made by hand.*works on numbers"):
        _cube(x).backward(create_graph=True)


def test_a_backward_closure_cannot_replace_an_operators_step():
    c = Value(1.0) * 2
    with pytest.raises(TypeError, match="made by the operator '\\*'"):
        c._backward = lambda: None


def test_math_functions_refuse_a_value_as_micrograd_does():
    with pytest.raises(TypeError, match="cut the graph"):
        math.exp(Value(1.0))


def test_grads_of_a_second_backward_add_one_more_gradient():
    # micrograd re-propagates the grads its intermediate nodes kept (3x here); PyTorch and
    # microgradnn add the same gradient again (2x): docs/micrograd.md says so.
    x = Value(1.0)
    y = (x * 2) * 3
    y.backward(); y.backward()
    assert x.grad == 12.0


# --- microgradnn works on them ---

def test_draw_graph_and_explained_backward_work_on_them():
    o, v = lecture_neuron(composite_tanh=False)
    trace_ = o.backward(explain=True)
    assert len(trace_.rows) == 9                  # one chain-rule step per (node, input) pair
    assert trace_.rows[0].node == "o" and trace_.rows[0].op == "tanh"
    assert "x1*w1 + x2*w2" in microgradnn.draw_graph(o).source


def test_hessian_through_micrograd_ops_is_the_closed_form():
    h = microgradnn.hessian(lambda x: (Value(2.0) * x).tanh())(0.3)
    t = math.tanh(0.6)
    assert float(h) == pytest.approx(-8 * t * (1 - t * t), rel=1e-12)   # d²/dx² tanh(2x)


def test_grad_of_a_micrograd_function_is_the_closed_form():
    assert microgradnn.grad(lambda x: (x * Value(3.0)).exp())(0.1) == pytest.approx(
        3 * math.exp(0.3), rel=1e-14)


def test_detect_anomaly_names_the_op():
    with pytest.raises(FloatingPointError, match="log produced"):
        with microgradnn.detect_anomaly():
            Value(-1.0).log()


def test_a_10000_deep_chain_backpropagates():
    x = Value(0.5)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)


# --- draw_dot, the lecture's drawing ---

def test_draw_dot_draws_a_record_per_value_and_a_node_per_op():
    o, v = lecture_neuron(composite_tanh=False)
    o.backward()
    src = draw_dot(o).source
    for name in ("x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"):
        assert f"{{ {name} | data " in src
    assert src.count("shape=record") == 10
    assert src.count('label="*"') == 2 and src.count('label="+"') == 2 \
        and src.count('label=tanh') == 1
    assert src.count("->") == 5 + 9          # op → result, and input → op


def test_draw_dot_is_the_same_text_every_time():
    assert draw_dot(lecture_neuron(False)[0]).source == draw_dot(lecture_neuron(False)[0]).source


def test_draw_dot_renders_svg():
    pytest.importorskip("graphviz")
    import shutil
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    svg = draw_dot(lecture_neuron(False)[0]).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "tanh" in svg


def test_trace_gives_nodes_and_edges():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    nodes, edges = trace(c)
    assert nodes == {a, b, c} and edges == {(a, c), (b, c)}


def test_draw_dot_rejects_tensors():
    with pytest.raises(TypeError, match="draw_dot: draws scalar Values"):
        draw_dot(microgradnn.Value([1.0, 2.0]).sum())


# --- nn: micrograd's nn.py rules ---

def test_neuron_draws_uniform_weights_in_order_and_a_zero_bias():
    random.seed(5)
    n = Neuron(3)
    random.seed(5)
    assert [w.data for w in n.w] == [random.uniform(-1, 1) for _ in range(3)]
    assert n.b.data == 0.0 and n.nonlin


def test_relu_on_every_layer_but_the_last_and_micrograds_reprs():
    model = MLP(2, [3, 1])
    assert repr(model) == ("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], "
                           "Layer of [LinearNeuron(3)]]")
    assert isinstance(model, Module) and all(isinstance(l, Layer) for l in model.layers)


def test_a_layer_of_one_neuron_returns_a_value():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    assert len(Layer(2, 3)([1.0, 2.0])) == 3


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_mlp_with_a_bad_nouts_says_what_it_expects():
    with pytest.raises(TypeError, match=r"nouts must be a list of layer sizes, as in MLP\(2, \[16, 16, 1\]\)"):
        MLP(2, 16)


def test_a_neuron_with_the_wrong_number_of_inputs_says_so():
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])


def _demo():
    spec = importlib.util.spec_from_file_location("micrograd_demo",
                                                  ROOT / "benchmarks" / "micrograd_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seeded_network_has_micrograds_weights():
    mg = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = mg.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)


def test_seeded_demo_training_matches_micrograd_step_by_step():
    pytest.importorskip("sklearn")
    mg, mg_engine = pytest.importorskip("micrograd.nn"), pytest.importorskip("micrograd.engine")
    demo = _demo()
    X, y = demo.moons()
    X, y = X[:20], y[:20]           # micrograd's loop on a fifth of the moons: seconds, not minutes
    ours, theirs = demo.run({"ours": (Value, MLP), "micrograd": (mg_engine.Value, mg.MLP)},
                            3, X, y).values()
    ours, theirs = ours[0], theirs[0]             # the losses of each step
    assert ours == pytest.approx(theirs, abs=1e-12, rel=0)
    assert ours[-1] < ours[0]      # it trains: the parameters persist and are stepped in place


def test_parameters_persist_and_a_step_changes_the_output():
    random.seed(0)
    model = MLP(2, [4, 1])
    x = [0.5, -0.2]
    before = model(x)
    ((before - 3.0) ** 2).backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    after = model(x)
    assert (after.data - 3.0) ** 2 < (before.data - 3.0) ** 2


def test_microgradnn_values_and_micrograd_values_mix_either_way():
    core, mine = microgradnn.Value(2.0), Value(3.0)
    y = core * mine + mine * core
    y.backward()
    assert (core.grad, mine.grad) == (6.0, 4.0)


def test_the_lectures_own_draw_dot_runs_on_them():
    graphviz = pytest.importorskip("graphviz")

    # trace and draw_dot as the lecture writes them (recursive, id()-named): they read
    # ._prev, ._op as a string, .label, .data and .grad
    def lecture_trace(root):
        nodes, edges = set(), set()

        def build(v):
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)
        build(root)
        return nodes, edges

    def lecture_draw_dot(root):
        dot = graphviz.Digraph(format='svg', graph_attr={'rankdir': 'LR'})
        nodes, edges = lecture_trace(root)
        for n in nodes:
            uid = str(id(n))
            dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),
                     shape='record')
            if n._op:
                dot.node(name=uid + n._op, label=n._op)
                dot.edge(uid + n._op, uid)
        for n1, n2 in edges:
            dot.edge(str(id(n1)), str(id(n2)) + n2._op)
        return dot

    o, _ = lecture_neuron(composite_tanh=True)
    o.backward()
    src = lecture_draw_dot(o).source
    assert src.count("shape=record") == len(microgradnn.engine.walk(o))
    for op in ("exp", "/", "-", "+", "*"):
        assert f'label="{op}"' in src or f"label={op}" in src


# --- the differences docs/micrograd.md lists ---

def test_a_power_keeps_its_exponent_as_a_constant_input():
    x = Value(3.0)
    y = x ** 2
    (exponent,) = y._prev - {x}
    assert exponent.data == 2.0 and not exponent.requires_grad
    y.backward()
    assert x.grad == 6.0 and exponent.grad == 0.0


def test_numbers_in_expressions_are_constants_without_gradient():
    x = Value(3.0)
    y = x * 5
    assert all(not c.requires_grad for c in y._prev - {x})


def test_data_is_always_a_float():
    v = Value(2)
    assert type(v.data) is float and v.grad == 0.0


def test_division_is_one_node_rounding_like_pytorch():
    torch = pytest.importorskip("torch")
    a, b = 0.1, 0.3
    y = Value(a) / Value(b)
    assert y._op == "/" and len(y._prev) == 2
    assert y.data == (torch.tensor(a, dtype=torch.float64) / torch.tensor(b, dtype=torch.float64)).item()
