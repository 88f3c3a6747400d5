"""The Learn pages state facts about other engines and about training; each is held here.

(The pages' own code blocks run in tests/docs/test_pages.py; these are the claims made in prose.)
"""
import random

import numpy as np
import pytest

from microgradnn import Value


def _squared_neuron(V):
    """o = (x1·w1 + b)²: an intermediate node (x1·w1 + b) used twice, as on docs/autodiff.md."""
    x1, w1, b = V(2.0), V(-3.0), V(7.0)
    n = x1 * w1 + b
    return n * n, w1


def test_a_second_backward_adds_exactly_one_more_copy():
    o, w1 = _squared_neuron(Value)
    o.backward()
    once = w1.grad
    o.backward()
    assert once == 2 * 1.0 * 2.0 and w1.grad == 2 * once      # do/dw1 = 2n·x1 = 4


def test_pytorch_refuses_a_second_backward_unless_the_graph_is_retained():
    torch = pytest.importorskip("torch")
    T = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)
    o, _ = _squared_neuron(T)
    o.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        o.backward()
    o, w1 = _squared_neuron(T)
    o.backward(retain_graph=True)
    once = w1.grad.item()
    o.backward()
    assert w1.grad.item() == 2 * once


def test_micrograd_resends_stale_intermediate_gradients_on_a_second_backward():
    engine = pytest.importorskip("micrograd.engine")
    o, w1 = _squared_neuron(engine.Value)
    o.backward()
    once = w1.grad
    o.backward()
    assert w1.grad == 4 * once


def _toy_network_run(lr, steps=30):
    """The scalar network of docs/neuron-to-network.md, trained with learning rate lr: the loss
    of each step and the four outputs at the end."""
    random.seed(0)

    def neuron(n):
        return [Value(random.uniform(-1, 1)) for _ in range(n)], Value(0.0)

    layers = [[neuron(3) for _ in range(4)], [neuron(4)]]
    params = [p for layer in layers for w, b in layer for p in w + [b]]

    def forward(x):
        for layer in layers:
            x = [sum((wi * xi for wi, xi in zip(w, x)), b).tanh() for w, b in layer]
        return x[0]

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(steps):
        loss = sum(((forward(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses, [forward(x).data for x in xs]


def _toy_network_losses(lr, steps=30):
    return _toy_network_run(lr, steps)[0]


def test_a_small_learning_rate_lowers_the_loss_at_every_step():
    losses = _toy_network_losses(0.05)
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_a_learning_rate_of_one_overshoots_and_saturates():
    losses = _toy_network_losses(1.0)
    assert round(losses[0], 1) == 6.6 and round(losses[1], 1) == 8.0     # the first step goes up
    assert min(losses[1:20]) > 7.9                                       # and learning stalls


def test_a_learning_rate_of_one_drives_all_four_outputs_to_plus_one():
    """neuron-to-network.md: "all four outputs saturate at +1, two of them against targets of −1"."""
    _, outputs = _toy_network_run(1.0)
    assert all(o > 0.999 for o in outputs)
    page = _page("neuron-to-network.md")
    assert "all four outputs saturate at +1" in page and "wrong signs" not in page


def test_central_differences_on_the_digits_network_need_two_forward_passes_per_parameter():
    from microgradnn import MLP
    net = MLP([64, 64, 10], ["tanh", "softmax"], seed=0)
    assert sum(p.size for p in net.parameters()) == 4810


def test_sigmoid_rounds_to_one_above_37_but_to_zero_only_below_minus_745():
    from microgradnn.core.numeric import sigmoid
    assert sigmoid(np.array([36.0]))[0] < 1.0 or sigmoid(36.0) < 1.0
    assert sigmoid(37.0) == 1.0 and sigmoid(np.array([38.0]))[0] == 1.0
    assert sigmoid(-744.0) > 0.0 and sigmoid(np.array([-745.0]))[0] > 0.0
    assert sigmoid(-746.0) == 0.0 and sigmoid(np.array([-746.0]))[0] == 0.0


# --- numbers and sentences of the Learn pages, held against what they follow from ------------

from pathlib import Path   # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs"
NOTEBOOKS = DOCS.parent / "notebooks"


def _page(name: str) -> str:
    """A page's text with runs of whitespace made one space, so a sentence may wrap anywhere."""
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())


def test_central_differences_cost_what_the_pages_ratio_says_in_backpropagations():
    """reverse-mode.md: 9,620 forward passes, at 1.5–2 forward passes per backpropagation."""
    page = _page("reverse-mode.md")
    assert "costs about 1.5–2 forward passes" in page
    low, high = round(9620 / 2, -2), round(9620 / 1.5, -2)
    assert f"about **{low:,.0f}–{high:,.0f} backpropagations**" in page     # 4,800–6,400
    assert "3,600–5,500" not in page and "one backward pass costs" not in page


def test_forward_mode_is_not_said_to_cost_one_forward_pass():
    """reverse-mode.md: a dual-number pass costs 2–3 plain passes, so n of them ≈ (2–3)·n·F."""
    page = _page("reverse-mode.md")
    assert "about one extra forward pass" not in page and "| ≈ n · F |" not in page
    assert "| ≈ (2–3) · n · F |" in page


def test_the_jacobian_sizes_are_those_of_the_first_layer_of_784_256_10_at_batch_64():
    from microgradnn import MLP
    W = MLP([784, 256, 10], ["sigmoid", "sigmoid"], seed=0).weights[0]
    batch, (out, inputs) = 64, W.shape
    dz_dx = (batch * out) * (batch * inputs)               # ∂Z/∂X, the A of Y = A B
    dz_dw = (batch * out) * (out * inputs)                 # ∂Z/∂W
    page = _page("matrix-gradients.md")
    assert f"≈ {dz_dx / 1e9:.2f} billion entries — {dz_dx * 8 / 1e9:.1f} GB" in page   # 0.82, 6.6
    assert f"≈ {dz_dw / 1e9:.1f} billion, {dz_dw * 8 / 1e9:.0f} GB" in page            # 3.3, 26


def test_only_bp2_is_said_to_be_followed_by_the_activations_vjp():
    page = _page("matrix-gradients.md")
    assert "BP2 and BP4 are exactly the two VJPs" not in page
    assert "BP4 is the VJP for the weights (Gᵀ X) alone" in page


def test_zero_to_the_b_is_not_constant_at_b_equal_to_zero_and_its_slope_there_is_zero():
    from microgradnn import grad
    assert 0.0 ** 0.0 == 1.0 and 0.0 ** 1e-300 == 0.0           # a jump at b = 0
    assert grad(lambda b: 0.0 ** b)(0.0) == 0.0                  # the mask's convention
    page = _page("edge-values.md")
    assert "0ᵇ is constant in b for b ≥ 0" not in page + _page("autodiff.md")
    assert "at b = 0, where it jumps from 0⁰ = 1, it has no derivative" in page


def test_sigma_prime_from_the_stored_activation_is_not_attributed_to_nielsen():
    """Nielsen's network.py calls sigmoid_prime(z); the stored activation is this code's choice."""
    import microgradnn.check.backprop as backprop
    source = " ".join(Path(backprop.__file__).read_text(encoding="utf-8").split())
    page = _page("four-equations.md")
    for text in (page, source):
        assert "as in Nielsen's book: a(1 − a)" not in text and "1 − a², as in Nielsen" not in text
        assert "sigmoid_prime(z)" in text
    assert "Wʲₖ" not in source and "Wˡⱼₖ connects neuron k of layer l − 1" in source


def test_newton_from_0_3_converges_to_the_maximum_with_f_rising_on_the_way():
    f = lambda x: x ** 4 - 3 * x ** 2 + x
    xs = [0.3]
    for _ in range(8):
        x = xs[-1]
        xs.append(x - (4 * x ** 3 - 6 * x + 1) / (12 * x ** 2 - 6))
    values = [f(x) for x in xs]
    assert values[0] < values[1] < values[2] and 12 * xs[-1] ** 2 - 6 < 0   # f″ < 0: a maximum
    assert abs(4 * xs[-1] ** 3 - 6 * xs[-1] + 1) < 1e-12                     # f′ = 0
    assert "it converges to the local **maximum**, f rising on the way" in _page("higher-order.md")


def test_page_one_leaves_ieee_edge_cases_to_the_reference_page():
    """autodiff.md teaches; IEEE −0, denormals and PyTorch's edge cases live on edge-values.md."""
    page, reference = _page("autodiff.md"), _page("edge-values.md")
    for detail in ("denormals", "(-0) ** 0.5", "torch.amax", "gᵀ @ x"):
        assert detail not in page, detail
    assert "(edge-values.md)" in page and "torch.amax" in reference and "denormals" in reference


def test_the_pages_do_not_overclaim():
    assert "every data file" not in _page("matrix-gradients.md")
    for name in ("four-equations.md", "pytorch.md", "seed-article.md"):
        assert " proves" not in _page(name), name


def _notebook_cells(stem: str) -> list:
    import json
    book = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in book["cells"]]


def test_the_notebooks_neuron_is_root_half_only_up_to_rounding():
    """Notebook 1: √½ to rounding, and x₁'s gradient prints as the text says, not −1.5."""
    from microgradnn.micrograd.engine import Value as MicrogradValue
    cells = _notebook_cells("01_autodiff_from_one_neuron")
    text = " ".join(" ".join(cells).split())
    assert "exactly √½" not in text
    assert "x₁'s gradient below prints as −1.4999999999999993" in text
    namespace = {"Value": MicrogradValue, "draw_dot": lambda graph: None}
    exec(next(c for c in cells if c.startswith("def neuron():")), namespace)
    o, inner, leaves = namespace["neuron"]()
    o.backward()
    assert abs(o.data - 0.5 ** 0.5) < 1e-15 and leaves[0].grad == -1.4999999999999993


def test_the_notebooks_step_by_step_loop_visits_op_nodes_newest_first():
    """Notebook 1's by-hand loop: each node before the nodes it was made from, and no leaf."""
    from microgradnn.micrograd.engine import Value as MicrogradValue
    cells = _notebook_cells("01_autodiff_from_one_neuron")
    namespace = {"Value": MicrogradValue, "draw_dot": lambda graph: None}
    exec(next(c for c in cells if c.startswith("def neuron():")), namespace)
    o, inner, _ = namespace["neuron"]()
    assert all(node._prev for node in inner)                        # op nodes only
    assert inner[0] in o._prev
    for i, node in enumerate(inner):
        assert not set(node._prev) & set(inner[:i]), node.label      # its inputs come later
    assert "newest first" in next(c for c in cells if "for node in inner:" in c)


def _delta_norms(activation, init):
    """‖δˡ‖ = ‖∂C/∂zˡ‖, l = 1 … 8, of four-equations.md's deep network (20 wide, 8 layers)."""
    from microgradnn import MLP
    from microgradnn.losses import quadratic
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((32, 20)), rng.uniform(size=(32, 1))
    deep = MLP([20] * 8 + [1], [activation] * 7 + ["linear"], seed=0, init=init)
    quadratic(deep(x), y).backward()
    return [np.linalg.norm(deep.nodes[f"z{l}"].grad) for l in range(1, 9)]


def test_a_deep_sigmoid_network_divides_delta_by_four_to_five_per_layer_and_relu_does_not():
    sigmoid, relu = _delta_norms("sigmoid", "xavier"), _delta_norms("relu", "he")
    assert all(3.5 < later / earlier < 5.5 for earlier, later in zip(sigmoid, sigmoid[1:]))
    assert round(sigmoid[7] / sigmoid[0], -3) == 37_000
    assert 0.3 < relu[0] / relu[7] < 0.4                               # "about a third"
    page = _page("four-equations.md")
    assert "divides the sigmoid network's ‖δ‖ by about 4–5" in page
    assert "some 37,000 times smaller than δ⁸" in page and "about a third of its δ⁸" in page


def test_the_saturated_outputs_have_a_slope_of_about_one_in_a_hundred_million():
    """neuron-to-network.md: after 30 steps at lr = 1.0, tanh′ = 1 − o² ≈ 10⁻⁸ at every output."""
    losses, outputs = _toy_network_run(1.0)
    assert all(1e-9 < 1 - o * o < 1e-7 for o in outputs) and round(losses[-1], 4) == 8.0
    assert "about 10⁻⁸" in _page("neuron-to-network.md")


def _relu_z_stds(init):
    """std of zˡ, l = 1 … 10, of training.md's ReLU network, 256 wide, on 500 unit inputs."""
    from microgradnn import MLP, no_grad
    x = np.random.default_rng(1).standard_normal((500, 256))
    deep = MLP([256] * 11, ["relu"] * 10, seed=0, init=init)
    with no_grad():
        deep(x)
    return [deep.nodes[f"z{l}"].data.std() for l in range(1, 11)]


def test_the_variance_argument_predicts_each_inits_growth_per_relu_layer():
    """training.md: standard normal ×√(n/2) a layer, Xavier ×1/√2 on square layers, He ×1."""
    for init, factor in (("normal", np.sqrt(256 / 2)), ("xavier", 1 / np.sqrt(2)), ("he", 1.0)):
        stds = _relu_z_stds(init)
        growth = (stds[-1] / stds[1]) ** (1 / 8)                 # geometric mean, z2 … z10
        assert abs(growth / factor - 1) < 0.1, (init, growth, factor)
    assert "about 11-fold a layer (√(256/2) ≈ 11.3" in _page("training.md")


def test_the_summed_squared_error_gives_2n_times_the_quadratic_costs_gradients():
    """notation.md: Σ(a − y)² against 1/(2n) Σ‖a − y‖² on the same network and data."""
    from microgradnn import MLP
    from microgradnn.losses import quadratic
    x = np.array([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]])
    y = np.array([[1.0], [-1.0], [-1.0], [1.0]])
    net = MLP([3, 4, 1], ["tanh", "tanh"], seed=0)
    ((net(x) - y) ** 2).sum().backward()
    summed = [p.grad.copy() for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    quadratic(net(x), y).backward()
    assert all(np.allclose(s, 2 * len(x) * p.grad) for s, p in zip(summed, net.parameters()))
    assert "**2n times** those of the quadratic cost" in _page("notation.md")


def test_every_learn_page_links_to_the_notation_table():
    for name in ("autodiff.md", "explain.md", "neuron-to-network.md", "reverse-mode.md",
                 "four-equations.md", "matrix-gradients.md", "higher-order.md"):
        assert "(notation.md)" in _page(name), name


def test_the_symbolic_derivative_of_the_logistic_map_outgrows_the_expression():
    """reverse-mode.md: dlₙ/dx is 2.7 to 7.7 times the size of lₙ for n = 1 … 5."""
    def d(e):
        if e == "x":
            return 1
        if not isinstance(e, tuple):
            return 0
        op, u, v = e
        return (op, d(u), d(v)) if op in "+-" else ("+", ("*", d(u), v), ("*", u, d(v)))

    def size(e):
        return 1 + size(e[1]) + size(e[2]) if isinstance(e, tuple) else 1

    ratios, l = [], "x"
    for _ in range(5):
        l = ("*", ("*", 4, l), ("-", 1, l))
        ratios.append(size(d(l)) / size(l))
    assert round(ratios[0], 1) == 2.7 and round(ratios[-1], 1) == 7.7
    assert all(a < b for a, b in zip(ratios, ratios[1:]))           # the gap keeps widening
    assert "2.7 to 7.7 times the size of the expression" in _page("reverse-mode.md")


def test_one_reverse_sweep_gives_baydins_whole_gradient_and_one_forward_sweep_one_entry():
    """reverse-mode.md: y = ln x1 + x1·x2 − sin x2 at (2, 5): ∂y/∂x1 = 5.5, ∂y/∂x2 = 2 − cos 5."""
    import math
    from microgradnn import jacobian
    J = jacobian(lambda v: v[0].log() + v[0] * v[1] - v[1].sin())(np.array([2.0, 5.0]))
    assert np.allclose(J, [1 / 2 + 5, 2 - math.cos(5.0)])
    assert "(x̄1, x̄2) = (5.5, 1.7163)" in _page("reverse-mode.md")


def test_the_cross_check_tables_on_the_learn_pages_show_their_error_columns():
    import re
    for name in ("four-equations.md", "checking.md", "cli.md"):
        text = (DOCS / name).read_text(encoding="utf-8")
        rows = re.findall(r"^ +\d +BP\d .*$", text, re.M)
        assert rows, name
        for row in rows:
            assert re.search(r"\d\.\d{3}e[-+]\d\d +\d\.\d{3}e[-+]\d\d", row), (name, row)
