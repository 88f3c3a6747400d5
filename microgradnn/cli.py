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

DATASETS = ("moons", "circles", "spirals", "xor", "digits")
LOSSES = ("quadratic", "bce", "cross_entropy")           # as in microgradnn.losses
INITS = ("normal", "xavier", "he")                        # as in microgradnn.nn
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


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = 0.0
    if not x > 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return x


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
    path.write_bytes(graph.pipe(format=fmt))
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
    g.set_defaults(run=cmd_graph)

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
