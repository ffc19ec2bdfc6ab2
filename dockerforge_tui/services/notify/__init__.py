"""Notifications: channels through apprise, Jinja2 templates, routing, Alertmanager-style grouping, a log.

:func:`build_dispatcher` makes a :class:`NotificationDispatcher` from the settings; feed it
issue changes and fix or anomaly events, call ``tick()`` regularly, and read what happened
from :class:`NotificationLog`. docs/NOTIFICATIONS.md describes the behaviour and the config.
"""

from __future__ import annotations

from dockerforge_tui.services.notify.clock import Clock, ManualClock, SystemClock
from dockerforge_tui.services.notify.delivery import ChannelSender, DeliveryResult, RetryPolicy
from dockerforge_tui.services.notify.dispatcher import NotificationDispatcher, build_dispatcher
from dockerforge_tui.services.notify.events import (
    EVENT_KINDS, NotificationEvent, event_from_fix_event, event_from_issue_change, event_from_object,
    event_from_resolved_issue,
)
from dockerforge_tui.services.notify.log import REASONS, NotificationLog, NotificationLogEntry
from dockerforge_tui.services.notify.templates import MessageRenderer, RenderedMessage

__all__ = [
    "EVENT_KINDS",
    "REASONS",
    "ChannelSender",
    "Clock",
    "DeliveryResult",
    "ManualClock",
    "MessageRenderer",
    "NotificationDispatcher",
    "NotificationEvent",
    "NotificationLog",
    "NotificationLogEntry",
    "RenderedMessage",
    "RetryPolicy",
    "SystemClock",
    "build_dispatcher",
    "event_from_fix_event",
    "event_from_issue_change",
    "event_from_object",
    "event_from_resolved_issue",
]
