"""explore(): a self-contained page that plays the backward pass one chain-rule step at a time.

Two kinds of tests:

* on the file: self-contained (nothing fetched from anywhere), deterministic (same graph, same
  bytes), escaped, and the user's gradients left alone;
* in a real browser (headless Chromium from the Debian packages, driven by Selenium through the
  system chromedriver): every step of a small scalar graph (a value used twice) and of a 2-3-1
  tensor network is clicked through and its explanation checked against
  ``backward(explain=True)``, the counter, the final gradients (against closed forms and
  PyTorch), no network request, no console error, and a screenshot.

The browser tests are skipped only when Chromium, chromedriver or Selenium is missing (the
Makefile's test set-up installs them, so CI runs them).
"""
import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import MLP, Value, crosscheck, crosscheck_gradients, draw_graph, explore
from microgradnn.backprop import NeuralNetwork
from microgradnn.core import ops
from microgradnn.losses import network_loss

from helpers import tanh_neuron

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                 reason="explore renders its graph with Graphviz's `dot`")

X = np.array([[0.5, -1.0], [1.0, 2.0]])
Y = np.array([[1.0], [0.0]])


def used_twice():
    """y = a·a + a at a = 2: dy/da = 2a + 1 = 5, with three contributions to a."""
    a = Value(2.0, label="a")
    y = a * a + a
    y.label = "y"
    return y, a


def network(seed=0):
    """A 2-3-1 tanh/sigmoid network's quadratic loss on two examples, and the network."""
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=seed)
    net(X)
    return network_loss(net, Y, "quadratic"), net


def closed_form(net):
    """δˡ, ∂C/∂bˡ, ∂C/∂Wˡ of the seed article's numpy network (no Value graph), rows layout."""
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(X.T)
    dw, db = closed.backpropagation(Y.T, z_s, a_s, "quadratic")
    return [d.T for d in closed.deltas], [b.ravel() for b in db], dw


def page_data(text):
    """The JSON the page's script reads."""
    m = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


# --- numbers on the page against numbers from the engine ---

NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|nan|inf)")


def numbers(text):
    """The numbers a value's text shows: all of them, or min/mean/max after 'shape:'."""
    if ": min " in text:
        text = text.split(":", 1)[1]
    return [float(t) for t in NUMBER.findall(text)]


def shown(x):
    a = np.asarray(x, dtype=float)
    if a.size <= 6 and a.ndim <= 2:
        return list(a.ravel())
    return [a.min(), a.mean(), a.max()]


def same_numbers(text, x):
    got, want = numbers(text), shown(x)
    return len(got) == len(want) and np.allclose(got, want, rtol=2e-5, atol=1e-300)


# --- the file ---------------------------------------------------------------------------------

def test_explore_writes_one_html_file_and_returns_its_path(tmp_path):
    y, _ = used_twice()
    path = explore(y, tmp_path / "backward.html")
    assert path == tmp_path / "backward.html" and path.is_file()
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backward.html"]


def test_a_path_given_as_text_comes_back_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert explore(used_twice()[0], "backward.html") == "backward.html"
    assert explore(used_twice()[0], "pages/b.html") == "pages/b.html"     # folders are made
    assert (tmp_path / "pages" / "b.html").is_file()


def assert_self_contained(text):
    """Nothing in the page points outside it: no URL, no src/href but data:, no import."""
    assert "http:" not in text and "https:" not in text and "//" not in text
    assert not re.search(r"\b(?:src|href|xlink:href|action)\s*=\s*[\"'](?!data:)", text)
    assert "url(" not in text and "@import" not in text
    assert text.count("<script") == 2 and "<script src" not in text     # data, and code
    assert "<svg" in text and "<style>" in text


@pytest.mark.parametrize("output", [lambda: used_twice()[0],
                                    lambda: tanh_neuron(x_requires_grad=False)[-1],
                                    lambda: network()[0]], ids=["a*a+a", "neuron", "network"])
def test_page_is_self_contained(tmp_path, output):
    assert_self_contained(explore(output(), tmp_path / "p.html").read_text(encoding="utf-8"))


def test_the_example_page_in_the_docs_is_self_contained():
    docs = Path(__file__).resolve().parents[2] / "docs"
    assert_self_contained((docs / "explorer-example.html").read_text(encoding="utf-8"))
    assert "explorer-example.html" in (docs / "explore.md").read_text(encoding="utf-8")


def test_same_graph_gives_the_same_bytes(tmp_path):
    y, _ = network()
    first = explore(y, tmp_path / "one.html").read_bytes()
    second = explore(y, tmp_path / "two.html").read_bytes()
    rebuilt = explore(network()[0], tmp_path / "three.html").read_bytes()   # new Values, new seqs
    assert first == second == rebuilt


def test_page_uses_draw_graphs_node_ids(tmp_path):
    *_, y = tanh_neuron(x_requires_grad=False)
    text = explore(y, tmp_path / "p.html").read_text(encoding="utf-8")
    dot_names = set(re.findall(r"^\t(\w+) \[", draw_graph(y).source, re.M))
    dot_names -= {"node", "edge", "graph"}                 # default-attribute statements
    svg_ids = set(re.findall(r'<g id="([^"]+)" class="node', text))
    assert dot_names and dot_names == svg_ids


def test_steps_are_the_engines_trace_in_its_order(tmp_path):
    *_, y = tanh_neuron(x_requires_grad=False)
    steps = page_data(explore(y, tmp_path / "p.html").read_text(encoding="utf-8"))["steps"]
    trace = tanh_neuron(x_requires_grad=False)[-1].backward(explain=True)
    assert len(steps) == len(trace.rows) == 4         # x needs no gradient: no step
    for step, row in zip(steps, trace.rows):
        parts = {cls: text for line in step["lines"] for cls, text in line if cls}
        assert (parts["node"], parts["input"]) == (row.node, row.input)
        assert parts["formula"] == row.formula
        assert same_numbers(parts["upstream"], row.upstream)
        assert same_numbers(parts["total"], row.accumulated)


def test_explore_leaves_every_grad_as_it_was(tmp_path):
    y, a = used_twice()
    explore(y, tmp_path / "p.html")
    assert a.grad == 0.0 and y.grad == 0.0           # no backward pass before: none after
    y.backward()
    explore(y, tmp_path / "p.html")
    assert a.grad == 5.0 and y.grad == 1.0           # one pass before: exactly its gradients
    loss, net = network()
    loss.backward()
    before = [p.grad.copy() for p in net.parameters()]
    explore(loss, tmp_path / "n.html", network=net)
    assert all(np.array_equal(p.grad, g) for p, g in zip(net.parameters(), before))


def test_page_shows_this_pass_gradients_even_after_earlier_passes(tmp_path):
    y, a = used_twice()
    y.backward()
    y.backward()                                     # a.grad is now 10
    data = page_data(explore(y, tmp_path / "p.html").read_text(encoding="utf-8"))
    assert data["details"]["v0"]["grad"] == "5"      # dy/da = 2a + 1, from this pass alone


def test_labels_are_escaped_everywhere(tmp_path):
    a = Value(2.0, label='<script>alert("a")</script> & \'q\'')
    y = a * 3.0
    y.label = "</script><b>y"
    text = explore(y, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text and "</script><b>" not in text and "<b>y" not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2
    data = page_data(text)
    assert data["steps"][0]["lines"][0][1][1] == "</script><b>y"    # the text, unharmed


def test_network_page_shows_each_layers_gradients_beside_its_equation(tmp_path):
    loss, net = network()
    text = explore(loss, tmp_path / "n.html", network=net).read_text(encoding="utf-8")
    deltas, db, dw = closed_form(net)
    for l in (1, 2):
        panel = re.search(rf'<div class="layer unchecked" id="layer-{l}".*?'
                          r'(?=<div class="layer |</section>)', text, re.S).group(0)
        values = re.findall(r'<div class="val">(.*?)</div>', panel)
        equations = re.findall(r'<span class="eq">(BP\d)', panel)
        assert equations == (["BP1"] if l == 2 else ["BP2"]) + ["BP3", "BP4"]
        for shown_text, want in zip(values, (deltas[l - 1], db[l - 1], dw[l - 1])):
            assert same_numbers(shown_text, want)
        assert "not cross-checked" in panel
    assert 'id="cluster_layer1"' in text and 'id="cluster_layer2"' in text


def test_a_softmax_output_layer_is_not_labelled_with_the_elementwise_bp1(tmp_path):
    """Softmax mixes its neurons: δᴸ = Jᵀ∇ₐC, (a − y)/n with cross-entropy, never ∇ₐC ⊙ σ′."""
    net = MLP([2, 3, 2], ["tanh", "softmax"], seed=0)
    net(X)
    loss = network_loss(net, np.array([[1.0, 0.0], [0.0, 1.0]]), "cross_entropy")
    text = explore(loss, tmp_path / "s.html", network=net).read_text(encoding="utf-8")
    panel = re.search(r'id="layer-2".*?(?=<div class="layer |</section>)', text, re.S).group(0)
    assert "∇ₐC ⊙ σ′" not in panel
    assert "δ2 = Jᵀ ∇ₐC, J = diag(a2) − a2 a2ᵀ" in panel and "δ2 = (a2 − y)/n" in panel


def test_a_local_derivative_that_is_a_number_is_not_printed_twice(tmp_path):
    y, _ = used_twice()
    data = page_data(explore(y, tmp_path / "t.html").read_text(encoding="utf-8"))
    lines = ["".join(part[1] for part in line) for step in data["steps"] for line in step["lines"]]
    add_steps = [line for line in lines if line.startswith("local derivative ∂y/∂")]
    assert add_steps and all(not line.endswith("= 1 = 1") for line in add_steps)
    assert "local derivative ∂y/∂a = 1" in add_steps


def test_a_wrong_hand_written_gradient_makes_its_layer_red(tmp_path):
    loss, net = network()
    deltas, db, dw = closed_form(net)
    dw = [dw[0] * 2, dw[1]]                           # a mistake in ∂C/∂W1
    report = crosscheck_gradients(net, X, Y, dw, db, layout="rows")
    net(X)
    loss = network_loss(net, Y, "quadratic")
    text = explore(loss, tmp_path / "n.html", network=net, check=report).read_text(encoding="utf-8")
    assert '<div class="layer bad" id="layer-1"' in text
    assert '<div class="layer ok" id="layer-2"' in text
    assert 'id="cluster_layer1" class="cluster layer-bad"' in text
    assert 'id="cluster_layer2" class="cluster layer-ok"' in text
    assert "BP4 ∂C/∂W1: MISMATCH" in text


def test_a_closed_form_cross_check_shows_every_layer_agreeing(tmp_path):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    report = crosscheck(net, X, Y)
    net(X)
    loss = network_loss(net, Y, "quadratic")
    text = explore(loss, tmp_path / "n.html", network=net, check=report).read_text(encoding="utf-8")
    assert text.count('<div class="layer ok"') == 2 and "layer bad" not in text


def test_a_big_graph_is_drawn_with_collapsed_layers_and_says_so(tmp_path):
    loss, net = network()
    text = explore(loss, tmp_path / "n.html", network=net, max_nodes=8).read_text(encoding="utf-8")
    assert 'id="collapsed-note"' in text and "max_nodes=8" in text
    assert re.search(r'<g id="L1" class="node layer', text)
    assert 'id="v' in text                                # x and the loss are in no layer
    steps = page_data(text)["steps"]
    assert len(steps) == len(network()[0].backward(explain=True).rows)
    assert any(s["input"] == "L1" for s in steps)     # a step inside layer 1 points at its box
    ids = set(re.findall(r'<g id="([^"]+)"', text))
    assert all(e in ids for s in steps for e in s["edges"])


def test_a_collapsed_layer_is_done_only_when_all_its_values_are(tmp_path):
    loss, net = network()
    steps = page_data(explore(loss, tmp_path / "n.html", network=net, max_nodes=8)
                      .read_text(encoding="utf-8"))["steps"]
    for box in ("L1", "L2"):
        last_into = max(k for k, s in enumerate(steps, 1) if s["input"] == box)
        assert [k for k, s in enumerate(steps, 1) if box in s["done"]] == [last_into]


def test_a_graph_too_big_even_collapsed_is_refused(tmp_path):
    y = Value(1.0, label="t")
    for _ in range(30):                                   # 31 values, 30 constants, 30 ops
        y = y * 1.01
    with pytest.raises(ValueError, match="explore: the graph has 91 boxes and ovals to draw, "
                                         "more than max_nodes=20"):
        explore(y, tmp_path / "p.html", max_nodes=20)


def test_every_step_names_edges_that_are_drawn(tmp_path):
    for y in (used_twice()[0], tanh_neuron(x_requires_grad=False)[-1], network()[0]):
        text = explore(y, tmp_path / "p.html").read_text(encoding="utf-8")
        ids = set(re.findall(r'<g id="([^"]+)"', text))
        for s in page_data(text)["steps"]:
            assert s["edges"] and all(e in ids for e in s["edges"])
            assert {s["node"], s["input"], s["op"]} <= ids


@settings(max_examples=15)
@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "sub", "tanh", "exp"]),
                          st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=8),
       st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_any_graph_page_plays_the_engines_steps_on_drawn_edges(ops, values):
    """Random graphs, values reused at will: one step per trace row, same names and numbers,
    every highlighted edge and node drawn, each input done exactly at its last contribution."""
    def build():
        pool = [Value(v, label=f"p{i}") for i, v in enumerate(values)]
        for name, i, j in ops:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            pool.append({"add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b,
                         "tanh": a.tanh, "exp": lambda: (a * 0.3).exp()}[name]())
        return pool[-1]
    with tempfile.TemporaryDirectory() as folder:
        text = explore(build(), Path(folder) / "p.html").read_text(encoding="utf-8")
    rows = build().backward(explain=True).rows
    data, ids = page_data(text), set(re.findall(r'<g id="([^"]+)"', text))
    assert len(data["steps"]) == len(rows)
    for k, (step, row) in enumerate(zip(data["steps"], rows), 1):
        got = {cls: t for line in step["lines"] for cls, t in line if cls}
        assert (got["node"], got["input"]) == (row.node, row.input)
        assert same_numbers(got["product"], row.contribution)
        assert same_numbers(got["total"], row.accumulated)
        assert step["edges"] and set(step["edges"]) | {step["node"], step["input"]} <= ids
        last = max(i for i, s in enumerate(data["steps"], 1) if s["input"] == step["input"])
        assert (step["input"] in step["done"]) == (k == last)


def test_a_leaf_has_a_page_with_no_steps(tmp_path):
    a = Value(2.0, label="a")
    data = page_data(explore(a, tmp_path / "p.html").read_text(encoding="utf-8"))
    assert data["steps"] == [] and data["initialDone"] == ["v0"]
    assert "a is a leaf" in data["intro"][0][0][1]


def test_the_graph_command_writes_the_page_with_html(tmp_path, capsys):
    from microgradnn.cli import main
    page = tmp_path / "page.html"
    status = main(["graph", "--expr", "a*a + a", "--set", "a=2", "-o", str(tmp_path / "g.svg"),
                   "--html", str(page)])
    assert status == 0 and f"wrote {page}" in capsys.readouterr().out
    assert len(page_data(page.read_text(encoding="utf-8"))["steps"]) == 4


def test_the_graph_command_says_html_needs_dot(tmp_path, capsys, monkeypatch):
    from microgradnn.cli import main
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status = main(["graph", "--expr", "a*a", "--set", "a=2", "-o", str(tmp_path / "g.svg"),
                   "--html", str(tmp_path / "page.html")])
    assert status == 2 and "--html draws the graph with Graphviz's `dot`" in capsys.readouterr().err
    assert not (tmp_path / "page.html").exists()


def test_a_value_used_twice_lights_each_of_its_arrows_in_turn(tmp_path):
    y, _ = used_twice()
    steps = page_data(explore(y, tmp_path / "p.html").read_text(encoding="utf-8"))["steps"]
    assert [s["edges"][0] for s in steps] == ["edge-v1-op2-0", "edge-v0-op2-0",
                                              "edge-v0-op1-0", "edge-v0-op1-1"]


@pytest.mark.parametrize("call, error, message", [
    (lambda p: explore(3.0, p), TypeError, "explore: expected a Value, got float"),
    (lambda p: explore(Value(np.ones(3)) * 2, p), ValueError, "explore: the output has shape (3,)"),
    (lambda p: explore(Value(2.0, requires_grad=False) * 3, p), ValueError,
     "does not depend on anything that requires a gradient"),
    (lambda p: explore(used_twice()[0], p.with_suffix(".svg")), ValueError,
     "the page's file name must end with .html"),
    (lambda p: explore(used_twice()[0], p, max_nodes=0), ValueError,
     "max_nodes must be a positive integer, got 0"),
    (lambda p: explore(used_twice()[0], p, check=crosscheck(MLP([2, 3, 1], ["tanh", "sigmoid"]),
                                                            X, Y)), ValueError,
     "pass the network too"),
    (lambda p: explore(network()[0], p, network=network()[1], check="ok"), TypeError,
     "check must be a CrossCheckReport"),
    (lambda p: explore(network()[0], p, network=network()[1]), ValueError,
     "the network's z1 is not part of the graph under this value"),
    (lambda p: explore(used_twice()[0], p, network=object()), TypeError,
     "explore: network must be an MLP"),
], ids=["not a Value", "not one element", "constant", "not .html", "max_nodes 0", "check alone",
        "check not a report", "another graph", "not a network"])
def test_bad_input_gets_a_clear_error(tmp_path, call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()


# --- in a real browser ------------------------------------------------------------------------

from browser import browser, by_id, open_page  # noqa: E402,F401 - browser is a fixture


def parts(driver):
    """{class: text} of the explanation's marked parts (upstream, local, product, ...)."""
    return driver.execute_script(
        "var out = {}; document.querySelectorAll('#explanation span').forEach("
        "function (s) { out[s.className] = s.textContent; }); return out;")


def check_steps(driver, rows):
    """Click "Next step" through every row, checking the explanation and the counter."""
    n = len(rows)
    assert by_id(driver, "counter").text == f"step 0 of {n}"
    for k, row in enumerate(rows, 1):
        by_id(driver, "next").click()
        assert by_id(driver, "counter").text == f"step {k} of {n}"
        got = parts(driver)
        assert (got["node"], got["input"], got["formula"]) == (row.node, row.input, row.formula)
        assert same_numbers(got["upstream"], row.upstream), (k, got, row)
        if row.local is not None:                     # "1", not "1 = 1": no second number
            assert same_numbers(got.get("local", got["formula"]), row.local), (k, got, row)
        else:                                         # a Jacobian, or a broadcast input
            assert "local" not in got
            assert ("broadcast" if getattr(ops, row.op).elementwise else "vector-Jacobian") in \
                by_id(driver, "explanation").text
        assert same_numbers(got["product"], row.contribution), (k, got, row)
        assert same_numbers(got["total"], row.accumulated), (k, got, row)
    assert by_id(driver, "next").get_attribute("disabled") is not None


def no_requests_and_no_errors(driver, path):
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    page = Path(path).resolve().as_uri()
    events = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    sent = [m["params"] for m in events if m["method"] == "Network.requestWillBeSent"]
    assert {r["request"]["url"] for r in sent if r.get("documentURL") == page} == {page}
    assert not [r["request"]["url"] for r in sent
                if re.match(r"(https?|wss?|ftp):", r["request"]["url"])]


def classes(driver, ident):
    return set(by_id(driver, ident).get_attribute("class").split())


def test_browser_steps_through_a_value_used_twice(browser, tmp_path):
    y, a = used_twice()
    path = explore(y, tmp_path / "twice.html")
    rows = used_twice()[0].backward(explain=True).rows
    open_page(browser, path)
    assert "done" not in classes(browser, "v0") and "done" in classes(browser, "v2")
    check_steps(browser, rows)
    assert [r.input for r in rows].count("a") == 3
    assert "contribution 3 of 3" in by_id(browser, "explanation").text
    assert {"done"} <= classes(browser, "v0") and {"done"} <= classes(browser, "v1")
    grad_text = browser.execute_script(
        "var t = document.querySelector('#v0 text.grad'); "
        "return [t.textContent, getComputedStyle(t).visibility];")
    assert grad_text == ["grad 5", "visible"]             # dy/da = 2a + 1 at a = 2
    no_requests_and_no_errors(browser, path)


def test_browser_keys_previous_and_reset_move_the_counter(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    y, _ = used_twice()
    open_page(browser, explore(y, tmp_path / "keys.html"))
    body = browser.find_element("tag name", "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert by_id(browser, "counter").text == "step 3 of 4"
    body.send_keys(Keys.ARROW_LEFT)
    assert by_id(browser, "counter").text == "step 2 of 4"
    assert "done" not in classes(browser, "v0")           # a's gradient is not complete yet
    by_id(browser, "prev").click()
    assert by_id(browser, "counter").text == "step 1 of 4"
    by_id(browser, "reset").click()
    assert by_id(browser, "counter").text == "step 0 of 4"
    assert by_id(browser, "prev").get_attribute("disabled") is not None
    assert "starts at y" in by_id(browser, "explanation").text


def test_browser_clicking_a_node_shows_op_formula_value_and_gradient(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    _, w, b, y = tanh_neuron(x_requires_grad=False)
    open_page(browser, explore(y, tmp_path / "neuron.html"))
    by_id(browser, "op3").click()
    text = by_id(browser, "details").text
    assert "op: mul" in text and "∂(x*w)/∂w = x (right operand)" in text and "value: -0.6" in text
    assert "not complete yet" in text
    for _ in range(4):
        by_id(browser, "next").click()
    by_id(browser, "v1").send_keys(Keys.ENTER)           # the keyboard way to a node
    text = by_id(browser, "details").text
    # dy/dw = (1 − tanh²(x·w + b))·x at x = 0.5, w = −1.2, b = 0.3
    want = (1 - np.tanh(0.5 * -1.2 + 0.3) ** 2) * 0.5
    assert "node w" in text and "value: -1.2" in text
    assert same_numbers(re.search(r"gradient: (\S+)", text).group(1), want)


def test_browser_steps_through_a_2_3_1_network(browser, tmp_path):
    torch = pytest.importorskip("torch")
    loss, net = network()
    deltas, db, dw = closed_form(net)
    dw_bad = [dw[0], dw[1] + 0.1]                     # a wrong hand-written ∂C/∂W2
    report = crosscheck_gradients(net, X, Y, dw_bad, db, layout="rows")
    net(X)
    loss = network_loss(net, Y, "quadratic")
    path = explore(loss, tmp_path / "network.html", network=net, check=report)
    rows = network()[0].backward(explain=True).rows
    open_page(browser, path)
    check_steps(browser, rows)
    # The final gradients, against PyTorch.
    W1 = torch.tensor(net.weights[0].data, requires_grad=True)
    b1 = torch.tensor(net.biases[0].data, requires_grad=True)
    W2 = torch.tensor(net.weights[1].data, requires_grad=True)
    b2 = torch.tensor(net.biases[1].data, requires_grad=True)
    out = torch.sigmoid(torch.tanh(torch.tensor(X) @ W1.T + b1) @ W2.T + b2)
    ((out - torch.tensor(Y)) ** 2).sum().div(2 * len(X)).backward()
    for l, (W, b) in ((1, (W1, b1)), (2, (W2, b2))):
        values = browser.execute_script(
            f"return Array.from(document.querySelectorAll('#layer-{l} .val'))"
            ".map(function (v) {{ return v.textContent; }});")
        assert same_numbers(values[1], b.grad.numpy()) and same_numbers(values[2], W.grad.numpy())
        assert same_numbers(values[0], deltas[l - 1])
    colour = browser.execute_script(
        "return getComputedStyle(document.querySelector('#cluster_layer2 > path, "
        "#cluster_layer2 > polygon')).stroke;")
    assert colour == "rgb(220, 38, 38)"                   # the layer with the wrong ∂C/∂W2
    assert "layer-bad" not in classes(browser, "cluster_layer1")
    no_requests_and_no_errors(browser, path)
    shot = tmp_path / "explorer.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_a_dense_layers_three_inputs_are_named_first_second_and_third_operand(tmp_path):
    loss, net = network()
    text = explore(loss, tmp_path / "n.html", network=net).read_text(encoding="utf-8")
    assert "(first operand)" in text and "(second operand)" in text and "(third operand)" in text
    assert "1ᵀG (third operand)" in text     # b's VJP: BP3's Σ over the rows
