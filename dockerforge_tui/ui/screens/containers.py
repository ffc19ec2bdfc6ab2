"""The containers screen (home): every container, live from the engine's event stream."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import get_current_worker

from dockerforge_tui.services.docker.models import StatsSample
from dockerforge_tui.services.docker.watch import (
    ContainerChanged,
    ContainerRemoved,
    ContainersListed,
    ContainerWatcher,
    EngineConnected,
    EngineUnavailable,
    WatchUpdate,
)
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.engine_status import EngineStatus


class ContainersScreen(Screen):
    """Lists containers; follows the engine's events, samples stats for the rows on screen."""

    CSS_PATH = "../styles/containers.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="containers.down"),
        Binding("k", "cursor_up", "Up", show=False, id="containers.up"),
        Binding("g", "cursor_top", "Top", show=False, id="containers.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="containers.bottom"),
    ]

    @dataclass
    class WatchUpdated(Message):
        """The container watcher reported something (engine state or the list)."""

        update: WatchUpdate

    @dataclass
    class StatsSampled(Message):
        """A batch of the newest stats samples arrived."""

        samples: tuple[StatsSample, ...]

    def __init__(self, watcher: ContainerWatcher | None, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._watcher = watcher
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Header()
        yield EngineStatus(id="engine-status")
        yield ContainerTable(clock=self._clock, id="containers")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = "containers"
        self.query_one(ContainerTable).focus()
        if self._watcher is not None:
            self.query_one(EngineStatus).show_connecting()
            self.follow_containers()
            self.follow_stats()
        self.set_interval(1.0, self._tick)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()

    # -- workers: they only iterate services and post messages ----------------------

    @work(thread=True, exclusive=True, group="container-watch")
    def follow_containers(self) -> None:
        """Forward the watcher's updates to the screen until the screen goes away."""
        worker = get_current_worker()
        for update in self._watcher.updates():
            if worker.is_cancelled:
                break
            self.post_message(self.WatchUpdated(update))

    @work(thread=True, exclusive=True, group="container-stats")
    def follow_stats(self) -> None:
        """Forward stats batches (about one a second) to the screen."""
        worker = get_current_worker()
        for batch in self._watcher.stats.batches():
            if worker.is_cancelled:
                break
            self.post_message(self.StatsSampled(batch))

    # -- message handlers -------------------------------------------------------------

    @on(WatchUpdated)
    def _apply_watch_update(self, message: WatchUpdated) -> None:
        update = message.update
        table = self.query_one(ContainerTable)
        status = self.query_one(EngineStatus)
        if isinstance(update, ContainersListed):
            table.replace_containers(update.containers)
        elif isinstance(update, ContainerChanged):
            table.put_container(update.container)
        elif isinstance(update, ContainerRemoved):
            table.remove_container(update.container_id)
        elif isinstance(update, EngineConnected):
            status.show_connected()
            self.sub_title = f"{update.engine.endpoint} · engine {update.engine.engine_version or '?'}"
        elif isinstance(update, EngineUnavailable):
            status.show_unavailable(update)
            self.sub_title = "no engine"
        self._watch_visible_stats()

    @on(StatsSampled)
    def _apply_stats(self, message: StatsSampled) -> None:
        self.query_one(ContainerTable).show_stats(message.samples)

    @on(ContainerTable.RowHighlighted)
    def _cursor_moved(self) -> None:
        self._watch_visible_stats()

    def _tick(self) -> None:
        table = self.query_one(ContainerTable)
        table.refresh_uptimes()
        self._watch_visible_stats()

    def _watch_visible_stats(self) -> None:
        if self._watcher is not None:
            self._watcher.stats.watch(self.query_one(ContainerTable).visible_running_ids())

    # -- actions ------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.query_one(ContainerTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.query_one(ContainerTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the first row."""
        self.query_one(ContainerTable).action_scroll_top()

    def action_cursor_bottom(self) -> None:
        """Jump to the last row."""
        self.query_one(ContainerTable).action_scroll_bottom()
