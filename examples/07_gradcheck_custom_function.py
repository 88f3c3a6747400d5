"""Gradient checking: autodiff against central finite differences, for a function you write.

    python examples/07_gradcheck_custom_function.py

gradcheck perturbs each input element by ±ε and compares (f(x+ε) − f(x−ε)) / 2ε with the
gradient autodiff computed. It returns a result you can print; on failure it names the input,
the worst element, both values and the relative error.
"""
import numpy as np

from microgradnn import Value
from microgradnn.check import gradcheck


def softplus_attention(q, k):
    """A made-up function mixing matmul, softmax, log and exp: any composition of ops works."""
    scores = q @ k.T
    weights = scores.softmax(axis=-1)
    return ((weights * scores).sum() + 1.0).log() + (q.exp() + 1.0).log().mean()


rng = np.random.default_rng(0)
q, k = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
print(gradcheck(softplus_attention, Value(q, label="q"), Value(k, label="k")))

# A function with a hand-written "gradient" mistake can't be checked this way — autodiff has no
# mistakes to find — but a function with a kink can fool finite differences: relu at exactly 0.
print()
print(gradcheck(lambda x: x.relu().sum(), np.array([0.0, 1.0])))
print("(at 0 the numeric slope is ½ — halfway between relu's 0 and 1 — while autodiff uses "
      "relu′(0) = 0, as PyTorch does)")
