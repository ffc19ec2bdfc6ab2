"""``dockerforge fix propose|list|show|apply|rollback|reject``: fixes as typed operations, applied with rollback.

``propose CONTAINER`` analyses the container now (its recent logs through the pattern
engine, and its state) and stores a proposal per fix the rules know. ``apply ID``
checks its safety, saves what a rollback needs, runs it step by step (progress on
stderr), rolls back at the first failure, then verifies it; ``--dry-run`` prints the
exact steps and the preview and changes nothing. Without ``--yes`` it asks first; a
high-risk fix asks for the container's name typed back, and ``--yes`` alone is refused
for it (add ``--force``). ``rollback ID`` restores what was saved. Exit codes are in
docs/EXIT_CODES.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from dockerforge_tui.cli.commands.common import confirm, connect_engine, issue_store, redactor_for, user_pattern_set
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, ExitCode, UsageError, UserAbortError

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.connection import EngineConnection
    from dockerforge_tui.services.fixes import ApplyResult, FixService, FixStore, Proposal

DEFAULT_LIST_STATUSES = ("proposed", "applying", "applied", "failed", "rollback_failed")
SAFETY_FLAGS = (
    ("--allow-privileges", "allow_privileges",
     "allow steps that give a container more power over the host "
     "(privileged, host network/PID/IPC, docker.sock, capabilities, devices)"),
    ("--allow-other-containers", "allow_other_containers", "allow steps that change containers the fix was not "
                                                           "made for (a prune of stopped containers included)"),
    ("--allow-volume-delete", "allow_volume_delete", "allow steps that delete volumes and their data"),
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``propose``, ``list``, ``show``, ``apply``, ``rollback`` and ``reject`` actions."""
    actions = parser.add_subparsers(dest="fix_action", metavar="ACTION", required=True)
    propose = actions.add_parser("propose", help="analyse a container now and propose fixes",
                                 description="Read the container's recent logs and state, find its problems and "
                                             "store a fix proposal for each one a rule can fix.")
    propose.add_argument("container", metavar="CONTAINER", help="the container's name or id")
    propose.add_argument("--tail", type=int, metavar="N", help="log lines to read (default: 500)")
    propose.add_argument("--ai", action="store_true",
                         help="also ask the AI provider for a fix (typed operations only; anything else it says is "
                              "kept as advice and never run)")
    propose.add_argument("--provider", metavar="NAME", help="with --ai: ask this provider (default: ai.provider)")
    propose.add_argument("--yes", "-y", action="store_true",
                         help="with --ai: send without asking when the estimated cost is above ai.confirm_above")
    _format(propose)

    listing = actions.add_parser("list", help="list fix proposals (waiting, applied and failed ones by default)")
    listing.add_argument("--status", action="append", metavar="STATUS",
                         help="only fixes with this status (repeatable): proposed, rejected, applying, applied, "
                              "succeeded, failed, rolled_back, rollback_failed")
    listing.add_argument("--all", action="store_true", help="fixes of every status")
    listing.add_argument("--container", metavar="NAME", help="only fixes for this container")
    _format(listing)

    show = actions.add_parser("show", help="show one fix: operations, risk, preview, verification, history")
    show.add_argument("fix_id", metavar="ID", help="the fix's id or a unique prefix of it")
    _format(show)

    apply = actions.add_parser("apply", help="apply a fix (asks first), verify it, roll back on failure",
                               description="Apply a fix: safety check, save what a rollback needs, run the steps, "
                                           "roll back at the first failure, then verify.")
    apply.add_argument("fix_id", metavar="ID", help="the fix's id or a unique prefix of it")
    apply.add_argument("--dry-run", action="store_true", help="print exactly what would happen; change nothing")
    apply.add_argument("--yes", "-y", action="store_true", help="do not ask (refused for high-risk fixes without "
                                                                "--force)")
    apply.add_argument("--force", action="store_true", help="with --yes: apply a high-risk fix without asking")
    for flag, dest, text in SAFETY_FLAGS:
        apply.add_argument(flag, dest=dest, action="store_true", help=text)
    apply.add_argument("--verify-seconds", type=float, metavar="N",
                       help="how long the containers must keep running afterwards (default: fixes.verify_seconds, 20s)")
    apply.add_argument("--no-verify", action="store_true", help="skip the verification (the fix stays 'applied')")

    rollback = actions.add_parser("rollback", help="undo an applied fix from what was saved before it ran")
    rollback.add_argument("fix_id", metavar="ID", help="the fix's id or a unique prefix of it")
    rollback.add_argument("--yes", "-y", action="store_true", help="do not ask")

    reject = actions.add_parser("reject", help="mark a waiting fix as rejected")
    reject.add_argument("fix_id", metavar="ID", help="the fix's id or a unique prefix of it")

    for action in actions.choices.values():
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")


def _format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    handlers = {"propose": _run_propose, "list": _run_list, "show": _run_show, "apply": _run_apply,
                "rollback": _run_rollback, "reject": _run_reject}
    return handlers[args.fix_action](args, ctx)


# --- building the service ---------------------------------------------------------------------------


def _store(ctx: CommandContext) -> "FixStore":
    from dockerforge_tui.services.fixes import FixStore

    return FixStore.for_paths(ctx.paths)


def _service(ctx: CommandContext, connection: "EngineConnection", running_seconds: float | None = None) -> "FixService":
    from dockerforge_tui.services.audit import AuditLog, audit_path
    from dockerforge_tui.services.fixes import FixEngine, FixService

    settings = ctx.settings
    if running_seconds is None:
        running_seconds = settings.fixes.verify_seconds
    audit = AuditLog(audit_path(ctx.paths.data_dir), max_bytes=settings.audit.max_bytes,
                     backup_count=settings.audit.backup_count)
    engine = FixEngine(connection, audit=audit, readonly=settings.ui.readonly)
    redactor = redactor_for(settings)
    return FixService(_store(ctx), engine, redactor=redactor, running_seconds=running_seconds,
                      ai_outcome=lambda call_id, accepted: _record_ai_outcome(ctx, call_id, accepted),
                      patterns=user_pattern_set(ctx), issues=issue_store(ctx, redactor))


@contextmanager
def _fix_service(ctx: CommandContext, *, engine: bool = True,
                 running_seconds: float | None = None) -> Iterator["FixService"]:
    """The fix service (on a fresh engine connection unless ``engine`` is False), telling the notification
    channels what happens; whatever is due is sent before the command ends."""
    notifier = _notifier(ctx)
    try:
        if engine:
            with connect_engine(ctx) as connection:
                service = _service(ctx, connection, running_seconds)
                if notifier is not None:
                    service.subscribe(notifier.on_fix_event)
                yield service
        else:
            from dockerforge_tui.services.fixes import FixService

            service = FixService(_store(ctx), None,
                                 ai_outcome=lambda call_id, accepted: _record_ai_outcome(ctx, call_id, accepted))
            if notifier is not None:
                service.subscribe(notifier.on_fix_event)
            yield service
    finally:
        if notifier is not None:
            _flush(notifier, ctx)


def _notifier(ctx: CommandContext) -> Any:
    """The notification dispatcher when channels are configured (None otherwise: nothing is imported)."""
    if not ctx.settings.notifications.channels:
        return None
    from dockerforge_tui.services.notify import build_dispatcher

    try:
        return build_dispatcher(ctx.settings, ctx.paths, ctx.env, config=ctx.config())
    except DockerForgeError as error:  # a broken channel must not stop a fix; say so and go on
        print(f"dockerforge: warning: no notifications for this command: {error.message}", file=ctx.stderr)
        return None


def _flush(notifier: Any, ctx: CommandContext) -> None:
    # A one-shot command cannot wait for the group wait: send what changed now.
    try:
        notifier.tick(force=True)
    except (DockerForgeError, OSError) as error:
        print(f"dockerforge: warning: notifications were not sent: {getattr(error, 'message', error)}",
              file=ctx.stderr)


def _record_ai_outcome(ctx: CommandContext, call_id: str, accepted: bool) -> None:
    # Through the assistant, which owns the AI usage ledger and its feedback columns.
    from dockerforge_tui.services.ai.assistant import Assistant

    Assistant.for_paths(ctx.settings, ctx.paths, connect=None, env=ctx.env).record_fix_outcome(call_id, accepted)


# --- output -------------------------------------------------------------------------------------------


def _print_json(data: Any, ctx: CommandContext) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), file=ctx.stdout)


def _fix_data(proposal: "Proposal", redactor) -> dict[str, Any]:
    data = proposal.to_dict()
    # Environment values set by a recreate may be secrets: scripts get them redacted like every output.
    for operation in data["operations"]:
        changes = operation["params"].get("changes") if isinstance(operation.get("params"), dict) else None
        if isinstance(changes, dict) and changes.get("env_set"):
            changes["env_set"] = redactor.redact_env(changes["env_set"])
        if operation["kind"] == "edit_compose_file":
            operation["params"]["content"] = redactor.redact(operation["params"]["content"])
    return data


def _table(proposals: "list[Proposal]", ctx: CommandContext) -> None:
    rows = [["ID", "STATUS", "RISK", "CONTAINER", "SOURCE", "SUMMARY"]]
    for proposal in proposals:
        rows.append([proposal.id, proposal.status, proposal.risk, proposal.container, proposal.source.label,
                     proposal.summary])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=ctx.stdout)


def _details(proposal: "Proposal") -> list[str]:
    lines = [f"Fix {proposal.id}: {proposal.summary}",
             f"  Container: {', '.join(proposal.containers)}   Risk: {proposal.risk}   Status: {proposal.status}"
             f"   Source: {proposal.source.label}"]
    if proposal.issue_id:
        lines.append(f"  Issue: {proposal.issue_id} ({proposal.category})")
    if proposal.operations:
        lines.append("  Steps:")
        lines.extend(f"    {index}. {operation.describe()}" for index, operation in enumerate(proposal.operations, 1))
    if proposal.risks:
        lines.append("  Risks:")
        lines.extend(f"    {risk.level:<6} {risk.kind}: {risk.reason}" for risk in proposal.risks)
    if not proposal.reversible:
        lines.append("  Some steps cannot be undone by a rollback.")
    if proposal.advice:
        lines.append("  Advice (shown only, never run):")
        lines.extend(f"    - {text}" for text in proposal.advice)
    lines.append("  Verification:")
    lines.extend(f"    - {step}" for step in proposal.verification.steps())
    if proposal.preview:
        lines.append("  Preview:")
        lines.extend(f"    {line}" for line in proposal.preview.splitlines())
    return lines


def _history(proposal: "Proposal") -> list[str]:
    return ["  History:"] + [f"    {change.at.strftime('%Y-%m-%d %H:%M:%S')}  {change.status:<15} {change.note}"
                             for change in proposal.history]


# --- actions --------------------------------------------------------------------------------------------


def _run_propose(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.tail is not None and args.tail < 1:
        raise UsageError(f"--tail must be at least 1, not {args.tail}", hint="for example --tail 200")
    if (args.provider or args.yes) and not args.ai:
        raise UsageError("--provider and --yes go with --ai", hint=f"dockerforge fix propose {args.container} --ai")
    redactor = redactor_for(ctx.settings)
    ai_error: DockerForgeError | None = None
    with _fix_service(ctx) as service:
        proposals = service.propose_for(args.container, tail=args.tail)
        if args.ai:
            try:
                proposals = [*proposals, _propose_with_ai(args, ctx, service)]
            except DockerForgeError as error:  # the rules' proposals are stored: show them, then say why
                ai_error = error
    if args.format == "json":
        _print_json({"container": args.container, "fixes": [_fix_data(item, redactor) for item in proposals]}, ctx)
    elif not proposals:
        print(f"No fix to propose for {args.container}: no problem a fix rule knows was found.", file=ctx.stdout)
    else:
        for proposal in proposals:
            print("\n".join(_details(proposal)), file=ctx.stdout)
            print(f"  Apply with: dockerforge fix apply {proposal.id}\n", file=ctx.stdout)
    if ai_error is not None:
        raise ai_error
    return int(ExitCode.OK)


def _propose_with_ai(args: argparse.Namespace, ctx: CommandContext, service: "FixService") -> "Proposal":
    from dockerforge_tui.cli.commands.ai import _assistant, _confirm_cost
    from dockerforge_tui.services.fixes.ai_proposals import propose_with_ai

    assistant = _assistant(ctx)
    # The same estimate, budget check and question as `ai analyze`: by the time the call is
    # sent, a cost above ai.confirm_above was confirmed (or --yes given), else it raised.
    proposal = propose_with_ai(service, assistant, args.container, provider=args.provider,
                               on_prepared=lambda prepared: _confirm_cost(args, ctx, assistant, prepared),
                               confirm=lambda prepared: True)
    print(f"asked {proposal.source.label} (call {proposal.source.call_id})", file=ctx.stderr)
    return proposal


def _run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    statuses = None if args.all else (tuple(args.status) if args.status else DEFAULT_LIST_STATUSES)
    proposals = _store(ctx).list(status=statuses, container=args.container)
    if args.format == "json":
        redactor = redactor_for(ctx.settings)
        _print_json({"fixes": [_fix_data(item, redactor) for item in proposals]}, ctx)
        return int(ExitCode.OK)
    if not proposals:
        print("No fixes." if args.all else "No waiting, applied or failed fixes (--all lists every one).",
              file=ctx.stdout)
        return int(ExitCode.OK)
    _table(proposals, ctx)
    return int(ExitCode.OK)


def _run_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    proposal = _store(ctx).get(args.fix_id)
    if args.format == "json":
        _print_json(_fix_data(proposal, redactor_for(ctx.settings)), ctx)
        return int(ExitCode.OK)
    print("\n".join(_details(proposal) + _history(proposal)), file=ctx.stdout)
    return int(ExitCode.OK)


def _options(args: argparse.Namespace):
    from dockerforge_tui.services.fixes import SafetyOptions

    return SafetyOptions(allow_privileges=args.allow_privileges, allow_other_containers=args.allow_other_containers,
                         allow_volume_delete=args.allow_volume_delete)


def _ask_to_apply(proposal: "Proposal", ctx: CommandContext) -> None:
    if proposal.risk == "high":
        name = proposal.container
        print(f"This fix is HIGH risk. Type the container's name ({name}) to apply it: ", end="", file=ctx.stderr,
              flush=True)
        answer = sys.stdin.readline()
        if not answer.endswith("\n") or not sys.stdin.isatty():
            print(file=ctx.stderr)
        if answer.strip() != name:
            raise UserAbortError(f"fix {proposal.id} was not applied: the name typed did not match {name}")
        return
    if not confirm(f"Apply fix {proposal.id} ({proposal.risk} risk)?", ctx):
        raise UserAbortError(f"fix {proposal.id} was not applied", hint="run again with --yes to apply without asking")


def _run_apply(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.verify_seconds is not None and args.verify_seconds < 0:
        raise UsageError(f"--verify-seconds must be 0 or more, not {args.verify_seconds:g}")
    proposal = _store(ctx).get(args.fix_id)
    if args.force and not args.yes:
        raise UsageError("--force only applies with --yes", hint="add --yes, or drop --force to be asked")
    if args.yes and proposal.risk == "high" and not args.force and not args.dry_run:
        raise UsageError(f"fix {proposal.id} is high risk: --yes alone is refused",
                         hint="review it with `dockerforge fix show ID`, then add --force, or drop --yes to confirm "
                              "by typing the container's name")
    with _fix_service(ctx, running_seconds=args.verify_seconds) as service:
        if args.dry_run:
            result = service.apply(proposal, dry_run=True, options=_options(args))
            print("\n".join(_details(result.proposal)), file=ctx.stdout)
            print("Dry run: these steps would run (nothing was changed):", file=ctx.stdout)
            print("\n".join(f"  {step}" for step in result.steps), file=ctx.stdout)
            return int(ExitCode.OK)
        refusals = service.check(proposal, _options(args))
        if refusals:  # before asking: no point confirming what will be refused
            from dockerforge_tui.services.fixes import SafetyRefusedError

            raise SafetyRefusedError(refusals)
        if not args.yes:
            print("\n".join(_details(proposal)), file=ctx.stderr)
            _ask_to_apply(proposal, ctx)
        result = service.apply(proposal, options=_options(args), on_progress=lambda text: print(
            f"  {text}", file=ctx.stderr, flush=True), verify_after=not args.no_verify)
    return _apply_outcome(result, ctx)


def _apply_outcome(result: "ApplyResult", ctx: CommandContext) -> int:
    proposal = result.proposal
    if result.error is not None:
        undone = ("and was rolled back" if result.rollback_error is None
                  else f"and the rollback failed too: {result.rollback_error.message}")
        failure = DockerForgeError(f"fix {proposal.id} failed {undone}: {result.error.message}",
                                   hint=result.error.hint or "see `dockerforge fix show " + proposal.id + "`")
        failure.exit_code = result.error.exit_code
        raise failure
    if result.verification is not None and not result.verification.ok:
        print(f"fix {proposal.id} was applied but did not verify: {result.verification.summary}", file=ctx.stdout)
        print(f"hint: undo it with `dockerforge fix rollback {proposal.id}`", file=ctx.stderr)
        return int(ExitCode.FINDINGS)
    print(f"fix {proposal.id} {proposal.status}: {proposal.summary}", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_rollback(args: argparse.Namespace, ctx: CommandContext) -> int:
    proposal = _store(ctx).get(args.fix_id)
    if not args.yes and not confirm(f"Roll back fix {proposal.id} ({proposal.summary})?", ctx):
        raise UserAbortError(f"fix {proposal.id} was not rolled back", hint="run again with --yes to skip the question")
    with _fix_service(ctx) as service:
        proposal = service.rollback(
            proposal.id, on_progress=lambda text: print(f"  {text}", file=ctx.stderr, flush=True))
    print(f"fix {proposal.id} rolled back", file=ctx.stdout)
    return int(ExitCode.OK)


def _run_reject(args: argparse.Namespace, ctx: CommandContext) -> int:
    with _fix_service(ctx, engine=False) as service:  # rejecting touches no engine
        proposal = service.reject(args.fix_id)
    print(f"fix {proposal.id} rejected", file=ctx.stdout)
    return int(ExitCode.OK)


COMMAND = Command(
    name="fix",
    help="propose, apply (with rollback and verification) and roll back fixes for a container",
    configure=configure,
    run=run,
)
