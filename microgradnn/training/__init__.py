"""Training a network: the loop (``fit``, ``evaluate``, ``predict``), the data sets and checkpoints.

>>> from microgradnn.training import fit, evaluate
"""
from .loop import History, accuracy, evaluate, fit, predict, predict_proba, prepare_data

__all__ = ["History", "accuracy", "evaluate", "fit", "predict", "predict_proba", "prepare_data"]
