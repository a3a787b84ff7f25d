"""Schemas and the data dictionary shipped with sfc-check."""
