"""``dockerforge report`` (also ``dockerforge --report``): the state of a Docker host without the dashboard, for cron.

It reads the engine once (see :mod:`dockerforge_tui.services.report.collect`), runs the
state, event and log analyzers, records what it found in the issue store, and prints
the engine summary, the containers that are down, restarting, unhealthy or were
OOM-killed, the open issues by severity with their evidence, root-cause hints and the
recommended next steps, as text, Markdown or JSON (``docs/REPORT_SCHEMA.md``).

Exit codes: 0 done (and, with ``--fail-on``, nothing at that level); 1 issues at or
above the ``--fail-on`` severity; 2 a usage or configuration error; 3 no engine answered.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Sequence

from dockerforge_tui.cli.commands.common import (
    STDOUT_NAME, TIME_HELP, check_output_path, connect_engine, issue_store, parse_time, redactor_for,
    require_containers, user_pattern_set, write_output,
)
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, ExitCode, UsageError

if TYPE_CHECKING:
    from dockerforge_tui.services.report.model import Report

REPORT_FLAG = "--report"
FAIL_ON_LEVELS = ("warning", "error", "critical")
# Top-level options that take a value: a "--report" after one of them is that value, not the flag.
_VALUE_OPTIONS = frozenset({"-H", "--host", "-c", "--config", "--theme"})


def expand_report_flag(argv: Sequence[str], command_names: Sequence[str]) -> list[str]:
    """Turn ``dockerforge [OPTIONS] --report [REPORT OPTIONS]`` into ``dockerforge [OPTIONS] report [REPORT OPTIONS]``.

    Only a ``--report`` before any command name counts; everything after it goes to
    the report command, so ``dockerforge --report --format json --fail-on error`` works.
    """
    argv = list(argv)
    skip = False
    for index, token in enumerate(argv):
        if skip:
            skip = False
            continue
        if token == REPORT_FLAG:
            return argv[:index] + ["report"] + argv[index + 1:]
        if token in _VALUE_OPTIONS:
            skip = True
        elif token in command_names or token == "--":
            break
    return argv


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the report's options."""
    # Only the light modules: every dockerforge invocation builds this parser.
    from dockerforge_tui.services.report.model import FORMATS
    from dockerforge_tui.services.report.settings import report_settings

    defaults = report_settings()
    parser.description = (
        "Report on the Docker host without opening the dashboard: the engine, containers that are down, "
        "restarting, unhealthy or OOM-killed, open issues by severity with their evidence, root-cause hints and "
        "recommended next steps. Findings are recorded in the issue store. Exit codes: 0 done, 1 issues at or "
        "above --fail-on, 2 usage or configuration error, 3 engine unreachable.")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--since", metavar="WHEN", default=None,
                        help=f"read logs and events from then on: {TIME_HELP} (default: 24h)")
    parser.add_argument("--project", metavar="NAME", help="only the containers of this compose project")
    parser.add_argument("--label", metavar="KEY[=VALUE]", action="append", default=[],
                        help="only containers with this label (repeatable; all must match)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE (atomically) instead of stdout")
    parser.add_argument("--fail-on", choices=FAIL_ON_LEVELS, default=None,
                        help="exit with code 1 when issues at or above this severity are open")
    parser.add_argument("--tail", type=int, metavar="N", default=defaults.report_tail,
                        help=f"read at most the newest N log lines per container (default: {defaults.report_tail})")
    parser.add_argument("--no-record", action="store_true",
                        help="do not record the findings in the issue store")
    parser.add_argument("--notify", action="store_true",
                        help="also send the report (as text) through the notification channels: routes, minimum "
                             "severities and quiet hours apply; exit 9 when no channel took it")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Collect, analyze, record, render; return the exit code the findings call for."""
    from dockerforge_tui.services.report.collect import PatternWarmUp
    from dockerforge_tui.services.report.settings import report_settings

    if args.tail is not None and args.tail <= 0:
        raise UsageError(f"--tail must be a positive number of lines, not {args.tail}", hint="e.g. --tail 500")
    if args.output not in (None, STDOUT_NAME):
        check_output_path(args.output, "the report")  # fail before the engine work, not after it
    now = datetime.now(timezone.utc)
    since = parse_time(args.since, now, "--since") if args.since \
        else now - timedelta(seconds=report_settings().report_since)
    # The pattern engine's cold start (a second or more) overlaps everything below.
    warm_up = PatternWarmUp(lambda: user_pattern_set(ctx), cache_dir=ctx.paths.cache_dir)

    from dockerforge_tui.services.docker.container_scope import ContainerScope
    from dockerforge_tui.services.report import build_report, collect_analysis, track_issues
    from dockerforge_tui.services.report.render import render
    from dockerforge_tui.services.report.model import ReadProblem, ReportScope

    settings = ctx.settings
    redactor = redactor_for(settings)
    scope = ContainerScope(project=args.project, labels=tuple(args.label))

    with connect_engine(ctx) as connection:
        collected = collect_analysis(connection, scope, since=since, tail=args.tail, patterns=warm_up)
    require_containers(collected.states, scope)

    problems = list(collected.read_problems)
    tracked = None
    if not args.no_record:
        try:
            tracked = track_issues(issue_store(ctx, redactor), collected.analysis.observations, now)
        except (DockerForgeError, OSError) as error:  # a report from cron should still arrive
            problems.append(ReadProblem("issue store", getattr(error, "message", None) or str(error)))
    report = build_report(
        collected.analysis, now=collected.engine_time, engine=collected.engine, tracked=tracked, redactor=redactor,
        read_problems=problems, fail_on=args.fail_on,
        scope=ReportScope(description=scope.describe(), since=since, until=collected.engine_time,
                          project=args.project, labels=tuple(args.label)))
    rendered = render(report, args.format)
    written = write_output(rendered, args.output, ctx, "the report")
    if written is not None:
        print(f"report written to {written}", file=ctx.stderr)
    if args.notify:
        text = rendered if args.format == "text" else render(report, "text")
        if not _notify(report, text, written, ctx) and report.exit_code == ExitCode.OK:
            return int(ExitCode.NOTIFICATION_FAILED)
    return int(report.exit_code)


def _notify(report: "Report", text: str, written: object, ctx: CommandContext) -> bool:
    """Send the report through the channels now; True when at least one channel took it (each outcome on stderr)."""
    from dockerforge_tui.services.notify import build_dispatcher
    from dockerforge_tui.services.notify.report_event import report_event

    if not ctx.settings.notifications.channels:
        raise UsageError("--notify: no notification channels are configured",
                         hint="add notifications.channels to the config (docs/NOTIFICATIONS.md)")
    dispatcher = build_dispatcher(ctx.settings, ctx.paths, ctx.env, config=ctx.config())
    dispatcher.on_event(report_event(report, text, str(written) if written is not None else None))
    rows = dispatcher.tick(force=True)  # a cron job cannot wait for the group wait
    for row in rows:
        reason = f" ({row.reason})" if row.reason else ""
        print(f"notify: {row.channel or '-'}: {row.outcome}{reason}", file=ctx.stderr)
    if not rows:
        print("notify: no channel took the report (no route, or held back: dockerforge notify list says why)",
              file=ctx.stderr)
    return any(row.outcome == "sent" for row in rows)


COMMAND = Command(
    name="report",
    help="report on the host without the dashboard (for cron); exit 1 with --fail-on when issues reach it",
    configure=configure,
    run=run,
)
