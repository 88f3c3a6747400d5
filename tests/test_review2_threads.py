"""Grad and anomaly modes belong to a thread, second pass: orders and mixtures the first tests
do not try — a mode left open by a dead thread, anomaly checks beside unchecked threads in one
pool, and plain and recorded backward passes landing on one shared parameter."""
import concurrent.futures as cf
import threading
import warnings

import numpy as np
import pytest

from microgradnn import Value, detect_anomaly, hessian, no_grad


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_a_thread_that_ends_inside_an_open_no_grad_leaves_other_threads_recording():
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
    assert (Value(2.0) * 3).requires_grad
    kept[0].close()                  # its exit now runs in this thread: restores what it saved
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


def test_a_thread_that_ends_inside_no_grad_leaves_every_other_thread_recording():

    def suspended():
        with no_grad():
            yield

    kept = []

    def worker():
        g = suspended()
        next(g)
        kept.append(g)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert (Value(1.0) * 2).requires_grad      # the dead thread's mode went with it
    kept[0].close()
    assert (Value(1.0) * 2).requires_grad
