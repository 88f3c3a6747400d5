"""Draw every picture in docs/img/ from the code printed beside it on its page.

    python docs/make_pictures.py           # rewrite docs/img/*.svg (needs Graphviz's `dot`)
    python docs/make_pictures.py --check   # is every picture up to date? (no `dot` needed)

A page marks a picture with a comment right before the image, naming the variable that holds
the drawing:

    <!-- picture: layered -->
    ![The loss of a 2-16-16-1 network](img/mlp_loss_layers.svg)

The page's code blocks run in order in one namespace (```python blocks, and the >>> lines of
```pycon blocks; blocks marked <!-- skip: ... --> do not run), in a temporary directory, as
tests/docs/test_pages.py runs them; at each marker the named Drawing is taken as it is at that point.
So a picture cannot show anything but what the code above it computes.

Each SVG starts with a comment holding the SHA-256 of the DOT text it was rendered from; the
check rebuilds every drawing's DOT text, compares the hashes, and also reports images that no
page marks and files in docs/img/ that no page shows. tests/docs/test_pictures.py runs it.
"""
from __future__ import annotations

import contextlib
import doctest
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
IMG = DOCS / "img"
sys.path.insert(0, str(DOCS.parent))      # this checkout's microgradnn, not an installed one

FENCE = re.compile(
    r"(?:<!--\s*skip:(?P<reason>[^>]*)-->\s*\n)?"
    r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
PICTURE = re.compile(r"^<!--\s*picture:\s*(?P<var>\w+)\s*-->\s*\n!\[[^\]]*\]\(img/(?P<name>[\w.-]+)\)",
                     re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\(img/(?P<name>[^)\s]+)\)")
STAMP = "<!-- drawn by docs/make_pictures.py from DOT text with sha256 {} -->"


def _digest(dot: str) -> str:
    return hashlib.sha256(dot.encode("utf-8")).hexdigest()


def page_drawings(page: Path) -> dict:
    """file name → the Drawing its marker names, after running the page's code up to there."""
    text = page.read_text(encoding="utf-8")
    if not PICTURE.search(text):
        return {}                       # a page without pictures needs no running here
    events = sorted([(m.start(), "code", m) for m in FENCE.finditer(text)]
                    + [(m.start(), "picture", m) for m in PICTURE.finditer(text)],
                    key=lambda e: e[0])
    namespace: dict = {"__name__": "__docs__"}
    found: dict = {}
    for _, kind, m in events:
        where = f"{page.name}:{text.count(chr(10), 0, m.start()) + 1}"
        if kind == "picture":
            var, name = m.group("var"), m.group("name")
            if var not in namespace:
                raise NameError(f"{where}: the picture {name} names {var!r}, which the code "
                                "above it does not define")
            if not name.endswith(".svg"):
                raise ValueError(f"{where}: pictures are SVG files, got {name}")
            found[name] = namespace[var]
        elif m.group("reason") is None and m.group("lang") in ("python", "pycon"):
            code = m.group("code")
            if m.group("lang") == "pycon":
                examples = doctest.DocTestParser().get_examples(code)
                code = "".join(e.source for e in examples)
            with contextlib.redirect_stdout(open(os.devnull, "w")):
                exec(compile(code, where, "exec"), namespace)
    return found


def all_drawings() -> dict:
    """file name → DOT text, for every picture marked on every page."""
    sources: dict = {}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)                   # pages may write files; never into the repository
        try:
            for page in sorted(DOCS.glob("*.md")):
                for name, drawing in page_drawings(page).items():
                    if name in sources and sources[name] != drawing.source:
                        raise ValueError(f"{page.name}: img/{name} is drawn differently on two pages")
                    sources[name] = drawing.source
        finally:
            os.chdir(cwd)
    return sources


def problems() -> list:
    """What is out of date: stale or missing pictures, unmarked images, orphan files."""
    sources = all_drawings()
    found = []
    for name, dot in sorted(sources.items()):
        path = IMG / name
        if not path.exists():
            found.append(f"img/{name} is missing: run python docs/make_pictures.py")
        elif STAMP.format(_digest(dot)) not in path.read_text(encoding="utf-8"):
            found.append(f"img/{name} is not what the code beside it draws: run "
                         "python docs/make_pictures.py")
    for page in sorted(DOCS.glob("*.md")):
        for m in IMAGE.finditer(page.read_text(encoding="utf-8")):
            if m.group("name") not in sources:
                found.append(f"{page.name}: img/{m.group('name')} has no <!-- picture: ... --> "
                             "marker naming the drawing it shows")
    for path in sorted(IMG.iterdir()) if IMG.exists() else []:
        if path.name not in sources:
            found.append(f"img/{path.name} is shown on no page: delete it")
    return found


def write() -> list:
    """Render every picture to SVG, stamped with the hash of its DOT text; the files written."""
    import graphviz
    IMG.mkdir(exist_ok=True)
    written = []
    for name, dot in sorted(all_drawings().items()):
        svg = graphviz.Source(dot).pipe(format="svg", encoding="utf-8")
        head, _, rest = svg.partition("\n")          # after the <?xml ...?> declaration
        (IMG / name).write_text(f"{head}\n{STAMP.format(_digest(dot))}\n{rest}", encoding="utf-8")
        written.append(IMG / name)
    return written


def main(argv: list) -> int:
    if argv == ["--check"]:
        found = problems()
        print("\n".join(found) if found else "every picture in docs/img/ is up to date")
        return 1 if found else 0
    if argv:
        print(__doc__)
        return 2
    for path in write():
        print(f"wrote {path.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
