"""The ask/analyze pipeline that ``dockerforge ai ask|analyze`` and the dashboard's chat pane share.

One question goes through the same steps whatever asks it:

1. :meth:`Assistant.prepare` (blocking; run it on a worker thread): reads the container's
   state and its logs **once**, runs the log patterns and analyzers on those lines, builds
   the redacted context (:mod:`.context`; the container's secret env values are learnt by a
   redactor made for this request, so the same secret gets the same placeholder), picks
   the prompt template's version (``ai.templates``: one version or a weighted A/B split,
   drawn with the ``rng`` given), fits the request to ``ai.input_token_budget`` with the
   provider's token counter, and estimates the cost. It returns a frozen
   :class:`PreparedCall`: what would be sent, to whom, at what estimated cost, whether it
   needs confirmation (``ai.confirm_above``) and how it stands against the budget.
2. :meth:`Assistant.stream` sends it: providers whose budget (``ai.budgets``) the estimate
   would exceed are skipped and recorded as ``refused_budget``; when none is left,
   :class:`~.budget.AIBudgetExceededError` is raised before any network call. Otherwise the
   fallback chain opens a stream; the returned :class:`AssistantStream` yields text chunks
   and afterwards tells ``answered_by``, ``call_id``, ``usage`` and ``cost_usd``. Every
   request of the call is recorded in the usage ledger with its template version, tokens,
   cost, latency and outcome (``ok``, ``cancelled``, ``error:<kind>``, ``refused_budget``).
3. :meth:`Assistant.rate` (+1/-1) and :meth:`Assistant.record_fix_outcome` feed the
   per-template-version statistics (``dockerforge ai templates``).

Names follow the contract with the chat pane. Additions to it: :class:`PreparedCall` also
carries ``budget`` (the full :class:`~.budget.BudgetCheck`), ``confirmation_reason``,
``notes`` (things to tell the user, e.g. "using a local token estimate"), ``context`` and
``chain``; :class:`AssistantStream` carries ``notes`` (a provider skipped for its budget).
:meth:`Assistant.for_paths` builds an assistant with the key store, ledger, user template
folder and cache of an :class:`~dockerforge_tui.core.paths.AppPaths`.

No Textual, no argparse, no printing here: the CLI prints, the chat pane posts messages.
"""

from __future__ import annotations

import logging
import os
import random
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Mapping, Sequence

from dockerforge_tui.core.errors import DockerForgeError, UsageError

from .base import (
    AINotConfiguredError,
    AIProvider,
    AIProviderError,
    CancelToken,
    Completion,
    CompletionRequest,
    TextStream,
    Usage,
    estimate_tokens,
)
from .budget import BudgetCheck, check_budget
from .chain import FallbackChain
from .prompts import PromptTemplate, select_template, template_folders, user_template_folder
from .usage import (
    OUTCOME_CANCELLED,
    OUTCOME_REFUSED_BUDGET,
    Feedback,
    UsageLedger,
    UsageRecord,
    normalise_outcome,
)

if TYPE_CHECKING:
    from pathlib import Path

    from dockerforge_tui.core.config.models import AISettings, Settings
    from dockerforge_tui.core.paths import AppPaths
    from dockerforge_tui.core.redaction import Redactor
    from dockerforge_tui.services.docker.connection import EngineConnection
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.models import Observation
    from dockerforge_tui.services.logs import PatternSet

    from .context import PromptContext
    from .keys import KeyStore
    from .ollama_discovery import OllamaDiscovery

log = logging.getLogger(__name__)

DEFAULT_LOG_TAIL = 500
"""Log lines of the container read for the context."""
ANALYSIS_TEMPLATE = "diagnose"
"""The template of an analysis (no question, or a finding asked about)."""
QUESTION_TEMPLATE = "ask"
"""The template of a question."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ContainerFacts:
    """What was read about one container for a prompt (its logs read once)."""

    state: "ContainerState"
    cpu_limit: float | None
    log_lines: tuple[str, ...]
    observations: tuple["Observation", ...]
    problems: tuple[str, ...] = ()
    """What could not be read (the logs, the engine's events), as sentences."""


@dataclass(frozen=True)
class PreparedCall:
    """A request ready to send, and what the user should know before sending it."""

    request: CompletionRequest
    provider: str
    """The provider asked first."""
    model: str
    template_id: str
    template_version: int
    input_tokens: int
    """Input tokens as the first provider counts them (or the local estimate)."""
    estimated_cost: float | None
    """At most this many US dollars (input + the longest answer allowed); None when the model has no price."""
    needs_confirmation: bool
    """Above ``ai.confirm_above``, or a remote model without a price: ask before sending."""
    attached: tuple[str, ...]
    """Human labels of the context that went in (``container web``, ``3 findings``...)."""
    budget_warning: str | None = None
    """Set when this call takes the first provider past ``warn_at`` of a budget."""
    budget: BudgetCheck | None = None
    """The first provider's budget check; ``budget.stop`` set means :meth:`Assistant.stream` will refuse it
    (unless a fallback provider has budget left)."""
    confirmation_reason: str | None = None
    """Why confirmation is needed, as words for a dialog or a prompt."""
    notes: tuple[str, ...] = ()
    """Things to tell the user (the Ollama found, a token count that fell back to the local estimate)."""
    context: "PromptContext | None" = None
    container: str | None = None
    chain: tuple[str, ...] = ()
    """Provider names in the order they will be asked."""
    max_output_tokens: int = 0
    input_budget: int = 0
    providers: tuple[AIProvider, ...] = field(default=(), repr=False, compare=False)
    structured_output: bool = False
    """The answer was asked for as JSON (the template's ``output: json`` hint and a first provider that can):
    show it parsed (:func:`~dockerforge_tui.services.ai.answer.parse_answer`), not as it streams."""

    @property
    def template_label(self) -> str:
        """``id@vN``."""
        return f"{self.template_id}@v{self.template_version}"

    @property
    def local(self) -> bool:
        """The first provider runs locally (no cost, nothing leaves the network)."""
        return bool(self.providers) and self.providers[0].capabilities().local


class AssistantStream:
    """The answer of one call as an iterator of text chunks; see :meth:`Assistant.stream`.

    ``cancel()`` may be called from any thread (Esc in the chat pane); iteration then
    stops, the connection is closed and the call is recorded as ``cancelled``. After the
    last chunk, ``answered_by``, ``model``, ``usage``, ``cost_usd`` and ``completion`` describe
    the answer.
    """

    def __init__(self, call_id: str, prepared: PreparedCall, stream: TextStream | None,
                 notes: tuple[str, ...] = (), budget_warning: str | None = None) -> None:
        self.call_id = call_id
        """The id to pass to :meth:`Assistant.rate` and :meth:`Assistant.record_fix_outcome`."""
        self.prepared = prepared
        self.notes = notes
        """Providers skipped for their budget, as sentences."""
        self.budget_warning = budget_warning
        """The warning of the provider that was asked, if its budget is nearly used."""
        self._stream = stream

    @property
    def answered_by(self) -> str:
        """The provider of the fallback chain that answered."""
        return self._stream.provider_name if self._stream is not None else self.prepared.provider

    @property
    def model(self) -> str:
        return self._stream.model if self._stream is not None else self.prepared.model

    @property
    def completion(self) -> Completion | None:
        """The whole answer, once the stream ended or was cancelled."""
        return self._stream.completion if self._stream is not None else None

    @property
    def usage(self) -> Usage:
        """Tokens the answer used (zero until it ended)."""
        completion = self.completion
        return completion.usage if completion is not None else Usage()

    @property
    def cost_usd(self) -> float | None:
        completion = self.completion
        return completion.cost_usd if completion is not None else None

    @property
    def cancelled(self) -> bool:
        return self._stream is None or self._stream.cancelled

    def cancel(self) -> None:
        """Stop the stream; safe from any thread and more than once."""
        if self._stream is not None:
            self._stream.cancel()

    def close(self) -> None:
        """Cancel if still running and record the call."""
        if self._stream is not None:
            self._stream.close()

    def text(self) -> str:
        """Read the rest and return the whole answer."""
        return "".join(self)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._stream is None:
            raise StopIteration
        return next(self._stream)

    def __enter__(self) -> "AssistantStream":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _CallRecorder:
    """What the fallback chain records, written to the ledger with the call's id, template and estimates."""

    def __init__(self, ledger: UsageLedger | None, call_id: str, prepared: PreparedCall,
                 estimates: Mapping[str, float | None]) -> None:
        self.ledger = ledger
        self.call_id = call_id
        self.prepared = prepared
        self.estimates = dict(estimates)
        self.started = time.monotonic()

    def append(self, record: UsageRecord) -> None:
        """Record one request (the chain calls this after each attempt)."""
        if self.ledger is None:
            return
        outcome = normalise_outcome(record.outcome)
        # A stream's own clock starts when its first chunk is there; the user waited since the call began.
        latency = time.monotonic() - self.started if outcome in ("ok", OUTCOME_CANCELLED) else record.latency_s
        try:
            self.ledger.append(replace(
                record, outcome=outcome, latency_s=max(record.latency_s, latency), call_id=self.call_id,
                template_id=self.prepared.template_id, template_version=self.prepared.template_version,
                estimated_cost_usd=self.estimates.get(record.provider),
                max_output_tokens=self.prepared.request.max_tokens, input_budget=self.prepared.input_budget))
        except OSError as error:  # a full disk must not cost the user the answer already paid for
            log.warning("could not record an AI request in %s: %s", self.ledger.path, error)

    def refused(self, provider: AIProvider, outcome: str) -> None:
        """Record a request that was not sent (over budget, or cancelled before it left)."""
        self.append(UsageRecord(time.time(), provider.name, provider.model, 0, 0, None, 0.0, outcome))


# --------------------------------------------------------------------------- the assistant


class Assistant:
    """Prepare, send and record AI calls; see the module docstring.

    ``connect`` opens an engine connection (a context manager) when a container is asked
    about; ``keys`` gives API keys (None: only the environment's variables); ``ledger`` records usage
    and keeps budgets (None: nothing recorded, no budget kept); ``rng`` draws A/B template
    versions (pass a seeded one in tests). ``patterns`` loads the user's log patterns
    (None: the packaged ones); ``template_folders`` are searched for prompt templates, a
    user folder first; ``clock`` gives epoch seconds for the budget periods.
    """

    def __init__(self, settings: "Settings", *, connect: Callable[[], "ContextManager[EngineConnection]"] | None,
                 keys: "KeyStore | None" = None, ledger: UsageLedger | None = None,
                 env: Mapping[str, str] | None = None, rng: random.Random | None = None,
                 patterns: Callable[[], "PatternSet | None"] | None = None, cache_dir: "Path | None" = None,
                 template_folders: Sequence["Path"] | None = None, clock: Callable[[], float] = time.time,
                 discover_ollama: bool = True) -> None:
        self.settings = settings
        self.connect = connect
        self.keys: Any = keys if keys is not None else _EnvironmentKeys(env)
        self.ledger = ledger
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.rng = rng or random.Random()
        self.patterns = patterns
        self.cache_dir = cache_dir
        self.template_folders = tuple(template_folders) if template_folders is not None else template_folders_default()
        self.clock = clock
        self.discover_ollama = discover_ollama

    @classmethod
    def for_paths(cls, settings: "Settings", paths: "AppPaths", *,
                  connect: Callable[[], "ContextManager[EngineConnection]"] | None,
                  env: Mapping[str, str] | None = None, rng: random.Random | None = None,
                  patterns: Callable[[], "PatternSet | None"] | None = None) -> "Assistant":
        """An assistant with the key store, usage ledger, user template folder and cache of ``paths``."""
        from .keys import KeyStore

        return cls(settings, connect=connect, keys=KeyStore(paths.config_dir, env=env, key_file=settings.ai.key_file),
                   ledger=UsageLedger.in_data_dir(paths.data_dir), env=env, rng=rng, patterns=patterns,
                   cache_dir=paths.cache_dir, template_folders=template_folders(user_template_folder(paths.config_dir)))

    # ---------------------------------------------------------------- prepare

    def chain_names(self, provider: str | None = None) -> list[str]:
        """The providers to ask: ``provider`` alone, else ``ai.provider`` then ``ai.fallback``."""
        from .registry import load_provider_class

        if provider:
            load_provider_class(provider, self.settings.ai, self.env)  # a one-line usage error for an unknown name
            return [provider]
        return list(dict.fromkeys([self.settings.ai.provider, *self.settings.ai.fallback]))

    def providers(self, names: Sequence[str]) -> tuple[tuple[AIProvider, ...], tuple[str, ...]]:
        """The providers named (``none`` left out), Ollama found if need be; and notes for the user."""
        from .registry import build_provider

        settings, notes = self._settings_with_ollama(self.settings.ai, names)
        built = tuple(build_provider(name, settings, self.keys, self.env) for name in names if name != "none")
        if not built:  # only ``none``: its one clear error, before any engine work
            from .providers.none import HINT, NOT_CONFIGURED

            raise AINotConfiguredError(NOT_CONFIGURED, HINT, provider="none")
        return built, notes

    def prepare(self, question: str | None, *, container: str | None = None,
                observation: "Observation | None" = None, template: str | None = None,
                provider: str | None = None, log_tail: int = DEFAULT_LOG_TAIL) -> PreparedCall:
        """Build the request for ``question`` (None: analyze ``container`` or ``observation``); see the module docstring.

        Blocking (engine reads, a token count request): call it from a worker thread. Raises
        :class:`~dockerforge_tui.core.errors.UsageError` for bad input, the engine errors
        (an unknown container is exit code 4) and :class:`AINotConfiguredError`.
        """
        from .context import build_context, compose_service_definition, fit_to_budget

        ai = self.settings.ai
        if log_tail <= 0:
            raise UsageError(f"the log tail must be a positive number of lines, not {log_tail}")
        if question is None and not container and observation is None:
            raise UsageError("nothing to ask: give a question, a container or a finding")
        names = self.chain_names(provider)
        providers, notes = self.providers(names)
        first = providers[0]
        template_id = template or (ANALYSIS_TEMPLATE if question is None else QUESTION_TEMPLATE)
        chosen = select_template(template_id, ai.templates, self.rng, self.template_folders)
        if "question" in chosen.required and question is None:
            raise UsageError(f"prompt template {chosen.label} needs a question", hint="give one, or analyze instead")

        structured = chosen.output == "json" and first.capabilities().json_output
        redactor = self._redactor()
        name = container or (observation.container.name if observation is not None else None)
        facts = self.read_container(name, log_tail, redactor) if name else None
        observations = _with_observation(facts.observations if facts else (), observation)
        state = facts.state if facts else None
        compose = compose_service_definition(state) if state is not None else None
        notes += tuple(facts.problems) if facts else ()

        def make(context_budget: int) -> tuple[CompletionRequest, "PromptContext"]:
            context = build_context(redactor, state=state, observations=observations,
                                    log_lines=facts.log_lines if facts else (), compose_service=compose,
                                    cpu_limit=facts.cpu_limit if facts else None, budget=context_budget)
            values = {"container": state.name if state else (name or ""), "context": context.text}
            if question is not None:
                values["question"] = redactor.redact(question)
            if structured:
                values["json_output"] = "yes"
            request = chosen.request(max_tokens=ai.max_output_tokens,
                                     **{key: value for key, value in values.items() if key in chosen.variables})
            return (replace(request, json_output=True) if structured else request), context

        counted: list[str] = []

        def count(request: CompletionRequest) -> int:
            # A provider that cannot count (a rejected key, unreachable) is left to the chain: the
            # request is sized with the local estimate, and the chain moves on to the next provider.
            try:
                return first.count_tokens(request)
            except AIProviderError as error:
                if not counted:
                    counted.append(f"{error.message}; using a local token estimate")
                return estimate_tokens(request.prompt_text())

        request, context, tokens = fit_to_budget(make, ai.input_token_budget, count)
        notes += tuple(counted)
        cost = first.estimate_cost(request, input_tokens=tokens).max_cost_usd
        reason = None
        if cost is None and not first.capabilities().local:
            reason = "the cost is unknown"
        elif cost is not None and cost > ai.confirm_above:
            reason = f"above ai.confirm_above (${ai.confirm_above:g})"
        budget = check_budget(self.ledger, first.name, ai, cost, self.clock())
        return PreparedCall(
            request=request, provider=first.name, model=first.model, template_id=chosen.id,
            template_version=chosen.version, input_tokens=tokens, estimated_cost=cost,
            needs_confirmation=reason is not None, attached=_attached(state, observation, observations, context),
            budget_warning=budget.warning, budget=budget, confirmation_reason=reason, notes=notes,
            context=context if facts is not None or observation is not None else None,
            container=state.name if state is not None else name, chain=tuple(provider.name for provider in providers),
            max_output_tokens=request.max_tokens, input_budget=ai.input_token_budget, providers=providers,
            structured_output=structured)

    def read_container(self, name: str, log_tail: int, redactor: "Redactor") -> ContainerFacts:
        """One container's state, its last ``log_tail`` log lines (read once) and what the analyzers find in them.

        ``redactor`` learns the values of the container's secret-named environment variables.
        """
        from dockerforge_tui.services.docker.api_errors import engine_call
        from dockerforge_tui.services.docker.container_actions import container_detail
        from dockerforge_tui.services.docker.container_scope import ContainerScope, read_scope_states
        from dockerforge_tui.services.docker.events import read_events
        from dockerforge_tui.services.docker.log_reader import read_logs_of
        from dockerforge_tui.services.issues.analysis import analyze_containers
        from dockerforge_tui.services.report.collect import PatternWarmUp
        from dockerforge_tui.services.report.settings import report_settings

        from .context import learn_env_secrets

        if self.connect is None:
            raise UsageError(f"cannot read container {name}: no Docker engine connection here")
        warm_up = PatternWarmUp(self.patterns, cache_dir=self.cache_dir)  # compiles while the engine answers
        problems: list[str] = []
        now = datetime.now(timezone.utc)
        with self.connect() as connection:
            detail = container_detail(connection, name)
            learn_env_secrets(redactor, detail.env)
            state = read_scope_states(connection, ContainerScope(names=(name,)))[0]
            read = read_logs_of(connection, [state.id], tail=log_tail).get(state.id)
            events: tuple[Any, ...] = ()
            try:
                with engine_call("read", "the engine's events"):
                    events = read_events(connection.api, now - timedelta(seconds=report_settings().events_without_since),
                                         now, container_ids=[state.id])
            except DockerForgeError as error:
                problems.append(f"engine events not read: {error.message}")
        lines = tuple(read.lines) if read is not None and read.lines else ()
        if read is not None and read.error is not None:
            problems.append(f"logs of {state.name} not read: {read.error.message}")
        analysis = analyze_containers(
            [state], logs={state.id: list(lines)} if lines else {},
            timestamps={state.id: list(read.times)} if lines and read is not None else {},
            events=events, now=now, patterns=warm_up.result())
        observations = tuple(item for item in analysis.observations if item.container.id == state.id)
        return ContainerFacts(state=state, cpu_limit=getattr(detail, "cpu_limit", None), log_lines=lines,
                              observations=observations, problems=tuple(problems))

    # ---------------------------------------------------------------- send

    def stream(self, prepared: PreparedCall, cancel: CancelToken | None = None) -> AssistantStream:
        """Send ``prepared`` through the fallback chain and return its :class:`AssistantStream`.

        Providers the call would take over budget are skipped (recorded ``refused_budget``);
        when none is left, :class:`~.budget.AIBudgetExceededError` is raised before any
        network call. The request is sent before this returns, so an error the server
        answers at once (a rejected key) is raised here, as an :class:`AIProviderError`.
        ``cancel`` (e.g. Esc in the chat pane) stops the stream from any thread.
        """
        call_id = uuid.uuid4().hex[:16]
        recorder, allowed, refusals = self._budget_checks(prepared, call_id)
        if not allowed:
            raise refusals[0].error()
        notes = tuple(f"{check.stop}; asking the next provider" for check in refusals)
        if cancel is not None and cancel.cancelled:
            recorder.refused(allowed[0][0], OUTCOME_CANCELLED)
            return AssistantStream(call_id, prepared, None, notes)
        chain = FallbackChain([provider for provider, _ in allowed], recorder)  # type: ignore[arg-type]
        text = chain.stream(prepared.request)
        if cancel is not None:
            cancel.on_cancel(text.cancel)
        warning = next((check.warning for provider, check in allowed if provider.name == text.provider_name), None)
        return AssistantStream(call_id, prepared, text, notes, warning)

    def refuse_if_over_budget(self, prepared: PreparedCall) -> None:
        """Raise :class:`~.budget.AIBudgetExceededError` (and record the refusal) when no provider of the
        chain has budget left for ``prepared``; do nothing otherwise.

        For a caller that wants the stop before asking the user to confirm the cost;
        :meth:`stream` checks again (another call may have spent meanwhile).
        """
        recorder, allowed, refusals = self._budget_checks(prepared, uuid.uuid4().hex[:16], record=False)
        if allowed:
            return
        for provider in prepared.providers:
            recorder.refused(provider, OUTCOME_REFUSED_BUDGET)
        raise refusals[0].error()

    def _budget_checks(self, prepared: PreparedCall, call_id: str, record: bool = True,
                       ) -> tuple[_CallRecorder, list[tuple[AIProvider, BudgetCheck]], list[BudgetCheck]]:
        """The call's recorder, the providers with budget left (and their checks), and the refusals."""
        estimates = {provider.name: provider.estimate_cost(prepared.request, prepared.input_tokens).max_cost_usd
                     for provider in prepared.providers}
        recorder = _CallRecorder(self.ledger, call_id, prepared, estimates)
        allowed: list[tuple[AIProvider, BudgetCheck]] = []
        refusals: list[BudgetCheck] = []
        for provider in prepared.providers:
            check = check_budget(self.ledger, provider.name, self.settings.ai, estimates[provider.name], self.clock())
            if check.stop:
                if record:
                    recorder.refused(provider, OUTCOME_REFUSED_BUDGET)
                refusals.append(check)
            else:
                allowed.append((provider, check))
        return recorder, allowed, refusals

    # ---------------------------------------------------------------- feedback

    def rate(self, call_id: str, rating: int) -> Feedback:
        """Record a thumbs up (+1) or down (-1) for the answer of ``call_id``."""
        return self._require_ledger().rate(call_id, rating)

    def record_fix_outcome(self, call_id: str, accepted: bool) -> Feedback:
        """Record whether the fix proposed in the answer of ``call_id`` was accepted."""
        return self._require_ledger().record_fix_outcome(call_id, accepted)

    # ---------------------------------------------------------------- helpers

    def _require_ledger(self) -> UsageLedger:
        if self.ledger is None:
            raise UsageError("no AI usage ledger: this assistant records nothing")
        return self.ledger

    def _redactor(self) -> "Redactor":
        from dockerforge_tui.core.redaction import Redactor

        return Redactor(self.settings.redaction.values, self.settings.redaction.key_patterns)

    def _settings_with_ollama(self, settings: "AISettings", names: Sequence[str]) -> tuple["AISettings", tuple[str, ...]]:
        """When Ollama is asked and nothing says where it is, the settings with the Ollama discovery found."""
        from .ollama_discovery import choose_model

        if not self.discover_ollama or "ollama" not in names or settings.base_urls.get("ollama") \
                or self.env.get("OLLAMA_HOST"):
            return settings, ()
        found = find_ollama(settings, self.env, self.connect).best
        if found is None:
            return settings, ()
        choice = choose_model(found.models, settings.models.get("ollama"))
        models = dict(settings.models)
        if choice.model is not None:
            models["ollama"] = choice.model
        note = f"ollama: found at {found.url} ({found.source}); {choice.message}"
        return settings.model_copy(update={"base_urls": {**settings.base_urls, "ollama": found.url},
                                           "models": models}), (note,)


class _EnvironmentKeys:
    """The API keys of the environment only (an assistant given no key store)."""

    def __init__(self, env: Mapping[str, str] | None) -> None:
        self.env = dict(os.environ if env is None else env)

    def get(self, provider: str) -> str | None:
        from .keys import KEY_VARIABLES

        return next((self.env[name] for name in KEY_VARIABLES.get(provider, ()) if self.env.get(name)), None)


def template_folders_default() -> tuple["Path", ...]:
    """The packaged template folder only (an assistant without a user folder)."""
    return template_folders(None)


def find_ollama(settings: "AISettings", env: Mapping[str, str],
                connect: Callable[[], "ContextManager[EngineConnection]"] | None,
                containers: bool = True) -> "OllamaDiscovery":
    """An Ollama: the configured URL, OLLAMA_HOST, localhost, then Ollama-like containers when the engine answers."""
    from . import ollama_discovery as discovery

    candidates = discovery.candidates_for(configured_url=settings.base_urls.get("ollama"), env=env)
    found = discovery.discover_ollama(candidates)
    if found.best is not None or not containers or connect is None:
        return found
    try:
        with connect() as connection:
            states = discovery.ollama_containers(connection)
            engine_host = discovery.engine_host_of(connection.endpoint.url)
    except DockerForgeError:
        return found
    more = discovery.candidates_for(env={}, containers=states, engine_host=engine_host)
    tried = {candidate.url for candidate, _ in found.failed}
    extra = discovery.discover_ollama([candidate for candidate in more if candidate.url not in tried])
    return discovery.OllamaDiscovery(extra.found, found.failed + extra.failed)


def _with_observation(observations: Sequence["Observation"],
                      observation: "Observation | None") -> tuple["Observation", ...]:
    """The finding asked about first, then the others (without repeating it)."""
    if observation is None:
        return tuple(observations)
    key = (observation.pattern_id, observation.message)
    return (observation, *(item for item in observations if (item.pattern_id, item.message) != key))


def _attached(state: "ContainerState | None", observation: "Observation | None",
              observations: Sequence["Observation"], context: "PromptContext") -> tuple[str, ...]:
    labels = []
    if state is not None:
        labels.append(f"container {state.name}")
    if observation is not None:
        labels.append(f"finding {observation.category} ({observation.severity})")
    others = context.findings - (1 if observation is not None else 0)
    if others > 0:
        labels.append(f"{others} {'finding' if others == 1 else 'findings'}")
    if context.log_groups_total:
        labels.append(f"logs: {context.log_groups} of {context.log_groups_total} distinct lines "
                      f"({context.log_lines_total} read)")
    if context.compose and state is not None:
        labels.append(f"compose service {state.compose_service}")
    return tuple(labels)


__all__ = ["ANALYSIS_TEMPLATE", "Assistant", "AssistantStream", "ContainerFacts", "DEFAULT_LOG_TAIL",
           "PreparedCall", "PromptTemplate", "QUESTION_TEMPLATE", "find_ollama"]
