"""Checkpoints: bit-identical round trips, exact resume, no pickles, atomic writes, clear errors."""
import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from microgradnn import checkpoint
from microgradnn.checkpoint import CheckpointError
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam

from helpers import mlp

LAYERS = (3, 5, 2)                 # the network most tests save
DATA = np.random.default_rng(7).normal(size=(16, 3))
TARGET = np.random.default_rng(8).uniform(size=(16, 2))


def _train(net, opt, steps):
    for i in range(steps):
        opt.zero_grad()
        rows = slice(4 * (i % 4), 4 * (i % 4) + 4)       # a fixed sequence of mini-batches
        ((net(DATA[rows]) - TARGET[rows]) ** 2).mean().backward()
        opt.step()


def _weights(net):
    return [p.data.copy() for p in net.parameters()]


def _same_arrays(xs, ys):
    return len(xs) == len(ys) and all(x.shape == y.shape and np.array_equal(x, y)
                                      for x, y in zip(xs, ys))


def _contents(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _rewrite(src, dst, change):
    """Write to dst a copy of checkpoint src whose arrays went through change(dict)."""
    arrays = _contents(src)
    change(arrays)
    with open(dst, "wb") as f:
        np.savez(f, **arrays)


def _rewrite_meta(src, dst, change):
    def edit(arrays):
        meta = json.loads(str(arrays["meta"]))
        change(meta)
        arrays["meta"] = np.array(json.dumps(meta))
    _rewrite(src, dst, edit)


@pytest.fixture
def saved(tmp_path):
    """A trained network with its Adam optimizer, saved to tmp_path/net.npz."""
    net = mlp(LAYERS, seed=1)
    opt = Adam(net.parameters(), lr=0.05)
    _train(net, opt, 5)
    path = tmp_path / "net.npz"
    checkpoint.save(net, path, optimizer=opt)
    return net, opt, path


# --- round trips ---

def test_load_returns_the_same_architecture_and_bit_identical_weights(saved):
    net, _, path = saved
    back = checkpoint.load(path)
    assert (back.layers, back.activations, back.init) == (net.layers, net.activations, net.init)
    assert _same_arrays(_weights(back), _weights(net))


def test_mlp_save_and_load_methods_delegate_to_the_checkpoint_module(tmp_path):
    net = MLP([2, 4, 3], ["relu", "softmax"], seed=5, init="he")
    net.save(tmp_path / "m.npz")
    back = MLP.load(tmp_path / "m.npz")
    assert back.init == "he" and _same_arrays(_weights(back), _weights(net))
    np.testing.assert_array_equal(back(DATA[:, :2]).data, net(DATA[:, :2]).data)


def test_optimizer_state_round_trips_bit_identically(saved):
    _, opt, path = saved
    state = checkpoint.read(path).optimizer_state
    original = opt.state_dict()
    assert state.keys() == original.keys()
    for key, value in original.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(state[key], value) and state[key].dtype == value.dtype
        else:
            assert state[key] == value and type(state[key]) is type(value)


@pytest.mark.parametrize("make_opt", [lambda ps: Adam(ps, lr=0.05),
                                      lambda ps: SGD(ps, lr=0.1, momentum=0.9)],
                         ids=["adam", "sgd-momentum"])
def test_training_resumed_from_a_checkpoint_follows_the_uninterrupted_run_exactly(
        tmp_path, make_opt):
    net = mlp(LAYERS, seed=2)
    opt = make_opt(net.parameters())
    _train(net, opt, 6)
    checkpoint.save(net, tmp_path / "run.npz", optimizer=opt)
    _train(net, opt, 7)                                   # the uninterrupted run

    resumed = mlp(LAYERS, seed=99)                        # different weights before loading
    resumed_opt = make_opt(resumed.parameters())
    checkpoint.load_into(resumed, tmp_path / "run.npz", optimizer=resumed_opt)
    _train(resumed, resumed_opt, 7)
    assert _same_arrays(_weights(resumed), _weights(net))


# --- no pickles, ever ---

class _Exploit:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_an_archive_with_a_pickled_object_array_is_refused_without_running_it(saved, tmp_path):
    _, _, path = saved
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.npz"
    _rewrite(path, evil, lambda a: a.__setitem__("W1", np.array([_Exploit(str(marker))],
                                                                dtype=object)))
    with pytest.raises(CheckpointError, match="W1.*pickled Python objects.*refused"):
        checkpoint.load(evil)
    assert not marker.exists()


def test_a_plain_pickle_file_is_refused_without_running_it(tmp_path):
    import pickle
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(CheckpointError, match="a pickle file, which holds Python objects; refused"):
        checkpoint.load(evil)
    assert not marker.exists()


# --- atomic writes: an interrupted save leaves the previous checkpoint loadable ---

def _assert_still_the_old_checkpoint(path, net):
    assert _same_arrays(_weights(checkpoint.load(path)), _weights(net))
    leftovers = [f for f in os.listdir(os.path.dirname(path)) if f.endswith(".tmp")]
    return leftovers


def test_a_write_failing_midway_leaves_the_previous_checkpoint_and_no_temporary_file(
        saved, monkeypatch):
    net, opt, path = saved
    other = mlp(LAYERS, seed=3)
    calls = []
    real = np.lib.format.write_array

    def failing(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(fp, array, *args, **kwargs)
    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save(other, path)
    assert len(calls) == 3
    monkeypatch.undo()
    assert _assert_still_the_old_checkpoint(path, net) == []


def test_a_failing_rename_leaves_the_previous_checkpoint(saved, monkeypatch):
    net, _, path = saved

    def refuse(src, dst):
        raise PermissionError("rename refused")
    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        checkpoint.save(mlp(LAYERS, seed=4), path)
    monkeypatch.undo()
    assert _assert_still_the_old_checkpoint(path, net) == []


_CHILD = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    from microgradnn import checkpoint
    from microgradnn.nn import MLP
    stop_after = int(sys.argv[2])
    real, count = np.lib.format.write_array, [0]
    def slow(fp, array, *args, **kwargs):
        real(fp, array, *args, **kwargs)
        count[0] += 1
        if count[0] == stop_after:          # part of the archive is on disk: get killed here
            print("writing", flush=True)
            time.sleep(60)
    np.lib.format.write_array = slow
    real_fsync = os.fsync
    def slow_fsync(fd):
        if stop_after == 0:                 # everything written, nothing renamed yet
            print("writing", flush=True)
            time.sleep(60)
        real_fsync(fd)
    os.fsync = slow_fsync
    checkpoint.save(MLP([3, 5, 2], ["tanh", "sigmoid"], seed=123), sys.argv[1])
    print("finished", flush=True)
""")


@pytest.mark.parametrize("stop_after", [1, 3, 0], ids=["after-1-array", "after-3-arrays",
                                                       "before-fsync"])
def test_a_save_killed_mid_write_leaves_the_previous_checkpoint_loadable(saved, stop_after):
    net, _, path = saved
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(stop_after)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    leftovers = _assert_still_the_old_checkpoint(path, net)
    assert len(leftovers) == 1 and leftovers[0].startswith(".net.npz.")   # the dead write


# --- each corruption gets its own clear error ---

def test_a_truncated_file_is_refused(saved, tmp_path):
    _, _, path = saved
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        checkpoint.load(cut)


def test_flipped_bytes_inside_an_array_are_caught_by_the_checksum(saved, tmp_path):
    _, _, path = saved
    raw = bytearray(path.read_bytes())
    at = raw.index(b"W1.npy") + 200        # inside W1's data (the header is shorter than that)
    raw[at] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="'W1' is truncated or corrupted.*CRC"):
        checkpoint.load(bad)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_text("definitely not a checkpoint\n")
    with pytest.raises(CheckpointError, match="not a readable .npz archive"):
        checkpoint.load(junk)


def test_a_single_npy_array_is_refused(tmp_path):
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(CheckpointError, match="single .npy array"):
        checkpoint.load(single)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoint.load(tmp_path / "nowhere.npz")


def test_an_archive_without_meta_is_not_a_checkpoint(saved, tmp_path):
    _rewrite(saved[2], tmp_path / "x.npz", lambda a: a.pop("meta"))
    with pytest.raises(CheckpointError, match="no 'meta' entry"):
        checkpoint.load(tmp_path / "x.npz")


def test_meta_that_is_not_json_is_refused(saved, tmp_path):
    _rewrite(saved[2], tmp_path / "x.npz", lambda a: a.__setitem__("meta", np.array("{oops")))
    with pytest.raises(CheckpointError, match="'meta' is not valid JSON"):
        checkpoint.load(tmp_path / "x.npz")


def test_an_unknown_format_version_is_refused(saved, tmp_path):
    _rewrite_meta(saved[2], tmp_path / "x.npz", lambda m: m.__setitem__("version", 7))
    with pytest.raises(CheckpointError, match="unknown format version 7; this microgradnn "
                                              "reads version 1"):
        checkpoint.load(tmp_path / "x.npz")


def test_an_invalid_architecture_in_meta_is_refused(saved, tmp_path):
    _rewrite_meta(saved[2], tmp_path / "x.npz",
                  lambda m: m.__setitem__("activations", ["swish", "sigmoid"]))
    with pytest.raises(CheckpointError, match="invalid architecture: unknown activation 'swish'"):
        checkpoint.load(tmp_path / "x.npz")


def test_a_missing_array_is_named(saved, tmp_path):
    _rewrite(saved[2], tmp_path / "x.npz", lambda a: a.pop("b2"))
    with pytest.raises(CheckpointError, match=r"missing array\(s\) b2 for the architecture"):
        checkpoint.load(tmp_path / "x.npz")


def test_an_unexpected_array_is_named(saved, tmp_path):
    _rewrite(saved[2], tmp_path / "x.npz", lambda a: a.__setitem__("W3", np.zeros((2, 2))))
    with pytest.raises(CheckpointError, match=r"unexpected array\(s\) W3"):
        checkpoint.load(tmp_path / "x.npz")


def test_a_weight_of_the_wrong_shape_is_named_with_both_shapes(saved, tmp_path):
    _rewrite(saved[2], tmp_path / "x.npz", lambda a: a.__setitem__("W2", np.zeros((5, 2))))
    with pytest.raises(CheckpointError, match=r"W2 has shape \(5, 2\), the architecture "
                                              r"\[3, 5, 2\] needs \(2, 5\)"):
        checkpoint.load(tmp_path / "x.npz")


def test_weights_of_another_dtype_are_refused(saved, tmp_path):
    _rewrite(saved[2], tmp_path / "x.npz",
             lambda a: a.__setitem__("b1", a["b1"].astype(np.float32)))
    with pytest.raises(CheckpointError, match="b1 must be a float64 array, got float32"):
        checkpoint.load(tmp_path / "x.npz")


def test_nan_weights_are_refused(saved, tmp_path):
    def poison(arrays):
        arrays["W1"][0, 0] = np.nan
        arrays["b2"][1] = np.inf
    _rewrite(saved[2], tmp_path / "x.npz", poison)
    with pytest.raises(CheckpointError, match=r"W1 has 1 NaN or inf value\(s\)"):
        checkpoint.load(tmp_path / "x.npz")


def test_saving_nan_weights_is_refused_and_keeps_the_good_checkpoint(saved):
    net, _, path = saved
    diverged = mlp(LAYERS, seed=1)
    diverged.parameters()[0].data[0, 0] = np.nan
    with pytest.raises(CheckpointError, match="W1 has 1 NaN"):
        checkpoint.save(diverged, path)
    assert _same_arrays(_weights(checkpoint.load(path)), _weights(net))


# --- load_into: all or nothing ---

def test_load_into_a_network_of_another_architecture_is_refused_and_changes_nothing(saved):
    _, _, path = saved
    other = mlp((3, 4, 2))
    before = _weights(other)
    with pytest.raises(CheckpointError, match=r"holds layers \[3, 5, 2\].*the network has "
                                              r"layers \[3, 4, 2\]"):
        checkpoint.load_into(other, path)
    assert _same_arrays(_weights(other), before)


def test_load_into_with_a_mismatched_optimizer_changes_neither_network_nor_optimizer(saved):
    _, _, path = saved                                    # saved with Adam
    net = mlp(LAYERS, seed=42)
    opt = SGD(net.parameters(), lr=0.3, momentum=0.5)
    _train(net, opt, 2)
    weights, state = _weights(net), opt.state_dict()
    with pytest.raises(CheckpointError, match="optimizer state does not fit.*'adam'"):
        checkpoint.load_into(net, path, optimizer=opt)
    assert _same_arrays(_weights(net), weights)
    after = opt.state_dict()
    assert after["lr"] == state["lr"] and after["steps"] == state["steps"]
    assert np.array_equal(after["velocity.0"], state["velocity.0"])


def test_load_into_with_an_optimizer_from_a_file_without_one_is_refused(tmp_path):
    net = mlp(LAYERS)
    checkpoint.save(net, tmp_path / "bare.npz")
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        checkpoint.load_into(mlp(LAYERS, seed=5), tmp_path / "bare.npz",
                             optimizer=Adam(mlp(LAYERS).parameters()))


def test_a_failed_load_into_leaves_the_network_untouched_for_each_bad_file(saved, tmp_path):
    _, _, path = saved
    bad = tmp_path / "bad.npz"
    _rewrite(path, bad, lambda a: a["W2"].__setitem__((0, 0), np.nan))
    net = mlp(LAYERS, seed=11)
    before = _weights(net)
    with pytest.raises(CheckpointError):
        checkpoint.load_into(net, bad)
    assert _same_arrays(_weights(net), before)


# --- a hostile file is always a CheckpointError, found before anything large is read ---
#
# The files below are built byte by byte (zipfile, struct, zlib), as an attacker would: each
# one must be refused with a CheckpointError that names the file, never another exception.

def _members(path):
    """[(name, raw .npy bytes)] of a saved checkpoint, in archive order."""
    with zipfile.ZipFile(path) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def _raw_zip(path, members):
    """Write a zip archive from (name, method, payload, crc, size, flags) tuples, payload as
    stored in the file (already compressed for method 8), so sizes and flags can lie."""
    body, central = bytearray(), bytearray()
    for name, method, payload, crc, size, flags in members:
        encoded, offset = name.encode(), len(body)
        body += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, flags, method, 0, 0, crc,
                            len(payload), size, len(encoded), 0) + encoded + payload
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, flags, method, 0, 0, crc,
                               len(payload), size, len(encoded), 0, 0, 0, 0, 0,
                               offset) + encoded
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))


def _stored(name, payload):
    return name, zipfile.ZIP_STORED, payload, zlib.crc32(payload), len(payload), 0


def _npy_header(shape, dtype="<f8"):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def _deflated_zeros(prefix: bytes, megabytes: int) -> bytes:
    """A raw deflate stream of prefix + megabytes MiB of zeros, made without compressing them:
    after a full flush the compressor starts afresh, so each MiB deflates to the same ~1 kB."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(1 << 20)
    one = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH) == one
    return head + one * megabytes + c.flush()


def _refused_quickly(path, match):
    """load(path) raises CheckpointError(match), naming path, while allocating little."""
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match) as caught:
            checkpoint.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value)
    assert peak < 20 * 2 ** 20, f"{peak / 2 ** 20:.0f} MiB allocated to refuse {path.name}"


@pytest.mark.parametrize("junk_name", ["junk.npy", "W1.npy"])
def test_a_small_file_with_a_deflated_2gb_member_is_refused_before_decompressing_it(
        saved, tmp_path, junk_name):
    # ~2 MB on disk, 2 GiB once inflated: as an unexpected array, and as a parameter whose
    # header fits the architecture but whose member is 2 GiB long.
    _, _, path = saved
    members = [_stored(n, p) for n, p in _members(path) if n != junk_name]
    header = _npy_header((2 ** 28,) if junk_name == "junk.npy" else (5, 3))
    bomb = _deflated_zeros(header, 2048)
    # The CRC is left 0: checking it needs the whole 2 GiB, which the reader must never inflate.
    members.append((junk_name, zipfile.ZIP_DEFLATED, bomb, 0, len(header) + 2 ** 31, 0))
    bad = tmp_path / "bomb.npz"
    _raw_zip(bad, members)
    assert bad.stat().st_size < 3 * 2 ** 20
    _refused_quickly(bad, "unexpected array.*junk" if junk_name == "junk.npy"
                     else r"'W1' declares shape \(5, 3\) \(120 bytes\) but its member holds "
                          "2,147,483,648 bytes")


def test_a_member_inflating_past_its_declared_size_is_never_read_past_it(saved, tmp_path):
    # The directory says W1 is 128 + 120 bytes; the deflate stream goes on for 1 GiB.
    _, _, path = saved
    members = [_stored(n, p) for n, p in _members(path) if n != "W1.npy"]
    header = _npy_header((5, 3))
    members.append(("W1.npy", zipfile.ZIP_DEFLATED, _deflated_zeros(header, 1024), 0,
                    len(header) + 120, 0))
    bad = tmp_path / "long.npz"
    _raw_zip(bad, members)
    _refused_quickly(bad, "'W1' is truncated or corrupted.*CRC")


def test_a_header_declaring_a_huge_shape_is_refused_without_allocating_it(saved, tmp_path):
    _, _, path = saved
    members = [_stored(n, p) for n, p in _members(path) if n != "b1.npy"]
    members.append(_stored("b1.npy", _npy_header((10 ** 12,)) + bytes(40)))
    bad = tmp_path / "huge.npz"
    _raw_zip(bad, members)
    _refused_quickly(bad, r"b1 has shape \(1000000000000,\), the architecture \[3, 5, 2\] "
                          r"needs \(5,\)")


def test_a_member_that_is_not_a_npy_array_is_refused(saved, tmp_path):
    _, _, path = saved
    members = [_stored(n, p) for n, p in _members(path)] + [_stored("README.txt", b"hello")]
    bad = tmp_path / "extra.npz"
    _raw_zip(bad, members)
    _refused_quickly(bad, "member 'README.txt' is not a .npy array")


def test_an_encrypted_member_is_refused(saved, tmp_path):
    _, _, path = saved
    members = [(n, m, p, c, s, 0x1 if n == "W2.npy" else f)
               for n, m, p, c, s, f in (_stored(n, p) for n, p in _members(path))]
    bad = tmp_path / "encrypted.npz"
    _raw_zip(bad, members)
    _refused_quickly(bad, "array 'W2' is encrypted")


def test_a_member_named_twice_is_refused(saved, tmp_path):
    _, _, path = saved
    members = [_stored(n, p) for n, p in _members(path)]
    bad = tmp_path / "twice.npz"
    _raw_zip(bad, members + [m for m in members if m[0] == "b2.npy"])
    _refused_quickly(bad, "member 'b2.npy' appears twice")


def _recompressed(src, dst, method):
    with zipfile.ZipFile(dst, "w", compression=method) as out:
        for name, payload in _members(src):
            out.writestr(name, payload)


def test_a_deflated_checkpoint_loads_and_a_corrupt_deflated_member_is_refused(saved, tmp_path):
    net, _, path = saved
    good = tmp_path / "packed.npz"
    _recompressed(path, good, zipfile.ZIP_DEFLATED)
    assert _same_arrays(_weights(checkpoint.load(good)), _weights(net))
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("optimizer.m.1.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for at in range(start + 2, start + info.compress_size - 2, 3):   # damage the whole stream
        raw[at] ^= 0x5A
    bad = tmp_path / "damaged.npz"
    bad.write_bytes(bytes(raw))
    _refused_quickly(bad, "array 'optimizer.m.1' is truncated or corrupted")


def _with_meta_text(src, dst, text):
    members = [_stored(n, p) for n, p in _members(src) if n != "meta.npy"]
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array(text), allow_pickle=False)
    _raw_zip(dst, members + [_stored("meta.npy", buf.getvalue())])


def test_meta_nested_100000_deep_is_refused(saved, tmp_path):
    bad = tmp_path / "deep.npz"
    _with_meta_text(saved[2], bad, '{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _refused_quickly(bad, "'meta' is not valid JSON")


def test_meta_longer_than_any_real_meta_is_refused_from_its_header(saved, tmp_path):
    members = [_stored(n, p) for n, p in _members(saved[2]) if n != "meta.npy"]
    chars = checkpoint.MAX_META_CHARS + 1
    members.append(("meta.npy", zipfile.ZIP_DEFLATED,
                    _deflated_zeros(_npy_header((), f"<U{chars}"), 4), 0, 128 + 4 * chars, 0))
    bad = tmp_path / "long-meta.npz"
    _raw_zip(bad, members)
    _refused_quickly(bad, "'meta' is 1,000,001 characters long")


@pytest.mark.parametrize("steps", [float("inf"), float("nan"), -1, 2.5, True, "3"])
def test_optimizer_steps_that_are_not_a_count_are_refused(saved, tmp_path, steps):
    bad = tmp_path / "steps.npz"
    _rewrite_meta(saved[2], bad, lambda m: m["optimizer"].__setitem__("steps", steps))
    with pytest.raises(CheckpointError, match=str(bad)):
        checkpoint.read(bad)
    net = mlp(LAYERS)
    opt = Adam(net.parameters())
    with pytest.raises(CheckpointError):
        checkpoint.load_into(net, bad, optimizer=opt)
    assert opt.steps == 0


def test_a_float_too_large_for_a_double_in_meta_is_refused(saved, tmp_path):
    bad = tmp_path / "big.npz"
    text = json.dumps(json.loads(str(_contents(saved[2])["meta"])))
    _with_meta_text(saved[2], bad, text.replace('"lr": 0.05', '"lr": 1e400'))
    _refused_quickly(bad, "'meta' is not valid JSON.*1e400 overflows")


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, True, [1]])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused(saved, tmp_path, seed):
    bad = tmp_path / "seed.npz"
    _rewrite_meta(saved[2], bad, lambda m: m.__setitem__("seed", seed))
    with pytest.raises(CheckpointError, match="the seed must be a non-negative integer"):
        checkpoint.load(bad)


@pytest.mark.parametrize("key, value, match", [
    ("optimizer.m.0", np.nan, r"optimizer state m.0 has 1 NaN or inf"),
    ("optimizer.v.3", np.inf, r"optimizer state v.3 has 1 NaN or inf"),
    ("optimizer.v.1", -1e-3, r"optimizer state v.1 \(Adam's running mean of g²\) has negative"),
])
def test_non_finite_or_negative_optimizer_state_is_refused_like_non_finite_weights(
        saved, tmp_path, key, value, match):
    bad = tmp_path / "state.npz"
    _rewrite(saved[2], bad, lambda a: a[key].reshape(-1).__setitem__(0, value))
    net = mlp(LAYERS, seed=11)
    opt = Adam(net.parameters())
    before, state = _weights(net), opt.state_dict()
    with pytest.raises(CheckpointError, match=match):
        checkpoint.load_into(net, bad, optimizer=opt)
    assert _same_arrays(_weights(net), before) and opt.steps == state["steps"]


def test_a_negative_first_moment_is_fine(saved, tmp_path):
    ok = tmp_path / "m.npz"
    _rewrite(saved[2], ok, lambda a: a["optimizer.m.0"].reshape(-1).__setitem__(0, -5.0))
    assert checkpoint.read(ok).optimizer_state["m.0"].reshape(-1)[0] == -5.0


# --- the file written: a long legal name, the user's path in every error, the umask ---

def test_a_file_name_of_250_characters_saves_and_loads(tmp_path):
    net = mlp(LAYERS, seed=6)
    path = tmp_path / ("n" * 246 + ".npz")
    checkpoint.save(net, path)
    assert _same_arrays(_weights(checkpoint.load(path)), _weights(net))
    assert os.listdir(tmp_path) == [path.name]


def test_a_save_into_a_missing_folder_names_the_path_not_a_temporary_file(tmp_path):
    path = tmp_path / "missing" / "m.npz"
    with pytest.raises(FileNotFoundError) as caught:
        checkpoint.save(mlp(LAYERS), path)
    assert caught.value.filename == str(path) and ".tmp" not in str(caught.value)


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_an_os_error_while_saving_names_the_path_not_the_temporary_file(tmp_path, monkeypatch,
                                                                       failing):
    path = tmp_path / "m.npz"

    def broken(*args):
        raise OSError(5, "Input/output error", str(tmp_path / ".m.npz.0000.tmp"))
    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(OSError, match="Input/output error") as caught:
        checkpoint.save(mlp(LAYERS), path)
    monkeypatch.undo()
    assert caught.value.filename == str(path) and ".tmp" not in str(caught.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_checkpoint_is_created_with_the_mode_the_umask_gives_any_new_file(tmp_path, umask,
                                                                             mode):
    old = os.umask(umask)
    try:
        checkpoint.save(mlp(LAYERS), tmp_path / "m.npz")
        with open(tmp_path / "plain", "wb"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "plain").st_mode) == mode


def test_overwriting_a_checkpoint_keeps_its_mode(tmp_path):
    path = tmp_path / "m.npz"
    checkpoint.save(mlp(LAYERS), path)
    os.chmod(path, 0o640)
    checkpoint.save(mlp(LAYERS, seed=2), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_saving_a_non_finite_optimizer_state_is_refused_and_keeps_the_good_checkpoint(saved):
    net, opt, path = saved
    opt.state["v"][0][0, 0] = np.inf
    with pytest.raises(CheckpointError, match=r"save .*optimizer state v.0 has 1 NaN or inf"):
        checkpoint.save(net, path, optimizer=opt)
    assert checkpoint.read(path).optimizer_state["v.0"][0, 0] != np.inf


# --- a path that is not a regular file, names save() never writes, step counts no run reaches,
# --- more memory declared than the machine has, saving through a link ---------------------

posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and symlinks are POSIX")


def _with_adam(tmp_path):
    net = mlp((3, 4, 2))
    opt = Adam(net.parameters(), lr=0.01)
    net(np.ones((2, 3)))
    ((net(np.ones((2, 3))) - 1.0) ** 2).mean().backward()
    opt.step()
    path = tmp_path / "run.npz"
    checkpoint.save(net, path, optimizer=opt)
    return net, opt, path


def _set_steps(value):
    def change(arrays):
        meta = json.loads(str(arrays["meta"][()]))
        meta["optimizer"]["steps"] = value
        arrays["meta"] = np.array(json.dumps(meta))
    return change


# --- a path that is not a regular file ------------------------------------------------------

@posix
def test_loading_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    caught = []
    reader = threading.Thread(target=lambda: caught.append(_error(checkpoint.load, fifo)),
                              daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():                      # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("loading a FIFO blocked waiting for a writer")
    assert isinstance(caught[0], CheckpointError) and "FIFO" in str(caught[0])


def _error(load, path):
    try:
        load(path)
    except Exception as e:                     # noqa: BLE001 - the test looks at it
        return e
    return None


def test_loading_a_folder_is_a_checkpoint_error_naming_it(tmp_path):
    with pytest.raises(CheckpointError, match=r"is a folder, not a checkpoint file"):
        checkpoint.load(tmp_path)


@posix
@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_loading_a_device_is_a_checkpoint_error_naming_it():
    with pytest.raises(CheckpointError, match=r"'/dev/null': is a device"):
        checkpoint.load("/dev/null")


def test_a_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoint.load(tmp_path / "nothing-here.npz")


# --- member names that save() never writes -------------------------------------------------

@pytest.mark.parametrize("name", ["optimizer.m.01", "optimizer.v.00", "optimizer.m.\u0661"])
def test_an_optimizer_array_with_a_non_canonical_index_is_refused(tmp_path, name):
    _, _, path = _with_adam(tmp_path)
    bad = tmp_path / "bad.npz"
    _rewrite(path, bad, lambda a: a.__setitem__(name, a["optimizer.m.1"]))
    with pytest.raises(CheckpointError, match="unexpected array"):
        checkpoint.read(bad)


# --- an optimizer step count no run reaches ---------------------------------------------------

@pytest.mark.parametrize("steps", [10 ** 400, 1e300, 2 ** 53 + 2], ids=["10**400", "1e300", "2**53+2"])
def test_a_step_count_beyond_2_to_the_53_is_refused_before_it_can_overflow_adam(tmp_path, steps):
    net, _, path = _with_adam(tmp_path)
    bad = tmp_path / "steps.npz"
    _rewrite(path, bad, _set_steps(steps))
    fresh = mlp((3, 4, 2), seed=3)
    opt = Adam(fresh.parameters(), lr=0.5)
    before = [p.data.copy() for p in fresh.parameters()]
    with pytest.raises(CheckpointError, match="optimizer steps must be a non-negative integer"):
        checkpoint.load_into(fresh, bad, optimizer=opt)
    assert opt.steps == 0 and opt.lr == 0.5
    assert all(np.array_equal(p.data, b) for p, b in zip(fresh.parameters(), before))


@pytest.mark.parametrize("steps", [10 ** 400, float("inf"), float("nan"), 2 ** 53 + 2, None],
                         ids=["10**400", "inf", "nan", "2**53+2", "None"])
def test_an_optimizer_refuses_a_state_whose_step_count_is_not_a_count(steps):
    opt = SGD(mlp((3, 4, 2)).parameters(), lr=0.1)
    state = opt.state_dict()
    state["steps"] = steps
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        opt.load_state_dict(state)
    assert opt.steps == 0


def test_a_resumed_run_with_a_large_but_real_step_count_still_steps(tmp_path):
    net, _, path = _with_adam(tmp_path)
    ok = tmp_path / "ok.npz"
    _rewrite(path, ok, _set_steps(2 ** 53))
    fresh = mlp((3, 4, 2))
    opt = Adam(fresh.parameters(), lr=0.01)
    checkpoint.load_into(fresh, ok, optimizer=opt)
    ((fresh(np.ones((2, 3))) - 1.0) ** 2).mean().backward()
    opt.step()
    assert all(np.isfinite(p.data).all() for p in fresh.parameters())


# --- more memory declared than the machine has ------------------------------------------------

def test_arrays_larger_than_the_machine_are_refused_before_any_is_decompressed(tmp_path,
                                                                                monkeypatch):
    net = mlp((3, 4, 2))
    path = tmp_path / "m.npz"
    checkpoint.save(net, path)
    size = sum(p.data.nbytes for p in net.parameters())
    monkeypatch.setattr(checkpoint, "machine_memory", lambda: size)    # needs 2× to load

    read_meta = checkpoint._member_data

    def only_meta(archive, info, header, name, where):       # the metadata is read first
        assert name == "meta", f"array {name} was decompressed"
        return read_meta(archive, info, header, name, where)
    monkeypatch.setattr(checkpoint, "_member_data", only_meta)
    with pytest.raises(CheckpointError, match=rf"declares {size:,} bytes of arrays for the "
                                              r"architecture \[3, 4, 2\].*more than this "
                                              "machine's"):
        checkpoint.load(path)


def test_a_fortran_ordered_array_loads_with_the_same_values(tmp_path):
    net = mlp((3, 4, 2))
    path, other = tmp_path / "m.npz", tmp_path / "f.npz"
    checkpoint.save(net, path)
    _rewrite(path, other, lambda a: a.__setitem__("W1", np.asfortranarray(a["W1"])))
    back = checkpoint.load(other)
    assert np.array_equal(back.weights[0].data, net.weights[0].data)
    assert back.weights[0].data.flags.c_contiguous and back.weights[0].data.flags.writeable


# --- saving through a symbolic link ----------------------------------------------------------

@posix
def test_saving_through_a_symlink_replaces_the_file_it_points_to_and_keeps_the_link(tmp_path):
    target = tmp_path / "models" / "current.npz"
    target.parent.mkdir()
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    first, second = mlp((3, 4, 2), seed=1), mlp((3, 4, 2), seed=2)
    checkpoint.save(first, link)
    checkpoint.save(second, link)                 # overwrite: still through the link
    assert link.is_symlink() and os.readlink(link) == str(target)
    back = checkpoint.load(target)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(back.parameters(),
                                                              second.parameters()))
    assert not [p for p in tmp_path.rglob("*.tmp")]


@posix
def test_a_link_into_a_missing_folder_is_an_error_naming_the_link(tmp_path):
    link = tmp_path / "dangling.npz"
    link.symlink_to(tmp_path / "no" / "such" / "m.npz")
    with pytest.raises(FileNotFoundError) as caught:
        checkpoint.save(mlp((3, 4, 2)), link)
    assert caught.value.filename == str(link) and ".tmp" not in str(caught.value)


# --- odd names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["é" * 125 + ".npz", "日" * 83 + ".npz", "a" * 251 + ".npz"],
                         ids=["254-byte accented", "253-byte CJK", "255-byte ascii"])
def test_a_legal_non_ascii_or_255_byte_name_saves_and_loads(tmp_path, name):
    net = mlp((3, 4, 2))
    checkpoint.save(net, tmp_path / name)
    back = checkpoint.load(tmp_path / name)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(back.parameters(), net.parameters()))
    assert os.listdir(tmp_path) == [name]          # no temporary file left behind


def test_a_path_given_as_bytes_saves_like_a_str(tmp_path):
    net = mlp((3, 4, 2))
    path = os.fsencode(tmp_path / "bytes.npz")
    checkpoint.save(net, path)
    assert checkpoint.load(path).layers == [3, 4, 2]


def test_an_archive_of_many_unexpected_members_gets_a_short_message(tmp_path):
    import zipfile
    path = tmp_path / "m.npz"
    checkpoint.save(mlp((3, 4, 2)), path)
    with zipfile.ZipFile(path, "a") as z:
        for i in range(5000):
            z.writestr(f"junk{i:05d}.npy", b"")
    with pytest.raises(CheckpointError, match=r"unexpected array\(s\) junk00000, .*junk00009 "
                                              r"and 4,990 more for the architecture") as caught:
        checkpoint.read(path)
    assert len(str(caught.value)) < 500
