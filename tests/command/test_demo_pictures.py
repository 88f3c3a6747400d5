"""The demo's drawn loss graph shows the gradients the cross-check computes, never stale ones."""
import contextlib
import html
import io
import re

import numpy as np
import pytest

import microgradnn.show.viz as viz
from microgradnn.check import crosscheck
from microgradnn.command import cli
from microgradnn.engine import walk


def _drawn_gradients(dot_source: str, name: str) -> list:
    """The numbers on the "grad" line of the box labelled ``name`` in a DOT source."""
    label = re.search(rf"<B>{re.escape(name)}</B>.*?</TABLE>", dot_source, re.S).group(0)
    after = html.unescape(re.sub(r"<[^>]+>", " ", label.split("grad", 1)[1]))
    return [float(v) for v in re.findall(r"[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?",
                                         after.replace("−", "-"))]


@pytest.fixture
def demo_drawings(monkeypatch, tmp_path):
    """Run the demo (fast), keeping what it drew: the loss it drew, its DOT, the network and
    the batch of that loss."""
    seen = {}
    draw_graph, draw_network = viz.draw_graph, viz.draw_network

    def spy_graph(root, **kwargs):
        graph = draw_graph(root, **kwargs)
        if root.label == "loss":            # loss-graph.svg (first)
            seen.setdefault("dots", []).append(graph.source)
            seen["y"] = next(v for v in walk(root) if v.label == "y").data.copy()
        return graph

    def spy_network(net, **kwargs):
        seen["net"], seen["x"] = net, net.nodes["x"].data.copy()
        return draw_network(net, **kwargs)

    monkeypatch.setattr(viz, "draw_graph", spy_graph)
    monkeypatch.setattr(viz, "draw_network", spy_network)
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["demo", "--fast", "--no-progress", "--out", str(tmp_path / "d")]) == 0
    return seen


def test_the_demos_loss_graph_shows_the_cross_checks_gradients(demo_drawings):
    net, x, y = demo_drawings["net"], demo_drawings["x"], demo_drawings["y"]
    report = crosscheck(net, x, y, loss="bce")
    assert report.ok, report
    closed = {(r.layer, r.equation): r.checked_values for r in report.rows}   # BP1–BP4's numbers
    dot = demo_drawings["dots"][0]                    # loss-graph.svg
    for l in range(1, len(net.weights) + 1):
        for name, equation in ((f"W{l}", "BP4"), (f"b{l}", "BP3")):
            want = np.asarray(closed[l, equation], dtype=float)
            drawn = _drawn_gradients(dot, name)
            if len(drawn) == want.size:
                expected = want.ravel()
            else:                                   # a big one is drawn as min, mean, max
                expected = [want.min(), want.mean(), want.max()]
            np.testing.assert_allclose(drawn, expected, rtol=2e-3, atol=1e-6 * abs(want).max(),
                                       err_msg=f"{name}'s drawn gradient")


def test_fit_leaves_the_gradients_cleared():
    from microgradnn import MLP
    from microgradnn.training import fit
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    fit(net, x, np.array([[1.0], [1.0], [0.0]]), loss="bce", epochs=2, progress=False)
    assert all(p._grad is None for p in net.parameters())
    assert all(not np.any(p.grad) for p in net.parameters())
