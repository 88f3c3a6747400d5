"""Checking gradients: a hand-written backprop against autodiff (``crosscheck``,
``crosscheck_gradients``), any function against central differences (``gradcheck``), and the seed
article's closed-form network (``NeuralNetwork``, in ``microgradnn.check.backprop``).

>>> from microgradnn.check import crosscheck, gradcheck
"""
from .crosscheck import (Comparison, CrossCheckReport, GradcheckResult, crosscheck,
                         crosscheck_gradients, gradcheck)

__all__ = ["Comparison", "CrossCheckReport", "GradcheckResult", "crosscheck",
           "crosscheck_gradients", "gradcheck"]
