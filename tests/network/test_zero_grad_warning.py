"""A forgotten zero_grad() is told, once per optimizer; deliberate accumulation is not."""
import warnings

import numpy as np
import pytest

from microgradnn import Value
from microgradnn.optim import SGD, Adam, GradientsNotClearedWarning

OPTIMIZERS = [lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1, momentum=0.9),
              lambda ps: Adam(ps, lr=0.1)]


def _backward(w):
    (w * w).sum().backward()


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_stepping_again_without_zero_grad_warns(make):
    w = Value([1.0, -2.0])
    opt = make([w])
    _backward(w)
    opt.step()
    _backward(w)                                     # adds to the gradient the last step used
    with pytest.warns(GradientsNotClearedWarning, match=r"no zero_grad\(\) since the last step"):
        opt.step()


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_the_warning_comes_once_per_optimizer(make):
    w = Value([1.0, -2.0])
    opt = make([w])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(4):
            _backward(w)
            opt.step()
    assert [type(c.message) for c in caught] == [GradientsNotClearedWarning]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_zero_grad_every_step_never_warns(make):
    w = Value([1.0, -2.0])
    opt = make([w])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            _backward(w)
            opt.step()


def test_accumulating_several_backwards_before_each_step_never_warns():
    w = Value([1.0, -2.0])
    opt = SGD([w], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            for _ in range(4):                       # four micro-batches, one step
                _backward(w)
            opt.step()
            opt.zero_grad()


def test_the_warning_points_at_the_callers_line():
    w = Value([1.0])
    opt = SGD([w], lr=0.1)
    _backward(w)
    opt.step()
    with pytest.warns(GradientsNotClearedWarning) as record:
        opt.step()
    assert record[0].filename == __file__


def test_the_warning_can_be_silenced_by_its_category():
    w = Value([1.0])
    opt = SGD([w], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", GradientsNotClearedWarning)
        _backward(w)
        opt.step()
        _backward(w)
        opt.step()


def _warning_rows():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text("utf-8")
    section = text.split("## Warnings", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split(" | ")]
            for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return rows[1:]                                  # the header left out


@pytest.mark.parametrize("situation, code, warning", _warning_rows())
def test_each_row_of_the_errors_pages_warnings_table_warns_as_it_says(situation, code, warning):
    import microgradnn.optim as optim
    category, message = warning.split(": ", 1)
    with pytest.warns(getattr(optim, category)) as record:
        exec(code.strip("`"), {"Value": Value, "SGD": SGD, "Adam": Adam, "np": np})
    assert message in str(record[0].message)
