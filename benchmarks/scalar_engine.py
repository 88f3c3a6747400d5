"""Scalar engine benchmark: build + backward time and memory per op node, against the peers.

Run:  python benchmarks/scalar_engine.py  [--quick] [--before DIR]

--before DIR also times the microgradnn package in DIR (an older tree, e.g. from
`git worktree add`) in the same run, as "microgradnn before".

Workloads (the same arithmetic in every library):
  chain  — y = relu(y * w + b) repeated: 3 op nodes a step; 750 nodes deep, because micrograd's
           recursive topological sort dies near depth 1,000 (a long chain runs for us and PyTorch only)
  mlp    — a micrograd-style scalar relu MLP 2-16-16-1 on one example with a squared-error loss
Peers, each measured in this same run when installed: micrograd (`pip install micrograd`) and
PyTorch 0-d tensors. Ratios are peer time / microgradnn time (higher = microgradnn faster).
Targets (issue 2): ≤ 1.5 µs per op node with the collector on (aim 1.0), ≤ 400 bytes per op node,
no reference cycles.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import tracemalloc
import weakref

import microgradnn
from microgradnn.engine import walk

try:
    import micrograd.engine as mg
except ImportError:
    mg = None
try:
    import torch
except ImportError:
    torch = None


# --- the libraries, behind one tiny interface: make a leaf, read a value ---

def ours(x: float):
    return microgradnn.Value(x)


def theirs(x: float):
    return mg.Value(x)


def torch_leaf(x: float):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


LIBS = {"microgradnn": ours}
if mg is not None:
    LIBS["micrograd"] = theirs
if torch is not None:
    LIBS["pytorch-0d"] = torch_leaf


# --- workloads: return (loss, leaves) ---

def chain(leaf, steps: int):
    x, w, b = leaf(0.3), leaf(0.9), leaf(0.05)
    y = x
    for _ in range(steps):
        y = (y * w + b).relu()
    return y, (x, w, b)


def mlp(leaf, sizes=(2, 16, 16, 1), seed: int = 0):
    import random
    rnd = random.Random(seed)
    params = []
    act = [leaf(0.5), leaf(-0.3)]
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        nxt = []
        for _ in range(n_out):
            ws = [leaf(rnd.uniform(-1, 1)) for _ in range(n_in)]
            b = leaf(0.0)
            params += ws + [b]
            s = b
            for w, a in zip(ws, act):
                s = s + w * a
            nxt.append(s.relu())
        act = nxt
    loss = (act[0] - 1.0) ** 2
    return loss, params


def op_nodes(loss) -> int:
    """How many op nodes the workload records (counted on microgradnn's graph)."""
    return sum(1 for n in walk(loss) if n.op)


# --- measurements ---

def time_per_node(leaf, workload, nodes: int, repeats: int, gc_on: bool,
                  burst_seconds: float = 0.05) -> float:
    """Median over `repeats` bursts of (build + backward) time per op node.

    A burst repeats the workload for about burst_seconds, so that the collector's occasional
    full collections are amortised over many graphs instead of landing in a lucky or unlucky one.
    """
    t0 = time.perf_counter()
    workload(leaf)[0].backward()
    per_graph = max(time.perf_counter() - t0, 1e-6)
    graphs = max(1, int(burst_seconds / per_graph))
    samples = []
    for _ in range(repeats):
        gc.collect()
        if not gc_on:
            gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(graphs):
                loss, _ = workload(leaf)
                loss.backward()
            t1 = time.perf_counter()
        finally:
            gc.enable()
        del loss
        samples.append((t1 - t0) / (graphs * nodes) * 1e6)
    return statistics.median(samples)


def bytes_per_node(leaf, workload, nodes: int) -> float | None:
    """Python-heap bytes the recorded graph holds (built and backpropagated), per op node."""
    if leaf is torch_leaf:
        return None   # its nodes live in C++, invisible to tracemalloc
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    loss, leaves = workload(leaf)
    loss.backward()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del loss, leaves
    return held / nodes


def leaves_cycles(leaf, workload) -> bool:
    """True if a dropped graph needs the garbage collector (reference cycles)."""
    gc.collect()
    gc.disable()
    try:
        loss, _ = workload(leaf)
        loss.backward()
        ref = weakref.ref(loss)
        del loss, _
        alive = ref() is not None
    finally:
        gc.enable()
        gc.collect()
    return alive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--before", metavar="DIR", help="also time the microgradnn in DIR")
    args = parser.parse_args()
    if args.before:
        import sys
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import before
        old = before.load(args.before)
        libs = list(LIBS.items())
        LIBS.clear()
        LIBS.update([libs[0], ("mgnn before", lambda x: old.Value(x)), *libs[1:]])
    repeats = 3 if args.quick else 15

    workloads = {
        "chain (750 deep)": lambda leaf: chain(leaf, 250),
        "mlp 2-16-16-1": mlp,
    }
    print(f"microgradnn {microgradnn.__version__}; peers: {', '.join(LIBS)}; "
          f"median of {repeats} bursts of ~50 ms; µs per op node (build + backward)\n")
    header = f"{'workload':<20}{'library':<14}{'µs/node gc on':>15}{'gc off':>9}{'bytes/node':>12}" \
             f"{'cycles':>8}{'ratio (gc on)':>15}"
    print(header)
    print("-" * len(header))
    for wname, workload in workloads.items():
        nodes = op_nodes(workload(ours)[0])
        base = None
        for lname, leaf in LIBS.items():
            on = time_per_node(leaf, workload, nodes, repeats, gc_on=True)
            off = time_per_node(leaf, workload, nodes, repeats, gc_on=False)
            mem = bytes_per_node(leaf, workload, nodes)
            cyc = leaves_cycles(leaf, workload) if leaf is not torch_leaf else False
            base = on if base is None else base
            print(f"{wname:<20}{lname:<14}{on:>15.2f}{off:>9.2f}"
                  f"{('%.0f' % mem) if mem is not None else 'n/a':>12}{('yes' if cyc else 'no'):>8}"
                  f"{on / base:>14.1f}×")
        print(f"{'':<20}({nodes} op nodes)")

    # The long chain: only engines without a recursion limit.
    steps = 20_000 if args.quick else 100_000
    print(f"\nlong chain, {3 * steps:,} op nodes deep (micrograd cannot: recursion limit)")
    for lname, leaf in LIBS.items():
        if leaf is theirs:
            continue
        t = time_per_node(leaf, lambda lf: chain(lf, steps), 3 * steps, 1 if args.quick else 3, True)
        print(f"  {lname:<14}{t:>8.2f} µs/node (gc on)")
    if os.environ.get("OPENBLAS_CORETYPE"):
        print("\nnote: OPENBLAS_CORETYPE is set (irrelevant for these scalar workloads)")


if __name__ == "__main__":
    main()
