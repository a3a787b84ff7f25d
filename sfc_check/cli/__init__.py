"""The command line: options in, a use case called, reports written, an exit code out."""
from .commands import main

__all__ = ["main"]
