"""Every bad input a user can hand in gets a clear error: the table in docs/errors.md, executed.

Each row of the tables in docs/errors.md (bad input, code, error, message) becomes one test: the
code must raise exactly that error type, with a message containing that text. Each row of the
"Checkpoints" table (bad file, message) is made here from a good checkpoint by a recipe named by
the row, loaded, and must raise CheckpointError with that message ("..." stands for any text);
the rows whose bad files take more to build are made in tests/training/test_checkpoint.py, and a
test here checks that their message is asserted there.
The "Known gaps" table lists inputs that are accepted silently or get an unclear message today;
each must still fail to get the wanted error, so a fix shows up here and its row can move into
the main tables (an empty table is a passing test, not a skipped one).
"""
import builtins
import re
from pathlib import Path

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly, gradients, no_grad
from microgradnn.backprop import NeuralNetwork
from microgradnn.check import check_backward, crosscheck, gradcheck
from microgradnn.losses import binary_cross_entropy, quadratic, softmax_cross_entropy
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam
from microgradnn.training import fit as _fit, predict

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


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
            "check_backward": check_backward,
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
CHECKPOINT_ROWS = TABLES["Checkpoints"]
GAPS = TABLES["Known gaps"]


def test_the_doc_has_the_expected_tables_and_enough_rows():
    assert {"The engine: Values and their ops", "The network, losses and optimizers",
            "Training, prediction and the cross-check", "Checkpoints", "Known gaps"} <= set(TABLES)
    assert len(ROWS) >= 80
    assert len(CHECKPOINT_ROWS) >= 18 and all(len(row) == 2 for row in CHECKPOINT_ROWS)


# Each row a pytest.param with its id (not an ids= list: pytest escapes a non-ASCII id in that
# list in place, so a second run in one process, as mutmut's, no longer finds it).
@pytest.mark.parametrize("section, what, code, error, message",
                         [pytest.param(*r, id=f"{r[0].split(':')[0].split(',')[0]}: {r[1]}")
                          for r in ROWS])
def test_bad_input_gets_the_error_the_docs_promise(section, what, code, error, message):
    if "PyTorch" in section:
        pytest.importorskip("torch")      # without it each raises ImportError (test_torch_bridge)
    _raises(_code(code), error, message)


def test_every_known_gap_still_gets_the_wrong_error_and_none_is_fixed_silently():
    # One test over the whole table (empty or not), so an empty table is a pass, not a skip.
    # Each row must still fail to give the wanted error: a fix turns this red until the row
    # moves up into the tables above.
    for code, today, wanted in GAPS:
        error, message = re.match(r"(\w+): (.*)", wanted).groups()
        with pytest.raises((pytest.fail.Exception, AssertionError)):   # silent, or not that error
            _raises(_code(code), error, message)


# --- the Checkpoints table: each bad file made here, loaded, and its message checked ---

def _saved_checkpoint(folder):
    from microgradnn import checkpoint
    net = MLP([3, 5, 2], ["tanh", "sigmoid"], seed=1)
    opt = Adam(net.parameters(), lr=0.05)
    net(np.ones((2, 3))).sum().backward()
    opt.step()
    path = folder / "net.npz"
    checkpoint.save(net, path, optimizer=opt)
    return path


def _rewritten(path, change, meta=None):
    """A copy of the checkpoint whose arrays went through change(dict) (and its meta through
    meta(dict))."""
    import json
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    if meta is not None:
        m = json.loads(str(arrays["meta"]))
        meta(m)
        arrays["meta"] = np.array(json.dumps(m))
    change(arrays)
    out = path.with_name("bad.npz")
    with open(out, "wb") as f:
        np.savez(f, **arrays)
    return out


def _flipped_byte(path):
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"W1.npy") + 200] ^= 0xFF        # inside W1's data, past its header
    out = path.with_name("bad.npz")
    out.write_bytes(bytes(raw))
    return out


def _written(path, data: bytes):
    out = path.with_name("bad.npz")
    out.write_bytes(data)
    return out


def _single_npy(path):
    out = path.with_name("single.npy")
    np.save(out, np.zeros(3))
    return out


def _with_readme(path):
    import zipfile
    out = path.with_name("bad.npz")
    out.write_bytes(path.read_bytes())
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("README.txt", "not an array")
    return out


def _fifo(path):
    import os
    out = path.with_name("fifo.npz")
    os.mkfifo(out)
    return out


def _bzip2(path):
    import zipfile
    out = path.with_name("bad.npz")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    return out


def _set(key, value):
    return lambda a: a.__setitem__(key, value)


def _poison(a):
    a["W1"][0, 0] = np.nan


def _load_into(net, optimizer=None):
    from microgradnn import checkpoint
    return lambda bad: checkpoint.load_into(net, bad, optimizer=optimizer)


def _load(bad):
    from microgradnn import checkpoint
    return checkpoint.load(bad)


def _bare(path):
    from microgradnn import checkpoint
    out = path.with_name("bare.npz")
    checkpoint.save(MLP([3, 5, 2], ["tanh", "sigmoid"], seed=2), out)
    return out


# first cell of a row -> (make the bad file from a good one, what to call on it)
CHECKPOINT_RECIPES = {
    "truncated, or a damaged zip": (lambda p: _written(p, p.read_bytes()[: p.stat().st_size // 2]), _load),
    "a flipped byte inside an array": (_flipped_byte, _load),
    "not a zip at all": (lambda p: _written(p, b"definitely not a checkpoint\n"), _load),
    "a pickle file": (lambda p: _written(p, __import__("pickle").dumps({"W1": 1})), _load),
    "a pickled object array inside": (lambda p: _rewritten(p, _set("W1", np.array([{}], dtype=object))), _load),
    "a single .npy array": (_single_npy, _load),
    "no `meta` entry": (lambda p: _rewritten(p, lambda a: a.pop("meta")), _load),
    "`meta` not JSON": (lambda p: _rewritten(p, _set("meta", np.array("{oops"))), _load),
    "a newer format": (lambda p: _rewritten(p, lambda a: None, meta=_set("version", 7)), _load),
    "an invalid architecture": (lambda p: _rewritten(p, lambda a: None,
                                                     meta=_set("activations", ["swish", "sigmoid"])), _load),
    "a missing array": (lambda p: _rewritten(p, lambda a: a.pop("b2")), _load),
    "an extra array": (lambda p: _rewritten(p, _set("W3", np.zeros((2, 2)))), _load),
    "a wrong shape": (lambda p: _rewritten(p, _set("W2", np.zeros((5, 2)))), _load),
    "another dtype": (lambda p: _rewritten(p, lambda a: a.__setitem__("b1", a["b1"].astype(np.float32))), _load),
    "NaN or inf weights (also refused when saving)": (lambda p: _rewritten(p, _poison), _load),
    "another architecture than the network (`load_into`)":
        (lambda p: p, lambda bad: _load_into(MLP([3, 4, 2], ["tanh", "sigmoid"]))(bad)),
    "another optimizer (`load_into`)":
        (lambda p: p, lambda bad: (lambda n: _load_into(n, SGD(n.parameters(), lr=0.1, momentum=0.5))(bad))(
            MLP([3, 5, 2], ["tanh", "sigmoid"]))),
    "a member that is not a `.npy` array": (_with_readme, _load),
    "optimizer `steps` negative or fractional (Infinity and NaN: 'meta' is not valid JSON)":
        (lambda p: _rewritten(p, lambda a: None,
                              meta=lambda m: m["optimizer"].__setitem__("steps", -1)), _load),
    "a seed that is not a non-negative integer": (lambda p: _rewritten(p, lambda a: None, meta=_set("seed", -1)), _load),
    "NaN or inf optimizer state": (lambda p: _rewritten(p, lambda a: a["optimizer.m.0"].reshape(-1).__setitem__(0, np.nan)), _load),
    "a negative Adam second moment":
        (lambda p: _rewritten(p, lambda a: a["optimizer.v.1"].reshape(-1).__setitem__(0, -1.0)), _load),
    "a folder, a FIFO or a device instead of a file (a FIFO is never waited on)": (_fifo, _load),
    "a bzip2 or lzma member (np.savez never writes one; zipfile inflates it without limit, so it is never opened)":
        (_bzip2, _load),
    "optimizer `steps` beyond 2**53 (no run takes that many; Adam's β ** steps would overflow)":
        (lambda p: _rewritten(p, lambda a: None,
                              meta=lambda m: m["optimizer"].__setitem__("steps", 1e300)), _load),
    "no optimizer state (`load_into(..., optimizer=...)`)":
        (_bare, lambda bad: (lambda n: _load_into(n, Adam(n.parameters()))(bad))(MLP([3, 5, 2], ["tanh", "sigmoid"]))),
}


MADE_HERE = [row for row in CHECKPOINT_ROWS if row[0] in CHECKPOINT_RECIPES]
ELSEWHERE = [row for row in CHECKPOINT_ROWS if row[0] not in CHECKPOINT_RECIPES]


def test_every_recipe_is_a_row_of_the_table():
    assert set(CHECKPOINT_RECIPES) <= {row[0] for row in CHECKPOINT_ROWS}


CHECKPOINT_TESTS = Path(__file__).resolve().parents[1] / "training" / "test_checkpoint.py"

# Rows whose test needs the machine's memory size faked: the test that asserts them.
ASSERTED_IN = {
    "metadata declaring more array bytes than the machine can load (refused before decompressing)":
        "test_arrays_larger_than_the_machine_are_refused_before_any_is_decompressed",
}


@pytest.mark.parametrize("what, message", [pytest.param(*r, id=r[0]) for r in ELSEWHERE])
def test_checkpoint_rows_made_only_in_test_checkpoint_are_asserted_there(what, message):
    # Bad files that take more to build (an encrypted member, a 2 GB deflated member, a
    # decompression bomb, ...) are made in tests/training/test_checkpoint.py: the row's message must be
    # asserted there (regex escapes aside): its first 20 characters, before any "(" or "...";
    # or ASSERTED_IN names the test that does.
    source = CHECKPOINT_TESTS.read_text(encoding="utf-8")
    if what in ASSERTED_IN:
        assert f"def {ASSERTED_IN[what]}(" in source
        return
    fragment = re.split(r"\(|\.\.\.", message)[0].strip()[:20]
    assert len(fragment) >= 10 and fragment in source.replace("\\", ""), \
        f"{what}: no test in test_checkpoint.py asserts {fragment!r}"


@pytest.mark.parametrize("what, message", [pytest.param(*r, id=r[0]) for r in MADE_HERE])
def test_bad_checkpoint_gets_the_error_the_docs_promise(what, message, tmp_path):
    from microgradnn.checkpoint import CheckpointError
    make, call = CHECKPOINT_RECIPES[what]
    bad = make(_saved_checkpoint(tmp_path))
    pattern = ".*".join(re.escape(part.strip()) for part in message.split("..."))
    with pytest.raises(CheckpointError) as info:
        call(bad)
    assert re.search(pattern, str(info.value)), f"{what}: {info.value}"
    assert isinstance(info.value, ValueError)


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
