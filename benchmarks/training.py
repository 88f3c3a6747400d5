"""One training step (forward, backward, SGD update) of four implementations, side by side.

* expert numpy (benchmarks/expert_numpy.py): BP1–BP4 as a careful numpy programmer writes them
  (σ′ from the stored activation, in-place updates), the baseline every ratio is relative to;
* the Value MLP (microgradnn.nn + losses + optim), the autodiff path users train with;
* the same MLP trained by the loop micrograd's users write (p.grad = 0.0, a cost written with
  -, ** 2 and .sum(), p.data -= lr * p.grad);
* the closed-form network of the seed article (microgradnn.backprop.NeuralNetwork);
* PyTorch eager, float64 (when installed), written the same way (x @ W.T + b, sigmoid).

Every network uses sigmoid layers and the quadratic cost, as in the seed article. The
implementations take turns: each repeat runs a burst of ~20 ms of steps of each one in turn, so
a noisy neighbour slows them alike. A ratio is taken within each repeat (that implementation's
burst against the expert's burst of the same repeat); the table shows the median ratio and, in
brackets, the spread between the repeats' quartiles.

Everything runs on one thread (numpy's BLAS and PyTorch): on a small shared machine that is
both fairer and steadier. Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS yourself to override.

Below the table, the minor page faults per step of each implementation: memory handed back
to the operating system and touched again (the allocator's doing, see docs/performance.md).

    python benchmarks/training.py [--repeats 15] [--case 784-256-10:64] [--before DIR]

``--before DIR`` adds the Value MLP of an older source tree (see benchmarks/before.py), timed
in the same turns.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")      # before numpy is imported

import argparse
import resource
import statistics
import time

import numpy as np

import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expert_numpy import ExpertMLP  # noqa: E402  (the baseline, next to this file)

from microgradnn.backprop import NeuralNetwork
from microgradnn.losses import quadratic
from microgradnn.nn import MLP
from microgradnn.optim import SGD

try:
    import torch
except ImportError:      # PyTorch is optional: its column is left out
    torch = None
else:
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

LR = 0.01
CASES = [([2, 16, 16, 1], 1), ([2, 16, 16, 1], 32), ([2, 16, 16, 1], 256), ([784, 256, 10], 64)]


def value_step(layers, batch, nn=None, losses=None, optim=None):
    """The Value MLP's step; nn, losses, optim: another version's modules (--before)."""
    mlp, loss_fn, sgd = (MLP, quadratic, SGD) if nn is None else (nn.MLP, losses.quadratic, optim.SGD)
    net = mlp(layers, ["sigmoid"] * (len(layers) - 1), seed=0)
    opt = sgd(net.parameters(), lr=LR)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((batch, layers[0])), rng.random((batch, layers[-1]))

    def step():
        loss = loss_fn(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def plain_loop_step(layers, batch):
    """The loop micrograd's users write, on the same Value MLP: p.grad = 0.0 per parameter, the
    cost written with -, ** 2 and .sum(), an update loop over .data (no losses, no optim)."""
    net = MLP(layers, ["sigmoid"] * (len(layers) - 1), seed=0)
    params = net.parameters()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((batch, layers[0])), rng.random((batch, layers[-1]))

    def step():
        loss = ((net(x) - y) ** 2).sum() * (0.5 / batch)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
    return step


def expert_step(layers, batch):
    net = ExpertMLP(layers, seed=0, lr=LR)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((batch, layers[0])), rng.random((batch, layers[-1]))
    return lambda: net.step(x, y)


def closed_form_step(layers, batch):
    net = NeuralNetwork(layers, ["sigmoid"] * (len(layers) - 1), seed=0)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((batch, layers[0])).T.copy(), rng.random((batch, layers[-1])).T.copy()

    def step():
        z_s, a_s = net.feedforward(x)
        dw, db = net.backpropagation(y, z_s, a_s)
        for w, g in zip(net.weights + net.biases, dw + db):   # as NeuralNetwork.train does
            g *= LR
            w -= g
    return step


def torch_step(layers, batch):
    gen = torch.Generator().manual_seed(0)
    params = []
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        params.append(torch.randn(n_out, n_in, generator=gen, dtype=torch.float64,
                                  requires_grad=True))
        params.append(torch.randn(n_out, generator=gen, dtype=torch.float64, requires_grad=True))
    x = torch.randn(batch, layers[0], generator=gen, dtype=torch.float64)
    y = torch.rand(batch, layers[-1], generator=gen, dtype=torch.float64)

    def step():
        a = x
        for i in range(0, len(params), 2):
            a = torch.sigmoid(a @ params[i].T + params[i + 1])
        loss = ((a - y) ** 2).sum() * (0.5 / batch)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
    return step


def time_steps(steps: dict, repeats: int) -> dict:
    """For each named step function, the mean time of one step in each repeat's burst of
    ~20 ms (a list, one entry per repeat). The steps take turns inside every repeat."""
    bursts = {}
    for name, step in steps.items():
        for _ in range(3):
            step()                             # warm up (allocations, caches)
        t0 = time.perf_counter()
        step()
        bursts[name] = max(3, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
    samples = {name: [] for name in steps}
    faults = {name: 0 for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t0 = time.perf_counter()
            for _ in range(bursts[name]):
                step()
            samples[name].append((time.perf_counter() - t0) / bursts[name])
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    return samples, {name: f / (repeats * bursts[name]) for name, f in faults.items()}


def quartiles(xs: list) -> tuple:
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return q[0], statistics.median(xs), q[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--case", action="append", default=None, metavar="LAYERS:BATCH",
                        help="e.g. 784-256-10:64 (repeatable; default: the four standard cases)")
    parser.add_argument("--before", metavar="DIR",
                        help="also time the Value MLP of the microgradnn source tree in DIR")
    args = parser.parse_args()
    cases = CASES if not args.case else [
        ([int(n) for n in c.split(":")[0].split("-")], int(c.split(":")[1])) for c in args.case]
    makers = {"expert numpy": expert_step, "Value MLP": value_step,
              "plain loop": plain_loop_step, "NeuralNetwork": closed_form_step}
    if torch is not None:
        makers["PyTorch eager"] = torch_step
    if args.before:
        import before
        old = before.load(args.before)
        modules = [before.submodule(old, m) for m in ("nn", "losses", "optim")]
        makers["Value MLP before"] = lambda layers, batch: value_step(layers, batch, *modules)
    print(f"one training step (forward + backward + SGD update), sigmoid layers, quadratic cost;"
          f" {args.repeats} interleaved bursts, {os.environ['OMP_NUM_THREADS']} thread(s);"
          f" ratio to expert numpy: median [quartiles]")
    header = f"{'network':<11} {'batch':>5}  {'expert numpy':>12}"
    for name in list(makers)[1:]:
        header += f"  {name + ' (×)':>28}"
    print(header)
    all_faults = []
    for layers, batch in cases:
        samples, faults = time_steps({name: make(layers, batch) for name, make in makers.items()},
                             args.repeats)
        base = samples["expert numpy"]
        row = f"{'-'.join(map(str, layers)):<11} {batch:>5}  " \
              f"{statistics.median(base) * 1e6:>9.1f} µs"
        for name, ts in list(samples.items())[1:]:
            lo, mid, hi = quartiles([t / b for t, b in zip(ts, base)])
            row += f"  {mid:>5.2f}× [{lo:.2f}–{hi:.2f}] {statistics.median(ts) * 1e6:>6.0f} µs"
        print(row, flush=True)
        all_faults.append((layers, batch, faults))
    print("minor page faults per step: " + "; ".join(
        f"{'-'.join(map(str, layers))} batch {batch}: " + ", ".join(
            f"{name} {f:.1f}" for name, f in faults.items()) for layers, batch, faults in all_faults))


if __name__ == "__main__":
    main()
