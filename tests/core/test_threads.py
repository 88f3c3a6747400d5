"""Threads: grad mode and anomaly mode belong to the thread that sets them; backward is safe.

Each test forces one interleaving with barriers and events (no sleeps, no timing): thread A
enters a mode, thread B does something, and so on, and each step checks what the thread doing it
must see. The oracle is the rule itself, as in PyTorch: every thread starts with gradients on
and no anomaly hook, and nothing another thread enters or leaves changes that.
"""
import concurrent.futures as cf
import sys
import threading

import numpy as np
import pytest

from microgradnn import MLP, Value, detect_anomaly, hessian, no_grad
from microgradnn import engine
from microgradnn.training import fit

pytestmark = pytest.mark.usefixtures("quiet_numpy")

TIMEOUT = 30          # seconds a barrier waits before the test fails instead of hanging


def _run(*targets):
    """Run each target in its own thread; re-raise the first exception any of them raised."""
    errors = []

    def wrap(f):
        def run():
            try:
                f()
            except BaseException as e:       # noqa: BLE001 - handed to the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(f)) for f in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def _records() -> bool:
    """Whether this thread's ops record a graph right now."""
    return (Value(2.0) * 3).requires_grad


# --- grad mode ---

def test_no_grad_in_one_thread_does_not_stop_recording_in_the_main_thread():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def a():
        with no_grad():
            seen["a"] = _records()
            inside.set()
            assert done.wait(TIMEOUT)

    t = threading.Thread(target=a)
    t.start()
    assert inside.wait(TIMEOUT)
    try:
        assert _records()                     # the main thread still records
    finally:
        done.set()
        t.join(TIMEOUT)
    assert seen["a"] is False


def test_a_enters_b_enters_a_exits_b_exits_each_thread_sees_its_own_mode():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with no_grad():
            seen["A in its block"] = _records()
            a_in.set()
            assert b_in.wait(TIMEOUT)
        seen["A after its block, B still in"] = _records()
        a_out.set()

    def b():
        assert a_in.wait(TIMEOUT)
        with no_grad():
            seen["B in its block"] = _records()
            b_in.set()
            assert a_out.wait(TIMEOUT)
            seen["B in its block after A left"] = _records()
        seen["B after its block"] = _records()

    _run(a, b)
    assert seen == {"A in its block": False, "A after its block, B still in": True,
                    "B in its block": False, "B in its block after A left": False,
                    "B after its block": True}
    assert _records()                          # the process records again afterwards


def test_a_enters_b_enters_b_exits_a_exits_each_thread_sees_its_own_mode():
    a_in, b_out = threading.Event(), threading.Event()
    seen = {}

    def a():
        with no_grad():
            a_in.set()
            assert b_out.wait(TIMEOUT)
            seen["A in its block after B left"] = _records()
        seen["A after its block"] = _records()

    def b():
        assert a_in.wait(TIMEOUT)
        with no_grad():
            seen["B in its block"] = _records()
        seen["B after its block, A still in"] = _records()
        b_out.set()

    _run(a, b)
    assert seen == {"A in its block after B left": False, "A after its block": True,
                    "B in its block": False, "B after its block, A still in": True}
    assert _records()


def test_a_new_thread_starts_with_gradients_on_even_when_its_parent_is_in_no_grad():
    seen = {}
    with no_grad():
        _run(lambda: seen.setdefault("child", _records()))
        assert not _records()
    assert seen["child"] is True


def test_many_threads_entering_and_leaving_no_grad_leave_every_thread_recording():
    barrier = threading.Barrier(4, timeout=TIMEOUT)
    results = []

    def worker():
        for _ in range(200):
            barrier.wait()
            with no_grad():
                results.append(not _records())
            results.append(_records())

    _run(*[worker] * 4)
    assert all(results) and len(results) == 4 * 200 * 2
    assert _records()


# --- anomaly mode ---

def test_detect_anomaly_in_one_thread_does_not_check_another():
    inside, done = threading.Event(), threading.Event()
    caught = {}

    def a():
        with detect_anomaly():
            try:
                Value(0.0).log()
            except FloatingPointError as e:
                caught["a"] = e
            inside.set()
            assert done.wait(TIMEOUT)

    t = threading.Thread(target=a)
    t.start()
    assert inside.wait(TIMEOUT)
    try:
        with np.errstate(divide="ignore"):
            y = Value(0.0).log()              # the main thread is not in anomaly mode
        assert y.data == -np.inf
    finally:
        done.set()
        t.join(TIMEOUT)
    assert "log" in str(caught["a"])


def test_a_new_thread_starts_without_the_anomaly_hook():
    seen = {}
    with detect_anomaly():
        _run(lambda: seen.setdefault("modes", (engine.modes.grad_enabled, engine.modes.hook)))
    assert seen["modes"] == (True, None)


# --- backward from two threads ---

@pytest.mark.parametrize("kind", ["scalar", "tensor"])
def test_concurrent_backward_on_losses_sharing_a_parameter_lands_every_contribution(kind):
    w = Value(1.5) if kind == "scalar" else Value(np.array([1.5, -2.0, 0.25]))
    passes = 1000
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def worker(c: float):
        def run():
            x = Value(0.5)                    # a parameter of this thread only
            barrier.wait()
            for _ in range(passes):
                loss = (w * c + x) * 2.0      # d/dw = 2c (summed over elements for tensors)
                for _ in range(10):           # a longer pass, so that passes overlap more
                    loss = loss + x * 0.0
                if kind == "tensor":
                    loss = loss.sum()
                loss.backward()
            assert np.sum(x.grad) == 2.0 * w.size * passes   # x broadcasts over w's elements
        return run

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)               # switch threads as often as possible: overlap passes
    try:
        _run(worker(3.0), worker(-0.5))
    finally:
        sys.setswitchinterval(interval)
    # Exact: each pass adds 2c, a small multiple of a power of two (no rounding anywhere).
    expected = passes * (2.0 * 3.0 + 2.0 * -0.5)
    if kind == "scalar":
        assert type(w.grad) is float and w.grad == expected
    else:
        np.testing.assert_array_equal(w.grad, np.full(3, expected))


def test_fit_in_two_threads_with_validation_data_trains_both_networks():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)

    def train_alone():
        net = MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0)
        h = fit(net, x, y, loss="bce", epochs=5, validation_data=(x, y), progress=False)
        return net, h

    reference = train_alone()[1]
    histories = []

    def worker():
        histories.append(train_alone()[1])

    _run(worker, worker)
    assert len(histories) == 2
    for h in histories:                       # threads change nothing: the same training run
        assert h.loss == reference.loss


# --- a mode left open by a dead thread, anomaly checks beside unchecked threads in one pool,
# --- plain and recorded backward passes landing on one shared parameter ---------------------

def _no_grad_left_open_by_a_dead_thread():
    """A thread enters no_grad() and ends without leaving it; its open context is returned."""
    def suspended():
        with no_grad():
            yield

    kept = []

    def worker():
        g = suspended()
        next(g)                      # inside no_grad(), never closed by this thread
        kept.append(g)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    return kept[0]


def test_a_thread_that_ends_inside_an_open_no_grad_leaves_other_threads_recording():
    left_open = _no_grad_left_open_by_a_dead_thread()
    assert (Value(2.0) * 3).requires_grad
    left_open.close()                # its exit now runs in this thread: restores what it saved
    assert (Value(2.0) * 3).requires_grad


def test_anomaly_checks_in_some_pool_threads_never_reach_the_others():
    def checked(k):
        try:
            with detect_anomaly():
                Value(-1.0 - k).log().backward()
        except FloatingPointError as e:
            return "log" in str(e)
        return False

    def unchecked(k):
        x = Value(-1.0 - k)
        x.log().backward()           # a NaN value, but nobody asked this thread to check
        return x.grad == -1.0 / (1.0 + k)   # log'(x) = 1/x: computed, not refused

    with cf.ThreadPoolExecutor(8) as pool:
        a = [pool.submit(checked, k) for k in range(30)]
        b = [pool.submit(unchecked, k) for k in range(30)]
        assert all(f.result() for f in a) and all(f.result() for f in b)


def test_nested_no_grad_and_an_exception_inside_it_in_many_threads_restore_each_threads_mode():
    def worker(k):
        ok = []
        for i in range(50):
            try:
                with no_grad():
                    with no_grad():
                        ok.append(not (Value(1.0) * 2).requires_grad)
                    if (i + k) % 3 == 0:
                        raise KeyError(i)
                    ok.append(not (Value(1.0) * 2).requires_grad)
            except KeyError:
                pass
            ok.append((Value(1.0) * 2).requires_grad)
        return all(ok)

    with cf.ThreadPoolExecutor(6) as pool:
        assert all(pool.map(worker, range(12)))
    assert (Value(1.0) * 2).requires_grad


def test_plain_and_recorded_backward_passes_on_a_shared_parameter_all_land():
    w = Value(np.array([0.5, -0.3]))
    expected = sum(2 * w.data * (k + 1) if k % 2 else (1 - np.tanh(w.data) ** 2) * (k + 1)
                   for k in range(6))
    for _ in range(20):
        w.grad = None
        barrier = threading.Barrier(6)

        def job(k):
            barrier.wait()
            if k % 2:
                ((w * w).sum() * (k + 1)).backward()
            else:
                (w.tanh().sum() * (k + 1)).backward(create_graph=(k == 2))

        threads = [threading.Thread(target=job, args=(k,)) for k in range(6)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        got = w.grad.data if isinstance(w.grad, Value) else w.grad
        np.testing.assert_allclose(got, expected, rtol=1e-13)   # the order of the sums varies


def test_hessians_in_a_thread_pool_are_each_their_own():
    def job(k):
        return hessian(lambda x: (x ** 3).sum() * k)(np.array([1.0, 2.0]))

    with cf.ThreadPoolExecutor(8) as pool:
        for k, h in zip(range(1, 60), pool.map(job, range(1, 60))):
            np.testing.assert_array_equal(h, np.diag([6.0 * k, 12.0 * k]))
