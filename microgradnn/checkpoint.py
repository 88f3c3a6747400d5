"""Saving and loading an MLP (and its optimizer's state) safely.

A checkpoint is an ``.npz`` archive (numpy's zip of ``.npy`` arrays) holding

* ``meta``: a JSON string (a 0-d unicode array) with the format name and version, the
  architecture (layers, activations, init, seed) and the optimizer's plain numbers;
* ``W1, b1, W2, b2, ...``: the parameters as float64 arrays, bit for bit;
* ``optimizer.<key>``: the optimizer's arrays (Adam's ``m.0``, ``v.0``, ... ; SGD's velocities).

Safety, since a model file may come from anywhere:

* Only numbers are ever read: ``allow_pickle=False``, so a file with a pickled object array is
  refused instead of unpickled (unpickling can run arbitrary code).
* Writes are atomic: the archive goes to a temporary file in the same directory, is flushed and
  fsync'ed, then renamed over the target with :func:`os.replace`. A crash mid-save leaves the
  previous checkpoint intact (and, at worst, a stray ``.<name>.*.tmp`` file beside it).
* Everything is checked before anything is assigned: a truncated, corrupted or mismatched file
  (unknown version, wrong architecture, missing or extra arrays, wrong shapes or dtypes, NaN or
  inf weights) raises :class:`CheckpointError` (a ``ValueError``) and leaves the model and the
  optimizer untouched. Saving NaN/inf weights is refused too, so a diverged run cannot overwrite
  a good checkpoint.

Two ways to load:

* :func:`load` (or ``MLP.load(path)``) → a new :class:`~microgradnn.nn.MLP`, for inference;
* :func:`load_into` → restores an existing network and, optionally, its optimizer, to resume
  training exactly where it stopped.

>>> import os, tempfile
>>> from microgradnn.nn import MLP
>>> net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=1)
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> save(net, path)
>>> same = load(path)
>>> same.layers, bool((same.weights[0].data == net.weights[0].data).all())
([2, 3, 1], True)
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

FORMAT = "microgradnn.checkpoint"
VERSION = 1
_OPT_PREFIX = "optimizer."


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or does not fit the model it is loaded into."""


@dataclass
class Checkpoint:
    """Everything a checkpoint file holds, read and checked (see :func:`read`)."""

    layers: list
    activations: list
    init: str
    seed: Any
    params: list                       # [W1, b1, W2, b2, ...] as float64 arrays
    optimizer_state: Optional[dict]    # what optimizer.state_dict() returned, or None


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------

def save(net, path, optimizer=None) -> None:
    """Write ``net`` (an MLP) and, if given, ``optimizer.state_dict()`` to ``path`` atomically.

    The file is written exactly at ``path`` (no suffix is added; ``.npz`` is the convention).
    """
    arrays = {}
    params = list(net.parameters())
    _check_params(params, net.layers, f"save {os.fspath(path)!r}")
    for l in range(len(net.layers) - 1):
        arrays[f"W{l + 1}"] = np.array(params[2 * l].data, dtype=np.float64)
        arrays[f"b{l + 1}"] = np.array(params[2 * l + 1].data, dtype=np.float64)
    meta = {"format": FORMAT, "version": VERSION, "model": "MLP",
            "layers": [int(n) for n in net.layers], "activations": list(net.activations),
            "init": net.init, "seed": _json_seed(getattr(net, "seed", None)),
            "optimizer": None}
    if optimizer is not None:
        meta["optimizer"], opt_arrays = _split_state(optimizer.state_dict())
        arrays.update({_OPT_PREFIX + k: a for k, a in opt_arrays.items()})
    arrays["meta"] = np.array(json.dumps(meta))
    _write_atomically(os.fspath(path), arrays)


def _json_seed(seed):
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    return None                        # a Generator or SeedSequence: the weights are stored anyway


def _split_state(state: dict) -> tuple:
    """An optimizer state dict → (plain JSON-able numbers and strings, {key: ndarray})."""
    if not isinstance(state, dict):
        raise TypeError(f"save: optimizer.state_dict() returned {type(state).__name__}, "
                        "expected a dict")
    plain, arrays = {}, {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"save: optimizer state keys must be strings, got {key!r}")
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                raise TypeError(f"save: optimizer state {key!r} has dtype {value.dtype}; only "
                                "numeric arrays can be stored")
            arrays[key] = value
        elif isinstance(value, (np.integer, np.floating, np.bool_)):
            plain[key] = value.item()
        elif value is None or isinstance(value, (bool, int, float, str)):
            plain[key] = value
        else:
            raise TypeError(f"save: optimizer state {key!r} is a {type(value).__name__}; "
                            "only numbers, strings and ndarrays can be stored")
    return plain, arrays


def _write_atomically(path: str, arrays: dict) -> None:
    """Write the archive to a temporary file beside path, fsync it, then rename it over path."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())       # the bytes are on disk before the name points at them
        os.replace(tmp, path)          # atomic: readers see the old file or the new one
    except BaseException:
        with _ignoring(OSError):
            os.unlink(tmp)
        raise
    with _ignoring(OSError):           # make the rename itself durable (POSIX)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


class _ignoring:
    def __init__(self, *errors):
        self.errors = errors

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, self.errors)


# ---------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------

def read(path) -> Checkpoint:
    """Read and check a checkpoint without building anything; CheckpointError if it is bad."""
    where = f"checkpoint {os.fspath(path)!r}"
    arrays = _read_arrays(path, where)
    meta = _read_meta(arrays.pop("meta", None), where)
    layers, activations = meta["layers"], meta["activations"]
    from .architecture import INITS, check_architecture
    try:
        layers, activations = check_architecture(layers, activations)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{where}: invalid architecture: {e}") from None
    if meta.get("init") not in INITS:
        raise CheckpointError(f"{where}: unknown init {meta.get('init')!r}; known: "
                              f"{', '.join(INITS)}")

    names = [f"{kind}{l}" for l in range(1, len(layers)) for kind in ("W", "b")]
    opt_keys = sorted(k for k in arrays if k.startswith(_OPT_PREFIX))
    missing = [n for n in names if n not in arrays]
    extra = sorted(set(arrays) - set(names) - set(opt_keys))
    if missing:
        raise CheckpointError(f"{where}: missing array(s) {', '.join(missing)} for the "
                              f"architecture {layers}")
    if extra:
        raise CheckpointError(f"{where}: unexpected array(s) {', '.join(extra)} for the "
                              f"architecture {layers}")
    params = [arrays[n] for n in names]
    _check_params(params, layers, where, names)

    state = None
    opt_meta = meta.get("optimizer")
    if opt_meta is not None:
        if not isinstance(opt_meta, dict):
            raise CheckpointError(f"{where}: the optimizer entry of meta is not an object")
        state = dict(opt_meta)
        for k in opt_keys:
            state[k[len(_OPT_PREFIX):]] = arrays[k]
    elif opt_keys:
        raise CheckpointError(f"{where}: optimizer arrays {', '.join(opt_keys)} without the "
                              "optimizer entry in meta")
    return Checkpoint(layers, activations, meta["init"], meta.get("seed"), params, state)


def _read_arrays(path, where: str) -> dict:
    """Every array of the archive, read now (so that a damaged member fails here, not later)."""
    with open(path, "rb") as f:        # FileNotFoundError and the like speak for themselves
        magic = f.read(6)
    # np.load guesses the kind of file from its first bytes; decide ourselves, so that each
    # wrong kind gets its own message (and a pickle never reaches a loader).
    if magic.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"{where}: a single .npy array, not a checkpoint archive (.npz)")
    if magic[:1] == b"\x80":
        raise CheckpointError(f"{where}: a pickle file, which holds Python objects; refused "
                              "(allow_pickle=False: unpickling can run code)")
    if not magic.startswith(b"PK"):
        raise CheckpointError(f"{where}: not a readable .npz archive (it does not start with "
                              f"the zip signature; first bytes {magic!r})")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{where}: not a readable .npz archive, truncated or corrupted "
                              f"({type(e).__name__}: {e})") from None
    arrays = {}
    with archive:
        for name in archive.files:
            try:
                arrays[name] = archive[name]
            except ValueError as e:
                if "allow_pickle" in str(e):   # numpy's refusal of an object array
                    raise CheckpointError(
                        f"{where}: array {name!r} holds pickled Python objects; refused "
                        "(allow_pickle=False: a checkpoint holds only numbers, and unpickling "
                        "can run code)") from None
                raise CheckpointError(f"{where}: array {name!r} is corrupted ({e})") from None
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error,
                    NotImplementedError) as e:
                raise CheckpointError(f"{where}: array {name!r} is truncated or corrupted "
                                      f"({type(e).__name__}: {e})") from None
    return arrays


def _read_meta(meta, where: str) -> dict:
    if meta is None:
        raise CheckpointError(f"{where}: no 'meta' entry; not a microgradnn checkpoint")
    if meta.shape != () or meta.dtype.kind != "U":
        raise CheckpointError(f"{where}: 'meta' must be a JSON string, got an array of dtype "
                              f"{meta.dtype} and shape {meta.shape}")
    try:
        info = json.loads(str(meta))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{where}: 'meta' is not valid JSON ({e})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a microgradnn checkpoint (format "
                              f"{info.get('format') if isinstance(info, dict) else None!r}, "
                              f"expected {FORMAT!r})")
    version = info.get("version")
    if version != VERSION:
        raise CheckpointError(f"{where}: unknown format version {version!r}; this microgradnn "
                              f"reads version {VERSION}")
    if info.get("model") != "MLP":
        raise CheckpointError(f"{where}: holds a model of kind {info.get('model')!r}, "
                              "expected 'MLP'")
    for key in ("layers", "activations", "init"):
        if key not in info:
            raise CheckpointError(f"{where}: 'meta' has no {key!r} entry")
    return info


def _check_params(params: list, layers: list, where: str, names: Optional[list] = None) -> None:
    """Shapes (out, in) and (out,), float64, all finite — or a CheckpointError naming which."""
    n = len(layers) - 1
    if names is None:
        names = [f"{kind}{l}" for l in range(1, n + 1) for kind in ("W", "b")]
    if len(params) != 2 * n:
        raise CheckpointError(f"{where}: the architecture {layers} has {2 * n} parameters, "
                              f"got {len(params)}")
    for i, (name, p) in enumerate(zip(names, params)):
        data = p if isinstance(p, np.ndarray) else p.data   # a Value (save) or an array (read)
        l = i // 2
        want = (layers[l + 1], layers[l]) if i % 2 == 0 else (layers[l + 1],)
        if not isinstance(data, np.ndarray) or data.dtype != np.float64:
            kind = data.dtype if isinstance(data, np.ndarray) else type(data).__name__
            raise CheckpointError(f"{where}: {name} must be a float64 array, got {kind}")
        if data.shape != want:
            raise CheckpointError(f"{where}: {name} has shape {data.shape}, the architecture "
                                  f"{layers} needs {want}")
        bad = data.size - int(np.count_nonzero(np.isfinite(data)))
        if bad:
            raise CheckpointError(f"{where}: {name} has {bad} NaN or inf value(s); refusing a "
                                  "diverged model")


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def load(path):
    """A new MLP with the architecture and weights stored at ``path``.

    The optimizer state, if any, is ignored here; use :func:`load_into` to resume training.
    """
    from .nn import MLP
    ck = read(path)
    net = MLP(ck.layers, ck.activations, seed=ck.seed if ck.seed is not None else 0,
              init=ck.init)
    _assign(net, ck.params)
    return net


def load_into(net, path, optimizer=None) -> None:
    """Restore ``net`` (and ``optimizer``) from ``path``, all or nothing.

    The file is read and checked completely, and its architecture compared with ``net``'s,
    before anything changes; on any error both are left as they were. Typical resume::

        net = MLP([2, 8, 1], ["tanh", "sigmoid"])
        opt = Adam(net.parameters(), lr=1e-2)
        load_into(net, "run.npz", optimizer=opt)
    """
    where = f"checkpoint {os.fspath(path)!r}"
    ck = read(path)
    if list(net.layers) != ck.layers or list(net.activations) != ck.activations:
        raise CheckpointError(f"{where}: holds layers {ck.layers} with activations "
                              f"{ck.activations}, the network has layers {list(net.layers)} "
                              f"with activations {list(net.activations)}")
    params = list(net.parameters())
    for p, arr in zip(params, ck.params):
        if np.shape(p.data) != arr.shape:
            raise CheckpointError(f"{where}: {p.label or 'a parameter'} has shape "
                                  f"{np.shape(p.data)} in the network, {arr.shape} in the file")
    if optimizer is not None:
        if ck.optimizer_state is None:
            raise CheckpointError(f"{where}: holds no optimizer state (it was saved without "
                                  "an optimizer)")
        before = optimizer.state_dict()
        try:
            optimizer.load_state_dict(ck.optimizer_state)
        except (TypeError, ValueError) as e:
            optimizer.load_state_dict(before)   # in case it had half-assigned its state
            raise CheckpointError(f"{where}: the optimizer state does not fit: {e}") from None
    _assign(net, ck.params)


def _assign(net, arrays: list) -> None:
    """Copy checked arrays into the parameters, in place (views and optimizers stay valid)."""
    for p, arr in zip(net.parameters(), arrays):
        p.data[...] = arr
        p.grad = None
