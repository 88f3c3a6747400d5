"""Promises the README and docs make about the code itself, read from the source (ast).

* "the expression ... is parsed by hand, never passed to eval" (README, docs/cli.md);
* "This module imports nothing from the engine" (ops.py): the op catalogue stands alone;
* docs/testing.md's "claim → test" table names tests that exist.
"""
import ast
import re
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
    assert imported <= {"__future__", "math", "operator", "typing", "numpy"}, imported



# --- docs/testing.md names the tests that hold each claim: each one must exist ---------------

TESTS = Path(__file__).resolve().parent
TESTING_PAGE = TESTS.parent / "docs" / "testing.md"
NAMED = re.compile(r"`(?:tests/)?(test_\w+\.py)(?:::([\w.{},*]+))?`")


def _pattern(name: str) -> re.Pattern:
    """`..._x` and `*` stand for any text, `{a,b}` for a or b."""
    text = re.escape(name).replace(r"\.\.\.", ".*").replace(r"\*", ".*")
    text = re.sub(r"\\\{([^}]*)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", text)
    return re.compile(text + "$")


def _test_names(filename: str) -> set:
    tree = ast.parse((TESTS / filename).read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_every_test_the_testing_page_names_exists():
    named = NAMED.findall(TESTING_PAGE.read_text(encoding="utf-8"))
    assert len(named) > 40
    missing = []
    for filename, name in named:
        if not (TESTS / filename).exists():
            missing.append(filename)
        elif name and not any(_pattern(name).match(t) for t in _test_names(filename)):
            missing.append(f"{filename}::{name}")
    assert not missing, f"docs/testing.md names tests that do not exist: {missing}"
