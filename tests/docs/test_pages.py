"""The docs can't lie: every code block in docs/*.md runs here (the site's build: test_site.py).

Per page, in order, in one namespace, in a fresh temporary directory:

* ```` ```python ```` blocks are executed;
* ```` ```pycon ```` blocks (``>>>`` prompts with the expected output) run as doctests, so the
  output shown on the page is checked;
* a ```` ```text ```` block right after a ```` ```python ```` block (nothing but blank lines
  between) is that block's printed output: what the code prints must match it, compared like a
  doctest (``...`` stands for any text, runs of whitespace are equal);
* ```` ```console ```` blocks: each line ``$ microgradnn ...`` runs the command (in-process) and
  must exit with status 0; lines shown after a command are its output and must match the same way;
* any other block (```` ```text ````, ```` ```bash ```` install commands, ...) must be preceded by
  ``<!-- skip: <reason> -->``, so nothing is left unrun by accident.
"""
import contextlib
import doctest
import io
import re
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Pages owned by other engineers are checked by their own tests.
OTHERS = {"errors.md", "testing.md"}
NEEDS_TORCH = {"pytorch.md"}   # the page about moving a network to PyTorch runs PyTorch
PAGES = sorted(p.name for p in DOCS.glob("*.md") if p.name not in OTHERS) + ["../README.md"]

FENCE = re.compile(
    r"(?:<!--\s*skip:(?P<reason>[^>]*)-->\s*\n)?"     # an optional skip marker right before
    r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.S | re.M)


def blocks(page: str):
    """(language, code, skip reason or None, line number) of every fenced block of a page; a
    ```text block that shows the output of the ```python block just before it has language
    "output"."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found, previous = [], None
    for m in FENCE.finditer(text):
        reason = m.group("reason")
        lang = m.group("lang")
        if (lang == "text" and reason is None and previous is not None
                and previous.group("lang") == "python" and not text[previous.end():m.start()].strip()):
            lang = "output"
        found.append((lang, m.group("code"), reason and reason.strip(),
                      text.count("\n", 0, m.start("lang")) + 1))
        previous = m
    fences = len(re.findall(r"^\s*```", text, re.M))
    assert fences == 2 * len(found), f"{page}: a fenced block the runner cannot read (indented?)"
    return found


CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def assert_output_matches(shown: str, printed: str, where: str) -> None:
    """The output a page shows against what its code printed, compared like a doctest."""
    if not CHECKER.check_output(shown, printed, FLAGS):
        pytest.fail(f"{where}: the output on the page is not what runs:\n"
                    + CHECKER.output_difference(doctest.Example("", shown), printed, FLAGS))


def run_console(code: str, where: str) -> None:
    """Run each `$ microgradnn ...` line; the lines shown after a command are its output."""
    from microgradnn.cli import main
    commands = []                                    # [command line, shown output lines]
    for line in code.splitlines():
        if line.startswith("$ "):
            commands.append([line, []])
        elif commands:
            commands[-1][1].append(line)
    for line, shown in commands:
        argv = shlex.split(line[2:])
        assert argv[0] == "microgradnn", f"{where}: only microgradnn commands run here: {line}"
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            status = main(argv[1:])
        assert status == 0, f"{where}: {line!r} exited with {status}:\n{out.getvalue()}"
        if any(s.strip() for s in shown):
            assert_output_matches("\n".join(shown) + "\n", out.getvalue(), f"{where}: {line}")


def test_there_are_pages():
    assert {"index.md", "autodiff.md", "four-equations.md", "api.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_of_the_page_runs(page, tmp_path, monkeypatch):
    if page in NEEDS_TORCH:
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    printed = None                                   # what the last ```python block printed
    for lang, code, reason, line in blocks(page):
        where = f"{page}:{line}"
        if reason is not None:
            assert reason, f"{where}: a skipped block must say why (<!-- skip: reason -->)"
            continue
        if lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, where, "exec"), namespace)
            printed = out.getvalue()
            sys.stdout.write(printed)
        elif lang == "output":
            assert_output_matches(code, printed, where)
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


# --- the runner itself: a shown output that differs from the printed one fails ---------------

def _run_page(tmp_path, monkeypatch, text):
    (tmp_path / "docs").mkdir(parents=True)
    (tmp_path / "docs" / "page.md").write_text(text, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path / "docs")
    test_every_code_block_of_the_page_runs("page.md", tmp_path, monkeypatch)


def test_an_output_block_after_python_code_must_match_what_it_prints(tmp_path, monkeypatch):
    page = "```python\nprint(6 * 7)\nprint('a  b')\n```\n\n```text\n42\na b\n```\n"
    _run_page(tmp_path, monkeypatch, page)
    with pytest.raises(pytest.fail.Exception, match="not what runs"):
        _run_page(tmp_path / "x", monkeypatch, page.replace("42", "41"))


def test_an_output_block_may_elide_with_an_ellipsis(tmp_path, monkeypatch):
    _run_page(tmp_path, monkeypatch, "```python\nprint('loss 0.123456')\n```\n```text\nloss 0.12...\n```\n")


def test_console_output_shown_after_a_command_must_match(tmp_path, monkeypatch):
    page = "```console\n$ microgradnn check --layers 2,3,1\n{}\n```\n"
    _run_page(tmp_path, monkeypatch, page.format("network: ...\nCross-check ...: OK\n..."))
    with pytest.raises(pytest.fail.Exception, match="not what runs"):
        _run_page(tmp_path / "x", monkeypatch, page.format("not the output"))


def test_a_text_block_not_right_after_python_still_needs_a_skip_reason(tmp_path, monkeypatch):
    with pytest.raises(pytest.fail.Exception, match="neither run nor marked"):
        _run_page(tmp_path, monkeypatch, "Some prose.\n\n```text\n42\n```\n")
