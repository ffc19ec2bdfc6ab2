"""The notification dispatcher: events in, grouped and throttled messages out, everything logged.

Grouping follows Alertmanager. Each destination channel keeps groups keyed by the
``notifications.group_by`` fields of the events. The first event of a new group waits
``group_wait`` for others to join; a group that changed after it was sent goes out
again at most once per ``group_interval``; an unchanged group is repeated only after
``repeat_interval`` (one-shot kinds such as ``issue_resolved`` or ``fix_applied`` are
sent once and then leave the group; an emptied group is kept for one group interval, so
an addition right after a message still waits for the interval). A user's quiet hours and a channel's rate limit
hold a group back (it goes out when they allow); a failed channel is retried and falls
back (:mod:`.delivery`). A critical issue that stays unacknowledged for
``escalate_after`` goes to the ``escalation_channels``; :meth:`acknowledge` (the
dashboard) or ``dockerforge notify ack`` (through the log file) stops that, and so does
acknowledging or resolving the issue in the issue store.

Producers call :meth:`on_issue_changes`, :meth:`on_issue_resolved`, :meth:`on_fix_event` or :meth:`on_event`
from any thread; whoever owns the dispatcher calls :meth:`tick` regularly (every
second is plenty) and it sends what is due. Time comes from the injected clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dockerforge_tui.core.config.models import NotificationSettings
from dockerforge_tui.core.errors import ConfigError, DockerForgeError
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.issues.models import severity_rank
from dockerforge_tui.services.notify.clock import Clock, SystemClock
from dockerforge_tui.services.notify.delivery import ChannelSender, DeliveryResult, RateLimiter, RetryPolicy
from dockerforge_tui.services.notify.events import (
    REPEATING_KINDS, NotificationEvent, event_from_fix_event, event_from_issue_change, event_from_object,
    event_from_resolved_issue,
)
from dockerforge_tui.services.notify.log import NotificationLog, NotificationLogEntry, new_entry_id
from dockerforge_tui.services.notify.routing import Destination, Router
from dockerforge_tui.services.notify.templates import MessageRenderer, RenderedMessage

if TYPE_CHECKING:
    from dockerforge_tui.core.config import LoadedConfig, Settings
    from dockerforge_tui.core.paths import AppPaths
    from dockerforge_tui.services.issues.store import Issue, IssueChange

log = logging.getLogger(__name__)

GROUP_FIELDS = ("kind", "severity", "category", "container", "project", "issue")
LABEL_PREFIX = "label:"


@dataclass
class _Group:
    channel: str
    key: str
    user: str | None
    values: tuple[tuple[str, str], ...]
    next_flush: datetime
    events: dict[str, NotificationEvent] = field(default_factory=dict)
    last_sent: datetime | None = None
    sent_state: frozenset[tuple[str, str, str]] = frozenset()
    held: str | None = None
    """The hold last logged (quiet_hours, rate_limited), so a held group is logged once, not every tick."""
    throttled_logged: bool = False

    def state(self) -> frozenset[tuple[str, str, str]]:
        return frozenset((event.key, event.kind, event.severity) for event in self.events.values())


@dataclass(frozen=True)
class _Batch:
    """One message to send: which channel, which events, in which group."""

    channel: str
    group: str
    events: tuple[NotificationEvent, ...]
    repeat: bool = False
    escalation: bool = False


def group_values(event: NotificationEvent, group_by: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The event's values of the group-by fields (``-`` where it has none)."""
    values = []
    labels = event.label_map
    for name in group_by:
        if name.startswith(LABEL_PREFIX):
            value = labels.get(name[len(LABEL_PREFIX):])
        elif name == "issue":
            value = event.issue_id
        else:
            value = getattr(event, name, None)
        values.append((name, str(value) if value not in (None, "") else "-"))
    return tuple(values)


class NotificationDispatcher:
    """See the module docstring. Build one with :func:`build_dispatcher` or directly for tests."""

    def __init__(self, settings: NotificationSettings, *, sender: ChannelSender, log_store: NotificationLog,
                 renderer: MessageRenderer | None = None, redactor: Redactor | None = None,
                 clock: Clock | None = None, issue_status: Callable[[str], str | None] | None = None) -> None:
        for name in settings.group_by:
            if name not in GROUP_FIELDS and not (name.startswith(LABEL_PREFIX) and len(name) > len(LABEL_PREFIX)):
                raise ConfigError(f"notifications.group_by: unknown field {name!r}",
                                  hint=f"use any of: {', '.join(GROUP_FIELDS)}, label:NAME")
        self.settings = settings
        self.sender = sender
        self.log = log_store
        self.renderer = renderer or MessageRenderer(settings.locale)
        self.redactor = redactor or Redactor()
        self.clock = clock or sender.clock or SystemClock()
        self.router = Router(settings)
        self.limiter = RateLimiter(settings.channels)
        self._lock = threading.RLock()
        self._groups: dict[str, _Group] = {}
        self._escalations: dict[str, tuple[datetime, NotificationEvent]] = {}
        self._escalated: set[str] = set()
        """Issues whose escalation is over (sent, or acknowledged in time): later occurrences do not restart it."""
        self._send_lock = threading.Lock()
        self._issue_status = issue_status
        """An issue's status in the issue store (None when it is not there): acknowledging or resolving
        it there (the Issues screen, ``dockerforge issues ack``) stops its escalation too."""

    # --- intake ---------------------------------------------------------------------------------------

    def on_issue_changes(self, changes: Iterable["IssueChange"]) -> None:
        """Take the changes :meth:`IssueStore.record` returned (the live monitor's subscription)."""
        for change in changes:
            event = event_from_issue_change(change)
            if event is not None:
                self.on_event(event)

    def on_issue_resolved(self, issue: "Issue") -> None:
        """Take an issue a person or a fix marked as resolved."""
        self.on_event(event_from_resolved_issue(issue))

    def on_fix_event(self, source: Any) -> None:
        """Take one of the fix service's events (subscribe this: ``fix_service.subscribe(dispatcher.on_fix_event)``)."""
        event = event_from_fix_event(source)
        if event is not None:
            self.on_event(event)

    def on_event(self, source: Any) -> None:
        """Take one event: a :class:`NotificationEvent` or any object or mapping with its attributes."""
        event = self._redacted(event_from_object(source))
        now = self.clock.now()
        rows: list[NotificationLogEntry] = []
        with self._lock:
            if not self.settings.channels:
                return  # notifications are not set up: nothing to send, nothing worth a log row
            if not self.settings.enabled:
                rows.append(self._row(now, "suppressed", "disabled", None, event.kind, event.severity, event.title,
                                      "-", (event,)))
            else:
                self._track_escalation(event, now)
                destinations = self.router.route(event)
                if not destinations:
                    rows.append(self._row(now, "suppressed", "no_route", None, event.kind, event.severity,
                                          event.title, "-", (event,)))
                for destination in destinations:
                    row = self._add_to_group(event, destination, now)
                    if row is not None:
                        rows.append(row)
        self.log.add(rows)

    def _redacted(self, event: NotificationEvent) -> NotificationEvent:
        redact = self.redactor.redact
        return replace(
            event, title=redact(event.title),
            fields=tuple((name, self.redactor.redact_mapping(value)) for name, value in event.fields),
            labels=tuple((name, redact(value)) for name, value in event.labels))

    def _add_to_group(self, event: NotificationEvent, destination: Destination,
                      now: datetime) -> NotificationLogEntry | None:
        preferences = self.router.preferences(destination)
        values = group_values(event, self.settings.group_by)
        key = destination.channel + "|" + ",".join(f"{name}={value}" for name, value in values)
        if preferences is not None and not preferences.wants(event):
            return self._row(now, "suppressed", "below_min_severity", destination.channel, event.kind,
                             event.severity, event.title, key, (event,),
                             f"{preferences.name} wants {preferences.min_severity} or worse")
        group = self._groups.get(key)
        if group is None:
            group = _Group(destination.channel, key, destination.user, values,
                           next_flush=now + timedelta(seconds=self.settings.group_wait))
            self._groups[key] = group
        previous = group.events.get(event.key)
        group.events[event.key] = event
        if previous is not None and (previous.kind, previous.severity) == (event.kind, event.severity):
            if group.last_sent is None or group.throttled_logged:
                return None  # waiting for its first send anyway, or already logged in this window
            group.throttled_logged = True
            return self._row(now, "suppressed", "throttled", destination.channel, event.kind, event.severity,
                             event.title, key, (event,),
                             "repeats after " + _clock_text(group.last_sent
                                                            + timedelta(seconds=self.settings.repeat_interval)))
        if group.last_sent is not None:
            group.next_flush = max(now, group.last_sent + timedelta(seconds=self.settings.group_interval))
        return self._row(now, "suppressed", "grouped", destination.channel, event.kind, event.severity,
                         event.title, key, (event,), "goes out at " + _clock_text(group.next_flush))

    def _track_escalation(self, event: NotificationEvent, now: datetime) -> None:
        if event.issue_id is None or not self.settings.escalation_channels:
            return
        if event.kind == "issue_resolved":
            self._escalations.pop(event.issue_id, None)
            self._escalated.discard(event.issue_id)
        elif event.kind == "issue_opened" and event.severity == "critical":
            if event.field("reopened"):  # a new episode: it may escalate again
                self.log.forget_acknowledgement(event.issue_id)
                self._escalations.pop(event.issue_id, None)
                self._escalated.discard(event.issue_id)
            if event.issue_id not in self._escalations and event.issue_id not in self._escalated:
                deadline = now + timedelta(seconds=self.settings.escalate_after)
                self._escalations[event.issue_id] = (deadline, event)

    # --- acknowledgement ------------------------------------------------------------------------------

    def acknowledge(self, issue_id: str, by: str | None = None) -> None:
        """A person saw the issue: stop its escalation (recorded in the log file for other processes)."""
        with self._lock:
            self._escalations.pop(issue_id, None)
            self._escalated.add(issue_id)
        self.log.acknowledge(issue_id, by, self.clock.now())

    # --- sending --------------------------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When :meth:`tick` next has something to do, or None when nothing waits."""
        with self._lock:
            moments = [group.next_flush for group in self._groups.values()]
            moments += [deadline for deadline, _ in self._escalations.values()]
        return min(moments) if moments else None

    def tick(self, force: bool = False) -> tuple[NotificationLogEntry, ...]:
        """Send every group and escalation that is due now; returns the log rows written.

        ``force`` sends changed groups without waiting for group_wait or group_interval
        (a one-shot command about to exit); quiet hours and rate limits still hold.
        """
        with self._send_lock:
            now = self.clock.now()
            rows: list[NotificationLogEntry] = []
            with self._lock:
                batches = self._due_batches(now, force, rows)
                batches += self._due_escalations(now)
            for batch in batches:
                rows.extend(self._deliver(batch))
            self.log.add(rows)
            return tuple(rows)

    def run(self, stop: threading.Event, poll: float = 1.0) -> None:
        """Call :meth:`tick` every ``poll`` seconds until ``stop`` is set (a dashboard's thread worker).

        A failing tick is logged and the loop goes on: one bad template or channel must not
        silence the rest.
        """
        while not stop.wait(poll):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - logged with its traceback; the next tick tries again
                log.exception("notification tick failed")

    def _due_batches(self, now: datetime, force: bool, rows: list[NotificationLogEntry]) -> list[_Batch]:
        batches = []
        for key, group in list(self._groups.items()):
            if not group.events:  # everything in it was sent once; kept so additions wait for the interval
                if group.last_sent is None or now >= group.last_sent + timedelta(seconds=self.settings.group_interval):
                    del self._groups[key]
                continue
            state = group.state()
            changed = state != group.sent_state
            if not force or not changed:
                if now < group.next_flush:
                    continue
            repeat = not changed
            if repeat:
                repeat_at = group.last_sent + timedelta(seconds=self.settings.repeat_interval) \
                    if group.last_sent else now
                if now < repeat_at:
                    group.next_flush = repeat_at
                    continue
            events = sorted(group.events.values(), key=lambda event: -severity_rank(event.severity))
            worst = events[0].severity
            preferences = self.router.users.get(group.user) if group.user else None
            hold = preferences.holds_until(now, worst) if preferences else None
            reason = "quiet_hours" if hold else None
            if hold is None:
                hold = self.limiter.next_free(group.channel, now)
                reason = "rate_limited" if hold else None
            if hold is not None and reason is not None:
                group.next_flush = hold
                if group.held != reason:
                    group.held = reason
                    rows.append(self._row(now, "suppressed", reason, group.channel, events[0].kind, worst,
                                          events[0].title, key, tuple(events), "held until " + _clock_text(hold)))
                continue
            batches.append(_Batch(group.channel, key, tuple(events), repeat=repeat))
            self.limiter.record(group.channel, now)
            group.sent_state = state
            group.last_sent = now
            group.next_flush = now + timedelta(seconds=self.settings.group_interval)
            group.held = None
            group.throttled_logged = False
            for event in events:
                if event.kind not in REPEATING_KINDS:
                    del group.events[event.key]
            group.sent_state = group.state()
        return batches

    def _due_escalations(self, now: datetime) -> list[_Batch]:
        due = [issue_id for issue_id, (deadline, _) in self._escalations.items() if now >= deadline]
        if not due:
            return []
        acknowledged = self.log.acknowledged()
        batches = []
        for issue_id in due:
            _, event = self._escalations.pop(issue_id)
            self._escalated.add(issue_id)
            if issue_id in acknowledged:
                continue
            status = self._issue_status(issue_id) if self._issue_status is not None else None
            if status is not None and status != "open":  # acknowledged, resolved or ignored there
                continue
            for channel in self.settings.escalation_channels:
                batches.append(_Batch(channel, f"{channel}|escalation|issue={issue_id}", (event,), escalation=True))
        return batches

    def _deliver(self, batch: _Batch) -> list[NotificationLogEntry]:
        try:
            message = self._message(self.renderer.render(batch.events, escalation=batch.escalation,
                                                         repeat=batch.repeat))
        except Exception as error:  # a broken (user) template: log it, keep sending the other batches
            log.exception("rendering a notification for %s failed", batch.channel)
            first = batch.events[0]
            return [self._row(self.clock.now(), "failed", "failed", batch.channel, first.kind, first.severity,
                              first.title, batch.group, batch.events,
                              f"the template failed: {type(error).__name__}: {error}")]
        result = self.sender.send(batch.channel, message)
        return [self._result_row(batch, message, result)]

    def _message(self, message: RenderedMessage) -> RenderedMessage:
        redact = self.redactor.redact
        return RenderedMessage(redact(message.subject), redact(message.text), redact(message.html))

    def _result_row(self, batch: _Batch, message: RenderedMessage, result: DeliveryResult) -> NotificationLogEntry:
        now = self.clock.now()
        worst = batch.events[0]
        notes = []
        if batch.escalation:
            notes.append("escalation")
        if batch.repeat:
            notes.append("repeat")
        if result.fell_back:
            outcome, reason = "sent", "fell_back"
            notes.append(f"{result.channel} failed ({result.error}); sent through {result.via}")
        elif result.delivered:
            outcome, reason = "sent", None
        else:
            outcome, reason = "failed", "failed"
            notes.append(result.error or "failed")
        notes.append(f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}")
        return self._row(now, outcome, reason, batch.channel, worst.kind, worst.severity, message.subject,
                         batch.group, batch.events, "; ".join(notes), via=result.via)

    def send_test(self, channel: str) -> DeliveryResult:
        """Send the test message to ``channel`` now (no grouping) and log the outcome."""
        event = NotificationEvent(kind="test", severity="info", title="test", key=f"test:{channel}",
                                  fields=(("channel", channel),))
        message = self._message(self.renderer.render([event]))
        result = self.sender.send(channel, message)
        self.log.add([self._result_row(_Batch(channel, f"{channel}|test", (event,)), message, result)])
        return result

    # --- log rows -------------------------------------------------------------------------------------

    def _row(self, now: datetime, outcome: str, reason: str | None, channel: str | None, kind: str, severity: str,
             subject: str, group: str, events: tuple[NotificationEvent, ...], detail: str = "",
             via: str | None = None) -> NotificationLogEntry:
        return NotificationLogEntry(
            id=new_entry_id(now), at=now, outcome=outcome, reason=reason, channel=channel, kind=kind,
            severity=severity, subject=self.redactor.redact(subject), group=group,
            event_keys=tuple(event.key for event in events),
            issue_ids=tuple(dict.fromkeys(event.issue_id for event in events if event.issue_id)),
            detail=self.redactor.redact(detail), via=via)


def _clock_text(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


def check_notification_settings(settings: "Settings", config: "LoadedConfig | None" = None) -> None:
    """Raise a one-line :class:`ConfigError` for names that refer to nothing or a channel URL with a plain secret.

    With ``config`` the URLs are judged as its files spell them (before ``${VAR}``
    substitution) and the error names the file and line. ``dockerforge config validate``
    and :func:`build_dispatcher` both run it.
    """
    from dockerforge_tui.services.notify.credentials import channel_urls_as_written, check_channel_url
    from dockerforge_tui.services.notify.routing import check_settings

    notify_settings: NotificationSettings = settings.notifications
    check_settings(notify_settings)
    written = channel_urls_as_written(config.files) if config is not None else {}
    for name, channel in notify_settings.channels.items():
        error_at = None
        if config is not None:
            def error_at(problem: str, hint: str, key: tuple[str, ...] = ("notifications", "channels", name, "url"),
                         loaded: "LoadedConfig" = config) -> ConfigError:
                return loaded.error_at(key, problem, hint)
        check_channel_url(name, written.get(name, channel.url), error_at)


def build_dispatcher(settings: "Settings", paths: "AppPaths", env: Mapping[str, str], *,
                     config: "LoadedConfig | None" = None, clock: Clock | None = None,
                     keyring_backend: Any | None = None, redactor: Redactor | None = None) -> NotificationDispatcher:
    """The dispatcher for ``settings`` (``config.settings`` when the files are known) and the platform's paths.

    Checks the notification settings first: names that refer to nothing, and a channel URL
    with a plain password or token. With ``config`` the URLs are judged as its files spell
    them (before ``${VAR}`` substitution) and an error names the file and line.
    """
    from dockerforge_tui.services.notify.credentials import CredentialResolver, SecretStore

    notify_settings: NotificationSettings = settings.notifications
    check_notification_settings(settings, config)
    clock = clock or SystemClock()
    secrets = SecretStore(paths.config_dir, env=env, key_file=settings.ai.key_file, keyring_backend=keyring_backend)
    sender = ChannelSender(
        channels=notify_settings.channels, resolver=CredentialResolver(secrets, env),
        retry=RetryPolicy(notify_settings.retry_attempts, notify_settings.retry_backoff,
                          notify_settings.retry_max_delay),
        clock=clock)
    return NotificationDispatcher(
        notify_settings, sender=sender,
        log_store=NotificationLog.for_paths(paths, notify_settings.log_max_entries),
        renderer=MessageRenderer(notify_settings.locale, paths.config_dir),
        redactor=redactor or Redactor(settings.redaction.values, settings.redaction.key_patterns),
        clock=clock, issue_status=_issue_status_in(paths))


def _issue_status_in(paths: "AppPaths") -> Callable[[str], str | None]:
    """Looks an issue's status up in the issue store of ``paths`` (None when it is not there)."""
    from dockerforge_tui.services.issues.store import IssueStore

    store = IssueStore.for_paths(paths)

    def status(issue_id: str) -> str | None:
        try:
            return store.get(issue_id).status
        except DockerForgeError:  # not there (pruned, or never recorded): only the log's acknowledgements count
            return None

    return status
