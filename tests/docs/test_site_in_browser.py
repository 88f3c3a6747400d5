"""The built site, looked at in headless Chromium as a person would: from the DOM's geometry.

On a Learn page with a drawing, a Use page with big drawings, a notebook page and the explorer:
every picture fits the content column at a readable size (or sits in a box that scrolls),
nothing sticks out sideways except inside such a box, a trace table keeps one line per row, no
doctest directive or raw Sphinx role is visible, and the explorer's graph pane stays usable
however far the page is scrolled. Each page leaves a screenshot in ``.artifacts/site/`` (listed
in .gitignore) to look at.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browser import browser, open_page  # noqa: E402,F401  (the fixture, shared)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts" / "site"
PAGES = ["autodiff/index.html", "graphs/index.html",
         "notebooks/01_autodiff_from_one_neuron/index.html", "api/index.html"]

# Per element of the content column, what sticks out: pictures outside the column or shrunk
# below 3/4 of their own size, boxes wider than the column, unless a scroll box holds them.
GEOMETRY = r"""
const column = document.querySelector('.md-content__inner');
const box = document.querySelector('.md-content').getBoundingClientRect();
const scrolls = el => { for (let e = el.parentElement; e && e !== column; e = e.parentElement) {
    const o = getComputedStyle(e).overflowX;
    if (o === 'auto' || o === 'scroll') return e; } return null; };
const inside = r => r.left >= box.left - 1 && r.right <= box.right + 1;
const where = el => (el.id || el.className.baseVal || el.className || el.tagName).toString()
    .slice(0, 60) + ' ' + (el.getAttribute('src') || '').slice(0, 40);
const out = {pictures: [], shrunk: [], overflow: [], scrollBoxes: []};
for (const el of column.querySelectorAll('img, svg')) {
  if (el.closest('.md-clipboard, .headerlink, button, .md-icon, .twemoji')) continue;
  const r = el.getBoundingClientRect();
  if (r.width < 30) continue;                          // an icon
  const s = scrolls(el);
  if (!inside(r) && !(s && inside(s.getBoundingClientRect()))) out.pictures.push(where(el));
  if (el.tagName === 'IMG' && el.naturalWidth && r.width < 0.75 * el.naturalWidth)
    out.shrunk.push(where(el) + ' ' + Math.round(r.width) + ' of ' + el.naturalWidth + ' px');
}
for (const el of column.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || inside(r) || scrolls(el)) continue;
  const o = getComputedStyle(el).overflowX;
  if ((o === 'auto' || o === 'scroll') && inside(el.getBoundingClientRect())) continue;
  out.overflow.push(where(el));
}
out.pageOverflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
return out;
"""


@pytest.fixture(scope="module")
def shots():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def look(browser, site, page, shots):
    open_page(browser, site / page)
    browser.save_screenshot(str(shots / (page.replace("/", "_") + ".png")))
    return browser.execute_script(GEOMETRY)


@pytest.mark.parametrize("page", PAGES)
def test_every_picture_fits_the_column_or_scrolls_in_a_box(browser, site, page, shots):
    assert look(browser, site, page, shots)["pictures"] == []


@pytest.mark.parametrize("page", PAGES)
def test_no_picture_is_shrunk_below_three_quarters_of_its_size(browser, site, page, shots):
    assert look(browser, site, page, shots)["shrunk"] == []


@pytest.mark.parametrize("page", PAGES)
def test_nothing_overflows_sideways_outside_a_scroll_box(browser, site, page, shots):
    seen = look(browser, site, page, shots)
    assert seen["overflow"] == [] and seen["pageOverflow"] <= 0


@pytest.mark.parametrize("page", PAGES)
def test_no_doctest_directive_or_raw_role_is_visible(browser, site, page):
    open_page(browser, site / page)
    text = browser.execute_script("return document.querySelector('.md-content').innerText;")
    for raw in ("doctest:", "+ELLIPSIS", "+NORMALIZE_WHITESPACE", ":class:`", ":func:`",
                ":meth:`", ":mod:`", "``"):
        assert raw not in text, (page, raw)


def test_a_trace_table_keeps_one_line_per_row(browser, site):
    open_page(browser, site / "notebooks/01_autodiff_from_one_neuron/index.html")
    tables = browser.execute_script(r"""
      return Array.from(document.querySelectorAll('pre')).filter(p =>
          p.textContent.includes('local ∂node/∂input')).map(p => {
        const lines = p.textContent.replace(/\n$/, '').split('\n').length;
        const height = parseFloat(getComputedStyle(p).lineHeight);
        const inner = p.clientHeight - parseFloat(getComputedStyle(p).paddingTop)
                      - parseFloat(getComputedStyle(p).paddingBottom);
        return [lines, Math.round(inner / height)]; });""")
    assert tables and all(drawn <= lines + 1 for lines, drawn in tables), tables


def test_the_explorers_graph_pane_stays_usable_at_any_scroll(browser, site, shots):
    open_page(browser, site / "explorer-example.html")
    browser.set_window_size(1400, 700)
    try:
        browser.execute_script("window.scrollTo(0, document.body.scrollHeight);")
        pane, view = browser.execute_script(r"""
          const r = document.getElementById('graph').getBoundingClientRect();
          const visible = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
          return [[Math.round(r.width), Math.round(visible)], [innerWidth, innerHeight]];""")
        browser.save_screenshot(str(shots / "explorer-scrolled.png"))
    finally:
        browser.set_window_size(1400, 900)
    assert pane[1] >= 0.75 * view[1] and pane[0] >= 0.5 * view[0], (pane, view)
