"""The explorer's failing layers show the checked numbers beside the reference's."""
import html
import re
import shutil

import numpy as np
import pytest

from microgradnn import MLP, crosscheck_gradients, explore
from microgradnn.losses import network_loss

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="explore renders its graph with Graphviz's `dot`")

X = np.array([[0.5, -1.0], [1.0, 2.0]])
Y = np.array([[1.0], [0.0]])


def _page(tmp_path, report, net):
    net(X)
    loss = network_loss(net, Y, "quadratic")
    return explore(loss, tmp_path / "p.html", network=net, check=report).read_text(encoding="utf-8")


def _right(net):
    net(X)
    network_loss(net, Y, "quadratic").backward()
    dw, db = [W.grad.copy() for W in net.weights], [b.grad.copy() for b in net.biases]
    for p in net.parameters():
        p.grad = None
    return dw, db


def test_a_failing_row_shows_your_numbers_beside_autodiffs(tmp_path):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    dw, db = _right(net)
    report = crosscheck_gradients(net, X, Y, [-dw[0], dw[1]], db, layout="rows")
    text = _page(tmp_path, report, net)
    assert text.count('data-side="checked"') == 1          # the one failing row, not the others
    for side, who, want in (("checked", "your gradients", -dw[0]), ("reference", "autodiff", dw[0])):
        shown = re.search(rf'<div class="val" data-side="{side}">{who}: (.*?)</div>', text).group(1)
        got = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", shown)]
        np.testing.assert_allclose(got, want.ravel(), rtol=1e-5)


def test_the_numbers_beside_a_failing_row_are_the_compared_ones(tmp_path):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    dw, db = _right(net)
    report = crosscheck_gradients(net, X, Y, [-dw[0], dw[1]], db, layout="rows")
    row = next(r for r in report.rows if not r.ok)
    np.testing.assert_array_equal(row.checked_values, -dw[0])
    np.testing.assert_allclose(row.reference_values, dw[0], rtol=1e-12)


def test_the_names_beside_the_numbers_are_escaped(tmp_path):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    dw, db = _right(net)
    report = crosscheck_gradients(net, X, Y, [-dw[0], dw[1]], db, layout="rows")
    report.checked = "<script>alert(1)</script>"
    text = _page(tmp_path, report, net)
    assert "<script>alert(1)</script>" not in text
    assert html.escape("<script>alert(1)</script>") in text
