"""``dockerforge issues list|show|ack|resolve|ignore|reopen``: the tracked issues in the issue store.

Issues are recorded by ``dockerforge logs analyze``, ``dockerforge report`` and the
dashboard (``AppPaths.data_dir / "issues.json"``). ``list`` shows the unresolved ones
(open and acknowledged) unless ``--status`` or ``--all`` says otherwise; an issue is
named by its id or a unique prefix of it. ``ack`` marks an issue as seen, ``resolve``
as fixed (it reopens if it recurs), ``ignore`` hides it for good, ``reopen`` sets it
back to open.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from dockerforge_tui.cli.commands.common import TIME_HELP, issue_store, parse_time
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import ExitCode

if TYPE_CHECKING:
    from dockerforge_tui.services.issues.store import Issue, IssueStore

DEFAULT_STATUSES = ("open", "acknowledged")
STATUS_ACTIONS = {
    "ack": ("acknowledge", "acknowledged"),
    "resolve": ("resolve", "resolved"),
    "ignore": ("ignore", "ignored"),
    "reopen": ("reopen", "reopened"),
}
"""Action name -> (IssueStore method, past tense for the confirmation line)."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``list``, ``show`` and status actions."""
    # The store checks statuses and severities itself (one-line usage errors listing the valid
    # ones): no choices here, so building the parser loads no issue service.
    actions = parser.add_subparsers(dest="issues_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list tracked issues (unresolved ones by default)",
                                 description="List tracked issues, most severe first. By default the open and "
                                             "acknowledged ones; --status or --all for others.")
    listing.add_argument("--status", action="append", metavar="STATUS",
                         help="only issues with this status (repeatable): open, acknowledged, resolved, ignored")
    listing.add_argument("--all", action="store_true", help="issues of every status")
    listing.add_argument("--severity", metavar="SEVERITY",
                         help="only issues of this severity or worse: info, warning, error, critical")
    listing.add_argument("--container", metavar="NAME", help="only issues of this container or compose service")
    listing.add_argument("--project", metavar="NAME", help="only issues of this compose project")
    listing.add_argument("--since", metavar="WHEN", help=f"only issues seen since then: {TIME_HELP}")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")

    show = actions.add_parser("show", help="show one issue with its evidence and recommendations",
                              description="Show one tracked issue: message, evidence, explanation, "
                                          "recommendations and the fixes a later workflow can offer.")
    show.add_argument("issue_id", metavar="ID", help="the issue's id or a unique prefix of it")
    show.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")

    status_help = {"ack": "mark issues as seen (they stay listed)", "resolve": "mark issues as fixed (they reopen "
                   "if they recur)", "ignore": "hide issues for good", "reopen": "set issues back to open"}
    for name, text in status_help.items():
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument("issue_ids", nargs="+", metavar="ID", help="issue ids or unique prefixes")
    for action in actions.choices.values():
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    if args.issues_action == "list":
        return _run_list(args, ctx)
    if args.issues_action == "show":
        return _run_show(args, ctx)
    return _run_status(args, ctx)


def _store(ctx: CommandContext) -> "IssueStore":
    from dockerforge_tui.cli.commands.common import redactor_for

    return issue_store(ctx, redactor_for(ctx.settings))


def issue_record(issue: "Issue") -> dict[str, Any]:
    """A stored issue as JSON-ready data: the report's issue object plus the store's own fields."""
    from dockerforge_tui.services.report.build import issue_from_tracked
    from dockerforge_tui.services.report.render import issue_data, iso_time

    data = issue_data(issue_from_tracked(issue, evidence_lines=max(1, len(issue.evidence))))
    data["pattern_id"] = issue.pattern_id
    data["status_changed_at"] = iso_time(issue.status_changed_at)
    return data


def _run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.report.render import iso_time

    statuses = None if args.all else (tuple(args.status) if args.status else DEFAULT_STATUSES)
    since = parse_time(args.since, datetime.now(timezone.utc), "--since") if args.since else None
    issues = _store(ctx).list(status=statuses, severity_at_least=args.severity, since=since,
                              container=args.container, project=args.project)
    if args.format == "json":
        print(json.dumps({"issues": [issue_record(issue) for issue in issues]}, indent=2, ensure_ascii=False),
              file=ctx.stdout)
        return int(ExitCode.OK)
    if not issues:
        which = "tracked" if args.all else "/".join(statuses or ())
        print(f"No {which} issues.", file=ctx.stdout)
        return int(ExitCode.OK)
    rows = [["ID", "SEVERITY", "STATUS", "COUNT", "LAST SEEN", "CONTAINER", "TITLE"]]
    for issue in issues:
        rows.append([issue.id, issue.severity, issue.status, str(issue.count),
                     (iso_time(issue.last_seen) or "-").replace("T", " ").replace("Z", ""),
                     issue.container_key, issue.title])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=ctx.stdout)
    return int(ExitCode.OK)


def _run_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.report.build import issue_from_tracked
    from dockerforge_tui.services.report.render import iso_time, text_issue

    issue = _store(ctx).get(args.issue_id)
    if args.format == "json":
        print(json.dumps(issue_record(issue), indent=2, ensure_ascii=False), file=ctx.stdout)
        return int(ExitCode.OK)
    print("\n".join(text_issue(issue_from_tracked(issue, evidence_lines=max(1, len(issue.evidence))))),
          file=ctx.stdout)
    print(f"  First seen: {iso_time(issue.first_seen)}; status {issue.status} since "
          f"{iso_time(issue.status_changed_at)}; pattern {issue.pattern_id}", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    method_name, done = STATUS_ACTIONS[args.issues_action]
    store = _store(ctx)
    change = getattr(store, method_name)
    for wanted in args.issue_ids:  # every id must name one issue before any status changes
        store.get(wanted)
    for wanted in args.issue_ids:
        issue = change(wanted)
        print(f"{done} {issue.id}: {issue.title}", file=ctx.stdout)
    return int(ExitCode.OK)


COMMAND = Command(
    name="issues",
    help="list, show, acknowledge, resolve, ignore or reopen tracked issues",
    configure=configure,
    run=run,
)
