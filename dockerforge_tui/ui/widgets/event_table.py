"""The event feed table: a bounded buffer of engine events, newest at the bottom, filtered and followed."""

from __future__ import annotations

from collections import deque
from datetime import tzinfo
from typing import Iterable

from textual.message import Message

from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.services.docker.event_feed import EngineEvent
from dockerforge_tui.ui.presenters import events as present
from dockerforge_tui.ui.presenters.events import EVENT_BUFFER_SIZE, NO_EVENT_FILTER, RecordFilter
from dockerforge_tui.ui.widgets.settled_table import SettledTable

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("time", "Time", 8),
    ("type", "Type", 9),
    ("action", "Action", None),
    ("name", "Name", None),
    ("summary", "Details", None),
)


class EventTable(SettledTable):
    """Keeps the newest ``max_events`` events and shows those the filter accepts, oldest first.

    While following (the default) the cursor rides on the newest row; moving up stops
    following and the rows stay put while events arrive (``new_below`` counts them);
    :meth:`follow` goes back to the bottom. While paused, events are kept but not shown
    until :meth:`set_paused` ``(False)``. The table owns its buffer; the screen feeds it
    from worker messages.
    """

    DEFAULT_CSS = """
    EventTable { height: 1fr; }
    """

    class ViewChanged(Message):
        """What the table shows changed (events arrived, filter, pause, follow)."""

    def __init__(self, max_events: int = EVENT_BUFFER_SIZE, timezone: tzinfo | None = None, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.max_events = max(1, max_events)
        self._timezone = timezone
        self._events: deque[tuple[int, EngineEvent]] = deque(maxlen=self.max_events)
        self._next_key = 0
        self._shown_keys: deque[int] = deque()
        self.filter: RecordFilter[EngineEvent] = NO_EVENT_FILTER
        self.following = True
        self.paused = False
        self.new_below = 0
        """Events shown below the cursor since following stopped."""
        self.held = 0
        """Events that arrived while paused."""
        self.received = 0
        """Every event ever given to the table (buffered or since dropped)."""

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    # -- what it holds ----------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        """Events in the buffer (at most ``max_events``)."""
        return len(self._events)

    def events(self) -> tuple[EngineEvent, ...]:
        """The buffered events, oldest first."""
        return tuple(event for _, event in self._events)

    def shown_events(self) -> tuple[EngineEvent, ...]:
        """The events on display, oldest first."""
        by_key = dict(self._events)
        return tuple(by_key[key] for key in self._shown_keys if key in by_key)

    @property
    def selected_event(self) -> EngineEvent | None:
        """The event under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return dict(self._events).get(int(key)) if key is not None else None

    # -- updates ---------------------------------------------------------------------------

    def add_events(self, events: Iterable[EngineEvent]) -> None:
        """Append a batch; the oldest events leave the buffer (and the table) beyond ``max_events``."""
        added: list[tuple[int, EngineEvent]] = []
        for event in events:
            entry = (self._next_key, event)
            self._next_key += 1
            self._events.append(entry)
            added.append(entry)
        self.received += len(added)
        if not added:
            return
        if self.paused:
            self.held += len(added)
            self.post_message(self.ViewChanged())
            return
        oldest = self._events[0][0]
        dropped = 0
        while self._shown_keys and self._shown_keys[0] < oldest:
            self.remove_row(str(self._shown_keys.popleft()))
            dropped += 1
        for key, event in added:
            if key >= oldest and self.filter(event):
                self._add_row(key, event)
                if not self.following:
                    self.new_below += 1
        if self.following:
            self._to_bottom()
        elif dropped:
            self.move_cursor(row=max(0, self.cursor_row - dropped), scroll=False)
        self.post_message(self.ViewChanged())

    def set_filter(self, event_filter: RecordFilter[EngineEvent]) -> None:
        """Show only the events the filter accepts (the buffer keeps them all)."""
        self.filter = event_filter
        self._rebuild()

    def set_paused(self, paused: bool) -> None:
        """Freeze the rows (events are still kept), or show what arrived meanwhile."""
        self.paused = paused
        if not paused:
            self.held = 0
            self._rebuild()
        self.post_message(self.ViewChanged())

    def follow(self) -> None:
        """Jump to the newest event and keep following."""
        self.following = True
        self.new_below = 0
        self._to_bottom()
        self.post_message(self.ViewChanged())

    def stop_following(self) -> None:
        """Keep the rows where they are while new events arrive."""
        if self.following:
            self.following = False
            self.new_below = 0
            self.post_message(self.ViewChanged())

    def clear_events(self) -> None:
        """Forget every event."""
        self._events.clear()
        self.held = 0
        self.new_below = 0
        self._rebuild()

    # -- internals -----------------------------------------------------------------------------

    def _palette(self) -> dict[str, str]:
        # theme_palette resolves relative colours ("auto 60%") that Rich cannot parse.
        try:
            return theme_palette(self.app, present.PALETTE_NAMES)
        except Exception:  # not mounted in an app yet
            return {}

    def _add_row(self, key: int, event: EngineEvent) -> None:
        self.add_row(*present.event_cells(event, self._palette(), self._timezone), key=str(key))
        self._shown_keys.append(key)

    def _rebuild(self) -> None:
        selected = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        self.clear()
        self._shown_keys.clear()
        for key, event in self._events:
            if self.filter(event):
                self._add_row(key, event)
        if self.following or selected is None or int(selected) not in self._shown_keys:
            self._to_bottom()
        else:
            self.move_cursor(row=self.get_row_index(selected))
        self.post_message(self.ViewChanged())

    def _to_bottom(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)
