"""What the events screen shows, as pure functions, and the filter language it shares with the audit screen.

Filter terms are separated by spaces and must all hold:

- ``web``            one of the record's fields contains "web" (case-insensitive)
- ``re:^db-\\d``      a regular expression searched in the same fields
- ``type=image``     that field contains the value (the fields depend on the screen)
- ``!term``          any of the above, inverted

Colours come in as a ``palette`` (semantic name to colour, from the active theme).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Callable, Generic, Mapping, TypeVar

from rich.text import Text

from dockerforge_tui.services.docker.event_feed import EngineEvent
from dockerforge_tui.ui.presenters.container_filter import FilterError

Palette = Mapping[str, str]
R = TypeVar("R")

EVENT_BUFFER_SIZE = 1000
"""How many events the events screen keeps; the oldest go first."""

PALETTE_NAMES = ("success", "warning", "error", "text-muted", "accent")

SHORT_ID = 12


# --- the filter language --------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilter(Generic[R]):
    """A parsed filter; call it with a record."""

    text: str
    predicates: tuple[Callable[[R], bool], ...]

    def __call__(self, record: R) -> bool:
        return all(predicate(record) for predicate in self.predicates)

    @property
    def active(self) -> bool:
        """True when the filter hides anything at all."""
        return bool(self.predicates)


def _term(term: str, searchable: Callable[[R], tuple[str, ...]],
          fields: Mapping[str, Callable[[R], str]]) -> Callable[[R], bool]:
    if term.startswith("!") and len(term) > 1:
        inner = _term(term[1:], searchable, fields)
        return lambda record: not inner(record)
    if term.startswith("re:"):
        try:
            pattern = re.compile(term[3:], re.IGNORECASE)
        except re.error as error:
            raise FilterError(f"invalid regular expression {term[3:]!r}: {error}") from error
        return lambda record: any(pattern.search(value) for value in searchable(record))
    field, has_value, value = term.partition("=")
    if has_value and field.lower() in fields:
        read = fields[field.lower()]
        wanted = value.lower()
        return lambda record: wanted in read(record).lower()
    needle = term.lower()
    return lambda record: any(needle in value.lower() for value in searchable(record))


def parse_record_filter(text: str, searchable: Callable[[R], tuple[str, ...]],
                        fields: Mapping[str, Callable[[R], str]]) -> RecordFilter[R]:
    """Parse ``text`` for records whose searchable text is ``searchable(record)``.

    ``fields`` names the ``field=value`` terms. Raises :class:`FilterError` with a
    one-line reason (an invalid regular expression).
    """
    return RecordFilter(text, tuple(_term(term, searchable, fields) for term in text.split()))


# --- events ------------------------------------------------------------------------------------

EVENT_FIELDS: Mapping[str, Callable[[EngineEvent], str]] = {
    "type": lambda event: event.type,
    "action": lambda event: event.full_action,
    "name": lambda event: event.name,
    "project": lambda event: event.compose_project or "",
}


def event_searchable(event: EngineEvent) -> tuple[str, ...]:
    """The texts a plain filter term is looked for in: type, action, name, id."""
    return (event.type, event.full_action, event.name, event.actor_id)


def parse_event_filter(text: str) -> RecordFilter[EngineEvent]:
    """The events screen's filter (``type=``, ``action=``, ``name=``, ``project=`` fields)."""
    return parse_record_filter(text, event_searchable, EVENT_FIELDS)


NO_EVENT_FILTER: RecordFilter[EngineEvent] = RecordFilter("", ())

# Actions that need a look, and those that are quietly fine; everything else is plain.
ACTION_COLOURS = {
    "oom": "error",
    "kill": "warning",
    "destroy": "warning",
    "delete": "warning",
    "untag": "warning",
    "remove": "warning",
    "prune": "warning",
    "start": "success",
    "unpause": "success",
    "pull": "accent",
    "create": "accent",
}
HEALTH_COLOURS = {"healthy": "success", "starting": "warning", "unhealthy": "error"}


def event_colour(event: EngineEvent) -> str | None:
    """The palette name an event's action is shown in, or None for plain text."""
    if event.action == "die":
        return "text-muted" if event.attribute("exitCode") in ("0", None) else "error"
    if event.action == "health_status":
        return HEALTH_COLOURS.get(event.detail)
    return ACTION_COLOURS.get(event.action)


def local_time(moment: datetime, timezone: tzinfo | None = None) -> datetime:
    """``moment`` in ``timezone`` (the machine's local zone when None)."""
    return moment.astimezone(timezone) if timezone is not None else moment.astimezone()


def format_event_time(event: EngineEvent, timezone: tzinfo | None = None) -> str:
    """``HH:MM:SS`` in ``timezone`` (local when None)."""
    return local_time(event.time, timezone).strftime("%H:%M:%S")


def _short(value: str) -> str:
    return value[:SHORT_ID] if len(value) == 64 else value


def event_summary(event: EngineEvent) -> str:
    """The few attributes worth a glance, ``exit 137 · image busybox`` style."""
    parts: list[str] = []
    if event.detail and event.action != "health_status":
        parts.append(event.detail)
    exit_code = event.attribute("exitCode")
    if exit_code is not None:
        parts.append(f"exit {exit_code}")
    signal = event.attribute("signal")
    if signal is not None:
        parts.append(f"signal {signal}")
    if event.type == "container":
        image = event.attribute("image")
        if image:
            parts.append(f"image {image}")
    container = event.attribute("container")
    if container:
        parts.append(f"container {_short(container)}")
    destination = event.attribute("destination")
    if destination:
        parts.append(f"at {destination}")
    if event.type in ("volume", "network"):
        driver = event.attribute("driver") or event.attribute("type")
        if driver and event.action == "create":
            parts.append(f"driver {driver}")
    project = event.compose_project
    if project:
        parts.append(f"project {project}")
    return " · ".join(parts)


def event_cells(event: EngineEvent, palette: Palette, timezone: tzinfo | None = None) -> tuple[Text, ...]:
    """The row of one event: time, type, action (coloured), name, summary."""
    colour = event_colour(event)
    style = palette.get(colour, "") if colour else ""
    return (
        Text(format_event_time(event, timezone), style=palette.get("text-muted", ""), no_wrap=True, end=""),
        Text(event.type, no_wrap=True, end=""),
        Text(event.full_action, style=style, no_wrap=True, end=""),
        Text(event.name, no_wrap=True, end=""),
        Text(event_summary(event), no_wrap=True, end=""),
    )


def event_detail_text(event: EngineEvent, timezone: tzinfo | None = None) -> str:
    """Everything about one event, one ``key: value`` per line, for the detail panel."""
    moment = local_time(event.time, timezone)
    lines = [f"{moment.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} {moment.strftime('%z')}  "
             f"{event.type} {event.full_action}  {event.name}",
             f"id: {event.actor_id}"]
    lines += [f"{key}: {value}" for key, value in event.attributes if key != "name"]
    return "\n".join(lines)
