"""``python -m microgradnn``: the same as the ``microgradnn`` command."""
import sys

from .command.cli import main

if __name__ == "__main__":
    sys.exit(main())
