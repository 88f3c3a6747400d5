"""Every picture in the docs is what the code printed beside it draws today (docs/make_pictures.py)."""
import importlib.util
import shutil
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "make_pictures.py"


def load_script():
    spec = importlib.util.spec_from_file_location("make_pictures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_docs_picture_is_drawn_by_the_code_beside_it_and_none_is_an_orphan():
    problems = load_script().problems()
    assert problems == [], "\n".join(problems) + "\n(redraw: python docs/make_pictures.py)"


def test_the_pictures_dot_text_is_the_same_in_every_run():
    script = load_script()
    assert script.all_drawings() == script.all_drawings()


def test_a_picture_whose_code_changed_is_reported_stale(tmp_path, monkeypatch):
    script = load_script()
    page = tmp_path / "page.md"
    page.write_text('```python\nfrom microgradnn import Value, draw_graph\n'
                    'd = draw_graph(Value(1.0, label="a") * 2)\n```\n\n'
                    '<!-- picture: d -->\n![a](img/a.svg)\n\n![b](img/unmarked.svg)\n',
                    encoding="utf-8")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.svg").write_text("<?xml?>\n<!-- drawn from an older version -->\n")
    (tmp_path / "img" / "old.png").write_bytes(b"")
    monkeypatch.setattr(script, "DOCS", tmp_path)
    monkeypatch.setattr(script, "IMG", tmp_path / "img")
    problems = "\n".join(script.problems())
    assert "img/a.svg is not what the code beside it draws" in problems
    assert "img/unmarked.svg has no <!-- picture: ... --> marker" in problems
    assert "img/old.png is shown on no page" in problems


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
def test_a_redrawn_picture_passes_the_check(tmp_path, monkeypatch):
    script = load_script()
    (tmp_path / "page.md").write_text(
        '```python\nfrom microgradnn import Value, draw_graph\n'
        'd = draw_graph(Value(1.0, label="a") * 2)\n```\n\n<!-- picture: d -->\n![a](img/a.svg)\n',
        encoding="utf-8")
    monkeypatch.setattr(script, "DOCS", tmp_path)
    monkeypatch.setattr(script, "IMG", tmp_path / "img")
    assert [p.name for p in script.write()] == ["a.svg"]
    assert script.problems() == []
