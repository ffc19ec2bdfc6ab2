"""The compact, redacted context a prompt carries about a container and what was found in it.

:func:`build_context` turns the facts DockerForge has (the findings of the pattern engine and
the analyzers, the container's state, its recent log lines, its compose service definition)
into one text of at most ``budget`` tokens:

- **Findings** first: severity, category, pattern, message, explanation, a little evidence.
- **Container**: status, exit code, OOM kill, restart count and policy, health and the last
  probe's output, memory limit, compose project and service, the engine's error.
- **Recent logs**, deduplicated by template (numbers, hex ids, UUIDs, addresses and times
  folded), most recent first, each with how often it occurred.
- **Compose service** definition, when the compose file can be read here.

Every text passes through the :class:`~dockerforge_tui.core.redaction.Redactor` before it is
put in the context, and the compose definition through ``redact_mapping`` (so ``environment``
values under secret names become placeholders). The same redactor serves a whole request, so
the same secret gets the same placeholder everywhere in it.

When the text is too long, the oldest log groups go first, then the compose definition,
then all findings but the most severe, then the text is cut. :func:`fit_to_budget` checks the
whole request with the provider's own counter and trims again if the local estimate was low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import yaml

from .base import CompletionRequest, estimate_tokens

if TYPE_CHECKING:
    from dockerforge_tui.core.redaction import Redactor
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.models import Observation

SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3}
MAX_LINE_CHARS = 400
MAX_EVIDENCE = 3
TRUNCATED = "\n[... context cut to fit the token budget]"

_TEMPLATE_RULES = (
    (re.compile(r"^\S*\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\S*\s*"), ""),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b(?:0x)?[0-9a-f]{8,}\b", re.I), "<hex>"),
    (re.compile(r"\d\d:\d\d:\d\d(?:[.,]\d+)?"), "<time>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def line_template(line: str) -> str:
    """``line`` with its time stamp dropped and variable parts folded, as the key for deduplication."""
    text = line.strip()
    for regex, replacement in _TEMPLATE_RULES:
        text = regex.sub(replacement, text)
    return text


@dataclass(frozen=True)
class LogGroup:
    """Log lines sharing one template: the most recent one, and how many there were."""

    template: str
    latest: str
    count: int


def group_log_lines(lines: Sequence[str]) -> list[LogGroup]:
    """Deduplicate ``lines`` (oldest first, as read) by template; the group seen most recently comes first."""
    groups: dict[str, list[Any]] = {}
    for position, line in enumerate(lines):
        if not line.strip():
            continue
        key = line_template(line)
        entry = groups.get(key)
        if entry is None:
            groups[key] = [line, 1, position]
        else:
            entry[0], entry[2] = line, position
            entry[1] += 1
    ordered = sorted(groups.items(), key=lambda item: item[1][2], reverse=True)
    return [LogGroup(key, value[0], value[1]) for key, value in ordered]


@dataclass(frozen=True)
class PromptContext:
    """The context text and what went into it."""

    text: str
    tokens: int
    """Tokens of ``text`` by the counter it was built with."""
    findings: int
    findings_total: int
    log_groups: int
    log_groups_total: int
    log_lines_total: int
    compose: bool
    truncated: bool
    """The text was cut after dropping everything droppable."""


def _cut(text: str, limit: int = MAX_LINE_CHARS) -> str:
    text = text.rstrip("\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(value: int | None) -> str:
    if value is None:
        return "no limit"
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= factor:
            return f"{value / factor:.0f} {unit}" if value % factor == 0 else f"{value / factor:.1f} {unit}"
    return f"{value} B"


def finding_lines(observation: "Observation", redactor: "Redactor") -> list[str]:
    """One finding as context lines, redacted."""
    redact = redactor.redact
    when = f" at {observation.timestamp.isoformat(timespec='seconds')}" if observation.timestamp else ""
    lines = [f"- [{observation.severity}] {observation.category} ({observation.pattern_id}){when}: "
             f"{_cut(redact(observation.message))}"]
    if observation.explanation:
        lines.append(f"  explanation: {_cut(redact(observation.explanation))}")
    details = ", ".join(f"{key}={value}" for key, value in observation.details)
    if details:
        lines.append(f"  details: {_cut(redact(details))}")
    for evidence in observation.evidence[:MAX_EVIDENCE]:
        lines.append(f"  evidence ({evidence.source}): {_cut(redact(evidence.text))}")
    return lines


def state_lines(state: "ContainerState", redactor: "Redactor") -> list[str]:
    """The container's state as context lines, redacted (the engine's error and probe output may hold secrets)."""
    redact = redactor.redact
    lines = [f"name: {state.name} (id {state.short_id}, image {redact(state.image)})",
             f"status: {state.status}" + (f", exit code {state.exit_code}" if state.exit_code is not None else "")
             + (", OOM-killed" if state.oom_killed else ""),
             f"restarts: {state.restart_count} (restart policy {state.restart_policy}"
             + (f", max {state.restart_max_retries}" if state.restart_max_retries else "") + ")",
             f"memory limit: {_size(state.memory_limit)}"]
    if state.health is not None:
        health = f"health: {state.health.status} (failing streak {state.health.failing_streak})"
        if state.health.last_output:
            health += f"; last probe output: {_cut(redact(state.health.last_output))}"
        lines.append(health)
    elif state.healthcheck is not None and not state.healthcheck.disabled:
        lines.append("health: not checked yet")
    for label, moment in (("started", state.started_at), ("finished", state.finished_at)):
        if moment is not None and moment.year > 1:
            lines.append(f"{label}: {moment.isoformat(timespec='seconds')}")
    if state.compose_service:
        depends = f", depends on {', '.join(state.depends_on)}" if state.depends_on else ""
        lines.append(f"compose: project {state.compose_project or '-'}, service {state.compose_service}{depends}")
    if state.ports:
        lines.append("ports: " + ", ".join(
            f"{port.private_port}/{port.protocol}" + (f"->{port.public_port}" if port.public_port else "")
            for port in state.ports))
    if state.error:
        lines.append(f"engine error: {_cut(redact(state.error))}")
    return lines


def learn_env_secrets(redactor: "Redactor", env: Sequence[tuple[str, str]] | Mapping[str, str]) -> None:
    """Show ``redactor`` the values of a container's secret-named variables (``DB_PASSWORD=...``).

    Nothing of the environment goes into the context; but an application that prints such a
    value on its own (``connecting with s3cr3t-Value``) would slip past every text rule, so the
    redactor learns those values and replaces them wherever they appear in this request.
    """
    redactor.redact_env(dict(env))


def compose_service_definition(state: "ContainerState") -> dict[str, Any] | None:
    """The container's service from its compose file(s), when they can be read on this machine; else None.

    Later files override earlier ones key by key (a shallow merge, enough for context).
    """
    if not state.compose_service:
        return None
    files = state.label("com.docker.compose.project.config_files")
    working_dir = state.label("com.docker.compose.project.working_dir") or ""
    if not files:
        return None
    merged: dict[str, Any] = {}
    for name in files.split(","):
        path = Path(name.strip())
        if not path.is_absolute() and working_dir:
            path = Path(working_dir) / path
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        service = ((document or {}).get("services") or {}).get(state.compose_service) \
            if isinstance(document, dict) else None
        if isinstance(service, dict):
            merged.update(service)
    return merged or None


def build_context(redactor: "Redactor", *, state: "ContainerState | None" = None,
                  observations: Sequence["Observation"] = (), log_lines: Sequence[str] = (),
                  compose_service: Mapping[str, Any] | None = None, cpu_limit: float | None = None,
                  budget: int = 8_000, count: Callable[[str], int] = estimate_tokens) -> PromptContext:
    """The context text for ``budget`` tokens (by ``count``); see the module docstring for what is dropped first.

    ``cpu_limit`` is the container's CPU limit in CPUs (from the inspect detail), when known.
    """
    ordered = sorted(observations, key=lambda item: SEVERITY_ORDER.get(item.severity, 9))
    findings = [finding_lines(observation, redactor) for observation in ordered]
    container = state_lines(state, redactor) if state is not None else []
    if container and cpu_limit:
        container.append(f"cpu limit: {cpu_limit:g} CPUs")
    groups = group_log_lines(log_lines)
    logs = [f"- (x{group.count}) {_cut(redactor.redact(group.latest))}" if group.count > 1
            else f"- {_cut(redactor.redact(group.latest))}" for group in groups]
    compose_text = ""
    if compose_service:
        redacted = redactor.redact_mapping(dict(compose_service))
        compose_text = yaml.safe_dump(redacted, sort_keys=False, default_flow_style=False, width=100).strip()

    def render(n_findings: int, n_logs: int, with_compose: bool) -> str:
        parts: list[str] = []
        if findings:
            shown = [line for block in findings[:n_findings] for line in block]
            more = len(findings) - n_findings
            parts.append("## Findings\n" + "\n".join(shown) + (f"\n- ... and {more} more" if more > 0 else ""))
        if container:
            parts.append("## Container\n" + "\n".join(container))
        if logs:
            header = f"## Recent logs (most recent first; {len(log_lines)} lines, {len(groups)} distinct"
            header += f", {len(groups) - n_logs} older ones left out)" if n_logs < len(groups) else ")"
            parts.append(header + "\n" + "\n".join(logs[:n_logs]))
        if with_compose and compose_text:
            parts.append("## Compose service definition\n" + compose_text)
        return "\n\n".join(parts)

    n_findings, n_logs, with_compose = len(findings), len(logs), bool(compose_text)
    text = render(n_findings, n_logs, with_compose)
    if count(text) > budget and n_logs:
        low, high = 0, n_logs  # the most log groups that fit
        while low < high:
            middle = (low + high + 1) // 2
            if count(render(n_findings, middle, with_compose)) <= budget:
                low = middle
            else:
                high = middle - 1
        n_logs = low
        text = render(n_findings, n_logs, with_compose)
    if count(text) > budget and with_compose:
        with_compose = False
        text = render(n_findings, n_logs, with_compose)
    if count(text) > budget and n_findings > 1:
        n_findings = 1
        text = render(n_findings, n_logs, with_compose)
    truncated = False
    if count(text) > budget:
        truncated = True
        characters = max(0, budget * 4 - len(TRUNCATED))
        while characters and count(text[:characters] + TRUNCATED) > budget:
            characters = int(characters * 0.9)
        text = text[:characters] + TRUNCATED
    return PromptContext(text=text, tokens=count(text), findings=n_findings, findings_total=len(findings),
                         log_groups=n_logs, log_groups_total=len(groups), log_lines_total=len(log_lines),
                         compose=with_compose, truncated=truncated)


def fit_to_budget(make_request: Callable[[int], tuple[CompletionRequest, PromptContext]], budget: int,
                  count_request: Callable[[CompletionRequest], int],
                  attempts: int = 3) -> tuple[CompletionRequest, PromptContext, int]:
    """Build a request whose input, counted by ``count_request`` (the provider's counter), is within ``budget``.

    ``make_request(context_budget)`` builds the request with a context of at most that many
    tokens (local estimate). The first try gives the context the budget minus the rest of the
    request; when the provider counts more, the context budget shrinks in proportion and the
    request is built again. Returns (request, context, input tokens as counted).
    """
    request, context = make_request(budget)
    rest = max(0, estimate_tokens(request.prompt_text()) - context.tokens)
    context_budget = max(1, budget - rest)
    for _ in range(attempts):
        request, context = make_request(context_budget)
        tokens = count_request(request)
        if tokens <= budget or context_budget <= 1:
            return request, context, tokens
        context_budget = max(1, int(context_budget * budget / tokens * 0.95) - 1)
    return request, context, tokens
