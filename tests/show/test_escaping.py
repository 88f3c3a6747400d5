"""Text that reaches a drawing or a page is text: each sink's helper, and every drawing and page
built from hostile labels and report rows, with generated text (control characters, NUL, lone
surrogates, </script>, quotes, triple quotes, 100 kB).

Sinks (microgradnn.show.escape): a DOT string (plain labels, edge labels, cluster titles), a
record field (micrograd's draw_dot), a Graphviz HTML-like label (value boxes, network boxes),
the explorer's HTML (titles, layer panels, cross-check rows) and the JSON in its <script>.
Graphviz's SVG is checked as XML: well formed, no link, the label's visible text drawn.
"""
import html.parser
import json
import shutil
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from hostile import PAYLOADS, hostile_text
from microgradnn import MLP, Value
from microgradnn.check import crosscheck
from microgradnn.explorer import explore
from microgradnn.losses import network_loss
from microgradnn.micrograd.engine import Value as MicrogradValue
from microgradnn.micrograd.trace_graph import draw_dot
from microgradnn.show.escape import (LABEL_CHARS, dot_html, dot_record, dot_text, page_html,
                                     script_json, shorten, visible)
from microgradnn.viz import Drawing, draw_graph, draw_network, run_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
FEW = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])


def drawn(text: str) -> str:
    """What a label holding text must show: visible, cut to LABEL_CHARS."""
    return shorten(visible(text))


def svg_tree(svg: bytes) -> ET.Element:
    """The SVG parsed as XML (a control character or a lone surrogate would make it fail)."""
    return ET.fromstring(svg)


def texts(tree: ET.Element) -> list:
    return ["".join(t.itertext()).replace("\xa0", " ") for t in tree.iter(f"{SVG}text")]


def no_links(tree: ET.Element) -> None:
    assert not list(tree.iter(f"{SVG}a"))
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert "javascript:" not in value.lower(), (name, value)
            assert name != f"{XLINK}href" and name != "href", (name, value)


def squeeze(text: str) -> str:
    return " ".join(text.split())


# --- each helper, on its own ------------------------------------------------------------------

@given(hostile_text())
def test_visible_text_holds_no_control_character_surrogate_or_noncharacter(text):
    out = visible(text)
    out.encode("utf-8")                                           # no lone surrogate
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\ufffe\uffff" for c in out)
    if text.isprintable():
        assert out == text


@given(hostile_text())
def test_a_shortened_label_says_how_many_characters_it_left_out(text):
    out = shorten(text)
    assert out == text if len(text) <= LABEL_CHARS else \
        out == f"{text[:LABEL_CHARS]}… (+{len(text) - LABEL_CHARS:,} characters)"


@given(hostile_text())
def test_a_dot_string_is_never_an_html_label_and_ends_no_quote(text):
    out = dot_text(text)
    assert out.count("\\") % 2 == 0 and "&" not in out.replace("&amp;", "")
    from graphviz.quoting import quote
    assert not quote(out).startswith("<")                         # never an HTML-like label


@given(hostile_text())
def test_html_text_holds_no_markup_and_decodes_to_the_visible_text(text):
    import html as std_html
    for helper, want in ((dot_html, drawn(text).replace("\\", "\\\\")),
                         (page_html, visible(text))):
        out = helper(text)
        assert not set(out) & set("<>\"'") and std_html.unescape(out) == want


@given(hostile_text())
def test_script_json_reads_back_as_the_visible_text_and_cannot_end_the_script(text):
    out = script_json({"text": text, "rows": [[text, 1.5, None]]})
    out.encode("utf-8")
    assert not set(out) & set("<>&")
    assert json.loads(out) == {"text": visible(text), "rows": [[visible(text), 1.5, None]]}


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.data.append(data)


@given(hostile_text())
def test_page_html_is_one_text_node_in_an_element_and_in_an_attribute(text):
    parser = _Tags()
    parser.feed(f'<p title="{page_html(text)}">{page_html(text)}</p>')
    parser.close()
    assert parser.tags == [("p", {"title": visible(text)})]
    assert "".join(parser.data) == visible(text)


# --- each sink through Graphviz ---------------------------------------------------------------

@needs_dot
@FEW
@given(hostile_text())
def test_a_dot_string_label_edge_label_and_cluster_title_draw_as_their_visible_text(text):
    d = Drawing()
    with d.subgraph(name="cluster_x") as c:
        c.attr(label=dot_text(text))
        c.node("a", dot_text(text))
    d.node("b", "b")
    d.edge("a", "b", label=dot_text(text))
    tree = svg_tree(run_dot(d.source, "svg"))
    no_links(tree)
    want = squeeze(drawn(text))
    assert [squeeze(t) for t in texts(tree)].count(want) == (3 if want else 0)


@needs_dot
@FEW
@given(hostile_text())
def test_an_html_like_label_draws_as_its_visible_text(text):
    d = Drawing()
    d.node("a", f"<<TABLE><TR><TD>{dot_html(text)}</TD></TR></TABLE>>")
    tree = svg_tree(run_dot(d.source, "svg"))
    no_links(tree)
    assert squeeze(" ".join(texts(tree))) == squeeze(drawn(text))


@needs_dot
@FEW
@given(hostile_text())
def test_a_record_field_draws_as_its_visible_text(text):
    d = Drawing()
    d.node("a", "{ %s | data 1.0 }" % dot_record(text), shape="record")
    tree = svg_tree(run_dot(d.source, "svg"))
    no_links(tree)
    shown = [squeeze(t) for t in texts(tree)]
    assert shown[-1] == "data 1.0" and squeeze(" ".join(shown[:-1])) == squeeze(drawn(text))


# --- the drawings and the page, built from hostile labels -------------------------------------

def labelled_graph(text):
    """A graph whose every label, the root's too, is text (a leaf used twice, a tanh, a sum)."""
    a, b = Value(2.0, label=text), Value(-1.5, label=text + "b")
    y = (a * b + a).tanh()
    y.label = text
    return y


@needs_dot
@FEW
@given(hostile_text())
def test_draw_graph_draws_hostile_labels_with_local_derivatives_as_text(text):
    y = labelled_graph(text)
    y.backward()
    tree = svg_tree(draw_graph(y, edge_labels="local").pipe(format="svg"))
    no_links(tree)
    want = squeeze(drawn(text))
    assert not want or want in [squeeze(t) for t in texts(tree)]


def network_and_loss(text):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]])
    report = crosscheck(net, x, y, "bce")
    for row in report.rows:
        row.equation, row.quantity, row.note = text, text, text
    report.checked, report.reference, report.loss, report.batch = text, text, text, text
    net(x)
    loss = network_loss(net, y, "bce")
    loss.label = text
    return net, loss, report


@needs_dot
@pytest.mark.parametrize("text", PAYLOADS[:8] + ["\x00\ud800" + "x" * 100_000])
def test_a_clustered_loss_frame_is_titled_by_the_roots_label_as_text(text):
    _, loss, _ = network_and_loss(text)
    tree = svg_tree(draw_graph(loss, cluster_layers=True).pipe(format="svg"))
    no_links(tree)
    assert squeeze(drawn(text)) in [squeeze(t) for t in texts(tree)]


@needs_dot
@pytest.mark.parametrize("neurons", [False, True])
@pytest.mark.parametrize("text", PAYLOADS[:6] + ["\x00" * 100_000])
def test_draw_network_draws_hostile_names_as_text(text, neurons):
    net = SimpleNamespace(layers=[2, 3, 1], activations=[text, text],
                          weights=[SimpleNamespace(label=text)] * 2,
                          biases=[SimpleNamespace(label=text)] * 2)
    tree = svg_tree(draw_network(net, neurons=neurons).pipe(format="svg"))
    no_links(tree)
    assert any(squeeze(drawn(text))[:60] in squeeze(t) for t in texts(tree))


@needs_dot
@FEW
@given(hostile_text(), hostile_text())
def test_micrograds_draw_dot_draws_hostile_labels_and_ops_as_text(text, op):
    a, b = MicrogradValue(2.0, label=text), MicrogradValue(3.0, label="b")
    c = a * b
    c._op = op                         # micrograd's op is any string its user passed
    tree = svg_tree(draw_dot(c).pipe(format="svg"))
    no_links(tree)
    want = squeeze(drawn(text))
    assert not want or want in [squeeze(t) for t in texts(tree)]


class _Page(html.parser.HTMLParser):
    """Every tag of a page, and the text of its scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "style", "body", "header", "h1", "h2",
                "h3", "button", "span", "main", "div", "aside", "section", "p", "script", "b",
                "ul", "li", "svg", "g", "title", "polygon", "path", "ellipse", "text", "polyline"}


@needs_dot
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.function_scoped_fixture])
@given(text=hostile_text())
def test_an_explorer_page_built_from_hostile_labels_and_report_rows_holds_them_as_text(
        text, tmp_path_factory):
    net, loss, report = network_and_loss(text)
    page = explore(loss, tmp_path_factory.mktemp("page") / "p.html", network=net, check=report)
    source = page.read_bytes().decode("utf-8")                   # it was encodable
    parser = _Page()
    parser.feed(source)
    assert {tag for tag, _ in parser.tags} <= ALLOWED_TAGS
    assert [attrs for tag, attrs in parser.tags if tag == "script"] == [
        {"type": "application/json", "id": "explorer-data"}, {}]
    for tag, attrs in parser.tags:                               # no link, no handler
        assert not any(name.startswith("on") or "javascript:" in (value or "").lower()
                       for name, value in attrs.items()), (tag, attrs)
    data = json.loads(parser.scripts[0])
    names = {entry["title"] for entry in data["details"].values()}
    assert not text or visible(text) in names                    # the root's label, as text
    assert f"{visible(text)} {visible(text)}: ok" in source.replace("&#x27;", "'") \
        .replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
