"""Moving on to PyTorch: the same network, weights, losses and gradients, both ways.

* :func:`to_torch` (``net.to_torch()``) turns an :class:`~microgradnn.nn.MLP` into a
  ``torch.nn.Sequential`` of ``Linear`` layers, each followed by its activation module
  (``Sigmoid``, ``Tanh``, ``ReLU``, ``Identity`` for "linear", ``Softmax(dim=-1)``), holding copies
  of the weights — float64 by default, so both sides compute exactly the same numbers.
* :func:`from_torch` (``MLP.from_torch(module)``) goes back, from such a module or from its
  ``state_dict`` (which holds no activations: pass ``activations=``), and refuses, naming the
  layer and its type, anything a dense MLP cannot represent.
* :func:`torch_loss` gives our losses written with PyTorch's, factors spelled out (n is the
  batch size):

  | ours          | PyTorch                                                    | reads        |
  |---------------|------------------------------------------------------------|--------------|
  | quadratic     | ``0.5 * MSELoss(reduction="sum")(a, y) / n``               | the output a |
  | bce           | ``BCEWithLogitsLoss(reduction="sum")(z, y) / n``           | the logits z |
  | cross_entropy | ``CrossEntropyLoss()(z, labels)``, its default mean over n | the logits z |

  Ours sum over the outputs and average over the batch, so for bce with k outputs PyTorch's
  default ``reduction="mean"`` (over n·k numbers) would be k times smaller; for one output the
  two are the same.
* :func:`model_loss` runs a converted model on a batch and applies the matching loss to its
  output or logits; :func:`torch_gradients` returns the model's ∂C/∂W, ∂C/∂b and δˡ = ∂C/∂zˡ in
  the layout :func:`~microgradnn.check.crosscheck_gradients` takes (``layout="rows"``), and
  ``crosscheck(model, x, y, loss)`` checks a PyTorch model against BP1–BP4 in one call.

PyTorch is optional: importing this module never imports it, and every function here raises an
``ImportError`` saying ``pip install torch`` when it is missing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, Sequence

import numpy as np

from ..network.architecture import LOSSES
from ..network.losses import check_output_activation, one_hot, target_array
from ..network.nn import MLP

INSTALL = ("PyTorch is not installed, and microgradnn.torch_bridge needs it: pip install torch "
           "(the CPU build: pip install torch --index-url https://download.pytorch.org/whl/cpu)")

# Our activation names and the torch.nn module class that computes each.
MODULES = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "linear": "Identity",
           "softmax": "Softmax"}
_NAMES = {cls: name for name, cls in MODULES.items()}

# Why a layer a dense MLP lacks cannot simply be dropped, by the start of its class name.
_HINTS = {
    "Dropout": "microgradnn has no dropout; it is the identity in eval mode, so to convert "
               "trained weights, rebuild the Sequential without it",
    "BatchNorm": "microgradnn has no batch normalisation; fold it into the Linear layer "
                 "before it, or rebuild the Sequential without it",
    "Conv": "microgradnn has dense (Linear) layers only",
}
_CONVERTIBLE = ("a torch.nn.Sequential of Linear layers (with bias), each followed by at most "
                "one of Sigmoid, Tanh, ReLU, Identity or Softmax(dim=-1) (on the output only)")


def _torch():
    try:
        import torch
    except ImportError:      # not installed, or blocked (sys.modules["torch"] = None)
        raise ImportError(INSTALL) from None
    return torch


# ---------------------------------------------------------------------------------------------
# MLP → torch
# ---------------------------------------------------------------------------------------------

def to_torch(net, dtype=None):
    """A ``torch.nn.Sequential`` computing what ``net`` computes, with copies of its weights.

    Layer l of the MLP becomes ``Linear(layers[l-1], layers[l])`` (same W of shape (out, in),
    same b) followed by its activation module; "linear" becomes ``Identity`` so that every
    Linear sits at an even index. ``dtype`` is a floating torch dtype, float64 by default
    (bit-identical weights, outputs equal to ~1e-16); ``torch.float32`` rounds the weights.
    """
    torch = _torch()
    if dtype is None:
        dtype = torch.float64
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"to_torch: dtype must be a floating torch dtype such as torch.float64 "
                        f"or torch.float32, got {dtype!r}")
    modules = []
    for W, b, act in zip(net.weights, net.biases, net.activations):
        n_out, n_in = W.shape
        # skip_init: no random initialisation, so converting leaves torch's global RNG alone.
        linear = torch.nn.utils.skip_init(torch.nn.Linear, n_in, n_out, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.asarray(W.data, dtype=np.float64)))
            linear.bias.copy_(torch.from_numpy(np.asarray(b.data, dtype=np.float64)))
        modules.append(linear)
        module = getattr(torch.nn, MODULES[act])
        modules.append(module(dim=-1) if act == "softmax" else module())
    return torch.nn.Sequential(*modules)


# ---------------------------------------------------------------------------------------------
# torch → MLP
# ---------------------------------------------------------------------------------------------

def _layers(model, where: str = "from_torch") -> list:
    """[(index, Linear, activation name), ...] of a convertible module, or a clear error."""
    torch = _torch()
    nn = torch.nn
    if isinstance(model, nn.Linear):
        modules = [model]
    elif isinstance(model, nn.Sequential):
        modules = list(model)
    else:
        raise TypeError(f"{where}: expected a torch.nn.Sequential (or one Linear), got "
                        f"{type(model).__name__}; a convertible model is {_CONVERTIBLE}")
    if not modules:
        raise ValueError(f"{where}: the Sequential is empty; it needs at least one Linear layer")
    _refuse_hooks(model, where, _FORWARD_HOOKS)
    found: list = []
    for i, m in enumerate(modules):
        kind = type(m).__name__
        if isinstance(m, nn.Linear):
            if type(m).forward is not nn.Linear.forward:
                raise ValueError(f"{where}: layer {i} ({kind}) is a Linear with its own "
                                 f"forward; only torch.nn.Linear's x Wᵀ + b can be converted")
            if m.bias is None:
                raise ValueError(f"{where}: layer {i} ({kind}) has no bias (bias=False); "
                                 f"microgradnn's layers always have one: build it with "
                                 f"bias=True and zero the bias (torch.nn.init.zeros_)")
            if found and m.in_features != found[-1][1].out_features:
                raise ValueError(f"{where}: layer {i} ({kind}) takes {m.in_features} "
                                 f"inputs, but layer {found[-1][0]} (Linear) gives "
                                 f"{found[-1][1].out_features} outputs")
            if found and found[-1][2] is None:
                found[-1][2] = "linear"           # Linear right after Linear: no activation
            found.append([i, m, None])
            continue
        name = _NAMES.get(kind) if type(m).__module__.startswith("torch.nn") else None
        if name is None:
            hint = next((h for prefix, h in _HINTS.items() if kind.startswith(prefix)),
                        "it has no counterpart in microgradnn")
            raise ValueError(f"{where}: layer {i} ({kind}) cannot be converted: {hint}; a "
                             f"convertible model is {_CONVERTIBLE}")
        if name == "softmax":
            if m.dim not in (-1, 1):
                raise ValueError(f"{where}: layer {i} (Softmax) has dim={m.dim}; microgradnn's "
                                 f"softmax runs over the features of each example: dim=-1 "
                                 f"(or 1)")
            if i != len(modules) - 1:
                raise ValueError(f"{where}: layer {i} (Softmax) is not the last layer; "
                                 f"microgradnn allows softmax on the output layer only")
        if not found or found[-1][2] is not None:
            raise ValueError(f"{where}: layer {i} ({kind}) does not follow a Linear layer; "
                             f"a convertible model is {_CONVERTIBLE}")
        found[-1][2] = name
    if found[-1][2] is None:
        found[-1][2] = "linear"
    return [tuple(f) for f in found]


# A hook changes what a module computes (or, backward, the gradients it passes), and the
# converted network would not run it: such a module is refused, the hooks named.
_FORWARD_HOOKS = {"_forward_pre_hooks": "forward pre-hook", "_forward_hooks": "forward hook"}
_BACKWARD_HOOKS = {"_backward_pre_hooks": "backward pre-hook", "_backward_hooks": "backward hook"}


def _refuse_hooks(model, where: str, kinds: dict) -> None:
    """ValueError naming the hooks of ``kinds`` on the model, its layers, or every module."""
    torch = _torch()
    every = torch.nn.modules.module
    # An uninitialised Lazy layer's own pre-hook (it infers the shapes): not the user's, and
    # the layer is refused for having no numbers yet.
    lazy = getattr(getattr(torch.nn.modules, "lazy", None), "LazyModuleMixin", None)
    infer = getattr(lazy, "_infer_parameters", None)
    found = []
    for attr, kind in kinds.items():
        for hook in getattr(every, "_global" + attr, {}).values():
            found.append(f"a global {kind} {_hook_name(hook)} (on every module: "
                         "torch.nn.modules.module.register_module_..._hook)")
        for name, m in model.named_modules():
            at = f"layer {name} ({type(m).__name__})" if name else f"the {type(m).__name__}"
            for hook in getattr(m, attr, {}).values():
                if getattr(hook, "__func__", None) is infer and infer is not None:
                    continue
                found.append(f"{at} has a {kind} {_hook_name(hook)}")
    if found:
        raise ValueError(f"{where}: {'; '.join(found)}; a hook changes what the model "
                         "computes (or the gradients it passes back), and microgradnn would "
                         "not run it: remove the hooks (handle.remove() on the handle "
                         "register_..._hook returned) and try again")


def _hook_name(hook) -> str:
    return repr(getattr(hook, "__qualname__", None) or type(hook).__name__)


def _as_array(value, where: str) -> np.ndarray:
    """A tensor (any device, any float dtype) or array as a float64 numpy copy, all finite."""
    if hasattr(value, "detach"):                 # a torch tensor
        if not value.is_floating_point():
            raise TypeError(f"from_torch: {where} has dtype {value.dtype}; weights must be "
                            f"floating point")
        try:
            arr = value.detach().cpu().double().numpy().copy()
        except (RuntimeError, ValueError, NotImplementedError) as e:
            # an uninitialised LazyLinear, a tensor on the "meta" device: no numbers to copy
            raise ValueError(f"from_torch: {where} holds no values to copy "
                             f"({type(e).__name__}: {str(e).splitlines()[0][:160]})") from None
    else:
        arr = np.asarray(value)
        if arr.dtype.kind != "f":
            raise TypeError(f"from_torch: {where} has dtype {arr.dtype}; weights must be "
                            f"floating point")
        arr = np.array(arr, dtype=np.float64)
    bad = arr.size - int(np.count_nonzero(np.isfinite(arr)))
    if bad:   # as a checkpoint refuses them: a diverged model is not carried over silently
        raise ValueError(f"from_torch: {where} has {bad} NaN or inf value(s); refusing a "
                         f"diverged model")
    return arr


def _from_state_dict(state: Mapping, activations) -> tuple:
    """(weights, biases) from a state_dict of Linear layers: '<prefix>.weight', '<prefix>.bias'."""
    if activations is None:
        raise ValueError("from_torch: a state_dict holds weights but no activations; pass "
                         "activations=[...] (one name per Linear layer, e.g. "
                         "['tanh', 'sigmoid'])")
    groups: dict = {}
    for key, value in state.items():
        prefix, _, leaf = str(key).rpartition(".")
        if leaf not in ("weight", "bias"):
            raise ValueError(f"from_torch: state_dict entry {key!r} is not a Linear layer's "
                             f"weight or bias (a BatchNorm's statistics?); a convertible "
                             f"model is {_CONVERTIBLE}")
        groups.setdefault(prefix, {})[leaf] = _as_array(value, f"state_dict entry {key!r}")
    if not groups:
        raise ValueError("from_torch: the state_dict is empty")
    weights, biases = [], []
    for prefix in _in_layer_order(list(groups)):
        entry = groups[prefix]
        where = f"layer {prefix!r}" if prefix else "the layer"
        if "bias" not in entry:
            raise ValueError(f"from_torch: {where} has a weight but no bias (a Linear with "
                             f"bias=False?); microgradnn's layers always have one")
        if "weight" not in entry:
            raise ValueError(f"from_torch: {where} has a bias but no weight")
        W, b = entry["weight"], entry["bias"]
        if W.ndim != 2:
            raise ValueError(f"from_torch: the weight of {where} has shape {W.shape}; a "
                             f"Linear weight is 2-D (out, in) (a convolution's is not)")
        if b.shape != (W.shape[0],):
            raise ValueError(f"from_torch: the bias of {where} has shape {b.shape}, its "
                             f"weight {W.shape} needs ({W.shape[0]},)")
        if weights and W.shape[1] != weights[-1].shape[0]:
            raise ValueError(f"from_torch: {where} takes {W.shape[1]} inputs, but the layer "
                             f"before gives {weights[-1].shape[0]} outputs")
        weights.append(W)
        biases.append(b)
    return weights, biases, activations


def _in_layer_order(prefixes: list) -> list:
    """The layer prefixes of a Sequential's state_dict ('0', '2', '4' or 'net.0', ...) in the
    order of their index — not the dict's order, which a sorted dict makes 0, 10, 2 — with no
    duplicate, starting at 0, and at most one module without weights (an activation) between
    two Linear layers, as in a Sequential from_torch could convert."""
    if prefixes == [""]:
        return prefixes                                 # one Linear's own state_dict
    heads, index = set(), {}
    for prefix in prefixes:
        head, _, tail = prefix.rpartition(".")
        if not (tail.isdecimal() and tail.isascii()):
            raise ValueError(f"from_torch: state_dict layer {prefix!r} is not named by its "
                             "position in a Sequential ('0.weight', '2.weight', ...), so the "
                             "order of the layers is unknown; convert the Sequential itself, "
                             "or rename the entries by position")
        heads.add(head)
        k = int(tail)
        if k in index:
            raise ValueError(f"from_torch: state_dict layers {index[k]!r} and {prefix!r} both "
                             f"have index {k}")
        index[k] = prefix
    if len(heads) > 1:
        raise ValueError(f"from_torch: the state_dict holds layers of several modules "
                         f"({', '.join(repr(h) for h in sorted(heads))}); pass one "
                         "Sequential's state_dict")
    order = sorted(index)
    gaps = [(a, b) for a, b in zip([-1] + order, order) if b - a > 2 or (a == -1 and b > 0)]
    if gaps:
        a, b = gaps[0]
        where = "before the first Linear layer" if a == -1 else \
            f"between layers {index[a]!r} and {index[b]!r}"
        raise ValueError(f"from_torch: the state_dict has a gap {where} (indexes "
                         f"{'-' if a == -1 else a} to {b}): a layer is missing, or more than "
                         "one activation sits between two Linear layers; a convertible model "
                         f"is {_CONVERTIBLE}")
    return [index[k] for k in order]


def from_torch(module, activations: Optional[Sequence[str]] = None):
    """An :class:`~microgradnn.nn.MLP` with the weights (copied, as float64) of ``module``.

    ``module`` is a ``torch.nn.Sequential`` like :func:`to_torch` makes (a ``Linear`` with
    nothing after it counts as "linear"), a single ``Linear``, or such a model's
    ``state_dict()``; a state_dict holds no activations, so then pass ``activations=`` (our
    names: sigmoid, tanh, relu, linear, softmax).
    """
    torch = _torch()
    if isinstance(module, Mapping):
        weights, biases, activations = _from_state_dict(module, activations)
    elif isinstance(module, torch.nn.Module):
        if activations is not None:
            raise TypeError("from_torch: activations= is for a state_dict; a module carries "
                            "its own activation layers")
        found = _layers(module)
        weights = [_as_array(m.weight, f"layer {i} (Linear) weight") for i, m, _ in found]
        biases = [_as_array(m.bias, f"layer {i} (Linear) bias") for i, m, _ in found]
        activations = [act for _, _, act in found]
    else:
        raise TypeError(f"from_torch: expected a torch.nn.Sequential or a state_dict, got "
                        f"{type(module).__name__}")
    try:
        net = MLP([weights[0].shape[1]] + [W.shape[0] for W in weights], activations)
    except (TypeError, ValueError) as e:    # activations= that do not fit the state_dict
        raise type(e)(f"from_torch: {e}") from None
    for p, arr in zip(net.parameters(), [a for pair in zip(weights, biases) for a in pair]):
        p.data[...] = arr                           # in place: exact copies, float64
    net.origin = ("weights copied from a PyTorch state_dict" if isinstance(module, Mapping)
                  else f"weights copied from a PyTorch {type(module).__name__}")
    return net


# ---------------------------------------------------------------------------------------------
# Losses and gradients
# ---------------------------------------------------------------------------------------------

class TorchLoss:
    """One of our losses computed with PyTorch's; call it as ``loss(input, target)``.

    ``input`` is what our loss reads (``.reads``): the model's output aᴸ for "quadratic", the
    logits zᴸ (the last Linear's output) for "bce" and "cross_entropy"; ``target`` is in our
    layout — (n, outputs) rows, (n,) for one output, or for "cross_entropy" integer labels (n,)
    or one-hot rows — as an array, a list or a tensor. The result is a 0-d tensor equal to our
    loss; ``.formula`` (and ``repr``) spell out the PyTorch expression, n the batch size.
    """

    def __init__(self, name: str) -> None:
        torch = _torch()
        if name not in LOSSES:
            raise ValueError(f"torch_loss: unknown loss {name!r}; known: {', '.join(LOSSES)}")
        self.name = name
        self.reads = "output" if name == "quadratic" else "logits"
        if name == "quadratic":        # C = 1/(2n) Σₓ ‖a − y‖²
            self.module = torch.nn.MSELoss(reduction="sum")
            self.formula = '0.5 * MSELoss(reduction="sum")(a, y) / n'
        elif name == "bce":            # C = 1/n Σₓ Σⱼ BCE(σ(zⱼ), yⱼ): summed over the outputs
            self.module = torch.nn.BCEWithLogitsLoss(reduction="sum")
            self.formula = 'BCEWithLogitsLoss(reduction="sum")(z, y) / n'
        else:                          # C = −1/n Σₓ ln softmax(z)_label: the default mean
            self.module = torch.nn.CrossEntropyLoss()
            self.formula = "CrossEntropyLoss()(z, labels), its default mean over the batch"

    def __call__(self, input, target):
        torch = _torch()
        where = f"torch_loss({self.name!r})"
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"{where}: the input must be a torch tensor (the model's "
                            f"{self.reads}), got {type(input).__name__}")
        if input.ndim != 2 or input.shape[0] == 0:
            raise ValueError(f"{where}: the input must have shape (batch, outputs) with at "
                             f"least one example, got {tuple(input.shape)}")
        n, k = input.shape
        y = target
        if isinstance(target, torch.Tensor):
            y = target.detach().cpu()
            if y.is_floating_point():            # bfloat16, float16 ...: exact in float64,
                y = y.double()                   # and numpy has no bfloat16
            y = y.numpy()
        if self.name == "cross_entropy":
            rows = one_hot(y, k, where)          # checks labels or rows as our loss does
            labels = np.ndim(y) == 1
            if len(rows) != n:
                raise ValueError(f"{where}: {len(rows)} targets for a batch of {n}")
            t = torch.as_tensor(rows.argmax(axis=1) if labels else rows, device=input.device,
                                dtype=torch.long if labels else input.dtype)
            return self.module(input, t)
        t = target_array(y, (n, k), where)
        if self.name == "bce" and np.any((t < 0) | (t > 1)):
            raise ValueError(f"{where}: targets must lie in [0, 1], got values from "
                             f"{t.min()} to {t.max()}")
        t = torch.as_tensor(t, dtype=input.dtype, device=input.device)
        scale = 0.5 / n if self.name == "quadratic" else 1.0 / n
        return self.module(input, t) * scale

    def __repr__(self) -> str:
        return f"torch_loss({self.name!r}): {self.formula}, on the {self.reads}"


def torch_loss(name: str) -> TorchLoss:
    """The PyTorch loss equal to our loss ``name`` ("quadratic", "bce", "cross_entropy"), as a
    callable ``(input, target) → 0-d tensor`` (see :class:`TorchLoss` for what it reads)."""
    return TorchLoss(name)


def _forward(model, x, found: list, where: str) -> tuple:
    """(output, [z1, ..., zL]): the model run module by module, keeping each Linear's output."""
    torch = _torch()
    W = found[0][1].weight
    if isinstance(x, torch.Tensor):
        x = x.to(dtype=W.dtype, device=W.device)
    else:
        x = torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=W.dtype, device=W.device)
    n_in = found[0][1].in_features
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"{where}: the model expects an input of shape (batch, {n_in}), got "
                         f"{tuple(x.shape)}")
    modules = [model] if isinstance(model, torch.nn.Linear) else list(model)
    linear = {i for i, _, _ in found}
    zs, h = [], x
    for i, m in enumerate(modules):
        h = m(h)
        if i in linear:
            zs.append(h)                         # zˡ = aˡ⁻¹ Wᵀ + b
            if i + 1 < len(modules) and getattr(modules[i + 1], "inplace", False):
                h = h.clone()                    # ReLU(inplace=True) would overwrite zˡ
    return h, zs


def model_loss(model, x, y, loss: str = "quadratic"):
    """Our loss ``loss`` of a converted PyTorch ``model`` on the batch (x, y), as a 0-d tensor
    ready for ``.backward()``: like :func:`microgradnn.losses.network_loss`, it reads the
    output for "quadratic" and the logits for "bce" (sigmoid output) and "cross_entropy"
    (softmax output). x: (batch, inputs), an array or a tensor; y in our layout."""
    fn = torch_loss(loss)
    found = _layers(model, "model_loss")
    check_output_activation(found[-1][2], loss)
    out, zs = _forward(model, x, found, "model_loss")
    return fn(out if fn.reads == "output" else zs[-1], y)


def torch_gradients(model, x, y, loss: str = "quadratic") -> tuple:
    """(dw, db, deltas) of a PyTorch ``model`` on (x, y), as float64 arrays in the MLP's row
    layout: dw[l] is ∂C/∂W (out, in), db[l] ∂C/∂b (out,), deltas[l] δ = ∂C/∂z (batch, out) of
    Linear layer l+1 — what ``crosscheck_gradients(..., layout="rows")`` takes. Computed with
    ``torch.autograd.grad``, so the model's own ``.grad`` fields are left as they were."""
    torch = _torch()
    fn = torch_loss(loss)
    found = _layers(model, "torch_gradients")
    _refuse_hooks(model, "torch_gradients", _BACKWARD_HOOKS)
    check_output_activation(found[-1][2], loss)
    for i, m, _ in found:
        if not (m.weight.requires_grad and m.bias.requires_grad):
            raise ValueError(f"torch_gradients: layer {i} (Linear) is frozen "
                             f"(requires_grad=False); unfreeze it to get its gradients")
    with torch.enable_grad():                    # also inside a caller's torch.no_grad()
        out, zs = _forward(model, x, found, "torch_gradients")
        cost = fn(out if fn.reads == "output" else zs[-1], y)
        Ws = [m.weight for _, m, _ in found]
        bs = [m.bias for _, m, _ in found]
        grads = torch.autograd.grad(cost, [*Ws, *bs, *zs])
    arrays = [g.detach().cpu().double().numpy() for g in grads]
    L = len(found)
    return arrays[:L], arrays[L:2 * L], arrays[2 * L:]


# The network's own spelling of these, net.to_torch() and MLP.from_torch(model): attached here,
# by the bridge, so that microgradnn.network never imports it (nor, so, PyTorch).
MLP.to_torch = to_torch
MLP.from_torch = staticmethod(from_torch)
