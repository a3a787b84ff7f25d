"""The command line: options → request → library call → reporters → exit code. Nothing else lives here."""
from __future__ import annotations

import json
import re
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .. import __version__
from ..errors import SfcCheckError, UsageError
from ..model import DEFAULT_TZ, FailOn
from .output import check_writable, refuse_overwriting, write_all, write_atomic
from .rules import RulesOption, explain, rules_app

# The engine, the schema validator and the report writers are imported by the command that runs them, so that
# `--help`, completion and `explain` start quickly (measured with python -X importtime).
REPORT_EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".html": "html",
                     ".htm": "html", ".xml": "junit", ".sarif": "sarif", ".parquet": "parquet"}

app = typer.Typer(name="sfc-check", no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False,
                  help="Audit exported records against the SFC's virtual-asset rules (11 Feb 2026), citing the "
                       "paragraph.")
app.add_typer(rules_app, name="rules")
profile_app = typer.Typer(no_args_is_help=True, help="Check a profile (the mapping of a firm's own exports).")
app.add_typer(profile_app, name="profile")

_state = {"debug": False}


URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")  # a data folder Spark reads (s3a://, hdfs://, file://…)


class Engine(str, Enum):
    DUCKDB = "duckdb"
    SPARK = "spark"


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
    JUNIT = "junit"
    SARIF = "sarif"


def _version(value: bool) -> None:
    if value:
        print(f"sfc-check {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on unexpected errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def audit(
    data_dir: Annotated[str, typer.Argument(help="Folder holding the exported files (clients.csv, …); with "
                                            "--engine spark also a URI Spark reads (s3a://…, hdfs://…): Parquet "
                                            "exports are read there, others fetched here.")],
    rules: RulesOption = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Audit date YYYY-MM-DD (default: today).")] = None,
    tz: Annotated[str, typer.Option("--timezone", help="Zone in which date-times become dates.")] = DEFAULT_TZ,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1.")]
    = FailOn.HIGH,
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Run only this rule id or tag (repeatable).")]
    = None,
    skip: Annotated[Optional[list[str]], typer.Option("--skip", help="Skip this rule id or tag (repeatable).")]
    = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="What to print on stdout (and the format of --output "
                                                          "files whose extension does not say).")] = Format.TABLE,
    output: Annotated[Optional[list[Path]], typer.Option("--output", "-o", help="Write the report to FILE, atomically "
                                                                          "(repeatable; format from the extension: "
                                                                          ".json .csv .md .html .xml .sarif).")] = None,
    waivers: Annotated[Optional[Path], typer.Option("--waivers", help="Approved exceptions (YAML); waived "
                                                                       "violations do not fail the run.")] = None,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", help="A previous JSON report: mark violations "
                                                                         "new or persisting, list resolved.")] = None,
    fail_on_new: Annotated[bool, typer.Option("--fail-on-new", help="With --baseline, only new violations count "
                                                                     "for the exit code.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print one summary line (for cron).")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour even on a terminal.")] = False,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Encoding of the input files "
                                                                       "(default: UTF-8, BOM honoured).")] = None,
    require: Annotated[Optional[list[str]], typer.Option("--require", help="Fail (exit 2) if this dataset is "
                                                                           "absent (repeatable).")] = None,
    require_all: Annotated[bool, typer.Option("--require-all", help="Fail (exit 2) if any dataset a selected rule "
                                              "reads is absent.")] = False,
    fail_on_rejected: Annotated[bool, typer.Option("--fail-on-rejected", help="Any rejected row makes the exit "
                                                   "code 1.")] = False,
    max_rejected: Annotated[Optional[str], typer.Option("--max-rejected", metavar="N|P%",
                                                        help="More rejected rows than N (or P% of the rows read) "
                                                             "make the exit code 1.")] = None,
    baseline_optional: Annotated[bool, typer.Option("--baseline-optional", help="A --baseline file that does not "
                                                    "exist yet is the first run: every violation is new, no "
                                                    "warning.")] = False,
    policy: Annotated[Optional[Path], typer.Option("--policy", help="Firm policy file (YAML) overriding policy "
                                                                     "parameters; SFC values only stricter.")] = None,
    profile: Annotated[Optional[Path], typer.Option("--profile", help="Mapping of the firm's own export layout "
                                                                       "(YAML) to the canonical datasets.")] = None,
    require_primary: Annotated[bool, typer.Option("--require-primary", help="Exit 2 if a selected rule rests on "
                                                  "secondary sources only (a summary, not the regulator's text).")
                               ] = False,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, max=256, metavar="N",
                                                   help="Threads the engine may use (default: every core).")] = None,
    memory_limit: Annotated[Optional[str], typer.Option("--memory-limit", metavar="SIZE",
                                                        help="Memory the engine may use before it spills to TMPDIR, "
                                                             "e.g. 2GB (default: 80% of RAM).")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="Where rules are judged: DuckDB on this machine, or "
                                           "Apache Spark (which also types Parquet exports; other formats are "
                                           "typed here by DuckDB).")] = Engine.DUCKDB,
    spark_master: Annotated[str, typer.Option("--spark-master", metavar="URL", help="Spark master for --engine "
                                              "spark: local[*], spark://host:7077, yarn…")] = "local[*]",
    spark_remote: Annotated[Optional[str], typer.Option("--spark-remote", metavar="URL", envvar="SPARK_REMOTE",
                                                        help="A Spark Connect server (sc://host:15002) instead of "
                                                             "a master.")] = None,
    spark_staging: Annotated[Optional[Path], typer.Option("--spark-staging", metavar="DIR",
                                                          help="Folder where typed tables are handed to Spark as "
                                                               "Parquet; the cluster must read it (default: a "
                                                               "temporary folder, right for local[*]).")] = None,
) -> None:
    """Evaluate every applicable rule on the exports in DATA_DIR and report the violations.

    Examples:

      sfc-check audit exports/ --as-of 2026-06-30

      sfc-check audit exports/ -q -o reports/today.json --baseline reports/yesterday.json --fail-on-new

      sfc-check audit firm/ --profile firm.yaml --require-all --fail-on-rejected -o audit.sarif
    """
    targets = []
    for path in output or []:
        check_writable(path)
        target = REPORT_EXTENSIONS.get(path.suffix.lower()) or (fmt.value if fmt is not Format.TABLE else None)
        if target is None:
            raise UsageError(f"cannot tell the report format from the extension of {path}; use .json .csv .md "
                             ".html .xml .sarif .parquet or give --format")
        targets.append((path, target))
    data_uri = data_dir if URI.match(data_dir) else None
    local = data_uri is None or data_dir.startswith("file:")  # (a file:// URI is a folder here too)
    folder = Path(re.sub(r"^file://(localhost)?", "", data_dir)) if data_uri and local else Path(data_dir)
    refuse_overwriting([p for p, _ in targets], [folder if local else None, rules, waivers, baseline, policy,
                                                 profile], folder if local else None)
    if encoding:
        import codecs
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r} (e.g. utf-8, big5hkscs, gb18030, cp1252)") from None
    from ..app.audit import AuditRequest, run_audit
    from ..report import RENDERERS, STREAMERS, WRITERS
    from ..report.document import build_document
    from .console import ProgressBars, make_console, render_audit, summary_line
    request = AuditRequest(data_dir=folder, data_uri=data_uri, rules_dir=rules, as_of=_parse_date(as_of), timezone=tz,
                           fail_on=fail_on, only=tuple(only or ()), skip=tuple(skip or ()), encoding=encoding,
                           require=tuple(require or ()), policy=policy, waivers=waivers, baseline=baseline,
                           fail_on_new=fail_on_new, profile=profile, require_all=require_all,
                           fail_on_rejected=fail_on_rejected, max_rejected=max_rejected,
                           baseline_optional=baseline_optional,
                           threads=threads, memory_limit=memory_limit, require_primary=require_primary,
                           engine=engine.value, spark_master=spark_master, spark_remote=spark_remote,
                           spark_staging=str(spark_staging) if spark_staging else None)
    console = make_console(no_color=no_color)
    err = make_console(stderr=True, no_color=no_color)
    if err.is_terminal and not quiet:
        with ProgressBars(err) as bars:
            run = run_audit(request, bars)
    else:
        run = run_audit(request)
    doc = build_document(run)
    doc["run"]["outputs_full"] = [str(path) for path, target in targets if target in ("json", "csv", "sarif", "parquet")]
    for warning in run.warnings:
        err.print(f"warning: {warning}", markup=False)
    write_all([(path, (STREAMERS.get(target) or WRITERS.get(target) or RENDERERS[target])(doc))
               for path, target in targets])
    if quiet:
        print(summary_line(doc))
    elif fmt is not Format.TABLE and not targets:
        stream = STREAMERS.get(fmt.value)
        sys.stdout.writelines(stream(doc) if stream else [RENDERERS[fmt.value](doc)])
    else:
        render_audit(console, doc)
    raise typer.Exit(run.exit_code)


class ProductKind(str, Enum):
    VA_FINANCING = "va_financing"
    PERPETUAL_CONTRACT = "perpetual_contract"
    AFFILIATED_MARKET_MAKER = "affiliated_market_maker"
    SHARED_ORDER_BOOK = "shared_order_book"


SIGNOFF_FORMATS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".json": "json"}


@app.command()
def signoff(
    product_file: Annotated[Optional[Path], typer.Argument(help="Product definition (YAML).")] = None,
    template_kind: Annotated[Optional[ProductKind], typer.Option("--template", help="Print a commented starting "
                                                                                    "file for KIND and exit.")] = None,
    output: Annotated[Optional[list[Path]], typer.Option("--output", "-o", help="Write the sign-off report (.md, .html "
                                                                          "or .json; repeatable), atomically.")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Sign-off date (default: today).")] = None,
    rules: RulesOption = None,
    require_primary: Annotated[bool, typer.Option("--require-primary", help="Exit 2 if a check rests on secondary "
                                                  "sources only (a summary, not the regulator's text).")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour even on a terminal.")] = False,
) -> None:
    """Pre-launch check of a product definition and its attestations; exit 0 ready, 1 not ready.

    Examples:

      sfc-check signoff --template perpetual_contract > btc-perp.yaml

      sfc-check signoff btc-perp.yaml -o signoff.html -o signoff.json
    """
    from ..app.signoff import SignoffRequest, run_signoff
    from ..app.signoff import template as product_template
    from ..report.signoff_report import render_signoff_html, render_signoff_markdown
    from .console import make_console, render_signoff
    if template_kind is not None:
        sys.stdout.write(product_template(template_kind.value))
        raise typer.Exit(0)
    if product_file is None:
        raise UsageError("give a PRODUCT.yaml, or --template KIND for a starting file")
    targets = []
    for path in output or []:
        check_writable(path)
        if path.suffix.lower() not in SIGNOFF_FORMATS:
            raise UsageError(f"sign-off reports are .md, .html or .json, not {path.name}")
        targets.append((path, SIGNOFF_FORMATS[path.suffix.lower()]))
    refuse_overwriting([p for p, _ in targets], [product_file, rules])
    doc = run_signoff(SignoffRequest(product_file=product_file, rules_dir=rules, as_of=_parse_date(as_of),
                                     require_primary=require_primary))
    write_all([(path, {"markdown": render_signoff_markdown, "html": render_signoff_html,
                        "json": lambda d: json.dumps(d, indent=2, ensure_ascii=False) + "\n"}[fmt](doc))
               for path, fmt in targets])
    render_signoff(make_console(no_color=no_color), doc)
    raise typer.Exit(0 if doc["verdict"] == "ready" else 1)


@profile_app.command("check")
def profile_check(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the firm's export files.")],
    profile: Annotated[Path, typer.Option("--profile", help="The profile to check.")],
    rows: Annotated[int, typer.Option("--rows", help="How many rows to show per dataset.")] = 5,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Default encoding of the files.")] = None,
) -> None:
    """Show, per dataset, the mapping, the first rows as they will be read, and every problem; no audit.

    Example: sfc-check profile check firm/ --profile firm.yaml
    """
    from ..app.profilecheck import check_profile
    from .console import make_console, render_profile_check
    report = check_profile(profile, data_dir, rows, encoding)
    render_profile_check(make_console(), report)
    raise typer.Exit(1 if report["problems"] else 0)


@app.command()
def init(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the firm's export files.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the profile here (default: stdout).")]
    = None,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Encoding of the files.")] = None,
) -> None:
    """Write a starting profile from the headers of the files found, with TODOs where it cannot decide.

    Example: sfc-check init firm/ -o firm.yaml
    """
    from ..app.profileinit import NothingToMap, init_profile
    if not data_dir.is_dir():
        raise UsageError("not a folder", str(data_dir))
    try:
        text = init_profile(data_dir, encoding)
    except NothingToMap as exc:  # every file canonical (audit it as it is), or none placed: no profile written
        print(f"sfc-check: no profile written:\n{exc}", file=sys.stderr)
        raise typer.Exit(0 if "canonical" in str(exc) and "TODO" not in str(exc) else 1) from None
    if output:
        check_writable(output)
        write_atomic(output, text)
        print(f"wrote {output}; check the TODO lines, then run: sfc-check profile check --profile {output} "
              f"{data_dir}", file=sys.stderr)
    else:
        sys.stdout.write(text)


app.command()(explain)  # `rules show` at the top level, registered here to keep its place in --help

config_app = typer.Typer(no_args_is_help=True, help="The configuration file (sfc-check.yaml, .sfc-check.yaml or "
                                                    "[tool.sfc-check] in pyproject.toml).")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show() -> None:
    """Every audit option's effective value and where it came from (the configuration file and line, or the
    default); options given on a command line override these.

    Example: sfc-check config show
    """
    from .config import bind_names, find_config, option_name
    config = find_config(Path.cwd())
    command = tidy_help(typer.main.get_command(app))
    bind_names(config, command)
    audit_command = command.commands["audit"]
    values, origins = config.values.get("audit", {}), config.origins.get("audit", {})
    print(f"configuration: {config.path or 'none found (sfc-check.yaml, .sfc-check.yaml, pyproject.toml)'}")
    for param in audit_command.params:
        name = param.name
        if name in ("help",):
            continue
        value = values[name] if name in values else param.default
        value = getattr(value, "value", value)
        shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else ("" if value is None else
                                                                                    str(value))
        print(f"{option_name(param):20} {shown:40} {origins.get(name, 'default')}")


# What each option's value is, as help shows it (typer's default is the Python type: <list[str]>, <bool>).
METAVARS = {"data_dir": "DATA_DIR", "product_file": "PRODUCT.yaml", "rule_id": "RULE_ID", "path": "PATH",
            "rules": "DIR", "as_of": "DATE", "tz": "ZONE", "only": "ID|TAG", "skip": "ID|TAG", "output": "FILE",
            "waivers": "FILE", "baseline": "FILE", "policy": "FILE", "profile": "FILE", "encoding": "ENCODING",
            "require": "DATASET", "rows": "N"}


def tidy_help(command: Any) -> Any:
    """Metavars that say what a value is (PATH, DATE, ID), none for flags, and choices without brackets."""
    for param in getattr(command, "params", []):
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.name in METAVARS:
            param.metavar = METAVARS[param.name]
        elif getattr(getattr(param, "type_descriptor", None), "choices", None):
            choices = param.type_descriptor.choices
            param.metavar = "|".join(str(getattr(c, "value", c)) for c in choices)
    try:  # click makes --help itself when help is asked for: make it now, to give it no metavar either
        help_option = command.get_help_option(typer.Context(command))
        if help_option is not None:
            help_option.metavar = ""
    except (AttributeError, TypeError):  # (another click or typer may build it differently: then it shows <bool>)
        pass
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
    return command


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that every `finally` runs (a BaseException: no `except
    Exception` swallows it)."""


def main() -> None:
    """Console entry point: every failure becomes a short message and exit 2, never a traceback.

    typer runs in standalone mode, so usage errors already exit 2 with click's message; what reaches us
    here is ours (SfcCheckError), the operating system's (OSError) or a bug.
    """
    import signal

    def terminated(signum: int, frame: Any) -> None:
        raise Terminated(signum)
    previous = signal.signal(signal.SIGTERM, terminated)  # cleanup runs: temporary reports, engine files
    try:
        _run()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run() -> None:
    try:
        from .config import bind_names, find_config
        command = tidy_help(typer.main.get_command(app))
        config = find_config(Path.cwd())
        bind_names(config, command)
        command(prog_name="sfc-check", default_map=config.default_map())
    except SfcCheckError as exc:
        print(f"sfc-check: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("sfc-check: interrupted; no report was replaced", file=sys.stderr)
        sys.exit(2)
    except Terminated:
        print("sfc-check: terminated (SIGTERM); no report was replaced", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"sfc-check: error: {where}{exc.strerror or exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # the last line of defence: no traceback reaches the user
        if _state["debug"]:
            raise
        print(f"sfc-check: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
