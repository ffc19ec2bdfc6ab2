"""``dockerforge ai providers|key|test|ask|analyze|usage|templates``: the AI providers from the command line.

``providers`` lists every registered provider with its capabilities, model, base URL and
whether a key was found (Ollama: where discovery found one and which model it would use).
``key set PROVIDER`` reads a key from stdin and stores it in the OS keyring (or the
encrypted file), replacing the stored one only after a test request with the new key
succeeded (``--no-verify`` skips the test); ``test PROVIDER`` (also ``key test``) makes the
smallest request the provider allows. ``ask "question" [--container C]`` and ``analyze
CONTAINER`` are thin callers of :class:`~dockerforge_tui.services.ai.assistant.Assistant`
(the pipeline the chat pane uses too): they print the context and the estimated cost on
stderr, ask for confirmation above ``ai.confirm_above`` (``--yes`` skips), stop before a call
that would exceed a budget (exit code 7), then stream the answer to stdout and say on stderr
which provider answered. ``usage`` reports the usage ledger, budgets and savings;
``templates`` the prompt template versions and how each did.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dockerforge_tui.cli.commands.common import TIME_HELP, confirm, connect_engine, parse_time, user_pattern_set
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, UsageError, UserAbortError

if TYPE_CHECKING:
    from datetime import datetime

    from dockerforge_tui.core.config.models import AISettings
    from dockerforge_tui.services.ai import AIProvider
    from dockerforge_tui.services.ai.assistant import Assistant, PreparedCall
    from dockerforge_tui.services.ai.keys import KeyStore

DEFAULT_TAIL = 500


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``providers``, ``key``, ``test``, ``ask``, ``analyze``, ``usage`` and ``templates`` actions."""
    actions = parser.add_subparsers(dest="ai_action", metavar="ACTION", required=True)
    providers = actions.add_parser("providers", help="list AI providers, their capabilities and keys",
                                   description="List the registered AI providers: capabilities, model, base URL, "
                                               "whether a key is found; for Ollama, where one was found.")
    providers.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    providers.add_argument("--no-discovery", action="store_true",
                           help="do not look for an Ollama (localhost, OLLAMA_HOST, containers)")

    key = actions.add_parser("key", help="store or test an API key",
                             description="Store an API key (read from stdin) in the OS keyring or the encrypted "
                                         "key file, or test the key a provider would use.")
    key_actions = key.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    key_set = key_actions.add_parser("set", help="store a key read from stdin; it replaces the stored one only "
                                                 "after a test request with it succeeds (unless --no-verify)")
    key_set.add_argument("provider", metavar="PROVIDER")
    key_set.add_argument("--no-verify", "--no-test", dest="no_verify", action="store_true",
                         help="store without a test request (an offline host); the old key is replaced at once")
    key_test = key_actions.add_parser("test", help="the same as 'dockerforge ai test PROVIDER'")
    key_test.add_argument("provider", metavar="PROVIDER")
    test = actions.add_parser("test", help="check a provider's key with the smallest request it allows",
                              description="Make the smallest request a provider allows (one output token) with "
                                          "the key it would use; exit code 7 when the key is rejected.")
    test.add_argument("provider", metavar="PROVIDER")

    usage = actions.add_parser("usage", help="AI requests, tokens and cost, budgets, and where to save",
                               description="Report the usage ledger: requests, tokens, cost and latency grouped by "
                                           "provider, model or prompt template version; each budget's spending; "
                                           "and suggestions where a cheaper model or a smaller context would do.")
    usage.add_argument("--by", choices=("provider", "model", "template"), default="provider",
                       help="group by (default: provider)")
    usage.add_argument("--since", metavar="WHEN", help=f"only requests from then on: {TIME_HELP}")
    templates = actions.add_parser("templates", help="prompt templates, their versions and how each did",
                                   description="List the prompt templates and versions (packaged and the user "
                                               "folder), which one ai.templates picks or how it splits, and per "
                                               "version: calls, tokens, latency, ratings and accepted fixes.")
    templates.add_argument("--since", metavar="WHEN", help=f"statistics from then on: {TIME_HELP}")
    for action in (usage, templates):
        action.add_argument("--format", choices=("text", "json"), default="text",
                            help="output format (default: text)")

    ask = actions.add_parser("ask", help="ask a question, with a container's context if given",
                             description="Ask the AI a question; with --container, the container's state, "
                                         "findings and recent logs go along, secrets redacted.")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--container", metavar="NAME", help="attach this container's context")
    analyze = actions.add_parser("analyze", help="explain what is wrong with a container",
                                 description="Run the log patterns and analyzers on a container's recent logs and "
                                             "state, and ask the AI to explain them and propose fixes.")
    analyze.add_argument("container", metavar="CONTAINER")
    analyze.add_argument("--format", choices=("text", "json"), default="text",
                         help="text (default; streamed, or shown in its parts when the answer came as JSON) or "
                              "json: summary, root_cause, evidence, fixes and who answered, as one object")
    for action in (ask, analyze):
        action.add_argument("--provider", metavar="NAME", help="ask this provider only (default: ai.provider, "
                                                                "then ai.fallback)")
        action.add_argument("--yes", "-y", action="store_true",
                            help="send without asking even when the estimated cost is above ai.confirm_above")
        action.add_argument("--tail", type=int, default=DEFAULT_TAIL, metavar="N",
                            help=f"log lines of the container to read (default: {DEFAULT_TAIL})")
    for action in (providers, key_set, key_test, test, usage, templates, ask, analyze):
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    if args.ai_action == "providers":
        return _run_providers(args, ctx)
    if args.ai_action == "key":
        return _run_key_set(args, ctx) if args.key_action == "set" else _run_key_test(args, ctx)
    if args.ai_action == "test":
        return _run_key_test(args, ctx)
    if args.ai_action == "usage":
        return _run_usage(args, ctx)
    if args.ai_action == "templates":
        return _run_templates(args, ctx)
    return _run_question(args, ctx)


# --- helpers ---------------------------------------------------------------------------------------------


def _key_store(ctx: CommandContext) -> "KeyStore":
    from dockerforge_tui.services.ai.keys import KeyStore

    return KeyStore(ctx.paths.config_dir, env=ctx.env, key_file=ctx.settings.ai.key_file)


def _known_provider(name: str, settings: "AISettings | None" = None, env: Any = None) -> str:
    from dockerforge_tui.services.ai.registry import load_provider_class

    load_provider_class(name, settings, env)  # a one-line usage error for an unknown name
    return name


def _ollama_discovery(ctx: CommandContext, settings: "AISettings", containers: bool = True) -> Any:
    """Discovery of an Ollama: config, OLLAMA_HOST, localhost, then Ollama-like containers when the engine answers."""
    from dockerforge_tui.services.ai.assistant import find_ollama

    return find_ollama(settings, ctx.env, lambda: connect_engine(ctx), containers=containers)


# --- providers -------------------------------------------------------------------------------------------


def _run_providers(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.ollama_discovery import choose_model
    from dockerforge_tui.services.ai.registry import (list_providers, load_provider_class, provider_config,
                                                      refused_plugins)

    settings = ctx.settings.ai
    keys = _key_store(ctx)
    chain = list(dict.fromkeys([settings.provider, *settings.fallback]))
    rows: list[dict[str, Any]] = []
    for name, info in list_providers(settings, ctx.env).items():
        row: dict[str, Any] = {"name": name, "builtin": info.builtin, "target": info.target,
                               "in_chain": chain.index(name) + 1 if name in chain else None}
        try:
            klass = load_provider_class(name, settings, ctx.env)
            provider = klass(provider_config(name, settings, None, ctx.env))
            capabilities = provider.capabilities()
        except DockerForgeError as error:
            row.update(status="refused" if info.manifest is not None else "error", error=error.message)
            rows.append(row)
            continue
        _, source = keys.source_of(name)
        needs_key = name in ("claude", "gemini") or not capabilities.local
        row.update(model=provider.model or None, base_url=provider.config.base_url,
                   capabilities={"streaming": capabilities.streaming, "token_counting": capabilities.token_counting,
                                 "max_context_tokens": capabilities.max_context_tokens,
                                 "json_output": capabilities.json_output, "local": capabilities.local},
                   key=source if source else ("missing" if needs_key and name != "none" else "not needed"))
        if name == "ollama" and not args.no_discovery:
            found = _ollama_discovery(ctx, settings)
            best = found.best
            if best is None:
                row["discovery"] = {"found": None, "tried": [candidate.url for candidate, _ in found.failed]}
            else:
                choice = choose_model(best.models, settings.models.get("ollama"))
                row["discovery"] = {"found": best.url, "source": best.source, "models": list(best.models),
                                    "model": choice.model, "pull": choice.pull, "message": choice.message}
        rows.append(row)
    rows += [{"name": item.label, "builtin": False, "target": item.source, "in_chain": None, "status": "refused",
              "error": item.reason} for item in refused_plugins(settings, ctx.env)]
    if args.format == "json":
        print(json.dumps({"providers": rows}, indent=2), file=ctx.stdout)
        return 0
    for row in rows:
        order = f"  (chain #{row['in_chain']})" if row["in_chain"] else ""
        print(f"{row['name']}{order}", file=ctx.stdout)
        if "error" in row:
            print(f"  {row['status']}: {row['error']}", file=ctx.stdout)
            continue
        caps = row["capabilities"]
        flags = [flag for flag in ("streaming", "token_counting", "json_output", "local") if caps[flag]]
        print(f"  model: {row['model'] or '-'}   base URL: {row['base_url'] or 'default'}   key: {row['key']}",
              file=ctx.stdout)
        print(f"  capabilities: {', '.join(flags) or '-'}; context {caps['max_context_tokens']:,} tokens",
              file=ctx.stdout)
        discovery = row.get("discovery")
        if discovery is not None:
            if discovery["found"]:
                print(f"  found: {discovery['found']} ({discovery['source']}); models: "
                      f"{', '.join(discovery['models']) or 'none'}; {discovery['message']}", file=ctx.stdout)
            else:
                print(f"  found: no Ollama answered (tried {', '.join(discovery['tried'])})", file=ctx.stdout)
    return 0


# --- keys ------------------------------------------------------------------------------------------------


def _smallest_request(provider: "AIProvider", ctx: CommandContext) -> None:
    """One request for one output token; it is recorded in the usage ledger (it costs a little)."""
    import time

    from dockerforge_tui.services.ai import AIProviderError, CompletionRequest
    from dockerforge_tui.services.ai.usage import UsageLedger, UsageRecord, outcome_of_error

    ledger = UsageLedger.in_data_dir(ctx.paths.data_dir)

    def record(row: UsageRecord) -> None:
        try:
            ledger.append(row)
        except OSError as error:  # the test's result matters more than its record
            print(f"note: could not record the request in {ledger.path}: {error.strerror or error}", file=ctx.stderr)

    started = time.monotonic()
    try:
        completion = provider.complete(CompletionRequest.ask("Reply with OK.", max_tokens=1))
    except AIProviderError as error:
        record(UsageRecord(time.time(), provider.name, provider.model, 0, 0, None, time.monotonic() - started,
                           outcome_of_error(error), max_output_tokens=1))
        raise
    record(UsageRecord(time.time(), completion.provider, completion.model, completion.usage.input_tokens,
                       completion.usage.output_tokens, completion.cost_usd, completion.latency_s, "ok",
                       max_output_tokens=1))


def _run_key_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.registry import build_provider

    name = _known_provider(args.provider, ctx.settings.ai, ctx.env)
    key = sys.stdin.readline().strip()
    if not key:
        raise UsageError(f"no key for {name} on stdin", hint=f"e.g. 'printf %s \"$KEY\" | dockerforge ai key set {name}'")
    keys = _key_store(ctx)
    _, old_source = keys.source_of(name)
    if not args.no_verify:  # the stored key stays until the new one has answered
        provider = build_provider(name, ctx.settings.ai, None, ctx.env)
        provider = type(provider)(replace(provider.config, api_key=key))
        _smallest_request(provider, ctx)
    where = keys.set(name, key)
    if args.no_verify:
        print(f"{name}: key stored in the {where} without a test request (--no-verify)", file=ctx.stdout)
    elif old_source in ("keyring", "encrypted file"):
        print(f"{name}: the new key passed a test request and replaced the one in the {where}", file=ctx.stdout)
    else:
        print(f"{name}: key stored in the {where} after a test request succeeded", file=ctx.stdout)
    if old_source and old_source.startswith("env "):
        print(f"note: {old_source[4:]} is set and is used before the stored key", file=ctx.stderr)
    return 0


def _run_key_test(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.registry import build_provider

    name = _known_provider(args.provider, ctx.settings.ai, ctx.env)
    keys = _key_store(ctx)
    _, source = keys.source_of(name)
    provider = build_provider(name, ctx.settings.ai, keys, ctx.env)
    _smallest_request(provider, ctx)
    print(f"{name}: the key from {source or 'nowhere (none needed)'} works with {provider.model or 'the default model'}",
          file=ctx.stdout)
    return 0


# --- ask / analyze ---------------------------------------------------------------------------------------


def _assistant(ctx: CommandContext) -> "Assistant":
    """The shared pipeline (services/ai/assistant.py) with this command's paths, keys and engine."""
    from dockerforge_tui.services.ai.assistant import Assistant

    return Assistant.for_paths(ctx.settings, ctx.paths, connect=lambda: connect_engine(ctx), env=ctx.env,
                               patterns=lambda: user_pattern_set(ctx))


def _confirm_cost(args: argparse.Namespace, ctx: CommandContext, assistant: "Assistant",
                  prepared: "PreparedCall") -> None:
    cost = prepared.estimated_cost
    shown = "unknown (no price for this model)" if cost is None else f"at most ${cost:.4f}"
    print(f"estimate: {prepared.input_tokens:,} input tokens + up to {prepared.request.max_tokens:,} output tokens to "
          f"{prepared.provider}/{prepared.model or 'default'}, {shown}", file=ctx.stderr)
    if prepared.budget_warning:
        print(f"budget: {prepared.budget_warning}", file=ctx.stderr)
    assistant.refuse_if_over_budget(prepared)  # before asking whether to send what would not be sent
    if not prepared.needs_confirmation or args.yes:
        return
    reason = prepared.confirmation_reason
    if not sys.stdin.isatty():
        raise UsageError(f"the estimated cost is {reason}; not sent",
                         hint="pass --yes to send anyway, or raise ai.confirm_above")
    if not confirm(f"The estimated cost is {reason}. Send?", ctx):
        raise UserAbortError("not sent")


def _run_question(args: argparse.Namespace, ctx: CommandContext) -> int:
    analyze = args.ai_action == "analyze"
    if args.tail <= 0:
        raise UsageError(f"--tail must be a positive number of lines, not {args.tail}")
    assistant = _assistant(ctx)
    prepared = assistant.prepare(None if analyze else args.question, container=args.container,
                                 provider=args.provider, log_tail=args.tail)
    for note in prepared.notes:
        print(note if note.startswith("ollama:") else f"note: {note}", file=ctx.stderr)
    context = prepared.context
    if context is not None and prepared.container:
        print(f"context: {context.findings} finding(s), {context.log_groups} of {context.log_groups_total} "
              f"distinct log lines ({context.log_lines_total} read), template {prepared.template_label}",
              file=ctx.stderr)
    _confirm_cost(args, ctx, assistant, prepared)
    as_json = getattr(args, "format", "text") == "json"
    # A JSON answer (or one a script wants as JSON) is kept whole and shown in its parts;
    # anything else streams as it comes.
    collect = as_json or prepared.structured_output
    chunks: list[str] = []
    with assistant.stream(prepared) as stream:
        for note in stream.notes:
            print(f"budget: {note}", file=ctx.stderr)
        if stream.budget_warning and stream.answered_by != prepared.provider:
            print(f"budget: {stream.budget_warning}", file=ctx.stderr)
        for chunk in stream:
            if collect:
                chunks.append(chunk)
            else:
                ctx.stdout.write(chunk)
                ctx.stdout.flush()
        if not collect:
            ctx.stdout.write("\n")
    if collect:
        _print_answer(ctx, "".join(chunks), stream, as_json)
    completion = stream.completion
    cost = "" if completion is None or completion.cost_usd is None else f", ${completion.cost_usd:.4f}"
    usage = "" if completion is None else \
        f", {completion.usage.input_tokens:,} tokens in, {completion.usage.output_tokens:,} out{cost}"
    print(f"answered by {stream.answered_by} ({stream.model or 'default model'}){usage}; call {stream.call_id}",
          file=ctx.stderr)
    return 0


def _print_answer(ctx: CommandContext, text: str, stream: Any, as_json: bool) -> None:
    from dataclasses import asdict

    from dockerforge_tui.services.ai.answer import answer_text, parse_answer

    answer = parse_answer(text)
    if as_json:
        print(json.dumps({**asdict(answer), "evidence": list(answer.evidence), "fixes": list(answer.fixes),
                          "answered_by": stream.answered_by, "model": stream.model, "call_id": stream.call_id},
                         indent=2), file=ctx.stdout)
    else:
        print(answer_text(answer), file=ctx.stdout)


# --- usage / templates -----------------------------------------------------------------------------------


def _since(args: argparse.Namespace) -> "datetime | None":
    from datetime import datetime, timezone

    return parse_time(args.since, datetime.now(timezone.utc), "--since") if args.since else None


def _run_usage(args: argparse.Namespace, ctx: CommandContext) -> int:
    import time
    from dataclasses import asdict

    from dockerforge_tui.services.ai.budget import budget_status
    from dockerforge_tui.services.ai.pricing import PriceTable
    from dockerforge_tui.services.ai.savings import suggest
    from dockerforge_tui.services.ai.usage import UsageLedger, summarize

    since = _since(args)
    ledger = UsageLedger.in_data_dir(ctx.paths.data_dir)
    records = ledger.records(None if since is None else since.timestamp())
    rows = summarize(records, args.by)
    budgets = budget_status(ledger, ctx.settings.ai, time.time())
    suggestions = suggest(records, PriceTable.from_config(ctx.settings.ai.prices))
    total_cost = round(sum(row.cost_usd for row in rows), 6)
    if args.format == "json":
        print(json.dumps({
            "since": since.isoformat() if since else None, "by": args.by, "rows": [asdict(row) for row in rows],
            "total": {"requests": sum(row.requests for row in rows), "cost_usd": total_cost,
                      "input_tokens": sum(row.input_tokens for row in rows),
                      "output_tokens": sum(row.output_tokens for row in rows)},
            "budgets": [{"provider": check.provider, "daily": check.daily, "monthly": check.monthly,
                         "spent_today": round(check.spent_today, 6), "spent_month": round(check.spent_month, 6),
                         "warn_at": check.warn_at, "warning": check.warning, "stop": check.stop}
                        for check in budgets],
            "suggestions": [asdict(item) for item in suggestions]}, indent=2), file=ctx.stdout)
        return 0
    period = f"since {since.isoformat(timespec='minutes')}" if since else "everything recorded"
    if not rows:
        print(f"no AI requests recorded{' ' + period if since else ''} in {ledger.path}", file=ctx.stdout)
    else:
        header = (args.by, "requests", "ok", "errors", "cancelled", "refused", "tokens in", "tokens out", "cost",
                  "latency")
        table = [header] + [
            (row.key, str(row.requests), str(row.ok), str(row.errors), str(row.cancelled), str(row.refused_budget),
             f"{row.input_tokens:,}", f"{row.output_tokens:,}",
             f"${row.cost_usd:.4f}" + ("*" if row.unpriced else ""),
             f"{row.mean_latency_s:.2f}s" if row.ok + row.cancelled else "-") for row in rows]
        widths = [max(len(line[column]) for line in table) for column in range(len(header))]
        for line in table:
            print("  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                            for column, (cell, width) in enumerate(zip(line, widths))).rstrip(), file=ctx.stdout)
        print(f"total: ${total_cost:.4f} ({period})", file=ctx.stdout)
        if any(row.unpriced for row in rows):
            print("* some answers came from a model without a price (ai.prices); their cost is not counted",
                  file=ctx.stdout)
    for check in budgets:
        limits = [f"{label} ${spent:.4f} of ${limit:.2f}" for label, spent, limit in
                  (("today", check.spent_today, check.daily), ("this month", check.spent_month, check.monthly))
                  if limit is not None]
        print(f"budget {check.provider}: {', '.join(limits)} (UTC)", file=ctx.stdout)
    for item in suggestions:
        print(f"suggestion: {item.message}", file=ctx.stdout)
    return 0


def _run_templates(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.prompts import default_version, list_templates, template_folders, \
        user_template_folder
    from dockerforge_tui.services.ai.usage import UsageLedger, template_stats

    user_folder = user_template_folder(ctx.paths.config_dir)
    templates = list_templates(template_folders(user_folder))
    stats = {(item.template_id, item.version): item
             for item in template_stats(UsageLedger.in_data_dir(ctx.paths.data_dir), _since(args))}
    choices = ctx.settings.ai.templates
    rows: list[dict[str, Any]] = []
    for template_id, versions in sorted(templates.items()):
        choice = choices.get(template_id)
        weights = {str(key): float(value) for key, value in choice.items()} if isinstance(choice, dict) else None
        for number, template in sorted(versions.items()):
            if weights is not None:
                share = weights.get(str(number), 0.0) / (sum(weights.values()) or 1.0)
                selection = f"A/B {share:.0%}" if share else "not used"
            elif choice is not None:
                selection = "chosen" if str(choice).lstrip("vV") == str(number) else "not used"
            else:
                selection = "default" if default_version(versions) is template else "not used"
            found = stats.get((template_id, number))
            rows.append({
                "id": template_id, "version": number, "label": template.label, "description": template.description,
                "experimental": template.experimental, "selection": selection,
                "source": "user" if template.path.parent == user_folder else "packaged", "path": str(template.path),
                "calls": found.calls if found else 0, "answered": found.answered if found else 0,
                "input_tokens": found.input_tokens if found else 0, "output_tokens": found.output_tokens if found else 0,
                "cost_usd": found.cost_usd if found else 0.0, "mean_latency_s": found.mean_latency_s if found else 0.0,
                "thumbs_up": found.thumbs_up if found else 0, "thumbs_down": found.thumbs_down if found else 0,
                "fixes_offered": found.fixes_offered if found else 0,
                "fixes_accepted": found.fixes_accepted if found else 0,
                "fix_accepted_rate": found.fix_accepted_rate if found else None})
    if args.format == "json":
        print(json.dumps({"user_folder": str(user_folder), "templates": rows}, indent=2), file=ctx.stdout)
        return 0
    for row in rows:
        flags = ", ".join(flag for flag in (row["selection"], row["source"],
                                            "experimental" if row["experimental"] else "") if flag)
        print(f"{row['label']}  ({flags})  {row['description']}", file=ctx.stdout)
        if row["calls"]:
            rate = "-" if row["fix_accepted_rate"] is None else f"{row['fix_accepted_rate']:.0%}"
            print(f"  {row['calls']} calls ({row['answered']} answered), {row['input_tokens']:,} tokens in, "
                  f"{row['output_tokens']:,} out, ${row['cost_usd']:.4f}, {row['mean_latency_s']:.2f}s mean; "
                  f"rated +{row['thumbs_up']}/-{row['thumbs_down']}; fixes accepted {row['fixes_accepted']} of "
                  f"{row['fixes_offered']} ({rate})", file=ctx.stdout)
        else:
            print("  no calls yet", file=ctx.stdout)
    print(f"user templates: {user_folder}", file=ctx.stdout)
    return 0


COMMAND = Command(
    name="ai",
    help="ask an AI provider about containers; providers, keys, usage, budgets and prompt templates",
    configure=configure,
    run=run,
)
