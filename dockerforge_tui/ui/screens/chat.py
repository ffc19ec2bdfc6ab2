"""The AI chat pane (``A`` anywhere, ``:chat``): ask about what is selected, beside the screen it was opened on.

The pane is a modal screen whose left part is transparent, so the screen below stays in
view; below 100 columns it takes the whole width. What was selected there (a container,
a finding, a compose service) is attached as chips, removable by keyboard before sending.

Every model call goes through the shared pipeline, :class:`~dockerforge_tui.services.ai.assistant.Assistant`,
in thread workers: ``prepare`` (reads the container once, redacts, fits the budget,
estimates the cost) then ``stream``. Workers reach the widgets only through the messages
below; streamed text is batched to about ten messages a second, and the Markdown widget
parses only its last block again on each append. Above ``ai.confirm_above`` the estimate
is confirmed in the usual dialog before anything is sent. Esc cancels a running answer,
a second Esc closes the pane. Answers are kept per container (``ai-chat.json``) and shown
again when the pane reopens on that container; ``+``/``-`` rate the chosen answer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.ai.base import CancelToken
from dockerforge_tui.services.ai.chat_history import ChatHistory, ChatTurn
from dockerforge_tui.ui.presenters.chat import (
    ContextChip, conversation_of, estimate_line, finding_question, money, turn_meta, usage_line,
)
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.widgets.chat_chips import ContextChips
from dockerforge_tui.ui.widgets.chat_transcript import ChatTranscript

if TYPE_CHECKING:
    from textual.app import App

    from dockerforge_tui.core.config import Settings
    from dockerforge_tui.core.paths import AppPaths
    from dockerforge_tui.services.ai.assistant import Assistant, AssistantStream, PreparedCall
    from dockerforge_tui.services.issues import Issue, Observation
    from dockerforge_tui.services.logs import PatternSet

log = logging.getLogger(__name__)

ASK_TEMPLATE = "ask"
ANALYSIS_TEMPLATE = "diagnose"
CHUNK_INTERVAL = 0.1
"""Seconds between two messages of streamed text: about ten screen updates a second."""
STRUCTURED_PENDING = "_Receiving a structured answer; it is shown in its parts when complete…_"
"""What an answer asked for as JSON shows while it streams."""
TURNS_SHOWN = 20
"""Earlier turns shown when the pane opens (each is a Markdown document to lay out); the history keeps more."""


class ChatScreen(ModalScreen[None]):
    """Ask the AI about the attached context; see the module docstring."""

    CSS_PATH = "../styles/chat.tcss"
    AUTO_FOCUS = "#chat-input"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("escape", "cancel_or_close", "Cancel/close", id="chat.close",
                tooltip="Cancel the answer being written; when none is, close the pane"),
        Binding("plus", "rate(1)", "Thumbs up", id="chat.rate_up", tooltip="Rate the chosen answer as helpful"),
        Binding("minus", "rate(-1)", "Thumbs down", id="chat.rate_down", tooltip="Rate the chosen answer as unhelpful"),
        Binding("delete,backspace,x", "remove_chip", "Remove chip", id="chat.remove_chip",
                tooltip="Leave the chip under the cursor out of the question"),
        Binding("ctrl+t", "app.ai_usage", "AI usage", id="chat.usage", tooltip="Spending, budgets and savings"),
    ]

    # -- messages from the workers ----------------------------------------------------------------

    @dataclass
    class HistoryLoaded(Message):
        """The conversation's earlier turns, read from the history."""

        turns: tuple[ChatTurn, ...]

    @dataclass
    class Prepared(Message):
        """The request is ready: context read and redacted, template chosen, cost estimated."""

        turn: ChatTurn
        prepared: "PreparedCall"
        token: CancelToken

    @dataclass
    class AnswerChunk(Message):
        """Streamed text (a batch of chunks) for one turn's answer."""

        turn_id: str
        text: str

    @dataclass
    class AnswerEnded(Message):
        """The answer is complete, cancelled or failed; the turn is saved in the history."""

        turn: ChatTurn

    @dataclass
    class Failed(Message):
        """Reading the history or recording a rating failed; ``text`` is the one-line reason."""

        text: str

    @dataclass
    class RatingSaved(Message):
        """A rating reached the history (and the template statistics)."""

        turn: ChatTurn

    def __init__(self, chips: tuple[ContextChip, ...] = (), *, history: ChatHistory,
                 assistant_factory: Callable[[], "Assistant"] | None, not_configured: str | None = None,
                 conversation: str | None = None, question: str | None = None, kind: str = "ask",
                 observations: dict[str, "Observation"] | None = None) -> None:
        """``assistant_factory`` builds the shared pipeline (in a worker, on first use); ``not_configured``
        is the one line shown instead when no provider is configured. With ``question`` the pane sends it
        at once (``kind="analysis"`` runs the analysis template, for "why is X failing")."""
        super().__init__()
        self._initial_chips = tuple(chips)
        self._history = history
        self._assistant_factory = assistant_factory
        self._assistant: "Assistant | None" = None
        self._assistant_lock = threading.Lock()  # the prepare and rating workers may both build it first
        self._not_configured = not_configured
        self.conversation = conversation or conversation_of(chips)
        self._question = question
        self._kind = kind
        self._observations = dict(observations or {})
        self._in_flight: tuple[str, CancelToken] | None = None
        self._session_cost = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="chat-panel"):
            yield Static(f"AI chat · {self.conversation}", id="chat-title", markup=False)
            yield ChatTranscript(id="chat-transcript")
            yield ContextChips(self._initial_chips, id="chat-chips")
            yield Static("", id="chat-counter", markup=False)
            yield Input(placeholder="Ask about the attached context; enter sends", id="chat-input")
            yield Static("enter send · tab move · del drop chip · +/- rate · esc stop/close",
                         id="chat-keys", markup=False)

    def on_mount(self) -> None:
        if self._not_configured:
            self._show_counter(self._not_configured)
            self.query_one("#chat-counter").add_class("-problem")
        self.load_history()

    # -- state the tests and the app read -----------------------------------------------------------

    @property
    def chips(self) -> tuple[ContextChip, ...]:
        """The chips still attached."""
        return self.query_one(ContextChips).chips

    @property
    def streaming(self) -> bool:
        """An answer is being prepared or written."""
        return self._in_flight is not None

    @property
    def counter_text(self) -> str:
        """What the token and cost counter says now."""
        return str(self.query_one("#chat-counter", Static).render())

    # -- workers ---------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="chat-history")
    def load_history(self) -> None:
        """Read this conversation's earlier turns."""
        try:
            turns = self._history.turns(self.conversation)
        except DockerForgeError as error:
            self.post_message(self.Failed(_one_line(error)))
            return
        self.post_message(self.HistoryLoaded(turns))

    @work(thread=True, exclusive=True, group="chat-prepare")
    def prepare(self, turn: ChatTurn, chips: tuple[ContextChip, ...], token: CancelToken) -> None:
        """Build the request through the shared pipeline (reads the container once) and estimate its cost."""
        container = next((chip.container for chip in chips if chip.container), None)
        observation = next((self._observations[chip.issue_id] for chip in chips
                            if chip.issue_id and chip.issue_id in self._observations), None)
        template = ANALYSIS_TEMPLATE if turn.kind == "analysis" else ASK_TEMPLATE
        try:
            assistant = self._get_assistant()
            # An analysis asks the template's own question ("why is it failing"); a question is sent as typed.
            prepared = assistant.prepare(None if turn.kind == "analysis" else turn.question, container=container,
                                         observation=observation, template=template)
            if prepared.needs_confirmation:
                # A call the budget stops anyway is refused before anyone is asked to confirm its cost.
                assistant.refuse_if_over_budget(prepared)
        except DockerForgeError as error:
            self._end_failed(turn, error)
            return
        except Exception as error:  # an SDK or engine bug must not take the dashboard down
            log.exception("preparing the AI request failed")
            self._end_failed(turn, DockerForgeError(f"preparing the request failed: {error}"))
            return
        if token.cancelled or get_current_worker().is_cancelled:
            self._end_cancelled(turn)
            return
        self.post_message(self.Prepared(turn, prepared, token))

    @work(thread=True, exclusive=True, group="chat-stream")
    def stream_answer(self, turn: ChatTurn, prepared: "PreparedCall", token: CancelToken) -> None:
        """Stream the answer in batches of about a tenth of a second; save the turn when it ends."""
        worker = get_current_worker()
        chunks: list[str] = []
        pending: list[str] = []
        last_post = time.monotonic()
        stream: "AssistantStream | None" = None
        error: DockerForgeError | None = None
        try:
            stream = self._get_assistant().stream(prepared, cancel=token)
            for chunk in stream:
                if worker.is_cancelled:  # the pane was closed: stop the request, keep what arrived
                    token.cancel()
                chunks.append(chunk)
                if prepared.structured_output:
                    # JSON is shown in its parts once complete; until then one line says it is coming.
                    if len(chunks) == 1:
                        self.post_message(self.AnswerChunk(turn.id, STRUCTURED_PENDING))
                    continue
                pending.append(chunk)
                now = time.monotonic()
                if now - last_post >= CHUNK_INTERVAL:
                    self.post_message(self.AnswerChunk(turn.id, "".join(pending)))
                    pending.clear()
                    last_post = now
        except DockerForgeError as failure:
            error = failure
        except Exception as failure:  # an SDK bug must not take the dashboard down: say it in one line
            log.exception("the AI answer failed")
            error = DockerForgeError(f"the answer failed: {failure}")
        if pending:
            self.post_message(self.AnswerChunk(turn.id, "".join(pending)))
        finished = _finished_turn(turn, stream, "".join(chunks), token.cancelled, error)
        self._save_and_post(finished)

    @work(thread=True, group="chat-rating")
    def save_rating(self, turn: ChatTurn, rating: int) -> None:
        """Record the rating in the history and, for the template statistics, with the call."""
        try:
            rated = self._history.rate(turn.id, rating) or replace(turn, rating=rating)
            if turn.call_id:
                self._get_assistant().rate(turn.call_id, rating)
        except DockerForgeError as error:
            self.post_message(self.Failed(_one_line(error)))
            return
        self.post_message(self.RatingSaved(rated))

    def _get_assistant(self) -> "Assistant":
        # Built on first use, in a worker: it may read keys and prices from disk.
        with self._assistant_lock:
            if self._assistant is None:
                if self._assistant_factory is None:
                    raise DockerForgeError(self._not_configured or "no AI provider is configured")
                self._assistant = self._assistant_factory()
            return self._assistant

    def _end_failed(self, turn: ChatTurn, error: DockerForgeError) -> None:
        self._save_and_post(replace(turn, outcome=type(error).__name__, error=_one_line(error)))

    def _end_cancelled(self, turn: ChatTurn) -> None:
        self._save_and_post(replace(turn, outcome="cancelled"))

    def _save_and_post(self, turn: ChatTurn) -> None:
        try:
            turn = self._history.save(turn)
        except DockerForgeError as error:
            turn = replace(turn, error=f"{turn.error or ''} (not saved: {error.message})".strip())
        self.post_message(self.AnswerEnded(turn))

    # -- handlers ---------------------------------------------------------------------------------------

    @on(HistoryLoaded)
    async def _history_loaded(self, message: HistoryLoaded) -> None:
        transcript = self.query_one(ChatTranscript)
        streaming = [turn for turn in transcript.turns if turn.outcome == "streaming"]
        await transcript.show_turns(message.turns[-TURNS_SHOWN:] + tuple(streaming))
        if message.turns and not self._not_configured and not self.streaming:
            last = message.turns[-1]
            if last.provider:
                self._show_counter(f"last: {usage_line(last)}")
        if self._question:
            question, self._question = self._question, None
            self.send(question, kind=self._kind)

    @on(Input.Submitted, "#chat-input")
    def _submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if question:
            if self.send(question):
                event.input.value = ""

    def send(self, question: str, kind: str = "ask") -> bool:
        """Ask ``question`` with the chips still attached; False when it cannot be sent now."""
        if self._not_configured:
            self.notify(self._not_configured, severity="warning")
            return False
        if self._in_flight is not None:
            self.notify("an answer is still being written: esc cancels it", severity="warning")
            return False
        chips = self.chips
        turn = ChatTurn(self.conversation, question, attached=tuple(chip.text for chip in chips), kind=kind,
                        outcome="streaming")
        token = CancelToken()
        self._in_flight = (turn.id, token)
        self.query_one(ChatTranscript).add_turn(turn)
        self._show_counter("reading the context and estimating the cost…")
        self.prepare(turn, chips, token)
        return True

    @on(Prepared)
    async def _prepared(self, message: Prepared) -> None:
        prepared, token = message.prepared, message.token
        # What went in, as the pipeline labels it ("logs: 12 of 40 distinct lines"...), replaces the chips' labels.
        turn = replace(message.turn, estimated_cost=prepared.estimated_cost, template=prepared.template_label,
                       attached=prepared.attached or message.turn.attached)
        await self.query_one(ChatTranscript).update_turn(turn)
        if token.cancelled:
            self.save_turn(replace(turn, outcome="cancelled"))
            return
        estimate = estimate_line(prepared.input_tokens, prepared.estimated_cost, prepared.provider, prepared.model,
                                 prepared.max_output_tokens or None)
        extra = [text for text in (prepared.budget_warning, *prepared.notes) if text]
        self._show_counter(" · ".join([estimate, *extra]))
        if not prepared.needs_confirmation:
            self.stream_answer(turn, prepared, token)
            return

        def decided(send: bool | None) -> None:
            if send and not token.cancelled:
                self.stream_answer(turn, prepared, token)
            else:
                token.cancel()
                self.save_turn(replace(turn, outcome="cancelled", error=f"not sent ({estimate})"))

        reason = prepared.confirmation_reason or "above ai.confirm_above"
        self.app.push_screen(ConfirmScreen("Send this question?", f"{estimate}\n\nThe estimated cost is {reason}.",
                                           confirm_label="Send"), decided)

    @work(thread=True, group="chat-save")
    def save_turn(self, turn: ChatTurn) -> None:
        """Keep a turn that ended before its answer began (cancelled, or its estimate refused)."""
        self._save_and_post(turn)

    @on(AnswerChunk)
    async def _chunk(self, message: AnswerChunk) -> None:
        await self.query_one(ChatTranscript).append_answer(message.turn_id, message.text)

    @on(AnswerEnded)
    async def _ended(self, message: AnswerEnded) -> None:
        turn = message.turn
        if self._in_flight is not None and self._in_flight[0] == turn.id:
            self._in_flight = None
        await self.query_one(ChatTranscript).update_turn(turn)
        if turn.outcome == "ok":
            self._session_cost += turn.cost or 0.0
            session = f" · this session {money(self._session_cost)}" if self._session_cost else ""
            self._show_counter(usage_line(turn) + session)
        elif turn.outcome == "cancelled":
            self._show_counter(turn.error or turn_meta(turn))
        else:
            self._show_counter(turn.error or turn.outcome)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.notify(message.text, severity="error")

    @on(RatingSaved)
    async def _rating_saved(self, message: RatingSaved) -> None:
        await self.query_one(ChatTranscript).update_turn(message.turn)

    @on(ContextChips.ChipRemoved)
    def _chip_removed(self, message: ContextChips.ChipRemoved) -> None:
        if message.chip.kind == "container" and any(chip.kind == "finding" for chip in self.chips):
            # The pipeline reads the container a finding was seen in: say so rather than surprise.
            self.notify("the finding still brings its container's state and logs; remove it too to leave them out",
                        severity="information")
        if not self.chips:
            self.query_one("#chat-input", Input).focus()

    # -- actions -----------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_chip":
            return self.focused is self.query_one(ContextChips)
        if action == "rate":
            return self.focused is self.query_one(ChatTranscript)
        return True

    def action_cancel_or_close(self) -> None:
        """Cancel the answer being prepared or written; when none is, close the pane."""
        if self._in_flight is not None:
            turn_id, token = self._in_flight
            token.cancel()
            self._show_counter("cancelling…")
            return
        self.dismiss(None)

    def action_remove_chip(self) -> None:
        """Leave the chip under the cursor out of the next question."""
        self.query_one(ContextChips).remove_current()

    def action_rate(self, rating: int) -> None:
        """Rate the chosen answer: +1 helpful, -1 not."""
        turn = self.query_one(ChatTranscript).selected_turn
        if turn is None or turn.outcome != "ok":
            self.notify("no finished answer to rate here", severity="warning")
            return
        self.save_rating(turn, rating)

    def _show_counter(self, text: str) -> None:
        self.query_one("#chat-counter", Static).update(text)


def _finished_turn(turn: ChatTurn, stream: "AssistantStream | None", answer: str, cancelled: bool,
                   error: DockerForgeError | None) -> ChatTurn:
    """The turn once its stream ended, with who answered, the tokens and the cost the pipeline recorded."""
    outcome = type(error).__name__ if error is not None else ("cancelled" if cancelled else "ok")
    if stream is None:  # no provider accepted the request
        return replace(turn, answer=answer, outcome=outcome, error=_one_line(error) if error is not None else None)
    return replace(
        turn, answer=answer, outcome=outcome, error=_one_line(error) if error is not None else None,
        provider=stream.answered_by, model=stream.model, call_id=stream.call_id,
        input_tokens=stream.usage.input_tokens, output_tokens=stream.usage.output_tokens, cost=stream.cost_usd)


def _one_line(error: DockerForgeError) -> str:
    return error.message + (f" ({error.hint})" if error.hint else "")


# -- opening the pane from the app -----------------------------------------------------------------------


def not_configured_line(settings: "Settings") -> str | None:
    """The one line the pane shows when no provider can answer (``ai.provider: none`` and no fallback)."""
    from dockerforge_tui.services.ai.providers.none import HINT, NOT_CONFIGURED

    names = {settings.ai.provider, *settings.ai.fallback}
    return f"{NOT_CONFIGURED}: {HINT}" if names <= {"none"} else None


def assistant_factory(app: "App") -> Callable[[], "Assistant"]:
    """Build the shared AI pipeline with the app's settings, engine, key store and usage ledger (called in a worker)."""
    settings = app.services.settings
    connector = app.services.engine.connector
    paths = app.paths

    def build() -> "Assistant":
        from dockerforge_tui.services.ai.assistant import Assistant

        return Assistant.for_paths(settings, paths, connect=connector, env=dict(os.environ),
                                   patterns=lambda: _user_patterns(paths))

    return build


def _user_patterns(paths: "AppPaths") -> "PatternSet | None":
    """The packaged patterns plus the user's pattern folder, or None (the packaged set) when it has none."""
    from dockerforge_tui.services.logs import load_patterns
    from dockerforge_tui.services.logs.learning import user_patterns_dir

    folder = user_patterns_dir(paths)
    if not folder.is_dir() or not any(path.suffix in (".yaml", ".yml") for path in folder.iterdir()):
        return None
    return load_patterns(folder)


def observation_of(issue: "Issue") -> "Observation":
    """The finding an issue stands for, as the analysis template's context wants it."""
    from dockerforge_tui.services.issues import ContainerRef, Observation

    name = issue.containers[-1] if issue.containers else issue.container_key
    return Observation(source=issue.sources[0] if issue.sources else "log", category=issue.category,
                       severity=issue.severity, pattern_id=issue.pattern_id,
                       container=ContainerRef(id=name, name=name, compose_project=issue.compose_project,
                                              compose_service=issue.compose_service),
                       message=issue.message, timestamp=issue.last_seen, evidence=issue.evidence,
                       explanation=issue.explanation, recommendations=issue.recommendations, actions=issue.actions)


def chips_for(app: "App", screen: "Screen") -> tuple[tuple[ContextChip, ...], dict[str, "Observation"]]:
    """What is selected on ``screen`` as chips (and the findings behind the finding chips)."""
    name = type(screen).__name__
    names = {container.id: container.name for container in _shown(app)}
    chips: list[ContextChip] = []
    observations: dict[str, "Observation"] = {}
    if name == "ContainersScreen":
        from dockerforge_tui.ui.widgets.container_table import ContainerTable

        selected = screen.query_one(ContainerTable).selected_container
        if selected is not None:
            chips.append(ContextChip("container", selected.name, container=selected.name))
    elif name == "ContainerDetailScreen":
        chips.append(ContextChip("container", screen.container_name, container=screen.container_name))
    elif name == "StatsScreen":
        selected = screen.selected_id()
        if selected:
            label = names.get(selected, selected[:12])
            chips.append(ContextChip("container", label, container=label))
    elif name == "LogsScreen" and getattr(screen, "containers", ()):
        first = screen.containers[0]
        label = names.get(first, first).lstrip("/")
        chips.append(ContextChip("container", label, container=label))
    elif name == "IssuesScreen":
        issue = getattr(screen, "selected_issue", None)
        if issue is not None:
            chips.extend(finding_chips(issue))
            observations[issue.id] = observation_of(issue)
    elif name == "ComposeScreen":
        project = screen.selected_project
        if project is not None and project.services:
            # The first service with a stopped container is the likelier question; else the first one.
            service = next((service for service in project.services if service.running < len(service.containers)),
                           project.services[0])
            container = service.containers[0] if service.containers else None
            chips.append(ContextChip("service", f"{project.name}/{service.name}", container=container))
    return tuple(chips), observations


def finding_chips(issue: "Issue") -> list[ContextChip]:
    """A finding chip, and the chip of the container it was last seen in."""
    chips = [ContextChip("finding", issue.title, issue_id=issue.id)]
    if issue.containers:
        chips.append(ContextChip("container", issue.containers[-1], container=issue.containers[-1]))
    return chips


def _shown(app: "App") -> tuple:
    try:
        return tuple(app.shown_containers())
    except StopIteration:  # no containers screen below: names stay as given
        return ()


def open_chat(app: "App", *, issue: "Issue | None" = None, analyze: str | None = None) -> None:
    """Open the chat pane over the current screen.

    With ``issue`` (a finding) or ``analyze`` (a container name) it asks at once why it
    fails, with the analysis template; otherwise it attaches what the screen has selected.
    """
    if isinstance(app.screen, ChatScreen):
        return
    if any(isinstance(screen, ChatScreen) for screen in app.screen_stack):
        # Opened from the chat (the usage view): go back to that pane rather than stack a second one.
        while not isinstance(app.screen, ChatScreen):
            app.pop_screen()
        return
    settings = app.services.settings
    not_configured = not_configured_line(settings)
    if issue is not None:
        chips, observations = tuple(finding_chips(issue)), {issue.id: observation_of(issue)}
        question = finding_question(issue.title, issue.containers[-1] if issue.containers else None)
        kind = "analysis"
    elif analyze:
        chips, observations = (ContextChip("container", analyze, container=analyze),), {}
        question, kind = finding_question(None, analyze), "analysis"
    else:
        chips, observations = chips_for(app, app.screen)
        question, kind = None, "ask"
    from dockerforge_tui.core.redaction import Redactor

    history = ChatHistory.for_paths(app.paths, redactor=Redactor(settings.redaction.values,
                                                                 settings.redaction.key_patterns))
    app.push_screen(ChatScreen(chips, history=history,
                               assistant_factory=None if not_configured else assistant_factory(app),
                               not_configured=not_configured, question=question, kind=kind,
                               observations=observations))
