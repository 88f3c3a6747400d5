"""microgradnn.compile: a recorded graph written as numpy source equals autodiff, reads as BP1–BP4
for a dense network, and refuses what it cannot replay."""
import ast
import json
import subprocess
import sys

import numpy as np
import pytest

import microgradnn
from microgradnn import Value, define_op, sigmoid
from microgradnn.losses import network_loss
from microgradnn.nn import MLP
from microgradnn.optim import SGD

EXACT = 1e-12
CASES = [  # (activations, loss): every activation and every loss of the MLP
    (["sigmoid", "sigmoid"], "quadratic"),
    (["tanh", "linear"], "quadratic"),
    (["relu", "softmax"], "quadratic"),
    (["relu", "softmax"], "cross_entropy"),
    (["tanh", "sigmoid"], "bce"),
]


def _targets(loss, rng, n, k):
    if loss == "cross_entropy":
        return rng.integers(0, k, n)
    y = rng.random((n, k))
    return (y > 0.5).astype(float) if loss == "bce" else y


def _graph_target(loss_value):
    """The targets as the loss node holds them (one-hot rows for the cross-entropy)."""
    return loss_value.parents[1].data


@pytest.mark.parametrize("activations, loss", CASES)
def test_compiled_mlp_equals_autodiff_on_new_batches_after_sgd_steps(activations, loss):
    rng = np.random.default_rng(0)
    net = MLP([3, 6, 4], activations, seed=1)
    net(rng.standard_normal((5, 3)))
    f = microgradnn.compile(network_loss(net, _targets(loss, rng, 5, 4), loss), ["x", "y"])
    opt = SGD(net.parameters(), lr=0.5)
    for _ in range(3):
        x, y = rng.standard_normal((5, 3)), _targets(loss, rng, 5, 4)
        net(x)
        reference = network_loss(net, y, loss)
        opt.zero_grad()
        reference.backward()
        expected = [p.grad.copy() for p in net.parameters()]
        opt.zero_grad()
        value = f(x, _graph_target(reference))
        assert abs(value - reference.data) <= EXACT
        for p, g in zip(net.parameters(), expected):
            assert np.max(np.abs(p.grad - g)) <= EXACT, p.label
        opt.step()


def test_a_scalar_graph_of_every_elementwise_op_equals_backward_on_new_numbers():
    a, b, c = Value(0.7, label="a"), Value(-1.3, label="b"), Value(2.0, label="c")
    w = Value(0.4, label="w")

    def build():
        u = (a * w + b / c - (-a)) ** 2.0
        v = (u.sqrt() + (a - b).abs() + c.log() + (b * w).exp()).tanh()
        return v * (a * w).sigmoid() + (a * b).relu() + a.maximum(b) + c ** w

    f = microgradnn.compile(build(), inputs=[a, b, c])
    for numbers in [(0.3, -0.2, 1.5), (1.1, 0.9, 3.0), (-0.4, -2.0, 0.5)]:
        value = f(*numbers)
        got = [v.grad for v in (a, b, c, w)]
        for v, number in zip((a, b, c), numbers):
            v.data = number
        out = build()
        for v in (a, b, c, w):
            v.grad = None
        out.backward()
        assert abs(value - out.data) <= EXACT
        assert all(type(g) is float for g in got)
        for v, g in zip((a, b, c, w), got):
            assert abs(g - v.grad) <= EXACT, v.label


def test_the_trigonometric_and_hyperbolic_ops_compile_to_what_backward_gives():
    x = Value(np.array([0.3, -0.6, 0.9]), label="x")

    def build():
        return (np.sin(x) * np.cos(x) + np.tan(x) + np.arcsin(x) + np.arccos(x) * np.arctan(x)
                + np.sinh(x) * np.cosh(x) + np.square(x) + np.sign(x) * x).sum()

    f = microgradnn.compile(build(), inputs=[x])
    for numbers in (np.array([0.1, 0.2, -0.3]), np.array([-0.7, 0.5, 0.05])):
        value, got = f(numbers), x.grad.copy()
        x.data = numbers
        x.grad = None
        out = build()
        out.backward()
        assert abs(value - out.data) <= EXACT
        np.testing.assert_allclose(got, x.grad, rtol=0, atol=EXACT)


def test_a_tensor_graph_with_broadcasting_equals_backward():
    rng = np.random.default_rng(2)
    x = Value(rng.standard_normal((3, 4)), label="x", requires_grad=False)
    w = Value(rng.standard_normal(4), label="w")
    b = Value(rng.standard_normal((3, 1)), label="b")
    s = Value(0.5, label="s")
    M = Value(rng.standard_normal((4, 2)), label="M")

    def build():
        h = (x * w + b).tanh() * s                      # (3, 4): w, b and s broadcast
        m = (h @ M).T.reshape(6, 1).max(axis=1)         # matmul, transpose, reshape, max
        return (m * 2.0).sum() + h.sum(axis=0, keepdims=True).mean() + (h - b).sum(axis=1).sum()

    f = microgradnn.compile(build(), inputs=[x])
    for _ in range(2):
        new = rng.standard_normal((3, 4))
        value = f(new)
        got = {v.label: np.copy(v.grad) for v in (w, b, s, M)}
        x.data = new
        out = build()
        for v in (w, b, s, M):
            v.grad = None
        out.backward()
        assert abs(value - out.data) <= EXACT
        for v in (w, b, s, M):
            assert np.shape(got[v.label]) == np.shape(v.data)
            assert np.max(np.abs(got[v.label] - v.grad)) <= EXACT, v.label


def _mlp_loss(layers=(2, 5, 1), activations=("tanh", "sigmoid"), batch=4):
    rng = np.random.default_rng(0)
    net = MLP(list(layers), list(activations), seed=0)
    net(rng.standard_normal((batch, layers[0])))
    return net, network_loss(net, rng.random((batch, layers[-1])), "quadratic")


def test_the_source_of_an_mlp_is_numpy_only_python_naming_its_layers_and_bp1_to_bp4():
    _, loss = _mlp_loss()
    source = microgradnn.compile(loss, ["x", "y"]).source
    tree = ast.parse(source)
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
    free = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - \
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - \
        {a.arg for a in tree.body[0].args.args}
    assert free == {"np"}
    for name in ("z1", "a1", "z2", "a2", "delta1", "delta2", "dW1", "db1", "dW2", "db2"):
        assert f" {name} = " in source, name
    for equation in ("BP1", "BP2", "BP3", "BP4"):
        assert equation in source
    assert len(source.splitlines()) < 30           # a 2-5-1 network: a few dozen lines at most


def test_one_line_per_op_and_one_per_gradient_step():
    _, loss = _mlp_loss()
    source = microgradnn.compile(loss, ["x", "y"]).source
    forward = source.split("# backward")[0]
    assert forward.count(" = ") == 5               # affine, tanh, affine, sigmoid, quadratic


def test_the_source_runs_where_microgradnn_cannot_be_imported():
    net, loss = _mlp_loss()
    f = microgradnn.compile(loss, ["x", "y"])
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 2)), rng.random((4, 1))
    value = f(x, y)
    params = [p.data.tolist() for p in (net.weights[0], net.weights[1], net.biases[0],
                                        net.biases[1])]
    script = (
        "import json, sys\n"
        "sys.modules['microgradnn'] = None\n"       # import microgradnn raises ImportError
        "import numpy as np\n"
        "args = [np.array(a) for a in json.loads(sys.stdin.readline())]\n"
        "namespace = {'np': np}\n"
        "exec(sys.stdin.read(), namespace)\n"
        f"out, grads, _ = namespace[{f.name!r}](*args)\n"
        "print(json.dumps([float(out)] + [g.tolist() for g in grads]))\n")
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                          input=json.dumps([x.tolist(), y.tolist(), *params]) + "\n" + f.source,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    out, *grads = json.loads(done.stdout)
    assert abs(out - value) <= EXACT
    for g, p in zip(grads, (net.weights[0], net.weights[1], net.biases[0], net.biases[1])):
        assert np.max(np.abs(np.array(g) - p.grad)) <= EXACT


def test_parameter_updates_in_place_and_by_assignment_are_seen():
    w = Value(np.array([1.0, 2.0]), label="w")
    x = Value(np.array([3.0, 4.0]), label="x", requires_grad=False)
    f = microgradnn.compile((w * x).sum(), [x])
    w.data += 1.0
    assert f(np.array([1.0, 1.0])) == 5.0
    w.data = np.array([10.0, 0.0])
    assert f(np.array([1.0, 1.0])) == 10.0
    assert w.grad.tolist() == [1.0, 1.0]


def test_also_returns_more_values_of_the_graph():
    net, loss = _mlp_loss()
    f = microgradnn.compile(loss, ["x", "y"], also=[net["a2"]])
    x = np.zeros((4, 2))
    value, out = f(x, np.zeros((4, 1)))
    assert out.shape == (4, 1) and np.allclose(out, net(x).data)


def test_an_op_made_with_define_op_is_compiled_as_a_call_of_its_own_functions():
    softplus = define_op("softplus", lambda x: np.logaddexp(0.0, x),
                         [lambda g, out, x: g * sigmoid(x)], ["σ({a})"])
    x = Value(np.array([-1.0, 0.5]), label="x", requires_grad=False)
    w = Value(np.array([2.0, 3.0]), label="w")
    f = microgradnn.compile(softplus(x * w).sum(), [x])
    assert "softplus(" in f.source and "softplus_vjp_a(" in f.source
    value = f(np.array([0.2, -0.4]))
    got = w.grad.copy()
    x.data = np.array([0.2, -0.4])
    out = softplus(x * w).sum()
    w.grad = None
    out.backward()
    assert abs(value - out.data) <= EXACT and np.max(np.abs(got - w.grad)) <= EXACT


# --- refusals ---

def test_a_wrong_number_of_inputs_is_refused_naming_them():
    _, loss = _mlp_loss()
    f = microgradnn.compile(loss, ["x", "y"])
    with pytest.raises(TypeError, match=r"takes 2 input\(s\) \(x, y\), got 1"):
        f(np.zeros((4, 2)))


def test_an_input_of_another_shape_is_refused_naming_the_shape():
    _, loss = _mlp_loss()
    f = microgradnn.compile(loss, ["x", "y"])
    with pytest.raises(ValueError, match=r"x has shape \(7, 2\).*recorded with shape \(4, 2\)"):
        f(np.zeros((7, 2)), np.zeros((4, 1)))


def test_an_op_without_source_is_refused_by_name():
    x = Value(np.arange(4.0), label="x")
    with pytest.raises(ValueError, match="the op 'cumsum' has no numpy source"):
        microgradnn.compile(np.cumsum(x).sum(), [])


@pytest.mark.parametrize("index", [
    1, slice(1, None), (slice(None), 0), [0, 2, 2], (np.array([1, 0, 1]), slice(None, 2)),
    np.array([True, False, True]), Ellipsis, (None, 1)])
def test_indexing_and_its_scatter_compile_and_equal_backward(index):
    rng = np.random.default_rng(0)
    x = Value(rng.standard_normal((3, 4)), label="x")
    w = Value(rng.standard_normal((3, 4)), label="w")
    picked = (x * w)[index]
    loss = (picked * picked).sum() + picked.scatter_add(index, (3, 4)).tanh().sum()
    f = microgradnn.compile(loss, ["x"])
    x2 = rng.standard_normal((3, 4))
    value, compiled = f(x2), w.grad.copy()
    x.data = x2
    w.grad = None
    picked = (x * w)[index]
    reference = (picked * picked).sum() + picked.scatter_add(index, (3, 4)).tanh().sum()
    reference.backward()
    assert value == reference.data and np.array_equal(compiled, w.grad)


@pytest.mark.parametrize("inputs, error, words", [
    (["nothing"], ValueError, "no leaf of the graph is labelled 'nothing'"),
    ([3.0], TypeError, "input 0 is a float"),
    ("x", TypeError, "inputs must be a list"),
    (["x", "x"], ValueError, "listed twice"),
])
def test_inputs_that_are_not_leaves_of_the_graph_are_refused(inputs, error, words):
    _, loss = _mlp_loss()
    with pytest.raises(error, match=words):
        microgradnn.compile(loss, inputs)


def test_an_op_node_given_as_input_is_refused():
    net, loss = _mlp_loss()
    with pytest.raises(ValueError, match="is not a leaf of the output's graph"):
        microgradnn.compile(loss, [net["z1"]])


def test_an_output_with_more_than_one_element_is_refused():
    w = Value(np.ones(3))
    with pytest.raises(ValueError, match=r"the output has shape \(3,\)"):
        microgradnn.compile(w * 2.0, [])


def test_an_output_without_gradients_is_refused():
    x = Value(1.0, requires_grad=False)
    with pytest.raises(ValueError, match="does not depend on anything that requires a gradient"):
        microgradnn.compile(x * 2.0, [])
