"""Pre-launch sign-off: verdicts, exact failing checks and open items, invalid product files, templates."""
from __future__ import annotations

import pytest
import yaml
from conftest import SAMPLES, write

PRODUCTS = SAMPLES / "products"
CASES = {
    "perp-btc-ready.yaml": ("ready", set()),
    "perp-doge-not-ready.yaml": ("not ready", {"PERP-SO-001", "PERP-SO-003", "PERP-PROD-002", "PERP-PROD-003",
                                               "PERP-PROD-004", "PERP-ATT-004", "PERP-ATT-005", "PERP-ATT-006",
                                               "SIGNOFF"}),
    "va-financing-ready.yaml": ("ready", set()),
    "va-financing-not-ready.yaml": ("not ready", {"FIN-SO-001", "FIN-SO-003", "FIN-COLL-001", "FIN-COLL-002",
                                                  "FIN-COLL-004", "FIN-ATT-004", "FIN-ATT-005", "FIN-FRR-001",
                                                  "FIN-SO-006", "SIGNOFF"}),
    "sob-ready.yaml": ("ready", set()),
    "amm-ready.yaml": ("ready", set()),
    "amm-not-ready.yaml": ("not ready", {"AMM-COI-001", "AMM-IND-001", "AMM-KEY-001", "AMM-SO-001",
                                         "AMM-SO-002", "AMM-ATT-002", "AMM-ATT-003", "AMM-ATT-004", "AMM-ATT-005",
                                         "AMM-DISC-001", "AMM-NOTIFY-001", "AMM-NOTIFY-002", "AMM-RO-001",
                                         "AMM-ATT-006", "AMM-ATT-007", "AMM-ATT-008", "SIGNOFF"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_products_verdicts_and_open_items(cli, tmp_path, name) -> None:
    verdict, open_ids = CASES[name]
    out = tmp_path / "signoff.json"
    result = cli("signoff", PRODUCTS / name, "--as-of", "2026-06-30", "--output", out)
    assert result.code == (0 if verdict == "ready" else 1)
    import json
    doc = json.loads(out.read_text("utf-8"))
    assert doc["verdict"] == verdict
    assert {o["id"] for o in doc["open_items"]} == open_ids
    failing = {c["rule_id"] for c in doc["checks"] if c["result"] == "fail"}
    assert failing == {i for i in open_ids if "-ATT-" not in i and i != "SIGNOFF"}
    assert all(c["result"] in ("pass", "fail") for c in doc["checks"])  # every check really ran
    assert doc["manifest"]["product_sha256"] and doc["manifest"]["rule_pack_sha256"]


def test_reports_carry_verdict_checks_attestations_signoff_and_manifest(cli, tmp_path) -> None:
    md, html = tmp_path / "s.md", tmp_path / "s.html"
    cli("signoff", PRODUCTS / "va-financing-not-ready.yaml", "--as-of", "2026-06-30", "--output", md, "--output", html)
    text, page = md.read_text("utf-8"), html.read_text("utf-8")
    for needle in ("NOT READY", "FIN-COLL-001", "26EC5, para 7(a)", "FIN-ATT-005", "after the sign-off date",
                   "Sign-off", "product file", "rule pack sha256"):
        assert needle in text, needle
    assert "NOT READY" in page and "Evidence manifest" in page and "<script" not in page


def test_attestation_dated_after_the_signoff_is_open(cli, tmp_path) -> None:
    text = (PRODUCTS / "amm-ready.yaml").read_text("utf-8")
    assert cli("signoff", PRODUCTS / "amm-ready.yaml", "--as-of", "2026-06-30").code == 0
    assert cli("signoff", PRODUCTS / "amm-ready.yaml", "--as-of", "2026-06-25").code == 1  # ATT-005 signed 26 June
    assert text


@pytest.mark.parametrize("edit,needle,line", [
    (("max_leverage: 10", "max_levrage: 10"), "did you mean 'max_leverage'", 9),
    (("kind: perpetual_contract", "kind: perpetual"), "kind", 2),
    (('sfc_approved_on: "2026-06-15"', 'sfc_approved_on: "15/06/2026"'), "sfc_approved_on", 16),
    (("max_leverage: 10", "max_leverage: ten"), "max_leverage", 9),
    (("PERP-ATT-006:", "PERP-ATT-009:"), "PERP-ATT-009", 26),
])
def test_invalid_product_files_exit_2_with_file_and_line(cli, tmp_path, edit, needle, line) -> None:
    text = (PRODUCTS / "perp-btc-ready.yaml").read_text("utf-8").replace(*edit)
    path = write(tmp_path / "product.yaml", text)
    result = cli("signoff", path, "--as-of", "2026-06-30")
    assert result.code == 2 and needle in result.err and f"product.yaml:{line}" in result.err, result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("kind", ["va_financing", "perpetual_contract", "affiliated_market_maker"])
def test_template_is_a_valid_starting_file_that_is_not_ready(cli, tmp_path, kind) -> None:
    result = cli("signoff", "--template", kind)
    assert result.code == 0 and yaml.safe_load(result.out)["kind"] == kind
    path = write(tmp_path / "p.yaml", result.out)
    checked = cli("signoff", path, "--as-of", "2026-06-30")
    assert checked.code == 1 and "NOT READY" in checked.out  # unsigned attestations are open items


def test_every_product_kind_has_its_template_option_and_no_other() -> None:
    """`signoff --template KIND` offers exactly the product kinds the bundled definitions know."""
    from sfc_check.app.signoff import product_kinds
    from sfc_check.cli.commands import ProductKind

    assert {k.value for k in ProductKind} == set(product_kinds())
