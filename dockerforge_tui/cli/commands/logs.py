"""``dockerforge logs analyze|export``: find known failures in container logs; save a container's logs to a file.

``analyze`` reads the logs of one or more containers (or a compose project, or every
container), runs the log patterns and the state and event analyzers (so an OOM-killed
or restarting container is reported even when its logs are silent), records what it
found in the issue store and prints it. ``--file PATH`` (``-`` for stdin) analyzes a
log file with the patterns only, without an engine, and records nothing.

``export`` writes one container's logs between ``--since`` and ``--until`` as text,
JSON Lines or CSV, secrets redacted (``--no-redact`` keeps them), to stdout or
atomically to ``--output FILE``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockerforge_tui.cli.commands.common import (
    STDOUT_NAME, TIME_HELP, check_output_path, connect_engine, issue_store, output_stream, parse_time,
    redactor_for, require_containers, user_pattern_set,
)
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, NotFoundError, PermissionDeniedError, UsageError

if TYPE_CHECKING:
    from dockerforge_tui.services.report.model import Report

ANALYZE_SCHEMA = "dockerforge.logs-analyze"
ANALYZE_SCHEMA_VERSION = 1
FAIL_ON_LEVELS = ("warning", "error", "critical")
STDIN_NAME = "-"
EXPORT_FORMAT_CHOICES = ("text", "jsonl", "csv")
"""``services.logs.export.EXPORT_FORMATS``, spelled out so building the parser loads no log service (a test checks)."""


def _tail(value: str) -> int | None:
    if value.strip().lower() == "all":
        return None
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of lines or 'all', not {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of lines, not {number}")
    return number


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``analyze`` and ``export`` actions."""
    from dockerforge_tui.services.report.settings import report_settings  # light; the log services are not

    actions = parser.add_subparsers(dest="logs_action", metavar="ACTION", required=True)
    tail_default = report_settings().analyze_tail

    analyze = actions.add_parser(
        "analyze", help="find known failures in container logs, state and events; record them as issues",
        description="Analyze the logs, state and recent events of containers (name them, or use --project or "
                    "--all), or a log file with --file (no engine needed). Findings are recorded in the issue "
                    "store ('dockerforge issues list') unless --no-record or --file is given.")
    analyze.add_argument("containers", nargs="*", metavar="CONTAINER", help="container names or id prefixes")
    analyze.add_argument("--project", metavar="NAME", help="every container of this compose project")
    analyze.add_argument("--all", action="store_true", help="every container on the engine")
    analyze.add_argument("--file", metavar="PATH", help="analyze a log file ('-' for stdin) instead of containers")
    analyze.add_argument("--since", metavar="WHEN", help=f"only log lines and events since then: {TIME_HELP}")
    analyze.add_argument("--tail", type=_tail, metavar="N", default=tail_default,
                         help=f"read at most the newest N lines per container, or 'all' (default: {tail_default})")
    analyze.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    analyze.add_argument("--no-record", action="store_true", help="do not record the findings in the issue store")
    analyze.add_argument("--fail-on", choices=FAIL_ON_LEVELS, default=None,
                         help="exit with code 1 when findings reach this severity")

    export = actions.add_parser(
        "export", help="write a container's logs to a file (text, jsonl or csv), secrets redacted",
        description="Write the logs of one container between --since and --until to stdout or, atomically, to "
                    "--output FILE. Secrets are redacted with the configured rules unless --no-redact is given.")
    export.add_argument("container", metavar="CONTAINER", help="container name or id prefix")
    export.add_argument("--since", metavar="WHEN", help=f"from this time on: {TIME_HELP}")
    export.add_argument("--until", metavar="WHEN", help=f"up to this time: {TIME_HELP}")
    export.add_argument("--format", choices=EXPORT_FORMAT_CHOICES, default="text",
                        help="output format (default: text)")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument("--no-redact", action="store_true", help="keep secrets in the exported lines")

    for action in (analyze, export):
        # Accept -c/-H after the action name too; SUPPRESS keeps a value given before it.
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")
        action.add_argument("-H", "--host", default=argparse.SUPPRESS, metavar="URL",
                            help="Docker engine to use (overrides docker.host)")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    return {"analyze": _run_analyze, "export": _run_export}[args.logs_action](args, ctx)


# --- analyze ----------------------------------------------------------------------------------------------


def _read_log_file(path: str) -> tuple[list[str], str]:
    if path == STDIN_NAME:
        return [line.rstrip("\r\n") for line in sys.stdin], "stdin"
    file = Path(path).expanduser()
    try:
        with file.open(encoding="utf-8", errors="replace") as stream:
            return [line.rstrip("\r\n") for line in stream], str(file)
    except FileNotFoundError:
        raise NotFoundError(f"no log file at {file}", hint="check the path, or pass '-' to read stdin") from None
    except IsADirectoryError:
        raise UsageError(f"{file} is a directory, not a log file", hint="give the path of a file") from None
    except PermissionError:
        raise PermissionDeniedError(f"cannot read {file}: permission denied",
                                    hint="check the file's permissions") from None


def _run_analyze(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.docker.container_scope import ContainerScope
    from dockerforge_tui.services.issues.analysis import Analysis
    from dockerforge_tui.services.issues.analyzers import observations_from_log
    from dockerforge_tui.services.issues.models import ContainerRef
    from dockerforge_tui.services.logs import detect, prepare
    from dockerforge_tui.services.report import build_report, collect_analysis
    from dockerforge_tui.services.report.collect import PatternWarmUp
    from dockerforge_tui.services.report.model import ReadProblem, ReportScope

    chosen = [name for name, given in (("CONTAINER", bool(args.containers)), ("--project", bool(args.project)),
                                       ("--all", args.all), ("--file", args.file is not None)) if given]
    if len(chosen) != 1:
        what = "nothing" if not chosen else " and ".join(chosen)
        raise UsageError(f"logs analyze needs one of CONTAINER, --project, --all or --file (got {what})",
                         hint="e.g. 'dockerforge logs analyze web --since 1h' or "
                              "'dockerforge logs analyze --file app.log'")
    if args.file is not None and (args.since or args.no_record):
        raise UsageError(f"{'--since' if args.since else '--no-record'} does not apply to --file",
                         hint="a file is analyzed whole and never recorded; drop the option")
    now = datetime.now(timezone.utc)
    since = parse_time(args.since, now, "--since") if args.since else None
    warm_up = (PatternWarmUp(lambda: user_pattern_set(ctx), cache_dir=ctx.paths.cache_dir)
               if args.file is None else None)
    settings = ctx.settings
    redactor = redactor_for(settings)
    recorded: dict[str, int] | None = None
    problems: list[ReadProblem] = []
    lines_read = 0

    if args.file is not None:
        patterns = user_pattern_set(ctx)
        prepare(patterns, cache_dir=ctx.paths.cache_dir)  # a compiled engine from an earlier run, if cached
        lines, label = _read_log_file(args.file)
        lines_read = len(lines)
        source: dict[str, Any] = {"kind": "file", "file": label, "containers": [], "since": None, "tail": None}
        findings = detect(lines, patterns)
        name = "stdin" if label == "stdin" else Path(label).name
        # No engine: the typed fixes (restart, free a port...) have nothing to act on.
        observations = [replace(observation, actions=()) for observation in
                        observations_from_log(findings, lines, ContainerRef(id=f"file:{label}", name=name))]
        analysis = Analysis(states=(), observations=tuple(observations), hints=())
        tracked = None
        scope = ReportScope(description=f"file {label}", since=None, until=now)
        report_time = now
    else:
        scope_of = ContainerScope(names=tuple(args.containers), project=args.project)
        with connect_engine(ctx) as connection:
            collected = collect_analysis(connection, scope_of, since=since, tail=args.tail, patterns=warm_up)
        require_containers(collected.states, scope_of)
        analysis = collected.analysis
        problems.extend(collected.read_problems)
        lines_read = sum(collected.lines_read.values())
        source = {"kind": "containers", "file": None, "containers": [state.name for state in collected.states],
                  "since": since, "tail": args.tail}
        tracked = None
        if not args.no_record:
            try:
                store = issue_store(ctx, redactor)
                changes = store.record(analysis.observations, now)
                recorded = {kind: sum(1 for change in changes if change.kind == kind)
                            for kind in ("opened", "updated", "reopened", "suppressed")}
                tracked = {issue.id: issue for issue in store.list()}
            except (DockerForgeError, OSError) as error:
                problems.append(ReadProblem("issue store", getattr(error, "message", None) or str(error)))
        scope = ReportScope(description=scope_of.describe(), since=since, until=collected.engine_time,
                            project=args.project, containers=tuple(args.containers))
        report_time = collected.engine_time

    report = build_report(analysis, now=report_time, scope=scope, tracked=tracked, redactor=redactor,
                          read_problems=problems, fail_on=args.fail_on)
    source["lines"] = lines_read
    if args.format == "json":
        print(json.dumps(_analyze_data(report, source, recorded), indent=2, ensure_ascii=False), file=ctx.stdout)
    else:
        _print_analyze_text(report, source, recorded, ctx)
    return int(report.exit_code)


def _analyze_data(report: "Report", source: dict[str, Any], recorded: dict[str, int] | None) -> dict[str, Any]:
    from dockerforge_tui.services.report.render import hint_data, issue_data, iso_time

    return {
        "schema": ANALYZE_SCHEMA,
        "schema_version": ANALYZE_SCHEMA_VERSION,
        "generated_at": iso_time(report.generated_at),
        "source": {**source, "since": iso_time(source.get("since"))},
        "issue_counts": dict(report.issue_counts),
        "suppressed_issues": report.suppressed,
        "issues": [issue_data(issue) for issue in report.issues],
        "hints": [hint_data(hint) for hint in report.hints],
        "recorded": recorded,
        "read_problems": [{"subject": problem.subject, "message": problem.message} for problem in report.read_problems],
        "fail_on": report.fail_on,
        "findings_at_threshold": report.findings_at_threshold,
        "exit_code": int(report.exit_code),
    }


def _print_analyze_text(report: "Report", source: dict[str, Any], recorded: dict[str, int] | None, ctx: CommandContext) -> None:
    from dockerforge_tui.services.report.render import iso_time, text_hints, text_issue

    out = ctx.stdout
    if source["kind"] == "file":
        what = f"{source['file']} ({source['lines']} lines)"
    else:
        names = source["containers"]
        window = f"since {iso_time(source['since'])}" if source["since"] else "newest lines"
        limit = f", at most {source['tail']} per container" if source["tail"] else ""
        what = (f"{len(names)} container{'s' if len(names) != 1 else ''}: {', '.join(names) or '-'} "
                f"({source['lines']} log lines, {window}{limit})")
    print(f"Analyzed {what}", file=out)
    if not report.issues:
        suffix = f" ({report.suppressed} resolved or ignored not shown)" if report.suppressed else ""
        print(f"No problems found.{suffix}", file=out)
    else:
        counts = ", ".join(f"{count} {severity}" for severity, count in report.issue_counts if count)
        suffix = f"; {report.suppressed} resolved or ignored not shown" if report.suppressed else ""
        print(f"Found {len(report.issues)} issue{'s' if len(report.issues) != 1 else ''}: {counts}{suffix}", file=out)
        for issue in report.issues:
            print(file=out)
            print("\n".join(text_issue(issue, subject="File" if source["kind"] == "file" else "Container")),
                  file=out)
    if report.hints:
        print("\nRoot-cause hints", file=out)
        print("\n".join(text_hints(report.hints)), file=out)
    if report.read_problems:
        print("\nCould not read", file=out)
        for problem in report.read_problems:
            print(f"  - {problem.subject}: {problem.message}", file=out)
    if recorded is not None and any(recorded.values()):
        parts = [f"{count} {kind}" for kind, count in recorded.items() if count]
        print(f"\nRecorded in the issue store: {', '.join(parts)} (see 'dockerforge issues list')", file=out)
    if report.fail_on is not None:
        print(f"\n{report.findings_at_threshold} at or above {report.fail_on}: exit code {int(report.exit_code)}",
              file=out)


# --- export -----------------------------------------------------------------------------------------------


def _run_export(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.docker.container_scope import ContainerScope, read_scope_states
    from dockerforge_tui.services.docker.log_reader import iter_logs
    from dockerforge_tui.services.logs.export import write_export

    now = datetime.now(timezone.utc)
    since = parse_time(args.since, now, "--since") if args.since else None
    until = parse_time(args.until, now, "--until") if args.until else None
    if since is not None and until is not None and since > until:
        raise UsageError("--since is after --until", hint="give the earlier time to --since")
    if args.output not in (None, STDOUT_NAME):
        check_output_path(args.output, "the export")  # fail before the engine work, not after it
    redactor = None if args.no_redact else redactor_for(ctx.settings)
    with connect_engine(ctx) as connection:
        state = read_scope_states(connection, ContainerScope(names=(args.container,)))[0]
        with output_stream(args.output, ctx, "the export") as out:
            count = write_export(iter_logs(connection, state.id, since=since, until=until), args.format, out,
                                 container=state.name, redactor=redactor)
    if args.output not in (None, STDOUT_NAME):
        note = "" if redactor is not None else " (not redacted)"
        print(f"exported {count} lines of {state.name} to {args.output}{note}", file=ctx.stderr)
    return 0


COMMAND = Command(
    name="logs",
    help="analyze container logs for known failures, or export them (redacted)",
    configure=configure,
    run=run,
)
