"""JSON Schema checks of a YAML document (rules, policies, waivers, profiles, products): every error names the
file and the line of the offending value, in words a compliance officer reads."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from .errors import RuleFileError, did_you_mean
from .yamlsafe import YamlDocument


def _schema_of(error: jsonschema.ValidationError) -> Any:
    """The failing (sub)schema as a mapping (a schema may also be true/false)."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _schema_message(error: jsonschema.ValidationError) -> str:
    """Word a schema error like yamllint: what is wrong, where, and the nearest valid key when misspelt."""
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = list(_schema_of(error).get("properties", {}))
        extras = [str(k) for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        parts = []
        for extra in extras:
            hint = did_you_mean(extra, allowed) or f" (expected one of: {', '.join(allowed)})"
            parts.append(f"unknown key {extra!r} in {where}{hint}")
        if parts:
            return "; ".join(parts)
    if error.validator == "propertyNames":
        allowed = _schema_of(error).get("propertyNames", {}).get("enum") or []
        bad = error.instance
        for ctx in error.context or []:
            bad = ctx.instance
        hint = did_you_mean(str(bad), map(str, allowed)) or (f"; expected one of: {', '.join(allowed)}"
                                                              if allowed else "")
        return f"invalid key {bad!r} in {where}{hint}"
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "format" and error.validator_value == "date":
        return f"{where}: {error.instance!r}: not a valid calendar date (YYYY-MM-DD)"  # as values.parse_date
    if error.validator in ("oneOf", "anyOf") and error.context:
        dates = [e for e in error.context if e.validator == "format"]  # a date or null: the date is what is wrong
        if dates:
            return _schema_message(dates[0])
        best = jsonschema.exceptions.best_match(error.context)
        return f"{where}: {best.message}"
    return f"{where}: {error.message}"


def _error_path(error: jsonschema.ValidationError) -> list[Any]:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = _schema_of(error).get("properties", {})
        extras = [str(k) for k in error.instance if k not in allowed]
        if extras:
            path.append(extras[0])
    return path


def validate_document(doc: YamlDocument, schema: dict[str, Any], what: str) -> None:
    """Schema-validate one YAML document; the first (deepest, most relevant) error becomes a RuleFileError."""
    errors = schema_errors(doc, schema, what)
    if errors:
        raise errors[0]


def schema_errors(doc: YamlDocument, schema: dict[str, Any], what: str) -> list[RuleFileError]:
    """Every schema error of one document, in line order, misspelt keys first (a misspelt key explains the
    "required" error it causes); an error inside an oneOf/anyOf is worded by its deepest cause."""
    # formats checked: "date" (a real calendar day, not only the YYYY-MM-DD shape the pattern asks for)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc.data),
                    key=lambda e: (e.validator not in ("additionalProperties", "propertyNames"),
                                   doc.line_of(_error_path(e)) or 0))
    out: list[RuleFileError] = []
    seen: set[str] = set()
    for err in errors:
        if err.validator in ("oneOf", "anyOf") and err.context:
            misspelt = [e for e in err.context if e.validator in ("additionalProperties", "propertyNames")
                        and isinstance(e.instance, dict) and e.instance is err.instance]
            deeper = misspelt[0] if misspelt else jsonschema.exceptions.best_match(err.context)
            if misspelt or (list(deeper.absolute_path) and len(deeper.absolute_path) > len(err.absolute_path)):
                err = deeper
        found = RuleFileError(f"invalid {what}: {_schema_message(err)}", doc.path, doc.line_of(_error_path(err)))
        if str(found) not in seen:
            seen.add(str(found))
            out.append(found)
    return out
