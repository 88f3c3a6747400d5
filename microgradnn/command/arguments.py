"""What the command accepts: its argument types, and the checks that run before any work (an
output path that can be written, enough memory), each failing as one UsageError line."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Sequence

from ..training.checkpoint import machine_memory


class UsageError(ValueError):
    """A bad command-line value, reported as one line with exit status 2."""


# ---------------------------------------------------------------------------------------------
# Parsing helpers for the list-like options ("2,16,16,1", "x=0.5,w=-1.2")
# ---------------------------------------------------------------------------------------------

def int_list(text: str) -> list:
    """'2,16,1' → [2, 16, 1]."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 2,16,16,1, got {text!r}") from None


def name_list(text: str) -> list:
    """'relu,relu,sigmoid' → ['relu', 'relu', 'sigmoid']."""
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names like relu,sigmoid, "
                                         f"got {text!r}")
    return names


def assignments(text: str) -> dict:
    """'x=0.5,w=-1.2' → {'x': 0.5, 'w': -1.2}."""
    out = {}
    for part in text.split(","):
        name, eq, number = part.partition("=")
        try:
            if not eq:
                raise ValueError
            out[name.strip()] = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected name=number pairs like x=0.5,w=-1.2, got {part.strip()!r}") from None
    return out


def _positive(text: str, convert, what: str):
    """text as a positive, finite number of the given type, or argparse's one-line error."""
    try:
        n = convert(text)
    except ValueError:
        n = 0
    if not 0 < n < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive {what}, got {text!r}")
    return n


def positive_int(text: str) -> int:
    return _positive(text, int, "integer")


def positive_float(text: str) -> float:
    return _positive(text, float, "number")


def seed_int(text: str) -> int:
    """A seed: a non-negative integer (numpy's generators take no negative seeds)."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"a seed must be a non-negative integer, got {text!r}")
    return n


def non_negative_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = -1.0
    if not 0 <= x < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number ≥ 0, got {text!r}")
    return x


# ---------------------------------------------------------------------------------------------
# Output paths, checked before any work starts (a run is never thrown away at the end)
# ---------------------------------------------------------------------------------------------

def _first_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _missing_folder(folder: Path, flag: str, given: str) -> UsageError:
    found = _first_existing(folder)
    if found.exists() and not found.is_dir():
        return UsageError(f"{flag} {given}: {found} is a file, not a folder")
    return UsageError(f"{flag} {given}: the folder {folder} does not exist; create it first")


def _probe(folder: Path, flag: str, given: str) -> None:
    """Create and remove a file in folder: the one test of writability that holds for
    read-only mounts, /proc, and root alike."""
    probe = folder / f".microgradnn-write-test-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"{flag} {given}: cannot write in the folder {folder} "
                         f"({e.strerror or e})") from None


def check_output_file(given: str, flag: str, example: str = "name") -> Path:
    """A file the command will write: its folder exists and is writable, and it is not a
    folder or a device. Nothing is created."""
    if not given:
        raise UsageError(f"{flag} '': the file name is empty; give one (e.g. {example})")
    path = Path(given)
    if given.endswith(("/", os.sep)) or path.is_dir():
        raise UsageError(f"{flag} {given}: is a folder; give a file name (e.g. "
                         f"{path / example})")
    if path.exists() and not path.is_file():
        raise UsageError(f"{flag} {given}: exists and is not a regular file")
    # Through a symbolic link the file written is the one it points to: check that one's folder.
    folder = Path(os.path.realpath(path)).parent if path.is_symlink() else path.parent
    if not folder.is_dir():
        raise _missing_folder(folder, flag, given)
    _probe(folder, flag, given)
    if path.exists() and not os.access(path, os.W_OK) and flag != "--save":
        raise UsageError(f"{flag} {given}: the file is read-only")
    return path


def check_output_folder(given: str, flag: str, files: Sequence[str] = ()) -> Path:
    """A folder the command will write ``files`` into: it exists and is writable, or can be
    created (its parent exists). Nothing is left behind by the check."""
    if not given:
        raise UsageError(f"{flag} '': the folder name is empty; give one (. for the current "
                         "folder)")
    path = Path(given)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {given}: is a file, not a folder")
    if path.is_dir():
        _probe(path, flag, given)
        for name in files:
            inside = path / name
            if inside.is_dir():
                raise UsageError(f"{flag} {given}: {inside} is a folder, where the "
                                 f"command writes a file")
            if inside.exists() and not inside.is_file():   # a FIFO would block the write
                raise UsageError(f"{flag} {given}: {inside} exists and is not a regular file, "
                                 "where the command writes a file")
            if inside.exists() and not os.access(inside, os.W_OK):
                raise UsageError(f"{flag} {given}: {inside} is read-only, where the command "
                                 "writes a file")
        return path
    if not path.parent.is_dir():
        raise _missing_folder(path.parent, flag, given)
    try:                       # the folder is created when the work is done, not now
        path.mkdir()
        path.rmdir()
    except OSError as e:
        raise UsageError(f"{flag} {given}: cannot create the folder ({e.strerror or e})") \
            from None
    return path


# ---------------------------------------------------------------------------------------------
# Memory, estimated before allocating: a MemoryError half-way is one line too, but a size the
# machine cannot hold at all is named with the flag that asked for it
# ---------------------------------------------------------------------------------------------

def check_memory(needs: Sequence[tuple]) -> None:
    """needs: (bytes, what, flag to change) tuples; UsageError for the first that cannot fit."""
    memory = machine_memory()
    if memory is None:
        return
    for size, what, flag in needs:
        if size > memory:
            raise UsageError(f"{what} needs about {_bytes(size)} of memory, this machine has "
                             f"{_bytes(memory)}: choose a smaller {flag}")


def _bytes(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000


def network_memory(layers: Sequence[int], batch: int) -> list:
    """(bytes, what, flag) to hold and train a dense network: weights, gradients and two
    optimizer slots per parameter, and a batch's activations kept for the backward pass."""
    params = sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))
    return [(8 * 4 * params, f"a network of {params:,} parameters", "--layers"),
            (8 * 4 * batch * sum(layers),
             f"a batch of {batch:,} examples through layers of {sum(layers):,} units",
             "--batch-size (or --layers)")]


# ---------------------------------------------------------------------------------------------
# Writing graphs: pictures when Graphviz's `dot` is installed, DOT text otherwise
# ---------------------------------------------------------------------------------------------
