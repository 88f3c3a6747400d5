"""The dense network built on the core: its architecture, ``MLP``, the losses and optimizers."""
