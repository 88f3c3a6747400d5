"""Saving and loading an MLP (and its optimizer's state) safely.

A checkpoint is an ``.npz`` archive (numpy's zip of ``.npy`` arrays) holding

* ``meta``: a JSON string (a 0-d unicode array) with the format name and version, the
  architecture (layers, activations, init, seed) and the optimizer's plain numbers;
* ``W1, b1, W2, b2, ...``: the parameters as float64 arrays, bit for bit;
* ``optimizer.<key>``: the optimizer's arrays (Adam's ``m.0``, ``v.0``, ... ; SGD's velocities).

Safety, since a model file may come from anywhere:

* Only numbers are ever read: ``allow_pickle=False``, so a file with a pickled object array is
  refused instead of unpickled (unpickling can run arbitrary code).
* Writes are atomic: the archive goes to a temporary file in the same directory (created like
  any file, so the umask applies, and named within the file system's length limit), is flushed
  and fsync'ed, then renamed over the target with :func:`os.replace`. A crash mid-save leaves
  the previous checkpoint intact (and, at worst, a stray ``.<name>.*.tmp`` file beside it). An
  OSError names the target, never the temporary file.
* Nothing large is read before it is known to fit: the zip directory, the metadata and every
  member's ``.npy`` header are checked against the architecture (names, dtypes, shapes, sizes)
  before any array data is decompressed, so a small file holding a huge compressed member is
  refused at once.
* Everything is checked before anything is assigned: a truncated, corrupted, encrypted or
  mismatched file (unknown version, hostile metadata, wrong architecture, missing or extra
  arrays, wrong shapes or dtypes, NaN or inf weights or optimizer state) raises
  :class:`CheckpointError` (a ``ValueError``) and leaves the model and the optimizer
  untouched. Saving NaN/inf weights is refused too, so a diverged run cannot overwrite a good
  checkpoint.

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

import errno
import json
import math
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..network.architecture import INITS, check_architecture
from ..network.nn import MLP

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
        # What load would refuse is refused here, before the good file is replaced.
        _check_optimizer_arrays({**meta["optimizer"], **opt_arrays}, f"save {os.fspath(path)!r}")
        arrays.update({_OPT_PREFIX + k: a for k, a in opt_arrays.items()})
    arrays["meta"] = np.array(json.dumps(meta))
    # Through a symbolic link, as open(path, "w") would: the file it points to is replaced,
    # the link stays (a rename over the link itself would cut it).
    path = os.fsdecode(path)           # a str, a bytes or a Path: one kind of name below
    target = os.path.realpath(path) if os.path.islink(path) else path
    _check_target(target, path)
    _write_atomically(target, arrays, path)


def _check_target(target: str, given: str) -> None:
    """A save replaces a regular file or makes a new one: never a FIFO, a device or a socket
    (a rename over /dev/null would replace the device), nor a folder."""
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return                         # a new file (a missing folder fails when writing, by name)
    if not stat.S_ISREG(mode):
        through = f" (the symbolic link points to {target!r})" if target != given else ""
        raise CheckpointError(f"save {given!r}: is {_kind(mode)}{through}, not a regular file; "
                              "a checkpoint is written to a regular file or a new name, and "
                              "this is left as it is")


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    return ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")


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


def _write_atomically(path: str, arrays: dict, given: Optional[str] = None) -> None:
    """Write the archive to a temporary file beside path, fsync it, then rename it over path.

    The temporary file is created like any new file (mode 0666 less the umask; an existing
    checkpoint's mode is kept), its name fits the folder's NAME_MAX however long ``path``'s
    name is, and an OSError names the path the user gave (``given``, else ``path``), never
    the temporary file.
    """
    given = path if given is None else given
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = _create_beside(path, folder)
    except OSError as e:
        raise _naming(e, given) from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())       # the bytes are on disk before the name points at them
        with _ignoring(OSError):       # overwriting keeps the file's mode, as open("w") would
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)          # atomic: readers see the old file or the new one
    except BaseException as e:
        with _ignoring(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _naming(e, given) from None
        raise
    with _ignoring(OSError):           # make the rename itself durable (POSIX)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _create_beside(path: str, folder: str) -> tuple:
    """(fd, name) of a new, empty ``.<name>.<random>.tmp`` file in folder.

    Opened with mode 0666 so that the umask applies, as to any file a program writes
    (``tempfile.mkstemp`` would force 0600). The user's name is shortened when needed so that
    the temporary name stays within the file system's limit on a name's length.
    """
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    base = os.path.basename(path)
    room = name_max - len(b"..01234567.tmp")
    while len(os.fsencode(base)) > room:
        base = base[:-1]
    for _ in range(100):
        tmp = os.path.join(folder, f".{base}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                           0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", path)


def _naming(error: OSError, path: str) -> OSError:
    """The same kind of OSError, naming the user's path instead of the temporary file."""
    if error.errno is None:
        return type(error)(f"{error} (saving {path!r})")
    try:
        return type(error)(error.errno, error.strerror, path)
    except TypeError:                  # an OSError subclass with another signature
        return OSError(error.errno, error.strerror, path)


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

# What a checkpoint may hold, bounded before anything is decompressed: the meta text is a few
# hundred characters for any real network; a .npy header is at most a few hundred bytes.
MAX_META_CHARS = 1_000_000
_MAX_HEADER = 10_000
_CHUNK = 1 << 20
# The most optimizer steps a checkpoint may record: every count below it is exact as a float64,
# so Adam's β ** steps never overflows converting it.
MAX_STEPS = 2 ** 53
# How each kind of archive member is compressed: np.savez stores, np.savez_compressed deflates;
# nothing else is read. bzip2 and lzma above all: numpy never writes them, and CPython's zipfile
# inflates their streams without an output limit before the first byte comes back (a 3 kB
# member can take 4 GB and 10 s), so they are refused from the zip directory, never opened.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_NAMED = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
_OPT_KEY = re.compile(r"([A-Za-z_]+)\.(0|[1-9][0-9]*)")   # as state_dict() writes them: m.0, v.12


def read(path) -> Checkpoint:
    """Read and check a checkpoint without building anything; CheckpointError if it is bad.

    Nothing large is read before it is known to fit: the zip directory, then the metadata,
    then every member's .npy header are checked (names, dtypes, shapes and sizes against the
    architecture) before any array data is decompressed, and no member is ever decompressed
    past the size its header declares. Any damage — a wrong kind of file, a corrupt or
    encrypted member, hostile metadata — is a CheckpointError naming ``path``.
    """
    where = f"checkpoint {os.fspath(path)!r}"
    with _open_regular(path, where) as f:
        _check_signature(f.read(6), where)
        f.seek(0)
        try:
            archive = zipfile.ZipFile(f)
        except Exception as e:         # noqa: BLE001 - any failure to parse is a bad archive
            raise CheckpointError(f"{where}: not a readable .npz archive, truncated or "
                                  f"corrupted ({type(e).__name__}: {e})") from None
        with archive:
            members = _members(archive, where)
            meta = _read_meta(archive, members.pop("meta", None), where)
            layers, activations, seed, opt_meta = _check_meta(meta, where)
            shapes = _expected_shapes(layers, members, opt_meta, where)
            headers = {name: _member_header(archive, members[name], name, where)
                       for name in shapes}
            for name, (dtype, shape, _, _) in headers.items():
                _check_header(name, dtype, shape, shapes[name], layers, where)
            _check_fits_in_memory(headers, layers, where)
            arrays = {name: _member_data(archive, members[name], headers[name], name, where)
                      for name in shapes}

    names = [f"{kind}{l}" for l in range(1, len(layers)) for kind in ("W", "b")]
    params = [arrays[n] for n in names]
    _check_params(params, layers, where, names)
    state = None
    if opt_meta is not None:
        state = dict(opt_meta)
        for key in sorted(k for k in arrays if k.startswith(_OPT_PREFIX)):
            state[key[len(_OPT_PREFIX):]] = arrays[key]
        _check_optimizer_arrays(state, where)
    return Checkpoint(layers, activations, meta["init"], seed, params, state)


def _open_regular(path, where: str):
    """path opened for reading if it is a regular file, else a CheckpointError saying what it
    is. Opened without blocking, so that a FIFO cannot hang the load waiting for a writer; a
    missing file stays a FileNotFoundError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise CheckpointError(f"{where}: is a folder, not a checkpoint file") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise CheckpointError(f"{where}: is {_kind(mode)}, not a checkpoint file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_signature(magic: bytes, where: str) -> None:
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


def _members(archive: zipfile.ZipFile, where: str) -> dict:
    """{array name: ZipInfo} from the zip directory alone: every member a .npy array, named
    once, not encrypted, compressed in a way zipfile reads."""
    members = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise CheckpointError(f"{where}: member {info.filename!r} is not a .npy array; a "
                                  "checkpoint holds only .npy arrays")
        name = info.filename[:-len(".npy")]
        if name in members:
            raise CheckpointError(f"{where}: member {info.filename!r} appears twice")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"{where}: array {name!r} is encrypted; a checkpoint is "
                                  "never encrypted")
        if info.compress_type not in _METHODS:
            method = info.compress_type
            named = f"{_NAMED[method]} (zip method {method})" if method in _NAMED else \
                f"zip method {method}"
            raise CheckpointError(f"{where}: array {name!r} is compressed with {named}, which "
                                  "np.savez never writes; refused before decompressing it "
                                  "(allowed: " + ", ".join(f"{n} ({m})" for m, n in
                                                           _METHODS.items()) + ")")
        members[name] = info
    return members


def _member_header(archive, info, name: str, where: str) -> tuple:
    """(dtype, shape, fortran_order, header length) of a member's .npy header, reading only
    the header's bytes."""
    try:
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(
                    f, max_header_size=_MAX_HEADER)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(
                    f, max_header_size=_MAX_HEADER)
            else:
                raise ValueError(f"unknown .npy format version {version}")
            return dtype, shape, fortran, f.tell()
    except Exception as e:             # noqa: BLE001 - whatever the damage, it is this member's
        raise CheckpointError(f"{where}: array {name!r} is truncated or corrupted "
                              f"({type(e).__name__}: {e})") from None


def _member_data(archive, info, header: tuple, name: str, where: str) -> np.ndarray:
    """The member's array, decompressing exactly the bytes its (checked) header declares."""
    dtype, shape, fortran, offset = header
    size = math.prod(shape) * dtype.itemsize
    if info.file_size != offset + size:
        raise CheckpointError(f"{where}: array {name!r} declares shape {shape} ({size:,} bytes) "
                              f"but its member holds {info.file_size - offset:,} bytes")
    # Decompressed straight into the array, a chunk at a time: one copy of the data in memory,
    # and time linear in its size (one read of it all would grow a bytes object step by step).
    array = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
    into = memoryview(array.reshape(-1).view(np.uint8))
    try:
        with archive.open(info) as f:
            f.read(offset)
            done = 0
            while done < size:
                chunk = f.read(min(_CHUNK, size - done))
                if not chunk:
                    raise EOFError(f"expected {size:,} bytes of data, got {done:,}")
                into[done:done + len(chunk)] = chunk
                done += len(chunk)
            if f.read(1):
                raise EOFError(f"more than the {size:,} bytes of data its header declares")
            # zipfile checks the CRC-32 as the last byte is read: damage surfaces here.
    except Exception as e:             # noqa: BLE001 - whatever the damage, it is this member's
        raise CheckpointError(f"{where}: array {name!r} is truncated or corrupted "
                              f"({type(e).__name__}: {e})") from None
    return np.ascontiguousarray(array.T) if fortran else array


def _read_meta(archive, info, where: str) -> dict:
    if info is None:
        raise CheckpointError(f"{where}: no 'meta' entry; not a microgradnn checkpoint")
    header = _member_header(archive, info, "meta", where)
    dtype, shape = header[0], header[1]
    if shape != () or dtype.kind != "U":
        raise CheckpointError(f"{where}: 'meta' must be a JSON string, got an array of dtype "
                              f"{dtype} and shape {shape}")
    if dtype.itemsize > 4 * MAX_META_CHARS:
        raise CheckpointError(f"{where}: 'meta' is {dtype.itemsize // 4:,} characters long; "
                              f"a checkpoint's meta is never more than {MAX_META_CHARS:,}")
    text = str(_member_data(archive, info, header, "meta", where)[()])
    try:
        info = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as e:   # JSONDecodeError, huge ints, deep nesting
        raise CheckpointError(f"{where}: 'meta' is not valid JSON ({type(e).__name__}: "
                              f"{str(e)[:200]})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a microgradnn checkpoint (format "
                              f"{info.get('format') if isinstance(info, dict) else None!r}, "
                              f"expected {FORMAT!r})")
    version = info.get("version")
    if version != VERSION or isinstance(version, bool):
        raise CheckpointError(f"{where}: unknown format version {version!r}; this microgradnn "
                              f"reads version {VERSION}")
    if info.get("model") != "MLP":
        raise CheckpointError(f"{where}: holds a model of kind {info.get('model')!r}, "
                              "expected 'MLP'")
    for key in ("layers", "activations", "init"):
        if key not in info:
            raise CheckpointError(f"{where}: 'meta' has no {key!r} entry")
    return info


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a checkpoint holds")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a float")
    return value


def _check_meta(meta: dict, where: str) -> tuple:
    """(layers, activations, seed, optimizer entry) of checked metadata."""
    try:
        layers, activations = check_architecture(meta["layers"], meta["activations"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{where}: invalid architecture: {e}") from None
    init = meta["init"]
    if not isinstance(init, str) or init not in INITS:
        raise CheckpointError(f"{where}: unknown init {init!r}; known: {', '.join(INITS)}")
    seed = meta.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise CheckpointError(f"{where}: the seed must be a non-negative integer or null, got "
                              f"{seed!r}")
    opt_meta = meta.get("optimizer")
    if opt_meta is not None:
        if not isinstance(opt_meta, dict):
            raise CheckpointError(f"{where}: the optimizer entry of meta is not an object")
        for key, value in opt_meta.items():
            if value is not None and not isinstance(value, (bool, int, float, str)):
                raise CheckpointError(f"{where}: optimizer state {key!r} must be a number or "
                                      f"a string, got {type(value).__name__}")
        steps = opt_meta.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, (int, float)) or steps < 0 \
                or steps != int(steps) or steps > MAX_STEPS:
            raise CheckpointError(f"{where}: optimizer steps must be a non-negative integer, "
                                  f"got {str(steps)[:40]} (a count, at most 2**53)")
    return layers, activations, seed, opt_meta


def _expected_shapes(layers: list, members: dict, opt_meta, where: str) -> dict:
    """{array name: the shape the architecture needs}, after checking that the archive holds
    exactly the parameters and, for each parameter, at most one array per optimizer slot."""
    shapes = {}
    for l in range(1, len(layers)):
        shapes[f"W{l}"], shapes[f"b{l}"] = (layers[l], layers[l - 1]), (layers[l],)
    param_shapes = list(shapes.values())
    missing = [n for n in shapes if n not in members]
    extra = []
    for name in members:
        if name in shapes:
            continue
        m = _OPT_KEY.fullmatch(name[len(_OPT_PREFIX):]) if name.startswith(_OPT_PREFIX) else None
        if m is not None and int(m.group(2)) < len(param_shapes):
            shapes[name] = param_shapes[int(m.group(2))]
        else:
            extra.append(name)
    if missing:
        raise CheckpointError(f"{where}: missing array(s) {_some(missing)} for the "
                              f"architecture {layers}")
    if extra:
        raise CheckpointError(f"{where}: unexpected array(s) {_some(sorted(extra))} for the "
                              f"architecture {layers}")
    opt_keys = sorted(n for n in shapes if n.startswith(_OPT_PREFIX))
    if opt_meta is None and opt_keys:
        raise CheckpointError(f"{where}: optimizer arrays {', '.join(opt_keys)} without the "
                              "optimizer entry in meta")
    return shapes


def _some(names: list, shown: int = 10) -> str:
    """The first names, and how many more: a hostile file may hold a million members."""
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(repr(n)[1:-1][:80] for n in names[:shown]) + more


def _check_header(name: str, dtype: np.dtype, shape: tuple, want: tuple, layers: list,
                  where: str) -> None:
    if dtype.hasobject:                 # numpy would unpickle it: never
        raise CheckpointError(f"{where}: array {name!r} holds pickled Python objects; refused "
                              "(allow_pickle=False: a checkpoint holds only numbers, and "
                              "unpickling can run code)")
    if dtype != np.float64:
        raise CheckpointError(f"{where}: {name} must be a float64 array, got {dtype}")
    if tuple(shape) != want:
        raise CheckpointError(f"{where}: {name} has shape {tuple(shape)}, the architecture "
                              f"{layers} needs {want}")


def machine_memory() -> Optional[int]:
    """This machine's memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_fits_in_memory(headers: dict, layers: list, where: str) -> None:
    """The arrays the (checked) headers declare, and the network built from them, fit in this
    machine's memory — decided before a byte of them is decompressed, so that a small file
    whose metadata declares a huge architecture is refused at once, not after minutes."""
    total = sum(math.prod(shape) * dtype.itemsize for dtype, shape, _, _ in headers.values())
    memory = machine_memory()
    if memory is not None and 2 * total > memory:
        raise CheckpointError(f"{where}: declares {total:,} bytes of arrays for the "
                              f"architecture {layers}; loading them (and building the network) "
                              f"needs about {2 * total:,} bytes, more than this machine's "
                              f"{memory:,}")


def _check_optimizer_arrays(state: dict, where: str) -> None:
    """Optimizer arrays are finite, and Adam's second moments (running means of g²) ≥ 0."""
    for key, value in state.items():
        if not isinstance(value, np.ndarray):
            continue
        bad = value.size - int(np.count_nonzero(np.isfinite(value)))
        if bad:
            raise CheckpointError(f"{where}: optimizer state {key} has {bad} NaN or inf "
                                  "value(s); refusing a diverged optimizer")
        if state.get("optimizer") == "adam" and key.startswith("v.") and (value < 0).any():
            raise CheckpointError(f"{where}: optimizer state {key} (Adam's running mean of g²) "
                                  "has negative values")


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


# The network's own spelling of these, net.save(path, optimizer) and MLP.load(path): attached
# here, by the part that saves, so that microgradnn.network never imports it.
MLP.save = save
MLP.load = staticmethod(load)
