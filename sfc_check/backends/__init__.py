"""Engines behind the rule language: plans compiled to SQL (sql.py) and run on embedded DuckDB."""
