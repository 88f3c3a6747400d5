"""Optimizers: trajectories equal PyTorch's; state dicts hold plain data and are checked."""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.optim import SGD, Adam


W0 = np.array([1.5, -0.7, 0.2])


def _quartic(w):
    return ((w * w) * (w * w)).sum() + (w * 3.0).sum()


def _run(make, steps=20):
    w = Value(W0.copy())
    opt = make([w])
    for _ in range(steps):
        opt.zero_grad()
        _quartic(w).backward()
        opt.step()
    return w.data


def _run_torch(make, steps=20):
    torch = pytest.importorskip("torch")
    w = torch.tensor([1.5, -0.7, 0.2], dtype=torch.float64, requires_grad=True)
    opt = make([w])
    for _ in range(steps):
        opt.zero_grad()
        ((w * w * w * w).sum() + (w * 3.0).sum()).backward()
        opt.step()
    return w.detach().numpy()


def test_sgd_matches_torch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_run(lambda p: SGD(p, lr=0.01)),
                               _run_torch(lambda p: torch.optim.SGD(p, lr=0.01)), rtol=1e-12)


def test_sgd_with_momentum_matches_torch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_run(lambda p: SGD(p, lr=0.01, momentum=0.9)),
                               _run_torch(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
                               rtol=1e-12)


def test_adam_matches_torch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_run(lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99))),
                               _run_torch(lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99))),
                               rtol=1e-10)


def test_step_updates_data_in_place():
    w = Value(np.array([1.0, 2.0]))
    before = w.data
    opt = SGD([w], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    assert w.data is before
    np.testing.assert_allclose(w.data, [0.0, 0.0])


def test_scalar_parameters_are_updated():
    w = Value(2.0)
    opt = Adam([w], lr=0.1)
    (w * w).backward()
    opt.step()
    assert w.data == pytest.approx(1.9)


def test_zero_grad_clears_gradients():
    w = Value(np.ones(3))
    opt = SGD([w], lr=0.1)
    w.sum().backward()
    opt.zero_grad()
    assert not w.grad.any()


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.02, momentum=0.5),
                                  lambda p: Adam(p, lr=0.05)])
def test_state_dict_round_trip_continues_the_same_trajectory(make):
    w = Value(np.array([1.5, -0.7, 0.2]))
    opt = make([w])
    for _ in range(5):
        opt.zero_grad(); _quartic(w).backward(); opt.step()
    state = opt.state_dict()
    assert all(isinstance(v, (int, float, str, np.ndarray)) for v in state.values())
    w2 = Value(w.data.copy())
    opt2 = make([w2])
    opt2.load_state_dict(state)
    for o, p in ((opt, w), (opt2, w2)):
        for _ in range(5):
            o.zero_grad(); _quartic(p).backward(); o.step()
    np.testing.assert_array_equal(w.data, w2.data)


def test_load_state_dict_rejects_other_optimizer_and_wrong_shapes():
    w = Value(np.ones(3))
    state = SGD([w], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="'sgd'.*'adam'"):
        Adam([w]).load_state_dict(state)
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2,\)"):
        SGD([Value(np.ones(2))], lr=0.1, momentum=0.5).load_state_dict(
            SGD([w], lr=0.1, momentum=0.5).state_dict())
    with pytest.raises(ValueError, match="missing keys"):
        SGD([w, Value(np.ones(2))], lr=0.1).load_state_dict(state)


@pytest.mark.parametrize("kwargs, match", [({"lr": 0.0}, "lr must be"), ({"lr": -1}, "lr must be"),
                                           ({"lr": 0.1, "momentum": 1.0}, "momentum")])
def test_bad_hyper_parameters_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SGD([Value(1.0)], **kwargs)


def test_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        Adam([])


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1), lambda p: SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: Adam(p, lr=0.1)])
def test_step_leaves_the_gradient_as_backward_left_it(make):
    """The update is computed in the optimizer's own scratch arrays, never in .grad."""
    w = Value(np.array([1.0, -2.0, 3.0]))
    opt = make([w])
    (w * w).sum().backward()
    grad = w.grad
    kept = grad.copy()
    opt.step()
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad, kept)


def test_a_parameter_without_gradient_moves_as_with_a_zero_gradient():
    torch = pytest.importorskip("torch")
    w, u = Value(np.array([1.0, 2.0])), Value(np.array([3.0]))
    opt = Adam([w, u], lr=0.1)
    t_w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    t_u = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    t_opt = torch.optim.Adam([t_w, t_u], lr=0.1)
    for step in range(3):
        opt.zero_grad()
        t_opt.zero_grad()
        (w * w).sum().backward()
        (t_w * t_w).sum().backward()
        if step == 0:                           # u gets a gradient once, then none
            u.sum().backward()
            t_u.sum().backward()
        else:
            t_u.grad = torch.zeros(1, dtype=torch.float64)
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(w.data, t_w.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(u.data, t_u.detach().numpy(), rtol=1e-12)


# --- without PyTorch: its documented update rules, re-stated in plain numpy on the gradient of
# --- Σ w⁴ + 3 Σ w, which is 4w³ + 3

def _quartic_grad(w):
    return 4 * w ** 3 + 3.0


def _numpy_sgd(lr, momentum=0.0, steps=20):
    w, buf = W0.copy(), None
    for _ in range(steps):
        g = _quartic_grad(w)
        buf = g if buf is None else momentum * buf + g      # PyTorch: b₁ = g₁, then μb + g
        w = w - lr * (buf if momentum else g)
    return w


def _numpy_adam(lr, b1, b2, eps=1e-8, steps=20):
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, steps + 1):
        g = _quartic_grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w


def test_sgd_follows_the_update_rule_in_numpy():
    np.testing.assert_allclose(_run(lambda p: SGD(p, lr=0.01)), _numpy_sgd(0.01), rtol=1e-12)


def test_sgd_with_momentum_follows_the_update_rule_in_numpy():
    np.testing.assert_allclose(_run(lambda p: SGD(p, lr=0.01, momentum=0.9)),
                               _numpy_sgd(0.01, 0.9), rtol=1e-12)


def test_adam_follows_the_update_rule_in_numpy():
    np.testing.assert_allclose(_run(lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99))),
                               _numpy_adam(0.05, 0.8, 0.99), rtol=1e-10)
