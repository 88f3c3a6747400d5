"""Every op against a plain-numpy reference forward: values equal numpy's, gradients equal central
differences of the numpy forward (never the library's own forward), on scalars, vectors, matrices.

The reference forwards are written out here in numpy; the library's ``Value`` methods are only
ever the thing being checked. PyTorch comparisons of every tensor op (broadcast_to and
scatter_add included) sit on top.
"""
import numpy as np
import pytest

from microgradnn import Value
from oracles import central_differences, np_sigmoid, np_softmax

pos = lambda shape, rng: rng.uniform(0.5, 2.0, shape)
anyv = lambda shape, rng: rng.uniform(-2.0, 2.0, shape)
away = lambda shape, rng: rng.choice([-1, 1], shape) * rng.uniform(0.3, 2.0, shape)  # |x| >= 0.3


# name, the op on Values, the same in numpy, input generators
ELEMENTWISE = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, (anyv, anyv)),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, (anyv, anyv)),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, (anyv, anyv)),
    ("div", lambda a, b: a / b, lambda a, b: a / b, (anyv, away)),
    ("pow_const", lambda a: a ** 3, lambda a: a ** 3, (anyv,)),
    ("pow_frac", lambda a: a ** 0.5, np.sqrt, (pos,)),
    ("pow_value", lambda a, b: a ** b, np.power, (pos, anyv)),
    ("rpow", lambda a: 2.0 ** a, lambda a: np.power(2.0, a), (anyv,)),
    ("neg", lambda a: -a, np.negative, (anyv,)),
    ("rsub_rdiv", lambda a: 1.0 - 2.0 / a, lambda a: 1.0 - 2.0 / a, (away,)),
    ("exp", lambda a: a.exp(), np.exp, (anyv,)),
    ("log", lambda a: a.log(), np.log, (pos,)),
    ("tanh", lambda a: a.tanh(), np.tanh, (anyv,)),
    ("sigmoid", lambda a: a.sigmoid(), np_sigmoid, (anyv,)),
    ("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0.0), (away,)),
    ("abs", lambda a: a.abs(), np.abs, (away,)),
]

M = np.arange(12.0).reshape(3, 4) / 7 - 0.5          # fixed weights that break symmetries

TENSOR = [  # name, op on Values, numpy, input shape
    ("sum_all", lambda a: a.sum(), np.sum, (3, 4)),
    ("sum_axis0", lambda a: a.sum(axis=0), lambda a: a.sum(axis=0), (3, 4)),
    ("sum_axis1_keepdims", lambda a: a.sum(axis=1, keepdims=True),
     lambda a: a.sum(axis=1, keepdims=True), (3, 4)),
    ("sum_axes_tuple", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), (2, 3, 4)),
    ("mean_axis_neg1", lambda a: a.mean(axis=-1), lambda a: a.mean(axis=-1), (3, 4)),
    ("max_axis0", lambda a: a.max(axis=0), lambda a: a.max(axis=0), (3, 4)),
    ("max_all", lambda a: a.max(), np.max, (3, 4)),
    ("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), (3, 4)),
    ("T", lambda a: a.T, lambda a: a.T, (3, 4)),
    ("transpose_axes", lambda a: a.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1), (2, 3, 4)),
    ("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], (3, 4)),
    ("getitem_repeats", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], (3, 4)),
    ("getitem_pairs", lambda a: a[[0, 1, 1], [3, 2, 2]], lambda a: a[[0, 1, 1], [3, 2, 2]], (3, 4)),
    ("matmul_right", lambda a: a @ M, lambda a: a @ M, (2, 3)),
    ("matmul_left", lambda a: M @ a, lambda a: M @ a, (4, 2)),
    ("matmul_self", lambda a: a @ a.T, lambda a: a @ a.T, (3, 4)),
    ("matmul_batched", lambda a: a @ M, lambda a: a @ M, (2, 5, 3)),
    ("linear", lambda a: a.linear(Value(M, requires_grad=False)), lambda a: a @ M.T, (2, 4)),
    ("softmax", lambda a: a.softmax(), np_softmax, (3, 4)),
    ("softmax_axis0", lambda a: a.softmax(axis=0), lambda a: np_softmax(a, axis=0), (3, 4)),
    ("log_softmax", lambda a: a.log_softmax(), lambda a: np.log(np_softmax(a)), (3, 4)),
    ("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)),
     (3, 1)),
    ("scatter_add", lambda a: a.scatter_add([0, 2, 0], (4, 2)),
     lambda a: _np_scatter_add(a, [0, 2, 0], (4, 2)), (3, 2)),
]


def _np_scatter_add(a, index, shape):
    out = np.zeros(shape)
    np.add.at(out, index, a)
    return out


def _check(fn, np_fn, xs, seed):
    """Values equal numpy's; gradients of Σ U ⊙ f equal central differences of numpy's f."""
    expected = np.asarray(np_fn(*xs), dtype=float)
    u = np.random.default_rng(seed).standard_normal(expected.shape)
    vs = [Value(x if x.ndim else float(x)) for x in xs]
    out = fn(*vs)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)
    (out * u).sum().backward()
    numeric = central_differences(lambda *a: np_fn(*a) * u, xs)   # numpy's f, not ours
    for v, n in zip(vs, numeric):
        np.testing.assert_allclose(v.grad, n, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, fn, np_fn, gens", ELEMENTWISE, ids=[c[0] for c in ELEMENTWISE])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=["scalar", "vector", "matrix"])
def test_elementwise_op_matches_numpy_forward_and_its_finite_differences(name, fn, np_fn, gens,
                                                                         shape):
    rng = np.random.default_rng(len(name) + len(shape))
    xs = [np.asarray(g(shape, rng), dtype=float) for g in gens]
    _check(fn, np_fn, xs, seed=len(name))


@pytest.mark.parametrize("name, fn, np_fn, gens", ELEMENTWISE[:4], ids=[c[0] for c in ELEMENTWISE[:4]])
def test_binary_op_broadcasting_matches_numpy(name, fn, np_fn, gens):
    rng = np.random.default_rng(3)
    xs = [np.asarray(gens[0]((2, 1, 3), rng)), np.asarray(gens[1]((4, 1), rng))]
    _check(fn, np_fn, xs, seed=4)


@pytest.mark.parametrize("name, fn, np_fn, shape", TENSOR, ids=[c[0] for c in TENSOR])
def test_tensor_op_matches_numpy_forward_and_its_finite_differences(name, fn, np_fn, shape):
    x = np.random.default_rng(len(name)).uniform(-2, 2, shape)
    _check(fn, np_fn, [x], seed=len(name) + 1)


# --- PyTorch on top: every tensor op above, values and gradients ----------------------------

def _torch_spelling(torch):
    """Each TENSOR entry written for PyTorch float64 (ties in max share the gradient: amax)."""
    M_ = torch.tensor(M)
    return {
        "sum_all": lambda a: a.sum(), "sum_axis0": lambda a: a.sum(dim=0),
        "sum_axis1_keepdims": lambda a: a.sum(dim=1, keepdim=True),
        "sum_axes_tuple": lambda a: a.sum(dim=(0, 2)), "mean_axis_neg1": lambda a: a.mean(dim=-1),
        "max_axis0": lambda a: a.amax(dim=0), "max_all": lambda a: a.amax(),
        "reshape": lambda a: a.reshape(4, 3), "T": lambda a: a.T,
        "transpose_axes": lambda a: a.permute(2, 0, 1),
        "getitem_slice": lambda a: a[1:, ::2], "getitem_repeats": lambda a: a[[0, 2, 0, 0]],
        "getitem_pairs": lambda a: a[[0, 1, 1], [3, 2, 2]],
        "matmul_right": lambda a: a @ M_, "matmul_left": lambda a: M_ @ a,
        "matmul_self": lambda a: a @ a.T, "matmul_batched": lambda a: a @ M_,
        "linear": lambda a: torch.nn.functional.linear(a, M_),
        "softmax": lambda a: a.softmax(-1), "softmax_axis0": lambda a: a.softmax(0),
        "log_softmax": lambda a: a.log_softmax(-1),
        "broadcast_to": lambda a: a.broadcast_to((2, 3, 4)),
        "scatter_add": lambda a: torch.zeros(4, 2, dtype=torch.float64).index_add(
            0, torch.tensor([0, 2, 0]), a),
    }


def test_every_tensor_op_here_has_a_pytorch_spelling():
    class Spy:   # a stand-in torch: only the spellings' names are compared, nothing runs
        def __getattr__(self, name):
            return self

        def __call__(self, *a, **k):
            return self
    assert set(_torch_spelling(Spy())) == {c[0] for c in TENSOR}


@pytest.mark.parametrize("name, fn, np_fn, shape", TENSOR, ids=[c[0] for c in TENSOR])
def test_tensor_op_matches_pytorch(name, fn, np_fn, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(len(name) + 5).uniform(-2, 2, shape)
    v = Value(x)
    out = fn(v)
    u = np.random.default_rng(len(name) + 6).standard_normal(out.shape)
    (out * u).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    tout = _torch_spelling(torch)[name](t)
    (tout * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
