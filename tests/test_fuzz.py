"""Fuzz tests per input kind: whatever the file holds, the run ends with exit 0, 1 or 2, never an internal
error or a traceback; a failure names the file; a run that completes accounts for every row and writes reports
that parse."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# every fuzz test runs in CI's thorough pass (-m "slow or property"), not in the README's quick command
pytestmark = pytest.mark.slow

AS_OF = ("--as-of", "2026-06-30")
FUZZ = settings(max_examples=examples(15, 80), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def clean_exit(result, name: str) -> None:
    assert result.code in (0, 1, 2), result
    assert "internal error" not in result.err and "Traceback" not in result.err, result.err
    if result.code == 2:
        assert name in result.err or "NOT CHECKED" in result.out, result.err


def accounted(doc: dict) -> None:
    for i in doc["inputs"]:
        rejected = sum(1 for r in doc["rejected_rows"] if r["path"] == i["path"])
        assert i["rows_read"] == i["rows_evaluated"] + i["rows_rejected"] == i["rows_evaluated"] + rejected


# values as exports hold them: odd text, numbers, nesting, control characters, surrogate escapes
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.text(max_size=12),
                    st.sampled_from(["2026-06-01", "1e400", "NaN", "\x1b[2J", "\u202e", "9" * 60, "", " "]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)


@pytest.mark.property
@FUZZ
@given(records=st.lists(st.dictionaries(st.sampled_from(["event_id", "staff_id", "system", "accessed_at", "x",
                                                         "EVENT_ID"]), json_values, max_size=5), max_size=6),
       as_lines=st.booleans())
def test_json_records(cli, tmp_path_factory, records, as_lines) -> None:
    folder = tmp_path_factory.mktemp("json")
    shutil.copytree(SAMPLES / "exports", folder / "d")
    (folder / "d" / "access_log.jsonl").unlink()
    name = "access_log.jsonl" if as_lines else "access_log.json"
    text = "".join(json.dumps(r) + "\n" for r in records) if as_lines else json.dumps(records)
    (folder / "d" / name).write_text(text, "utf-8")
    out = folder / "r.json"
    result = cli("audit", folder / "d", *AS_OF, "-q", "-o", out, "-o", folder / "r.xml", "-o", folder / "r.html")
    clean_exit(result, name)
    if result.code != 2:
        accounted(json.loads(out.read_text("utf-8")))
        ET.parse(folder / "r.xml")


def _valid_workbook(path: Path) -> None:
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["role_id", "staff_id", "entity", "role", "started_on"])
    for n in range(5):
        book.active.append([f"R{n}", f"S{n}", "platform", "trader", "2026-01-01"])
    book.save(path)


@pytest.mark.property
@settings(FUZZ, max_examples=examples(6, 80))  # (each example inflates a workbook: fewer in the quick run)
@given(part=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml",
                             "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"]),
       cut=st.floats(0, 1), flip=st.binary(min_size=1, max_size=4), at=st.floats(0, 1))
def test_xlsx_structure(cli, tmp_path_factory, part, cut, flip, at) -> None:
    folder = tmp_path_factory.mktemp("xlsx")
    shutil.copytree(SAMPLES / "exports", folder / "d")
    (folder / "d" / "staff_roles.csv").unlink()
    _valid_workbook(folder / "ok.xlsx")
    with zipfile.ZipFile(folder / "ok.xlsx") as src, zipfile.ZipFile(folder / "d" / "staff_roles.xlsx", "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == part:
                body = body[: int(len(body) * cut)]
                i = int(len(body) * at)
                body = body[:i] + flip + body[i + len(flip):]
            dst.writestr(item, body)
    out = folder / "r.json"
    result = cli("audit", folder / "d", *AS_OF, "-q", "-o", out)
    clean_exit(result, "staff_roles.xlsx")
    if result.code != 2:
        accounted(json.loads(out.read_text("utf-8")))


yaml_docs = st.recursive(
    st.one_of(scalars, st.sampled_from(["FIN-COLL-002", "min_va_haircut_pct", "clients", "perp_trades", "Y"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
        st.one_of(st.sampled_from(["policy", "parameters", "rules", "waivers", "rule_id", "key", "reason",
                                   "approved_by", "approved_on", "expires_on", "profile", "datasets", "file",
                                   "fields", "kind", "product", "attestations", "signoff", "id", "title",
                                   "severity", "citation", "dataset", "violation_when", "message", "examples",
                                   "audit", "fail-on", "format", "max_va_collateral_share"]),
                  st.text(max_size=6), st.integers(0, 5)), inner, max_size=4)),
    max_leaves=12)


@pytest.mark.property
@FUZZ
@given(doc=yaml_docs, kind=st.sampled_from(["policy", "waivers", "profile", "product", "rule", "config"]))
def test_yaml_files(cli, tmp_path_factory, monkeypatch, doc, kind) -> None:
    folder = tmp_path_factory.mktemp("yaml")
    text = yaml.safe_dump(doc, allow_unicode=True)
    if kind == "rule":
        (folder / "rules").mkdir()
        path = folder / "rules" / "FIN-COLL-999.yaml"
        path.write_text(text, "utf-8")
        result = cli("rules", "validate", folder / "rules")
        clean_exit(result, "FIN-COLL-999.yaml")
        assert result.code == 2 or result.out.strip() == "1 rule(s) valid"
        return
    path = folder / f"{kind}.yaml"
    path.write_text(text, "utf-8")
    if kind == "product":
        result = cli("signoff", path, *AS_OF)
    elif kind == "config":
        shutil.copy(path, folder / "sfc-check.yaml")
        with monkeypatch.context() as m:   # (only this example runs beside the configuration)
            m.chdir(folder)
            result = cli("audit", SAMPLES / "exports", *AS_OF, "-q")
        name = "sfc-check.yaml"
    else:
        result = cli("audit", SAMPLES / "exports", *AS_OF, "-q", f"--{kind}", path)
    clean_exit(result, name if kind == "config" else path.name)


@pytest.mark.property
@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".json"]))
def test_arbitrary_bytes_as_an_export(cli, tmp_path_factory, data, suffix) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    shutil.copytree(SAMPLES / "exports", folder / "d")
    for old in (folder / "d").glob("perp_trades.*"):
        old.unlink()
    (folder / "d" / f"perp_trades{suffix}").write_bytes(data)
    out = folder / "r.json"
    result = cli("audit", folder / "d", *AS_OF, "-q", "-o", out)
    clean_exit(result, f"perp_trades{suffix}")
    if result.code != 2:
        accounted(json.loads(out.read_text("utf-8")))


def test_the_fuzzed_kinds_cover_every_input_the_tool_reads() -> None:
    """A new input kind needs its fuzz test here (CSV/JSON/xlsx exports, and each YAML file kind)."""
    kinds = {"policy", "waivers", "profile", "product", "rule", "config"}
    schemas = {p.stem.split(".")[0] for p in (ROOT / "sfc_check" / "schemas").glob("*.schema.json")}
    assert schemas <= kinds | {"waivers"}, schemas - kinds
