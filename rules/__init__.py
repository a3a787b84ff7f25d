"""The bundled SFC rule pack (YAML data; installed as sfc_check.rules)."""
