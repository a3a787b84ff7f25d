"""sfc-check: audit exported records against the SFC's virtual-asset rules, citing the paragraph."""
from __future__ import annotations

# The one place the version is written (pyproject.toml reads it): importlib.metadata would cost 25 ms at start.
__version__ = "0.1.0"

__all__ = ["__version__"]
