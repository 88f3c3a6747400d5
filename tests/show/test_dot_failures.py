"""Graphviz's dot runs under a time limit, and each way it can fail is one DotError naming its
cause — never a raw graphviz.CalledProcessError or BrokenPipeError. A stand-in `dot` on PATH
(a shell script) sleeps, crashes or refuses, so each cause is produced on purpose."""
import os
import shutil
import stat
import subprocess
import time

import graphviz
import pytest

from microgradnn import Value
from microgradnn.command.cli import main
from microgradnn.explorer import explore
from microgradnn.viz import (DOT_TIMEOUT, DotError, DotNotFoundError, Drawing, draw_graph,
                             run_dot)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def fake_dot(tmp_path, monkeypatch, script: str) -> None:
    """A `dot` on PATH that runs the shell script (and nothing else is on PATH but /bin)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n" + script + "\n")
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}:/bin:/usr/bin")


def graph():
    a = Value(2.0, label="a")
    y = a * a + a
    y.label = "y"
    return y


def test_the_default_time_limit_is_30_seconds():
    assert DOT_TIMEOUT == 30.0


def test_dot_out_of_time_is_stopped_and_named(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "exec sleep 30")
    start = time.monotonic()
    with pytest.raises(DotError) as err:
        draw_graph(graph()).pipe(format="svg", timeout=0.5)
    assert time.monotonic() - start < 10
    assert err.value.cause == "timeout"
    assert "did not finish within 0.5 s and was stopped" in str(err.value)
    assert "timeout=" in str(err.value)


def test_dot_crashing_is_named_with_its_signal(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "cat > /dev/null; kill -SEGV $$")
    with pytest.raises(DotError) as err:
        draw_graph(graph()).pipe(format="svg")
    assert err.value.cause == "crash" and "crashed (SIGSEGV)" in str(err.value)
    assert not isinstance(err.value, subprocess.CalledProcessError)


def test_dot_refusing_the_text_is_named_with_its_own_words(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "echo 'Error: syntax error in line 1' >&2; exit 1")
    with pytest.raises(DotError) as err:
        draw_graph(graph()).render(tmp_path / "g", format="svg")
    assert err.value.cause == "refused"
    assert "refused the DOT text (exit status 1): Error: syntax error in line 1" in str(err.value)
    assert not isinstance(err.value, graphviz.CalledProcessError)


def test_dot_closing_its_input_early_is_its_exit_not_a_broken_pipe(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "exec 0<&-; echo 'Error: gave up' >&2; exit 3")
    big = Value(1.0, label="x" * 1_000)
    for _ in range(300):
        big = big + 1.0
    with pytest.raises(DotError) as err:
        draw_graph(big, max_nodes=1000).pipe(format="svg")
    assert err.value.cause == "refused" and "gave up" in str(err.value)


def test_dot_missing_is_a_dot_error_that_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DotNotFoundError) as err:
        draw_graph(graph()).pipe(format="svg")
    assert isinstance(err.value, DotError) and err.value.cause == "missing"
    assert "apt-get install graphviz" in str(err.value)


def test_text_added_by_hand_that_utf8_cannot_encode_is_named():
    d = Drawing()
    d.node("a", "\ud800")
    with pytest.raises(DotError) as err:
        d.pipe(format="svg")
    assert err.value.cause == "input" and "'\\ud800' at position" in str(err.value)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan"), "30", True, None])
def test_a_time_limit_is_a_positive_number_of_seconds(timeout):
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        run_dot("digraph {}", "svg", timeout=timeout)


def test_explore_passes_a_drawing_failure_on_instead_of_calling_it_too_many_nodes(
        tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "cat > /dev/null; kill -SEGV $$")
    with pytest.raises(DotError) as err:
        explore(graph(), tmp_path / "p.html")
    assert err.value.cause == "crash" and "max_nodes" not in str(err.value)
    assert not (tmp_path / "p.html").exists()


def test_explore_stops_dot_after_its_timeout(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "exec sleep 30")
    with pytest.raises(DotError, match="within 0.5 s"):
        explore(graph(), tmp_path / "p.html", timeout=0.5)


def test_the_command_prints_a_drawing_failure_as_one_line(tmp_path, monkeypatch, capsys):
    fake_dot(tmp_path, monkeypatch, "cat > /dev/null; kill -SEGV $$")
    status = main(["graph", "--expr", "x*x", "--set", "x=1", "-o", str(tmp_path / "g.svg")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith("microgradnn: error: ") and "crashed (SIGSEGV)" in err


@needs_dot
def test_a_100_kb_label_is_drawn_cut_and_says_how_much_was_left_out():
    a = Value(1.0, label="x" * 100_000)
    svg = draw_graph(a * 2.0).pipe(format="svg").decode()
    assert "x" * 200 + "… (+99,800 characters)" in svg


@needs_dot
def test_render_writes_the_picture_beside_the_source_and_cleans_up(tmp_path):
    path = draw_graph(graph()).render(tmp_path / "g", format="svg", cleanup=True)
    assert path == os.fspath(tmp_path / "g.svg") and (tmp_path / "g.svg").read_bytes()
    assert not (tmp_path / "g").exists()
