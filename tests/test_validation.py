"""Every bad input a user can hand in gets a clear error: the table in docs/errors.md, executed.

Each row of the tables in docs/errors.md (bad input, code, error, message) becomes one test: the
code must raise exactly that error type, with a message containing that text. The "Known gaps"
table lists inputs that are accepted silently or get an unclear message today; each is a strict
expected failure, so a fix shows up here and its row can move into the main tables.
"""
import builtins
import re
from pathlib import Path

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly, gradients, no_grad
from microgradnn.backprop import NeuralNetwork
from microgradnn.check import crosscheck, gradcheck
from microgradnn.losses import binary_cross_entropy, quadratic, softmax_cross_entropy
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam
from microgradnn.training import fit as _fit, predict

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"


def _tables(text: str) -> dict:
    """{section title: [row cells, ...]} for every markdown table, header rows left out."""
    tables, section, rows = {}, "", None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if rows is None:
                rows = tables.setdefault(section, [])
                continue                                  # the header
            if not set(line) <= set("|- "):
                rows.append(cells)
        else:
            rows = None
    return tables


def _code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), f"code cell not in backticks: {cell}"
    return cell[1:-1]


def _namespace() -> dict:
    def fit(*args, **kwargs):
        return _fit(*args, progress=False, **kwargs)
    return {"np": np, "Value": Value, "gradients": gradients, "no_grad": no_grad,
            "detect_anomaly": detect_anomaly, "MLP": MLP, "NeuralNetwork": NeuralNetwork,
            "quadratic": quadratic, "binary_cross_entropy": binary_cross_entropy,
            "softmax_cross_entropy": softmax_cross_entropy, "SGD": SGD, "Adam": Adam,
            "fit": fit, "predict": predict, "crosscheck": crosscheck, "gradcheck": gradcheck,
            "net": MLP([2, 3, 1], ["sigmoid", "sigmoid"]), "x": np.ones((4, 2)),
            "y": np.ones(4)}


def _raises(code: str, error: str, message: str) -> None:
    kind = getattr(builtins, error)
    with np.errstate(all="ignore"):
        try:
            exec(code, _namespace())
        except Exception as e:                            # noqa: BLE001 - we check it below
            assert type(e) is kind, f"{code}: raised {type(e).__name__}: {e}, expected {error}"
            assert message in str(e), f"{code}: message {str(e)!r} lacks {message!r}"
            return
    pytest.fail(f"{code}: accepted silently, expected {error}: {message}")


TABLES = _tables(DOC.read_text(encoding="utf-8"))
ROWS = [(section, *row) for section, rows in TABLES.items() if section != "Known gaps"
        for row in rows if len(row) == 4]
GAPS = TABLES["Known gaps"]


def test_the_doc_has_the_expected_tables_and_enough_rows():
    assert {"The engine: Values and their ops", "The network, losses and optimizers",
            "Training, prediction and the cross-check", "Checkpoints", "Known gaps"} <= set(TABLES)
    assert len(ROWS) >= 80   # Known gaps may be empty: every gap found so far is fixed


@pytest.mark.parametrize("section, what, code, error, message", ROWS,
                         ids=[f"{r[0].split(':')[0].split(',')[0]}: {r[1]}" for r in ROWS])
def test_bad_input_gets_the_error_the_docs_promise(section, what, code, error, message):
    _raises(_code(code), error, message)


@pytest.mark.parametrize("code, today, wanted", GAPS, ids=[g[0] for g in GAPS])
@pytest.mark.xfail(strict=True, reason="a known gap, listed in docs/errors.md")
def test_known_gap_gets_the_wanted_error(code, today, wanted):
    error, message = re.match(r"(\w+): (.*)", wanted).groups()
    _raises(_code(code), error, message)


# --- properties the table cannot express ---

def test_a_failed_op_leaves_its_operands_unchanged():
    a, b = Value(np.ones((2, 3))), Value(np.ones((3, 2)))
    with pytest.raises(ValueError):
        a + b
    assert a.shape == (2, 3) and b.shape == (3, 2) and not a.parents


def test_bool_and_int_arrays_are_accepted_as_float64():
    assert Value(np.array([True, False])).data.dtype == np.float64
    assert Value(np.array([1, 2], dtype=np.int8)).data.dtype == np.float64


def test_fit_checks_everything_before_the_first_step():
    net = MLP([2, 3, 1], ["sigmoid", "sigmoid"], seed=0)
    before = [p.data.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match="batch_size"):
        _fit(net, np.ones((4, 2)), np.ones(4), batch_size=0, progress=False)
    with pytest.raises(ValueError, match="validation"):
        _fit(net, np.ones((4, 2)), np.ones(4), validation_data=(np.ones((2, 3)), np.ones(2)),
             progress=False)
    assert all(np.array_equal(p.data, q) for p, q in zip(net.parameters(), before))
