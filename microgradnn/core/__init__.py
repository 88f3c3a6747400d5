"""The autodiff core: ``Value`` and its graph (engine), the op table (ops), the function transforms
(functional) and anomaly mode. Nothing here imports any other part of microgradnn."""
