"""Moving on to PyTorch: the same network, weights, losses and gradients, both ways, exactly.

PyTorch computes the torch side on its own (its Linear, its activation modules, its losses and
optimizers), so every agreement below is between two independent implementations. What cannot be
converted exactly (activations that do not fit, a diverged model, a layer with no numbers yet) is
an error that starts with from_torch and names the layer or the argument.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")

from microgradnn.check import crosscheck, crosscheck_gradients  # noqa: E402
from microgradnn.losses import network_loss  # noqa: E402
from microgradnn.nn import MLP  # noqa: E402
from microgradnn.optim import SGD, Adam  # noqa: E402
from microgradnn.torch_bridge import model_loss, torch_gradients, torch_loss  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
nn = torch.nn
HIDDEN = ["sigmoid", "tanh", "relu", "linear"]
# (output activation, loss): every activation with the quadratic cost, and each cross-entropy
# with the output it reads the logits of.
CASES = [(act, "quadratic") for act in HIDDEN + ["softmax"]] + [("sigmoid", "bce"),
                                                               ("softmax", "cross_entropy")]


def _data(loss, batch=7, n_in=3, n_out=2, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((batch, n_in))
    if loss == "quadratic":
        y = r.standard_normal((batch, n_out))
    elif loss == "bce":
        y = (r.random((batch, n_out)) > 0.5).astype(float)
    else:
        y = r.integers(0, n_out, batch)
    return x, y


def _same_parameters(net, model):
    """(ours, torch's) parameter arrays in the same order: W1, b1, W2, b2, ..."""
    return [(p.data, q.detach().numpy()) for p, q in zip(net.parameters(), model.parameters())]


# --- MLP → torch → MLP ---

@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5), data=st.data(),
       seed=st.integers(0, 1000))
def test_round_trip_mlp_torch_mlp_is_bit_identical(sizes, data, seed):
    acts = [data.draw(st.sampled_from(HIDDEN)) for _ in sizes[1:-1]]
    acts.append(data.draw(st.sampled_from(HIDDEN + ["softmax"])))
    net = MLP(sizes, acts, seed=seed)
    back = MLP.from_torch(net.to_torch())
    assert back.layers == net.layers and back.activations == net.activations
    for p, q in zip(net.parameters(), back.parameters()):
        assert p.data.dtype == q.data.dtype == np.float64
        assert np.array_equal(p.data, q.data)


def test_to_torch_is_a_sequential_of_linear_and_activation_modules():
    net = MLP([3, 4, 4, 4, 4, 2], ["sigmoid", "tanh", "relu", "linear", "softmax"], seed=0)
    model = net.to_torch()
    assert isinstance(model, nn.Sequential)
    assert [type(m) for m in model] == [nn.Linear, nn.Sigmoid, nn.Linear, nn.Tanh, nn.Linear,
                                        nn.ReLU, nn.Linear, nn.Identity, nn.Linear, nn.Softmax]
    assert model[-1].dim == -1
    for (ours, theirs), p in zip(_same_parameters(net, model), model.parameters()):
        assert p.dtype == torch.float64 and np.array_equal(ours, theirs)


def test_to_torch_holds_copies_of_the_weights():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    model = net.to_torch()
    before = net.weights[0].data.copy()
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert np.array_equal(net.weights[0].data, before)


def test_from_torch_holds_copies_of_the_weights():
    model = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0).to_torch()
    net = MLP.from_torch(model)
    before = net.weights[0].data.copy()
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert np.array_equal(net.weights[0].data, before)


def test_an_input_of_the_wrong_width_is_refused_by_name():
    model = MLP([2, 3, 1], ["tanh", "sigmoid"]).to_torch()
    with pytest.raises(ValueError, match=r"model_loss: the model expects an input of shape "
                                         r"\(batch, 2\), got \(4, 3\)"):
        model_loss(model, np.ones((4, 3)), np.ones(4))


def test_to_torch_leaves_torchs_random_generator_alone():
    state = torch.random.get_rng_state()
    MLP([5, 8, 3], ["relu", "softmax"]).to_torch()
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("output, loss", CASES)
def test_outputs_agree_for_every_activation(output, loss):
    for hidden in HIDDEN:
        net = MLP([3, 5, 4, 2], [hidden, hidden, output], seed=1)
        x, _ = _data(loss)
        np.testing.assert_allclose(net.to_torch()(torch.tensor(x)).detach().numpy(),
                                   net(x).data, rtol=0, atol=1e-12)


@pytest.mark.parametrize("output, loss", CASES)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_gradient_agrees_after_one_backward(hidden, output, loss):
    net = MLP([3, 5, 4, 2], [hidden, hidden, output], seed=2)
    model = net.to_torch()
    x, y = _data(loss, seed=3)
    net(x)
    ours = network_loss(net, y, loss)
    ours.backward()
    theirs = model_loss(model, x, y, loss)
    theirs.backward()
    assert abs(theirs.item() - float(ours.data)) <= 1e-12
    for p, q in zip(net.parameters(), model.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad, rtol=0, atol=1e-12, err_msg=p.label)


# --- training on both sides ---

def _train_both(make_ours, make_theirs, loss="quadratic", output="sigmoid", steps=10):
    net = MLP([3, 6, 5, 2], ["tanh", "relu", output], seed=4)
    model = net.to_torch()
    start = [p.data.copy() for p in net.parameters()]
    ours, theirs = make_ours(net.parameters()), make_theirs(model.parameters())
    for step in range(steps):
        x, y = _data(loss, batch=8, seed=step)
        net(x)
        ours.zero_grad()
        network_loss(net, y, loss).backward()
        ours.step()
        theirs.zero_grad()
        model_loss(model, x, y, loss).backward()
        theirs.step()
    moved = max(np.abs(p.data - s).max() for p, s in zip(net.parameters(), start))
    assert moved > 1e-2                                  # training really moved the weights
    for ours_w, theirs_w in _same_parameters(net, model):
        np.testing.assert_allclose(theirs_w, ours_w, rtol=0, atol=1e-10)


@pytest.mark.parametrize("output, loss", CASES[-3:])
def test_ten_sgd_steps_keep_both_sides_within_1e_10(output, loss):
    _train_both(lambda p: SGD(p, lr=0.5), lambda p: torch.optim.SGD(p, lr=0.5), loss, output)


def test_ten_sgd_steps_with_momentum_keep_both_sides_within_1e_10():
    _train_both(lambda p: SGD(p, lr=0.3, momentum=0.9),
                lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.9))


@pytest.mark.parametrize("output, loss", CASES[-3:])
def test_ten_adam_steps_keep_both_sides_within_1e_10(output, loss):
    # Same eps placement (lr·m̂ / (√v̂ + eps)) and bias correction on both sides.
    _train_both(lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
                lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
                loss, output)


# --- float32 on request ---

def test_float32_on_request():
    net = MLP([3, 4, 2], ["tanh", "sigmoid"], seed=0)
    model = net.to_torch(dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    x, _ = _data("quadratic")
    out = model(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(out, net(x).data, rtol=0, atol=1e-6)
    back = MLP.from_torch(model)            # float32 weights come back exactly, as float64
    assert back.weights[0].data.dtype == np.float64
    assert np.array_equal(back.weights[0].data, net.weights[0].data.astype(np.float32))


@pytest.mark.parametrize("dtype", [torch.int64, "float32", np.float32])
def test_a_dtype_that_is_not_a_floating_torch_dtype_is_refused(dtype):
    with pytest.raises(TypeError, match="to_torch: dtype must be a floating torch dtype"):
        MLP([2, 1], ["linear"]).to_torch(dtype=dtype)


# --- from_torch: what it reads ---

def test_from_torch_reads_a_state_dict_given_its_activations():
    net = MLP([3, 4, 2], ["relu", "softmax"], seed=5)
    back = MLP.from_torch(net.to_torch().state_dict(), activations=["relu", "softmax"])
    assert back.activations == ["relu", "softmax"]
    assert all(np.array_equal(p.data, q.data) for p, q in zip(net.parameters(),
                                                               back.parameters()))


def test_a_state_dict_without_activations_is_refused():
    sd = MLP([3, 4, 2], ["relu", "softmax"]).to_torch().state_dict()
    with pytest.raises(ValueError, match=r"state_dict holds weights but no activations; pass "
                                         r"activations="):
        MLP.from_torch(sd)


def test_a_module_with_activations_given_twice_is_refused():
    with pytest.raises(TypeError, match="activations= is for a state_dict"):
        MLP.from_torch(MLP([2, 1], ["linear"]).to_torch(), activations=["linear"])


def test_a_linear_without_activation_counts_as_linear():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2).double(), nn.Tanh()).double()
    net = MLP.from_torch(model)
    assert net.layers == [3, 4, 2] and net.activations == ["linear", "tanh"]
    x, _ = _data("quadratic")
    np.testing.assert_allclose(net(x).data, model(torch.tensor(x)).detach().numpy(), atol=1e-12)


def test_a_single_linear_layer_is_a_one_layer_mlp():
    layer = nn.Linear(3, 2, dtype=torch.float64)
    net = MLP.from_torch(layer)
    assert net.layers == [3, 2] and net.activations == ["linear"]
    assert np.array_equal(net.weights[0].data, layer.weight.detach().numpy())


def test_softmax_with_dim_1_is_accepted():
    model = nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1))
    assert MLP.from_torch(model).activations == ["softmax"]


# --- from_torch: what it refuses, naming the layer and its type ---

@pytest.mark.parametrize("modules, index, name, hint", [
    ([nn.Conv2d(1, 1, 3), nn.Linear(3, 2)], 0, "Conv2d", "dense \\(Linear\\) layers only"),
    ([nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 2)], 2, "Dropout",
     "no dropout"),
    ([nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)], 1, "BatchNorm1d",
     "no batch normalisation"),
    ([nn.Linear(3, 4), nn.LeakyReLU(), nn.Linear(4, 2)], 1, "LeakyReLU", "no counterpart"),
])
def test_a_layer_microgradnn_lacks_is_refused_by_index_and_type(modules, index, name, hint):
    with pytest.raises(ValueError, match=rf"from_torch: layer {index} \({name}\) cannot be "
                                         rf"converted: .*{hint}"):
        MLP.from_torch(nn.Sequential(*modules))


@pytest.mark.parametrize("modules, message", [
    ([nn.Linear(3, 4, bias=False), nn.Tanh()], r"layer 0 \(Linear\) has no bias"),
    ([nn.Linear(3, 4), nn.Tanh(), nn.Linear(5, 2)],
     r"layer 2 \(Linear\) takes 5 inputs, but layer 0 \(Linear\) gives 4 outputs"),
    ([nn.Linear(3, 4), nn.Softmax(dim=-1), nn.Linear(4, 2)],
     r"layer 1 \(Softmax\) is not the last layer"),
    ([nn.Linear(3, 4), nn.Softmax(dim=0)], r"layer 1 \(Softmax\) has dim=0"),
    ([nn.Linear(3, 4), nn.Softmax()], r"layer 1 \(Softmax\) has dim=None"),
    ([nn.Linear(3, 4), nn.Tanh(), nn.ReLU()], r"layer 2 \(ReLU\) does not follow a Linear"),
    ([nn.Tanh(), nn.Linear(3, 4)], r"layer 0 \(Tanh\) does not follow a Linear"),
    ([], r"the Sequential is empty"),
])
def test_a_model_a_dense_mlp_cannot_represent_is_refused(modules, message):
    with pytest.raises(ValueError, match=message):
        MLP.from_torch(nn.Sequential(*modules))


def test_a_module_that_is_not_a_sequential_is_refused_by_type():
    class Net(nn.Module):
        def forward(self, x):
            return x
    with pytest.raises(TypeError, match="expected a torch.nn.Sequential .*, got Net"):
        MLP.from_torch(Net())
    with pytest.raises(TypeError, match="expected a torch.nn.Sequential or a state_dict, got list"):
        MLP.from_torch([nn.Linear(2, 1)])


def test_a_linear_with_its_own_forward_is_refused():
    class Scaled(nn.Linear):
        def forward(self, x):
            return 2 * super().forward(x)
    with pytest.raises(ValueError, match=r"layer 0 \(Scaled\) is a Linear with its own forward"):
        MLP.from_torch(nn.Sequential(Scaled(2, 3)))


def test_model_loss_names_itself_when_the_model_cannot_be_read():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"model_loss: layer 1 \(Dropout\) cannot be converted"):
        model_loss(model, np.ones((2, 2)), np.ones(2))


@pytest.mark.parametrize("state, message", [
    (nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).state_dict(),
     r"state_dict entry '1.running_mean' is not a Linear layer's weight or bias"),
    (nn.Sequential(nn.Conv2d(1, 2, 3)).state_dict(),
     r"the weight of layer '0' has shape \(2, 1, 3, 3\); a Linear weight is 2-D"),
    (nn.Sequential(nn.Linear(3, 4, bias=False)).state_dict(),
     r"layer '0' has a weight but no bias"),
    ({"0.weight": np.ones((4, 3)), "0.bias": np.ones(4), "2.weight": np.ones((2, 5)),
      "2.bias": np.ones(2)}, r"layer '2' takes 5 inputs, but the layer before gives 4"),
    ({"0.weight": np.ones((4, 3)), "0.bias": np.ones(3)},
     r"the bias of layer '0' has shape \(3,\), its weight \(4, 3\) needs \(4,\)"),
])
def test_a_state_dict_a_dense_mlp_cannot_represent_is_refused(state, message):
    with pytest.raises(ValueError, match=message):
        MLP.from_torch(state, activations=["tanh", "tanh"])


def test_integer_weights_are_refused():
    with pytest.raises(TypeError, match="has dtype torch.int64; weights must be floating"):
        MLP.from_torch({"0.weight": torch.ones(2, 3, dtype=torch.int64),
                        "0.bias": torch.ones(2)}, activations=["linear"])


# --- the losses ---

def test_each_loss_equals_ours_with_the_factor_spelled_out():
    r = np.random.default_rng(6)
    z, y01 = torch.tensor(r.standard_normal((5, 3))), r.random((5, 3)).round()
    labels = r.integers(0, 3, 5)
    F = nn.functional
    # quadratic: ½ · Σ (a − y)² / n
    assert torch_loss("quadratic")(z, y01).item() == pytest.approx(
        0.5 * ((z.numpy() - y01) ** 2).sum() / 5, rel=1e-14)
    # PyTorch's default MSELoss is the mean over all n·k numbers, without the ½: 2/k × ours
    assert F.mse_loss(z, torch.tensor(y01)).item() == pytest.approx(
        2 / 3 * torch_loss("quadratic")(z, y01).item(), rel=1e-14)
    # bce: summed over the 3 outputs, averaged over the batch → 3 × PyTorch's default mean
    assert torch_loss("bce")(z, y01).item() == pytest.approx(
        3 * F.binary_cross_entropy_with_logits(z, torch.tensor(y01)).item(), rel=1e-14)
    # cross_entropy: PyTorch's default mean over the batch, labels or one-hot rows alike
    expected = F.cross_entropy(z, torch.tensor(labels)).item()
    assert torch_loss("cross_entropy")(z, labels).item() == pytest.approx(expected, rel=1e-14)
    assert torch_loss("cross_entropy")(z, np.eye(3)[labels]).item() == pytest.approx(expected,
                                                                                     rel=1e-14)


def test_the_loss_says_what_it_computes():
    assert 'MSELoss(reduction="sum")' in repr(torch_loss("quadratic"))
    assert "0.5 *" in torch_loss("quadratic").formula
    assert torch_loss("bce").formula == 'BCEWithLogitsLoss(reduction="sum")(z, y) / n'
    assert torch_loss("bce").reads == torch_loss("cross_entropy").reads == "logits"


def test_a_one_column_target_may_be_a_vector():
    z = torch.tensor([[0.3], [-1.2]], dtype=torch.float64)
    assert torch_loss("bce")(z, [1.0, 0.0]).item() == torch_loss("bce")(z, [[1.0], [0.0]]).item()


@pytest.mark.parametrize("name, target, error, message", [
    ("quadratic", np.ones((4, 3)), ValueError, r"the targets have shape \(4, 3\), the output "
                                               r"has shape \(4, 2\)"),
    ("bce", np.full((4, 2), 2.0), ValueError, r"targets must lie in \[0, 1\]"),
    ("cross_entropy", np.array([0, 1, 2, 1]), ValueError, r"labels must lie in 0..1"),
    ("cross_entropy", np.array([0, 1]), ValueError, r"2 targets for a batch of 4"),
])
def test_bad_targets_get_a_clear_error(name, target, error, message):
    with pytest.raises(error, match=rf"torch_loss\('{name}'\): .*{message}"):
        torch_loss(name)(torch.zeros(4, 2, dtype=torch.float64), target)


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="torch_loss: unknown loss 'hinge'; known: quadratic"):
        torch_loss("hinge")


def test_a_cross_entropy_needs_the_matching_output_layer():
    with pytest.raises(ValueError, match="the 'bce' loss needs a sigmoid output layer"):
        model_loss(MLP([2, 2], ["tanh"]).to_torch(), np.ones((1, 2)), [[1.0, 0.0]], "bce")


# --- gradients for the cross-check ---

def test_torch_gradients_leave_the_models_grad_fields_alone():
    model = MLP([3, 4, 2], ["tanh", "sigmoid"]).to_torch()
    x, y = _data("quadratic")
    torch_gradients(model, x, y)
    assert all(p.grad is None for p in model.parameters())


def test_torch_gradients_are_what_crosscheck_gradients_takes_in_rows_layout():
    net = MLP([3, 4, 2], ["relu", "softmax"], seed=8)
    x, y = _data("cross_entropy")
    dw, db, deltas = torch_gradients(net.to_torch(), x, y, "cross_entropy")
    report = crosscheck_gradients(net, x, y, dw, db, deltas=deltas, layout="rows",
                                  loss="cross_entropy", rtol=1e-12)
    assert report.ok, report


def test_crosscheck_gradients_takes_the_models_grad_tensors_like_hand_written_ones():
    net = MLP([3, 4, 2], ["tanh", "sigmoid"], seed=9)
    model = net.to_torch()
    x, y = _data("bce")
    model_loss(model, x, y, "bce").backward()
    linears = [model[0], model[2]]
    report = crosscheck_gradients(net, x, y, [m.weight.grad for m in linears],
                                  [m.bias.grad for m in linears], layout="rows", loss="bce")
    assert report.ok, report


@pytest.mark.parametrize("output, loss", CASES)
def test_crosscheck_of_a_pytorch_model_against_bp1_to_bp4_is_one_call(output, loss):
    model = MLP([3, 5, 4, 2], ["tanh", "relu", output], seed=10).to_torch()
    report = crosscheck(model, *_data(loss), loss=loss, rtol=1e-12)
    assert report.ok, report
    assert "your PyTorch model" in str(report) and "BP1–BP4" in str(report)
    assert len(report.rows) == 9


def test_crosscheck_of_a_model_with_an_inplace_relu_sees_the_pre_activations():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(inplace=True), nn.Linear(5, 2)).double()
    report = crosscheck(model, *_data("quadratic"), rtol=1e-12)
    assert report.ok, report


def test_crosscheck_of_a_pytorch_model_finds_a_wrong_gradient():
    model = MLP([3, 5, 4, 2], ["tanh", "relu", "sigmoid"], seed=11).to_torch()
    model[2].weight.register_hook(lambda g: 2 * g)     # a bug in layer 2's ∂C/∂W
    report = crosscheck(model, *_data("quadratic"))
    assert report.first_failure == (2, "BP4"), report


def test_crosscheck_of_a_float32_model_passes_at_float32_precision():
    model = MLP([3, 5, 2], ["tanh", "sigmoid"], seed=12).to_torch(torch.float32)
    assert crosscheck(model, *_data("bce"), loss="bce", rtol=1e-4).ok


# --- PyTorch stays optional ---

def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_without_pytorch_the_bridge_says_how_to_install_it():
    result = _run("""
import json, sys
sys.modules["torch"] = None                   # as if PyTorch were not installed
import microgradnn.torch_bridge as tb         # importing the bridge itself still works
from microgradnn.check import crosscheck
from microgradnn.nn import MLP
net = MLP([2, 1], ["linear"])
calls = {"to_torch": lambda: net.to_torch(),
         "from_torch": lambda: MLP.from_torch({"0.weight": [[1.0, 2.0]], "0.bias": [0.0]},
                                              activations=["linear"]),
         "torch_loss": lambda: tb.torch_loss("quadratic"),
         "model_loss": lambda: tb.model_loss(None, [[1.0, 2.0]], [1.0]),
         "torch_gradients": lambda: tb.torch_gradients(None, [[1.0, 2.0]], [1.0])}
out = {}
for name, call in calls.items():
    try:
        call()
        out[name] = "no error"
    except ImportError as e:
        out[name] = str(e)
out["crosscheck still works"] = bool(crosscheck(net, [[1.0, 2.0]], [[0.5]]).ok)
print(json.dumps(out))
""")
    assert result.pop("crosscheck still works") is True
    for name, message in result.items():
        assert "pip install torch" in message, (name, message)


def test_importing_microgradnn_and_every_submodule_never_imports_pytorch():
    result = _run("""
import importlib, json, pkgutil, sys
import microgradnn
names = sorted(m.name for m in pkgutil.walk_packages(microgradnn.__path__, "microgradnn."))
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "torch": "torch" in sys.modules}))
""")
    assert "microgradnn.bridges.pytorch" in result["modules"] and "microgradnn.network.nn" in result["modules"]
    assert result["torch"] is False


# --- from_torch refuses what it cannot convert exactly: activations that do not fit a
# --- state_dict, a diverged model, a layer with no numbers yet ----------------------------

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
