"""The ``microgradnn`` command: ``demo``, ``train``, ``check``, ``graph`` and ``exercises``.

Run ``microgradnn --help`` (or ``python -m microgradnn --help``), and ``--help`` after any
subcommand. The command never shows a traceback: a mistake in the arguments, an output path it
cannot write (checked before any work starts), a file system error or too little memory prints
one line, ``microgradnn: error: ...``, and exits with status 2; Ctrl-C exits with 130; ``check``
exits with 1 when the cross-check finds a disagreement, ``train`` when training diverges.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .. import __version__
from ..network.architecture import INITS, LOSSES
from ..training.datasets import NAMES as DATASETS
from . import exercises_command
from .arguments import (UsageError, int_list, name_list, assignments, positive_int, positive_float,
                        seed_int, non_negative_float, check_output_file, check_output_folder,
                        check_memory, network_memory)

NO_DOT = ("the Graphviz program `dot` is not installed, so only the DOT text was written; "
          "install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
          "graphviz) and render with: dot -Tsvg FILE.dot -o FILE.svg")


def have_dot() -> bool:
    return shutil.which("dot") is not None


def picture_format(path: Path) -> str:
    """'svg', 'png', 'pdf', 'dot' or 'gv' from the file name, or a UsageError."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise UsageError(f"cannot tell the picture format from {str(path)!r}; "
                         "end the file name with .svg, .png, .pdf or .dot")
    return fmt


def write_graph(graph, path: Path) -> Path:
    """Render a graphviz graph to ``path`` (format from its suffix: .svg, .png, .pdf or .dot).

    Without the ``dot`` program, writes the DOT text next to it (``.dot``) and returns that path.
    """
    fmt = picture_format(path)
    if fmt in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    if have_dot():
        import graphviz
        try:
            path.write_bytes(graph.pipe(format=fmt))
            return path
        except graphviz.ExecutableNotFound:   # on PATH but not runnable: same as missing
            pass
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(graph.source, encoding="utf-8")
    return dot_path


# ---------------------------------------------------------------------------------------------
# microgradnn graph
# ---------------------------------------------------------------------------------------------

def cmd_graph(args) -> int:
    from .expr import build

    output = check_output_file(args.output, "-o/--output", "graph.svg")
    if picture_format(output) not in ("dot", "gv") and not have_dot():
        # Without Graphviz the DOT text goes beside it: that file is checked the same way.
        check_output_file(str(output.with_suffix(".dot")), "-o/--output (its .dot, written "
                          "without Graphviz)", "graph.dot")
    page = None
    if args.html is not None:            # checked like -o, before any work: '' is a mistake too
        page = check_output_file(args.html, "--html", "backward.html")
        if page.suffix.lower() not in (".html", ".htm"):
            raise UsageError(f"--html {args.html}: the page's file name must end with .html")
        if not have_dot():
            raise UsageError("--html draws the graph with Graphviz's `dot` program, which is "
                             "not installed (Debian/Ubuntu: sudo apt-get install graphviz)")
    values = {}
    for group in args.set or []:
        values.update(group)
    out, leaves = build(args.expr, values)
    out.label = "out"
    unused = sorted(set(values) - set(leaves))
    if unused:
        print(f"note: {', '.join(unused)} set but not used in the expression")
    trace = None
    if leaves:
        trace = out.backward(explain=args.explain)
    print(f"{args.expr} = {out.data:.6g}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {leaf.grad:.6g}")
    for warning in non_finite_warnings(out, leaves):
        print(f"microgradnn: warning: {warning}", file=sys.stderr)
    if trace is not None:
        print()
        print(trace)
    from ..show.viz import draw_graph
    graph = draw_graph(out, rankdir=args.rankdir,
                       edge_labels="local" if args.local_derivatives else None)
    written = write_graph(graph, output)
    print(f"wrote {written}")
    if written.suffix == ".dot" and Path(args.output).suffix != ".dot":
        print(NO_DOT.replace("FILE", str(written.with_suffix(""))))
    if page is not None:
        from ..show.explorer import explore
        print(f"wrote {explore(out, page)} (open it in a browser to step through the "
              "backward pass)")
    return 0


def non_finite_warnings(out, leaves: dict) -> list:
    """Sentences for a NaN or infinite value or derivative, naming the op that made it.

    A derivative printed beside a NaN value means nothing (log(x) at x = -1 has "derivative"
    1/x = -1, but log is not defined there), so a NaN value is said to void them all.
    """
    warnings = []
    if not math.isfinite(out.data):
        culprit = _first_non_finite(out)
        how = ""
        if culprit is not None and culprit.op:
            inputs = ", ".join(f"{p.data:.6g}" for p in culprit.parents)
            how = f": {culprit.op} of {inputs} gives {culprit.data}"
        elif culprit is not None:                  # a variable set to nan or inf
            how = f": {culprit.label or 'an input'} is {culprit.data}"
        warnings.append(f"the value is {out.data}{how}; the derivatives printed are not "
                        "meaningful there")
    else:
        bad = [name for name, leaf in leaves.items() if not math.isfinite(leaf.grad)]
        if bad:
            warnings.append(f"{', '.join(f'd/d{n}' for n in bad)} "
                            f"{'is' if len(bad) == 1 else 'are'} not finite: the expression "
                            "has no derivative there")
    return warnings


def _first_non_finite(out):
    """The oldest node whose value is not finite while its inputs are: where it started."""
    from ..core.engine import walk
    for node in walk(out):                          # oldest first, iterative
        if not math.isfinite(node.data) and all(math.isfinite(p.data) for p in node.parents):
            return node
    return None


# ---------------------------------------------------------------------------------------------
# microgradnn train
# ---------------------------------------------------------------------------------------------

def load_dataset(name: str, samples: Optional[int], noise: Optional[float], seed: int) -> tuple:
    """(x, y) of a named data set; digits takes no size, noise or seed."""
    from ..training import datasets
    if name == "digits":
        if samples is not None or noise is not None:
            raise UsageError("digits is a fixed data set (1,797 images): drop --samples/--noise")
        return datasets.load("digits")
    kwargs = {"seed": seed}
    if samples is not None:
        least = 3 if name == "spirals" else 2
        if samples < least:
            raise UsageError(f"--samples {samples}: the {name} data set needs at least {least} "
                             "examples, one per class")
        kwargs["n"] = samples
    if noise is not None:
        kwargs["noise"] = noise
    return datasets.load(name, **kwargs)


def split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> tuple:
    """(x_train, y_train, x_test, y_test), the test examples drawn at random (seeded): digits
    come ordered by writer, so a plain tail would test on writers never seen in training."""
    if not 0 <= test_fraction < 1:
        raise UsageError(f"--test-fraction must lie in [0, 1), got {test_fraction}")
    n_test = int(round(len(x) * test_fraction))
    if test_fraction > 0 and not 1 <= n_test < len(x):
        raise UsageError(f"--test-fraction {test_fraction} leaves no training or no test "
                         f"examples out of {len(x)}")
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[:len(x) - n_test], order[len(x) - n_test:]
    return x[train], y[train], x[test], y[test]


# Fewer examples than this in a split and its numbers are noise: the command says so.
FEW_TRAIN, FEW_TEST = 10, 5


def split_warnings(y_train: np.ndarray, y_test: np.ndarray, classes: int) -> list:
    """Sentences for a split too small to learn from or to measure on."""
    warnings = []
    if len(y_train) < FEW_TRAIN or 0 < len(y_test) < FEW_TEST:
        warnings.append(f"only {len(y_train)} training and {len(y_test)} test examples: too few "
                        "to learn from or to measure (raise --samples, or lower "
                        "--test-fraction)")
    absent = sorted(set(range(classes)) - set(y_train.tolist()))
    if absent:
        warnings.append(f"the training examples hold no example of class "
                        f"{', '.join(map(str, absent))}: the network cannot learn "
                        f"{'it' if len(absent) == 1 else 'them'} (raise --samples)")
    return warnings


def choose_architecture(args, x: np.ndarray, y: np.ndarray) -> tuple:
    """(layers, activations, loss): the user's choices, completed from the data, or a
    UsageError saying which flag to change.

    Left out, the loss follows the output activation (softmax → cross_entropy, sigmoid → bce,
    else quadratic), and the output layer follows the loss: one unit per class for
    cross_entropy (softmax), one sigmoid unit for two classes otherwise, one per class for
    more. Hidden layers default to two of 16 relu units.
    """
    from ..network.losses import OUTPUT_ACTIVATION
    classes = int(y.max()) + 1
    out_act = args.activations[-1] if args.activations else None
    loss = args.loss
    if loss is None and out_act is not None:
        loss = {"softmax": "cross_entropy", "sigmoid": "bce"}.get(out_act, "quadratic")
    if args.layers is None:
        outputs = classes if loss == "cross_entropy" or classes > 2 else 1
        layers = [x.shape[1], 16, 16, outputs]
    else:
        layers = list(args.layers)
        if layers[0] != x.shape[1]:
            raise UsageError(f"the {args.dataset} data set has {x.shape[1]} features per "
                             f"example, but --layers starts with {layers[0]}")
    outputs = layers[-1]
    if loss is None:
        loss = "bce" if outputs == 1 else "cross_entropy"
    activations = args.activations
    if activations is None:
        activations = ["relu"] * (len(layers) - 2) + [OUTPUT_ACTIVATION.get(loss, "sigmoid")]
    else:
        check_activation_count(layers, activations, args.layers is not None)
    _check_outputs(args.dataset, classes, outputs, activations[-1], loss)
    return layers, activations, loss


def check_activation_count(layers: list, activations: list, layers_given: bool) -> None:
    if len(activations) != len(layers) - 1:
        which = "--layers" if layers_given else "the default --layers"
        raise UsageError(f"--activations names {len(activations)} activation(s) but {which} "
                         f"{','.join(map(str, layers))} has {len(layers) - 1} weight layers: "
                         "give one activation per weight layer")


def check_loss_fits(loss: str, activation: str) -> None:
    """The cross-entropies read the logits of their own output activation; say which flag."""
    from ..network.losses import OUTPUT_ACTIVATION
    needed = OUTPUT_ACTIVATION.get(loss)
    if needed is not None and activation != needed:
        raise UsageError(f"--loss {loss} needs a {needed} output layer (it reads the logits "
                         f"before the {needed}), but --activations ends with {activation}: end "
                         f"--activations with {needed}, or use --loss quadratic")


def _check_outputs(dataset: str, classes: int, outputs: int, activation: str, loss: str) -> None:
    """The output layer, the loss and the data fit together, or which flag to change."""
    end = f"end --layers with {classes}" + (" (or 1, with --loss bce)" if classes == 2 else "")
    if outputs != classes and not (outputs == 1 and classes == 2):
        raise UsageError(f"the {dataset} data set has {classes} classes, but --layers ends "
                         f"with {outputs} output(s): {end}")
    if loss == "cross_entropy" and outputs != classes:
        raise UsageError(f"--loss cross_entropy needs one output per class: the {dataset} data "
                         f"set has {classes} classes, so end --layers with {classes}, not "
                         f"{outputs}" + (" (or use --loss bce with 1 output)"
                                         if classes == 2 else ""))
    check_loss_fits(loss, activation)
    if activation == "softmax" and outputs == 1:
        raise UsageError(f"a softmax over 1 output is always 1: {end}, or end --activations "
                         "with sigmoid")


def targets_for(loss: str, y: np.ndarray, outputs: int) -> np.ndarray:
    """Labels as the loss wants them: one-hot rows for quadratic or bce on several outputs."""
    if loss != "cross_entropy" and outputs > 1:
        from ..network.losses import one_hot
        return one_hot(y, outputs, f"--loss {loss} targets")
    return y


def cmd_train(args) -> int:
    from ..network.nn import MLP
    from ..training import accuracy, evaluate, fit

    save = check_output_file(args.save, "--save", "model.npz") if args.save is not None \
        else None
    plots = check_output_folder(args.plots, "--plots", ("loss.png", "boundary.png")) \
        if args.plots is not None else None
    if plots is not None:
        from ..show.plots import require_matplotlib
        require_matplotlib()   # an optional extra: if it is missing, say so before training
    if args.samples is not None:
        check_memory([(8 * 16 * args.samples, f"generating {args.samples:,} examples",
                       "--samples")])
    if args.layers is not None:
        check_memory(network_memory(args.layers, args.batch_size))
    x, y = load_dataset(args.dataset, args.samples, args.noise, args.seed)
    layers, activations, loss = choose_architecture(args, x, y)
    x_train, y_train, x_test, y_test = split(x, y, args.test_fraction, args.seed)
    for warning in split_warnings(y_train, y_test, int(y.max()) + 1):
        print(f"microgradnn: warning: {warning}", file=sys.stderr)
    net = MLP(layers, activations, seed=args.seed, init=args.init)
    t_train, t_test = targets_for(loss, y_train, layers[-1]), targets_for(loss, y_test, layers[-1])
    n_params = sum(p.size for p in net.parameters())
    print(f"training {net} ({n_params:,} parameters) on {args.dataset}: "
          f"{len(x_train)} training, {len(x_test)} test examples", flush=True)
    start = time.perf_counter()
    try:
        history = fit(net, x_train, t_train, loss=loss, optimizer=args.optimizer, lr=args.lr,
                      epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                      validation_data=(x_test, t_test) if len(x_test) else None,
                      validation_name="test", progress=not args.no_progress)
    except FloatingPointError as e:
        message = str(e).removeprefix("fit: ").replace("learning rate (lr=", "learning rate "
                                                       "(--lr ")
        print(f"microgradnn: error: {message}; nothing was saved", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start

    rows = [("", "train", "test" if len(x_test) else "")]
    train_loss, _ = evaluate(net, x_train, t_train, loss=loss)
    test_loss = evaluate(net, x_test, t_test, loss=loss)[0] if len(x_test) else None
    for name, value in (("training", train_loss), ("test", test_loss)):
        if value is not None and not math.isfinite(value):   # weights finite but too large
            print(f"microgradnn: error: training diverged: the trained network's {name} loss "
                  f"is {value}. Try a smaller learning rate (--lr {args.lr:g} now); nothing "
                  "was saved", file=sys.stderr)
            return 1
    rows.append((f"loss ({loss})", f"{train_loss:.4f}", "" if test_loss is None else f"{test_loss:.4f}"))
    # Accuracy is the share of examples whose class the network ranks first, whatever the loss.
    train_acc = accuracy(net, x_train, y_train)
    test_acc = accuracy(net, x_test, y_test) if len(x_test) else None
    rows.append(("accuracy", f"{train_acc:.1%}", "" if test_acc is None else f"{test_acc:.1%}"))
    print()
    print(f"{args.epochs} epochs of {args.optimizer} (lr {args.lr:g}, batch {args.batch_size}, "
          f"seed {args.seed}) in {seconds:.1f} s")
    for name, a, b in rows:
        print(f"  {name:<24}{a:>10}{b:>10}".rstrip())
    if not args.no_progress:
        print("  (the trained network's numbers; the progress bar's training numbers were "
              "running means over each epoch, while the weights changed)")
    if save is not None:
        net.save(save)
        print(f"saved the network to {args.save} (load it with MLP.load)")
    if plots is not None:
        from ..show.plots import decision_boundary, loss_curve
        written = [loss_curve(history, plots / "loss.png", title=args.dataset)]
        if x.shape[1] == 2:
            written.append(decision_boundary(net, x_test if len(x_test) else x_train,
                                             y_test if len(x_test) else y_train,
                                             plots / "boundary.png",
                                             title=f"{args.dataset}: "
                                                   f"{'test' if len(x_test) else 'training'} "
                                                   "points"))
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


# ---------------------------------------------------------------------------------------------
# microgradnn check
# ---------------------------------------------------------------------------------------------

def default_activations(layers: list, loss: str) -> list:
    """Sigmoid everywhere (the seed article's choice), the loss's own output activation last."""
    from ..network.losses import OUTPUT_ACTIVATION
    return ["sigmoid"] * (len(layers) - 2) + [OUTPUT_ACTIVATION.get(loss, "sigmoid")]


def random_targets(loss: str, batch: int, outputs: int, rng: np.random.Generator) -> np.ndarray:
    """Targets the loss accepts: class labels for cross_entropy, 0/1 for bce, else in [0, 1]."""
    if loss == "cross_entropy":
        return rng.integers(0, outputs, size=batch)
    if loss == "bce":
        return rng.integers(0, 2, size=(batch, outputs)).astype(float)
    return rng.uniform(0.0, 1.0, size=(batch, outputs))


def cmd_check(args) -> int:
    from ..check.crosscheck import crosscheck
    from ..network.nn import MLP

    activations = args.activations or default_activations(args.layers, args.loss)
    check_activation_count(args.layers, activations, True)
    check_loss_fits(args.loss, activations[-1])
    check_memory(network_memory(args.layers, args.batch_size))
    net = MLP(args.layers, activations, seed=args.seed, init=args.init)
    rng = np.random.default_rng(args.seed + 1)   # the batch: independent of the weights' draws
    x = rng.standard_normal((args.batch_size, args.layers[0]))
    y = random_targets(args.loss, args.batch_size, args.layers[-1], rng)
    print(f"network: layers {args.layers}, activations {activations}, init {args.init!r}, "
          f"seed {args.seed}; a random batch of {args.batch_size}")
    report = crosscheck(net, x, y, loss=args.loss)
    print(report)
    return 0 if report.ok else 1


# ---------------------------------------------------------------------------------------------
# microgradnn demo
# ---------------------------------------------------------------------------------------------

DEMO_EXPR, DEMO_VALUES = "tanh(x*w + b)", {"x": 0.5, "w": -1.2, "b": 0.3}
DEMO_FILES = ("neuron.svg", "neuron.dot", "neuron-backward.txt", "loss-graph.svg",
              "loss-graph.dot", "network.svg", "network.dot", "loss.png", "boundary.png")


def cmd_demo(args) -> int:
    from ..check.crosscheck import crosscheck
    from ..training.datasets import moons
    from .expr import build
    from ..network.losses import network_loss
    from ..network.nn import MLP
    from ..training import evaluate, fit
    from ..show.viz import draw_graph, draw_network

    out_dir = check_output_folder(args.out, "--out", DEMO_FILES)
    out_dir.mkdir(exist_ok=True)
    written = []

    # 1. Train: two moons, a 2-16-16-1 network, Adam. Seeded, so every run prints the same.
    samples, epochs = (120, 20) if args.fast else (400, args.epochs)
    x, y = moons(n=samples, noise=0.15, seed=args.seed)
    x_train, y_train, x_test, y_test = split(x, y, 0.25, args.seed)
    net = MLP([2, 16, 16, 1], ["relu", "relu", "sigmoid"], seed=args.seed, init="he")
    print(f"1. Training {net}\n   on {len(x_train)} points of two moons "
          f"({len(x_test)} more held out for testing)")
    history = fit(net, x_train, y_train, loss="bce", optimizer="adam", lr=0.01, epochs=epochs,
                  batch_size=32, seed=args.seed, validation_data=(x_test, y_test),
                  validation_name="test", progress=not args.no_progress)
    _, train_acc = evaluate(net, x_train, y_train, loss="bce")
    _, test_acc = evaluate(net, x_test, y_test, loss="bce")
    print(f"   accuracy after {epochs} epochs: {train_acc:.1%} on the training points, "
          f"{test_acc:.1%} on the test points")

    # 2. The same gradients twice: autodiff, and the four equations BP1–BP4 in closed form.
    print("\n2. Cross-check of the trained network's gradients on 16 test points:")
    report = crosscheck(net, x_test[:16], y_test[:16], loss="bce")
    print("   " + str(report).replace("\n", "\n   "))

    # 3. Graphs: a neuron as a scalar expression, the network's loss, the network itself.
    print("\n3. Computation graphs:")
    neuron, leaves = build(DEMO_EXPR, DEMO_VALUES)
    neuron.label = "out"
    trace = neuron.backward(explain=True)
    (out_dir / "neuron-backward.txt").write_text(f"{DEMO_EXPR} with {DEMO_VALUES}\n\n{trace}\n",
                                                 encoding="utf-8")
    written.append(out_dir / "neuron-backward.txt")
    grads = ", ".join(f"d/d{k} = {v.grad:.4g}" for k, v in leaves.items())
    print(f"   {DEMO_EXPR} at {', '.join(f'{k}={v:g}' for k, v in DEMO_VALUES.items())}: "
          f"{neuron.data:.4g}; {grads}")
    print(f"   {'neuron-backward.txt':<22} its backward pass, one chain-rule step per line")
    net(x_test[:8])
    loss = network_loss(net, y_test[:8], "bce")
    for p in net.parameters():          # the drawing shows this loss's gradients, and only them
        p.grad = None
    loss.backward()
    drawings = [
        (draw_graph(neuron, edge_labels="local"), "neuron.svg", "the neuron, with local derivatives"),
        (draw_graph(loss, cluster_layers=True, rankdir="TB"), "loss-graph.svg",
         "the network's loss on 8 points"),
        (draw_network(net), "network.svg", "the network's layers"),
    ]
    dot_only = False
    for drawing, name, what in drawings:
        path = write_graph(drawing, out_dir / name)
        dot_only |= path.suffix == ".dot"
        written.append(path)
        print(f"   {path.name:<22} {what}")
    if dot_only:
        print("   " + NO_DOT.replace("FILE", str(out_dir / "NAME")))
    else:   # the same loss, to step through in a browser, with the closed form's verdict
        from ..show.explorer import explore
        check = crosscheck(net, x_test[:8], y_test[:8], loss="bce")
        net(x_test[:8])
        page = explore(network_loss(net, y_test[:8], "bce"), out_dir / "explorer.html",
                       network=net, check=check)
        written.append(page)
        print(f"   {page.name:<22} step through its backward pass in a browser")

    # 4. Plots, when matplotlib is installed (an optional extra).
    print("\n4. Plots:")
    try:
        from ..show.plots import decision_boundary, loss_curve
        written.append(loss_curve(history, out_dir / "loss.png", title="Two moons"))
        written.append(decision_boundary(net, x_test, y_test, out_dir / "boundary.png",
                                         title="Two moons: the test points"))
        print("   loss.png               loss and accuracy per epoch\n"
              "   boundary.png           the decision boundary")
    except ImportError as e:
        print(f"   skipped: {e}")

    print(f"\nWrote {len(written)} files to {out_dir}/: "
          + ", ".join(p.name for p in sorted(written)))
    return 0 if report.ok else 1


# ---------------------------------------------------------------------------------------------
# The argument parser
# ---------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line, 'microgradnn: error: ...', for every subcommand."""

    def error(self, message: str):
        self.exit(2, f"microgradnn: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="microgradnn",
        description="A small reverse-mode autodiff engine, built to be read. Train a network, "
                    "check backprop's four equations against autodiff, draw computation graphs.",
        epilog="Start with: microgradnn demo")
    parser.add_argument("--version", action="version", version=f"microgradnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    g = sub.add_parser(
        "graph", help="build an expression, run backward, draw its graph",
        description="Build a scalar expression from a small safe grammar (numbers, names, "
                    "+ - * / **, parentheses, exp log tanh sigmoid relu abs), run backward, "
                    "print the gradients and draw the graph.",
        epilog='example: microgradnn graph --expr "tanh(x*w + b)" --set x=0.5,w=-1.2,b=0.3 '
               "-o graph.svg")
    g.add_argument("--expr", required=True, help='the expression, e.g. "tanh(x*w + b)"')
    g.add_argument("--set", type=assignments, action="append", metavar="NAME=NUMBER,...",
                   help="values of the variables, e.g. x=0.5,w=-1.2 (may be repeated)")
    g.add_argument("-o", "--output", default="graph.svg",
                   help="picture to write: .svg, .png, .pdf or .dot (default: graph.svg)")
    g.add_argument("--rankdir", choices=("LR", "TB"), default=None,
                   help="layout direction: left to right or top to bottom (default: left to "
                        "right while the graph fits about 1,000 pt that way)")
    g.add_argument("--local-derivatives", action="store_true",
                   help="write each local derivative ∂out/∂input on its arrow")
    g.add_argument("--explain", action="store_true",
                   help="also print the backward pass step by step (the chain rule at work)")
    g.add_argument("--html", metavar="PAGE.html",
                   help="also write a page that steps through the backward pass in a browser")
    g.set_defaults(run=cmd_graph)

    d = sub.add_parser(
        "demo", help="train, cross-check and draw, in one go (start here)",
        description="Train a network on two moons, check its gradients against the four "
                    "backprop equations, draw computation graphs and plot the training — "
                    "everything written to one folder.")
    d.add_argument("--out", default="microgradnn-demo", metavar="DIR",
                   help="output folder (default: microgradnn-demo)")
    d.add_argument("--epochs", type=positive_int, default=100, help="(default: 100)")
    d.add_argument("--seed", type=seed_int, default=0, help="(default: 0)")
    d.add_argument("--fast", action="store_true", help="a tiny run, for tests")
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    d.set_defaults(run=cmd_demo)

    t = sub.add_parser(
        "train", help="train a network on a data set and print a summary",
        description="Train an MLP by mini-batch descent on a data set, with a progress bar, "
                    "then print the loss and accuracy on the training and test examples. "
                    "Unset options are completed from the data: two classes get one sigmoid "
                    "output and the bce loss, more classes a softmax output and cross_entropy.",
        epilog="example: microgradnn train --dataset spirals --layers 2,32,32,3 --epochs 300 "
               "--lr 0.02 --save spirals.npz")
    t.add_argument("--dataset", choices=DATASETS, default="moons", help="(default: moons)")
    t.add_argument("--samples", type=positive_int, help="examples to generate (not for digits)")
    t.add_argument("--noise", type=non_negative_float,
                   help="noise of the generated points (not for digits)")
    t.add_argument("--test-fraction", type=float, default=0.2,
                   help="share of the examples held out for testing (default: 0.2)")
    t.add_argument("--layers", type=int_list, metavar="N,N,...",
                   help="layer sizes, input first (default: inputs,16,16,outputs)")
    t.add_argument("--activations", type=name_list, metavar="NAME,...",
                   help="one per weight layer: sigmoid, tanh, relu, linear, softmax "
                        "(default: relu, then the loss's output activation)")
    t.add_argument("--loss", choices=LOSSES,
                   help="cost function (default: from the output activation, else the data)")
    t.add_argument("--optimizer", choices=("sgd", "adam"), default="adam",
                   help="(default: adam)")
    t.add_argument("--lr", type=positive_float, default=0.01, help="learning rate (default: 0.01)")
    t.add_argument("--epochs", type=positive_int, default=100, help="(default: 100)")
    t.add_argument("--batch-size", type=positive_int, default=32, help="(default: 32)")
    t.add_argument("--init", choices=INITS, default="he",
                   help="weight initialisation (default: he)")
    t.add_argument("--seed", type=seed_int, default=0,
                   help="seed of the data, the weights and the shuffling (default: 0)")
    t.add_argument("--save", metavar="FILE.npz", help="save the trained network")
    t.add_argument("--plots", metavar="DIR",
                   help="write the loss curve (and, for 2-D data, the decision boundary) here")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(run=cmd_train)

    c = sub.add_parser(
        "check", help="cross-check autodiff against the four backprop equations",
        description="Build a random network and batch, compute the gradients twice — by "
                    "autodiff on the Value graph and by the closed-form equations BP1–BP4 — and "
                    "print a per-layer table of their differences. Exit status 1 if they disagree.",
        epilog="example: microgradnn check --layers 4,8,8,3 --activations tanh,relu,softmax "
               "--loss cross_entropy")
    c.add_argument("--layers", type=int_list, default=[2, 4, 3, 1], metavar="N,N,...",
                   help="layer sizes, input first (default: 2,4,3,1)")
    c.add_argument("--activations", type=name_list, metavar="NAME,...",
                   help="one per weight layer: sigmoid, tanh, relu, linear, softmax (default: "
                        "sigmoid, with the loss's output activation last)")
    c.add_argument("--loss", choices=LOSSES, default="quadratic",
                   help="cost function (default: quadratic, the seed article's)")
    c.add_argument("--batch-size", type=positive_int, default=8, help="examples (default: 8)")
    c.add_argument("--init", choices=INITS, default="normal", help="weight initialisation")
    c.add_argument("--seed", type=seed_int, default=0, help="random seed (default: 0)")
    c.set_defaults(run=cmd_check)
    exercises_command.add_parser(sub)
    return parser


# An expression starting with "-" (but not a plain negative number) is an option to argparse.
_OPTION_LIKE = re.compile(r"-(?!\d+$|\d*\.\d+$)\S*$")


def _expression_read_as_option(argv: Sequence[str]) -> Optional[str]:
    for flag, value in zip(argv, argv[1:]):
        if flag == "--expr" and _OPTION_LIKE.match(value):
            return (f"argument --expr: the expression {value!r} starts with '-' and reads as an "
                    f"option; write it as --expr={value} (or put a space or parentheses "
                    "first)")
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``microgradnn`` console script; returns the exit status.

    Never a traceback: every failure is one line on stderr. Status 2 for what the user can
    change (arguments, paths, memory, a file system error, a drawing Graphviz's ``dot`` could
    not make), 1 for a failed check, a diverged
    training or a missing optional extra, 130 for Ctrl-C.
    """
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser()
        problem = _expression_read_as_option(argv)
        if problem is not None:
            parser.error(problem)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        with np.errstate(all="ignore"):   # overflow is reported by the command, in words
            return args.run(args)
    except KeyboardInterrupt:
        return _fail("interrupted (Ctrl-C)", 130, prefix="microgradnn: ")
    except FloatingPointError as e:       # training diverged: one line, status 1
        return _fail(str(e), 1)
    except (ValueError, TypeError) as e:
        # The library's errors are written for people; show the sentence, not a traceback.
        return _fail(str(e), 2)
    except ImportError as e:   # an optional extra (matplotlib, scikit-learn, ...) is missing
        return _fail(str(e), 1)
    except MemoryError as e:
        return _fail(f"out of memory{f' ({e})' if str(e) else ''}: choose smaller sizes "
                     "(--layers, --batch-size, --samples)", 2)
    except RecursionError:
        return _fail("the input nests too deeply", 2)
    except RuntimeError as e:
        from ..show.viz import DotError     # graphviz is imported only when a drawing failed
        if isinstance(e, DotError):         # dot missing, out of time, crashed: its sentence
            return _fail(str(e), 2)
        return _fail(f"internal error, please report it: {type(e).__name__}: {e}", 1)
    except OSError as e:
        if isinstance(e, BrokenPipeError):   # the reader went away (e.g. `| head`): stop quietly
            _silence_stdout()
            return 2
        where = f"{e.filename}: " if e.filename else ""
        return _fail(f"{where}{e.strerror or e}", 2)
    except Exception as e:                   # noqa: BLE001 - the promise: never a traceback
        return _fail(f"internal error, please report it: {type(e).__name__}: {e}", 1)


def _fail(message: str, status: int, prefix: str = "microgradnn: error: ") -> int:
    try:
        print(f"{prefix}{message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
