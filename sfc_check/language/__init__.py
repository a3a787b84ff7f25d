"""The rule language: rule files parsed into a typed, immutable plan of expression trees that any backend runs."""
