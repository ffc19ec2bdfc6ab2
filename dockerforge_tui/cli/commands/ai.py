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

from dockerforge_tui.cli.commands.common import confirm, connect_engine, redactor_for, user_pattern_set
from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import DockerForgeError, UsageError, UserAbortError

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import AISettings
    from dockerforge_tui.core.redaction import Redactor
    from dockerforge_tui.services.ai import AIProvider, CompletionRequest, FallbackChain
    from dockerforge_tui.services.ai.context import PromptContext
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


def _known_provider(name: str) -> str:
    from dockerforge_tui.services.ai.registry import load_provider_class

    load_provider_class(name)  # a one-line usage error for an unknown name
    return name


def _ollama_discovery(ctx: CommandContext, settings: "AISettings", containers: bool = True) -> Any:
    """Discovery of an Ollama: config, OLLAMA_HOST, localhost, then Ollama-like containers when the engine answers."""
    from dockerforge_tui.services.ai import ollama_discovery as discovery

    candidates = discovery.candidates_for(configured_url=settings.base_urls.get("ollama"), env=ctx.env)
    found = discovery.discover_ollama(candidates)
    if found.best is not None or not containers:
        return found
    try:
        with connect_engine(ctx) as connection:
            states = discovery.ollama_containers(connection)
            engine_host = discovery.engine_host_of(connection.endpoint.url)
    except DockerForgeError:
        return found
    more = discovery.candidates_for(env={}, containers=states, engine_host=engine_host)
    tried = {candidate.url for candidate, _ in found.failed}
    extra = discovery.discover_ollama([candidate for candidate in more if candidate.url not in tried])
    return discovery.OllamaDiscovery(extra.found, found.failed + extra.failed)


def _settings_with_ollama(ctx: CommandContext, settings: "AISettings", names: list[str]) -> "AISettings":
    """When Ollama is asked and nothing says where it is, the settings with the Ollama discovery found."""
    from dockerforge_tui.services.ai.ollama_discovery import choose_model

    if "ollama" not in names or settings.base_urls.get("ollama") or ctx.env.get("OLLAMA_HOST"):
        return settings
    found = _ollama_discovery(ctx, settings).best
    if found is None:
        return settings
    choice = choose_model(found.models, settings.models.get("ollama"))
    models = dict(settings.models)
    if choice.model is not None:
        models["ollama"] = choice.model
    print(f"ollama: found at {found.url} ({found.source}); {choice.message}", file=ctx.stderr)
    return settings.model_copy(update={"base_urls": {**settings.base_urls, "ollama": found.url}, "models": models})


# --- providers -------------------------------------------------------------------------------------------


def _run_providers(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai.ollama_discovery import choose_model
    from dockerforge_tui.services.ai.registry import list_providers, load_provider_class, provider_config

    settings = ctx.settings.ai
    keys = _key_store(ctx)
    chain = list(dict.fromkeys([settings.provider, *settings.fallback]))
    rows: list[dict[str, Any]] = []
    for name, info in list_providers().items():
        row: dict[str, Any] = {"name": name, "builtin": info.builtin, "target": info.target,
                               "in_chain": chain.index(name) + 1 if name in chain else None}
        try:
            klass = load_provider_class(name)
            provider = klass(provider_config(name, settings, None, ctx.env))
            capabilities = provider.capabilities()
        except DockerForgeError as error:
            row["error"] = error.message
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
    if args.format == "json":
        print(json.dumps({"providers": rows}, indent=2), file=ctx.stdout)
        return 0
    for row in rows:
        order = f"  (chain #{row['in_chain']})" if row["in_chain"] else ""
        print(f"{row['name']}{order}", file=ctx.stdout)
        if "error" in row:
            print(f"  error: {row['error']}", file=ctx.stdout)
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

    name = _known_provider(args.provider)
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

    name = _known_provider(args.provider)
    keys = _key_store(ctx)
    _, source = keys.source_of(name)
    provider = build_provider(name, ctx.settings.ai, keys, ctx.env)
    _smallest_request(provider)
    print(f"{name}: the key from {source or 'nowhere (none needed)'} works with {provider.model or 'the default model'}",
          file=ctx.stdout)
    return 0


# --- ask / analyze ---------------------------------------------------------------------------------------


def _container_facts(ctx: CommandContext, name: str, tail: int, redactor: "Redactor",
                     analyze: bool) -> tuple[Any, Any, list[str], list[Any]]:
    """(state, detail, log lines, observations) of one container; the redactor learns its secret env values."""
    from dockerforge_tui.services.ai.context import learn_env_secrets
    from dockerforge_tui.services.docker.container_actions import container_detail
    from dockerforge_tui.services.docker.container_scope import ContainerScope
    from dockerforge_tui.services.docker.log_reader import read_logs_of
    from dockerforge_tui.services.report import collect_analysis
    from dockerforge_tui.services.report.collect import PatternWarmUp

    warm_up = PatternWarmUp(lambda: user_pattern_set(ctx), cache_dir=ctx.paths.cache_dir) if analyze else None
    with connect_engine(ctx) as connection:
        detail = container_detail(connection, name)
        learn_env_secrets(redactor, detail.env)
        # The analysis reads the logs for the patterns; the context needs the lines themselves.
        collected = collect_analysis(connection, ContainerScope(names=(name,)), since=None, tail=tail,
                                     patterns=warm_up, events=analyze)
        state = collected.states[0]
        logs = read_logs_of(connection, [state.id], since=None, tail=tail)
    read = logs.get(state.id)
    lines = list(read.lines) if read is not None and read.lines else []
    observations = [item for item in collected.analysis.observations if item.container.id == state.id]
    return state, detail, lines, observations


def _confirm_cost(args: argparse.Namespace, ctx: CommandContext, provider: "AIProvider",
                  request: "CompletionRequest", tokens: int) -> None:
    estimate = provider.estimate_cost(request, input_tokens=tokens)
    limit = ctx.settings.ai.confirm_above
    cost = estimate.max_cost_usd
    shown = "unknown (no price for this model)" if cost is None else f"at most ${cost:.4f}"
    print(f"estimate: {tokens:,} input tokens + up to {request.max_tokens:,} output tokens to "
          f"{provider.name}/{provider.model or 'default'}, {shown}", file=ctx.stderr)
    over = (cost is None and not provider.capabilities().local) or (cost is not None and cost > limit)
    if not over or args.yes:
        return
    reason = "the cost is unknown" if cost is None else f"above ai.confirm_above (${limit:g})"
    if not sys.stdin.isatty():
        raise UsageError(f"the estimated cost is {reason}; not sent",
                         hint="pass --yes to send anyway, or raise ai.confirm_above")
    if not confirm(f"The estimated cost is {reason}. Send?", ctx):
        raise UserAbortError("not sent")


def _run_question(args: argparse.Namespace, ctx: CommandContext) -> int:
    from dockerforge_tui.services.ai import AINotConfiguredError, AIProviderError, FallbackChain
    from dockerforge_tui.services.ai.base import estimate_tokens
    from dockerforge_tui.services.ai.context import build_context, compose_service_definition, fit_to_budget
    from dockerforge_tui.services.ai.prompts import load_template
    from dockerforge_tui.services.ai.registry import build_provider
    from dockerforge_tui.services.ai.usage import UsageLog

    settings = ctx.settings.ai
    names = [_known_provider(args.provider)] if args.provider else \
        list(dict.fromkeys([settings.provider, *settings.fallback]))
    if args.tail <= 0:
        raise UsageError(f"--tail must be a positive number of lines, not {args.tail}")
    settings = _settings_with_ollama(ctx, settings, names)
    keys = _key_store(ctx)
    providers = [build_provider(name, settings, keys, ctx.env) for name in names if name != "none"]
    if not providers:  # only ``none``: its one clear error, before any engine work
        from dockerforge_tui.services.ai.providers.none import HINT, NOT_CONFIGURED

        raise AINotConfiguredError(NOT_CONFIGURED, HINT, provider="none")
    chain: "FallbackChain" = FallbackChain(providers, UsageLog.in_data_dir(ctx.paths.data_dir))
    first = providers[0]

    redactor = redactor_for(ctx.settings)
    analyze = args.ai_action == "analyze"
    container = args.container
    state = detail = None
    lines: list[str] = []
    observations: list[Any] = []
    if container:
        state, detail, lines, observations = _container_facts(ctx, container, args.tail, redactor, analyze)
    template = load_template("diagnose" if analyze else "ask")

    def make(context_budget: int) -> tuple["CompletionRequest", "PromptContext"]:
        context = build_context(redactor, state=state, observations=observations, log_lines=lines,
                                compose_service=compose_service_definition(state) if state is not None else None,
                                cpu_limit=getattr(detail, "cpu_limit", None), budget=context_budget)
        values = {"container": state.name if state is not None else container, "context": context.text} if analyze \
            else {"question": redactor.redact(args.question), "context": context.text}
        return template.request(max_tokens=settings.max_output_tokens, **values), context

    def count(request: "CompletionRequest") -> int:
        # A provider that cannot count (a rejected key, unreachable) is left to the chain: the
        # request is sized with the local estimate, and the chain moves on to the next provider.
        try:
            return first.count_tokens(request)
        except AIProviderError as error:
            print(f"note: {error.message}; using a local token estimate", file=ctx.stderr)
            return estimate_tokens(request.prompt_text())

    request, context, tokens = fit_to_budget(make, settings.input_token_budget, count)
    if container:
        print(f"context: {context.findings} finding(s), {context.log_groups} of {context.log_groups_total} "
              f"distinct log lines ({context.log_lines_total} read), template {template.label}", file=ctx.stderr)
    _confirm_cost(args, ctx, first, request, tokens)
    stream = chain.stream(request)
    for chunk in stream:
        ctx.stdout.write(chunk)
        ctx.stdout.flush()
    ctx.stdout.write("\n")
    completion = stream.completion
    cost = "" if completion is None or completion.cost_usd is None else f", ${completion.cost_usd:.4f}"
    usage = "" if completion is None else \
        f", {completion.usage.input_tokens:,} tokens in, {completion.usage.output_tokens:,} out{cost}"
    print(f"answered by {stream.provider_name} ({stream.model or 'default model'}){usage}", file=ctx.stderr)
    return 0


COMMAND = Command(
    name="ai",
    help="ask an AI provider about containers; list providers; store and test API keys",
    configure=configure,
    run=run,
)
