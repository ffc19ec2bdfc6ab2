"""The typed shape of DockerForge's configuration.

Every model is frozen and forbids unknown keys. Defaults are not written here: each
field's default is read from the packaged ``defaults.yaml``, so that file is the one
place a default lives, and ``LoggingSettings()`` still works in code and tests.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from dockerforge_tui.core.config.units import ByteSize, Duration
from dockerforge_tui.core.yaml_data import load_yaml

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")
"""The packaged defaults, lowest layer of every configuration."""

ENGINE_SCHEMES = ("unix", "tcp", "ssh", "npipe")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@lru_cache(maxsize=1)
def _packaged_defaults_cached() -> dict[str, Any]:
    data = load_yaml(DEFAULTS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):  # a packaging bug, caught by the unit tests
        raise RuntimeError(f"{DEFAULTS_FILE} does not hold a mapping")
    return data


def packaged_defaults() -> dict[str, Any]:
    """Return a fresh copy of ``defaults.yaml`` as plain data (durations still as text)."""
    return copy.deepcopy(_packaged_defaults_cached())


def _default_list(section: str) -> Callable[[], Any]:
    """A default factory for a top-level list section of the packaged defaults."""

    def factory() -> Any:
        return copy.deepcopy(_packaged_defaults_cached()[section] or [])

    factory.__qualname__ = f"packaged_default[{section}]"
    return factory


def _default(section: str, key: str) -> Callable[[], Any]:
    """A default factory that reads ``section.key`` from the packaged defaults."""

    def factory() -> Any:
        return copy.deepcopy(_packaged_defaults_cached()[section][key])

    factory.__qualname__ = f"packaged_default[{section}.{key}]"
    return factory


def _engine_url(value: str) -> str:
    scheme, separator, rest = value.partition("://")
    if not separator or scheme.lower() not in ENGINE_SCHEMES or not rest:
        raise PydanticCustomError(
            "engine_url", "expected an engine URL starting with unix://, tcp://, ssh:// or npipe://"
        )
    return value


def _engine_address(value: str) -> str:
    # A bare absolute path is the common way to name a socket; store it as a URL so
    # every consumer sees one form.
    if value.startswith("/"):
        return f"unix://{value}"
    return _engine_url(value)


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise PydanticCustomError("log_level", "expected a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)")
    return level


def _without_empty(values: list[str]) -> list[str]:
    # An empty secret (an unset ${VAR:-}) would match everywhere; it means "none".
    return [value for value in values if value]


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise PydanticCustomError("regex", "expected a regular expression ({reason})", {"reason": str(error)})
    return value


EngineAddress = Annotated[str, AfterValidator(_engine_address)]
LogLevel = Annotated[str, AfterValidator(_log_level)]
Regex = Annotated[str, AfterValidator(_regex)]


class _Section(BaseModel):
    # validate_default: the defaults come from YAML text ("30s") and must be parsed too.
    # coerce_numbers_to_str: a YAML number where text is expected (a numeric secret,
    # a context named 2024) is meant as text.
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, coerce_numbers_to_str=True,
        use_attribute_docstrings=True,
    )


class DockerSettings(_Section):
    """How DockerForge reaches the Docker engine."""

    host: EngineAddress | None = Field(default_factory=_default("docker", "host"))
    """Engine endpoint (unix://, tcp://, ssh://, npipe://; a bare absolute path is taken as unix://PATH);
    null means DOCKER_HOST, the current context, the usual sockets."""
    context: str | None = Field(default_factory=_default("docker", "context"))
    """Docker context to use instead of the current one; null means the current one."""
    tls_verify: bool | None = Field(default_factory=_default("docker", "tls_verify"))
    """Verify the engine's TLS certificate; null leaves it to DOCKER_TLS_VERIFY."""
    cert_path: str | None = Field(default_factory=_default("docker", "cert_path"))
    """Directory with ca.pem, cert.pem, key.pem; null leaves it to DOCKER_CERT_PATH."""
    timeout: Duration = Field(default_factory=_default("docker", "timeout"), gt=0)
    """Seconds one API call may take (written as a duration, e.g. "30s")."""
    ping_timeout: Duration = Field(default_factory=_default("docker", "ping_timeout"), gt=0)
    """Seconds to wait for a ping while looking for an engine (written as a duration, e.g. "2s")."""
    extra_sockets: list[EngineAddress] = Field(default_factory=_default("docker", "extra_sockets"))
    """More endpoints to try before the usual ones; a bare absolute path is taken as unix://PATH."""
    endpoints: dict[str, EngineAddress] = Field(default_factory=_default("docker", "endpoints"))
    """Named engines for the dashboard's endpoint switcher, e.g. {"prod": "ssh://deploy@prod"}."""


class LoggingSettings(_Section):
    """DockerForge's own log file."""

    level: LogLevel = Field(default_factory=_default("logging", "level"))
    """Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (any case; stored upper-case)."""
    format: Literal["text", "json"] = Field(default_factory=_default("logging", "format"))
    """text: one readable line per record; json: one JSON object per line."""
    max_bytes: ByteSize = Field(default_factory=_default("logging", "max_bytes"))
    """Rotate the log file at this size in bytes (accepts "10MB"); 0 never rotates."""
    backup_count: int = Field(default_factory=_default("logging", "backup_count"), ge=0)
    """Rotated log files to keep."""
    modules: dict[str, LogLevel] = Field(default_factory=_default("logging", "modules"))
    """Log level per logger name, e.g. {"urllib3": "WARNING"}."""
    file: str | None = Field(default_factory=_default("logging", "file"))
    """Log file path; null means dockerforge.log in the platform's log directory."""


class RedactionSettings(_Section):
    """Secrets that must never be logged, shown or sent anywhere."""

    values: Annotated[list[str], AfterValidator(_without_empty)] = Field(
        default_factory=_default("redaction", "values"))
    """Literal secrets that are always replaced; empty strings are dropped."""
    key_patterns: list[Regex] = Field(default_factory=_default("redaction", "key_patterns"))
    """Extra regular expressions for environment-variable names whose values are secret."""


class UISettings(_Section):
    """The dashboard."""

    theme: str = Field(default_factory=_default("ui", "theme"), min_length=1)
    """Colour theme name."""
    readonly: bool = Field(default_factory=_default("ui", "readonly"))
    """Hide and refuse every action that changes the engine."""
    stats_interval: Duration = Field(default_factory=_default("ui", "stats_interval"), gt=0)
    """Seconds between container stats samples (written as a duration, e.g. "1s")."""
    keymap: dict[str, str] = Field(default_factory=_default("ui", "keymap"))
    """Key bindings to change, by binding id: {"containers.stop": "x", "app.quit": "q,ctrl+q"};
    the help screen (?) shows every id. Keys that collide are reported at start-up."""
    escape_delay: Duration = Field(default_factory=_default("ui", "escape_delay"), gt=0, le=2)
    """How long a lone Escape byte waits for the rest of an escape sequence (e.g. "50ms");
    the ESCDELAY environment variable (milliseconds) wins."""


class LogsSettings(_Section):
    """Container log streams kept in memory."""

    buffer_lines: int = Field(default_factory=_default("logs", "buffer_lines"), ge=1)
    """Lines kept per container."""
    buffer_bytes: ByteSize = Field(default_factory=_default("logs", "buffer_bytes"), ge=1)
    """Bytes kept per container (accepts "8MB")."""


class AuditSettings(_Section):
    """The audit log of every action that changed the engine."""

    max_bytes: ByteSize = Field(default_factory=_default("audit", "max_bytes"), ge=0)
    """Rotate audit.jsonl at this size (accepts "5MB"); 0 never rotates."""
    backup_count: int = Field(default_factory=_default("audit", "backup_count"), ge=0)
    """Rotated audit files to keep."""


class ActionsSettings(_Section):
    """How the dashboard carries out actions."""

    stop_timeout: Duration = Field(default_factory=_default("actions", "stop_timeout"), ge=0)
    """Seconds a container gets to stop before it is killed (stop and restart)."""
    docker_cli: str = Field(default_factory=_default("actions", "docker_cli"), min_length=1)
    """The docker command used for an interactive exec shell and compose v2."""
    compose_v1: str = Field(default_factory=_default("actions", "compose_v1"), min_length=1)
    """The docker-compose (v1) command, used when `docker compose` is missing."""
    command_timeout: Duration = Field(default_factory=_default("actions", "command_timeout"), gt=0)
    """Seconds a compose or custom command may run."""


class CustomCommandSettings(_Section):
    """One custom command: an argv template filled with the selected object's fields."""

    id: str = Field(min_length=1)
    """Unique id; also the binding-free name in the command palette."""
    title: str = ""
    """What the palette shows."""
    argv: list[str] = Field(min_length=1)
    """One element per argument, e.g. ["docker", "logs", "--tail", "50", "{name}"]; no shell is used."""
    dangerous: bool = False
    """Ask before running, and hide in read-only mode."""
    scope: Literal["container", "image", "volume", "network", "compose_project", "engine"] = "container"
    """What kind of object the command acts on."""
    description: str = ""
    """A longer explanation for the palette."""
    interactive: bool = False
    """Run in the terminal (the dashboard is suspended) instead of capturing output."""


class MonitoringSettings(_Section):
    """The background monitor."""

    interval: Duration = Field(default_factory=_default("monitoring", "interval"), gt=0)
    """Seconds between checks (written as a duration, e.g. "10s")."""
    live: bool = Field(default_factory=_default("monitoring", "live"))
    """While the dashboard runs, watch every running container's logs and events for known failures."""


AI_PROVIDER_NAME = r"^[a-z][a-z0-9_-]*$"


class ModelPriceSettings(_Section):
    """The price of one model, in US dollars per million tokens."""

    input: float = Field(ge=0)
    """Dollars per million input (prompt) tokens."""
    output: float = Field(ge=0)
    """Dollars per million output (answer) tokens."""


class AIBudgetSettings(_Section):
    """Spending limits of one AI provider, in US dollars per UTC day and month (see docs/AI.md)."""

    daily: float | None = Field(default=None, ge=0)
    """Most dollars a day; a request that would pass it is not sent. null: no daily limit."""
    monthly: float | None = Field(default=None, ge=0)
    """Most dollars a calendar month; null: no monthly limit."""
    warn_at: float | None = Field(default=None, gt=0, le=1)
    """Share of a limit from which each request warns, e.g. 0.8; null: ai.budget_warn_at."""


TemplateChoice = int | str | dict[int | str, Annotated[float, Field(ge=0)]]
"""A template version ("2"), or a weighted split between versions ({"1": 0.5, "2": 0.5})."""


class AISettings(_Section):
    """AI providers: which one answers, where it is, what it may cost (see docs/AI.md)."""

    provider: str = Field(default_factory=_default("ai", "provider"), pattern=AI_PROVIDER_NAME)
    """The provider asked first: none (no AI, the default), claude, gemini, ollama or a plugin's name."""
    fallback: list[Annotated[str, Field(pattern=AI_PROVIDER_NAME)]] = Field(
        default_factory=_default("ai", "fallback"))
    """Providers tried in order when the one before fails for a reason a retry cannot fix."""
    models: dict[str, str] = Field(default_factory=_default("ai", "models"))
    """Model per provider, e.g. {"claude": "claude-sonnet-4-5", "ollama": "llama3.2"}."""
    base_urls: dict[str, str] = Field(default_factory=_default("ai", "base_urls"))
    """Base URL per provider (a proxy or a local endpoint); unset means ANTHROPIC_BASE_URL,
    GOOGLE_GEMINI_BASE_URL or OLLAMA_HOST, then the provider's own."""
    input_token_budget: int = Field(default_factory=_default("ai", "input_token_budget"), ge=1)
    """Most input tokens one request may carry; context is trimmed to fit."""
    max_output_tokens: int = Field(default_factory=_default("ai", "max_output_tokens"), ge=1)
    """Most tokens one answer may have."""
    timeout: Duration = Field(default_factory=_default("ai", "timeout"), gt=0)
    """Seconds one request may take (written as a duration, e.g. "60s")."""
    max_attempts: int = Field(default_factory=_default("ai", "max_attempts"), ge=1)
    """Requests per provider when it is rate-limited or overloaded, the first included."""
    max_retry_delay: Duration = Field(default_factory=_default("ai", "max_retry_delay"), ge=0)
    """Longest wait before a retry; a server asking for longer (Retry-After) is not retried."""
    prices: dict[str, ModelPriceSettings] = Field(default_factory=_default("ai", "prices"))
    """Prices that replace or add to the packaged table, by "provider/model" (a trailing * matches
    dated versions), e.g. {"claude/claude-sonnet-4-5": {"input": 3.0, "output": 15.0}}."""
    confirm_above: float = Field(default_factory=_default("ai", "confirm_above"), ge=0)
    """Estimated cost in US dollars above which a request needs confirmation (the CLI's --yes);
    a remote model with no known price always does."""
    key_file: str | None = Field(default_factory=_default("ai", "key_file"))
    """Passphrase file for the encrypted key store used where no OS keyring exists;
    null means DOCKERFORGE_AI_PASSPHRASE, else the store is not used."""
    plugin_dirs: list[str] = Field(default_factory=_default("ai", "plugin_dirs"))
    """Folders of provider plugins searched besides <config dir>/plugins ("~" expanded, relative
    paths from the config dir); each holds plugin folders (plugin.yaml + module) or is one."""
    budgets: dict[str, AIBudgetSettings] = Field(default_factory=_default("ai", "budgets"))
    """Daily and monthly spending limits per provider, e.g. {"claude": {"daily": 1.0, "monthly": 20.0}}."""
    budget_warn_at: float = Field(default_factory=_default("ai", "budget_warn_at"), gt=0, le=1)
    """Share of a budget from which requests warn, unless the provider's budget sets warn_at."""
    templates: dict[str, TemplateChoice] = Field(default_factory=_default("ai", "templates"))
    """Prompt template version per template id: one version ({"diagnose": 2}) or a weighted A/B
    split ({"diagnose": {"1": 0.5, "2": 0.5}}); unlisted templates use their newest version."""


class NotifyChannelSettings(_Section):
    """One notification channel: an apprise URL whose credentials are references, never plain text."""

    url: str = Field(min_length=1)
    """apprise URL (mailto://, slack://, discord://, json://, ntfy://, tgram://...); a password or token in it
    is written as {secret:NAME} (stored with `dockerforge notify secret set NAME`), {env:NAME} or ${NAME}."""
    fallback: str | None = None
    """Channel that gets the message when this one still fails after its retries."""
    rate_limit: int = Field(default=0, ge=0)
    """Most messages this channel sends per rate_period; 0 means no limit."""
    rate_period: Duration = Field(default="1m", gt=0)
    """The window of rate_limit (written as a duration, e.g. "1m")."""


class NotifyRouteSettings(_Section):
    """One routing rule: what it matches (every given condition must hold) and where it sends."""

    severity: str | None = None
    """Lowest severity matched (info, warning, error, critical); null matches all."""
    kinds: list[str] = Field(default_factory=list)
    """Event kinds matched (issue_opened, issue_resolved, fix_proposed, fix_applied, fix_failed,
    fix_rolled_back, anomaly, report); empty matches all."""
    categories: list[str] = Field(default_factory=list)
    """Issue categories matched (out_of_memory, ...; shell-style wildcards); empty matches all."""
    containers: list[str] = Field(default_factory=list)
    """Container or compose service names matched (wildcards); empty matches all."""
    projects: list[str] = Field(default_factory=list)
    """Compose projects matched (wildcards); empty matches all."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Container labels that must all be present with these values ("*" matches any value)."""
    channels: list[str] = Field(default_factory=list)
    """Channels the matched events go to."""
    users: list[str] = Field(default_factory=list)
    """Users whose channels (with their preferences) the matched events go to."""
    continue_matching: bool = Field(default=False, alias="continue")
    """Written `continue`: after a match, try the rules below as well (otherwise matching stops here)."""


class QuietHoursSettings(_Section):
    """A daily window in which a user gets no notifications (held until it ends)."""

    start: str = Field(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")
    """Start, "HH:MM" in the time zone."""
    end: str = Field(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")
    """End, "HH:MM" in the time zone; before start means the window crosses midnight."""
    timezone: str = "UTC"
    """IANA time zone name, e.g. "Europe/Berlin"."""


class NotifyUserSettings(_Section):
    """One person's preferences: their channels, how severe an event must be, when to stay quiet."""

    channels: list[str] = Field(min_length=1)
    """The person's channels (names under notifications.channels)."""
    min_severity: str = "info"
    """Lowest severity the person is told about."""
    quiet_hours: QuietHoursSettings | None = None
    """A daily window with no notifications; null means none."""
    critical_breaks_through: bool = True
    """Critical events are sent during quiet hours too."""


class NotificationSettings(_Section):
    """Notifications: channels, routing, grouping and escalation (see docs/NOTIFICATIONS.md)."""

    enabled: bool = Field(default_factory=_default("notifications", "enabled"))
    """Send notifications at all (the log still records what would have been sent)."""
    locale: str = Field(default_factory=_default("notifications", "locale"), min_length=1)
    """Language of the messages (a message catalog; English is shipped)."""
    channels: dict[str, NotifyChannelSettings] = Field(default_factory=_default("notifications", "channels"))
    """Channels by name, e.g. {"ops-mail": {"url": "mailtos://{env:SMTP_USER}:{secret:smtp}@mail.example.com"}}."""
    routes: list[NotifyRouteSettings] = Field(default_factory=_default("notifications", "routes"))
    """Routing rules, tried in order; the first match wins unless it says continue."""
    default_channels: list[str] = Field(default_factory=_default("notifications", "default_channels"))
    """Channels for events no rule matches."""
    users: dict[str, NotifyUserSettings] = Field(default_factory=_default("notifications", "users"))
    """People by name, with their channels and preferences."""
    group_by: list[str] = Field(default_factory=_default("notifications", "group_by"))
    """Event fields that make a group (kind, severity, category, container, project, issue, label:NAME)."""
    group_wait: Duration = Field(default_factory=_default("notifications", "group_wait"), ge=0)
    """How long the first event of a new group waits for others to join it."""
    group_interval: Duration = Field(default_factory=_default("notifications", "group_interval"), ge=0)
    """Shortest time between two messages about a group that changed."""
    repeat_interval: Duration = Field(default_factory=_default("notifications", "repeat_interval"), gt=0)
    """How long before an unchanged group is sent again."""
    retry_attempts: int = Field(default_factory=_default("notifications", "retry_attempts"), ge=1)
    """Sends per channel before it counts as failed, the first included."""
    retry_backoff: Duration = Field(default_factory=_default("notifications", "retry_backoff"), ge=0)
    """Wait before the first retry; it doubles with each one (a Retry-After answer takes precedence)."""
    retry_max_delay: Duration = Field(default_factory=_default("notifications", "retry_max_delay"), ge=0)
    """Longest wait before a retry; a server asking for longer is not retried (the fallback is used)."""
    escalate_after: Duration = Field(default_factory=_default("notifications", "escalate_after"), gt=0)
    """How long a critical issue may stay unacknowledged before the escalation channels are told."""
    escalation_channels: list[str] = Field(default_factory=_default("notifications", "escalation_channels"))
    """Channels told about unacknowledged critical issues; empty means no escalation."""
    log_max_entries: int = Field(default_factory=_default("notifications", "log_max_entries"), ge=10)
    """Entries kept in the notification log (notifications.json in the data directory)."""


class FixesSettings(_Section):
    """How fixes are checked after they are applied."""

    verify_seconds: Duration = Field(default_factory=_default("fixes", "verify_seconds"), ge=0)
    """How long a fixed container must keep running (and healthy) before the fix counts as succeeded."""


class Settings(_Section):
    """The whole configuration: one attribute per section of config.yaml."""

    docker: DockerSettings = Field(default_factory=DockerSettings)
    """How DockerForge reaches the Docker engine."""
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    """DockerForge's own log file."""
    redaction: RedactionSettings = Field(default_factory=RedactionSettings)
    """Secrets that must never be logged, shown or sent anywhere."""
    ui: UISettings = Field(default_factory=UISettings)
    """The dashboard."""
    logs: LogsSettings = Field(default_factory=LogsSettings)
    """Container log streams kept in memory."""
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    """The background monitor."""
    audit: AuditSettings = Field(default_factory=AuditSettings)
    """The audit log of every action that changed the engine."""
    actions: ActionsSettings = Field(default_factory=ActionsSettings)
    """How the dashboard carries out actions."""
    ai: AISettings = Field(default_factory=AISettings)
    """AI providers: which one answers, where it is, what it may cost."""
    custom_commands: list[CustomCommandSettings] = Field(default_factory=_default_list("custom_commands"))
    """Custom commands offered on the selected object (see docs/CONFIG.md)."""
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    """Notifications: channels, routing, grouping and escalation."""
    fixes: FixesSettings = Field(default_factory=FixesSettings)
    """Fixes: how long a fix is watched before it counts as succeeded."""
