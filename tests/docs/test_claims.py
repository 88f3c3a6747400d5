"""Promises the README and docs make about the code itself, read from the source (ast).

* "the expression ... is parsed by hand, never passed to eval" (README, docs/cli.md);
* "This module imports nothing from the engine" (ops.py): the op catalogue stands alone;
* docs/testing.md's "claim → test" table names tests that exist.
"""
import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "microgradnn"


def _tree(name):
    return ast.parse((PACKAGE / name).read_text(encoding="utf-8"))


def _called_names(tree):
    return {node.func.id for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_the_expression_language_never_calls_eval_exec_or_compile():
    assert not _called_names(_tree("command/expr.py")) & {"eval", "exec", "compile", "__import__"}


def test_the_cli_never_calls_eval_exec_or_compile():
    assert not _called_names(_tree("command/cli.py")) & {"eval", "exec", "compile", "__import__"}


def test_ops_imports_nothing_from_the_package():
    imported = set()
    for node in ast.walk(_tree("core/ops.py")):
        if isinstance(node, ast.ImportFrom) and node.level == 1:   # its own helpers only
            assert node.module is None and [a.name for a in node.names] == ["numeric"], \
                f"ops.py: relative import from {node.module!r}"
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"ops.py: relative import from {node.module!r}"
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
    assert imported <= {"__future__", "math", "operator", "typing", "numpy"}, imported



# --- docs/testing.md names the tests that hold each claim: each one must exist ---------------

TESTS = Path(__file__).resolve().parents[1]
TESTING_PAGE = TESTS.parent / "docs" / "testing.md"
# `core/test_engine.py`, `tests/core/test_engine.py::test_name`: a path below tests/
NAMED = re.compile(r"`(?:tests/)?((?:\w+/)*test_\w+\.py)(?:::([\w.{},*]+))?`")


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


# --- the home page reaches every page, the README's layout names every module ----------------

ROOT = TESTS.parent


def _nav_pages() -> list:
    """The page files of mkdocs.yml's nav (read as text: the file holds no other `x.md` values)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    nav = re.split(r"\n\S", nav, maxsplit=1)[0]           # up to the next top-level key
    return re.findall(r":\s*(\S+\.(?:md|ipynb))\s*$", nav, re.M)


def test_the_home_page_links_every_page_of_the_navigation():
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([^)#\s]+)", home))
    pages = _nav_pages()
    assert len(pages) > 20 and "index.md" in pages
    assert {p for p in pages if p != "index.md"} - linked == set()


def test_the_readme_layout_names_every_module_of_the_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(?:microgradnn/)?([\w.]+\.py|\w+/)`", layout))
    modules = {p.name for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"
               and p.parent.name != "micrograd"} - {"__main__.py"}
    packages = {p.name + "/" for p in PACKAGE.rglob("*") if (p / "__init__.py").exists()}
    assert (modules | packages) - named == set()
