"""The microgradnn command: every subcommand's behaviour, its errors, and its exit statuses.

Most tests call ``microgradnn.cli.main(argv)`` in-process (fast); a few run the real
``python -m microgradnn`` in a subprocess to prove the entry points work and never print a
traceback.
"""
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from microgradnn.cli import main, split

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


def svg_texts(path: Path) -> list:
    root = ET.parse(path).getroot()
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]


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
    texts = svg_texts(target)
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
    right = backprop.activation_derivative

    def wrong_sigmoid_prime(name):   # σ′ = σ instead of σ(1 − σ): a classic slip
        return backprop.sigmoid if name == "sigmoid" else right(name)

    monkeypatch.setattr(backprop, "activation_derivative", wrong_sigmoid_prime)
    status, out, _ = run(capsys, "check", "--layers", "2,3,1", "--activations", "sigmoid,linear")
    assert status == 1
    assert "FAILED at layer 1, BP2" in out


def test_check_rejects_an_architecture_the_network_rejects(capsys):
    status, _, err = run(capsys, "check", "--layers", "2,3,1", "--activations", "relu")
    assert status == 2
    assert err.startswith("microgradnn: error: 3 layer sizes [2, 3, 1] need 2 activations")


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
    assert y_test.tolist() != [7, 8, 9] or split(x, y, 0.3, seed=2)[3].tolist() != [7, 8, 9]


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
