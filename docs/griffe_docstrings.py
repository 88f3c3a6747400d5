"""Docstrings as the API page shows them: Sphinx roles become links, doctests become code.

The docstrings are written for ``help()`` and doctest: ``:class:`~microgradnn.nn.MLP``` roles
and ``>>>`` examples. Markdown knows neither — it prints the roles raw and reads ``>>>`` as
three nested quotes. This griffe extension (mkdocs.yml, mkdocstrings' ``extensions``) rewrites
each docstring before it is rendered:

* ``:class:`~microgradnn.nn.MLP``` (any role: class, func, meth, mod, attr, exc, data, obj) →
  a cross-reference to the object, found from the docstring's own module when the name is
  relative (``:func:`gradcheck```); it links when the object is on the API page and is shown
  as code otherwise. A name outside microgradnn (``:func:`os.replace```) is shown as code.
* a run of ``>>>`` lines with their output → a ```` ```pycon ```` block.
* a module attribute that is a function made at import time (``exp = _elementwise(...)`` in
  microgradnn.functional) → that function, with its runtime signature and docstring, so the
  page shows it as the function it is and not as the call that made it.

tests/docs/test_site.py builds the site and checks that no raw role and no quoted ``>>>`` is left.
"""
from __future__ import annotations

import importlib
import inspect
import re
from typing import Any, Optional

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj):`(?P<tilde>~?)(?P<name>[\w.]+)`")


def _find(pkg: Any, path: str) -> Optional[str]:
    """The canonical path of the object at ``path`` (absolute), or None if the package has none."""
    root, _, rest = path.partition(".")
    if root != pkg.path:
        return None
    try:
        found = pkg[rest] if rest else pkg
        return found.canonical_path
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _resolve(pkg: Any, obj: Any, name: str) -> Optional[str]:
    """Look the name up as written, then from the object's class, module and package."""
    scopes = [obj.parent.path if obj.parent is not None and obj.parent.is_class else None,
              obj.module.path if not obj.is_module else obj.path, obj.module.path, pkg.path]
    for scope in [None, *scopes]:
        path = name if scope is None else f"{scope}.{name}"
        found = _find(pkg, path)
        if found:
            return found
    return None


def _role(pkg: Any, obj: Any, m: re.Match) -> str:
    name = m["name"]
    shown = name.rsplit(".", 1)[-1] if m["tilde"] else name
    path = _resolve(pkg, obj, name)
    if path is None:
        return f"`{shown}`"
    return f'<autoref identifier="{path}" optional><code>{shown}</code></autoref>'


def _fence_doctests(text: str) -> str:
    """Each run of >>> lines (and the output under them, up to a blank line) in a pycon fence."""
    out, block, fenced = [], [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and (line.startswith(">>>") or (block and line.strip())):
            block.append(line)
            continue
        if block:
            out += ["```pycon", *block, "```"]
            block = []
        out.append(line)
    if block:
        out += ["```pycon", *block, "```"]
    return "\n".join(out)


def _as_function(attribute: Any) -> Optional[Any]:
    """The griffe Function for a module attribute whose runtime value is a plain function."""
    try:
        value = getattr(importlib.import_module(attribute.module.path), attribute.name)
    except (ImportError, AttributeError):
        return None
    if not inspect.isfunction(value) or not value.__doc__:
        return None
    params = [griffe.Parameter(p.name, kind=griffe.ParameterKind[p.kind.name.lower()],
                               default=None if p.default is p.empty else repr(p.default))
              for p in inspect.signature(value).parameters.values()]
    return griffe.Function(attribute.name, parameters=griffe.Parameters(*params),
                           docstring=griffe.Docstring(inspect.cleandoc(value.__doc__)),
                           lineno=attribute.lineno, endlineno=attribute.endlineno)


class SphinxToMarkdown(griffe.Extension):
    """Rewrite every docstring of the package once it is loaded (a loop, no recursion)."""

    def on_package(self, *, pkg: Any, **kwargs: Any) -> None:
        todo = [pkg]
        while todo:                  # first, functions made at import time become functions
            obj = todo.pop()
            for name, member in list(obj.members.items()):
                if member.is_alias:
                    continue
                if obj.is_module and member.is_attribute and member.docstring is None \
                        and str(member.value or "").startswith("_"):
                    function = _as_function(member)
                    if function is not None:
                        obj.set_member(name, function)
                        continue
                if member.is_module:
                    todo.append(member)
        todo = [pkg]
        while todo:
            obj = todo.pop()
            if obj.docstring is not None:
                value = ROLE.sub(lambda m: _role(pkg, obj, m), obj.docstring.value)
                obj.docstring.value = _fence_doctests(value)
            todo.extend(member for member in obj.members.values() if not member.is_alias)
