"""The site builds without a warning (once per run: the ``site`` fixture, conftest.py) and shows
what the code does: the API reference renders (code blocks, links, no raw Sphinx roles), the
guide's signatures are the functions' own, the install line works."""
import ast
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
RAW_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj):(?:`|<code>)")


def test_the_site_builds_without_warnings(site):
    assert (site / "index.html").exists()


def pages(site: Path) -> dict:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
            for p in site.rglob("*.html")}


def test_no_page_prints_a_raw_sphinx_role(site):
    found = {name: RAW_ROLE.findall(html) for name, html in pages(site).items()}
    assert {name: roles for name, roles in found.items() if roles} == {}


def test_doctest_examples_are_code_blocks_not_nested_quotes(site):
    for name, html in pages(site).items():
        outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
        assert "&gt;&gt;&gt;" not in outside_code, name
        assert not re.search(r"<blockquote>\s*<blockquote>", html), name
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert api.count('<span class="gp">&gt;&gt;&gt; </span>') >= 29      # highlighted prompts


def test_the_api_page_links_the_classes_its_docstrings_name(site):
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a class="autorefs autorefs-internal"[^>]*href="#microgradnn\.check\.crosscheck\.'
                     r'GradcheckResult"><code>GradcheckResult</code></a>', api)
    assert 'href="#microgradnn.network.nn.MLP"' in api and 'href="#microgradnn.core.engine.Value"' in api


def test_the_checking_guide_is_built_and_in_the_navigation(site):
    assert (site / "checking" / "index.html").exists()
    assert 'href="checking/"' in (site / "index.html").read_text(encoding="utf-8")


def documented_signatures(page: str) -> list:
    """(name, [(parameter, default text or None)]) of each ```text signature block of a page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for m in re.finditer(r"<!-- skip: a signature[^>]*-->\s*\n```text\n(.*?)```", text, re.S):
        sig = " ".join(m.group(1).split()).split(" -> ")[0]
        fn = ast.parse(f"def {sig}: pass").body[0]
        args = fn.args
        plain = args.args
        defaults = [None] * (len(plain) - len(args.defaults)) + args.defaults
        params = [(a.arg, d) for a, d in zip(plain, defaults)]
        if args.vararg:
            params.append(("*" + args.vararg.arg, None))
        params += list(zip((a.arg for a in args.kwonlyargs), args.kw_defaults))
        found.append((fn.name, [(n, None if d is None else ast.literal_eval(d)) for n, d in params]))
    return found


def test_the_signatures_in_the_checking_guide_are_the_functions_own():
    from microgradnn import check
    documented = documented_signatures("checking.md")
    assert [name for name, _ in documented] == ["gradcheck", "crosscheck", "crosscheck_gradients"]
    for name, params in documented:
        real = []
        for p in inspect.signature(getattr(check, name)).parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                real.append(("*" + p.name, None))
            else:
                real.append((p.name, None if p.default is p.empty else p.default))
        assert params == real, name


def test_the_install_line_installs_from_a_checkout_with_extras_the_project_declares():
    tomllib = pytest.importorskip("tomllib")
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    m = re.search(r'pip install -e "\.\[([\w,-]+)\]"', index)
    assert m, "docs/index.md must say how to install from a checkout"
    assert "git clone" in index and 'pip install "microgradnn[' not in index
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(m.group(1).split(",")) <= set(extras)


def test_no_page_shows_a_doctest_directive(site):
    """`# doctest: +ELLIPSIS` and the like are for the doctest runner, not for the reader."""
    shown = {name: re.findall(r"doctest:\s*[+-]\w+", re.sub(r"<[^>]+>", "", html))
             for name, html in pages(site).items()}
    assert {name: found for name, found in shown.items() if found} == {}


def test_no_page_installs_microgradnn_from_a_package_index():
    """microgradnn is installed from a checkout (pip install -e ".[extra]"), not by its name."""
    root = DOCS.parent
    texts = {p: p.read_text(encoding="utf-8") for p in
             [root / "README.md", *DOCS.glob("*.md"), *(root / "examples").glob("*.py"),
              *(root / "microgradnn").rglob("*.py"), *(root / "notebooks").glob("*.ipynb")]}
    wrong = re.compile(r'pip install \\?"?microgradnn\[')
    assert [str(p.relative_to(root)) for p, text in texts.items() if wrong.search(text)] == []


def _extra(name: str, extras: dict) -> set:
    """The distributions an extra installs, the extras it names of this project expanded."""
    found = set()
    for requirement in extras[name]:
        m = re.match(r"([\w.-]+)(?:\[([\w,-]+)\])?", requirement)
        if m.group(1) == "microgradnn":
            for inner in m.group(2).split(","):
                found |= _extra(inner, extras)
        else:
            found.add(m.group(1).lower())
    return found


def test_the_docs_extra_is_enough_to_build_the_site_and_run_its_notebooks():
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    docs = _extra("docs", extras)
    assert {"mkdocs-material", "mkdocstrings", "mkdocs-jupyter"} <= docs        # mkdocs.yml
    assert {"ipykernel", "nbclient"} <= docs                                    # execute: true
    assert {"matplotlib", "tqdm", "scikit-learn"} <= docs   # notebook 3: plots, progress, digits


# --- the performance page: one current table; the README quotes it ---------------------------

def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_performance_page_has_one_table_of_figures_and_one_measured_on_line():
    page = (DOCS / "performance.md").read_text(encoding="utf-8")
    tables = re.findall(r"(?:^\|.*\|\n)+", page, re.M)
    assert len(tables) == 1 and "\n## Today's figures\n" in page
    assert len(re.findall(r"^Measured on: ", page, re.M)) == 1
    assert tables[0] in _section(page, "Today's figures")


def test_the_readmes_speed_section_is_short_and_quotes_the_performance_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    speed = _section(readme, "Speed").strip()
    assert len(speed.splitlines()) <= 5 and "(docs/performance.md)" in speed
    table = re.findall(r"(?:^\|.*\|\n)+", (DOCS / "performance.md").read_text(encoding="utf-8"),
                       re.M)[0]
    quoted = re.findall(r"\d[\d.,–]*×", speed)
    assert quoted and [q for q in quoted if q not in table] == []


# --- a page says what is true today; how it got there is git log ------------------------------

DIARY = re.compile(r"\b(?:second|third|fourth) pass\b|\bfirst-pass\b|\bspeed pass|\bthis pass\b|\bfor the record\b|"
                   r"\btaken back\b|\btried and\b|\bwe tried\b|\bearlier run\b|"
                   r"\bruns? [0-9]+(?:[–-][0-9]+)?\b|\bthe run of\b|\b[0-2][0-9]:[0-5][0-9]\b",
                   re.I)


def test_no_page_reads_like_a_lab_notebook():
    """No passes, runs by number or clock time, or things tried and taken back; a run's date
    appears once, on the performance page's "Measured on" line."""
    others = {"errors.md", "checking.md"}           # kept by their own owners and tests
    found = {}
    for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        if path.name in others:
            continue
        text = path.read_text(encoding="utf-8")
        hits = DIARY.findall(text) + re.findall(r"\b20[0-9]{2}-[01][0-9]-[0-3][0-9]\b", text)
        if path.name == "performance.md":
            measured = re.findall(r"^Measured on: (20[0-9]{2}-[01][0-9]-[0-3][0-9])", text, re.M)
            hits = [h for h in hits if h not in measured]
        if hits:
            found[path.name] = hits
    assert found == {}
