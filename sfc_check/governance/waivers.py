"""Waivers: approved exceptions that expire. A waived violation stays in every report but does not fail the run."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import RuleFileError
from ..findings import remark
from ..model import Violation
from ..validation import validate_document
from ..yamlsafe import load_yaml_file
from .identities import identity_text


@dataclass(frozen=True)
class Waiver:
    rule_id: str
    key: dict[str, str]
    reason: str
    approved_by: str
    approved_on: date
    expires_on: date
    line: int | None = None
    ticket: str | None = None

    def entry(self) -> dict[str, Any]:
        out = {"rule_id": self.rule_id, "key": self.key, "reason": self.reason, "approved_by": self.approved_by,
               "approved_on": self.approved_on.isoformat(), "expires_on": self.expires_on.isoformat()}
        if self.ticket:
            out["ticket"] = self.ticket
        return out


@dataclass
class WaiverOutcome:
    """What the waiver file did in this run: applied, expired (no longer applies) and stale (matched nothing)."""

    path: str
    sha256: str
    applied: list[Waiver] = field(default_factory=list)
    expired: list[Waiver] = field(default_factory=list)
    stale: list[Waiver] = field(default_factory=list)
    not_yet_approved: list[Waiver] = field(default_factory=list)


@lru_cache(maxsize=1)
def waiver_schema() -> dict[str, Any]:
    return json.loads(resources.files("sfc_check.schemas").joinpath("waivers.schema.json").read_text("utf-8"))


def load_waivers(path: Path) -> tuple[list[Waiver], str]:
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise RuleFileError("a waiver file holds one mapping with a 'waivers' list", str(path), 1)
    validate_document(doc, waiver_schema(), "waiver file")
    out = []
    for i, w in enumerate(doc.data["waivers"]):
        line = doc.line_of(["waivers", i])
        try:
            approved, expires = date.fromisoformat(w["approved_on"]), date.fromisoformat(w["expires_on"])
        except ValueError as exc:
            raise RuleFileError(f"waiver {i + 1}: {exc}", str(path), line) from None
        if expires < approved:
            raise RuleFileError(f"waiver {i + 1}: expires_on is before approved_on", str(path), line)
        out.append(Waiver(w["rule_id"], {k: str(v) for k, v in w["key"].items()}, w["reason"], w["approved_by"],
                          approved, expires, line, w.get("ticket")))
    return out, doc.sha256


def apply_waivers(violations: Sequence[Violation], waivers: list[Waiver], as_of: date, path: str,
                  sha256: str) -> tuple[Sequence[Violation], WaiverOutcome]:
    """Mark violations covered by an unexpired waiver; report expired and stale waivers. One pass finds which
    waivers match; the marking itself happens as the violations are read (a store keeps them on disk)."""
    outcome = WaiverOutcome(path=path, sha256=sha256)
    by_identity: dict[str, list[Waiver]] = {}
    for w in waivers:
        by_identity.setdefault(identity_text(w.rule_id, w.key), []).append(w)
    live: dict[str, Waiver] = {}
    matched: set[int] = set()
    if by_identity:
        for v in violations:
            candidates = by_identity.get(identity_text(v.rule_id, v.key))
            if not candidates:
                continue
            for w in candidates:
                matched.add(id(w))
            current = [w for w in candidates if w.approved_on <= as_of <= w.expires_on]
            if current and current[0] not in outcome.applied:
                outcome.applied.append(current[0])
            if current:
                live[identity_text(v.rule_id, v.key)] = current[0]
    for w in waivers:
        if w.expires_on < as_of and id(w) in matched:
            outcome.expired.append(w)
        elif w.approved_on > as_of and id(w) in matched:
            outcome.not_yet_approved.append(w)  # approved after the audit date: it did not apply on that date
        elif id(w) not in matched:
            outcome.stale.append(w)
    if not live:
        return violations, outcome

    def mark(_: int, v: Violation) -> Violation:
        w = live.get(identity_text(v.rule_id, v.key))
        return v if w is None else v._replace(waived=True, waiver=w.entry())

    return remark(violations, mark), outcome
