"""Small things many test modules build the same way: a network, a neuron, an SVG's texts.

Fixtures shared by every module (``quiet_numpy``) live in conftest.py; the independent oracles
(central differences, plain-numpy forwards) in oracles.py.
"""
import xml.etree.ElementTree as ET

from microgradnn import Value
from microgradnn.nn import MLP


def mlp(layers=(2, 3, 1), activations=("tanh", "sigmoid"), seed=0):
    """A small network, by default the 2-3-1 tanh/sigmoid one most tests check."""
    return MLP(list(layers), list(activations), seed=seed)


def tanh_neuron(x_requires_grad=True):
    """y = tanh(x·w + b) at x = 0.5, w = −1.2, b = 0.3, every node labelled: (x, w, b, y)."""
    x = Value(0.5, label="x", requires_grad=x_requires_grad)
    w = Value(-1.2, label="w")
    b = Value(0.3, label="b")
    n = x * w + b
    n.label = "n"
    y = n.tanh()
    y.label = "y"
    return x, w, b, y


def svg_texts(svg: str) -> list:
    """The text of every <text> element of an SVG document, in document order."""
    root = ET.fromstring(svg)
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]
