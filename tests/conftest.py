"""Hypothesis profiles and fixtures for the whole test suite.

* ``ci`` (the default): a bounded number of examples, derandomized (the same examples on every
  run, so a red CI run can be reproduced), no deadline (the CI machines are noisy).
* ``long``: many more random examples, for a local fuzzing session.

Select the long run with ``MICROGRADNN_FUZZ=long`` (or any registered profile with
``HYPOTHESIS_PROFILE=<name>``), e.g.::

    MICROGRADNN_FUZZ=long .venv/bin/python -m pytest -q tests/core/test_fuzz.py

Tests that set ``max_examples`` themselves keep their own number; the fuzz suite
(tests/core/test_fuzz.py) takes it from the profile. See docs/testing.md.
"""
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True,
                          print_blob=True)
settings.register_profile("long", max_examples=3000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])

_profile = os.environ.get("HYPOTHESIS_PROFILE") or (
    "long" if os.environ.get("MICROGRADNN_FUZZ", "").lower() == "long" else "ci")
settings.load_profile(_profile)

# MICROGRADNN_NO_TORCH=1 runs the suite as on a machine without PyTorch: `import torch` fails, so
# every PyTorch comparison skips and the torch-free tests must still hold each behaviour.
#   MICROGRADNN_NO_TORCH=1 .venv/bin/python -m pytest -q -rs
if os.environ.get("MICROGRADNN_NO_TORCH"):
    import sys

    class _NoTorch:
        """Refuse `import torch` (a finder, not sys.modules["torch"] = None, which scipy trips on)."""

        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r} (MICROGRADNN_NO_TORCH)",
                                          name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())


@pytest.fixture
def quiet_numpy():
    """numpy's floating-point warnings off: for tests of what the library does at inf, NaN and 0,
    where numpy itself warns (divide by zero, overflow, invalid value) on the way.
    A module takes it with ``pytestmark = pytest.mark.usefixtures("quiet_numpy")``."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
