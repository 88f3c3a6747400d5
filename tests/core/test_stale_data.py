"""A Value's .data changed between the forward and the backward pass is refused, never
differentiated silently with numbers the graph was not computed from (PyTorch's version counter)."""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.losses import quadratic
from microgradnn.nn import MLP
from microgradnn.optim import SGD


def test_an_in_place_update_of_a_tensor_input_before_backward_is_refused():
    w = Value(np.array([1.0, 2.0]), label="w")
    y = (w * w).sum()
    w.data += 10
    with pytest.raises(RuntimeError, match="'w'.*mul.*assigned after"):
        y.backward()


def test_reassigning_a_scalars_data_before_backward_is_refused():
    a = Value(3.0, label="a")
    y = a.tanh()
    a.data = 0.5
    with pytest.raises(RuntimeError, match="'a'"):
        y.backward()


def test_an_optimizer_step_before_a_second_backward_is_refused():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    loss = quadratic(net([[0.5, -1.0]]), [[1.0]])
    loss.backward()
    SGD(net.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="W2|b2|W1|b1"):
        loss.backward()


def test_the_normal_training_loop_keeps_working():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    opt = SGD(net.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = quadratic(net([[0.5, -1.0]]), [[1.0]])
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_changing_data_after_backward_and_recomputing_is_allowed():
    w = Value(2.0)
    (w * w).backward()
    w.data -= 0.1 * w.grad
    w.grad = None
    (w * w).backward()
    assert w.grad == pytest.approx(2 * 1.6)


def test_an_int_assigned_to_data_becomes_a_float():
    v = Value(1.0)
    v.data = 3
    (v * v).backward()
    assert type(v.data) is float and v.grad == 6.0


def test_a_trained_network_unpickled_in_a_new_process_trains_on(tmp_path):
    # creation numbers and .data stamps belong to a process: an unpickled Value is numbered anew
    import pickle
    import subprocess
    import sys
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    opt = SGD(net.parameters(), lr=0.5)
    for _ in range(2000):
        opt.zero_grad()
        quadratic(net([[0.5, -1.0]]), [[1.0]]).backward()
        opt.step()
    path = tmp_path / "net.pkl"
    path.write_bytes(pickle.dumps(net))
    code = ("import pickle, sys; from microgradnn.losses import quadratic; "
            "net = pickle.loads(open(sys.argv[1], 'rb').read()); "
            "quadratic(net([[0.5, -1.0]]), [[1.0]]).backward(); print('trained on')")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "trained on", done.stderr
