"""The terminal table as a compliance officer reads it at 80 and 160 columns, colour rules, inert data."""
from __future__ import annotations

import shutil

import pytest
from conftest import SAMPLES, write
from rich.console import Console

from sfc_check.cli.console import clean, render_audit

AS_OF = ("--as-of", "2026-06-30")


def rendered(doc: dict, width: int, colour: bool = False) -> str:
    console = Console(width=width, force_terminal=True, no_color=not colour, color_system="standard" if colour
                      else None, highlight=False, record=True, file=open("/dev/null", "w"))
    render_audit(console, doc)
    return console.export_text(styles=colour)


@pytest.fixture(scope="module")
def tuesday(tmp_path_factory) -> dict:
    """A night with one new, one resolved, one waived violation and one stale waiver."""
    import json
    import subprocess
    import sys
    tmp = tmp_path_factory.mktemp("night")
    shutil.copytree(SAMPLES / "exports", tmp / "d")
    monday = tmp / "monday.json"
    run = [sys.executable, "-m", "sfc_check.cli", "audit", str(tmp / "d"), *AS_OF, "--quiet"]
    subprocess.run([*run, "--output", str(monday)], check=False)
    text = (tmp / "d" / "collateral.csv").read_text("utf-8").replace("P015,C012,ETH,virtual_asset,4,100000,59.99",
                                                                    "P015,C012,ETH,virtual_asset,4,100000,60")
    (tmp / "d" / "collateral.csv").write_text(text + "P022,C015,XRP,virtual_asset,100,1000,70,2026-06-30,N,100\n")
    waivers = write(tmp / "w.yaml", "waivers:\n" + "".join(
        f"  - rule_id: {rule}\n    key: {key}\n    reason: agreed exception\n    approved_by: Head of Compliance\n"
        f"    approved_on: \"2026-06-01\"\n    expires_on: \"2026-12-31\"\n"
        for rule, key in (("PERP-ACCESS-001", "{trade_id: T002}"), ("FIN-COLL-001", "{position_id: P999}"))))
    out = tmp / "tuesday.json"
    subprocess.run([*run, "--baseline", str(monday), "--waivers", str(waivers), "--output", str(out)], check=False)
    return json.loads(out.read_text("utf-8"))


def rule_rows(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("rule ")) + 1
    return [line for line in lines[start:] if line.strip() and not line.startswith("Parameters")][:41]


@pytest.mark.parametrize("width", [80, 160])
def test_nothing_wraps_and_marks_show(tuesday, width) -> None:
    text = rendered(tuesday, width)
    table = rule_rows(text)
    assert all(len(line) <= width for line in table), max(table, key=len)
    by_rule = {line.split()[0]: line for line in table}
    if width == 160:
        assert "1 new, 1 stale waiver" in by_rule["FIN-COLL-001"] and "1 waived" in by_rule["PERP-ACCESS-001"]
        assert "1 resolved" in by_rule["FIN-COLL-002"]
    else:  # symbols, with their legend under the table
        assert "+1 s1" in by_rule["FIN-COLL-001"] and "w1" in by_rule["PERP-ACCESS-001"]
        assert "-1" in by_rule["FIN-COLL-002"] and "marks: +new  -resolved  w waived  s stale waiver" in text
    assert "26EC5 para 7(a)" in by_rule["FIN-COLL-001"] and "(primary text)" not in by_rule["FIN-COLL-001"]
    assert ("Virtual asset other than bitcoin" in by_rule["FIN-COLL-001"]) == (width == 160)
    assert "(new) collateral.csv:24 [position_id=P022]" in text and "(waived) perp_trades.csv:3 [trade_id=T002]" in text
    assert "1 stale waiver(s)" in text and "1 resolved since the baseline" in text
    assert "FIN-COLL-002 [position_id=P015]" in text  # a key in brackets is text, not rich markup


def test_rules_are_sorted_failing_worst_first_then_passing(tuesday) -> None:
    rows = [line.split() for line in rule_rows(rendered(tuesday, 160))]
    statuses = [r[2] for r in rows]
    assert statuses.index("pass") > max(i for i, s in enumerate(statuses) if s == "fail")
    failing = [(["critical", "high", "medium", "low"].index(r[1]), -int(r[4])) for r in rows if r[2] == "fail"]
    assert failing == sorted(failing)


def test_critical_and_high_differ_in_more_than_hue(tuesday) -> None:
    text = rendered(tuesday, 160, colour=True)
    critical = next(line for line in text.splitlines() if line.startswith("AMM-ACCESS-001"))
    high = next(line for line in text.splitlines() if line.startswith("AMM-FLAG-001"))
    assert "\x1b[1;7;31mcritical" in critical and "\x1b[1;31mhigh" in high


def test_control_characters_from_the_data_are_shown_not_obeyed(cli, tmp_path) -> None:
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    trades = tmp_path / "d" / "perp_trades.csv"
    trades.write_text(trades.read_text("utf-8").replace("T002,", "T002\x1b]0;pwned\x07\x1b[2J,"), "utf-8")
    result = cli("audit", tmp_path / "d", *AS_OF)
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert "T002\\x1b]0;pwned\\x07\\x1b[2J" in result.out
    assert clean("a\u202eb") == "a\\u202eb"


@pytest.mark.parametrize("env,coloured", [({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
                                          ({}, False), ({"NO_COLOR": ""}, False)])
def test_no_color_and_force_color_are_honoured(cli, monkeypatch, env, coloured) -> None:
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli("audit", SAMPLES / "exports", *AS_OF)
    assert ("\x1b[" in result.out) == coloured
    if env.get("FORCE_COLOR"):
        assert "╭" in result.out   # a terminal's layout, even through a pipe


def test_no_color_flag_wins_over_force_color(cli, monkeypatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" not in cli("audit", SAMPLES / "exports", *AS_OF, "--no-color").out




def test_in_a_real_terminal_the_table_is_coloured_and_fits_80_columns(tmp_path) -> None:
    """Run in a pseudo-terminal as a compliance officer would: colour, rounded borders, no line past 80."""
    import os
    import pty
    import re
    import subprocess
    import sys
    primary, secondary = pty.openpty()
    import fcntl
    import struct
    import termios
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    proc = subprocess.Popen([sys.executable, "-m", "sfc_check.cli", "audit", str(SAMPLES / "exports"),
                             "--as-of", "2026-06-30"], stdin=secondary, stdout=secondary, stderr=secondary,
                            env=env, close_fds=True)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=60) == 1
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[" in text and "╭" in text
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    lines = [line for line in re.split(r"[\r\n]", plain) if line.strip()]  # (a progress bar redraws after \r)
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert any(line.startswith("AMM-ACCESS-001") for line in lines)


def test_progress_bars_show_percentage_speed_and_time_left() -> None:
    import io

    from sfc_check.cli.console import ProgressBars
    console = Console(file=io.StringIO(), force_terminal=True, width=120, record=True)
    bars = ProgressBars(console)
    tick = bars.start("perp_trades", "perp_trades.csv", total_bytes=1_000_000)
    tick(2048, 250_000)
    task = bars._progress.tasks[0]
    assert task.total == 1_000_000 and task.completed == 250_000 and task.fields["rows"] == 2048
    assert task.percentage == 25.0
    columns = [type(c).__name__ for c in bars._progress.columns]
    assert {"TaskProgressColumn", "TransferSpeedColumn", "TimeRemainingColumn"} <= set(columns)
