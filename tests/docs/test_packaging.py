"""The package metadata builds without deprecation warnings (verified once with `pip wheel`:
setuptools warns "`project.license` as a TOML table is deprecated" for the old form)."""
import re
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_license_is_an_spdx_string_with_a_setuptools_that_reads_it():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert meta["project"]["license"] == "MIT"
    (setuptools,) = [r for r in meta["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(re.search(r">=\s*(\d+)", setuptools).group(1)) >= 77      # PEP 639 support


def test_an_editable_install_builds_without_a_warning_banner(tmp_path):
    """`pip install -e .` (make demo) prints no setuptools banner: the editable wheel is built
    here by the installed setuptools, in a copy of the checkout, as pip's build step does."""
    import shutil
    import subprocess
    import sys
    pytest.importorskip("setuptools")
    root = PYPROJECT.parent
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(root / "microgradnn", project / "microgradnn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, project / name)
    code = ("import setuptools.build_meta as b, sys; "
            "print(b.build_editable(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "wheel")], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(".whl")
    assert "Editable installation" not in output and "!!" not in output, output
