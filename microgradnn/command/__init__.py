"""The ``microgradnn`` command (cli) and the expression language it reads (expr)."""
