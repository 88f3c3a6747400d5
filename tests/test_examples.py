"""Every script in examples/ runs, in its tiny setting (MICROGRADNN_EXAMPLE_FAST=1), and prints
what it promises — so no example rots."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# What each example must print (and, for some, the optional package it needs).
EXPECTED = {
    "01_scalar_expression.py": (["df/dx", "wrote expression."], None),
    "02_neuron_by_hand.py": (["21 parameters", "predictions:"], None),
    "03_xor.py": (["all four right: True"], None),
    "04_moons_boundary.py": (["test accuracy:", "wrote moons-loss.png"], "matplotlib"),
    "05_digits.py": (["held-out accuracy on 450 digits"], "sklearn"),
    "06_crosscheck_your_backprop.py": (["): OK", "first disagreement: (2, 'BP1')"], None),
    "07_gradcheck_custom_function.py": (["gradcheck: OK", "gradcheck: FAILED"], None),
    "08_newton_method.py": (["f'(x) = ", "Rosenbrock: p = [1. 1.]"], None),
}


def test_every_example_is_listed_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


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
