"""The docs can't lie: every code block in docs/*.md runs here, and the site builds strictly.

Per page, in order, in one namespace, in a fresh temporary directory:

* ```` ```python ```` blocks are executed;
* ```` ```pycon ```` blocks (``>>>`` prompts with the expected output) run as doctests, so the
  output shown on the page is checked;
* ```` ```console ```` blocks: each line ``$ microgradnn ...`` runs the command (in-process) and
  must exit with status 0;
* any other block (```` ```text ````, ```` ```bash ```` install commands, ...) must be preceded by
  ``<!-- skip: <reason> -->``, so nothing is left unrun by accident.
"""
import contextlib
import doctest
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Pages owned by other engineers are checked by their own tests.
OTHERS = {"errors.md", "testing.md"}
PAGES = sorted(p.name for p in DOCS.glob("*.md") if p.name not in OTHERS) + ["../README.md"]

FENCE = re.compile(
    r"(?:<!--\s*skip:(?P<reason>[^>]*)-->\s*\n)?"     # an optional skip marker right before
    r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.S | re.M)


def blocks(page: str):
    """(language, code, skip reason or None, line number) of every fenced block of a page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        reason = m.group("reason")
        found.append((m.group("lang"), m.group("code"), reason and reason.strip(),
                      text.count("\n", 0, m.start("lang")) + 1))
    fences = len(re.findall(r"^\s*```", text, re.M))
    assert fences == 2 * len(found), f"{page}: a fenced block the runner cannot read (indented?)"
    return found


def run_console(code: str, where: str) -> str:
    from microgradnn.cli import main
    out = io.StringIO()
    for line in code.splitlines():
        if not line.startswith("$ "):
            continue   # output lines shown on the page
        argv = shlex.split(line[2:])
        assert argv[0] == "microgradnn", f"{where}: only microgradnn commands run here: {line}"
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            status = main(argv[1:])
        assert status == 0, f"{where}: {line!r} exited with {status}:\n{out.getvalue()}"
    return out.getvalue()


def test_there_are_pages():
    assert {"index.md", "autodiff.md", "four-equations.md", "api.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_of_the_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for lang, code, reason, line in blocks(page):
        where = f"{page}:{line}"
        if reason is not None:
            assert reason, f"{where}: a skipped block must say why (<!-- skip: reason -->)"
            continue
        if lang == "python":
            exec(compile(code, where, "exec"), namespace)
        elif lang == "pycon":
            test = doctest.DocTestParser().get_doctest(code, namespace, where, page, line)
            out = io.StringIO()
            result = runner.run(test, out=out.write, clear_globs=False)
            namespace.update(test.globs)   # doctest ran on a copy; later blocks need its names
            assert result.failed == 0, f"{where}: the output on the page is not what runs:\n" \
                                       + out.getvalue()
        elif lang == "console":
            run_console(code, where)
        else:
            pytest.fail(f"{where}: a ```{lang} block is neither run nor marked "
                        "<!-- skip: reason -->")


def test_the_site_builds_without_warnings(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    mkdocs = shutil.which("mkdocs", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                           os.environ.get("PATH", "")]))
    if mkdocs is None:
        pytest.skip("the mkdocs command is not installed")
    done = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").exists()
