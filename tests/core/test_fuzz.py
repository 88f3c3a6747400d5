"""Fuzzing the engine: random expression graphs against PyTorch float64 and finite differences.

Hypothesis builds random programs — up to ~50 ops drawn from the engine's catalogue
(+ - * / ** exp log tanh sigmoid relu abs sum mean max reshape transpose getitem matmul softmax
log_softmax), with broadcasting ((3,1)+(1,4), (5,3)+(3,), scalar+tensor, an ndarray or a number
on the left), node reuse (a node feeding several later ones, ``a * a``) and Value exponents —
on scalar Values (Python floats, micrograd-style) and on tensor Values. Each program runs three
times: on microgradnn Values, on PyTorch float64 tensors (values of every node and the gradient
of every leaf must agree), and on plain numpy for central finite differences (smooth ops only).

Inputs stay in safe domains: while a program is drawn it is also evaluated, and an argument that
would leave the domain is first mapped into it by recorded ops (log(x*x + 0.5), b*b + 0.5 as a
denominator, tanh before exp, a rescale when values grow past 1e3).

How many examples: the hypothesis profile decides (tests/conftest.py). The default ``ci``
profile runs a bounded, derandomized set (this file takes a few seconds); a long local run::

    MICROGRADNN_FUZZ=long .venv/bin/python -m pytest -q tests/core/test_fuzz.py

(or ``HYPOTHESIS_PROFILE=long``). See docs/testing.md.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import Value
from oracles import central_differences

LEAF_SHAPES = [(3,), (4,), (2, 3), (3, 1), (1, 4), (5, 3), (2, 1, 3)]
SMOOTH_UNARY = ["neg", "exp", "log", "tanh", "sigmoid"]
KINKED_UNARY = ["relu", "abs"]
BINARY = ["add", "sub", "mul", "div", "pow", "pow_value"]
TENSOR_ONLY = ["sum", "mean", "max", "reshape", "transpose", "getitem", "matmul",
               "softmax", "log_softmax"]


# ---------------------------------------------------------------------------------------------
# One program, three backends. An instruction is (op, args, params); an arg is ("n", i), the
# i-th node, or ("c", constant), a Python float or an ndarray that is not differentiated.
# ---------------------------------------------------------------------------------------------

def _np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x, axis):
    """x − max − log Σ exp(x − max): log(softmax) would underflow to log 0 at logits ~1000 apart."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _apply(kind, op, xs, p):
    """Run op on xs in backend kind: "mg" (microgradnn), "torch" or "np"."""
    if kind == "torch":
        import torch
    if op in ("add", "sub", "mul", "div", "pow", "pow_value"):
        a, b = xs
        return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                "div": lambda: a / b, "pow": lambda: a ** b, "pow_value": lambda: a ** b}[op]()
    (x,) = xs if op != "matmul" else (None,)
    if op == "matmul":
        return xs[0] @ xs[1]
    if op == "neg":
        return -x
    if kind == "mg":
        if op in ("exp", "log", "tanh", "sigmoid", "relu", "abs"):
            return getattr(x, op)()
        if op in ("sum", "mean", "max"):
            return getattr(x, op)(axis=p["axis"], keepdims=p["keepdims"])
        if op == "reshape":
            return x.reshape(p["shape"])
        if op == "transpose":
            return x.transpose(p["axes"])
        if op == "getitem":
            return x[p["index"]]
        return getattr(x, op)(axis=p["axis"])              # softmax, log_softmax
    if kind == "torch":
        if op in ("exp", "log", "tanh", "sigmoid", "relu", "abs"):
            return getattr(torch, op)(x)
        if op in ("sum", "mean", "max"):
            dim = tuple(range(x.ndim)) if p["axis"] is None else p["axis"]
            f = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[op]  # amax: ties share
            return f(x, dim=dim, keepdim=p["keepdims"])
        if op == "reshape":
            return x.reshape(p["shape"])
        if op == "transpose":
            return x.permute(p["axes"])
        if op == "getitem":
            index = p["index"]
            if isinstance(index, tuple):
                index = tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i
                              for i in index)
            elif isinstance(index, np.ndarray):
                index = torch.from_numpy(index)
            return x[index]
        return getattr(torch, op)(x, dim=p["axis"])
    # plain numpy, for finite differences
    if op in ("exp", "log", "tanh"):
        return getattr(np, op)(x)
    if op == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if op == "relu":
        return np.maximum(x, 0.0)
    if op == "abs":
        return np.abs(x)
    if op in ("sum", "mean", "max"):
        return getattr(np, op)(x, axis=p["axis"], keepdims=p["keepdims"])
    if op == "reshape":
        return np.reshape(x, p["shape"])
    if op == "transpose":
        return np.transpose(x, p["axes"])
    if op == "getitem":
        return x[p["index"]]
    if op == "softmax":
        return _np_softmax(x, p["axis"])
    return _np_log_softmax(x, p["axis"])


def _const(kind, c):
    if kind == "torch" and isinstance(c, np.ndarray):
        import torch
        return torch.from_numpy(c)
    return c


def run(kind, leaves, program, weights):
    """Every node's value in backend kind, and the scalar output Σ_k sum(node_k · w_k)."""
    nodes = list(leaves)
    for op, args, params in program:
        xs = [nodes[a] if tag == "n" else _const(kind, a) for tag, a in args]
        nodes.append(_apply(kind, op, xs, params))
    out = 0.0
    for i, w in weights:
        term = nodes[i] * _const(kind, w)
        out = out + (term.sum() if not isinstance(w, float) else term)
    return nodes, out


# ---------------------------------------------------------------------------------------------
# Drawing a program
# ---------------------------------------------------------------------------------------------

def _broadcastable(s, t) -> bool:
    try:
        np.broadcast_shapes(s, t)
        return True
    except ValueError:
        return False


class _Builder:
    """Draws instructions with hypothesis while evaluating them in numpy to stay in domain."""

    def __init__(self, draw, leaves, tensors: bool, smooth: bool):
        self.draw, self.vals, self.program = draw, list(leaves), []
        self.tensors, self.smooth = tensors, smooth

    def emit(self, op, args, params=None) -> int:
        xs = [self.vals[a] if tag == "n" else a for tag, a in args]
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            self.vals.append(_apply("np", op, xs, params))
        self.program.append((op, args, params))
        return len(self.vals) - 1

    def value(self, i):
        return np.asarray(self.vals[i])

    def positive(self, i) -> int:
        """i itself if its values are ≥ 0.1, else the node x*x + 0.5 (reusing x twice)."""
        if self.value(i).min() >= 0.1:
            return i
        sq = self.emit("mul", [("n", i), ("n", i)])
        return self.emit("add", [("n", sq), ("c", 0.5)])

    def constant_like(self, shape):
        rng = np.random.default_rng(self.draw(st.integers(0, 2 ** 16)))
        if not self.tensors or not shape or self.draw(st.booleans()):
            return float(rng.uniform(0.5, 1.5) * rng.choice([-1, 1]))
        return rng.uniform(-1.5, 1.5, shape)

    def partner(self, i) -> tuple:
        """A second operand for a binary op on node i: a node (maybe i itself) or a constant."""
        shape = self.value(i).shape
        fits = [j for j in range(len(self.vals)) if _broadcastable(shape, self.value(j).shape)]
        if self.draw(st.booleans()):
            return ("n", self.draw(st.sampled_from(fits)))
        if self.tensors and shape and self.draw(st.booleans()):
            # a broadcastable constant: trailing axes only, or with a 1 inserted
            k = self.draw(st.integers(1, len(shape)))
            sub = tuple(1 if self.draw(st.booleans()) else n for n in shape[-k:])
            return ("c", self.constant_like(sub))
        return ("c", self.constant_like(shape))

    def step(self, ops):
        n = len(self.vals)
        i = n - 1 if self.draw(st.integers(0, 9)) < 7 else self.draw(st.integers(0, n - 1))
        shape = self.value(i).shape
        op = self.draw(st.sampled_from(ops))
        if op in TENSOR_ONLY and not shape:
            op = "tanh"
        if op in ("neg", "tanh", "sigmoid", "relu", "abs"):
            i = self.emit(op, [("n", i)])
        elif op == "exp":
            if self.value(i).max() > 5:
                i = self.emit("tanh", [("n", i)])
            i = self.emit("exp", [("n", i)])
        elif op == "log":
            i = self.emit("log", [("n", self.positive(i))])
        elif op in ("add", "sub", "mul", "div"):
            other = self.partner(i)
            if op == "div" and other[0] == "n" and np.abs(self.value(other[1])).min() < 0.2:
                other = ("n", self.positive(other[1]))
            if op == "div" and other[0] == "c":
                other = ("c", other[1] + np.sign(other[1]) * 0.5)
            args = [("n", i), other]
            if self.draw(st.booleans()):
                args.reverse()                              # a number or ndarray on the left
                if op == "div":
                    args = [args[0], ("n", self.positive(i))]
            i = self.emit(op, args)
        elif op == "pow":
            exponent = self.draw(st.sampled_from([2.0, 3.0, 0.5, -1.0, -1.5, 1.7]))
            i = self.emit("pow", [("n", self.positive(i)), ("c", exponent)])
        elif op == "pow_value":
            base = self.positive(i)
            e = self.draw(st.integers(0, len(self.vals) - 1))
            if not _broadcastable(self.value(base).shape, self.value(e).shape):
                e = base
            if np.abs(self.value(e)).max() > 2:
                e = self.emit("tanh", [("n", e)])
            if self.draw(st.booleans()):
                i = self.emit("pow_value", [("n", base), ("n", e)])
            else:
                i = self.emit("pow_value", [("c", 1.5), ("n", e)])    # number ** Value
        elif op in ("sum", "mean", "max"):
            axis = self.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
            keep = axis is not None and self.draw(st.booleans())
            i = self.emit(op, [("n", i)], {"axis": axis, "keepdims": keep})
        elif op == "reshape":
            size = int(np.prod(shape))
            choices = [(size,), (1, size), tuple(reversed(shape))]
            choices += [(size // k, k) for k in (2, 3) if size % k == 0]
            i = self.emit("reshape", [("n", i)], {"shape": self.draw(st.sampled_from(choices))})
        elif op == "transpose":
            axes = tuple(self.draw(st.permutations(range(len(shape)))))
            i = self.emit("transpose", [("n", i)], {"axes": axes})
        elif op == "getitem":
            i = self.emit("getitem", [("n", i)], {"index": self.index(shape)})
        elif op in ("softmax", "log_softmax"):
            axis = self.draw(st.integers(-len(shape), len(shape) - 1))
            i = self.emit(op, [("n", i)], {"axis": axis})
        else:
            i = self.matmul(i, shape)
        if np.abs(self.value(i)).max() > 1e3:               # keep magnitudes moderate
            self.emit("mul", [("n", i), ("c", float(1.0 / np.abs(self.value(i)).max()))])

    def index(self, shape):
        kind = self.draw(st.sampled_from(["int", "slice", "array", "tuple"]))
        n = shape[0]
        if kind == "int":
            return self.draw(st.integers(-n, n - 1))
        if kind == "slice":
            start = self.draw(st.integers(0, n - 1))
            return slice(start, None, self.draw(st.integers(1, 2)))
        picks = np.array(self.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)))
        if kind == "array" or len(shape) < 2:
            return picks                                    # repeated indices accumulate
        return (slice(None), np.array(self.draw(
            st.lists(st.integers(0, shape[1] - 1), min_size=1, max_size=4))))

    def matmul(self, i, shape):
        if len(shape) > 2:
            i = self.emit("reshape", [("n", i)], {"shape": (shape[0], -1)})
            shape = self.value(i).shape
        left = self.draw(st.booleans())
        inner = shape[-1] if left else shape[0]
        fits = [j for j in range(len(self.vals)) if 1 <= self.value(j).ndim <= 2 and
                (self.value(j).shape[0] if left else self.value(j).shape[-1]) == inner]
        if fits and self.draw(st.booleans()):
            other = ("n", self.draw(st.sampled_from(fits)))
        else:
            rng = np.random.default_rng(self.draw(st.integers(0, 2 ** 16)))
            k = self.draw(st.sampled_from([None, 1, 2, 3]))
            cshape = (inner,) if k is None else ((inner, k) if left else (k, inner))
            other = ("c", rng.uniform(-1, 1, cshape))       # an ndarray, on either side
        return self.emit("matmul", [("n", i), other] if left else [other, ("n", i)])


def draw_program(draw, tensors: bool, smooth: bool, max_ops: int, mixed: bool = False):
    """mixed: at least one scalar leaf and one tensor leaf (a scalar's gradient through tensors)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    if tensors:
        shapes = draw(st.lists(st.sampled_from(LEAF_SHAPES + [()]), min_size=1, max_size=3))
        if mixed:
            shapes = [(), draw(st.sampled_from(LEAF_SHAPES))] + shapes[:1]
        leaves = [float(rng.uniform(-2, 2)) if s == () else rng.uniform(-2, 2, s)
                  for s in shapes]                          # () is a scalar Value: a float
    else:
        leaves = [float(rng.uniform(-2, 2)) for _ in range(draw(st.integers(1, 4)))]
    ops = SMOOTH_UNARY + BINARY + ([] if smooth else KINKED_UNARY)
    if tensors:
        ops += TENSOR_ONLY if not smooth else [o for o in TENSOR_ONLY if o != "max"]
    b = _Builder(draw, leaves, tensors, smooth)
    for _ in range(draw(st.integers(1, max_ops))):
        b.step(ops)
    last = len(b.vals)
    chosen = sorted({last - 1, *draw(st.lists(st.integers(len(leaves), last - 1), max_size=2))})
    weights = []
    for i in chosen:
        shape = b.value(i).shape
        weights.append((i, float(rng.uniform(0.5, 1.5)) if not shape else
                        rng.uniform(-1.5, 1.5, shape)))
    return leaves, b.program, weights


# ---------------------------------------------------------------------------------------------
# The oracles
# ---------------------------------------------------------------------------------------------

def _mg_gradients(leaves, program, weights):
    vs = [Value(x) for x in leaves]
    nodes, out = run("mg", vs, program, weights)
    out.backward()
    return [n.data for n in nodes], out.data, [v.grad for v in vs]


def _assert_close(actual, expected, what, rtol, atol_scale):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = 1.0 + np.abs(expected).max(initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol_scale * scale,
                               err_msg=what)


def check_against_torch(leaves, program, weights):
    torch = pytest.importorskip("torch")
    values, out, grads = _mg_gradients(leaves, program, weights)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in leaves]
    tnodes, tout = run("torch", ts, program, weights)
    tout.backward()
    for k, (v, t) in enumerate(zip(values, tnodes)):
        _assert_close(v, t.detach().numpy(), f"value of node {k} ({_op_name(program, k, leaves)})",
                      1e-9, 1e-12)
    for k, (g, t) in enumerate(zip(grads, ts)):
        tg = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        _assert_close(g, tg, f"gradient of leaf {k}", 1e-8, 1e-11)
        if isinstance(leaves[k], float):
            assert type(g) is float, f"leaf {k} is a scalar Value but its grad is {type(g)}"


def _op_name(program, k, leaves):
    return "leaf" if k < len(leaves) else program[k - len(leaves)][0]


def check_against_finite_differences(leaves, program, weights, h=1e-6):
    _, _, grads = _mg_gradients(leaves, program, weights)

    def f(*xs):
        return float(np.sum(run("np", list(xs), program, weights)[1]))

    for k, fd in enumerate(central_differences(f, list(leaves), eps=h)):
        _assert_close(grads[k], fd, f"gradient of leaf {k} vs central differences", 1e-4, 1e-6)


# ---------------------------------------------------------------------------------------------
# The tests. Each runs half the profile's examples: 50 in the ci profile, 1500 in the long one.
# ---------------------------------------------------------------------------------------------

@settings(max_examples=settings.default.max_examples // 2)
@given(st.data())
def test_random_tensor_graphs_match_pytorch_values_and_leaf_gradients(data):
    leaves, program, weights = draw_program(data.draw, tensors=True, smooth=False, max_ops=50)
    check_against_torch(leaves, program, weights)


@settings(max_examples=settings.default.max_examples // 2)
@given(st.data())
def test_random_scalar_graphs_match_pytorch_values_and_leaf_gradients(data):
    leaves, program, weights = draw_program(data.draw, tensors=False, smooth=False, max_ops=50)
    check_against_torch(leaves, program, weights)


@settings(max_examples=settings.default.max_examples // 2)
@given(st.data())
def test_random_smooth_tensor_graphs_match_central_differences(data):
    leaves, program, weights = draw_program(data.draw, tensors=True, smooth=True, max_ops=25)
    check_against_finite_differences(leaves, program, weights)


@settings(max_examples=settings.default.max_examples // 2)
@given(st.data())
def test_random_smooth_scalar_graphs_match_central_differences(data):
    leaves, program, weights = draw_program(data.draw, tensors=False, smooth=True, max_ops=50)
    check_against_finite_differences(leaves, program, weights)


# A bounded part of the long profile, kept in every CI run: the classes the long runs found.

@settings(max_examples=60, derandomize=True)
@given(st.data())
def test_random_graphs_mixing_scalar_and_tensor_leaves_match_pytorch_with_float_scalar_grads(data):
    leaves, program, weights = draw_program(data.draw, tensors=True, smooth=False, max_ops=20,
                                            mixed=True)
    check_against_torch(leaves, program, weights)          # also: a scalar leaf's grad is a float


@pytest.mark.parametrize("scale", [1.0, 1e3, -1e3])
def test_log_softmax_of_logits_far_apart_matches_the_stable_oracle_and_pytorch(scale):
    x = np.array([[1.0, 0.0, -1.0], [0.5, 0.2, -0.9]]) * scale
    program = [("log_softmax", [("n", 0)], {"axis": -1})]
    weights = [(1, np.array([[1.0, -0.5, 0.25], [0.3, 0.7, -1.2]]))]
    values = run("np", [x], program, weights)[0]
    assert np.isfinite(values[1]).all()                    # the oracle itself does not underflow
    check_against_torch([x], program, weights)


def test_the_program_generator_covers_every_op_and_broadcasting():
    """The fuzzer itself must be able to produce each op of the catalogue (else it proves little)."""
    seen, broadcast, reuse, left_const = set(), False, False, False

    @settings(max_examples=300, derandomize=True, database=None)
    @given(st.data())
    def collect(data):
        nonlocal broadcast, reuse, left_const
        leaves, program, _ = draw_program(data.draw, tensors=True, smooth=False, max_ops=20)
        for op, args, params in program:
            seen.add(op)
            reuse |= len(args) == 2 and args[0] == args[1]
            left_const |= args[0][0] == "c" and isinstance(args[0][1], np.ndarray)
        # replay in numpy to see the shapes meet with broadcasting
        vals = list(leaves)
        for op, args, params in program:
            xs = [vals[a] if t == "n" else a for t, a in args]
            if len(xs) == 2 and op != "matmul" and np.shape(xs[0]) != np.shape(xs[1]) \
                    and np.ndim(xs[0]) and np.ndim(xs[1]):
                broadcast = True
            with np.errstate(all="ignore"):
                vals.append(_apply("np", op, xs, params))
    collect()
    assert seen >= set(SMOOTH_UNARY + KINKED_UNARY + BINARY + TENSOR_ONLY)
    assert broadcast and reuse and left_const
