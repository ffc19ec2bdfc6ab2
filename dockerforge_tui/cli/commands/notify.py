"""``dockerforge notify test|list|ack|secret``: notification channels, the notification log, acknowledgements.

``test CHANNEL`` sends a test message through one channel (retries and fallback as
configured) and says how it went. ``list`` prints the notification log: what was sent,
what was held back and why. ``ack ISSUE`` acknowledges an issue, which stops its
escalation (in the dashboard too) and marks it acknowledged in the issue store.
``secret set NAME`` stores a channel credential (read from stdin) for ``{secret:NAME}``
in a channel URL. docs/NOTIFICATIONS.md describes channels, routing and grouping.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING

from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, ExitCode, NotFoundError, UsageError

if TYPE_CHECKING:
    from dockerforge_tui.services.notify import NotificationDispatcher, NotificationLog
    from dockerforge_tui.services.notify.credentials import SecretStore

DEFAULT_LIMIT = 50


class NotificationFailedError(DockerForgeError):
    """A channel (and its fallback) did not take a message."""

    exit_code = ExitCode.NOTIFICATION_FAILED


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``test``, ``list``, ``ack`` and ``secret`` actions."""
    actions = parser.add_subparsers(dest="notify_action", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="send a test message through a channel",
                              description="Send a test message through one channel from notifications.channels, "
                                          "with its retries and fallback, and say how it went.")
    test.add_argument("channel", metavar="CHANNEL", help="the channel's name")

    listing = actions.add_parser("list", help="show the notification log (newest first)",
                                 description="Show what was sent, what was held back and why (grouped, throttled, "
                                             "quiet hours, rate-limited, failed and fell back), newest first.")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                         help=f"rows to show (default: {DEFAULT_LIMIT})")
    listing.add_argument("--outcome", choices=("sent", "suppressed", "failed"), help="only rows with this outcome")
    listing.add_argument("--channel", metavar="NAME", help="only rows of this channel")
    listing.add_argument("--issue", metavar="ID", help="only rows about this issue (an id or a prefix)")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")

    ack = actions.add_parser("ack", help="acknowledge an issue: its escalation stops",
                             description="Acknowledge an issue: no escalation is sent for it, and it is marked "
                                         "acknowledged in the issue store.")
    ack.add_argument("issue_id", metavar="ISSUE", help="the issue's id or a unique prefix of it")

    secret = actions.add_parser("secret", help="store a channel credential for {secret:NAME}",
                                description="Store a credential in the OS keyring (or the encrypted key file where "
                                            "there is none), for {secret:NAME} in a channel URL.")
    secret_actions = secret.add_subparsers(dest="secret_action", metavar="ACTION", required=True)
    secret_set = secret_actions.add_parser("set", help="store a secret read from stdin (or typed at a prompt)")
    secret_set.add_argument("name", metavar="NAME")
    for action in (test, listing, ack, secret_set):
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    if args.notify_action == "test":
        return _run_test(args, ctx)
    if args.notify_action == "list":
        return _run_list(args, ctx)
    if args.notify_action == "ack":
        return _run_ack(args, ctx)
    return _run_secret_set(args, ctx)


def dispatcher_for(ctx: CommandContext) -> "NotificationDispatcher":
    """The dispatcher of the loaded configuration; channel URLs are checked as the files spell them."""
    from dockerforge_tui.services.notify import build_dispatcher

    loaded = ctx.config()
    return build_dispatcher(loaded.settings, ctx.paths, ctx.env, config=loaded)


def _log(ctx: CommandContext) -> "NotificationLog":
    from dockerforge_tui.services.notify import NotificationLog

    return NotificationLog.for_paths(ctx.paths, ctx.settings.notifications.log_max_entries)


def _secret_store(ctx: CommandContext) -> "SecretStore":
    from dockerforge_tui.services.notify.credentials import SecretStore

    return SecretStore(ctx.paths.config_dir, env=ctx.env, key_file=ctx.settings.ai.key_file)


def _run_test(args: argparse.Namespace, ctx: CommandContext) -> int:
    dispatcher = dispatcher_for(ctx)
    if args.channel not in dispatcher.settings.channels:
        defined = ", ".join(sorted(dispatcher.settings.channels)) or "none"
        raise NotFoundError(f"no notification channel named {args.channel!r} (defined: {defined})",
                            hint="define it under notifications.channels in config.yaml (docs/NOTIFICATIONS.md)")
    result = dispatcher.send_test(args.channel)
    attempts = f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}"
    if not result.delivered:
        raise NotificationFailedError(f"{args.channel}: the test message was not delivered: {result.error} "
                                      f"({attempts})",
                                      hint="check the channel's URL and that its server is reachable; "
                                           "'dockerforge --debug notify test' shows apprise's log")
    if result.fell_back:
        print(f"{args.channel}: failed ({result.error}); the test message went through its fallback "
              f"{result.via} ({attempts})", file=ctx.stdout)
    else:
        print(f"{args.channel}: test message sent ({attempts})", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: expected a number of rows of at least 1", hint="e.g. --limit 20")
    rows = _log(ctx).recent(args.limit, outcome=args.outcome, channel=args.channel, issue_id=args.issue)
    if args.format == "json":
        print(json.dumps({"notifications": [row.as_dict() for row in rows]}, indent=2, ensure_ascii=False),
              file=ctx.stdout)
        return int(ExitCode.OK)
    if not rows:
        print("No notifications logged.", file=ctx.stdout)
        return int(ExitCode.OK)
    table = [["TIME", "OUTCOME", "REASON", "CHANNEL", "KIND", "SEVERITY", "SUBJECT"]]
    for row in rows:
        channel = row.channel or "-"
        if row.via and row.via != row.channel:
            channel += f"->{row.via}"
        table.append([row.at.strftime("%Y-%m-%d %H:%M:%S"), row.outcome, row.reason or "-", channel, row.kind,
                      row.severity, row.subject])
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip(), file=ctx.stdout)
    return int(ExitCode.OK)


def _run_ack(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.cli.commands.common import issue_store, redactor_for

    store = issue_store(ctx, redactor_for(ctx.settings))
    try:
        issue = store.get(args.issue_id)
    except NotFoundError:  # an issue pruned from the store, or one only the notifications knew
        issue = None
    if issue is not None and issue.status == "open":  # a resolved or ignored issue keeps its status
        issue = store.acknowledge(issue.id)
    issue_id = issue.id if issue is not None else args.issue_id
    _log(ctx).acknowledge(issue_id, by="cli")
    title = f": {issue.title}" if issue is not None else " (not in the issue store; its escalation stops)"
    print(f"acknowledged {issue_id}{title}", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_secret_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    if sys.stdin.isatty():
        value = getpass.getpass(f"secret {args.name}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise UsageError(f"no value for secret {args.name} on stdin",
                         hint=f"e.g. 'printf %s \"$PASSWORD\" | dockerforge notify secret set {args.name}'")
    where = _secret_store(ctx).set(args.name, value)
    print(f"secret {args.name} stored in the {where}; write {{secret:{args.name}}} in a channel URL",
          file=ctx.stdout)
    return int(ExitCode.OK)


COMMAND = Command(
    name="notify",
    help="test notification channels, show the notification log, acknowledge issues, store channel secrets",
    configure=configure,
    run=run,
)
