"""Two moons: train a classifier, plot its loss curve and its decision boundary.

    python examples/04_moons_boundary.py [--fast] [--out DIR]   # DIR/moons-loss.png, ...

DIR defaults to out/ in the current directory (git ignores it). Needs matplotlib for the
pictures (pip install -e ".[demo]" in a checkout).
"""
import argparse
import os
import sys
from pathlib import Path

from microgradnn import MLP
from microgradnn.datasets import moons
from microgradnn.training import accuracy, fit

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="a tiny setting, in seconds")
parser.add_argument("--out", default="out", help="folder for the plots (default: out/)")
args = parser.parse_args()
FAST = args.fast or os.environ.get("MICROGRADNN_EXAMPLE_FAST") == "1"
out_dir = Path(args.out)

x, y = moons(n=200 if FAST else 600, noise=0.2, seed=0)     # generated in code, seeded
cut = int(0.75 * len(x))                                     # the points come shuffled
x_train, y_train, x_test, y_test = x[:cut], y[:cut], x[cut:], y[cut:]

net = MLP([2, 16, 16, 1], ["relu", "relu", "sigmoid"], seed=0, init="he")
history = fit(net, x_train, y_train, loss="bce", optimizer="adam", lr=0.01,
              epochs=20 if FAST else 150, batch_size=32, validation_data=(x_test, y_test),
              progress=not FAST)
print(f"test accuracy: {accuracy(net, x_test, y_test):.1%}")

try:
    from microgradnn.plots import decision_boundary, loss_curve
except ImportError:
    sys.exit(0)
try:
    out_dir.mkdir(parents=True, exist_ok=True)
    loss_curve(history, out_dir / "moons-loss.png", title="Two moons")
    decision_boundary(net, x_test, y_test, out_dir / "moons-boundary.png",
                      title="Two moons: test points")
    print(f"wrote {out_dir / 'moons-loss.png'} and {out_dir / 'moons-boundary.png'}")
except ImportError as e:            # matplotlib is an optional extra
    print(e)
