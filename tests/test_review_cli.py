"""The command under hostile arguments (review of issue 10 §5): every output flag checked before
any work, an empty name included; every bad value one line with status 2, never a traceback."""
import os

import pytest

from microgradnn.cli import main


def run(capsys, argv):
    try:
        status = main(argv)
    except SystemExit as e:                    # argparse's own usage errors
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def no_training(monkeypatch):
    """Any attempt to train fails the test: the checks must come first."""
    import microgradnn.training

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the output paths were checked")
    monkeypatch.setattr(microgradnn.training, "fit", refuse)


@pytest.mark.parametrize("argv, says", [
    (["train", "--save", ""], "--save '': the file name is empty"),
    (["train", "--plots", ""], "--plots '': the folder name is empty"),
    (["demo", "--out", ""], "--out '': the folder name is empty"),
    (["graph", "--expr", "x", "--set", "x=1", "-o", ""], "-o/--output '': the file name is empty"),
], ids=["save", "plots", "out", "output"])
def test_an_empty_output_name_is_refused_before_any_work(capsys, no_training, tmp_path,
                                                         monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, argv)
    assert status == 2 and err.startswith("microgradnn: error: ") and says in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert os.listdir(tmp_path) == []          # nothing written into the current folder


HOSTILE = [
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


@pytest.mark.parametrize("argv", HOSTILE, ids=[" ".join(a)[:40] for a in HOSTILE])
def test_a_hostile_argument_is_one_line_with_status_2(capsys, no_training, argv):
    status, _, err = run(capsys, argv)
    assert status == 2, err
    assert "Traceback" not in err and err.startswith("microgradnn: error: ")


# --- Ctrl-C before main() runs: while the package (and numpy) is being imported ---------------

def _python(code, tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
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
    status, _, err = run(capsys, argv + [str(tmp_path)])
    assert status == 2 and "Traceback" not in err
    assert f"{tmp_path / inside} exists and is not a regular file" in err


@pytest.mark.skipif(os.name != "posix", reason="symbolic links are POSIX")
def test_save_through_a_link_into_a_missing_folder_is_refused_before_training(
        capsys, no_training, tmp_path):
    link = tmp_path / "latest.npz"
    link.symlink_to(tmp_path / "gone" / "model.npz")
    status, _, err = run(capsys, ["train", "--save", str(link)])
    assert status == 2 and "Traceback" not in err
    assert f"the folder {tmp_path / 'gone'} does not exist" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_without_graphviz_the_dot_file_written_instead_is_checked_first(capsys, tmp_path,
                                                                        monkeypatch):
    import microgradnn.cli
    monkeypatch.setattr(microgradnn.cli, "have_dot", lambda: False)
    os.mkfifo(tmp_path / "g.dot")          # writing the DOT text here would block for ever
    status, out, err = run(capsys, ["graph", "--expr", "x*2", "--set", "x=1",
                                    "-o", str(tmp_path / "g.svg")])
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
    status, _, err = run(capsys, ["train", "--plots", str(tmp_path)])
    assert status == 2 and f"{tmp_path / 'loss.png'} is read-only" in err
