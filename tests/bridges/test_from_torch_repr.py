"""A network converted from PyTorch says where its weights came from, not an init it never had."""
import pytest

from microgradnn import MLP

torch = pytest.importorskip("torch")


def test_a_converted_sequential_says_its_weights_were_copied_from_pytorch():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    assert repr(MLP.from_torch(model)) == ("MLP(layers=[2, 3, 1], activations=['tanh', 'linear'], "
                                           "weights copied from a PyTorch Sequential)")


def test_a_converted_state_dict_says_so():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    net = MLP.from_torch(model.state_dict(), activations=["tanh", "linear"])
    assert repr(net).endswith("weights copied from a PyTorch state_dict)")
    assert "init=" not in repr(net) and "seed=" not in repr(net)


def test_a_drawn_network_still_shows_its_init_and_seed():
    assert repr(MLP([2, 1], ["tanh"], seed=3, init="he")) == \
        "MLP(layers=[2, 1], activations=['tanh'], init='he', seed=3)"
