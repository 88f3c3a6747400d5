"""Promises the README and docs make about the code itself, read from the source (ast).

* "the expression ... is parsed by hand, never passed to eval" (README, docs/cli.md);
* "This module imports nothing from the engine" (ops.py): the op catalogue stands alone.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "microgradnn"


def _tree(name):
    return ast.parse((PACKAGE / name).read_text(encoding="utf-8"))


def _called_names(tree):
    return {node.func.id for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_the_expression_language_never_calls_eval_exec_or_compile():
    assert not _called_names(_tree("expr.py")) & {"eval", "exec", "compile", "__import__"}


def test_the_cli_never_calls_eval_exec_or_compile():
    assert not _called_names(_tree("cli.py")) & {"eval", "exec", "compile", "__import__"}


def test_ops_imports_nothing_from_the_package():
    imported = set()
    for node in ast.walk(_tree("ops.py")):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"ops.py: relative import from {node.module!r}"
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
    assert imported <= {"__future__", "math", "typing", "numpy"}, imported

