"""Each exercise stands at the end of the page it practises, and no page gives its answer away."""
import inspect
import re
from pathlib import Path

import pytest

from microgradnn import exercises

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", exercises.list())
def test_the_exercise_is_in_the_last_section_of_its_page(name):
    text = (DOCS / exercises.EXERCISES[name].page).read_text(encoding="utf-8")
    last = text[text.rindex("\n## "):]
    assert last.startswith("\n## Exercises\n")
    assert f'exercises.statement("{name}")' in last


@pytest.mark.parametrize("name", exercises.list())
def test_no_page_shows_the_reference_answer(name):
    answer = exercises.solution(name)
    if not callable(answer) or name == "fixed_backprop":   # its page shows the buggy one
        return
    body = [line.split("#")[0].strip() for line in inspect.getsource(answer).splitlines()[1:]]
    body = [line for line in body if len(line) > 12 and not line.startswith(("n =", "dw, db ="))]
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        shown = [line for line in body if line in text]
        assert len(shown) < max(1, len(body) // 2), (page.name, shown)


def test_the_exercises_follow_the_order_of_the_learn_path():
    nav = re.findall(r"^\s+- [^:]+: (\S+\.md)$",
                     (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    pages = [exercises.EXERCISES[n].page for n in exercises.list()]
    assert pages == sorted(pages, key=nav.index)


def test_the_home_page_states_the_path_in_the_navs_order():
    nav = re.findall(r"^\s+- [^:]+: (\S+\.md)$",
                     (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    learn = nav[nav.index("micrograd.md"):nav.index("explore.md") + 1]
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    path = index[index.index("**To learn backpropagation**"):index.index("**To use the library**")]
    listed = re.findall(r"^\d+\. .*?\]\((\S+\.md)\)", path, re.M)
    assert listed == learn
