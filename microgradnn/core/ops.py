"""The op table: every primitive operation's forward and its derivative, side by side.

Each op is an :class:`Op` holding, as data,

* ``forward(*inputs, *params)``: the output, computed from the inputs' data;
* ``vjps``: one vector-Jacobian product per input, ``vjp(g, out, *inputs, *params)``, which turns
  the gradient ``g`` arriving at the output into that input's gradient (the chain rule);
* ``formulas``: per input, the text a learner reads, what the trace, the drawings and the
  explorer show. For an elementwise op it is the local derivative ∂out/∂input (the VJP is
  ``g`` times it); for the others (matmul, sum, ...) it is the VJP itself, written as math
  (G Bᵀ, 1ᵀG: juxtaposition is a matrix product, ᵀ a transpose, for an n-d transpose the
  inverse permutation of its axes). ``{g}``, ``{out}``, ``{a}``, ``{b}`` and ``{c}`` stand for
  the upstream gradient (G), the output and the inputs.

The VJPs are written with the helpers of :mod:`microgradnn.core.numeric`, which take floats,
arrays and Values alike: the same line serves a scalar graph, a tensor graph and a recorded
backward pass (``create_graph=True``), so second derivatives come free. Broadcasting is never
handled here: the engine sums every gradient back to its input's shape in one shared step.

:func:`microgradnn.define_op` makes a new op exactly as the built-in ones are made.

>>> tanh.formulas, mul.formulas
(('1 - {out} * {out}',), ('{b}', '{a}'))
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Optional, Sequence

from . import numeric as m


class Op:
    """A primitive operation: its forward and, per input, its VJP and the formula a learner reads.

    params: the names of static parameters stored on each node (axis, shape, ...), passed to the
    forward and the VJPs after the inputs. inputs: the inputs' names in formulas shown without a
    graph (``local_formula(ops.div, 1)`` is ``-(out / b)``).

    source: what :func:`microgradnn.compile` writes for this op, as numpy source:
    ``(forward, (vjp, ...))`` or ``(forward, (vjp, ...), (equation, ...))``. Each is one
    expression with ``{<input name>}``, ``{out}``, ``{g}`` and the params by name in braces;
    ``{a.shape}`` is an input's shape (known when compiled), ``{kept}`` a reduction's output shape
    with the reduced axes kept; names starting with ``_`` are free for temporaries (``:=``). An
    equation (``"BP4"``) names what a VJP computes in a dense layer. ``"calls"`` (define_op's
    ops): the compiled code calls the op's own forward and VJPs by name. None: not compiled.
    """

    __slots__ = ("name", "symbol", "forward", "vjps", "formulas", "params", "elementwise",
                 "inputs", "source")

    def __init__(self, name: str, symbol: str, forward: Callable[..., Any], vjps: Sequence,
                 formulas: Sequence[str], params: tuple = (), elementwise: bool = True,
                 inputs: Optional[Sequence[str]] = None, source: Any = None) -> None:
        if len(formulas) != len(vjps):
            raise ValueError(f"op {name!r}: {len(vjps)} VJPs but {len(formulas)} formulas "
                             "(one per input)")
        self.name, self.symbol, self.forward = name, symbol, forward
        self.vjps, self.formulas = tuple(vjps), tuple(formulas)
        self.params, self.elementwise = tuple(params), elementwise
        self.inputs = tuple(inputs) if inputs else ("a", "b", "c")[:len(vjps)]
        self.source = source

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# --- arithmetic (elementwise, numpy broadcasting) ---
# The forwards of +, -, * and unary - are the operator module's a + b, a - b, a * b and -a: the
# same arithmetic as a lambda, called from C.

add = Op("add", "+", operator.add,
         [lambda g, out, a, b: g,                    # ∂(a+b)/∂a = 1
          lambda g, out, a, b: g],                   # ∂(a+b)/∂b = 1
         ["1", "1"],
         source=("{a} + {b}", ("{g}", "{g}")))

sub = Op("sub", "-", operator.sub,
         [lambda g, out, a, b: g,                    # ∂(a−b)/∂a = 1
          lambda g, out, a, b: -g],                  # ∂(a−b)/∂b = −1
         ["1", "-1"],
         source=("{a} - {b}", ("{g}", "-{g}")))

mul = Op("mul", "*", operator.mul,
         [lambda g, out, a, b: g * b,                # ∂(ab)/∂a = b
          lambda g, out, a, b: g * a],               # ∂(ab)/∂b = a
         ["{b}", "{a}"],
         source=("{a} * {b}", ("{g} * {b}", "{g} * {a}")))

div = Op("div", "/", m.divide,
         [lambda g, out, a, b: m.divide(g, b),               # ∂(a/b)/∂a = 1/b
          lambda g, out, a, b: -g * m.divide(out, b)],       # ∂(a/b)/∂b = −a/b² = −out/b
         ["1 / {b}", "-({out} / {b})"],
         source=("{a} / {b}", ("{g} / {b}", "-{g} * ({out} / {b})")))

pow = Op("pow", "**", m.power,
         [lambda g, out, a, b: m.pow_back(g, a, b),                # b·aᵇ⁻¹ (0 where b = 0)
          lambda g, out, a, b: g * m.pow_log_slope(out, a, b)],    # aᵇ·ln a (0 at 0ᵇ, b ≥ 0)
         ["{b} * {a} ** ({b} - 1)", "{out} * log({a})"],
         source=("np.power({a}, {b})", ("{g} * ({b} * np.power({a}, {b} - 1.0))",
                                        "{g} * ({out} * np.log({a}))")))

neg = Op("neg", "-", operator.neg,
         [lambda g, out, a: -g],                     # ∂(−a)/∂a = −1
         ["-1"],
         source=("-{a}", ("-{g}",)))

# --- elementwise functions ---

exp = Op("exp", "exp", m.exp,
         [lambda g, out, a: g * out],                # exp' = exp = out
         ["{out}"],
         source=("np.exp({a})", ("{g} * {out}",)))

log = Op("log", "log", m.log,
         [lambda g, out, a: m.divide(g, a)],         # log'(a) = 1/a
         ["1 / {a}"],
         source=("np.log({a})", ("{g} / {a}",)))

sqrt = Op("sqrt", "√", m.sqrt,
          [lambda g, out, a: m.divide(g, 2.0 * out)],    # √a' = 1 / (2√a), ∞ at 0
          ["1 / (2 * {out})"],
          source=("np.sqrt({a})", ("{g} / (2.0 * {out})",)))

tanh = Op("tanh", "tanh", m.tanh,
          [lambda g, out, a: g * (1.0 - out * out)],     # tanh' = 1 − tanh²
          ["1 - {out} * {out}"],
          source=("np.tanh({a})", ("{g} * (1.0 - {out} * {out})",)))

sigmoid = Op("sigmoid", "σ", m.sigmoid,
             [lambda g, out, a: m.sigmoid_back(g, out)],     # σ' = σ(1 − σ), from the output
             ["{out} * (1 - {out})"],
             source=("1.0 / (1.0 + np.exp(-{a}))", ("{g} * ({out} * (1.0 - {out}))",)))

relu = Op("relu", "relu", m.relu,
          [lambda g, out, a: m.relu_back(g, a)],     # relu' = 0 where a ≤ 0, else 1
          ["step({a})"],
          source=("np.maximum(0.0, {a})", ("np.where({a} <= 0.0, 0.0, {g})",)))

maximum = Op("maximum", "max", m.maximum,
             [lambda g, out, a, b: m.gate(g, m.share(a, b)),     # 1 where a wins, ½ at a tie
              lambda g, out, a, b: m.gate(g, m.share(b, a))],    # 1 where b wins, ½ at a tie
             ["share({a}, {b})", "share({b}, {a})"],
             source=("np.maximum({a}, {b})",
                     ("{g} * np.where({a} < {b}, 0.0, np.where({a} == {b}, 0.5, 1.0))",
                      "{g} * np.where({b} < {a}, 0.0, np.where({a} == {b}, 0.5, 1.0))")))

abs = Op("abs", "abs", operator.abs,
         [lambda g, out, a: g * m.sign(a)],          # |a|' = sign(a), 0 at 0
         ["sign({a})"],
         source=("np.abs({a})", ("{g} * np.sign({a})",)))

# --- shape and reduction ops (not elementwise: their VJPs move gradients between positions) ---

sum = Op("sum", "Σ", m.sum_axes,
         [lambda g, out, a, axis, keepdims: m.expand(g, m.shape(a), axis, keepdims)],  # g back
         ["{g} broadcast back to shape({a})"],
         params=("axis", "keepdims"), elementwise=False,
         source=("np.sum({a}, axis={axis}, keepdims={keepdims})",
                 ("np.full({a.shape}, np.reshape({g}, {kept}))",)))

max = Op("max", "max", m.max_axes,
         [lambda g, out, a, axis, keepdims:                              # only the maxima get g
          m.expand(g, m.shape(a), axis, keepdims) * m.argmax_mask(a, out, axis, keepdims)],
         ["{g} broadcast back to shape({a}), where {a} is the max, else 0"],
         params=("axis", "keepdims"), elementwise=False,
         source=("np.max({a}, axis={axis}, keepdims={keepdims})",
                 ("np.reshape({g}, {kept}) * (_hit := {a} == np.reshape({out}, {kept}))"
                  " / np.sum(_hit, axis={axis}, keepdims=True)",)))

reshape = Op("reshape", "reshape", m.reshape,
             [lambda g, out, a, shape: m.reshape(g, m.shape(a))],      # g back in a's shape
             ["{g} reshaped to shape({a})"], params=("shape",), elementwise=False,
             source=("np.reshape({a}, {shape})", ("np.reshape({g}, {a.shape})",)))

transpose = Op("transpose", "T", m.transpose,
               [lambda g, out, a, axes: m.transpose(g, m.inverse_permutation(axes))],
               ["{g}ᵀ"], params=("axes",), elementwise=False,
               source=("np.transpose({a}, {axes})", ("np.transpose({g}, np.argsort({axes}))",)))

broadcast_to = Op("broadcast_to", "broadcast", m.broadcast_to,
                  [lambda g, out, a, shape: g],      # the engine's unbroadcast sums g back to a
                  ["{g} summed back to shape({a})"], params=("shape",), elementwise=False,
                  source=("np.broadcast_to({a}, {shape})", ("{g}",)))

getitem = Op("getitem", "[]", m.getitem,
             [lambda g, out, a, index: m.scatter_add(g, index, m.shape(a))],  # g back where it was
             ["{g} put back at [index] of zeros shaped like {a}"],
             params=("index",), elementwise=False,
             # np.add.at returns None, so `or _z` gives the zeros with g added (repeats accumulate)
             source=("{a}[{index}]",
                     ("np.add.at(_z := np.zeros({a.shape}), np.s_[{index}], {g}) or _z",)))

scatter_add = Op("scatter_add", "scatter", m.scatter_add,
                 [lambda g, out, a, index, shape: g[index]],   # getitem's VJP; its VJP is getitem
                 ["{g}[index]"], params=("index", "shape"), elementwise=False,
                 source=("np.add.at(_z := np.zeros({shape}), np.s_[{index}], {a}) or _z",
                         ("{g}[{index}]",)))

matmul = Op("matmul", "@", operator.matmul,
            [lambda g, out, a, b: g @ m.matrix_transpose(b),     # into A: G Bᵀ (not a Jacobian)
             lambda g, out, a, b: m.matrix_transpose(a) @ g],    # into B: Aᵀ G
            ["{g} {b}ᵀ", "{a}ᵀ {g}"], elementwise=False,
            source=("{a} @ {b}",
                    ("{g} @ np.swapaxes({b}, -1, -2)", "np.swapaxes({a}, -1, -2) @ {g}")))

# --- a dense layer and its costs, one node each: the nodes BP1–BP4 are about ---

# x Wᵀ with W stored (out, in), as in the seed article and PyTorch's F.linear: matmul with the
# transpose folded in, so W feeds the layer directly in drawings and no transposed copy is made.
linear = Op("linear", "xWᵀ", lambda x, w: x @ w.T,
            [lambda g, out, x, w: g @ w,                         # into X: G W
             lambda g, out, x, w: m.matrix_transpose(g) @ x],    # into W: Gᵀ X
            ["{g} {b}", "{g}ᵀ {a}"], elementwise=False, inputs=("x", "w"),
            source=("{x} @ {w}.T", ("{g} @ {w}", "{g}.T @ {x}"), ("BP2", "BP4")))

# zˡ = x Wᵀ + b, the step learners read as one equation. With G = δ (one row per example) its VJPs
# are BP2's G W (times σ′ at the layer below), BP4's Gᵀ X and BP3's G summed over the batch.
affine = Op("affine", "xWᵀ + b", m.affine,
            [lambda g, out, x, w, b: g @ w,                      # into X: G W      (BP2)
             lambda g, out, x, w, b: g.T @ x,                    # into W: Gᵀ X     (BP4)
             lambda g, out, x, w, b: m.sum_rows(g)],             # into b: Σ rows   (BP3)
            ["{g} {b}", "{g}ᵀ {a}", "1ᵀ{g}"], elementwise=False,
            inputs=("x", "w", "b"),
            source=("{x} @ {w}.T + {b}",
                    ("{g} @ {w}", "{g}.T @ {x}", "np.ones({g.shape[0]}) @ {g}"),
                    ("BP2", "BP4", "BP3")))

# The seed article's quadratic cost C = 1/(2n) Σₓ ‖a − y‖² (PyTorch's mse_loss is one node too).
# Its VJP into a is ∇ₐC = (a − y)/n, the factor BP1 multiplies by σ′(zᴸ).
quadratic = Op("quadratic", "½‖a − y‖²/n", m.squared_error,
               [lambda g, out, a, y, n: m.times_difference(a, y, g / n),     # (a − y)/n
                lambda g, out, a, y, n: -m.times_difference(a, y, g / n)],   # −(a − y)/n
               ["({a} - {b}) {g} / n", "-({a} - {b}) {g} / n"],
               params=("n",), elementwise=False, inputs=("a", "y"),
               source=("0.5 / {n} * ((_d := np.ravel({a} - {y})) @ _d)",
                       ("({a} - {y}) * ({g} / {n})", "-(({a} - {y}) * ({g} / {n}))"),
                       ("BP1", None)))

# The softmax cross-entropy of logits z against one-hot rows t: its VJP into z is the well-known
# softmax(z) − t (over n), the error δᴸ of a softmax output layer, with no log or division.
softmax_cross_entropy = Op(
    "softmax_cross_entropy", "−Σ y ln softmax(z) / n", m.cross_entropy,
    [lambda g, out, z, t, n: m.softmax_minus(z, t, g / n),       # (softmax(z) − t)/n
     lambda g, out, z, t, n: m.log_softmax(z) * (-g / n)],       # −ln softmax(z)/n
    ["(softmax({a}) - {b}) {g} / n", "-log softmax({a}) {g} / n"],
    params=("n",), elementwise=False, inputs=("z", "t"),
    source=(
        "-1.0 / {n} * np.vdot({t}[(_m := {t} != 0)], ((_s := {z} - np.max({z}, axis=-1,"
        " keepdims=True)) - np.log(np.sum(np.exp(_s), axis=-1, keepdims=True)))[_m])",
        ("((_e := np.exp({z} - np.max({z}, axis=-1, keepdims=True)))"
         " / np.sum(_e, axis=-1, keepdims=True) - {t}) * ({g} / {n})",
         "((_s := {z} - np.max({z}, axis=-1, keepdims=True))"
         " - np.log(np.sum(np.exp(_s), axis=-1, keepdims=True))) * (-{g} / {n})"),
        ("BP1", None)))

# Binary cross-entropy from the logits: its VJP into z is σ(z) − t (over n), exactly, at every z.
binary_cross_entropy = Op(
    "binary_cross_entropy", "Σ softplus(z) − y z / n", m.bce_from_logits,
    [lambda g, out, z, t, n: m.sigmoid_minus(z, t, g / n),       # (σ(z) − t)/n
     lambda g, out, z, t, n: z * (-g / n)],                      # −z/n
    ["(σ({a}) - {b}) {g} / n", "-{a} {g} / n"],
    params=("n",), elementwise=False, inputs=("z", "t"),
    source=(
        "np.sum(np.maximum({z}, 0.0) - {t} * {z} + np.log1p(np.exp(-np.abs({z})))) / {n}",
        ("(1.0 / (1.0 + np.exp(-{z})) - {t}) * ({g} / {n})", "{z} * (-{g} / {n})"), ("BP1", None)))

# --- elementary functions numpy has (numpy_api.py maps np.sin & co. onto them) ---

sin = Op("sin", "sin", m.sin, [lambda g, out, a: g * m.cos(a)], ["cos({a})"],
         source=("np.sin({a})", ("{g} * np.cos({a})",)))
cos = Op("cos", "cos", m.cos, [lambda g, out, a: -g * m.sin(a)], ["-sin({a})"],
         source=("np.cos({a})", ("-{g} * np.sin({a})",)))
tan = Op("tan", "tan", m.tan,
         [lambda g, out, a: g * (1.0 + out * out)],                  # tan' = 1 + tan²
         ["1 + {out} * {out}"],
         source=("np.tan({a})", ("{g} * (1.0 + {out} * {out})",)))
arcsin = Op("arcsin", "arcsin", m.arcsin,
            [lambda g, out, a: m.divide(g, m.sqrt(1.0 - a * a))],    # 1/√(1 − a²), ∞ at ±1
            ["1 / sqrt(1 - {a} * {a})"],
            source=("np.arcsin({a})", ("{g} / np.sqrt(1.0 - {a} * {a})",)))
arccos = Op("arccos", "arccos", m.arccos,
            [lambda g, out, a: -m.divide(g, m.sqrt(1.0 - a * a))],   # −1/√(1 − a²)
            ["-1 / sqrt(1 - {a} * {a})"],
            source=("np.arccos({a})", ("-{g} / np.sqrt(1.0 - {a} * {a})",)))
arctan = Op("arctan", "arctan", m.arctan,
            [lambda g, out, a: m.divide(g, 1.0 + a * a)],            # 1/(1 + a²)
            ["1 / (1 + {a} * {a})"],
            source=("np.arctan({a})", ("{g} / (1.0 + {a} * {a})",)))
sinh = Op("sinh", "sinh", m.sinh, [lambda g, out, a: g * m.cosh(a)], ["cosh({a})"],
          source=("np.sinh({a})", ("{g} * np.cosh({a})",)))
cosh = Op("cosh", "cosh", m.cosh, [lambda g, out, a: g * m.sinh(a)], ["sinh({a})"],
          source=("np.cosh({a})", ("{g} * np.sinh({a})",)))
square = Op("square", "²", m.square, [lambda g, out, a: g * (2.0 * a)], ["2 * {a}"],
            source=("{a} * {a}", ("{g} * (2.0 * {a})",)))

sign = Op("sign", "sign", m.sign_of,
          [lambda g, out, a: m.no_gradient(g)],      # flat everywhere (0 at the jump, as PyTorch)
          ["0"],
          source=("np.sign({a})", ("0.0 * {g}",)))

# The gradient passes where lo ≤ a ≤ hi, both ends included (PyTorch's clamp); lo, hi: constants.
clip = Op("clip", "clip", m.clip,
          [lambda g, out, a, lo, hi: m.gate(g, m.inside(a, lo, hi))],
          ["inside({a}, lo, hi)"], params=("lo", "hi"))

minimum = Op("minimum", "min", m.minimum,
             [lambda g, out, a, b: m.gate(g, m.share(b, a)),     # 1 where a is smaller, ½ at a tie
              lambda g, out, a, b: m.gate(g, m.share(a, b))],    # 1 where b is smaller, ½ at a tie
             ["share({b}, {a})", "share({a}, {b})"])

# cond (a constant boolean array) picks a where it holds, b elsewhere: g goes back the same way.
where = Op("where", "where", m.where,
           [lambda g, out, a, b, cond: m.pick(g, cond),
            lambda g, out, a, b, cond: m.pick(g, ~cond)],
           ["pick({g}, cond)", "pick({g}, ~cond)"], params=("cond",), elementwise=False)

min = Op("min", "min", m.min_axes,
         [lambda g, out, a, axis, keepdims:                              # only the minima get g
          m.expand(g, m.shape(a), axis, keepdims) * m.argmax_mask(a, out, axis, keepdims)],
         ["expand({g}, shape({a}), axis, keepdims) * argmax_mask({a}, {out}, axis, keepdims)"],
         params=("axis", "keepdims"), elementwise=False)

# ∂(Π a)/∂aᵢ is the product of the others: out/aᵢ, computed without that division where a has 0s.
prod = Op("prod", "Π", m.prod_axes,
          [lambda g, out, a, axis, keepdims:
           m.expand(g, m.shape(a), axis, keepdims) * m.prod_others(a, out, axis, keepdims)],
          ["expand({g}, shape({a}), axis, keepdims) * prod_others({a}, {out}, axis, keepdims)"],
          params=("axis", "keepdims"), elementwise=False)

# Each g_j reaches every a_i with i ≤ j: the gradient is g's cumulative sum taken from the end.
cumsum = Op("cumsum", "cumsum", m.cumsum,
            [lambda g, out, a, axis: m.reverse_cumsum(g, axis)],
            ["reverse_cumsum({g}, axis)"], params=("axis",), elementwise=False)
