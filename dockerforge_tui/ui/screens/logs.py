"""The live logs screen: one container, several, or a compose project, merged into one pane."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Label
from textual.worker import Worker, get_current_worker

from dockerforge_tui.core.atomic import atomic_write_text
from dockerforge_tui.core.config import LogsSettings, default_settings
from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.logs.collector import LogLine, LogSelector
from dockerforge_tui.ui.presenters import logs as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.log_pane import LogPane

QUEUE_BACKLOG = 8
"""Messages waiting in the screen's queue above which the stream worker holds lines back."""
BACKOFF_STEP = 0.05
MAX_HOLD = 0.5
"""Longest the worker waits for the queue to drain before it posts anyway (seconds)."""


class LogStream(Protocol):
    """What the screen needs of a log collector: batches of lines, and a way to stop them."""

    def batches(self) -> Iterator[tuple[LogLine, ...]]: ...

    def close(self) -> None: ...


CollectorFactory = Callable[[LogSelector, "int | None"], LogStream]
"""Builds the collector for a selector; the second argument is how many seconds back to start
(``None``: the usual tail), e.g.::

    lambda selector, since_seconds: LogCollector.from_settings(
        open_connection, selector, settings.logs,
        since=None if since_seconds is None else time.time() - since_seconds)

The screen also drops lines older than that itself, so a factory that ignores it still
shows the right range (read from the containers' tails)."""


class LogsScreen(Screen):
    """Streams logs into a :class:`LogPane`; ``/`` searches, ``ctrl+s`` saves, ``escape`` goes back.

    ``containers`` (names or ids) or ``project`` (a compose project) say whose logs.
    ``open_collector`` builds the collector for them (see :data:`CollectorFactory`); it is
    called in the stream's worker thread, and again whenever the range keys restart the
    stream. ``None`` streams nothing, for snapshot tests that post :class:`LinesArrived`
    themselves.
    """

    CSS_PATH = "../styles/logs.tcss"

    BINDINGS = [
        Binding("slash", "search", "Search", id="logs.search", tooltip="Search the lines (re: for a regex)"),
        Binding("ctrl+s", "save", "Save", id="logs.save", tooltip="Save the lines shown to a file"),
        Binding("escape", "back", "Back", id="logs.back", tooltip="Close the prompt, or go back"),
    ]

    @dataclass
    class LinesArrived(Message):
        """A batch of log lines from the stream worker.

        It carries lines, so it never replaces another (``can_replace`` stays False):
        coalescing happens at the producer, whose batches (about ten a second) simply
        grow while the worker backs off from a long queue.
        """

        lines: tuple[LogLine, ...]
        generation: int = 0
        """Which stream sent it: batches of a stream replaced by a new range are dropped."""

    @dataclass
    class StreamStopped(Message):
        """The stream ended (containers gone) or failed (``message`` and ``hint`` say why)."""

        message: str | None
        hint: str | None = None
        generation: int = 0

    @dataclass
    class BufferSaved(Message):
        """The lines shown were written to ``path`` (or not: ``error``)."""

        path: Path
        lines: int
        error: str | None = None

    def __init__(self, containers: Sequence[str] = (), *, project: str | None = None,
                 open_collector: CollectorFactory | None = None, settings: LogsSettings | None = None,
                 timezone: tzinfo | None = None, save_dir: Path | None = None,
                 clock: Callable[[], float] = time.time, search: str | None = None) -> None:
        """``search`` starts the view searching for that text (an issue's evidence line)."""
        super().__init__()
        self._initial_search = search
        if not containers and not project:
            raise ValueError("LogsScreen needs container names or ids, or a compose project")
        self.containers = tuple(containers)
        self.project = project
        self._open_collector = open_collector
        self._settings = settings or default_settings().logs
        self._timezone = timezone
        self._save_dir = save_dir
        self._clock = clock
        self._since: int | None = None
        self._generation = 0
        self._stream: LogStream | None = None
        # Hands the open collector from the worker thread to the UI thread (which closes it).
        self._stream_lock = threading.Lock()
        self._prompt_mode: str | None = None

    @property
    def label(self) -> str:
        """What the screen shows the logs of, in a few words."""
        if self.project:
            return f"project {self.project}"
        return ", ".join(name.lstrip("/") for name in self.containers)

    def compose(self) -> ComposeResult:
        yield Header()
        yield LogPane(max_lines=self._settings.buffer_lines, max_bytes=int(self._settings.buffer_bytes),
                      timezone=self._timezone, id="log-pane")
        with Horizontal(id="log-prompt"):
            yield Label("/", id="log-prompt-label")
            yield Input(id="log-prompt-input")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = f"logs · {self.label}"
        self.query_one(LogPane).focus()
        if self._initial_search:
            self.query_one(LogPane).search(self._initial_search)
        self._start_stream()

    def on_unmount(self) -> None:
        self._stop_stream()

    # -- the stream -----------------------------------------------------------------------

    @property
    def selector(self) -> LogSelector:
        """The collector's selector for the containers or project this screen shows."""
        if self.project:
            return LogSelector.for_project(self.project)
        return LogSelector.for_containers(*self.containers)

    def _start_stream(self) -> None:
        if self._open_collector is None:
            return
        self._generation += 1
        cutoff_ns = None
        if self._since is not None:
            cutoff_ns = int((self._clock() - self._since) * present.NANOSECONDS)
        self.stream_logs(self.selector, self._since, cutoff_ns, self._generation)

    def _stop_stream(self) -> None:
        """Cancel the worker and close its collector: that ends the worker's blocking read."""
        self.workers.cancel_group(self, "log-stream")
        with self._stream_lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    @work(thread=True, exclusive=True, group="log-stream")
    def stream_logs(self, selector: LogSelector, since_seconds: int | None, cutoff_ns: int | None,
                    generation: int) -> None:
        """Forward the collector's batches to the screen until cancelled or the stream ends.

        Lines stamped before ``cutoff_ns`` are dropped here, in case the collector was
        not told where to start (its tail holds at least as much as the pane keeps).
        """
        worker = get_current_worker()
        try:
            stream = self._open_collector(selector, since_seconds)
        except DockerForgeError as error:
            self.post_message(self.StreamStopped(error.message, error.hint, generation))
            return
        with self._stream_lock:
            # Cancelled before the handle is published: nobody else will close this collector.
            cancelled = worker.is_cancelled
            if not cancelled:
                self._stream = stream
        reason: DockerForgeError | None = None
        try:
            if cancelled:
                return
            for batch in stream.batches():
                if worker.is_cancelled:
                    return
                if cutoff_ns is not None and batch and min(line.engine_ts_ns for line in batch) < cutoff_ns:
                    batch = tuple(line for line in batch if line.engine_ts_ns >= cutoff_ns)
                if not batch:
                    continue
                self._back_off(worker)
                self.post_message(self.LinesArrived(tuple(batch), generation))
        except DockerForgeError as error:
            reason = error
        finally:
            stream.close()
        if not worker.is_cancelled:
            self.post_message(self.StreamStopped(reason.message if reason else None,
                                                 reason.hint if reason else None, generation))

    def _back_off(self, worker: Worker) -> None:
        """Wait (a little) while the screen has a backlog of messages, so a flood can't starve the keys.

        Meanwhile the collector keeps batching, so the next batch simply comes bigger.
        """
        deadline = time.monotonic() + MAX_HOLD
        while self.message_queue_size > QUEUE_BACKLOG and not worker.is_cancelled and time.monotonic() < deadline:
            time.sleep(BACKOFF_STEP)

    @on(LinesArrived)
    def _show_lines(self, message: LinesArrived) -> None:
        if message.generation == self._generation:
            self.query_one(LogPane).append_lines(message.lines)

    @on(StreamStopped)
    def _stream_stopped(self, message: StreamStopped) -> None:
        if message.generation != self._generation:
            return
        if message.message:
            self.notify(f"{message.message}\n{message.hint}" if message.hint else message.message,
                        title="Log stream stopped", severity="error", timeout=10)
        else:
            self.notify(f"The log stream of {self.label} ended.", title="Logs", timeout=4)

    @on(LogPane.RangeRequested)
    def _restart_stream(self, message: LogPane.RangeRequested) -> None:
        """Start over with lines from ``since_seconds`` ago: the pane is emptied and refilled."""
        self._since = message.since_seconds
        self._stop_stream()
        message.pane.clear()
        self._start_stream()

    # -- prompt: search and save ----------------------------------------------------------

    def action_search(self) -> None:
        """Open the search prompt (``re:`` prefix for a regex)."""
        self._open_prompt("search", "/", self.query_one(LogPane).search_text,
                          "search (case-insensitive; re: for a regex)")

    def action_save(self) -> None:
        """Open the save prompt, prefilled with a file name in the current directory."""
        if self.project:
            subject = self.project
        else:
            subject = self.containers[0] if len(self.containers) == 1 else "merged"
        name = present.default_save_name(subject, self._clock())
        directory = self._save_dir if self._save_dir is not None else Path.cwd()
        self._open_prompt("save", "save to", str(directory / name), "path of the file to write")

    def action_back(self) -> None:
        """Close the open prompt; without one, leave the logs screen."""
        if self._prompt_mode is not None:
            self._close_prompt()
            return
        self._stop_stream()
        self.app.pop_screen()

    def _open_prompt(self, mode: str, label: str, value: str, placeholder: str) -> None:
        self._prompt_mode = mode
        self.query_one("#log-prompt-label", Label).update(label)
        prompt = self.query_one("#log-prompt-input", Input)
        prompt.placeholder = placeholder
        prompt.value = value
        prompt.remove_class("-invalid")
        self.query_one("#log-prompt").add_class("-open")
        prompt.focus()
        prompt.cursor_position = len(value)

    def _close_prompt(self) -> None:
        self._prompt_mode = None
        self.query_one("#log-prompt").remove_class("-open")
        self.query_one(LogPane).focus()

    @on(Input.Submitted, "#log-prompt-input")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        pane = self.query_one(LogPane)
        if self._prompt_mode == "search":
            if pane.search(event.value):
                self._close_prompt()
            else:  # invalid regex: the pane shows why; keep the prompt open to fix it
                event.input.add_class("-invalid")
        elif self._prompt_mode == "save":
            text = event.value.strip()
            if not text:
                return
            path = Path(text).expanduser()
            if not path.is_absolute():
                path = (self._save_dir if self._save_dir is not None else Path.cwd()) / path
            self._close_prompt()
            self.save_lines(path, pane.export_text(), len(pane.rows.visible))

    @work(thread=True, group="log-save")
    def save_lines(self, path: Path, text: str, lines: int) -> None:
        """Write the lines atomically (a crash never leaves half a file), off the UI thread."""
        try:
            atomic_write_text(path, text)
        except OSError as error:
            self.post_message(self.BufferSaved(path, lines, error.strerror or str(error)))
            return
        self.post_message(self.BufferSaved(path, lines))

    @on(BufferSaved)
    def _saved(self, message: BufferSaved) -> None:
        if message.error:
            self.notify(f"Could not save {message.path}: {message.error}", title="Save", severity="error")
        else:
            self.notify(f"Saved {present.format_count(message.lines)} lines to {message.path}", title="Save")
