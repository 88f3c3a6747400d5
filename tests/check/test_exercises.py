"""microgradnn.exercises: every reference answer passes; typical wrong answers fail with a report
that names what is wrong (the factor, the sign, the transpose, the missing term, the path)."""
import numpy as np
import pytest

from microgradnn import abs as vabs, exercises, grad


def fails_naming(name, answer, *words):
    report = exercises.check(name, answer)
    assert not report, report
    for word in words:
        assert word in str(report), report
    return report


# --- the contract -------------------------------------------------------------------------

def test_there_are_at_least_twelve_exercises():
    assert len(exercises.list()) >= 12


@pytest.mark.parametrize("name", exercises.list())
def test_the_reference_solution_passes(name):
    report = exercises.check(name, exercises.solution(name))
    assert report and str(report) == f"{name}: right"


@pytest.mark.parametrize("name", exercises.list())
def test_the_statement_names_the_page_and_the_answers_form(name):
    text = exercises.statement(name)
    assert exercises.EXERCISES[name].page in text and "Answer: " in text


@pytest.mark.parametrize("name", exercises.list())
def test_the_reference_source_defines_the_answer_under_the_exercises_name(name):
    namespace = {}
    exec(exercises.solution_source(name), namespace)
    assert exercises.check(name, namespace)


def test_an_answer_can_be_found_in_a_namespace_by_the_exercises_name():
    assert exercises.check("value_used_twice", {"value_used_twice": 33.0})


def test_a_missing_answer_is_not_answered_yet():
    fails_naming("dual_mul", {}, "not answered yet", "dual_mul(a, b)")


def test_an_unknown_exercise_is_an_error_listing_the_known_ones():
    with pytest.raises(ValueError, match="no exercise 'nope'.*dual_mul"):
        exercises.check("nope", 1)


def test_an_answer_that_raises_is_reported_with_its_error():
    def dual_mul(a, b):
        raise KeyError("oops")
    fails_naming("dual_mul", dual_mul, "raised KeyError")


def test_a_number_where_a_function_is_expected_is_named():
    fails_naming("dual_mul", 3.0, "expected a function")


# --- each exercise: two or more typical wrong answers ---------------------------------------

def test_value_used_twice_names_the_missing_path():
    fails_naming("value_used_twice", 24.0, "a·b through a directly (9) is missing")
    fails_naming("value_used_twice", 15.0, "a·b through b = a² (18) is missing")
    fails_naming("value_used_twice", 66.0, "2× the right value")


def test_softsign_vjp_names_the_missing_square_and_the_missing_upstream():
    fails_naming("softsign_vjp", lambda g, out, x: g / (1 + vabs(x)), "square is missing")
    fails_naming("softsign_vjp", lambda g, out, x: 1 / (1 + vabs(x)) ** 2, "upstream g")


def test_neuron_gradients_names_the_missing_tanh_slope_and_swapped_w():
    def no_slope(x, w, b):
        return x, 1.0

    def w_for_x(x, w, b):
        out = np.tanh(w @ x + b)
        return w * (1 - out ** 2), 1 - out ** 2
    fails_naming("neuron_gradients", no_slope, "dw", "tanh′ factor (1 − out²) is missing")
    fails_naming("neuron_gradients", w_for_x, "w where x belongs")


def test_dual_mul_names_the_product_rule_slips():
    fails_naming("dual_mul", lambda a, b: (a[0] * b[0], a[1] * b[1]), "tangents multiplied")
    fails_naming("dual_mul", lambda a, b: (a[0] * b[0], a[0] * b[1]), "term ȧ·b is missing")
    fails_naming("dual_mul", lambda a, b: (a[0] + b[0], a[0] * b[1] + a[1] * b[0]),
                 "the value", "the sum")


def test_central_difference_names_the_forward_difference_and_the_missing_two():
    def forward(f, x, eps):
        return np.array([(f(x + eps * e) - f(x)) / eps for e in np.eye(x.size)])

    def by_eps(f, x, eps):
        return np.array([(f(x + eps * e) - f(x - eps * e)) / eps for e in np.eye(x.size)])

    def in_place(f, x, eps):
        x[0] += eps
        return np.zeros_like(x)
    fails_naming("central_difference", forward, "forward difference")
    fails_naming("central_difference", by_eps, "divided by ε instead of 2ε")
    fails_naming("central_difference", in_place, "changed x in place")


def test_xw_vjps_names_the_transpose_the_swap_and_the_sign():
    fails_naming("xw_vjps", lambda G, X, W: (G @ W, X.T @ G), "dW", "transposed")
    fails_naming("xw_vjps", lambda G, X, W: (G.T @ X, G @ W), "swapped")
    fails_naming("xw_vjps", lambda G, X, W: (-(G @ W), G.T @ X), "dX", "sign is flipped")


def test_rows_bp4_names_the_transpose_and_the_factor():
    fails_naming("rows_bp4", lambda d, a: a.T @ d, "it is transposed")
    fails_naming("rows_bp4", lambda d, a: d.T @ a * d.shape[0], "layer 2, BP4", "1/n missing")


def test_softmax_jacobian_names_the_missing_off_diagonal_and_the_sign():
    def diagonal(z):
        a = np.exp(z) / np.exp(z).sum()
        return np.diag(a * (1 - a))
    fails_naming("softmax_jacobian", diagonal, "off-diagonal")
    fails_naming("softmax_jacobian", lambda z: -exercises.solution("softmax_jacobian")(z),
                 "sign is flipped")


def test_softmax_delta_names_the_sign_and_the_wrong_bp1():
    a_of = lambda z: np.exp(z) / np.exp(z).sum()     # noqa: E731
    fails_naming("softmax_delta", lambda z, y: y - a_of(z), "y − a")
    fails_naming("softmax_delta", lambda z, y: (a_of(z) - y) * a_of(z) * (1 - a_of(z)),
                 "does not hold for softmax")
    fails_naming("softmax_delta", lambda z, y: 2 * (a_of(z) - y), "2× the right value")


def test_tanh_bp2_names_the_missing_transpose_and_the_wrong_slope():
    fails_naming("tanh_bp2", lambda W, d, a: (W @ d) * (1 - a ** 2), "transpose is missing")
    fails_naming("tanh_bp2", lambda W, d, a: (W.T @ d) * a * (1 - a), "sigmoid's σ′")
    fails_naming("tanh_bp2", lambda W, d, a: W.T @ d, "⊙ tanh′ is missing")


def test_bp3_bp4_names_the_layer_the_equation_and_the_batch_mean():
    fails_naming("bp3_bp4", lambda d, a: (d @ a.T, d.sum(axis=1, keepdims=True)),
                 "layer 2", "1/n missing")
    fails_naming("bp3_bp4", lambda d, a: (d @ a.T / d.shape[1], d.sum(axis=1, keepdims=True)),
                 "BP3", "1/n missing")
    fails_naming("bp3_bp4", lambda d, a: (a @ d.T / d.shape[1], d.mean(axis=1, keepdims=True)),
                 "transposed")


def test_fixed_backprop_the_buggy_one_is_named_at_its_equation_and_slip():
    fails_naming("fixed_backprop", exercises.buggy_backprop, "layer 2, BP3", "1/n twice")


def test_fixed_backprop_a_sign_slip_is_named():
    def negated(weights, biases, x, y):
        dw, db = exercises.solution("fixed_backprop")(weights, biases, x, y)
        return [-w for w in dw], [-b for b in db]
    fails_naming("fixed_backprop", negated, "layer 2", "sign")


def test_newton_step_names_the_gradient_step_and_the_sign():
    fails_naming("newton_step", lambda f, x: x - grad(f)(x), "curvature f″ is missing")
    fails_naming("newton_step", lambda f, x: x + grad(f)(x) / grad(grad(f))(x),
                 "sign is flipped")
    fails_naming("newton_step", lambda f, x: x - grad(grad(f))(x) / grad(f)(x), "upside down")


def test_a_wrong_answer_with_no_named_slip_gets_the_worst_element():
    def one_off(x, w, b):
        dw, db = exercises.solution("neuron_gradients")(x, w, b)
        dw = dw.copy()
        dw[1] += 0.5
        return dw, db
    fails_naming("neuron_gradients", one_off, "worst at element (1,)")
