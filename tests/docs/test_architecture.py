"""The architecture the README promises, read from the code (ast): parts that import only
downward, no import cycle (imports inside functions count), no private name crossing a part's
boundary, a core a learner reads in an hour, small modules, and tests named for behaviour."""
import ast
import io
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "microgradnn"
# The ladder, lowest first: a part may import its own modules and those of lower parts only.
PARTS = ["core", "network", "training", "show", "bridges", "check", "command"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> list:
    """(imported module, imported names) for every import in the module, however nested."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if not target.startswith("microgradnn"):
                continue
            for alias in node.names:             # `from . import engine` imports a module
                sub = f"{target}.{alias.name}"
                found.append((sub, ()) if sub in MODULES else (target, (alias.name,)))
        elif isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names if a.name.startswith("microgradnn")]
    return found


def _part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 and pieces[1] in PARTS else ""


def test_every_module_belongs_to_a_part_of_the_ladder():
    loose = {m for m in MODULES if not _part(m)} - {"microgradnn", "microgradnn.__main__"}
    assert loose == set()


def test_no_part_imports_a_part_above_it():
    upward = [(m, t) for m in MODULES if _part(m) for t, _ in _imports(m)
              if _part(t) and PARTS.index(_part(t)) > PARTS.index(_part(m))]
    assert upward == []


def test_there_is_no_import_cycle_even_through_imports_inside_functions():
    graph = {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}
    state: dict = {}

    def visit(start):                  # iterative depth-first search, colouring nodes
        stack = [(start, iter(sorted(graph[start])))]
        state[start] = "open"
        path = [start]
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == "open":
                    return path[path.index(child):] + [child]
                if child not in state:
                    state[child] = "open"
                    path.append(child)
                    stack.append((child, iter(sorted(graph[child]))))
                    break
            else:
                state[node] = "done"
                path.pop()
                stack.pop()
        return None
    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, " → ".join(cycle)


def test_no_private_name_is_imported_across_parts():
    crossing = [(m, t, n) for m in MODULES for t, names in _imports(m) for n in names
                if n.startswith("_") and not n.startswith("__") and _part(t) != _part(m)]
    assert crossing == []


def lines_of_code(path: Path) -> int:
    """Lines holding code: not blank, not comments, not docstrings."""
    source = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    code = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip:
            code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)


def test_the_cores_mechanism_is_at_most_500_lines_of_code():
    # The modules that define Value and every package module they use at run time, apart from
    # the op catalogue (ops.py and numeric.py, the math its VJPs are written with).
    catalogue = {"microgradnn.core.ops", "microgradnn.core.numeric"}
    mechanism, todo = set(), ["microgradnn.core.engine"]
    while todo:
        m = todo.pop()
        if m in mechanism or m in catalogue:
            continue
        mechanism.add(m)
        todo += [t for t, _ in _imports(m) if t in MODULES and t != "microgradnn"]
    assert mechanism == {"microgradnn.core.engine", "microgradnn.core.modes"}
    assert sum(lines_of_code(MODULES[m]) for m in mechanism) <= 500


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_600_lines_of_code(module):
    assert lines_of_code(MODULES[module]) <= 600


def test_test_files_are_named_for_behaviour_not_for_a_review_or_a_mutation_run():
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert [n for n in names if any(w in n for w in ("review", "mutant", "mutation"))] == []
