"""A compiled training step (microgradnn.compile) beside the expert's hand-written numpy BP1–BP4.

* expert numpy (benchmarks/expert_numpy.py), the baseline every ratio is relative to;
* the Value MLP, interpreted: record the graph, backward(), SGD.step();
* the Value MLP, compiled: the graph recorded once, then each step ``f(x, y)`` (forward and
  BP1–BP4 as numpy source) and the same ``SGD.step()``.

Sigmoid layers and the quadratic cost, as in benchmarks/training.py, and timed as it times: the
implementations take turns in bursts of ~20 ms, each ratio taken within one repeat; the table
shows the median and, in brackets, the quartiles over the repeats.

Below it: the compile time of each case, and the compiled gradient of a 2-16-16-1 tanh MLP
against tangent-ad's generated gradient of the same loss (a benchmark-only extra:
``pip install tangent-ad``; left out when it is not installed).

    python benchmarks/compiled.py [--repeats 15]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")      # before numpy is imported

import argparse
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training import CASES, LR, expert_step, quartiles, time_steps, value_step  # noqa: E402

import microgradnn  # noqa: E402
from microgradnn.losses import quadratic  # noqa: E402
from microgradnn.nn import MLP  # noqa: E402
from microgradnn.optim import SGD  # noqa: E402


def compiled_step(layers, batch, activation="sigmoid", compile_times=None):
    net = MLP(layers, [activation] * (len(layers) - 1), seed=0)
    opt = SGD(net.parameters(), lr=LR)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((batch, layers[0])), rng.random((batch, layers[-1]))
    t0 = time.perf_counter()
    loss = quadratic(net(x), y)
    f = microgradnn.compile(loss, ["x", "y"])
    if compile_times is not None:
        compile_times.append(time.perf_counter() - t0)

    def step():
        f(x, y)
        opt.step()
        opt.zero_grad()
    return step


def tangent_versus_compiled(repeats: int = 2000):
    """µs per gradient of a 2-16-16-1 tanh MLP's quadratic loss at batch 32: (tangent-ad,
    compiled), or None without tangent-ad."""
    try:
        import tangent
    except ImportError:
        return None

    def loss_fn(W1, b1, W2, b2, W3, b3, x, y):
        a1 = np.tanh(np.dot(x, np.transpose(W1)) + b1)
        a2 = np.tanh(np.dot(a1, np.transpose(W2)) + b2)
        a3 = np.dot(a2, np.transpose(W3)) + b3
        d = a3 - y
        return 0.5 * np.sum(d * d) / 32.0

    net = MLP([2, 16, 16, 1], ["tanh", "tanh", "linear"], seed=0)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((32, 2)), rng.random((32, 1))
    f = microgradnn.compile(quadratic(net(x), y), ["x", "y"])
    gradient = tangent.grad(loss_fn, wrt=(0, 1, 2, 3, 4, 5))
    params = [p.data for p in net.parameters()]
    f(x, y)
    expected = gradient(*params, x, y)
    worst = max(np.max(np.abs(g - p.grad)) for g, p in zip(expected, net.parameters()))
    if worst > 1e-12:
        raise SystemExit(f"tangent-ad and the compiled gradient disagree by {worst:.1e}")
    times = {"tangent": [], "compiled": []}
    for _ in range(5):                         # interleaved
        t0 = time.perf_counter()
        for _ in range(repeats):
            gradient(*params, x, y)
        times["tangent"].append((time.perf_counter() - t0) / repeats * 1e6)
        t0 = time.perf_counter()
        for _ in range(repeats):
            f(x, y)
        times["compiled"].append((time.perf_counter() - t0) / repeats * 1e6)
    return min(times["tangent"]), min(times["compiled"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"{'case':<22}{'Value MLP':>22}{'compiled':>22}{'expert µs':>12}{'compile ms':>12}")
    for layers, batch in CASES:
        compile_times = []
        steps = {"expert": expert_step(layers, batch), "value": value_step(layers, batch),
                 "compiled": compiled_step(layers, batch, compile_times=compile_times)}
        samples, _ = time_steps(steps, args.repeats)
        cells = []
        for name in ("value", "compiled"):
            q1, med, q3 = quartiles([t / e for t, e in zip(samples[name], samples["expert"])])
            cells.append(f"{med:.2f}× [{q1:.2f}–{q3:.2f}]")
        expert_us = quartiles(samples["expert"])[1] * 1e6
        case = f"{'-'.join(map(str, layers))} batch {batch}"
        print(f"{case:<22}{cells[0]:>22}{cells[1]:>22}{expert_us:>12.1f}"
              f"{compile_times[0] * 1e3:>12.1f}")
    versus = tangent_versus_compiled()
    if versus is None:
        print("tangent-ad is not installed (pip install tangent-ad): its row is left out")
    else:
        t, c = versus
        print(f"gradient of a 2-16-16-1 tanh MLP, batch 32: tangent-ad {t:.1f} µs, compiled "
              f"{c:.1f} µs ({t / c:.1f}× faster)")


if __name__ == "__main__":
    main()
