"""Optimizers refuse what PyTorch refuses: a non-leaf Value, the same Value twice."""
import numpy as np
import pytest

from microgradnn import Value
from microgradnn.optim import SGD, Adam

OPTIMIZERS = [lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1, momentum=0.9),
              lambda ps: Adam(ps)]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_the_same_value_twice_is_refused_naming_both_positions(make):
    w = Value([1.0, 2.0], label="w")
    with pytest.raises(ValueError, match=r"parameters 0 and 2 are the same Value \('w'\): it "
                                         r"would be stepped twice per step"):
        make([w, Value(0.5), w])


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_a_non_leaf_value_is_refused_naming_its_op(make):
    w = Value([1.0, 2.0], label="w")
    with pytest.raises(ValueError, match=r"parameter 1 \(a Value of shape \(2,\)\) is not a leaf: "
                                         r"it was made by the op 'mul'.*non-leaf"):
        make([w, w * 2.0])


def test_equal_but_distinct_values_are_two_parameters():
    a, b = Value(1.0), Value(1.0)
    opt = SGD([a, b], lr=0.5)
    (a * 2.0 + b * 4.0).backward()
    opt.step()
    assert (a.data, b.data) == (0.0, -1.0)


def test_a_networks_parameters_are_accepted():
    from microgradnn import MLP
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    assert len(Adam(net.parameters()).params) == 4
    net.scalar_forward([0.5, -1.0])
    assert len(SGD(list(net.scalar_params.values()), lr=0.1).params) == 13   # views are leaves


def test_a_tensor_and_a_scalar_view_of_it_together_are_refused():
    from microgradnn import MLP
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net.scalar_forward([0.5, -1.0])
    with pytest.raises(ValueError, match=r"parameter 4 \('W1\[0,0\]'\) is an entry of parameter "
                                         r"0 \('W1'\): it would be stepped twice per step"):
        SGD(net.parameters() + [net.scalar_params["W1[0,0]"]], lr=0.1)
