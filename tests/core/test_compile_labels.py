"""Labels never become code in compile's source: names are identifiers made from them, and their
text appears only inside comments, escaped."""
import ast
import io
import tokenize

import numpy as np
from hypothesis import given, settings

import microgradnn
from microgradnn import Value
from hostile import PAYLOADS, hostile_text


def _graph(labels):
    x = Value(np.array([0.5, -1.0]), label=labels[0], requires_grad=False)
    w = Value(np.array([2.0, 3.0]), label=labels[1])
    h = (x * w).tanh()
    h.label = labels[2]
    out = (h * w).sum()
    out.label = labels[3]
    return x, w, out


def _check_source_is_only_our_code(source):
    tree = ast.parse(source)                    # it compiles
    assert [type(n) for n in tree.body] == [ast.FunctionDef]
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom, ast.Lambda, ast.ClassDef))
                   for n in ast.walk(tree))
    docstrings = {id(tree.body[0].body[0].value)}
    assert all(id(n) in docstrings for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, str))
    for name in (n.id for n in ast.walk(tree) if isinstance(n, ast.Name)):
        assert name.isascii() and name.isidentifier() and not name.startswith("__")
    calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert all(c.startswith("np.") for c in calls), calls
    # every line holds at most one comment, which runs to its end: no label text outside it
    comments = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                if t.type == tokenize.COMMENT]
    assert len(comments) == len(source.splitlines()) - 3    # all but def, docstring and return


def _exact(labels):
    x, w, out = _graph(labels)
    f = microgradnn.compile(out, [x])
    _check_source_is_only_our_code(f.source)
    value = f(np.array([1.5, 0.25]))
    got = w.grad.copy()
    x.data = np.array([1.5, 0.25])
    _, _, reference = _graph(labels)
    assert abs(value - (np.tanh(x.data * w.data) * w.data).sum()) < 1e-12
    return got, reference


@given(hostile_text(), hostile_text(), hostile_text(), hostile_text())
@settings(max_examples=60)
def test_hostile_labels_stay_text_and_the_source_stays_exact(a, b, c, d):
    _exact([a, b, c, d])


def test_every_known_payload_as_every_label_stays_text():
    for payload in PAYLOADS + ["x\nimport os; os.remove('f')", "# \"\"\" '''", "\r\nreturn 1",
                               "np", "def", "__import__", "_s", "0x", "a b"]:
        _exact([payload] * 4)


def test_a_newline_in_a_label_is_escaped_inside_its_comment():
    x, w, out = _graph(["x\nimport os", "w", "h", "out"])
    source = microgradnn.compile(out, [x]).source
    assert "import os" not in source.replace("x\\nimport os", "")
    assert "x\\nimport os" in source


def test_labels_that_make_the_same_identifier_get_distinct_names():
    x, w, out = _graph(["a-b", "a b", "a.b", "a_b"])
    f = microgradnn.compile(out, [x])
    assert f.source.splitlines()[0] == "def forward_backward(a_b, a_b_2):"
