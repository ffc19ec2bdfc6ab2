"""Which channels an event goes to, and when a person does not want to hear about it.

Rules (``notifications.routes``) are tried in order; a rule matches when every
condition it gives holds (severity at least, kinds, categories, containers, projects
with shell-style wildcards, labels). A match adds its channels and its users'
channels and stops the search unless the rule says ``continue``. No match: the
``default_channels``. A channel listed by a user carries that user's preferences:
minimum severity and quiet hours in their time zone, which critical events may break.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dockerforge_tui.core.config.models import NotificationSettings, NotifyRouteSettings, NotifyUserSettings
from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.services.issues.models import severities, severity_rank
from dockerforge_tui.services.notify.events import EVENT_KINDS, NotificationEvent

CRITICAL = "critical"


@dataclass(frozen=True)
class Destination:
    """One channel an event goes to, and the user whose preferences apply to it (if any)."""

    channel: str
    user: str | None = None


@dataclass(frozen=True)
class QuietHours:
    """A daily window in one time zone; ``end`` before ``start`` crosses midnight."""

    start: time
    end: time
    zone: ZoneInfo

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` falls inside the window (in the window's time zone)."""
        local = moment.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first moment after ``moment`` at which the window is over (UTC-aware, like ``moment``)."""
        local = moment.astimezone(self.zone)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end = (local + timedelta(days=1)).replace(hour=self.end.hour, minute=self.end.minute,
                                                      second=0, microsecond=0)
        return end.astimezone(moment.tzinfo)


@dataclass(frozen=True)
class UserPreferences:
    """What one person wants: severity floor, quiet hours, whether critical breaks through."""

    name: str
    min_severity: str
    quiet_hours: QuietHours | None
    critical_breaks_through: bool

    def wants(self, event: NotificationEvent) -> bool:
        """True when the event is severe enough for this person."""
        return severity_rank(event.severity) >= severity_rank(self.min_severity)

    def holds_until(self, moment: datetime, severity: str) -> datetime | None:
        """When a message of ``severity`` may go out if it is quiet time now, else None (send now)."""
        if self.quiet_hours is None or not self.quiet_hours.contains(moment):
            return None
        if severity == CRITICAL and self.critical_breaks_through:
            return None
        return self.quiet_hours.ends_after(moment)


class Router:
    """Routes events to destinations by the configured rules; see the module docstring."""

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        self.users = {name: _preferences(name, user) for name, user in settings.users.items()}
        self._owner: dict[str, str] = {}
        for name, user in settings.users.items():
            for channel in user.channels:
                self._owner.setdefault(channel, name)

    def route(self, event: NotificationEvent) -> list[Destination]:
        """The destinations of ``event``, in rule order, each channel once."""
        channels: list[tuple[str, str | None]] = []
        matched = False
        for rule in self.settings.routes:
            if not rule_matches(rule, event):
                continue
            matched = True
            channels.extend((channel, self._owner.get(channel)) for channel in rule.channels)
            for user in rule.users:
                channels.extend((channel, user) for channel in self.settings.users[user].channels)
            if not rule.continue_matching:
                break
        if not matched:
            channels.extend((channel, self._owner.get(channel)) for channel in self.settings.default_channels)
        seen: set[str] = set()
        destinations = []
        for channel, user in channels:
            if channel not in seen:
                seen.add(channel)
                destinations.append(Destination(channel, user))
        return destinations

    def preferences(self, destination: Destination) -> UserPreferences | None:
        """The preferences that apply to ``destination``, if a user owns it."""
        return self.users.get(destination.user) if destination.user else None


def rule_matches(rule: NotifyRouteSettings, event: NotificationEvent) -> bool:
    """True when ``event`` meets every condition ``rule`` gives."""
    if rule.severity is not None and severity_rank(event.severity) < severity_rank(rule.severity):
        return False
    if rule.kinds and event.kind not in rule.kinds:
        return False
    if rule.categories and not _any_match(event.category, rule.categories):
        return False
    if rule.containers and not (_any_match(event.container, rule.containers)
                                or _any_match(_service(event.container), rule.containers)):
        return False
    if rule.projects and not _any_match(event.project, rule.projects):
        return False
    labels = event.label_map
    for key, wanted in rule.labels.items():
        if key not in labels or not fnmatchcase(labels[key], wanted):
            return False
    return True


def _service(container: str | None) -> str | None:
    return container.rsplit("/", 1)[-1] if container else None


def _any_match(value: str | None, patterns: list[str]) -> bool:
    return value is not None and any(fnmatchcase(value, pattern) for pattern in patterns)


def _preferences(name: str, user: NotifyUserSettings) -> UserPreferences:
    quiet = None
    if user.quiet_hours is not None:
        try:
            zone = ZoneInfo(user.quiet_hours.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"notifications.users.{name}.quiet_hours.timezone: unknown time zone "
                f"{user.quiet_hours.timezone!r}",
                hint="use an IANA name such as Europe/Berlin, America/New_York or UTC") from None
        quiet = QuietHours(_clock_time(user.quiet_hours.start), _clock_time(user.quiet_hours.end), zone)
    return UserPreferences(name, user.min_severity, quiet, user.critical_breaks_through)


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def check_settings(settings: NotificationSettings) -> None:
    """Raise :class:`ConfigError` for a name that refers to nothing (a channel, a user, a severity, a kind)."""
    known_severities = severities()
    channels = set(settings.channels)

    def need_channels(names: list[str], where: str) -> None:
        for channel in names:
            if channel not in channels:
                raise ConfigError(f"notifications.{where}: unknown channel {channel!r}",
                                  hint=f"define it under notifications.channels (defined: "
                                       f"{', '.join(sorted(channels)) or 'none'})")

    def need_severity(value: str | None, where: str) -> None:
        if value is not None and value not in known_severities:
            raise ConfigError(f"notifications.{where}: unknown severity {value!r}",
                              hint=f"use one of: {', '.join(known_severities)}")

    for name, channel in settings.channels.items():
        if channel.fallback is not None:
            need_channels([channel.fallback], f"channels.{name}.fallback")
            if channel.fallback == name:
                raise ConfigError(f"notifications.channels.{name}.fallback: a channel cannot fall back to itself",
                                  hint="name another channel, or remove fallback")
    for index, rule in enumerate(settings.routes):
        need_channels(rule.channels, f"routes[{index}].channels")
        need_severity(rule.severity, f"routes[{index}].severity")
        for kind in rule.kinds:
            if kind not in EVENT_KINDS:
                raise ConfigError(f"notifications.routes[{index}].kinds: unknown kind {kind!r}",
                                  hint=f"use any of: {', '.join(EVENT_KINDS)}")
        for user in rule.users:
            if user not in settings.users:
                raise ConfigError(f"notifications.routes[{index}].users: unknown user {user!r}",
                                  hint="define the user under notifications.users")
    need_channels(settings.default_channels, "default_channels")
    need_channels(settings.escalation_channels, "escalation_channels")
    for name, user in settings.users.items():
        need_channels(user.channels, f"users.{name}.channels")
        need_severity(user.min_severity, f"users.{name}.min_severity")
        _preferences(name, user)
