"""Mutation testing of the op catalogue itself: the forward and VJP lambdas in microgradnn/ops.py.

mutmut only mutates code inside functions; the ops are module-level ``Op(...)`` definitions whose
forwards and derivatives are lambdas, so mutmut never touches them. This pass does, one mutant
at a time, each in a throwaway copy of the tree (run by ``make mutants``):

    python tools/mutation/mutate_ops.py [--jobs 2] [--only NAME]     # NAME: an op, e.g. matmul

Mutations, applied to each lambda of each ``Op(...)``: + ↔ −, × ↔ ÷, @ → ×, ** → ×, dropping a
unary minus, a number n → n + 1, ``matrix_transpose(x)`` → ``x.T`` (which reverses every axis of
a batch instead of swapping the last two). A mutant is killed when the fast op tests fail.
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "microgradnn" / "core" / "ops.py"
# The op tests against independent oracles (numpy forwards, closed forms, finite differences).
TESTS = ["tests/core/test_ops.py", "tests/core/test_matmul.py", "tests/core/test_nested_transforms.py",
         "tests/core/test_functional.py", "tests/core/test_linear.py", "tests/core/test_engine.py",
         "tests/core/test_type_contract.py", "tests/network/test_losses.py",
         "tests/network/test_optim.py", "tests/check/test_backprop.py",
         "--deselect", "tests/core/test_engine.py::test_chain_of_a_million_scalar_ops_runs_backward_"
                       "under_the_default_recursion_limit"]
SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
        ast.MatMult: ast.Mult, ast.Pow: ast.Mult}


def _op_lambdas(tree: ast.Module):
    """(op variable name, lambda) for every lambda inside a module-level `name = Op(...)`."""
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "Op"):
            for node in ast.walk(stmt.value):
                if isinstance(node, ast.Lambda):
                    yield stmt.targets[0].id, node


def _changes(node: ast.AST):
    """The mutations of one node: (description, replacement node)."""
    if isinstance(node, ast.BinOp) and type(node.op) in SWAP:
        new = copy.copy(node)
        new.op = SWAP[type(node.op)]()
        yield f"{type(node.op).__name__} -> {type(new.op).__name__}", new
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "drop unary minus", node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        yield f"{node.value!r} -> {node.value + 1!r}", ast.Constant(node.value + 1)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "matrix_transpose"):
        yield "matrix_transpose(x) -> x.T", ast.Attribute(node.args[0], "T", ast.Load())


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST):
        self.target, self.replacement = target, replacement

    def generic_visit(self, node):
        if node is self.target:
            return self.replacement
        return super().generic_visit(node)


def mutants(source: str, only: str | None = None):
    """(op, line, description, mutated source) for every mutation of every op lambda."""
    tree = ast.parse(source)
    sites = []
    for op, lam in _op_lambdas(tree):
        if only is None or op == only:
            for node in ast.walk(lam.body):
                sites += [(op, node, d, r) for d, r in _changes(node)]
    for op, node, description, replacement in sites:
        mutated = _Replace(node, replacement).visit(tree)
        text = ast.unparse(mutated)
        _Replace(replacement, node).visit(tree)          # put the original back
        yield op, node.lineno, description, text


def _run_tests(folder: Path) -> bool:
    """True when the fast op tests pass in folder (a copy of the tree)."""
    env = dict(os.environ, PYTHONPATH=str(folder), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           "-o", "addopts=--import-mode=importlib", *TESTS],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    return done.returncode == 0


def _copy_tree(to: Path) -> Path:
    for name in ("microgradnn", "tests"):
        shutil.copytree(ROOT / name, to / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", to)
    return to


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="mutate only this op (its variable name in ops.py)")
    args = parser.parse_args(argv)
    source = OPS.read_text(encoding="utf-8")
    todo = list(mutants(source, args.only))
    with tempfile.TemporaryDirectory(prefix="mutate-ops-") as tmp:
        folders = [_copy_tree(Path(tmp) / f"w{i}") for i in range(args.jobs)]
        (folders[0] / "microgradnn" / "core" / "ops.py").write_text(ast.unparse(ast.parse(source)))
        if not _run_tests(folders[0]):
            print("the unmutated ops.py (as ast.unparse writes it) fails the tests; nothing to do")
            return 1

        def check(k):
            op, line, description, text = todo[k]
            folder = folders[k % args.jobs]
            (folder / "microgradnn" / "core" / "ops.py").write_text(text)
            return op, line, description, not _run_tests(folder)

        results = []
        for i in range(0, len(todo), args.jobs):       # one mutant per worker folder at a time
            with ThreadPoolExecutor(args.jobs) as pool:
                results += pool.map(check, range(i, min(i + args.jobs, len(todo))))
    killed = sum(r[3] for r in results)
    print(f"ops.py op lambdas: {len(results)} mutants, {killed} killed, "
          f"{len(results) - killed} survived, score {killed / max(len(results), 1):.1%}")
    for op, line, description, was_killed in results:
        if not was_killed:
            print(f"  survived: ops.py:{line} {op}: {description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
