"""Each notebook ends with one or two exercises: a statement, an empty answer cell and a check.

On the site the answer cells are empty (the check says "not answered yet"); here they are run
with the reference answers filled in, and every check must say "right"."""
import os
from pathlib import Path

import pytest

from microgradnn import exercises

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def exercise_cells(book):
    return [c for c in book.cells if "exercise" in c.metadata]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebook_ends_with_exercises_whose_answer_cells_are_empty(path):
    nbformat = pytest.importorskip("nbformat")
    book = nbformat.read(path, as_version=4)
    cells = exercise_cells(book)
    assert 3 <= len(cells) <= 6 and book.cells[-len(cells):] == cells
    names = {c.metadata["exercise"]["name"] for c in cells}
    assert names <= set(exercises.list())
    assert all(c.source == "" for c in cells if c.metadata["exercise"]["role"] == "answer")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebook_run_with_the_reference_answers_passes_its_checks(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    book = nbformat.read(path, as_version=4)
    if "draw" in path.read_text(encoding="utf-8"):
        import shutil
        if shutil.which("dot") is None:
            pytest.skip("its drawings need Graphviz's dot program")
    for cell in exercise_cells(book):
        if cell.metadata["exercise"]["role"] == "answer":
            cell.source = exercises.solution_source(cell.metadata["exercise"]["name"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.pop("MPLBACKEND", None)
    nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    for cell in exercise_cells(book):
        if cell.metadata["exercise"]["role"] == "check":
            text = "".join(out.get("text", "") for out in cell.outputs)
            assert text.strip() == f"{cell.metadata['exercise']['name']}: right", text
