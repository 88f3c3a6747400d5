"""The ``microgradnn`` command: ``demo``, ``train``, ``check`` and ``graph``.

Run ``microgradnn --help`` (or ``python -m microgradnn --help``), and ``--help`` after any
subcommand. A mistake in the arguments prints one line, ``microgradnn: error: ...``, and exits
with status 2; ``check`` exits with 1 when the cross-check finds a disagreement.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from . import __version__
from .architecture import INITS, LOSSES
from .datasets import NAMES as DATASETS
NO_DOT = ("the Graphviz program `dot` is not installed, so only the DOT text was written; "
          "install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
          "graphviz) and render with: dot -Tsvg FILE.dot -o FILE.svg")


class UsageError(ValueError):
    """A bad command-line value, reported as one line with exit status 2."""


# ---------------------------------------------------------------------------------------------
# Parsing helpers for the list-like options ("2,16,16,1", "x=0.5,w=-1.2")
# ---------------------------------------------------------------------------------------------

def int_list(text: str) -> list:
    """'2,16,1' → [2, 16, 1]."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 2,16,16,1, got {text!r}") from None


def name_list(text: str) -> list:
    """'relu,relu,sigmoid' → ['relu', 'relu', 'sigmoid']."""
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names like relu,sigmoid, "
                                         f"got {text!r}")
    return names


def assignments(text: str) -> dict:
    """'x=0.5,w=-1.2' → {'x': 0.5, 'w': -1.2}."""
    out = {}
    for part in text.split(","):
        name, eq, number = part.partition("=")
        try:
            if not eq:
                raise ValueError
            out[name.strip()] = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected name=number pairs like x=0.5,w=-1.2, got {part.strip()!r}") from None
    return out


def _positive(text: str, convert, what: str):
    """text as a positive, finite number of the given type, or argparse's one-line error."""
    try:
        n = convert(text)
    except ValueError:
        n = 0
    if not 0 < n < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive {what}, got {text!r}")
    return n


def positive_int(text: str) -> int:
    return _positive(text, int, "integer")


def positive_float(text: str) -> float:
    return _positive(text, float, "number")


# ---------------------------------------------------------------------------------------------
# Writing graphs: pictures when Graphviz's `dot` is installed, DOT text otherwise
# ---------------------------------------------------------------------------------------------

def have_dot() -> bool:
    return shutil.which("dot") is not None


def write_graph(graph, path: Path) -> Path:
    """Render a graphviz graph to ``path`` (format from its suffix: .svg, .png, .pdf or .dot).

    Without the ``dot`` program, writes the DOT text next to it (``.dot``) and returns that path.
    """
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise UsageError(f"cannot tell the picture format from {str(path)!r}; "
                         "end the file name with .svg, .png, .pdf or .dot")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    if not have_dot():
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(graph.source, encoding="utf-8")
        return dot_path
    import graphviz
    try:
        path.write_bytes(graph.pipe(format=fmt))
    except graphviz.ExecutableNotFound:   # on PATH but not runnable: same as missing
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(graph.source, encoding="utf-8")
        return dot_path
    return path


# ---------------------------------------------------------------------------------------------
# microgradnn graph
# ---------------------------------------------------------------------------------------------

def cmd_graph(args) -> int:
    from .expr import build

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
    if trace is not None:
        print()
        print(trace)
    from .viz import draw_graph
    graph = draw_graph(out, rankdir=args.rankdir,
                       edge_labels="local" if args.local_derivatives else None)
    written = write_graph(graph, Path(args.output))
    print(f"wrote {written}")
    if written.suffix == ".dot" and Path(args.output).suffix != ".dot":
        print(NO_DOT.replace("FILE", str(written.with_suffix(""))))
    if args.html:
        if not have_dot():
            raise UsageError("--html draws the graph with Graphviz's `dot` program, which is "
                             "not installed (Debian/Ubuntu: sudo apt-get install graphviz)")
        from .explorer import explore
        print(f"wrote {explore(out, args.html)} (open it in a browser to step through the "
              "backward pass)")
    return 0


# ---------------------------------------------------------------------------------------------
# microgradnn train
# ---------------------------------------------------------------------------------------------

def load_dataset(name: str, samples: Optional[int], noise: Optional[float], seed: int) -> tuple:
    """(x, y) of a named data set; digits takes no size, noise or seed."""
    from . import datasets
    if name == "digits":
        if samples is not None or noise is not None:
            raise UsageError("digits is a fixed data set (1,797 images): drop --samples/--noise")
        return datasets.load("digits")
    kwargs = {"seed": seed}
    if samples is not None:
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


def choose_architecture(args, x: np.ndarray, y: np.ndarray) -> tuple:
    """(layers, activations, loss): the user's choices, completed from the data.

    Two classes → one sigmoid output and "bce"; k > 2 classes → k softmax outputs and
    "cross_entropy"; hidden layers default to two of 16 relu units.
    """
    from .losses import OUTPUT_ACTIVATION
    classes = int(y.max()) + 1
    if args.layers is None:
        layers = [x.shape[1], 16, 16, 1 if classes == 2 else classes]
    else:
        layers = args.layers
        if layers[0] != x.shape[1]:
            raise UsageError(f"the {args.dataset} data set has {x.shape[1]} features per example, "
                             f"but --layers starts with {layers[0]}")
    loss = args.loss or ("bce" if layers[-1] == 1 else "cross_entropy")
    if args.activations is None:
        activations = ["relu"] * (len(layers) - 2) + [OUTPUT_ACTIVATION.get(loss, "sigmoid")]
    else:
        activations = args.activations
    return layers, activations, loss


def targets_for(loss: str, y: np.ndarray, outputs: int) -> np.ndarray:
    """Labels as the loss wants them: one-hot rows for a quadratic loss on several outputs."""
    if loss == "quadratic" and outputs > 1:
        from .losses import one_hot
        return one_hot(y, outputs)
    return y


def cmd_train(args) -> int:
    from .nn import MLP
    from .training import evaluate, fit

    x, y = load_dataset(args.dataset, args.samples, args.noise, args.seed)
    layers, activations, loss = choose_architecture(args, x, y)
    x_train, y_train, x_test, y_test = split(x, y, args.test_fraction, args.seed)
    net = MLP(layers, activations, seed=args.seed, init=args.init)
    t_train, t_test = targets_for(loss, y_train, layers[-1]), targets_for(loss, y_test, layers[-1])
    n_params = sum(p.size for p in net.parameters())
    print(f"training {net} ({n_params:,} parameters) on {args.dataset}: "
          f"{len(x_train)} training, {len(x_test)} test examples")
    start = time.perf_counter()
    history = fit(net, x_train, t_train, loss=loss, optimizer=args.optimizer, lr=args.lr,
                  epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                  validation_data=(x_test, t_test) if len(x_test) else None,
                  progress=not args.no_progress)
    seconds = time.perf_counter() - start

    rows = [("", "train", "test" if len(x_test) else "")]
    train_loss, train_acc = evaluate(net, x_train, t_train, loss=loss)
    test_loss, test_acc = evaluate(net, x_test, t_test, loss=loss) if len(x_test) else (None, None)
    rows.append((f"loss ({loss})", f"{train_loss:.4f}", "" if test_loss is None else f"{test_loss:.4f}"))
    if train_acc is not None:
        rows.append(("accuracy", f"{train_acc:.1%}", "" if test_acc is None else f"{test_acc:.1%}"))
    print()
    print(f"{args.epochs} epochs of {args.optimizer} (lr {args.lr:g}, batch {args.batch_size}, "
          f"seed {args.seed}) in {seconds:.1f} s")
    for name, a, b in rows:
        print(f"  {name:<24}{a:>10}{b:>10}".rstrip())
    if args.save:
        net.save(args.save)
        print(f"saved the network to {args.save} (load it with MLP.load)")
    if args.plots:
        folder = Path(args.plots)
        from .plots import decision_boundary, loss_curve
        written = [loss_curve(history, folder / "loss.png", title=args.dataset)]
        if x.shape[1] == 2:
            written.append(decision_boundary(net, x_test if len(x_test) else x_train,
                                             y_test if len(x_test) else y_train,
                                             folder / "boundary.png",
                                             title=f"{args.dataset}: test points"))
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


# ---------------------------------------------------------------------------------------------
# microgradnn check
# ---------------------------------------------------------------------------------------------

def default_activations(layers: list, loss: str) -> list:
    """Sigmoid everywhere (the seed article's choice), the loss's own output activation last."""
    from .losses import OUTPUT_ACTIVATION
    return ["sigmoid"] * (len(layers) - 2) + [OUTPUT_ACTIVATION.get(loss, "sigmoid")]


def random_targets(loss: str, batch: int, outputs: int, rng: np.random.Generator) -> np.ndarray:
    """Targets the loss accepts: class labels for cross_entropy, 0/1 for bce, else in [0, 1]."""
    if loss == "cross_entropy":
        return rng.integers(0, outputs, size=batch)
    if loss == "bce":
        return rng.integers(0, 2, size=(batch, outputs)).astype(float)
    return rng.uniform(0.0, 1.0, size=(batch, outputs))


def cmd_check(args) -> int:
    from .check import crosscheck
    from .nn import MLP

    activations = args.activations or default_activations(args.layers, args.loss)
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


def cmd_demo(args) -> int:
    from .check import crosscheck
    from .datasets import moons
    from .expr import build
    from .losses import network_loss
    from .nn import MLP
    from .training import evaluate, fit
    from .viz import draw_graph, draw_network

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
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
                  progress=not args.no_progress)
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
    loss.backward()
    drawings = [
        (draw_graph(neuron, edge_labels="local"), "neuron.svg", "the neuron, with local derivatives"),
        (draw_graph(loss, cluster_layers=True), "loss-graph.svg", "the network's loss on 8 points"),
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
        from .explorer import explore
        check = crosscheck(net, x_test[:8], y_test[:8], loss="bce")
        net(x_test[:8])
        page = explore(network_loss(net, y_test[:8], "bce"), out_dir / "explorer.html",
                       network=net, check=check)
        written.append(page)
        print(f"   {page.name:<22} step through its backward pass in a browser")

    # 4. Plots, when matplotlib is installed (an optional extra).
    print("\n4. Plots:")
    try:
        from .plots import decision_boundary, loss_curve
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
    g.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                   help="layout direction: left to right or top to bottom (default: LR)")
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
    d.add_argument("--seed", type=int, default=0, help="(default: 0)")
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
    t.add_argument("--noise", type=float, help="noise of the generated points (not for digits)")
    t.add_argument("--test-fraction", type=float, default=0.2,
                   help="share of the examples held out for testing (default: 0.2)")
    t.add_argument("--layers", type=int_list, metavar="N,N,...",
                   help="layer sizes, input first (default: inputs,16,16,outputs)")
    t.add_argument("--activations", type=name_list, metavar="NAME,...",
                   help="one per weight layer: sigmoid, tanh, relu, linear, softmax "
                        "(default: relu, then the loss's output activation)")
    t.add_argument("--loss", choices=LOSSES, help="cost function (default: from the outputs)")
    t.add_argument("--optimizer", choices=("sgd", "adam"), default="adam",
                   help="(default: adam)")
    t.add_argument("--lr", type=positive_float, default=0.01, help="learning rate (default: 0.01)")
    t.add_argument("--epochs", type=positive_int, default=100, help="(default: 100)")
    t.add_argument("--batch-size", type=positive_int, default=32, help="(default: 32)")
    t.add_argument("--init", choices=INITS, default="he",
                   help="weight initialisation (default: he)")
    t.add_argument("--seed", type=int, default=0,
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
    c.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    c.set_defaults(run=cmd_check)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``microgradnn`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (ValueError, TypeError) as e:
        # The library's errors are written for people; show the sentence, not a traceback.
        print(f"microgradnn: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:   # an optional extra (matplotlib, scikit-learn, ...) is missing
        print(f"microgradnn: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("microgradnn: interrupted", file=sys.stderr)
        return 130
