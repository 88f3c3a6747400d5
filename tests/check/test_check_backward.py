"""check_backward: a hand-written backward of a numpy layer against autodiff of its forward.

Right backwards pass; a planted slip is named with the input, the factor or both shapes and the
slip (a transpose, a missing sum over the batch, a broadcast not undone); CS231n's conventions
((out, cache), (loss, dx), a bn_param dict) work; what cannot be checked is refused with why.
"""
import numpy as np
import pytest

from microgradnn.check import check_backward

rng = np.random.default_rng(0)
X, GAMMA, BETA = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(4)


# --- the layers, CS231n style ---------------------------------------------------------------------

def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b


def affine_backward(dout, x, w, b):
    flat = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x)


def relu_backward(dout, x):
    return dout * (x > 0)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mu, var = np.mean(x, axis=0), np.var(x, axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    bn_param["running_mean"] = 0.9 * bn_param.get("running_mean", 0.0) + 0.1 * mu
    return gamma * x_hat + beta, (x_hat, gamma, var, eps)


def batchnorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    n = dout.shape[0]
    dx_hat = dout * gamma
    dx = (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) \
        / (n * np.sqrt(var + eps))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu, var = np.mean(x, axis=1, keepdims=True), np.var(x, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, var, eps)


def layernorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    d = x_hat.shape[1]
    dx_hat = dout * gamma
    dx = (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)) / (d * np.sqrt(var + eps))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    probs = np.exp(log_probs)
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins = np.where(np.arange(x.shape[1]) == np.asarray(y)[:, None], 0.0, margins)
    loss = np.sum(margins) / n
    positive = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(n), y] -= positive
    dx /= n
    return loss, dx


def with_slip(backward, k, slip):
    def wrong(dout, *args):
        grads = list(backward(dout, *args)) if isinstance(backward(dout, *args), tuple) \
            else [backward(dout, *args)]
        grads[k] = slip(grads[k], dout, *args)
        return tuple(grads) if len(grads) > 1 else grads[0]
    return wrong


AFFINE = (affine_forward, affine_backward, rng.standard_normal((4, 2, 3)),
          rng.standard_normal((6, 5)), rng.standard_normal(5))
RELU = (relu_forward, relu_backward, X)
BATCHNORM = (batchnorm_forward, batchnorm_backward, X, GAMMA, BETA, {"eps": 1e-5})
LAYERNORM = (layernorm_forward, layernorm_backward, X, GAMMA, BETA)
LABELS = np.array([0, 3, 1, 1, 2, 0])


# --- right backwards pass -------------------------------------------------------------------------

@pytest.mark.parametrize("case", [AFFINE, RELU, BATCHNORM, LAYERNORM],
                         ids=["affine", "relu", "batchnorm", "layernorm"])
def test_a_right_backward_agrees_on_every_input(case):
    report = check_backward(*case)
    assert report and all(c.ok for c in report.inputs), str(report)


@pytest.mark.parametrize("loss", [softmax_loss, svm_loss], ids=["softmax", "svm"])
def test_a_loss_that_returns_its_own_gradient_is_checked_with_backward_none(loss):
    assert check_backward(loss, None, X, LABELS)


def test_the_inputs_that_are_not_float_arrays_pass_through_unchanged():
    bn_param = {"eps": 1e-5}
    report = check_backward(batchnorm_forward, batchnorm_backward, X, GAMMA, BETA, bn_param)
    assert [c.name for c in report.inputs] == ["x", "gamma", "beta"]
    assert bn_param == {"eps": 1e-5}                   # each run got its own copy


# --- slips named ----------------------------------------------------------------------------------

def test_a_doubled_dgamma_is_named_with_its_input_and_factor():
    wrong = with_slip(batchnorm_backward, 1, lambda g, *_: 2 * g)
    report = check_backward(batchnorm_forward, wrong, *BATCHNORM[2:])
    assert not report
    assert [c.name for c in report.inputs if not c.ok] == ["gamma"]
    assert report["gamma"].factor == pytest.approx(2.0)
    assert "gamma: DISAGREES" in str(report) and "2× the gradient" in str(report)


def test_a_transposed_dw_is_named_with_both_shapes():
    wrong = with_slip(affine_backward, 1, lambda g, *_: g.T)
    report = check_backward(affine_forward, wrong, *AFFINE[2:])
    text = str(report["w"])
    assert "your gradient has shape (5, 6), the input has shape (6, 5)" in text
    assert report["w"].slips == ["a transpose"]


@pytest.mark.parametrize("case, k, slip, name, expected", [
    (AFFINE, 2, lambda g, dout, *a: dout, "b", "a missing sum over the batch"),
    (AFFINE, 0, lambda g, *_: -g, "x", "a sign"),
    (RELU, 0, lambda g, dout, x: dout * (x >= 0) / x.shape[0], "x",
     "divided by the batch size once too often"),
    (BATCHNORM, 1, lambda g, dout, cache: dout * cache[0], "gamma", "a missing sum over the batch"),
    (BATCHNORM, 2, lambda g, dout, cache: g * dout.shape[0], "beta", "not divided by the batch size"),
    (LAYERNORM, 1, lambda g, *_: 0.5 * g, "gamma", "a ½ too many"),
    ((layernorm_forward, layernorm_backward, X, GAMMA, BETA.reshape(1, 4)), 2,
     lambda g, dout, cache: dout, "beta", "a broadcast not undone (sum over the broadcast axes)"),
], ids=["affine_db_unsummed", "affine_dx_sign", "relu_over_n", "batchnorm_dgamma_unsummed",
        "batchnorm_dbeta_times_n", "layernorm_half", "layernorm_dbeta_broadcast"])
def test_a_planted_slip_is_named(case, k, slip, name, expected):
    forward, backward, *inputs = case
    report = check_backward(forward, with_slip(backward, k, slip), *inputs)
    assert not report[name].ok and report[name].slips == [expected], str(report)


def test_a_slip_in_a_softmax_losss_gradient_is_named():
    def halved(x, y):
        loss, dx = softmax_loss(x, y)
        return loss, dx * x.shape[0]
    report = check_backward(halved, None, X, LABELS)
    assert report["x"].slips == ["not divided by the batch size"]


def test_an_unknown_mistake_gets_the_worst_element_but_no_name():
    wrong = with_slip(relu_backward, 0, lambda g, *_: g + np.eye(6, 4) * 0.3)
    check = check_backward(relu_forward, wrong, X)["x"]
    assert check.worst[0] in {(i, i) for i in range(4)} and check.slips == []


# --- refusals -------------------------------------------------------------------------------------

def test_a_forward_that_writes_values_into_an_ndarray_is_refused_with_that_reason():
    def loop_forward(x):
        out = np.zeros(x.shape[0])
        for i in range(x.shape[0]):
            out[i] = np.sum(x[i])
        return out
    with pytest.raises(ValueError, match="returned ndarray, not a Value.*out\\[i\\] = v"):
        check_backward(loop_forward, lambda dout, x: dout, X)


def test_an_input_the_output_no_longer_depends_on_is_named():
    def forward(x, w):
        return x * w.data if hasattr(w, "data") and not isinstance(w, np.ndarray) else x * w
    with pytest.raises(ValueError, match="does not depend on its input 'w'"):
        check_backward(forward, lambda dout, x, w: (dout * w, dout * x), X, GAMMA)


def test_a_backward_returning_too_few_gradients_is_refused_with_the_counts():
    with pytest.raises(ValueError, match=r"returned 2 gradient\(s\), expected one per float "
                                         r"input: 3 \(x, w, b\)"):
        check_backward(affine_forward, lambda dout, x, w, b: affine_backward(dout, x, w, b)[:2],
                       *AFFINE[2:])


def test_no_float_input_is_refused():
    with pytest.raises(ValueError, match="none of the inputs of relu_forward is a float array"):
        check_backward(relu_forward, relu_backward, np.arange(3))
