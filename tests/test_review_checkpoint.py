"""Checkpoints under attack, other cases than the issue's repros (review of issue 10 §4).

A path that is not a regular file, a member name save() never writes, an optimizer step count
no run reaches, metadata declaring more memory than the machine has, a save through a
symbolic link: each is a CheckpointError (or a correct save) at once, never a hang, a later
crash, or a cut link.
"""
import json
import os
import threading

import numpy as np
import pytest

from microgradnn import checkpoint
from microgradnn.checkpoint import CheckpointError
from microgradnn.nn import MLP
from microgradnn.optim import SGD, Adam

posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and symlinks are POSIX")


def _net(seed=0):
    return MLP([3, 4, 2], ["tanh", "sigmoid"], seed=seed)


def _with_adam(tmp_path):
    net = _net()
    opt = Adam(net.parameters(), lr=0.01)
    net(np.ones((2, 3)))
    ((net(np.ones((2, 3))) - 1.0) ** 2).mean().backward()
    opt.step()
    path = tmp_path / "run.npz"
    checkpoint.save(net, path, optimizer=opt)
    return net, opt, path


def _rewrite(src, dst, change):
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    with open(dst, "wb") as f:
        np.savez(f, **arrays)


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
    fresh = _net(seed=3)
    opt = Adam(fresh.parameters(), lr=0.5)
    before = [p.data.copy() for p in fresh.parameters()]
    with pytest.raises(CheckpointError, match="optimizer steps must be a non-negative integer"):
        checkpoint.load_into(fresh, bad, optimizer=opt)
    assert opt.steps == 0 and opt.lr == 0.5
    assert all(np.array_equal(p.data, b) for p, b in zip(fresh.parameters(), before))


@pytest.mark.parametrize("steps", [10 ** 400, float("inf"), float("nan"), 2 ** 53 + 2, None],
                         ids=["10**400", "inf", "nan", "2**53+2", "None"])
def test_an_optimizer_refuses_a_state_whose_step_count_is_not_a_count(steps):
    opt = SGD(_net().parameters(), lr=0.1)
    state = opt.state_dict()
    state["steps"] = steps
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        opt.load_state_dict(state)
    assert opt.steps == 0


def test_a_resumed_run_with_a_large_but_real_step_count_still_steps(tmp_path):
    net, _, path = _with_adam(tmp_path)
    ok = tmp_path / "ok.npz"
    _rewrite(path, ok, _set_steps(2 ** 53))
    fresh = _net()
    opt = Adam(fresh.parameters(), lr=0.01)
    checkpoint.load_into(fresh, ok, optimizer=opt)
    ((fresh(np.ones((2, 3))) - 1.0) ** 2).mean().backward()
    opt.step()
    assert all(np.isfinite(p.data).all() for p in fresh.parameters())


# --- more memory declared than the machine has ------------------------------------------------

def test_arrays_larger_than_the_machine_are_refused_before_any_is_decompressed(tmp_path,
                                                                                monkeypatch):
    net = _net()
    path = tmp_path / "m.npz"
    checkpoint.save(net, path)
    size = sum(p.data.nbytes for p in net.parameters())
    monkeypatch.setattr(checkpoint, "_machine_memory", lambda: size)    # needs 2× to load

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
    net = _net()
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
    first, second = _net(seed=1), _net(seed=2)
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
        checkpoint.save(_net(), link)
    assert caught.value.filename == str(link) and ".tmp" not in str(caught.value)


# --- odd names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["é" * 125 + ".npz", "日" * 83 + ".npz", "a" * 251 + ".npz"],
                         ids=["254-byte accented", "253-byte CJK", "255-byte ascii"])
def test_a_legal_non_ascii_or_255_byte_name_saves_and_loads(tmp_path, name):
    net = _net()
    checkpoint.save(net, tmp_path / name)
    back = checkpoint.load(tmp_path / name)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(back.parameters(), net.parameters()))
    assert os.listdir(tmp_path) == [name]          # no temporary file left behind


def test_a_path_given_as_bytes_saves_like_a_str(tmp_path):
    net = _net()
    path = os.fsencode(tmp_path / "bytes.npz")
    checkpoint.save(net, path)
    assert checkpoint.load(path).layers == [3, 4, 2]


def test_an_archive_of_many_unexpected_members_gets_a_short_message(tmp_path):
    import zipfile
    path = tmp_path / "m.npz"
    checkpoint.save(_net(), path)
    with zipfile.ZipFile(path, "a") as z:
        for i in range(5000):
            z.writestr(f"junk{i:05d}.npy", b"")
    with pytest.raises(CheckpointError, match=r"unexpected array\(s\) junk00000, .*junk00009 "
                                              r"and 4,990 more for the architecture") as caught:
        checkpoint.read(path)
    assert len(str(caught.value)) < 500
