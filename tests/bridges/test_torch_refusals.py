"""The PyTorch bridge converts what the model computes, or refuses: a module with hooks (which
the conversion would not run) is refused naming them; a state_dict's layers are taken by their
index, not the dict's order, with gaps and duplicates refused; a target of any float dtype
(bfloat16 too) is read exactly, a complex one refused."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from microgradnn import MLP  # noqa: E402
from microgradnn.torch_bridge import (from_torch, model_loss, torch_gradients,  # noqa: E402
                                      torch_loss)


def deep(layers=6, width=3):
    """Linear, Tanh, Linear, Tanh, ..., Linear: Linear layers at 0, 2, ..., 10 for 6."""
    torch.manual_seed(0)
    modules = []
    for l in range(layers):
        modules.append(nn.Linear(width, width))
        if l < layers - 1:
            modules.append(nn.Tanh())
    return nn.Sequential(*modules).double()


def doubled(module, inputs, output):
    return output * 2


def kept(module, args):
    return args


# --- hooks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("where, register, said", [
    ("model", lambda m: m.register_forward_hook(doubled), "the Sequential has a forward hook 'doubled'"),
    ("layer", lambda m: m[2].register_forward_hook(doubled), "layer 2 (Linear) has a forward hook 'doubled'"),
    ("layer", lambda m: m[1].register_forward_pre_hook(kept), "layer 1 (Tanh) has a forward pre-hook 'kept'"),
    ("every module", lambda m: nn.modules.module.register_module_forward_hook(doubled),
     "a global forward hook 'doubled'"),
])
@pytest.mark.parametrize("call", [
    lambda m: from_torch(m),
    lambda m: model_loss(m, np.ones((2, 3)), np.ones((2, 3))),
    lambda m: torch_gradients(m, np.ones((2, 3)), np.ones((2, 3))),
], ids=["from_torch", "model_loss", "torch_gradients"])
def test_a_module_with_forward_hooks_is_refused_naming_them(where, register, said, call):
    model = deep()
    handle = register(model)
    try:
        with pytest.raises(ValueError, match="hook") as err:
            call(model)
        assert said in str(err.value) and "handle.remove()" in str(err.value)
    finally:
        handle.remove()
    call(model)                                               # and converts once removed


def test_backward_hooks_are_refused_for_the_gradients_only():
    model = deep()
    handle = model[0].register_full_backward_hook(lambda *a: None)
    try:
        from_torch(model)                                     # the weights are what they are
        with pytest.raises(ValueError, match=r"layer 0 \(Linear\) has a backward hook"):
            torch_gradients(model, np.ones((2, 3)), np.ones((2, 3)))
    finally:
        handle.remove()


# --- state_dict order -------------------------------------------------------------------------

def test_a_sorted_state_dict_loads_its_layers_by_index_not_by_key_order():
    model = deep()
    state = dict(sorted(model.state_dict().items()))          # 0, 10, 2, 4, 6, 8
    assert list(state)[2] == "10.bias"
    net = from_torch(state, activations=["tanh"] * 5 + ["linear"])
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert np.allclose(net(x).data, model(torch.from_numpy(x)).detach().numpy(), atol=1e-12)


def test_a_nested_sequentials_state_dict_loads_by_its_own_index():
    outer = nn.Sequential(deep(3)).double()
    state = dict(sorted(outer.state_dict().items()))         # 0.0, 0.2, 0.4
    net = from_torch(state, activations=["tanh", "tanh", "linear"])
    x = np.ones((1, 3))
    assert np.allclose(net(x).data, outer(torch.from_numpy(x)).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("change, message", [
    (lambda s: [s.pop(k) for k in ("4.weight", "4.bias")],
     r"a gap between layers '2' and '6' \(indexes 2 to 6\)"),
    (lambda s: [s.pop(k) for k in ("0.weight", "0.bias")], r"a gap before the first Linear layer"),
    (lambda s: s.update({"02.weight": s["2.weight"], "02.bias": s["2.bias"]}),
     r"layers '2' and '02' both have index 2"),
    (lambda s: s.update({"head.12.weight": s["0.weight"], "head.12.bias": s["0.bias"]}),
     r"holds layers of several modules \('', 'head'\)"),
    (lambda s: s.update({"fc.weight": s["0.weight"], "fc.bias": s["0.bias"]}),
     r"layer 'fc' is not named by its position in a Sequential"),
    (lambda s: s.update({"٣.weight": s["0.weight"], "٣.bias": s["0.bias"]}),
     r"layer '٣' is not named by its position"),
])
def test_a_state_dict_with_a_gap_a_duplicate_or_no_positions_is_refused(change, message):
    state = deep().state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        from_torch(state, activations=["tanh"] * 7)


# --- targets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["quadratic", "bce"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_a_target_of_any_float_dtype_is_read_exactly(loss, dtype):
    z = torch.tensor([[0.3], [-1.2]], dtype=torch.float64)
    target = torch.tensor([1.0, 0.5], dtype=dtype)
    want = torch_loss(loss)(z, target.double().numpy())
    assert torch_loss(loss)(z, target).item() == want.item()


def test_a_bfloat16_one_hot_target_is_read_for_cross_entropy():
    z = torch.tensor([[0.3, 1.0], [-1.2, 0.0]], dtype=torch.float64)
    rows = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.bfloat16)
    assert torch_loss("cross_entropy")(z, rows).item() == \
        torch_loss("cross_entropy")(z, [1, 0]).item()


def test_a_complex_target_is_refused_naming_its_dtype():
    with pytest.raises(TypeError, match=r"torch_loss\('quadratic'\) targets: expected numbers, "
                                        r"got an array of dtype complex64"):
        torch_loss("quadratic")(torch.zeros(2, 1), torch.ones(2, dtype=torch.complex64))
