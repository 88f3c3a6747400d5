"""Every picture in the docs is what the code printed beside it draws today (docs/make_pictures.py),
and the explorer's example page and its screenshot are what today's explore makes
(docs/make_explorer_example.py)."""
import importlib.util
import shutil
import struct
import zlib
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "make_pictures.py"


def load_script(script=SCRIPT):
    spec = importlib.util.spec_from_file_location(script.stem, script)
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


# --- the explorer's example page and its screenshot -------------------------------------------

EXPLORER_SCRIPT = SCRIPT.parent / "make_explorer_example.py"
IHDR = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)               # a 1×1 grey PNG's header
TINY_PNG = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(IHDR)) + b"IHDR" + IHDR
            + struct.pack(">I", zlib.crc32(b"IHDR" + IHDR)))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


@needs_dot
def test_the_explorer_example_and_its_screenshot_are_what_todays_explore_makes():
    problems = load_script(EXPLORER_SCRIPT).problems()
    assert problems == [], "\n".join(problems)


@needs_dot
def test_an_explorer_example_or_screenshot_of_an_older_page_is_reported_stale(tmp_path, monkeypatch):
    script = load_script(EXPLORER_SCRIPT)
    page, png = tmp_path / "explorer-example.html", tmp_path / "explorer.png"
    monkeypatch.setattr(script, "PAGE", page)
    monkeypatch.setattr(script, "SCREENSHOT", png)
    today = script.example_page()
    page.write_text(today.replace("step 0 of", "step 0 of 1"), encoding="utf-8")
    png.write_bytes(script.stamped_png(TINY_PNG, "an older page"))
    problems = "\n".join(script.problems())
    assert "explorer-example.html is not what today's explore draws" in problems
    assert "explorer.png was not taken of explorer-example.html as it is" in problems
    page.write_text(today, encoding="utf-8")
    png.write_bytes(script.stamped_png(TINY_PNG, today))
    assert script.problems() == []


def test_the_explorer_screenshot_is_taken_in_headless_chromium(tmp_path):
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        pytest.skip("Chromium and chromedriver are not installed (make test installs them)")
    pytest.importorskip("selenium")
    script = load_script(EXPLORER_SCRIPT)
    png = script.screenshot(script.PAGE)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert script.png_stamp(script.stamped_png(png, "page")) == script.hashlib.sha256(b"page").hexdigest()
