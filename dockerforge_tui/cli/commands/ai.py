"""``dockerforge ai providers|key|ask|analyze``: the AI providers from the command line.

``providers`` lists every registered provider with its capabilities, model, base URL and
whether a key was found (Ollama: where discovery found one and which model it would use).
``key set PROVIDER`` reads a key from stdin and stores it in the OS keyring (or the
encrypted file); ``key test PROVIDER`` makes the smallest request the provider allows.
``ask "question" [--container C]`` and ``analyze CONTAINER`` build a redacted context
(services/ai/context.py), render a prompt template, show the estimated cost on stderr,
ask for confirmation above ``ai.confirm_above`` (``--yes`` skips), then stream the answer of
the fallback chain to stdout and say on stderr which provider answered.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dockerforge_tui.cli.commands.common import confirm, connect_engine, user_pattern_set
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, UsageError, UserAbortError

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import AISettings
    from dockerforge_tui.services.ai import AIProvider
    from dockerforge_tui.services.ai.assistant import Assistant, PreparedCall
    from dockerforge_tui.services.ai.keys import KeyStore

DEFAULT_TAIL = 500


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``providers``, ``key``, ``ask`` and ``analyze`` actions."""
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
    key_set = key_actions.add_parser("set", help="store a key read from stdin (it replaces the old one only "
                                                 "after it works, unless --no-test)")
    key_set.add_argument("provider", metavar="PROVIDER")
    key_set.add_argument("--no-test", action="store_true", help="store without a test request")
    key_test = key_actions.add_parser("test", help="make the smallest request with the key a provider uses")
    key_test.add_argument("provider", metavar="PROVIDER")

    ask = actions.add_parser("ask", help="ask a question, with a container's context if given",
                             description="Ask the AI a question; with --container, the container's state, "
                                         "findings and recent logs go along, secrets redacted.")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--container", metavar="NAME", help="attach this container's context")
    analyze = actions.add_parser("analyze", help="explain what is wrong with a container",
                                 description="Run the log patterns and analyzers on a container's recent logs and "
                                             "state, and ask the AI to explain them and propose fixes.")
    analyze.add_argument("container", metavar="CONTAINER")
    for action in (ask, analyze):
        action.add_argument("--provider", metavar="NAME", help="ask this provider only (default: ai.provider, "
                                                                "then ai.fallback)")
        action.add_argument("--yes", "-y", action="store_true",
                            help="send without asking even when the estimated cost is above ai.confirm_above")
        action.add_argument("--tail", type=int, default=DEFAULT_TAIL, metavar="N",
                            help=f"log lines of the container to read (default: {DEFAULT_TAIL})")
    for action in (providers, key_set, key_test, ask, analyze):
        action.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                            help="configuration file to use instead of the user's config.yaml")


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Dispatch to the chosen action."""
    if args.ai_action == "providers":
        return _run_providers(args, ctx)
    if args.ai_action == "key":
        return _run_key_set(args, ctx) if args.key_action == "set" else _run_key_test(args, ctx)
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


def _smallest_request(provider: "AIProvider") -> None:
    from dockerforge_tui.services.ai import CompletionRequest

    provider.complete(CompletionRequest.ask("Reply with OK.", max_tokens=1))


def _run_key_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.registry import build_provider

    name = _known_provider(args.provider, ctx.settings.ai, ctx.env)
    key = sys.stdin.readline().strip()
    if not key:
        raise UsageError(f"no key for {name} on stdin", hint=f"e.g. 'printf %s \"$KEY\" | dockerforge ai key set {name}'")
    if not args.no_test:
        provider = build_provider(name, ctx.settings.ai, None, ctx.env)
        provider = type(provider)(replace(provider.config, api_key=key))
        _smallest_request(provider)
    where = _key_store(ctx).set(name, key)
    tested = "" if args.no_test else " after a test request succeeded"
    print(f"{name}: key stored in the {where}{tested}", file=ctx.stdout)
    return 0


def _run_key_test(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.registry import build_provider

    name = _known_provider(args.provider, ctx.settings.ai, ctx.env)
    keys = _key_store(ctx)
    _, source = keys.source_of(name)
    provider = build_provider(name, ctx.settings.ai, keys, ctx.env)
    _smallest_request(provider)
    print(f"{name}: the key from {source or 'nowhere (none needed)'} works with {provider.model or 'the default model'}",
          file=ctx.stdout)
    return 0


# --- ask / analyze ---------------------------------------------------------------------------------------


def _assistant(ctx: CommandContext) -> "Assistant":
    """The shared pipeline (services/ai/assistant.py) with this command's paths, keys and engine."""
    from dockerforge_tui.services.ai.assistant import Assistant

    return Assistant.for_paths(ctx.settings, ctx.paths, connect=lambda: connect_engine(ctx), env=ctx.env,
                               patterns=lambda: user_pattern_set(ctx))


def _confirm_cost(args: argparse.Namespace, ctx: CommandContext, prepared: "PreparedCall") -> None:
    cost = prepared.estimated_cost
    shown = "unknown (no price for this model)" if cost is None else f"at most ${cost:.4f}"
    print(f"estimate: {prepared.input_tokens:,} input tokens + up to {prepared.request.max_tokens:,} output tokens to "
          f"{prepared.provider}/{prepared.model or 'default'}, {shown}", file=ctx.stderr)
    if prepared.budget_warning:
        print(f"budget: {prepared.budget_warning}", file=ctx.stderr)
    if prepared.budget is not None and prepared.budget.stop and len(prepared.chain) == 1:
        raise prepared.budget.error()  # before asking whether to send what would not be sent
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
    _confirm_cost(args, ctx, prepared)
    with assistant.stream(prepared) as stream:
        for note in stream.notes:
            print(f"budget: {note}", file=ctx.stderr)
        if stream.budget_warning and stream.answered_by != prepared.provider:
            print(f"budget: {stream.budget_warning}", file=ctx.stderr)
        for chunk in stream:
            ctx.stdout.write(chunk)
            ctx.stdout.flush()
        ctx.stdout.write("\n")
    completion = stream.completion
    cost = "" if completion is None or completion.cost_usd is None else f", ${completion.cost_usd:.4f}"
    usage = "" if completion is None else \
        f", {completion.usage.input_tokens:,} tokens in, {completion.usage.output_tokens:,} out{cost}"
    print(f"answered by {stream.answered_by} ({stream.model or 'default model'}){usage}; call {stream.call_id}",
          file=ctx.stderr)
    return 0


COMMAND = Command(
    name="ai",
    help="ask an AI provider about containers; list providers; store and test API keys",
    configure=configure,
    run=run,
)
