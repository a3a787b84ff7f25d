"""`python -m sfc_check.cli`: the same as the sfc-check command."""
from .commands import main

main()
