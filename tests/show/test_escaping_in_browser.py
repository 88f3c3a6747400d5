"""The escaping claims held in a real browser (Debian's headless Chromium through Selenium, as
tests/test_explore.py drives it): an explorer page and a drawing built from hostile labels and
cross-check rows run no script of theirs — alert, confirm and prompt are replaced before the
page loads to record any call — and carry no javascript: link, while the text shows as written.
Skipped only when Graphviz's dot, Chromium, chromedriver or Selenium is missing."""
import shutil

import numpy as np
import pytest

from microgradnn import MLP
from microgradnn.check import crosscheck
from microgradnn.explorer import explore
from microgradnn.losses import network_loss
from microgradnn.show.escape import visible
from microgradnn.viz import draw_graph
from browser import browser, by_id, open_page  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz's dot is not installed")

LABEL = '<<TABLE><TR><TD HREF="javascript:alert(1)">click</TD></TR></TABLE>>'
ROW = "<img src=x onerror=alert(2)>"
NOTE = '</script><script>alert(3)</script>"\'\x00\ud800'

# Runs before any script of the page: every dialog is recorded instead of shown.
RECORDER = """
window.__calls = [];
['alert', 'confirm', 'prompt', 'print'].forEach(function (name) {
  window[name] = function () { window.__calls.push(name); };
});
"""


@pytest.fixture
def recording(browser):  # noqa: F811 - the fixture imported above
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                            {"identifier": added["identifier"]})


def hostile_page(folder):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    x, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]])
    report = crosscheck(net, x, y, "bce")
    report.rows[0].equation, report.rows[0].note = ROW, NOTE
    report.checked = ROW
    net(x)
    loss = network_loss(net, y, "bce")
    loss.label = LABEL
    net.weights[0].label = NOTE
    return net, loss, explore(loss, folder / "page.html", network=net, check=report)


def nothing_ran_and_no_link(driver):
    assert driver.execute_script("return window.__calls") == []
    links = driver.execute_script("""
        return Array.prototype.slice.call(document.querySelectorAll('*')).filter(function (e) {
          return Array.prototype.slice.call(e.attributes).some(function (a) {
            return /^on/i.test(a.name) || /javascript:/i.test(a.value);
          });
        }).map(function (e) { return e.outerHTML.slice(0, 120); });""")
    assert links == []
    assert driver.execute_script("return document.querySelectorAll('img, a, iframe').length") == 0


def test_an_explorer_page_with_hostile_labels_and_report_rows_runs_none_of_them(recording,
                                                                               tmp_path):
    from selenium.webdriver.common.by import By
    _, _, page = hostile_page(tmp_path)
    driver = open_page(recording, page)
    nothing_ran_and_no_link(driver)
    layers = by_id(driver, "layers").text
    assert ROW in layers and visible(NOTE) in layers              # shown as written
    assert LABEL in driver.title
    total = int(by_id(driver, "counter").text.split()[-1])
    for _ in range(total):                                        # every step writes its text
        by_id(driver, "next").click()
    for node in driver.find_elements(By.CSS_SELECTOR, "#graph g.node"):
        driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click'))", node)
    assert LABEL in by_id(driver, "explanation").text + by_id(driver, "details").text \
        or LABEL in driver.find_element(By.TAG_NAME, "body").text
    nothing_ran_and_no_link(driver)


def test_a_drawing_with_hostile_labels_runs_none_of_them(recording, tmp_path):
    _, loss, _ = hostile_page(tmp_path)
    path = draw_graph(loss, cluster_layers=True).render(tmp_path / "g", format="svg")
    driver = open_page(recording, path)
    nothing_ran_and_no_link(driver)
    shown = driver.execute_script("return document.documentElement.textContent")
    assert LABEL in shown and visible(NOTE) in shown
