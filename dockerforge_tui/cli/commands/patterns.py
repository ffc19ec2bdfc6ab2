"""``dockerforge patterns add|list``: teach the log pattern engine a failure it missed; see every pattern.

``add`` checks the regex (it compiles, matches the example line, leaves ordinary log
lines alone, is not catastrophically broad), shows the pattern file it would write to
the user pattern folder (``CONFIG_DIR/patterns``) and asks before writing (``--yes``
skips the question; answering no exits 130). ``list`` shows the packaged and user
patterns.
"""

from __future__ import annotations

import argparse
import json

from dockerforge_tui.cli.commands.common import confirm
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import ExitCode, UsageError, UserAbortError


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``add`` and ``list`` actions."""
    # propose_pattern checks category and severity (one-line usage errors listing the valid ones):
    # no choices here, so building the parser loads no log service.
    actions = parser.add_subparsers(dest="patterns_action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="add a log pattern to the user pattern folder (checked, shown, confirmed)",
        description="Check a regex for a failure the packaged patterns miss and save it as a pattern file in the "
                    "user pattern folder. The regex must match --example, leave ordinary log lines alone and "
                    "contain a fixed word; '^' means the start of the message after Docker's prefixes.")
    add.add_argument("--category", required=True, metavar="CATEGORY",
                     help="the failure category (port_in_use, out_of_memory, connection_refused...; "
                          "'dockerforge patterns list' shows them)")
    add.add_argument("--regex", required=True, metavar="REGEX", help="Python regular expression (case-insensitive)")
    add.add_argument("--example", required=True, metavar="LINE", help="a log line the pattern must recognise")
    add.add_argument("--explanation", metavar="TEXT", help="what the failure means, in a sentence or two")
    add.add_argument("--recommendation", action="append", default=[], metavar="TEXT",
                     help="a step that fixes it (repeatable); commands in `backticks`")
    add.add_argument("--severity", default="error", metavar="SEVERITY",
                     help="info, warning, error or critical (default: error)")
    add.add_argument("--id", dest="pattern_id", metavar="ID",
                     help="the pattern's id (default: learned.CATEGORY.HASH)")
    add.add_argument("--case-sensitive", action="store_true", help="match case exactly")
    add.add_argument("--yes", "-y", action="store_true", help="write without asking")

    listing = actions.add_parser("list", help="list the packaged and user log patterns",
                                 description="List every log pattern in use: the packaged ones and those in the "
                                             "user pattern folder (which add to or replace packaged ones by id).")
    listing.add_argument("--user", action="store_true", help="only the patterns from the user pattern folder")
    listing.add_argument("--category", metavar="CATEGORY", help="only patterns of this category")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    for action in (add, listing):
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    return {"add": _run_add, "list": _run_list}[args.patterns_action](args, ctx)


def _run_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.cli.commands.common import user_pattern_set
    from dockerforge_tui.services.logs import prepare
    from dockerforge_tui.services.logs.learning import propose_pattern, save_pattern, user_patterns_dir

    folder = user_patterns_dir(ctx.paths)
    existing = user_pattern_set(ctx)
    prepare(existing, cache_dir=ctx.paths.cache_dir)  # the check runs them on the example; reuse a cached engine
    proposed = propose_pattern(args.category, args.regex, args.example, args.explanation, args.severity,
                               args.recommendation, pattern_id=args.pattern_id, case_sensitive=args.case_sensitive,
                               existing=existing)
    target = folder / proposed.file_name
    out = ctx.stdout
    verb = "replace" if target.exists() else "write"
    print(f"The regex passed every check (it matches the example and none of {proposed.benign_lines_checked} "
          f"ordinary log lines).", file=out)
    if proposed.already_detected_by:
        print(f"note: existing patterns already recognise the example: {', '.join(proposed.already_detected_by)}",
              file=out)
    print(f"This will {verb} {target}:", file=out)
    print(file=out)
    print(proposed.yaml_text(), end="", file=out)
    print(file=out)
    out.flush()
    if not args.yes and not confirm(f"{verb.capitalize()} this pattern file?", ctx):
        raise UserAbortError("the pattern was not saved", hint="run again with --yes to save without asking")
    written = save_pattern(proposed, folder)
    print(f"saved {proposed.id} to {written}; 'dockerforge logs analyze' and 'dockerforge report' use it from now on",
          file=out)
    return int(ExitCode.OK)


def _run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.logs import detection_settings, load_patterns
    from dockerforge_tui.services.logs.learning import user_patterns_dir

    folder = user_patterns_dir(ctx.paths)
    categories = detection_settings().categories
    if args.category is not None and args.category not in categories:
        raise UsageError(f"unknown pattern category {args.category!r}", hint=f"use one of: {', '.join(categories)}")
    patterns = load_patterns(folder)
    rows = []
    for pattern in patterns:
        from_user = pattern.source is not None and pattern.source.parent == folder
        if (args.user and not from_user) or (args.category and pattern.category != args.category):
            continue
        rows.append({"id": pattern.id, "category": pattern.category, "severity": pattern.severity,
                     "source": "user" if from_user else "packaged",
                     "file": str(pattern.source) if pattern.source else None, "regex": list(pattern.regexes)})
    if args.format == "json":
        print(json.dumps({"user_dir": str(folder), "patterns": rows}, indent=2, ensure_ascii=False), file=ctx.stdout)
        return int(ExitCode.OK)
    if not rows:
        print(f"No patterns{' in ' + str(folder) if args.user else ''}.", file=ctx.stdout)
        return int(ExitCode.OK)
    table = [["ID", "CATEGORY", "SEVERITY", "SOURCE"]] + [
        [row["id"], row["category"], row["severity"],
         row["source"] if row["source"] == "packaged" else f"user ({row['file']})"] for row in rows]
    widths = [max(len(row[column]) for row in table) for column in range(4)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=ctx.stdout)
    user_count = sum(1 for row in rows if row["source"] == "user")
    print(f"\n{len(rows)} patterns ({user_count} from {folder})", file=ctx.stdout)
    return int(ExitCode.OK)


COMMAND = Command(
    name="patterns",
    help="add a log pattern for a failure the packaged ones miss, or list the patterns",
    configure=configure,
    run=run,
)
