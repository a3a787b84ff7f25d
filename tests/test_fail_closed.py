"""No input may shrink the audit silently, stop it with an internal error, or overwrite what it reads."""
from __future__ import annotations

import codecs
import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, write

AS_OF = ("--as-of", "2026-06-30")


def exports(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    return tmp_path / "d"


def edit_lines(path: Path, edit) -> None:
    lines = path.read_text("utf-8").splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n", "utf-8")


@pytest.mark.parametrize("rows", [13, 40_000])  # the Python reader, and a file large enough for the engine's
def test_an_unterminated_quote_stops_the_run_at_the_line_it_opens(cli, tmp_path, rows) -> None:
    data = exports(tmp_path)
    trades = data / "perp_trades.csv"
    header, *body = trades.read_text("utf-8").splitlines()
    body = [line.replace("T0", f"X{i}_", 1) for i, line in enumerate(body * (rows // len(body)))]
    body[3] = body[3].replace(",", ',"', 1)   # line 5 of the file
    trades.write_text("\n".join([header, *body]) + "\n", "utf-8")
    for only in ((), ("--only", "PERP-LEV-001")):
        result = cli("audit", data, *AS_OF, "-q", *only)
        assert result.code == 2 and "perp_trades.csv:5:" in result.err and not result.out, result.err


def test_a_quote_closed_rows_later_cannot_hide_whole_rows(cli, tmp_path) -> None:
    data = exports(tmp_path)

    def stray(lines: list[str]) -> None:   # the last cell of line 5 opens a quote that line 9 closes
        head, tail = lines[4].rsplit(",", 1)
        lines[4] = f'{head},"{tail}'
        lines[8] += '"'
    edit_lines(data / "perp_trades.csv", stray)
    result = cli("audit", data, *AS_OF, "-q")
    assert result.code == 2 and "perp_trades.csv:5: a quoted cell opened on line 5 runs to line 9" in result.err


def test_a_quoted_note_with_a_line_break_is_still_one_record(cli, tmp_path) -> None:
    data = exports(tmp_path)
    rows = list(csv.reader((data / "clients.csv").open(encoding="utf-8", newline="")))
    rows[1][rows[0].index("name")] = "Chan Tai Man\nc/o Central, Hong Kong"
    with (data / "clients.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    doc = cli("audit", data, *AS_OF, "-f", "json").json()
    clients = next(i for i in doc["inputs"] if i["dataset"] == "clients")
    assert clients["rows_read"] == 15 and clients["rows_rejected"] == 0


@pytest.mark.parametrize("name", ["clients.csv", "CLIENTS.csv", "perp_trades.json"])
def test_an_output_that_is_or_would_become_an_input_is_exit_2(cli, tmp_path, name) -> None:
    data = exports(tmp_path)
    before = (data / "clients.csv").read_bytes()
    result = cli("audit", data, *AS_OF, "-q", "-o", data / name)
    assert result.code == 2 and "--output would" in result.err
    assert (data / "clients.csv").read_bytes() == before


def test_an_output_through_a_link_to_the_waiver_file_is_exit_2(cli, tmp_path) -> None:
    waivers = write(tmp_path / "w.yaml", "waivers: []\n")
    (tmp_path / "report.json").symlink_to(waivers)
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--waivers", waivers, "-o", tmp_path / "report.json")
    assert result.code == 2 and "w.yaml, which this run reads" in result.err


@pytest.mark.parametrize("line,reason", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"event_id": ' + "9" * 5000 + "}", "a number with more than 4,300 digits"),
    ('{"event_id": "E\\udcff", "staff_id": "S1", "system": "x", "accessed_at": "2026-06-01T10:00:00+08:00"}',
     "lone UTF-16 surrogate (\\udcff)"),
])
def test_a_json_line_python_cannot_hold_is_a_rejected_row(cli, tmp_path, line, reason) -> None:
    data = exports(tmp_path)
    with (data / "access_log.jsonl").open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    out = tmp_path / "r.json"
    result = cli("audit", data, *AS_OF, "-q", "-o", out, "-o", tmp_path / "r.html", "-o", tmp_path / "r.xml")
    assert result.code == 1, result.err
    doc = json.loads(out.read_text("utf-8"))
    assert [(r["path"], r["row"]) for r in doc["rejected_rows"]] == [("access_log.jsonl", 7)]
    assert reason in doc["rejected_rows"][0]["reason"]


def test_a_json_array_too_deep_is_exit_2_with_its_line(cli, tmp_path) -> None:
    data = exports(tmp_path)
    (data / "market_makers.json").write_text('[\n{"mm_id": "M1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}]",
                                             "utf-8")
    result = cli("audit", data, *AS_OF, "-q")
    assert result.code == 2 and "market_makers.json:2" in result.err and "nested too deeply" in result.err


def test_a_json_array_record_with_a_lone_surrogate_is_rejected(cli, tmp_path) -> None:
    data = exports(tmp_path)
    makers = json.loads((data / "market_makers.json").read_text("utf-8"))
    text = json.dumps(makers)[:-1] + ', {"mm_id": "M\\ud800", "legal_name": "x", "affiliated": false}]'
    (data / "market_makers.json").write_text(text, "utf-8")
    doc = cli("audit", data, *AS_OF, "-f", "json").json()
    assert [(r["path"], r["reason"][:26]) for r in doc["rejected_rows"]] == [("market_makers.json",
                                                                              "text holds a lone UTF-16 s")]


def test_utf16_and_utf32_are_read_from_their_byte_order_mark(cli, tmp_path) -> None:
    data = exports(tmp_path)
    for name, codec in (("clients.csv", "utf-16"), ("perp_trades.csv", "utf-32")):
        text = (data / name).read_text("utf-8")
        (data / name).write_bytes(text.encode(codec))
    doc = cli("audit", data, *AS_OF, "-f", "json").json()
    assert doc["summary"]["violations"] == 53 and doc["summary"]["rows_rejected"] == 0


def test_utf16_without_a_byte_order_mark_is_exit_2_saying_which_to_give(cli, tmp_path) -> None:
    data = exports(tmp_path)
    text = (data / "clients.csv").read_text("utf-8")
    (data / "clients.csv").write_bytes(codecs.BOM_UTF16_LE[:0] + text.encode("utf-16-le"))
    result = cli("audit", data, *AS_OF, "--encoding", "utf-16", "-q")
    assert result.code == 2 and "needs a byte-order mark" in result.err and "utf-16-le" in result.err


@pytest.mark.parametrize("profile", ["platform-xlsx", "binance-usdm"])
def test_a_header_row_past_the_end_returns_at_once(cli, tmp_path, profile) -> None:
    text = (SAMPLES / "profiles" / f"{profile}.yaml").read_text("utf-8")
    if "header_row:" in text:
        text = text.replace("header_row: 2", "header_row: 1000000000000")
    else:
        text = text.replace("    file:", "    header_row: 1000000000000\n    file:", 1)
    path = write(tmp_path / "p.yaml", text)
    folder = next((SAMPLES / "firm-exports").glob(profile.split("-")[0] + "*"))
    result = cli("audit", folder, "--profile", path, *AS_OF, "-q")
    assert result.code == 2 and "header" in result.err, result.err




def staff_workbook(target: Path, edit_sheet=None) -> None:
    """A valid staff_roles workbook, its sheet XML passed through `edit_sheet` (bytes → bytes)."""
    import zipfile

    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["role_id", "staff_id", "entity", "role", "started_on"])
    book.active.append(["R1", "S1", "platform", "trader", "2026-01-01"])
    plain = target.with_suffix(".plain")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml" and edit_sheet:
                body = edit_sheet(body)
            dst.writestr(item, body)
    plain.unlink()


def test_a_workbook_that_inflates_a_hundredfold_is_refused_before_it_is_read(cli, tmp_path) -> None:
    data = exports(tmp_path)
    (data / "staff_roles.csv").unlink()
    staff_workbook(data / "staff_roles.xlsx", lambda body: body.replace(b"<sheetData>", b"<sheetData>" +
                                                                        b" " * 50_000_000, 1))
    assert (data / "staff_roles.xlsx").stat().st_size < 200_000
    result = cli("audit", data, *AS_OF, "-q")
    assert result.code == 2 and "staff_roles.xlsx" in result.err and "decompression bomb" in result.err


def test_a_workbook_with_broken_sheet_xml_is_exit_2_naming_it(cli, tmp_path) -> None:
    data = exports(tmp_path)
    (data / "staff_roles.csv").unlink()
    staff_workbook(data / "staff_roles.xlsx", lambda body: body[: len(body) * 3 // 4])  # cut inside the rows
    result = cli("audit", data, *AS_OF, "-q")
    assert result.code == 2 and "staff_roles.xlsx" in result.err and "not a readable .xlsx" in result.err
    assert "internal error" not in result.err


def test_policy_values_and_keys_are_bounded(cli, tmp_path) -> None:
    cases = {"parameters:\n  1: 2\n": "pol.yaml:2: invalid policy: parameters: 1 is not of type 'string'",
             f"parameters:\n  max_va_collateral_share: {'1' * 5000}\n": "more than 100 digits",
             "parameters:\n  max_va_collateral_share: '1e400'\n": "must be a decimal the engine holds exactly"}
    for body, says in cases.items():
        path = write(tmp_path / "pol.yaml", "policy: p\n" + body)
        result = cli("audit", SAMPLES / "exports", *AS_OF, "-q", "--policy", path)
        assert result.code == 2 and says in result.err, result.err


@pytest.mark.parametrize("pattern,says", [("/etc/passwd", "must name files inside DATA_DIR"),
                                          ("../../*.csv", "must name files inside DATA_DIR")])
def test_a_profile_reads_only_inside_data_dir(cli, tmp_path, pattern, says) -> None:
    text = (SAMPLES / "profiles" / "binance-usdm.yaml").read_text("utf-8")
    path = write(tmp_path / "p.yaml", text.replace('file: "binance_usdm_trades_C001*.csv"', f'file: "{pattern}"'))
    result = cli("audit", SAMPLES / "firm-exports" / "binance-usdm", "--profile", path, "-q")
    assert result.code == 2 and says in result.err and "p.yaml:7" in result.err


def test_an_impossible_zone_offset_is_exit_2_with_its_line(cli, tmp_path) -> None:
    text = (SAMPLES / "profiles" / "binance-usdm.yaml").read_text("utf-8")
    path = write(tmp_path / "p.yaml", text.replace("timezone: UTC", 'timezone: "+99:99"'))
    result = cli("audit", SAMPLES / "firm-exports" / "binance-usdm", "--profile", path, "-q")
    assert result.code == 2 and "p.yaml:15: time zone offset '+99:99' is not a real offset" in result.err


@pytest.mark.parametrize("pattern", [r"^((\w)+)+$", r"(a|a)*b", r"(a)\1", r"(?=x)y"])
def test_patterns_that_backtrack_or_that_re2_lacks_are_refused_at_validation(cli, tmp_path, pattern) -> None:
    rule = next((ROOT / "rules").rglob("FIN-COLL-001.yaml")).read_text("utf-8").replace("FIN-COLL-001",
                                                                                           "FIN-COLL-901")
    folder = tmp_path / "rules"
    folder.mkdir()
    import yaml
    doc = yaml.safe_load(rule)
    doc["violation_when"] = {"field": "position_id", "matches": pattern}
    (folder / "FIN-COLL-901.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    result = cli("rules", "validate", folder)
    assert result.code == 2 and "matches:" in result.err, result.err


def test_control_characters_reach_no_report_as_themselves(cli, tmp_path) -> None:
    data = exports(tmp_path)
    trades = data / "perp_trades.csv"
    trades.write_text(trades.read_text("utf-8").replace("T002,", "T002\x1b[2J\x00\u202eX\x07,"), "utf-8")
    outs = [tmp_path / f"r.{ext}" for ext in ("json", "csv", "md", "html", "xml", "sarif")]
    result = cli("audit", data, *AS_OF, "-q", *[x for o in outs for x in ("-o", o)])
    assert result.code == 1, result.err
    for out in outs:
        text = out.read_text("utf-8")
        # (JSON and SARIF carry the value exactly: JSON escapes control characters itself, \u202e is valid there)
        unsafe = "\x1b\x00\x07" + ("" if out.suffix in (".json", ".sarif") else "\u202e")
        assert not any(c in text for c in unsafe), out.name
        assert "T002" in text
    assert "T002\\x1b[2J\\x00\\u202eX\\x07" in (tmp_path / "r.csv").read_text("utf-8")


def test_sigterm_while_writing_replaces_no_report_and_leaves_no_temporary_file(cli, tmp_path, monkeypatch) -> None:
    import os
    import signal

    from sfc_check import report
    page, data = tmp_path / "r.html", tmp_path / "r.json"
    page.write_text("old page", "utf-8")
    data.write_text("old data", "utf-8")

    def killed_half_way(doc):
        yield "{"
        os.kill(os.getpid(), signal.SIGTERM)   # the signal arrives while the JSON is being written
        yield "}"
    monkeypatch.setitem(report.STREAMERS, "json", killed_half_way)
    result = cli("audit", SAMPLES / "exports", *AS_OF, "-q", "-o", page, "-o", data)
    assert result.code == 2 and "terminated (SIGTERM)" in result.err
    assert page.read_text("utf-8") == "old page" and data.read_text("utf-8") == "old data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json"]


def test_a_killed_runs_temporary_files_are_removed_by_the_next_run(cli, tmp_path) -> None:
    import os
    orphan = tmp_path / ".r.json.sfc-check-99999999.abc.tmp"     # no such process
    living = tmp_path / f".r.json.sfc-check-{os.getppid()}.abc.tmp"  # a run still writing
    orphan.write_text("partial", "utf-8")
    living.write_text("partial", "utf-8")
    assert cli("audit", SAMPLES / "exports", *AS_OF, "-q", "-o", tmp_path / "r.json").code == 1
    assert not orphan.exists() and living.exists()


def test_a_full_disk_names_the_report(cli, tmp_path, monkeypatch) -> None:
    import errno

    from sfc_check.cli import output

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(output.os, "fsync", full)
    result = cli("audit", SAMPLES / "exports", *AS_OF, "-q", "-o", tmp_path / "r.json")
    assert result.code == 2 and f"{tmp_path / 'r.json'}: cannot write report: No space left on device" in result.err
    assert list(tmp_path.iterdir()) == []


def test_formulas_without_a_calculated_value_are_said_per_column(cli, tmp_path) -> None:
    from openpyxl import Workbook
    data = exports(tmp_path)
    (data / "staff_roles.csv").unlink()
    book = Workbook()
    book.active.append(["role_id", "staff_id", "entity", "role", "started_on"])
    book.active.append(["R1", "S1", "platform", "trader", "2026-01-01"])
    book.active.append(["R2", "S2", "platform", '=CONCAT("tra","der")', "2026-01-01"])   # never calculated
    book.active.append(["R3", "S3", "platform", '=CONCAT("sa","les")', "2026-01-01"])
    book.save(data / "staff_roles.xlsx")
    doc = cli("audit", data, *AS_OF, "-f", "json").json()
    staff = next(i for i in doc["inputs"] if i["dataset"] == "staff_roles")
    assert staff["notes"] == ["2 formula cell(s) in role have no calculated value (read as empty): open and save "
                              "the workbook in Excel to calculate them"]
    assert "note staff_roles.xlsx: 2 formula cell(s) in role" in cli("audit", data, *AS_OF).out
