"""READY means signed: an approver and a date, attestations that say something, product numbers in bounds."""
from __future__ import annotations

import pytest
from conftest import SAMPLES

READY = SAMPLES / "products" / "perp-btc-ready.yaml"
AS_OF = ("--as-of", "2026-06-30")


def variant(tmp_path, old: str, new: str):
    text = READY.read_text("utf-8")
    assert old in text
    path = tmp_path / "product.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


def test_the_ready_sample_is_ready(cli) -> None:
    result = cli("signoff", READY, *AS_OF)
    assert result.code == 0 and "READY" in result.out


@pytest.mark.parametrize("old,new,says", [
    ("  approver: Anna Chan\n", "", "sign-off block incomplete: no approver"),
    ("  approver: Anna Chan\n", "  approver: \"\\u00a0 \"\n", "sign-off block incomplete: no approver"),
    ('  date: "2026-06-30"\n', '', "sign-off block incomplete: no date"),
    ('  date: "2026-06-30"\n', '  date: "2026-07-01"\n', "after the sign-off date"),
    ('attester: "Mary Lau, Head of Risk", date: "2026-06-20", evidence: "RISK-MP',
     'attester: "\\u200b", date: "2026-06-20", evidence: "RISK-MP', "unsigned: no attester"),
    ('evidence: "RISK-MP-2026-07 mark price and funding methodology v2"', 'evidence: "\\u00a0\\t"',
     "unsigned: no evidence"),
])
def test_blank_or_missing_signatures_are_not_ready(cli, tmp_path, old, new, says) -> None:
    result = cli("signoff", variant(tmp_path, old, new), *AS_OF)
    assert result.code == 1 and "NOT READY" in result.out and says in result.out


@pytest.mark.parametrize("value", ["0", "-8", '"-8"', '"0.0"'])
def test_non_positive_funding_interval_is_refused_with_its_line(cli, tmp_path, value) -> None:
    result = cli("signoff", variant(tmp_path, "funding_interval_hours: 8", f"funding_interval_hours: {value}"),
                 *AS_OF)
    assert result.code == 2 and "product.yaml:8" in result.err and "funding_interval_hours" in result.err


def test_a_launch_date_already_passed_warns(cli) -> None:
    result = cli("signoff", READY, "--as-of", "2026-07-20")
    assert "warning: product launch_date 2026-07-15 has already passed" in result.out


def test_a_failing_check_names_the_field_to_fill_and_titles_read_as_requirements(cli, tmp_path) -> None:
    result = cli("signoff", variant(tmp_path, "funding_interval_hours: 8", "funding_interval_hours: 48"), *AS_OF,
                 "--output", tmp_path / "s.json")
    assert result.code == 1
    import json
    doc = json.loads((tmp_path / "s.json").read_text("utf-8"))
    item = next(o for o in doc["open_items"] if o["id"] == "PERP-PROD-003")
    assert item["detail"].endswith("fill or correct product field(s): funding_interval_hours")
    check = next(c for c in doc["checks"] if c["rule_id"] == "PERP-PROD-003")
    assert check["title"] == "Funding (price convergence) happens at least daily"
    assert check["failure"] == "Funding (price-convergence) interval longer than a day"
