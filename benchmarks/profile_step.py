"""Where the time of one Value MLP training step goes, next to the expert numpy step.

The step (forward, quadratic loss, zero_grad, backward, SGD update) is run for real, then its
numpy work is replayed without the engine: every op's forward on its parents' data, every VJP
on the gradient that reached the node, the shared unbroadcast, the accumulation of gradients
that meet at a node, the optimizer's arithmetic, the input checks. What the real step costs
beyond that replay is Python bookkeeping (node objects, the walk, dispatch, labels).

    python benchmarks/profile_step.py [2-16-16-1:32 ...]

Each figure is the fastest of 21 bursts of ~5 ms, taken in turns (on a loaded machine the
minimum is the least disturbed run, which is what a breakdown needs), and then the median of
that over 5 rounds; the spread of the rounds is printed for the totals. benchmarks/training.py
reports medians of ratios and their spread instead.

    python benchmarks/profile_step.py [--rounds 5] [2-16-16-1:32 ...]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")      # before numpy is imported

import argparse
import math
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expert_numpy import ExpertMLP  # noqa: E402

from microgradnn.core import numeric  # noqa: E402
from microgradnn.engine import walk  # noqa: E402
from microgradnn.losses import quadratic  # noqa: E402
from microgradnn.nn import MLP  # noqa: E402
from microgradnn.optim import SGD  # noqa: E402

LR = 0.01


def replay(layers, batch):
    """(step, parts): the real Value step and, by category, functions replaying its numpy."""
    net = MLP(layers, ["sigmoid"] * (len(layers) - 1), seed=0)
    opt = SGD(net.parameters(), lr=LR)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((batch, layers[0])), rng.random((batch, layers[-1]))

    def step():
        loss = quadratic(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    loss = quadratic(net(x), y)
    loss.backward()                 # every node's .grad is the gradient that reached it
    out_seq = net.nodes[f"a{len(layers) - 1}"].number
    nodes = [n for n in walk(loss) if n.operation is not None]
    children = {}
    for n in nodes:
        for p in n.parents:
            children[p] = children.get(p, 0) + 1

    def category(n, part):
        if n.number > out_seq:
            return f"loss ({part})"
        return f"{n.op} ({part})"

    calls = {}
    for n in nodes:
        ins = n.forward_args
        calls.setdefault(category(n, "forward"), []).append((n.operation.forward, ins))
        for p, vjp in zip(n.parents, n.operation.vjps):
            if not p.requires_grad:
                continue
            calls.setdefault(category(n, "VJP"), []).append((vjp, (n.grad, n.data) + ins))
            pg = vjp(n.grad, n.data, *ins)
            if np.shape(pg) != np.shape(p.data):
                calls.setdefault("unbroadcast (bias gradients)", []).append(
                    (numeric.unbroadcast, (pg, p.data)))
            if children[p] > 1:
                calls.setdefault("accumulate (a + a in the loss)", []).append(
                    (np.add, (pg, pg)))
    calls["input checks (isfinite of x, of C)"] = [
        (lambda v: np.isfinite(v).all(), (x,)), (math.isfinite, (loss.data,))]
    calls["seed and zeroing"] = [(np.array, (1.0,))]
    calls["optimizer (lr·g into scratch, p −= it)"] = [
        (lambda p, g, out: p.__isub__(np.multiply(g, LR, out=out)),
         (p.data.copy(), p.grad, np.empty_like(p.data))) for p in opt.params]

    def runner(fs):
        def run():
            for f, args in fs:
                f(*args)
        return run
    counts = (len(nodes), len(walk(loss)) - len(nodes))
    return step, {name: runner(fs) for name, fs in calls.items()}, counts


def fastest_time(fns: dict, repeats: int = 21) -> dict:
    bursts = {}
    for name, f in fns.items():
        f()
        t0 = time.perf_counter()
        f()
        bursts[name] = max(3, int(0.005 / max(time.perf_counter() - t0, 1e-7)))
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(bursts[name]):
                f()
            samples[name].append((time.perf_counter() - t0) / bursts[name])
    return {name: min(s) for name, s in samples.items()}


def _case(text: str) -> tuple:
    """"2-16-16-1:32" → ([2, 16, 16, 1], 32)."""
    try:
        sizes, batch = text.split(":")
        layers = [int(n) for n in sizes.split("-")]
        if len(layers) < 2 or min(layers) < 1 or int(batch) < 1:
            raise ValueError
        return layers, int(batch)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not LAYERS:BATCH, e.g. 2-16-16-1:32 or 784-256-10:64") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", type=_case, metavar="LAYERS:BATCH",
                        help="e.g. 784-256-10:64 (default: 2-16-16-1:32, 2-16-16-1:256, "
                             "784-256-10:64)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of 21 bursts (default 5)")
    args = parser.parse_args()
    rounds = args.rounds
    for layers, batch in args.cases or [_case(c) for c in
                                        ("2-16-16-1:32", "2-16-16-1:256", "784-256-10:64")]:
        case = f"{'-'.join(map(str, layers))}:{batch}"
        step, parts, (n_ops, n_leaves) = replay(layers, batch)
        expert = ExpertMLP(layers, seed=0, lr=LR)
        rng = np.random.default_rng(1)
        ex, ey = rng.standard_normal((batch, layers[0])), rng.random((batch, layers[-1]))
        runs = [fastest_time({"Value MLP step": step,
                              "expert numpy step": lambda: expert.step(ex, ey), **parts})
                for _ in range(rounds)]
        for r in runs:
            r["numpy"] = sum(t for k, t in r.items() if k in parts)
            r["python"] = r["Value MLP step"] - r["numpy"]
        times = {k: statistics.median(r[k] for r in runs) for k in runs[0]}

        def spread(key):
            return (f"[{min(r[key] for r in runs) * 1e6:.1f}–"
                    f"{max(r[key] for r in runs) * 1e6:.1f}]")
        total, base, numpy_work = times["Value MLP step"], times["expert numpy step"], times["numpy"]
        ratios = [r["Value MLP step"] / r["expert numpy step"] for r in runs]
        print(f"\n{case}: Value MLP step {total * 1e6:.1f} µs {spread('Value MLP step')}, "
              f"expert numpy step {base * 1e6:.1f} µs {spread('expert numpy step')}; ratio "
              f"{statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}] "
              f"(medians of {rounds} rounds [their range])")
        print(f"  {'numpy work of the Value step, replayed':<44} {numpy_work * 1e6:8.1f} µs "
              f"{spread('numpy')}")
        for name in sorted(parts, key=lambda k: -times[k]):
            print(f"    {name:<42} {times[name] * 1e6:8.1f} µs")
        print(f"  {'numpy work beyond the expert step':<44} {(numpy_work - base) * 1e6:8.1f} µs")
        python = times["python"]
        print(f"  {'the rest: Python bookkeeping, and memory':<44} {python * 1e6:8.1f} µs "
              f"{spread('python')}: {python / n_ops * 1e6:.2f} µs for each of {n_ops} op nodes "
              f"(with {n_leaves} leaves)")


if __name__ == "__main__":
    main()
