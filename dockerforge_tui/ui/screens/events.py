"""The events screen: a live, filterable feed of the engine's events (containers, images, volumes, networks)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Static
from textual.worker import Worker, get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.event_feed import FEED_TYPES, EngineEvent, EventFeed, open_event_feed
from dockerforge_tui.services.docker.watch import backoff_delays
from dockerforge_tui.ui.presenters.container_filter import FilterError
from dockerforge_tui.ui.presenters.events import EVENT_BUFFER_SIZE, NO_EVENT_FILTER, event_detail_text, \
    parse_event_filter
from dockerforge_tui.ui.widgets.event_table import EventTable
from dockerforge_tui.ui.widgets.key_footer import KeyFooter

HISTORY_SECONDS = 300.0
"""How far back the feed starts when the screen opens (the engine keeps a bounded recent history)."""

QUEUE_BACKLOG = 8
"""Messages waiting in the screen's queue above which the feed worker holds batches back."""
BACKOFF_STEP = 0.05
MAX_HOLD = 0.5
"""Longest the worker waits for the queue to drain before it posts anyway (seconds)."""


class EventsScreen(Screen):
    """Follows the engine's events live: ``/`` filters, ``p`` pauses, ``i`` (or enter) shows one event's attributes.

    ``max_events`` bounds the buffer; ``history_seconds`` replays that much of the
    engine's recent history first; ``timezone`` shows times in that zone (local by
    default); ``live=False`` opens no feed, for snapshot tests that post
    :class:`EventsArrived` themselves.
    """

    CSS_PATH = "../styles/events.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="events.cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="events.cursor_up"),
        Binding("g", "cursor_top", "Top", show=False, id="events.top"),
        Binding("G", "follow", "Follow newest", show=False, id="events.follow"),
        Binding("slash", "filter", "Filter", id="events.filter"),
        Binding("p", "toggle_pause", "Pause", id="events.pause"),
        Binding("i", "toggle_detail", "Details", id="events.detail"),
        Binding("c", "clear_events", "Clear", show=False, id="events.clear"),
        Binding("escape", "back", "Back", id="events.back"),
    ]

    @dataclass
    class EventsArrived(Message):
        """A batch of events from the feed worker."""

        events: tuple[EngineEvent, ...]

    @dataclass
    class FeedConnected(Message):
        """The feed is subscribed (again)."""

        reconnected: bool

    @dataclass
    class FeedFailed(Message):
        """The feed could not start or broke; the worker retries after ``retry_in`` seconds."""

        message: str
        hint: str | None
        retry_in: float

    def __init__(self, *, max_events: int = EVENT_BUFFER_SIZE, history_seconds: float = HISTORY_SECONDS,
                 types: tuple[str, ...] = FEED_TYPES, timezone=None, live: bool = True) -> None:
        super().__init__()
        self.max_events = max_events
        self.history_seconds = history_seconds
        self.types = types
        self._timezone = timezone
        self._live = live
        self._stop = threading.Event()
        self._feed_lock = threading.Lock()
        self._feed: EventFeed | None = None
        self._problem: str | None = None
        self._services = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="events-prompt"):
            yield Label("/", id="events-prompt-label")
            yield Input(placeholder="filter: text  re:regex  type=image action=die name=web  !inverse",
                        id="events-filter")
        yield EventTable(max_events=self.max_events, timezone=self._timezone, id="events-table")
        yield Static("", id="events-detail")
        yield Static("", id="events-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = "events"
        self.query_one(EventTable).focus()
        self._show_status()
        self._services = self.app.services  # read here: the worker thread must not reach for the app
        if self._live:
            self.follow_events()

    def on_unmount(self) -> None:
        self._close_feed()

    # -- the feed worker ---------------------------------------------------------------------

    def _close_feed(self) -> None:
        """Stop the worker and close the stream: that ends its blocking read at once."""
        self._stop.set()
        self.workers.cancel_group(self, "event-feed")
        with self._feed_lock:
            feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    @work(thread=True, exclusive=True, group="event-feed")
    def follow_events(self) -> None:
        """Subscribe, forward batches (about ten a second at most), resubscribe with backoff when it breaks."""
        worker = get_current_worker()
        since: float | int = time.time() - self.history_seconds if self.history_seconds > 0 else time.time()
        last_seen = 0
        delays = backoff_delays()
        reconnected = False
        while not worker.is_cancelled and not self._stop.is_set():
            try:
                feed = self._services.call(open_event_feed, types=self.types, since=since)
            except DockerForgeError as error:
                delay = next(delays)
                self.post_message(self.FeedFailed(error.message, error.hint, delay))
                self._stop.wait(delay)
                continue
            with self._feed_lock:
                if self._stop.is_set():
                    feed.close()
                    return
                self._feed = feed
            self.post_message(self.FeedConnected(reconnected))
            failure: DockerForgeError | None = None
            try:
                for batch in feed.batches():
                    if worker.is_cancelled:
                        return
                    fresh = tuple(event for event in batch if event.time_nano > last_seen)
                    if not fresh:
                        continue
                    last_seen = max(event.time_nano for event in fresh)
                    self._back_off(worker)
                    self.post_message(self.EventsArrived(fresh))
                delays = backoff_delays()
            except DockerForgeError as error:
                failure = error
            finally:
                feed.close()
            if worker.is_cancelled or self._stop.is_set():
                return
            # The stream ended or broke (the engine restarted): pick up where it left off.
            delay = next(delays)
            self.post_message(self.FeedFailed(failure.message if failure else "the engine closed the event stream",
                                              failure.hint if failure else None, delay))
            since = last_seen or since
            reconnected = True
            self._stop.wait(delay)

    def _back_off(self, worker: Worker) -> None:
        """Hold a batch back (a little) while the screen has a backlog; the next batch simply comes bigger."""
        deadline = time.monotonic() + MAX_HOLD
        while self.message_queue_size > QUEUE_BACKLOG and not worker.is_cancelled and time.monotonic() < deadline:
            time.sleep(BACKOFF_STEP)

    # -- messages ------------------------------------------------------------------------------

    @on(EventsArrived)
    def _events_arrived(self, message: EventsArrived) -> None:
        self.query_one(EventTable).add_events(message.events)

    @on(FeedConnected)
    def _feed_connected(self, message: FeedConnected) -> None:
        if self._problem is not None:
            self._problem = None
            if message.reconnected:
                self.notify("Following the engine's events again.", title="Events", timeout=4)
        self._show_status()

    @on(FeedFailed)
    def _feed_failed(self, message: FeedFailed) -> None:
        first = self._problem is None
        self._problem = f"{message.message} · retrying in {message.retry_in:g}s"
        if first:
            text = f"{message.message}\n{message.hint}" if message.hint else message.message
            self.notify(text, title="Event stream", severity="error", timeout=8, markup=False)
        self._show_status()

    @on(EventTable.ViewChanged)
    def _view_changed(self) -> None:
        self._show_status()
        self._show_detail()

    @on(EventTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        table = self.query_one(EventTable)
        if table.row_count and table.cursor_row < table.row_count - 1:
            table.stop_following()
        self._show_detail()

    @on(EventTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_toggle_detail()

    @on(Input.Changed, "#events-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        try:
            self.query_one(EventTable).set_filter(parse_event_filter(event.value))
            event.input.remove_class("-bad-filter")
        except FilterError as error:
            event.input.add_class("-bad-filter")
            self.query_one("#events-status", Static).update(str(error))

    @on(Input.Submitted, "#events-filter")
    def _filter_done(self) -> None:
        self.query_one(EventTable).focus()

    def _show_status(self) -> None:
        table = self.query_one(EventTable)
        parts = [f"{table.row_count} shown of {table.buffered} (max {table.max_events})"]
        if table.paused:
            parts.append(f"PAUSED · {table.held} new held")
        elif table.following:
            parts.append("following")
        else:
            parts.append(f"{table.new_below} new below · G follows")
        if table.filter.active:
            parts.append(f"filter: {table.filter.text}")
        if self._problem:
            parts.append(self._problem)
        self.query_one("#events-status", Static).update(" · ".join(parts))

    def _show_detail(self) -> None:
        panel = self.query_one("#events-detail", Static)
        if not panel.has_class("-open"):
            return
        selected = self.query_one(EventTable).selected_event
        panel.update(event_detail_text(selected, self._timezone) if selected else "No event selected.")

    # -- actions ---------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move down; at the newest event, follow again."""
        table = self.query_one(EventTable)
        if table.row_count and table.cursor_row >= table.row_count - 1:
            table.follow()
        else:
            table.action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move up (stops following)."""
        table = self.query_one(EventTable)
        table.stop_following()
        table.action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the oldest event shown (stops following)."""
        table = self.query_one(EventTable)
        table.stop_following()
        if table.row_count:
            table.move_cursor(row=0)

    def action_follow(self) -> None:
        """Jump to the newest event and follow."""
        self.query_one(EventTable).follow()

    def action_filter(self) -> None:
        """Show the filter bar and put the cursor in it."""
        prompt = self.query_one("#events-prompt")
        prompt.add_class("-open")
        self.query_one("#events-filter", Input).focus()

    def action_toggle_pause(self) -> None:
        """Freeze the feed on screen (events are still kept), or show what came meanwhile."""
        table = self.query_one(EventTable)
        table.set_paused(not table.paused)

    def action_toggle_detail(self) -> None:
        """Show or hide every attribute of the event under the cursor."""
        panel = self.query_one("#events-detail", Static)
        panel.toggle_class("-open")
        self._show_detail()

    def action_clear_events(self) -> None:
        """Forget the events shown so far."""
        self.query_one(EventTable).clear_events()

    def action_back(self) -> None:
        """Leave the filter bar, then clear the filter, then go back."""
        bar = self.query_one("#events-filter", Input)
        prompt = self.query_one("#events-prompt")
        table = self.query_one(EventTable)
        if bar.has_focus:
            table.focus()
            if not bar.value:
                prompt.remove_class("-open")
        elif bar.value:
            bar.value = ""
            table.set_filter(NO_EVENT_FILTER)
            prompt.remove_class("-open")
        elif self.query_one("#events-detail", Static).has_class("-open"):
            self.action_toggle_detail()
        else:
            self._close_feed()
            self.app.pop_screen()
