"""Load an older microgradnn source tree next to the current one, for before/after timings.

On a shared machine, times taken minutes apart are not comparable; the benchmarks therefore
take ``--before DIR`` (a directory holding an older ``microgradnn/`` package, for example made
by ``git worktree add /tmp/before <commit>``) and time both versions in turns, in one process.
The old package is imported under the name ``microgradnn_before``.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys


def load(directory: str):
    """The package ``directory/microgradnn`` imported as ``microgradnn_before``."""
    init = os.path.join(directory, "microgradnn", "__init__.py")
    if not os.path.isfile(init):
        raise SystemExit(f"--before: no microgradnn package in {directory!r}")
    spec = importlib.util.spec_from_file_location(
        "microgradnn_before", init, submodule_search_locations=[os.path.dirname(init)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["microgradnn_before"] = module
    spec.loader.exec_module(module)
    return module


def submodule(package, name: str):
    """package.name, imported (e.g. submodule(before, "nn").MLP)."""
    return importlib.import_module(f"{package.__name__}.{name}")
