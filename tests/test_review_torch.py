"""The PyTorch bridge under other inputs than the issue's (review of issue 15): a state_dict with
activations that do not fit, a model that diverged, a model with no numbers yet. Each is an
error that starts with from_torch and names the layer or the argument."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from microgradnn.nn import MLP  # noqa: E402


def _state():
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double().state_dict()


@pytest.mark.parametrize("activations, error, message", [
    ("tanh", TypeError, "from_torch: activations must be a list of names, one per layer, got "
                        "the string 'tanh'"),
    (["tanh"], ValueError, "from_torch: 3 layer sizes [2, 3, 1] need 2 activations"),
    (["tanh", "gelu"], ValueError, "from_torch: unknown activation 'gelu' for layer 2"),
], ids=["a string", "too few", "unknown"])
def test_activations_that_do_not_fit_a_state_dict_are_refused_by_from_torch(activations, error,
                                                                           message):
    with pytest.raises(error) as caught:
        MLP.from_torch(_state(), activations=activations)
    assert message in str(caught.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_diverged_model_is_refused_naming_the_layer(value):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        model[2].weight[0, 1] = value
    with pytest.raises(ValueError, match=r"from_torch: layer 2 \(Linear\) weight has 1 NaN or "
                                         r"inf value\(s\); refusing a diverged model"):
        MLP.from_torch(model)


def test_a_diverged_state_dict_is_refused_naming_the_entry():
    state = _state()
    state["0.bias"][1] = float("nan")
    with pytest.raises(ValueError, match=r"state_dict entry '0.bias' has 1 NaN or inf"):
        MLP.from_torch(state, activations=["tanh", "linear"])


@pytest.mark.parametrize("make", [lambda: nn.LazyLinear(3), lambda: nn.Linear(2, 3, device="meta")],
                         ids=["uninitialised LazyLinear", "meta device"])
def test_a_layer_without_numbers_is_refused_naming_it(make):
    with pytest.raises(ValueError, match=r"from_torch: layer 0 \(Linear\) weight holds no "
                                         r"values to copy"):
        MLP.from_torch(nn.Sequential(make(), nn.Sigmoid()))


def test_a_finite_model_still_converts_exactly():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    net = MLP.from_torch(model)
    assert np.array_equal(net.weights[1].data, model[2].weight.detach().numpy())
