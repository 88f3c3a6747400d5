"""The notebooks in notebooks/ run top to bottom without an error, as a learner would run them.

Each is executed once by a fresh Jupyter kernel (nbclient + ipykernel: the `notebooks` extra,
which `make test` installs), from the notebooks folder, with this checkout's microgradnn
importable. The notebooks assert what they claim themselves (gradients equal, the planted bug
found, the accuracy reached); the tests below check what a learner sees.
"""
import functools
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {p.stem: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}


@functools.lru_cache(maxsize=None)
def executed(stem: str):
    """The notebook after a run; CellExecutionError (naming the cell) on the first error."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    path = NOTEBOOKS[stem]
    if "draw" in path.read_text(encoding="utf-8") and shutil.which("dot") is None:
        pytest.skip("its drawings need Graphviz's dot program (make test installs it)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.pop("MPLBACKEND", None)        # the kernel's inline backend, as in Jupyter
    book = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    return book


def outputs(book) -> list:
    return [out for cell in book.cells if cell.cell_type == "code" for out in cell.outputs]


def test_there_are_three_notebooks():
    assert list(NOTEBOOKS) == ["01_autodiff_from_one_neuron", "02_the_four_equations",
                               "03_training_digits"]


@pytest.mark.parametrize("stem", list(NOTEBOOKS))
def test_every_cell_of_the_notebook_runs(stem):
    book = executed(stem)
    assert all(cell.execution_count for cell in book.cells
               if cell.cell_type == "code" and cell.source.strip())   # an empty answer cell: no


def test_the_autodiff_notebook_shows_its_drawings_inline_as_svg():
    book = executed("01_autodiff_from_one_neuron")
    svgs = [out["data"]["image/svg+xml"] for out in outputs(book)
            if "image/svg+xml" in out.get("data", {})]
    assert len(svgs) >= 6 and all("<svg" in s for s in svgs)


def test_the_four_equations_notebook_finds_the_planted_bug():
    text = "".join(out.get("text", "") for out in outputs(executed("02_the_four_equations")))
    assert "first disagreement: (" in text


def test_the_digits_notebook_shows_plots_and_a_progress_bar():
    book = executed("03_training_digits")
    assert sum("image/png" in out.get("data", {}) for out in outputs(book)) >= 4
    bar = "".join(out.get("text", "") for out in outputs(book) if out.get("name") == "stderr")
    bar += "".join(str(out.get("data", {})) for out in outputs(book))
    assert "15/15" in bar


def test_notebooks_are_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    for path in NOTEBOOKS.values():
        book = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in book.cells if c.cell_type == "code"), path.name
