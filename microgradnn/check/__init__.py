"""Checking gradients: a hand-written backprop against autodiff (``crosscheck``,
``crosscheck_gradients``), a hand-written backward of any numpy layer (``check_backward``), any function against central differences (``gradcheck``), and the seed
article's closed-form network (``NeuralNetwork``, in ``microgradnn.check.backprop``).

>>> from microgradnn.check import crosscheck, gradcheck
"""
from .crosscheck import (Comparison, CrossCheckReport, GradcheckResult, crosscheck,
                         crosscheck_gradients, gradcheck)
from .layer import BackwardReport, InputCheck, check_backward

__all__ = ["BackwardReport", "InputCheck", "check_backward", "Comparison", "CrossCheckReport", "GradcheckResult", "crosscheck",
           "crosscheck_gradients", "gradcheck"]
