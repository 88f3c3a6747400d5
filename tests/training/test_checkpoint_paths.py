"""The caller's files are the caller's: a save never replaces a FIFO, a device, a socket or a
folder (nor what a symbolic link points to, when it is one of those); a member compressed as
np.savez never writes (bzip2, lzma) is refused from the zip directory, before it is opened; and
the command's --html is checked before any work, as -o and --save are."""
import os
import shutil
import socket
import stat
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from microgradnn import MLP
from microgradnn.checkpoint import CheckpointError, load, save
from microgradnn.command.cli import main


def network():
    return MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)


def test_saving_over_a_fifo_is_refused_and_leaves_it_a_fifo(tmp_path):
    fifo = tmp_path / "net.npz"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"is a FIFO \(named pipe\), not a regular file"):
        network().save(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]      # no temporary file left


def test_saving_through_a_symlink_to_a_device_is_refused_and_leaves_both(tmp_path):
    link = tmp_path / "net.npz"
    link.symlink_to(os.devnull)
    with pytest.raises(CheckpointError, match=r"is a device .*the symbolic link points to "
                                              r"'/dev/null'"):
        save(network(), link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_saving_through_a_symlink_to_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "net.npz").symlink_to(fifo)
    with pytest.raises(CheckpointError, match="is a FIFO"):
        save(network(), tmp_path / "net.npz")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_saving_over_a_socket_or_a_folder_is_refused(tmp_path):
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "sock.npz"))
        with pytest.raises(CheckpointError, match="is a socket"):
            save(network(), tmp_path / "sock.npz")
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(CheckpointError, match="is a folder"):
        save(network(), tmp_path / "dir.npz")


def test_saving_over_a_regular_file_and_through_a_link_to_one_still_works(tmp_path):
    target = tmp_path / "real.npz"
    target.write_bytes(b"old")
    (tmp_path / "link.npz").symlink_to(target)
    net = network()
    save(net, tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink()
    assert np.array_equal(load(target).weights[0].data, net.weights[0].data)


def _bomb(tmp_path, method):
    """A checkpoint whose W1 member is 20 MB of zeros compressed with method (a few kB):
    zipfile would inflate a bzip2 or lzma stream without limit before its first byte."""
    good = tmp_path / "good.npz"
    save(network(), good)
    zeros = b"\0" * (20 << 20)
    bad = tmp_path / "bomb.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = zeros if info.filename == "W1.npy" else src.read(info)
            dst.writestr(info.filename, data, compress_type=method)
    return bad


@pytest.mark.parametrize("method, name", [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")])
def test_a_member_compressed_as_numpy_never_writes_is_refused_before_it_is_opened(
        tmp_path, monkeypatch, method, name):
    bad = _bomb(tmp_path, method)
    assert bad.stat().st_size < 1 << 20
    opened = []
    real = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or
                        real(self, *a, **k))
    start = time.monotonic()
    with pytest.raises(CheckpointError, match=rf"array 'W1' is compressed with {name} \(zip "
                                              rf"method {method}\), which np.savez never writes"):
        load(bad)
    assert time.monotonic() - start < 1.0 and opened == []


# --- the command's --html, checked before any work --------------------------------------------

def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def graph(html, tmp_path):
    return ("graph", "--expr", "x*x", "--set", "x=1", "-o", str(tmp_path / "g.svg"),
            "--html", html)


def refused_before_any_work(capsys, tmp_path, html, message):
    status, out, err = run(capsys, *graph(html, tmp_path))
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert out == "" and not (tmp_path / "g.svg").exists() and not (tmp_path / "g.dot").exists()


def test_html_pointed_at_a_fifo_is_refused_before_any_work(capsys, tmp_path):
    os.mkfifo(tmp_path / "p.html")
    refused_before_any_work(capsys, tmp_path, str(tmp_path / "p.html"),
                            "exists and is not a regular file")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
def test_html_in_proc_is_refused_before_any_work(capsys, tmp_path):
    refused_before_any_work(capsys, tmp_path, "/proc/x.html", "cannot write in the folder /proc")


def test_an_empty_html_name_is_refused_not_ignored(capsys, tmp_path):
    refused_before_any_work(capsys, tmp_path, "", "--html '': the file name is empty")


def test_a_missing_html_folder_is_refused_not_created(capsys, tmp_path):
    refused_before_any_work(capsys, tmp_path, str(tmp_path / "no" / "p.html"),
                            "does not exist; create it first")
    assert not (tmp_path / "no").exists()


def test_an_html_name_without_html_is_refused_before_any_work(capsys, tmp_path):
    refused_before_any_work(capsys, tmp_path, str(tmp_path / "p.svg"),
                            "the page's file name must end with .html")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_a_good_html_path_gets_the_page(capsys, tmp_path):
    status, out, _ = run(capsys, *graph(str(tmp_path / "p.html"), tmp_path))
    assert status == 0 and (tmp_path / "p.html").read_text("utf-8").startswith("<!DOCTYPE html>")


def test_explore_refuses_a_page_path_that_is_a_fifo(tmp_path):
    from microgradnn import Value
    from microgradnn.explorer import explore
    os.mkfifo(tmp_path / "p.html")
    with pytest.raises(ValueError, match="exists and is not a regular file"):
        explore(Value(2.0) * 3, tmp_path / "p.html")
