"""Write docs/explorer-example.html and its screenshot docs/screenshots/explorer.png.

    python docs/make_explorer_example.py           # rewrite both (needs Graphviz's `dot`, and
                                                   # Debian's chromium, chromium-driver, selenium)
    python docs/make_explorer_example.py --check   # are both what today's code makes?

The page is `explore` of a 2-3-1 network's loss, checked against hand-written gradients with one
classic bug. It starts with a comment naming the Graphviz version that laid out its graph; the
check makes the page again and compares: byte for byte under the same Graphviz, and outside the
inline <svg> (Graphviz's layout) under another. The screenshot carries, in a PNG text chunk, the
SHA-256 of the page it was taken from, so a screenshot of an older page is reported stale.
tests/test_docs_pictures.py runs the check.
"""
from __future__ import annotations

import hashlib
import re
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))      # this checkout's microgradnn, not an installed one

from microgradnn import MLP, crosscheck_gradients, explore, gradients  # noqa: E402
from microgradnn.losses import network_loss  # noqa: E402

PAGE = DOCS / "explorer-example.html"
SCREENSHOT = DOCS / "screenshots" / "explorer.png"
X = np.array([[0.5, -1.0], [1.0, 2.0]])
Y = np.array([[1.0], [0.0]])
STAMP = "<!-- made by docs/make_explorer_example.py; graph laid out by Graphviz {} -->\n"
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
PNG_KEY = b"microgradnn-page-sha256"


def graphviz_version() -> str:
    import graphviz
    return ".".join(map(str, graphviz.version()))


def example_page() -> str:
    """The page's text: a 2-3-1 network's loss, checked against hand-written gradients with one
    classic bug, ∂C/∂W1 with the seed article's sign, so layer 1 shows red."""
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net(X)
    loss = network_loss(net, Y, "quadratic")
    dw = gradients(loss, net.weights)
    db = gradients(loss, net.biases)
    report = crosscheck_gradients(net, X, Y, [-dw[0], dw[1]], db, layout="rows")
    net(X)
    with tempfile.TemporaryDirectory() as tmp:
        path = explore(network_loss(net, Y, "quadratic"), Path(tmp) / "explorer-example.html",
                       network=net, check=report)
        text = path.read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)                        # after <!DOCTYPE html>
    return f"{head}\n{STAMP.format(graphviz_version())}{rest}"


def png_stamp(png: bytes) -> str | None:
    """The page hash a screenshot was stamped with (None if it has none)."""
    at = 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind == b"tEXt":
            key, _, value = png[at + 8:at + 8 + length].partition(b"\0")
            if key == PNG_KEY:
                return value.decode("ascii")
        at += 12 + length
    return None


def stamped_png(png: bytes, page: str) -> bytes:
    """The PNG with a text chunk holding the SHA-256 of the page it shows, right after IHDR."""
    data = PNG_KEY + b"\0" + hashlib.sha256(page.encode("utf-8")).hexdigest().encode("ascii")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    ihdr_end = 8 + 12 + struct.unpack(">I", png[8:12])[0]
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def screenshot(page: Path) -> bytes:
    """The page in headless Chromium at its last-but-one step (the last gradient arriving)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1500,1250",
                 "--hide-scrollbars", f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(page.as_uri())
        steps = int(re.search(r"of (\d+)", driver.find_element("id", "counter").text).group(1))
        for _ in range(steps - 1):
            driver.find_element("id", "next").click()
        return driver.get_screenshot_as_png()
    finally:
        driver.quit()


def problems() -> list:
    """What is out of date: the page, if today's code makes another; the screenshot, if it was
    not taken of the page as it is."""
    found = []
    if not PAGE.exists():
        return [f"{PAGE.name} is missing: run python docs/make_explorer_example.py"]
    stored, today = PAGE.read_text(encoding="utf-8"), example_page()
    version = re.search(r"laid out by Graphviz (\S+) -->", stored)
    same_layout = version is not None and version.group(1) == graphviz_version()
    if (stored != today) if same_layout else (SVG.sub("", stored) != SVG.sub("", today)):
        found.append(f"{PAGE.name} is not what today's explore draws: run "
                     "python docs/make_explorer_example.py")
    if not SCREENSHOT.exists():
        found.append(f"screenshots/{SCREENSHOT.name} is missing: run "
                     "python docs/make_explorer_example.py")
    elif png_stamp(SCREENSHOT.read_bytes()) != hashlib.sha256(stored.encode("utf-8")).hexdigest():
        found.append(f"screenshots/{SCREENSHOT.name} was not taken of {PAGE.name} as it is: run "
                     "python docs/make_explorer_example.py")
    return found


def write() -> None:
    page = example_page()
    PAGE.write_text(page, encoding="utf-8")
    SCREENSHOT.write_bytes(stamped_png(screenshot(PAGE), page))


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        stale = problems()
        print("\n".join(stale) or "up to date")
        sys.exit(1 if stale else 0)
    write()
    print(f"wrote {PAGE} and {SCREENSHOT}")
