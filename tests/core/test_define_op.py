"""define_op makes a first-class op: values, gradients, second derivatives, its name and formula
wherever ops are shown — checked on softplus, whose VJP is σ(x)."""
import numpy as np
import pytest

from microgradnn import Value, define_op, draw_graph, grad, sigmoid
from oracles import central_differences

softplus = define_op("softplus", lambda x: np.logaddexp(0.0, x),
                     [lambda g, out, x: g * sigmoid(x)], ["σ({a})"])


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_a_defined_op_computes_its_forward_on_scalars_and_tensors():
    assert softplus(Value(0.5)).data == pytest.approx(_softplus(0.5), abs=1e-15)
    assert type(softplus(Value(0.5)).data) is float
    x = np.array([[-30.0, 0.0], [2.0, 800.0]])
    np.testing.assert_allclose(softplus(Value(x)).data, _softplus(x), rtol=1e-15)


def test_a_defined_ops_gradient_equals_central_differences():
    x = np.array([-3.0, -0.2, 0.0, 1.5, 4.0])
    v = Value(x)
    softplus(v).sum().backward()
    np.testing.assert_allclose(v.grad, central_differences(_softplus, [x])[0], rtol=1e-7)


def test_a_defined_ops_second_derivative_comes_from_its_value_aware_vjp():
    # softplus'' = σ(x)(1 − σ(x)); the VJP is written with microgradnn.sigmoid, so it is recorded
    for x in (-2.0, 0.0, 0.7, 3.0):
        s = 1 / (1 + np.exp(-x))
        assert grad(grad(lambda v: softplus(v)))(x) == pytest.approx(s * (1 - s), rel=1e-12)


def test_a_defined_op_matches_pytorch_to_second_order():
    torch = pytest.importorskip("torch")
    x = np.linspace(-4, 4, 9)
    t = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(torch.nn.functional.softplus(t).sum(), t, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), t)
    v = Value(x)
    softplus(v).sum().backward(create_graph=True)
    np.testing.assert_allclose(v.grad.data, g.detach().numpy(), rtol=1e-13)
    v.grad.sum().backward()
    assert v.grad is not None


def test_explain_names_the_defined_op_and_shows_its_formula():
    x = Value(0.5, label="x")
    y = softplus(x)
    y.label = "y"
    rows = y.backward(explain=True).rows
    assert [(r.node, r.op, r.input, r.formula) for r in rows] == [("y", "softplus", "x", "σ(x)")]
    assert rows[0].local == pytest.approx(1 / (1 + np.exp(-0.5)))


def test_a_drawing_names_the_defined_op_and_its_formula():
    x = Value(0.5, label="x")
    y = softplus(x)
    y.backward()
    dot = draw_graph(y, edge_labels="local").source
    assert "softplus" in dot and "σ(x)" in dot


def test_a_defined_op_takes_numbers_and_arrays_as_constants():
    y = softplus(0.0)
    assert y.data == pytest.approx(np.log(2.0)) and not y.requires_grad


@pytest.mark.parametrize("args, error, words", [
    (("soft plus", lambda x: x, [lambda g, out, x: g]), ValueError, "identifier"),
    (("f", 3, [lambda g, out, x: g]), TypeError, "must be functions"),
    (("f", lambda x: x, []), TypeError, "must be functions"),
])
def test_define_op_refuses_what_cannot_be_an_op(args, error, words):
    with pytest.raises(error, match=words):
        define_op(*args)


def test_a_defined_op_refuses_the_wrong_number_of_inputs():
    with pytest.raises(TypeError, match="softplus: takes 1 input"):
        softplus(Value(1.0), Value(2.0))


def test_one_formula_per_input_is_required():
    with pytest.raises(ValueError, match="1 VJPs but 2 formulas"):
        define_op("f", lambda x: x, [lambda g, out, x: g], ["1", "2"])


def test_a_forward_that_returns_no_numbers_is_named_by_its_op():
    bad = define_op("bad", lambda x: "oops", [lambda g, out, x: g], ["1"])
    with pytest.raises(ValueError, match="bad: cannot apply to scalar"):
        bad(Value(1.0))
