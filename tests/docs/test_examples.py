"""Every script in examples/ runs, in its tiny setting (MICROGRADNN_EXAMPLE_FAST=1), and prints
what it promises — so no example rots."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# What each example must print (and, for some, the optional package it needs).
EXPECTED = {
    "01_scalar_expression.py": (["df/dx", "wrote ", "expression."], None),
    "02_neuron_by_hand.py": (["21 parameters", "predictions:"], None),
    "03_xor.py": (["all four right: True"], None),
    "04_moons_boundary.py": (["test accuracy:", "moons-loss.png"], "matplotlib"),
    "05_digits.py": (["held-out accuracy on 450 digits"], "sklearn"),
    "06_crosscheck_your_backprop.py": (["): OK", "first disagreement: (2, 'BP1')"], None),
    "07_gradcheck_custom_function.py": (["gradcheck: OK", "gradcheck: FAILED"], None),
    "08_newton_method.py": (["f'(x) = ", "Rosenbrock: p = [1. 1.]"], None),
}


def test_every_example_is_listed_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


# The examples that write files, and what they write into the folder given with --out.
WRITES = {"01_scalar_expression.py": {"expression.svg", "expression.dot"},
          "04_moons_boundary.py": {"moons-loss.png", "moons-boundary.png"}}


def files_under(folder: Path) -> set:
    return {p for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_in_its_tiny_setting(name, tmp_path):
    words, needs = EXPECTED[name]
    if needs and importlib.util.find_spec(needs) is None:
        pytest.skip(f"{name} needs {needs}")
    env = {**os.environ, "MICROGRADNN_EXAMPLE_FAST": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for w in words:
        assert w in done.stdout, f"{name} did not print {w!r}:\n{done.stdout}"


@pytest.mark.parametrize("name", sorted(WRITES))
def test_an_example_writes_only_into_the_folder_given_with_out(name, tmp_path):
    needs = EXPECTED[name][1]
    if needs and importlib.util.find_spec(needs) is None:
        pytest.skip(f"{name} needs {needs}")
    repo = EXAMPLES.parent
    before = files_under(repo / "examples") | set(repo.iterdir())
    cwd, out = tmp_path / "cwd", tmp_path / "pictures"
    cwd.mkdir()
    env = {**os.environ, "MICROGRADNN_EXAMPLE_FAST": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--out", str(out)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = {p.name for p in out.iterdir()}
    assert written and written <= WRITES[name]
    assert list(cwd.iterdir()) == []                                   # not the current folder
    assert files_under(repo / "examples") | set(repo.iterdir()) == before   # nor the repository


def test_without_out_an_example_writes_into_out_in_the_current_folder(tmp_path):
    env = {**os.environ, "MICROGRADNN_EXAMPLE_FAST": "1"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "01_scalar_expression.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert {p.name for p in (tmp_path / "out").iterdir()} <= WRITES["01_scalar_expression.py"]


# The examples that repeat a run shown on a docs page, and the page: in its full setting the
# example prints the very lines the page prints (tests/docs/test_pages.py checks the page's side).
SAME_RUN_AS_A_PAGE = {"02_neuron_by_hand.py": ("neuron-to-network.md", "step "),
                      "04_moons_boundary.py": ("training.md", "test accuracy:"),
                      "05_digits.py": ("training.md", "held-out accuracy on"),
                      "08_newton_method.py": ("higher-order.md", "step ")}


@pytest.mark.parametrize("name", sorted(SAME_RUN_AS_A_PAGE))
def test_an_example_prints_the_numbers_its_page_shows(name, tmp_path):
    needs = EXPECTED[name][1]
    if needs and importlib.util.find_spec(needs) is None:
        pytest.skip(f"{name} needs {needs}")
    page, prefix = SAME_RUN_AS_A_PAGE[name]      # the lines starting so must be on the page
    env = {k: v for k, v in os.environ.items() if k != "MICROGRADNN_EXAMPLE_FAST"}
    env["MPLBACKEND"] = "Agg"
    out = ["--out", str(tmp_path)] if name in WRITES else []
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *out],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = (EXAMPLES.parent / "docs" / page).read_text(encoding="utf-8")
    lines = [line for line in done.stdout.splitlines() if line.startswith(prefix)]
    assert lines and [line for line in lines if line not in text] == [], page
