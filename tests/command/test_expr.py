"""The safe expression language (microgradnn.expr): grammar, gradients, and errors that point.

Oracles: Python's own arithmetic (the tests may evaluate generated text with Python's eval — the
library never does), hand-written closed forms, and central finite differences.
"""
import math
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microgradnn.expr import FUNCTIONS, MAX_DEPTH, build, evaluate, tokenize

PY_FUNCS = {
    "exp": math.exp, "log": math.log, "tanh": math.tanh, "abs": abs,
    "sigmoid": lambda t: 1.0 / (1.0 + math.exp(-t)), "relu": lambda t: max(t, 0.0),
}


def central_difference(text, values, name, h=1e-6):
    up, down = dict(values), dict(values)
    up[name] += h
    down[name] -= h
    return (evaluate(text, up)[0] - evaluate(text, down)[0]) / (2 * h)


def one_sided_differences(text, values, name, h=1e-6):
    """(backward, forward) difference quotients: they disagree where a kink lies within h."""
    up, down = dict(values), dict(values)
    up[name] += h
    down[name] -= h
    f0 = evaluate(text, values)[0]
    return (f0 - evaluate(text, down)[0]) / h, (evaluate(text, up)[0] - f0) / h


# --- values and precedence -------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("2 ** 3 ** 2", 512.0),        # ** groups to the right
    ("-2 ** 2", -4.0),             # ** binds tighter than unary minus
    ("2 ** -1", 0.5),              # a signed exponent
    ("8 / 4 / 2", 1.0),            # / groups to the left
    ("10 - 4 - 3", 3.0),           # - groups to the left
    ("--3", 3.0),
    ("+3", 3.0),
    ("1e-3 * 1E3", 1.0),
    (".5 + 5.", 5.5),
])
def test_constant_expressions_follow_pythons_precedence(text, expected):
    assert evaluate(text, {})[0] == expected


def test_each_function_calls_the_engine_function_of_that_name():
    for name in FUNCTIONS:
        value, grads = evaluate(f"{name}(x)", {"x": 0.7})
        assert value == pytest.approx(PY_FUNCS[name](0.7), rel=1e-15)
        assert grads["x"] == pytest.approx(central_difference(f"{name}(x)", {"x": 0.7}, "x"), rel=1e-7)


def test_the_issue_example_neuron_matches_its_closed_form_gradients():
    x, w, b = 0.5, -1.2, 0.3
    value, grads = evaluate("tanh(x*w + b)", {"x": x, "w": w, "b": b})
    t = math.tanh(x * w + b)
    assert value == pytest.approx(t, rel=1e-15)
    assert grads["x"] == pytest.approx((1 - t * t) * w, rel=1e-14)
    assert grads["w"] == pytest.approx((1 - t * t) * x, rel=1e-14)
    assert grads["b"] == pytest.approx(1 - t * t, rel=1e-14)


def test_a_variable_used_twice_is_one_leaf_whose_gradient_accumulates():
    out, leaves = build("x * x + x", {"x": 3.0})
    out.backward()
    assert list(leaves) == ["x"]
    assert leaves["x"].grad == 7.0


def test_leaves_are_labelled_with_their_names_in_order_of_first_use():
    _, leaves = build("b + a * c", {"a": 1.0, "b": 2.0, "c": 3.0, "unused": 4.0})
    assert list(leaves) == ["b", "a", "c"]
    assert [leaf.label for leaf in leaves.values()] == ["b", "a", "c"]


def test_numbers_are_constants_without_gradient():
    out, _ = build("2 * x", {"x": 1.0})
    constant = out.parents[0]
    assert constant.data == 2.0 and not constant.requires_grad


def test_an_expression_of_constants_has_no_gradients():
    assert evaluate("2 + 3", {}) == (5.0, {})


def test_whitespace_is_ignored():
    assert evaluate(" tanh ( x\t*  2 ) ", {"x": 0.25}) == evaluate("tanh(x*2)", {"x": 0.25})


# --- property tests against Python's arithmetic and finite differences -------------------------

VARIABLE = re.compile(r"\b[xy]\b")        # x or y as a name (not the x inside "exp")


def expressions():
    """Random expression text over x, y, numbers, the operators and the functions, always using
    at least one of the variables (a constant expression has no gradient to check)."""
    variable = st.sampled_from(["x", "y"])
    leaf = st.one_of(variable, variable, st.floats(0.1, 3.0).map(lambda f: f"{f:.3f}"))

    def extend(inner):
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(" ".join)
        call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner).map(lambda t: f"{t[0]}({t[1]})")
        return st.one_of(binary, call, inner.map(lambda e: f"({e})"), inner.map(lambda e: f"-{e}"),
                         inner.map(lambda e: f"({e}) ** 2"))
    return st.recursive(leaf, extend, max_leaves=12).filter(VARIABLE.search)


@settings(max_examples=150, deadline=None)
@given(text=expressions(), x=st.floats(-2, 2), y=st.floats(-2, 2))
def test_random_expressions_match_python_arithmetic(text, x, y):
    env = {**PY_FUNCS, "x": x, "y": y}
    try:
        expected = eval(text, {"__builtins__": {}}, env)   # the test's oracle, never the library's
    except (ValueError, ZeroDivisionError, OverflowError):
        return   # e.g. log of a negative number: Python raises where the engine gives nan/inf
    value, _ = evaluate(text, {"x": x, "y": y})
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(text=expressions(), x=st.floats(-2, 2), y=st.floats(-2, 2))
def test_random_expression_gradients_match_central_differences(text, x, y):
    values = {"x": x, "y": y}
    value, grads = evaluate(text, values)
    assert set(grads) == set(VARIABLE.findall(text))     # one gradient per variable used
    assume(math.isfinite(value) and abs(value) <= 1e6)
    for name, g in grads.items():
        fd = central_difference(text, values, name)
        if not math.isfinite(g) or not math.isfinite(fd) or abs(fd) > 1e5:
            continue   # near a pole or a kink (relu, abs at 0) finite differences say nothing
        # only smooth points are compared: skip when halving h changes the estimate, or when the
        # one-sided slopes disagree (a kink of relu or abs within h of the point)
        if abs(central_difference(text, values, name, h=5e-7) - fd) > 1e-4 * (1 + abs(fd)):
            continue
        left, right = one_sided_differences(text, values, name)
        if abs(left - right) > 1e-3 * (1 + abs(fd)):
            continue
        assert g == pytest.approx(fd, rel=1e-4, abs=1e-5)


# --- errors point at the position ------------------------------------------------------------

def caret_column(message):
    """The 0-based column the caret line points at (relative to the echoed expression)."""
    lines = message.splitlines()
    return lines[2].index("^") - 2


@pytest.mark.parametrize("text, column, words", [
    ("x +", 3, "found the end of the expression"),
    ("x * )", 4, "found ')'"),
    ("2x", 1, "multiplication needs a *"),
    ("x^2", 1, "write powers as **"),
    ("tanh x", 0, "call it as tanh(...)"),
    ("sin(x)", 0, "unknown function 'sin'"),
    ("(x + 1", 6, "expected ')'"),
    ("tanh(x, x)", 6, "takes one argument"),
    ("z + 1", 0, "no value given for variable 'z'"),
    ("x $ 1", 2, "unexpected character '$'"),
    ("", 0, "empty expression"),
    ("x y", 2, "multiplication needs a *"),
])
def test_a_bad_expression_names_the_problem_and_points_at_it(text, column, words):
    with pytest.raises(ValueError) as info:
        build(text, {"x": 1.0})
    message = str(info.value)
    assert words in message
    assert message.splitlines()[1] == "  " + text
    assert caret_column(message) == column
    assert f"column {column + 1}" in message


def test_nesting_deeper_than_the_cap_is_a_clear_error_not_a_recursion_error():
    deep = "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="nested more than"):
        build(deep, {"x": 1.0})
    with pytest.raises(ValueError, match="nested more than"):
        build("-" * 10_000 + "x", {"x": 1.0})


def test_nesting_up_to_the_cap_is_accepted():
    ok = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert evaluate(ok, {"x": 2.0}) == (2.0, {"x": 1.0})


def test_a_long_flat_expression_needs_no_recursion():
    text = " + ".join(["x"] * 20_000)
    assert evaluate(text, {"x": 1.0}) == (20_000.0, {"x": 20_000.0})


def test_a_function_name_cannot_be_a_variable():
    with pytest.raises(ValueError, match="'exp' is a function name"):
        build("x", {"x": 1.0, "exp": 2.0})


def test_a_variable_name_must_be_an_identifier():
    with pytest.raises(ValueError, match="'2a' is not a variable name"):
        build("x", {"x": 1.0, "2a": 2.0})


def test_a_non_numeric_value_is_a_type_error():
    with pytest.raises(TypeError, match="the value of 'x' must be a number, got str"):
        build("x", {"x": "1"})


def test_the_expression_must_be_text():
    with pytest.raises(TypeError, match="must be a str, got int"):
        tokenize(3)
