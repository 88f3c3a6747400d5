"""Checkpoints: bit-identical round trips, exact resume, no pickles, atomic writes, clear errors."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from microgradnn import checkpoint
from microgradnn.checkpoint import CheckpointError
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam

DATA = np.random.default_rng(7).normal(size=(16, 3))
TARGET = np.random.default_rng(8).uniform(size=(16, 2))


def _net(seed=0, layers=(3, 5, 2), activations=("tanh", "sigmoid")):
    return MLP(list(layers), list(activations), seed=seed)


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
    net = _net(seed=1)
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
    net = _net(seed=2)
    opt = make_opt(net.parameters())
    _train(net, opt, 6)
    checkpoint.save(net, tmp_path / "run.npz", optimizer=opt)
    _train(net, opt, 7)                                   # the uninterrupted run

    resumed = _net(seed=99)                               # different weights before loading
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
    other = _net(seed=3)
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
        checkpoint.save(_net(seed=4), path)
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
    diverged = _net(seed=1)
    diverged.parameters()[0].data[0, 0] = np.nan
    with pytest.raises(CheckpointError, match="W1 has 1 NaN"):
        checkpoint.save(diverged, path)
    assert _same_arrays(_weights(checkpoint.load(path)), _weights(net))


# --- load_into: all or nothing ---

def test_load_into_a_network_of_another_architecture_is_refused_and_changes_nothing(saved):
    _, _, path = saved
    other = _net(layers=(3, 4, 2))
    before = _weights(other)
    with pytest.raises(CheckpointError, match=r"holds layers \[3, 5, 2\].*the network has "
                                              r"layers \[3, 4, 2\]"):
        checkpoint.load_into(other, path)
    assert _same_arrays(_weights(other), before)


def test_load_into_with_a_mismatched_optimizer_changes_neither_network_nor_optimizer(saved):
    _, _, path = saved                                    # saved with Adam
    net = _net(seed=42)
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
    net = _net()
    checkpoint.save(net, tmp_path / "bare.npz")
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        checkpoint.load_into(_net(seed=5), tmp_path / "bare.npz",
                             optimizer=Adam(_net().parameters()))


def test_a_failed_load_into_leaves_the_network_untouched_for_each_bad_file(saved, tmp_path):
    _, _, path = saved
    bad = tmp_path / "bad.npz"
    _rewrite(path, bad, lambda a: a["W2"].__setitem__((0, 0), np.nan))
    net = _net(seed=11)
    before = _weights(net)
    with pytest.raises(CheckpointError):
        checkpoint.load_into(net, bad)
    assert _same_arrays(_weights(net), before)
