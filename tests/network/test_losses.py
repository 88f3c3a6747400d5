"""Losses: values and gradients against PyTorch float64 and finite differences; stability."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microgradnn import Value
from microgradnn.check import gradcheck
from microgradnn.losses import (binary_cross_entropy, get_loss, quadratic,
                                softmax_cross_entropy)

rng = np.random.default_rng(0)


def test_quadratic_is_half_mean_over_batch_of_squared_norm():
    a, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss = quadratic(Value(a), y)
    assert loss.data == pytest.approx(((a - y) ** 2).sum() / (2 * 5))
    assert loss.label == "loss"


def test_quadratic_accepts_flat_targets_for_one_output():
    a = rng.standard_normal((4, 1))
    y = rng.standard_normal(4)
    assert quadratic(Value(a), y).data == pytest.approx(quadratic(Value(a), y[:, None]).data)


def test_losses_match_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z = rng.standard_normal((6, 3)) * 3
    y01 = (rng.random((6, 3)) > 0.5).astype(float)
    labels = np.array([0, 2, 1, 1, 0, 2])
    cases = [
        (binary_cross_entropy, y01,
         lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(y01), reduction="sum") / 6),
        (softmax_cross_entropy, labels,
         lambda t: F.cross_entropy(t, torch.tensor(labels))),
        (quadratic, y01, lambda t: ((t - torch.tensor(y01)) ** 2).sum() / 12),
    ]
    for fn, target, torch_fn in cases:
        v = Value(z)
        loss = fn(v, target)
        loss.backward()
        t = torch.tensor(z, requires_grad=True)
        ref = torch_fn(t)
        ref.backward()
        assert loss.data == pytest.approx(ref.item(), rel=1e-12), fn.__name__
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("fn, target", [(binary_cross_entropy, [[0.0, 1.0]]),
                                        (softmax_cross_entropy, [1])])
def test_cross_entropies_finite_at_plus_minus_1000(fn, target):
    z = Value([[1000.0, -1000.0]])
    loss = fn(z, target)
    loss.backward()
    assert np.isfinite(loss.data) and np.all(np.isfinite(z.grad))
    assert loss.data == pytest.approx(2000.0)


def test_bce_gradient_at_zero_logit_is_sigmoid_minus_target():
    z = Value([[0.0]])
    binary_cross_entropy(z, [[1.0]]).backward()
    assert z.grad[0, 0] == pytest.approx(0.5 - 1.0)


def test_integer_labels_and_one_hot_give_the_same_loss():
    z = rng.standard_normal((4, 3))
    labels = np.array([2, 0, 1, 2])
    a = softmax_cross_entropy(Value(z), labels).data
    b = softmax_cross_entropy(Value(z), np.eye(3)[labels]).data
    assert a == pytest.approx(b)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.sampled_from(["quadratic", "bce", "cross_entropy"]))
def test_loss_gradients_match_finite_differences(n, k, name):
    r = np.random.default_rng(n * 10 + k)
    z = r.standard_normal((n, k)) * 2
    target = {"quadratic": r.standard_normal((n, k)), "bce": r.random((n, k)),
              "cross_entropy": r.integers(0, k, n)}[name]
    result = gradcheck(lambda v: get_loss(name)(v, target), z)
    assert result.ok, result


def test_get_loss_lists_allowed_names():
    with pytest.raises(ValueError, match="quadratic, bce, cross_entropy"):
        get_loss("mse")


def test_labels_out_of_range_are_rejected():
    with pytest.raises(ValueError, match=r"0\.\.2"):
        softmax_cross_entropy(Value(np.zeros((2, 3))), [0, 3])


def test_target_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 1\)"):
        quadratic(Value(np.zeros((3, 1))), np.zeros((3, 2)))


def test_bce_targets_outside_unit_interval_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy(Value(np.zeros((2, 1))), [[2.0], [0.0]])
