"""sfc-check: audit exported records against the SFC's virtual-asset rules, citing the paragraph."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sfc-check")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
