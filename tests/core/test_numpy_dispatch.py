"""numpy's own functions on Values (NEP 13 ufuncs, NEP 18 functions): they record the Value ops,
with Values or arrays on either side and numpy's keywords and defaults; what is not
differentiated is refused by name; comparisons read the data; and layers written in plain numpy
(CS231n style) run unchanged on Values with PyTorch's gradients.
"""
import numpy as np
import pytest

from microgradnn import Value, gradients, hessian, jacobian
from microgradnn.losses import softmax_cross_entropy

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3))


# --- dispatch: a Value in, a Value out ------------------------------------------------------------

def test_np_dot_of_an_ndarray_and_a_value_is_a_value_not_an_object_array():
    v = Value(np.array([1.0, 2.0, 3.0]))
    y = np.dot(X, v)
    assert isinstance(y, Value)
    np.testing.assert_array_equal(y.data, X @ v.data)
    np.testing.assert_allclose(gradients(y.sum(), [v])[0], X.sum(axis=0))


@pytest.mark.parametrize("f", [np.exp, np.tanh, np.sqrt, np.log, np.abs, np.negative])
def test_a_ufunc_on_a_value_records_the_same_op_as_the_method(f):
    v = Value(np.array([0.5, 2.0]))
    method = {"absolute": "abs"}.get(f.__name__, f.__name__)
    y = f(v)
    assert isinstance(y, Value)
    assert y.op == (getattr(v, method)() if method != "negative" else -v).op


def test_an_ndarray_on_the_left_of_an_operator_gives_a_value():
    v = Value(np.array([1.0, 2.0]))
    for y in (np.ones(2) + v, np.ones(2) * v, np.ones(2) - v, np.ones(2) / v, np.float64(2.0) * v):
        assert isinstance(y, Value)


def test_np_sum_takes_axis_keepdims_and_out_none():
    v = Value(X)
    y = np.sum(v, axis=0, keepdims=True, out=None)
    assert y.shape == (1, 3) and y.op == "sum"


def test_np_var_uses_numpys_default_ddof_0():
    v = Value(X)
    np.testing.assert_allclose(np.var(v, axis=0).data, np.var(X, axis=0))
    np.testing.assert_allclose(np.var(v, ddof=1).data, np.var(X, ddof=1))


def test_ufunc_reduce_and_accumulate_are_sum_max_and_cumsum():
    v = Value(X)
    np.testing.assert_allclose(np.add.reduce(v).data, np.add.reduce(X))
    np.testing.assert_allclose(np.maximum.reduce(v, axis=1).data, X.max(axis=1))
    np.testing.assert_allclose(np.add.accumulate(v, axis=1).data, np.cumsum(X, axis=1))


def test_out_holding_an_array_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"np\.exp: out= cannot receive a Value"):
        np.exp(Value(X), out=np.empty((4, 3)))


def test_an_ndarray_updated_in_place_by_a_value_is_refused():
    a = np.zeros(3)
    with pytest.raises(TypeError, match=r"np\.add: out= cannot receive a Value.*a = a \+ v"):
        a += Value(np.ones(3))


def test_a_dtype_other_than_float64_is_refused():
    with pytest.raises(TypeError, match=r"np\.sum: a Value holds float64; dtype=float32"):
        np.sum(Value(X), dtype=np.float32)


@pytest.mark.parametrize("call, name", [
    (lambda v: np.linalg.svd(v), "np.linalg.svd"),
    (lambda v: np.fft.fft(v), "np.fft.fft"),
    (lambda v: np.einsum("ij->", v), "np.einsum"),
    (lambda v: np.floor(v), "np.floor"),
    (lambda v: np.multiply.outer(v, v), "np.multiply"),
])
def test_a_numpy_function_not_differentiated_is_refused_by_name(call, name):
    with pytest.raises(TypeError, match=rf"^{name.replace('.', '[.]')} is not differentiated"):
        call(Value(X))


# Thirty functions from numpy's public namespace: each one differentiated (a Value whose gradient
# equals central differences of numpy itself) or refused by name.
DIFFERENTIATED = ["sum", "mean", "max", "min", "prod", "var", "std", "cumsum", "exp",
                  "sqrt", "tanh", "sin", "cos", "arctan", "square", "abs", "maximum", "minimum",
                  "clip", "transpose", "ravel", "log2"]
REFUSED = ["log1p", "median", "sort", "cumprod", "floor", "around", "einsum", "trace"]
ARGS = {"maximum": (0.1,), "minimum": (0.1,), "clip": (-0.5, 0.5)}


@pytest.mark.parametrize("name", DIFFERENTIATED + REFUSED)
def test_thirty_numpy_functions_are_each_differentiated_or_refused_by_name(name):
    f = getattr(np, name)
    x = rng.uniform(0.2, 2.0, (2, 3))
    extra = ARGS.get(name, ())
    if name in REFUSED:
        with pytest.raises(TypeError, match=rf"^np\.{name} is not differentiated"):
            f(Value(x), *extra)
        return
    v = Value(x)
    y = f(v, *extra)
    assert isinstance(y, Value)
    np.testing.assert_allclose(y.data, f(x, *extra))
    (g,) = gradients(y.sum(), [v])
    eps, expected = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        expected[i] = (np.sum(f(hi, *extra)) - np.sum(f(lo, *extra))) / (2 * eps)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)


def test_thirty_functions_are_named_in_that_test():
    assert len(set(DIFFERENTIATED + REFUSED)) == 30


# --- comparisons and numpy's attributes -----------------------------------------------------------

def test_comparisons_give_the_datas_booleans_and_equality_stays_identity():
    v = Value(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(v > 0, [False, False, True])
    np.testing.assert_array_equal(v <= 0, [True, True, False])
    assert (Value(2.0) > 0) is True and (Value(2.0) >= Value(3.0)) is False
    assert Value(1.0) != Value(1.0) and len({v, v}) == 1


def test_a_mask_from_a_comparison_selects_with_np_where():
    v = Value(np.array([-1.0, 2.0]))
    y = np.where(v > 0, v, 0.1 * v)
    np.testing.assert_allclose(gradients(y.sum(), [v])[0], [0.1, 1.0])


def test_dtype_ndim_size_and_T_are_numpys():
    v = Value(X)
    assert (v.dtype, v.ndim, v.size, v.T.shape) == (np.dtype("float64"), 2, 12, (3, 4))
    assert (np.shape(v), np.ndim(v), np.size(v)) == ((4, 3), 2, 12)
    assert np.zeros_like(v).shape == (4, 3) and not isinstance(np.zeros_like(v), Value)


# --- what the protocols cannot see ----------------------------------------------------------------

def test_np_array_of_values_is_an_object_array_that_jacobian_stacks():
    np.testing.assert_allclose(jacobian(lambda x: np.array([x, x ** 2, x ** 3]))(0.5),
                               [1.0, 1.0, 0.75])


def test_jacobian_of_a_list_of_values():
    J = jacobian(lambda x: [x.sum(), (x * x).sum()])(np.array([1.0, 2.0]))
    np.testing.assert_allclose(J, [[1.0, 1.0], [2.0, 4.0]])


def test_hessian_through_an_object_array_output_inside():
    H = hessian(lambda x: np.sum(np.array([x[0] * x[1], np.sin(x[0])])))(np.array([0.3, 2.0]))
    np.testing.assert_allclose(H, [[-np.sin(0.3), 1.0], [1.0, 0.0]])


def test_a_loss_accepts_an_object_array_of_values():
    a, b = Value(1.0), Value(2.0)
    loss = softmax_cross_entropy(np.array([[a, b]]), [0])
    loss.backward()
    assert a.grad == pytest.approx(np.exp(1.0) / (np.exp(1.0) + np.exp(2.0)) - 1.0)   # softmax − 1


def test_a_value_written_into_an_ndarray_becomes_a_float():
    out = np.zeros(2)
    out[0] = Value(2.0)
    assert out.dtype == np.float64 and out[0] == 2.0


def test_writing_into_a_value_makes_it_a_constant_and_its_old_uses_are_refused():
    v = Value(np.array([1.0, 2.0]))
    h = v * 2.0
    y = h.sum()
    h[0] = 5.0
    assert not h.requires_grad and h.data[0] == 5.0
    with pytest.raises(RuntimeError, match="had its .data assigned"):
        y.backward()


# --- layers in plain numpy, run unchanged on Values, against PyTorch ------------------------------

torch = pytest.importorskip("torch")
F = torch.nn.functional


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b


def relu_forward(x):
    return np.maximum(0, x)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    return -np.sum(log_probs[np.arange(n), y]) / n


def _grads(f, *arrays):
    vs = [Value(a) for a in arrays]
    out = f(*vs)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    return out.data, gradients(out, vs, seed=seed), seed


def _torch_grads(f, *arrays, seed):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    out.backward(torch.tensor(seed))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("layer, reference, shapes", [
    (affine_forward, lambda x, w, b: x.reshape(x.shape[0], -1) @ w + b, [(4, 2, 3), (6, 5), (5,)]),
    (relu_forward, F.relu, [(4, 5)]),
    (batchnorm_forward, lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
     [(6, 4), (4,), (4,)]),
    (layernorm_forward, lambda x, g, b: F.layer_norm(x, (x.shape[1],), g, b, eps=1e-5),
     [(5, 4), (4,), (4,)]),
], ids=["affine_reshape", "relu_np_maximum", "batchnorm", "layernorm"])
def test_a_plain_numpy_layer_runs_on_values_with_pytorchs_gradients(layer, reference, shapes):
    r = np.random.default_rng(2)
    arrays = [r.standard_normal(s) for s in shapes]
    if layer is relu_forward:
        arrays[0][np.abs(arrays[0]) < 1e-3] = 0.5       # no tie at 0 (½ there, PyTorch's 0)
    out, grads, seed = _grads(layer, *arrays)
    t_out, t_grads = _torch_grads(reference, *arrays, seed=seed)
    np.testing.assert_allclose(out, t_out, rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(grads, t_grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_a_plain_numpy_softmax_loss_with_fancy_indexing_has_cross_entropys_gradient():
    x, y = np.random.default_rng(3).standard_normal((5, 4)) * 3, np.array([0, 3, 1, 1, 2])
    v = Value(x)
    loss = softmax_loss(v, y)
    xt = torch.tensor(x, requires_grad=True)
    t_loss = F.cross_entropy(xt, torch.tensor(y))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(gradients(loss, [v])[0], xt.grad.numpy(), rtol=1e-10, atol=1e-13)
