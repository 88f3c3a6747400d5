"""The losses at the edges of floating point, against PyTorch float64."""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.losses import binary_cross_entropy, softmax_cross_entropy

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("z", [20.0, 30.0, 36.0, 40.0, 700.0])
def test_binary_cross_entropy_keeps_its_precision_for_confident_logits(z):
    want = F.binary_cross_entropy_with_logits(torch.tensor([[z]], dtype=torch.float64),
                                              torch.tensor([[1.0]], dtype=torch.float64)).item()
    got = float(binary_cross_entropy(Value(np.array([[z]])), [[1.0]]))
    assert got == pytest.approx(want, rel=1e-12, abs=1e-300)


def test_binary_cross_entropy_of_an_infinite_logit_against_zero_is_infinite():
    assert float(binary_cross_entropy(Value(np.array([[np.inf]])), [[0.0]])) == np.inf


def test_cross_entropy_with_a_masked_logit_is_finite_as_in_pytorch():
    z = np.array([[1.0, -np.inf, 0.5], [0.2, 0.3, -np.inf]])
    labels = [0, 1]
    v = Value(z)
    loss = softmax_cross_entropy(v, labels)
    loss.backward()
    t = torch.tensor(z, requires_grad=True)
    want = F.cross_entropy(t, torch.tensor(labels))
    want.backward()
    assert float(loss) == pytest.approx(want.item(), rel=1e-13)
    np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-13, atol=1e-300)
