"""Write docs/explorer-example.html and its screenshot docs/screenshots/explorer.png.

Run from the repository root (needs Graphviz's `dot`, Debian's chromium and chromium-driver,
and selenium): python docs/make_explorer_example.py
"""
import tempfile
from pathlib import Path

import numpy as np

from microgradnn import MLP, crosscheck_gradients, explore, gradients
from microgradnn.losses import network_loss

DOCS = Path(__file__).resolve().parent
X = np.array([[0.5, -1.0], [1.0, 2.0]])
Y = np.array([[1.0], [0.0]])


def example_page() -> Path:
    """A 2-3-1 network's loss, checked against hand-written gradients with one classic bug:
    ∂C/∂W1 with the seed article's sign, so layer 1 shows red."""
    net = MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    net(X)
    loss = network_loss(net, Y, "quadratic")
    dw = gradients(loss, net.weights)
    db = gradients(loss, net.biases)
    report = crosscheck_gradients(net, X, Y, [-dw[0], dw[1]], db, layout="rows")
    net(X)
    return explore(network_loss(net, Y, "quadratic"), DOCS / "explorer-example.html",
                   network=net, check=report)


def screenshot(page: Path, png: Path, steps: int) -> None:
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
        for _ in range(steps):
            driver.find_element("id", "next").click()
        driver.save_screenshot(str(png))
    finally:
        driver.quit()


if __name__ == "__main__":
    page = example_page()
    screenshot(page, DOCS / "screenshots" / "explorer.png", steps=13)
    print(f"wrote {page} and {DOCS / 'screenshots' / 'explorer.png'}")
