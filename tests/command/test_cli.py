"""The microgradnn command: every subcommand's behaviour, its errors, and its exit statuses.

Most tests call ``microgradnn.cli.main(argv)`` in-process (fast); a few run the real
``python -m microgradnn`` in a subprocess to prove the entry points work and never print a
traceback.
"""
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from microgradnn.cli import main, split

from helpers import svg_texts

SUBCOMMANDS = ["demo", "train", "check", "graph"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def run(capsys, *argv):
    """(exit status, stdout, stderr) of `microgradnn argv...`, SystemExit included."""
    try:
        status = main(list(argv))
    except SystemExit as e:   # argparse exits for --help and usage errors
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


# --- help and usage --------------------------------------------------------------------------

@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert out.startswith(f"usage: microgradnn {command}")


def test_the_top_level_help_lists_every_subcommand(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in SUBCOMMANDS:
        assert command in out


def test_no_subcommand_prints_help_and_exits_2(capsys):
    status, out, _ = run(capsys)
    assert status == 2 and "usage: microgradnn" in out


@pytest.mark.parametrize("argv, words", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["graph"], "the following arguments are required: --expr"),
    (["graph", "--expr", "x", "--set", "x"], "expected name=number pairs"),
    (["graph", "--expr", "x", "--set", "x=one"], "expected name=number pairs"),
    (["train", "--layers", "2,a,1"], "expected comma-separated integers"),
    (["train", "--epochs", "0"], "expected a positive integer"),
    (["train", "--lr", "-1"], "expected a positive number"),
    (["train", "--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["check", "--batch-size", "x"], "expected a positive integer"),
])
def test_a_bad_argument_is_one_line_and_exit_status_2(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("microgradnn: error:")
    assert words in err


# --- graph -----------------------------------------------------------------------------------

def test_graph_prints_the_value_and_the_gradients_of_the_expression(capsys, tmp_path):
    x, w, b = 0.5, -1.2, 0.3
    status, out, _ = run(capsys, "graph", "--expr", "tanh(x*w + b)", "--set", f"x={x},w={w},b={b}",
                         "-o", str(tmp_path / "g.dot"))
    assert status == 0
    t = math.tanh(x * w + b)
    printed = dict(line.strip().split(" = ") for line in out.splitlines() if " = " in line)
    assert float(printed["tanh(x*w + b)"]) == pytest.approx(t, rel=1e-5)
    assert float(printed["d/dx"]) == pytest.approx((1 - t * t) * w, rel=1e-5)
    assert float(printed["d/dw"]) == pytest.approx((1 - t * t) * x, rel=1e-5)
    assert float(printed["d/db"]) == pytest.approx(1 - t * t, rel=1e-5)


def test_graph_writes_the_same_dot_text_every_run(capsys, tmp_path):
    for name in ("one.dot", "two.dot"):
        assert run(capsys, "graph", "--expr", "x*x + exp(x)", "--set", "x=2",
                   "-o", str(tmp_path / name))[0] == 0
    one = (tmp_path / "one.dot").read_text()
    assert one == (tmp_path / "two.dot").read_text()
    assert one.startswith("digraph") and "exp" in one


@needs_dot
def test_graph_renders_an_svg_showing_the_variables_and_the_output(capsys, tmp_path):
    target = tmp_path / "graph.svg"
    status, out, _ = run(capsys, "graph", "--expr", "tanh(x*w + b)", "--set", "x=0.5,w=-1.2,b=0.3",
                         "-o", str(target))
    assert status == 0 and f"wrote {target}" in out
    texts = svg_texts(target.read_text(encoding="utf-8"))
    for label in ("x", "w", "b", "out", "tanh"):
        assert label in texts


def test_graph_without_graphviz_writes_dot_text_and_says_how_to_install_it(capsys, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))   # no `dot` anywhere
    status, out, _ = run(capsys, "graph", "--expr", "x*2", "--set", "x=1", "-o", str(tmp_path / "g.svg"))
    assert status == 0
    assert not (tmp_path / "g.svg").exists()
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "apt-get install graphviz" in out


def test_graph_explain_prints_each_chain_rule_step(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "--expr", "x*w", "--set", "x=3,w=4", "--explain",
                         "-o", str(tmp_path / "g.dot"))
    assert status == 0
    steps = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    # out = x*w: one step per input, local derivatives w (4) and x (3)
    assert [(s[3], s[-1]) for s in steps] == [("x", "4"), ("w", "3")]


def test_graph_bad_expression_points_at_the_position_without_a_traceback(capsys, tmp_path):
    status, out, err = run(capsys, "graph", "--expr", "tanh(x*)", "--set", "x=1",
                           "-o", str(tmp_path / "g.svg"))
    assert status == 2
    lines = err.splitlines()
    assert lines[0].startswith("microgradnn: error: expected a number, a name or '('")
    assert lines[1] == "  tanh(x*)" and lines[2] == "         ^"
    assert "Traceback" not in err


def test_graph_unknown_picture_format_is_a_usage_error(capsys, tmp_path):
    status, _, err = run(capsys, "graph", "--expr", "x", "--set", "x=1", "-o", str(tmp_path / "g.jpg"))
    assert status == 2 and "end the file name with .svg, .png, .pdf or .dot" in err


def test_graph_notes_variables_that_were_set_but_not_used(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "--expr", "x", "--set", "x=1,y=2", "-o", str(tmp_path / "g.dot"))
    assert status == 0 and "note: y set but not used" in out


# --- the real entry points -------------------------------------------------------------------

def test_python_dash_m_runs_the_command_and_reports_errors_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "microgradnn", "graph", "--expr", "x +",
                           "--set", "x=1"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("microgradnn: error:") and "Traceback" not in done.stderr


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "microgradnn"
    if not script.exists():
        pytest.skip("package not installed with its console script")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("microgradnn ")


# --- check -----------------------------------------------------------------------------------

def test_check_passes_and_prints_a_row_per_layer_and_equation(capsys):
    status, out, _ = run(capsys, "check", "--layers", "3,5,4,2", "--activations", "tanh,relu,sigmoid")
    assert status == 0
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    # output layer: BP1, BP3, BP4; each hidden layer: BP2, BP3, BP4
    assert [(r[0], r[1]) for r in rows] == [
        ("3", "BP1"), ("3", "BP3"), ("3", "BP4"),
        ("2", "BP2"), ("2", "BP3"), ("2", "BP4"),
        ("1", "BP2"), ("1", "BP3"), ("1", "BP4")]
    assert all(r[-1] == "ok" for r in rows)


@pytest.mark.parametrize("loss, activations", [("quadratic", "sigmoid,linear"),
                                               ("bce", "relu,sigmoid"),
                                               ("cross_entropy", "tanh,softmax")])
def test_check_passes_for_each_loss(capsys, loss, activations):
    status, out, _ = run(capsys, "check", "--layers", "4,6,3", "--activations", activations,
                         "--loss", loss, "--batch-size", "5")
    assert status == 0, out
    assert f"loss '{loss}'" in out


def test_check_picks_the_output_activation_the_loss_needs(capsys):
    status, out, _ = run(capsys, "check", "--layers", "4,6,3", "--loss", "cross_entropy")
    assert status == 0 and "['sigmoid', 'softmax']" in out


def test_check_exits_1_and_names_the_layer_when_the_equations_are_wrong(capsys, monkeypatch):
    from microgradnn import backprop
    right = backprop.derivative_from_activation   # σ′ as a function of a = σ(z)

    def wrong_sigmoid_prime(name):   # σ′ = σ instead of σ(1 − σ): a classic slip
        return (lambda a: a) if name == "sigmoid" else right(name)

    monkeypatch.setattr(backprop, "derivative_from_activation", wrong_sigmoid_prime)
    status, out, _ = run(capsys, "check", "--layers", "2,3,1", "--activations", "sigmoid,linear")
    assert status == 1
    assert "FAILED at layer 1, BP2" in out


def test_check_rejects_an_architecture_in_terms_of_its_flags(capsys):
    status, _, err = run(capsys, "check", "--layers", "2,3,1", "--activations", "relu")
    assert status == 2
    assert err.startswith("microgradnn: error: --activations names 1 activation(s) but "
                          "--layers 2,3,1 has 2 weight layers")


def test_check_says_which_flag_to_change_when_the_loss_does_not_fit_the_output(capsys):
    status, _, err = run(capsys, "check", "--layers", "2,3,1", "--activations", "sigmoid,tanh",
                         "--loss", "bce")
    one_line_error(status, err)
    assert "end --activations with sigmoid, or use --loss quadratic" in err and "loss='" not in err


# --- train -----------------------------------------------------------------------------------

def test_train_learns_xor_and_prints_a_summary(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "xor", "--samples", "200", "--epochs", "60",
                         "--lr", "0.05", "--no-progress")
    assert status == 0
    summary = {line.split()[0]: line.split()[-2:] for line in out.splitlines()
               if line.strip().startswith(("loss", "accuracy"))}
    train_acc, test_acc = (float(v.rstrip("%")) for v in summary["accuracy"])
    assert train_acc >= 95 and test_acc >= 95
    assert "layers=[2, 16, 16, 1]" in out and "relu', 'relu', 'sigmoid'" in out


def test_train_completes_a_multiclass_architecture_from_the_data(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "spirals", "--epochs", "2", "--no-progress")
    assert status == 0
    assert "layers=[2, 16, 16, 3]" in out and "'softmax'" in out and "cross_entropy" in out


def test_train_with_a_quadratic_loss_on_several_classes_uses_one_hot_targets(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "spirals", "--loss", "quadratic",
                         "--activations", "tanh,tanh,sigmoid", "--epochs", "2", "--no-progress")
    assert status == 0 and "loss (quadratic)" in out


def test_train_saves_a_network_that_loads_with_the_printed_test_accuracy(capsys, tmp_path):
    from microgradnn.datasets import moons
    from microgradnn.nn import MLP
    from microgradnn.training import accuracy
    path = tmp_path / "model.npz"
    status, out, _ = run(capsys, "train", "--epochs", "3", "--no-progress", "--save", str(path))
    assert status == 0 and f"saved the network to {path}" in out
    net = MLP.load(path)
    assert net.layers == [2, 16, 16, 1]
    x, y = moons(seed=0)                 # the default data set and split
    _, _, x_test, y_test = split(x, y, 0.2, seed=0)
    printed = next(l for l in out.splitlines() if l.strip().startswith("accuracy")).split()[-1]
    assert f"{accuracy(net, x_test, y_test):.1%}" == printed


def test_train_is_reproducible_with_a_seed(capsys):
    argv = ["train", "--dataset", "circles", "--epochs", "5", "--no-progress", "--seed", "7"]
    without_timing = lambda text: [l for l in text.splitlines() if not l.endswith(" s")]
    assert without_timing(run(capsys, *argv)[1]) == without_timing(run(capsys, *argv)[1])


def test_train_writes_plots_when_asked(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, _ = run(capsys, "train", "--epochs", "3", "--no-progress", "--plots", str(tmp_path))
    assert status == 0
    for name in ("loss.png", "boundary.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_rejects_layers_that_do_not_fit_the_data(capsys):
    status, _, err = run(capsys, "train", "--layers", "3,8,1", "--epochs", "1")
    assert status == 2
    assert "the moons data set has 2 features per example, but --layers starts with 3" in err


def test_train_rejects_a_loss_that_does_not_fit_the_output_layer(capsys):
    status, _, err = run(capsys, "train", "--loss", "bce", "--activations", "relu,relu,tanh",
                         "--epochs", "1", "--no-progress")
    assert status == 2 and "needs a sigmoid output layer" in err


def test_the_test_split_is_a_seeded_random_partition():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    x_train, y_train, x_test, y_test = split(x, y, 0.3, seed=1)
    assert len(y_test) == 3 and sorted(np.r_[y_train, y_test]) == list(range(10))
    np.testing.assert_array_equal(x_test[:, 0], 2 * y_test)          # rows stay paired
    assert split(x, y, 0.3, seed=1)[3].tolist() == y_test.tolist()
    drawn = [sorted(split(x, y, 0.3, seed=s)[3].tolist()) for s in range(20)]
    assert set().union(*drawn) == set(range(10))                     # not a tail: any row can be drawn


def test_train_digits_takes_no_sample_count(capsys):
    pytest.importorskip("sklearn")
    status, _, err = run(capsys, "train", "--dataset", "digits", "--samples", "10")
    assert status == 2 and "digits is a fixed data set" in err


# --- demo ------------------------------------------------------------------------------------

def demo_files(folder: Path) -> set:
    return {p.name for p in folder.iterdir()}


def test_demo_trains_checks_draws_and_plots_into_its_folder(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out_dir = tmp_path / "demo"
    status, out, _ = run(capsys, "demo", "--fast", "--no-progress", "--out", str(out_dir))
    assert status == 0
    assert "accuracy after 20 epochs" in out
    assert "Cross-check of closed form (BP1–BP4) against autodiff" in out and ": OK" in out
    expected = {"neuron-backward.txt", "loss.png", "boundary.png"}
    graphs = {"neuron", "loss-graph", "network"}
    expected |= {f"{g}.svg" if shutil.which("dot") else f"{g}.dot" for g in graphs}
    expected |= {"explorer.html"} if shutil.which("dot") else set()
    assert demo_files(out_dir) == expected
    assert f"Wrote {len(expected)} files to {out_dir}/" in out
    assert "tanh" in (out_dir / "neuron-backward.txt").read_text()


def test_demo_without_graphviz_writes_dot_files_and_says_how_to_get_pictures(capsys, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out_dir = tmp_path / "demo"
    status, out, _ = run(capsys, "demo", "--fast", "--no-progress", "--out", str(out_dir))
    assert status == 0
    for g in ("neuron", "loss-graph", "network"):
        assert (out_dir / f"{g}.dot").read_text().startswith("digraph")
        assert not (out_dir / f"{g}.svg").exists()
    assert "apt-get install graphviz" in out


def test_demo_without_matplotlib_still_does_everything_else(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # import matplotlib → ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out_dir = tmp_path / "demo"
    status, out, _ = run(capsys, "demo", "--fast", "--no-progress", "--out", str(out_dir))
    assert status == 0
    assert "skipped: plots need matplotlib" in out
    assert not (out_dir / "loss.png").exists() and (out_dir / "neuron-backward.txt").exists()


# --- never a traceback, never a lost run ------------------------------------------------------

def one_line_error(status, err, want_status=2, lines=1):
    """One line (an expression's mistake adds the expression and a caret under it)."""
    assert status == want_status, err
    assert "Traceback" not in err
    assert err.count("\n") == lines and err.startswith("microgradnn: error:"), err


@pytest.fixture
def no_training(monkeypatch):
    """Make any training fail the test: output paths must be refused before work starts."""
    from microgradnn import training

    def fit(*args, **kwargs):
        raise AssertionError("fit ran before the output path was checked")
    monkeypatch.setattr(training, "fit", fit)


def _bad_output_paths(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    missing = tmp_path / "missing" / "deeper"
    cases = [
        (["train", "--save", f"{missing}/m.npz"], "does not exist"),
        (["train", "--save", f"{a_file}/m.npz"], "is a file, not a folder"),
        (["train", "--save", str(tmp_path)], "is a folder; give a file name"),
        (["train", "--save", "/dev/null"], "is not a regular file"),
        (["train", "--plots", str(missing)], "does not exist"),
        (["train", "--plots", str(a_file)], "is a file, not a folder"),
        (["graph", "--expr", "x", "--set", "x=1", "-o", f"{missing}/g.svg"], "does not exist"),
        (["graph", "--expr", "x", "--set", "x=1", "-o", str(tmp_path)], "is a folder"),
        (["demo", "--fast", "--out", str(missing)], "does not exist"),
        (["demo", "--fast", "--out", str(a_file)], "is a file, not a folder"),
    ]
    if Path("/proc/self").is_dir():        # not writable, even by root
        cases += [(["train", "--save", "/proc/m.npz"], "cannot write in the folder /proc"),
                  (["train", "--plots", "/proc/plots"], "cannot create the folder"),
                  (["demo", "--fast", "--out", "/proc/demo"], "cannot create the folder")]
    return cases


def test_every_bad_output_path_is_refused_before_any_work_in_one_line(capsys, tmp_path,
                                                                      no_training):
    for argv, words in _bad_output_paths(tmp_path):
        before = sorted(tmp_path.rglob("*"))
        status, out, err = run(capsys, *argv)
        one_line_error(status, err)
        assert argv[-1] in err and words in err, (argv, err)
        assert out == "" and sorted(tmp_path.rglob("*")) == before      # nothing was made


def test_a_read_only_folder_is_refused_before_training(capsys, tmp_path, no_training):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders (the /proc cases cover root)")
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    status, _, err = run(capsys, "train", "--save", str(folder / "m.npz"))
    one_line_error(status, err)
    assert "cannot write in the folder" in err and "Permission denied" in err


def test_plots_create_their_folder_but_not_missing_parents(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, _ = run(capsys, "train", "--epochs", "1", "--no-progress", "--plots",
                         str(tmp_path / "new"))
    assert status == 0 and (tmp_path / "new" / "loss.png").exists()


HOSTILE = [
    (["train", "--layers", "2,100000000000,1"], "choose a smaller --layers"),
    (["check", "--layers", "2,100000000000,1"], "choose a smaller --layers"),
    (["check", "--batch-size", "100000000000"], "choose a smaller --batch-size"),
    (["check", "--batch-size", "1e11"], "expected a positive integer, got '1e11'"),
    (["train", "--samples", "100000000000000"], "choose a smaller --samples"),
    (["train", "--samples", "1"], "--samples 1: the moons data set needs at least 2"),
    (["train", "--seed", "-1"], "a seed must be a non-negative integer, got '-1'"),
    (["check", "--seed", "-5"], "got '-5'"),
    (["demo", "--seed", "x"], "got 'x'"),
    (["train", "--noise", "inf"], "expected a finite number ≥ 0, got 'inf'"),
    (["train", "--noise", "-1"], "got '-1'"),
    (["train", "--test-fraction", "nan"], "--test-fraction must lie in [0, 1)"),
    (["train", "--test-fraction", "0.999", "--samples", "10"], "leaves no training"),
    (["graph", "--expr", "-x", "--set", "x=1"], "write it as --expr=-x"),
    (["graph", "--expr", "-2*x", "--set", "x=1"], "write it as --expr=-2*x"),
    (["train", "--activations", "relu"], "give one activation per weight layer"),
    (["train", "--activations", "relu,swish,sigmoid"], "unknown activation 'swish'"),
    (["train", "--layers", "2,8,3"], "the moons data set has 2 classes, but --layers ends with 3"),
    (["train", "--loss", "cross_entropy", "--layers", "2,8,1"], "end --layers with 2, not 1"),
    (["train", "--loss", "bce", "--activations", "relu,relu,softmax"],
     "end --activations with sigmoid, or use --loss quadratic"),
    (["train", "--activations", "relu,softmax", "--layers", "2,4,1", "--loss", "quadratic"],
     "a softmax over 1 output is always 1"),
]


@pytest.mark.parametrize("argv, words", HOSTILE, ids=[" ".join(a)[:60] for a, _ in HOSTILE])
def test_a_hostile_invocation_is_one_line_and_status_2(capsys, argv, words):
    status, _, err = run(capsys, *argv)
    one_line_error(status, err)
    assert words in err


@pytest.mark.parametrize("expr", ["(" * 5000 + "x" + ")" * 5000, "y", "x +", "x ^ 2", "2x"])
def test_a_bad_expression_is_an_error_pointing_at_it_never_a_traceback(capsys, expr):
    status, _, err = run(capsys, "graph", "--expr", expr, "--set", "x=1")
    one_line_error(status, err, lines=3)


@pytest.mark.parametrize("argv", [
    ["train", "--layers", "2,100000000000,1"],
    ["train", "--save", "/no/such/dir/m.npz"],
    ["check", "--batch-size", "100000000000"],
    ["graph", "--expr", "-x", "--set", "x=1"],
])
def test_the_real_command_never_prints_a_traceback(tmp_path, argv):
    done = subprocess.run([sys.executable, "-m", "microgradnn", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    one_line_error(done.returncode, done.stderr)


@pytest.mark.parametrize("error, status, words", [
    (OSError(28, "No space left on device", "/data/m.npz"), 2,
     "/data/m.npz: No space left on device"),
    (PermissionError(13, "Permission denied", "/data/m.npz"), 2, "Permission denied"),
    (MemoryError("Unable to allocate 2 TiB"), 2, "out of memory (Unable to allocate 2 TiB)"),
    (RecursionError("maximum recursion depth exceeded"), 2, "nests too deeply"),
    (RuntimeError("a bug"), 1, "internal error, please report it: RuntimeError: a bug"),
])
def test_any_failure_during_the_work_is_one_line_with_a_status(capsys, monkeypatch, error,
                                                              status, words):
    from microgradnn import training

    def failing(*args, **kwargs):
        raise error
    monkeypatch.setattr(training, "fit", failing)
    got, _, err = run(capsys, "train", "--epochs", "1", "--no-progress")
    one_line_error(got, err, status)
    assert words in err


def test_ctrl_c_in_process_is_one_line_and_status_130(capsys, monkeypatch):
    from microgradnn import training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(training, "fit", interrupted)
    status, _, err = run(capsys, "train", "--epochs", "1")
    assert status == 130 and err == "microgradnn: interrupted (Ctrl-C)\n"


def test_ctrl_c_during_training_exits_130_without_a_traceback(tmp_path):
    child = subprocess.Popen([sys.executable, "-u", "-m", "microgradnn", "train", "--epochs",
                              "100000", "--no-progress", "--save", str(tmp_path / "m.npz")],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().startswith("training MLP")
        time.sleep(0.5)                                 # well inside the epochs
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert err == "microgradnn: interrupted (Ctrl-C)\n"
    assert not (tmp_path / "m.npz").exists()


def test_a_diverging_training_is_one_line_exit_1_and_saves_nothing(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--optimizer", "sgd", "--lr", "1e10", "--activations",
                           "relu,relu,linear", "--epochs", "20", "--no-progress",
                           "--save", str(tmp_path / "m.npz"))
    one_line_error(status, err, 1)
    assert re.search(r"training diverged at epoch \d+, batch \d+ of \d+: the loss is (inf|nan)",
                     err)
    assert "Try a smaller learning rate (--lr 1e+10 now)" in err and "nothing was saved" in err
    assert "loss nan" not in out and not (tmp_path / "m.npz").exists()


def test_an_expression_starting_with_minus_works_when_written_with_equals(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "--expr=-x", "--set", "x=2", "-o", str(tmp_path / "g.dot"))
    assert status == 0 and "-x = -2" in out and "d/dx = -1" in out


# --- the command says what it means ----------------------------------------------------------

def test_cross_entropy_on_two_classes_gets_two_softmax_outputs(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "moons", "--loss", "cross_entropy",
                         "--epochs", "2", "--no-progress")
    assert status == 0
    assert "layers=[2, 16, 16, 2]" in out and "'softmax'" in out


def test_the_output_activation_given_picks_the_loss(capsys):
    status, out, _ = run(capsys, "train", "--activations", "relu,relu,tanh", "--epochs", "1",
                         "--no-progress")
    assert status == 0 and "loss (quadratic)" in out


def test_errors_from_the_command_advise_flags_not_python(capsys):
    status, _, err = run(capsys, "train", "--loss", "bce", "--activations", "relu,relu,tanh")
    assert status == 2 and "--loss quadratic" in err and "loss='" not in err


def _table(out):
    return {line.split()[0]: line.split()[-2:] for line in out.splitlines()
            if line.strip().startswith(("loss", "accuracy"))}


@pytest.mark.parametrize("argv", [
    ["--layers", "64,10", "--activations", "sigmoid", "--loss", "bce"],
    ["--loss", "quadratic"],
    ["--loss", "cross_entropy", "--layers", "64,10"],
])
def test_every_loss_trains_on_digits_and_prints_the_class_accuracy(capsys, argv):
    pytest.importorskip("sklearn")
    from microgradnn.datasets import digits
    from microgradnn.nn import MLP
    from microgradnn.training import predict
    status, out, _ = run(capsys, "train", "--dataset", "digits", "--epochs", "2",
                         "--no-progress", *argv)
    assert status == 0, out
    train_acc, test_acc = (float(v.rstrip("%")) for v in _table(out)["accuracy"])
    assert 0 <= train_acc <= 100 and 0 <= test_acc <= 100


def test_train_accuracy_is_the_share_of_examples_whose_class_ranks_first(capsys, tmp_path):
    pytest.importorskip("sklearn")
    from microgradnn.datasets import digits
    from microgradnn.nn import MLP
    path = tmp_path / "m.npz"
    status, out, _ = run(capsys, "train", "--dataset", "digits", "--loss", "quadratic",
                         "--epochs", "2", "--no-progress", "--save", str(path))
    assert status == 0
    x, y = digits()
    _, _, x_test, y_test = split(x, y, 0.2, seed=0)
    scores = MLP.load(path)(x_test).data                      # (n, 10) sigmoid outputs
    assert _table(out)["accuracy"][1] == f"{np.mean(scores.argmax(axis=1) == y_test):.1%}"


def test_a_split_too_small_to_learn_from_is_warned_about(capsys):
    status, out, err = run(capsys, "train", "--samples", "3", "--epochs", "1", "--no-progress")
    assert status == 0
    assert "microgradnn: warning: only 2 training and 1 test examples" in err
    assert "--samples" in err and "Traceback" not in err


def test_a_large_enough_split_is_not_warned_about(capsys):
    status, _, err = run(capsys, "train", "--samples", "100", "--epochs", "1", "--no-progress")
    assert status == 0 and err == ""


@pytest.mark.parametrize("expr, values, words", [
    ("log(x)", "x=-1", "the value is nan: log of -1 gives nan; the derivatives printed are not "
                       "meaningful"),
    ("1/x", "x=0", "the value is inf"),
    ("x**0.5", "x=0", "d/dx is not finite"),
])
def test_a_nan_or_inf_result_is_warned_about_and_still_drawn(capsys, tmp_path, expr, values,
                                                              words):
    status, out, err = run(capsys, "graph", "--expr", expr, "--set", values,
                           "-o", str(tmp_path / "g.dot"))
    assert status == 0 and (tmp_path / "g.dot").exists()
    assert err.startswith("microgradnn: warning: ") and words in err


def test_a_finite_result_gets_no_warning(capsys, tmp_path):
    status, _, err = run(capsys, "graph", "--expr", "log(x)", "--set", "x=2",
                         "-o", str(tmp_path / "g.dot"))
    assert status == 0 and err == ""


def test_the_progress_bar_says_test_and_running_means_like_the_table(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    from microgradnn.training import loop
    monkeypatch.setattr(loop, "_redraws", lambda: True)        # as in a terminal
    status, out, err = run(capsys, "train", "--epochs", "2")
    assert status == 0
    assert "test loss" in err and "test accuracy" in err and "(running means)" in err
    assert "val " not in err and "validation" not in err
    assert "running means over each epoch" in out


def test_piped_progress_is_one_plain_line_per_epoch(capsys):
    """Into a pipe or a file (capsys: no terminal), no bar whose redraws run into one line."""
    pytest.importorskip("tqdm")
    status, out, err = run(capsys, "train", "--epochs", "3")
    assert status == 0 and "\r" not in out + err and "epoch/s" not in err
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]
    assert all("(running means)  test loss" in line for line in lines)


def test_the_plots_say_test(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from microgradnn import plots
    seen = []
    real = plots.loss_curve
    monkeypatch.setattr(plots, "loss_curve", lambda h, *a, **k: seen.append(h) or real(h, *a, **k))
    status, _, _ = run(capsys, "train", "--epochs", "2", "--no-progress", "--plots", str(tmp_path))
    assert status == 0 and [h.validation_name for h in seen] == ["test"]


# --- the table of the command's errors in docs/errors.md, executed ----------------------------

def _command_rows():
    text = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text("utf-8")
    section = text.split("\n## The command\n", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split(" | ")]
            for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) >= 15
    return rows


@pytest.mark.parametrize("command, status, message", _command_rows(),
                         ids=[r[0][13:70] for r in _command_rows()])
def test_the_command_gets_the_error_the_docs_promise(capsys, tmp_path, monkeypatch, command,
                                                     status, message):
    import shlex
    if "/proc/" in command and not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(command.strip("`"))
    assert argv[0] == "microgradnn"
    got, _, err = run(capsys, *argv[1:])
    one_line_error(got, err, int(status))
    assert message in err


# --- the README's way to run the command works as written -------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_says_to_activate_the_environment_make_demo_creates():
    readme = (ROOT / "README.md").read_text("utf-8")
    makefile = (ROOT / "Makefile").read_text("utf-8")
    venv = re.search(r"^VENV\s*:=\s*(\S+)", makefile, re.M).group(1)
    assert f"source {venv}/bin/activate" in readme
    assert f"`{venv}/bin/microgradnn`" in readme
    demo = re.search(r"^demo:.*?(?=^\S)", makefile, re.M | re.S).group(0)
    assert "$(BIN)/microgradnn demo" in demo              # runs the command from that venv
    assert "source $(VENV)/bin/activate" in demo          # and says how to use it afterwards


def test_activating_the_environment_puts_the_command_on_the_path(tmp_path):
    # The environment the tests run in was made by the same Makefile (make test): activate it in
    # a shell whose PATH does not have it, from a folder elsewhere, and run the README's command.
    activate = Path(sys.prefix) / "bin" / "activate"
    if sys.prefix == sys.base_prefix or not (Path(sys.prefix) / "bin" / "microgradnn").exists():
        pytest.skip("not running in a virtual environment with the command installed")
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    assert subprocess.run(["bash", "-c", "command -v microgradnn"], env=env,
                          capture_output=True).returncode != 0
    done = subprocess.run(["bash", "-c", f"source {activate} && microgradnn --version"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("microgradnn "), done.stderr


def test_plots_without_matplotlib_are_refused_before_training(capsys, tmp_path, monkeypatch,
                                                             no_training):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    status, out, err = run(capsys, "train", "--plots", str(tmp_path / "p"))
    one_line_error(status, err, 1)
    assert "plots need matplotlib" in err and out == ""


# --- hostile arguments: every output flag checked before any work, an empty name included; every
# --- bad value one line with status 2, never a traceback

@pytest.mark.parametrize("argv, says", [
    (["train", "--save", ""], "--save '': the file name is empty"),
    (["train", "--plots", ""], "--plots '': the folder name is empty"),
    (["demo", "--out", ""], "--out '': the folder name is empty"),
    (["graph", "--expr", "x", "--set", "x=1", "-o", ""], "-o/--output '': the file name is empty"),
], ids=["save", "plots", "out", "output"])
def test_an_empty_output_name_is_refused_before_any_work(capsys, no_training, tmp_path,
                                                         monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *argv)
    assert status == 2 and err.startswith("microgradnn: error: ") and says in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert os.listdir(tmp_path) == []          # nothing written into the current folder


HOSTILE_ARGV = [
    ["train", "--epochs", "inf"], ["train", "--epochs", "nan"], ["train", "--epochs", ""],
    ["train", "--lr", "nan"], ["train", "--lr", "-inf"], ["train", "--lr", "1e400"],
    ["train", "--test-fraction", "nan"], ["train", "--test-fraction", "inf"],
    ["train", "--noise", "-0.0001"], ["train", "--layers", "2,-1,1"], ["train", "--layers", ","],
    ["train", "--layers", "2,99999999999999999999999,1"], ["train", "--activations", ",,"],
    ["train", "--activations", "θ,relu,sigmoid"], ["train", "--seed", "-0.5"],
    ["train", "--batch-size", "0"], ["train", "--samples", "1"], ["train", "--save", "/dev/full"],
    ["train", "--save", "/proc/self/m.npz"], ["train", "--plots", "/proc/self/x/y"],
    ["check", "--layers", "2,0,1"], ["check", "--batch-size", "-1"],
    ["check", "--layers", "2,100000000000,1"], ["check", "--activations", "softmax,relu,relu"],
    ["graph", "--expr", "(" * 5000 + "x" + ")" * 5000], ["graph", "--expr", "x", "--set", "x"],
    ["graph", "--expr", "ü(x)"], ["graph", "--expr", "x", "-o", "/proc/self/g.svg"],
    ["demo", "--out", "/dev/full"], ["demo", "--epochs", "-3"],
]


@pytest.mark.parametrize("argv", HOSTILE_ARGV, ids=[" ".join(a)[:40] for a in HOSTILE_ARGV])
def test_a_hostile_argument_is_one_line_with_status_2(capsys, no_training, argv):
    status, _, err = run(capsys, *argv)
    assert status == 2, err
    assert "Traceback" not in err and err.startswith("microgradnn: error: ")


# --- Ctrl-C before main() runs: while the package (and numpy) is being imported ---------------

def _python(code, tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def test_ctrl_c_while_the_command_imports_its_package_is_one_line_and_status_130(tmp_path):
    # As the console script starts: argv[0] is the command, and the interrupt arrives while
    # the package is still being imported (raised here right after it, deterministically).
    done = _python("import sys; sys.argv = ['/usr/bin/microgradnn', 'train']\n"
                   "import microgradnn\n"
                   "raise KeyboardInterrupt", tmp_path)
    assert done.returncode == 130
    assert done.stderr == "microgradnn: interrupted (Ctrl-C)\n"


def test_importing_the_library_in_a_program_leaves_its_ctrl_c_handling_alone(tmp_path):
    done = _python("import microgradnn\nraise KeyboardInterrupt", tmp_path)
    assert "Traceback" in done.stderr and "microgradnn: interrupted" not in done.stderr


# --- a file the command writes inside --plots / --out that cannot be written -------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("argv, inside", [
    (["train", "--plots"], "loss.png"),
    (["demo", "--fast", "--out"], "neuron-backward.txt"),
], ids=["plots", "out"])
def test_a_fifo_where_the_command_writes_a_file_is_refused_before_any_work(
        capsys, no_training, tmp_path, argv, inside):
    # Writing into a FIFO blocks until a reader comes: the run would hang at its very end.
    os.mkfifo(tmp_path / inside)
    status, _, err = run(capsys, *argv, str(tmp_path))
    assert status == 2 and "Traceback" not in err
    assert f"{tmp_path / inside} exists and is not a regular file" in err


@pytest.mark.skipif(os.name != "posix", reason="symbolic links are POSIX")
def test_save_through_a_link_into_a_missing_folder_is_refused_before_training(
        capsys, no_training, tmp_path):
    link = tmp_path / "latest.npz"
    link.symlink_to(tmp_path / "gone" / "model.npz")
    status, _, err = run(capsys, "train", "--save", str(link))
    assert status == 2 and "Traceback" not in err
    assert f"the folder {tmp_path / 'gone'} does not exist" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_without_graphviz_the_dot_file_written_instead_is_checked_first(capsys, tmp_path,
                                                                        monkeypatch):
    import microgradnn.cli
    monkeypatch.setattr(microgradnn.cli, "have_dot", lambda: False)
    os.mkfifo(tmp_path / "g.dot")          # writing the DOT text here would block for ever
    status, out, err = run(capsys, "graph", "--expr", "x*2", "--set", "x=1",
                                   "-o", str(tmp_path / "g.svg"))
    assert status == 2 and out == "" and "Traceback" not in err
    assert "g.dot: exists and is not a regular file" in err


def test_a_read_only_file_where_demo_writes_is_refused_before_any_work(capsys, no_training,
                                                                       tmp_path, monkeypatch):
    # As root every file is writable, so the file system's answer is stood in for: the check
    # must ask os.access about the file the command will write.
    (tmp_path / "loss.png").write_bytes(b"")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False
                        if str(p) == str(tmp_path / "loss.png") and mode == os.W_OK
                        else real_access(p, mode, **kw))
    status, _, err = run(capsys, "train", "--plots", str(tmp_path))
    assert status == 2 and f"{tmp_path / 'loss.png'} is read-only" in err


# --- a run that diverges is never reported as a success ---

def test_the_command_never_reports_a_non_finite_loss_as_success(capsys, tmp_path):
    # One batch, one epoch: the only step leaves weights whose loss is not finite.
    model = tmp_path / "m.npz"
    status = main(["train", "--optimizer", "sgd", "--lr", "1e300", "--epochs", "1",
                   "--batch-size", "100000", "--no-progress", "--save", str(model)])
    out, err = capsys.readouterr()
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("microgradnn: error: training diverged")
    assert "smaller learning rate (--lr 1e+300 now)" in err and "nothing was saved" in err
    assert "Traceback" not in err and "loss nan" not in out and "inf " not in out
    assert not model.exists()
