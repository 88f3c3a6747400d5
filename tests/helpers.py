"""Small things several test modules build the same way: a network and its closed-form gradients,
a neuron, an SVG's texts.

Fixtures shared by every module (``quiet_numpy``) live in conftest.py; the independent oracles
(central differences, plain-numpy forwards) in oracles.py.
"""
import xml.etree.ElementTree as ET

import numpy as np

from microgradnn import Value
from microgradnn.backprop import NeuralNetwork
from microgradnn.nn import MLP


def mlp(layers=(2, 3, 1), activations=("tanh", "sigmoid"), seed=0):
    """A small network, by default the 2-3-1 tanh/sigmoid one most tests check."""
    return MLP(list(layers), list(activations), seed=seed)


def closed_form_case():
    """The 2-3-1 network, a batch of three (x, y), and the closed form's dw, db and deltas of its
    quadratic cost by BP1–BP4, in the article's column layout: (net, x, y, dw, db, deltas)."""
    net = mlp()
    x = np.array([[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]])
    y = np.array([[1.0], [0.0], [0.5]])
    closed = NeuralNetwork.from_weights([W.data for W in net.weights],
                                        [b.data for b in net.biases], net.activations)
    z_s, a_s = closed.feedforward(x.T)
    dw, db = closed.backpropagation(y.T, z_s, a_s)
    return net, x, y, dw, db, closed.deltas


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
