"""The chat pane's history: each question with its answer as Markdown, the answer streaming in as it arrives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from dockerforge_tui.services.ai.chat_history import ChatTurn
from dockerforge_tui.ui.presenters.chat import answer_markdown, question_line, turn_meta


class TurnView(Vertical):
    """One question, its answer and a line saying who answered, at what cost, and the rating."""

    DEFAULT_CSS = """
    TurnView {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    TurnView.-selected { background: $boost; border-left: thick $accent; }
    TurnView > .turn-question { color: $accent; text-style: bold; }
    TurnView > .turn-meta { color: $text-muted; }
    TurnView > Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, turn: ChatTurn) -> None:
        super().__init__(id=f"turn-{turn.id}")
        self.turn = turn
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Static(question_line(self.turn), classes="turn-question", markup=False)
        yield Markdown(answer_markdown(self.turn) if self.turn.outcome != "streaming" else self.turn.answer)
        yield Static(turn_meta(self.turn), classes="turn-meta", markup=False)

    async def append(self, text: str) -> None:
        """Add streamed text at the end.

        Through a :class:`MarkdownStream`: appends that arrive while the last one is still
        being laid out are joined into one, and each parses only the document's last block again.
        """
        self.turn = _with_answer(self.turn, self.turn.answer + text)
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        await self._stream.write(text)

    async def show(self, turn: ChatTurn) -> None:
        """Show the turn as it is now (finished, rated): an analysis is redrawn in its parts."""
        if self._stream is not None and turn.outcome != "streaming":
            stream, self._stream = self._stream, None
            await stream.stop()  # the text still queued is written first
        redraw = turn.answer != self.turn.answer or (turn.kind == "analysis" and turn.outcome != "streaming")
        self.turn = turn
        self.query_one(".turn-question", Static).update(question_line(turn))
        self.query_one(".turn-meta", Static).update(turn_meta(turn))
        if redraw:
            await self.query_one(Markdown).update(answer_markdown(turn))


def _with_answer(turn: ChatTurn, answer: str) -> ChatTurn:
    from dataclasses import replace

    return replace(turn, answer=answer)


class ChatTranscript(VerticalScroll, can_focus=True):
    """The turns of one conversation, oldest first; up/down choose the answer that ``+``/``-`` rate."""

    BINDINGS = [
        Binding("up,k", "select(-1)", "Previous answer", show=False, id="chat.previous_answer"),
        Binding("down,j", "select(1)", "Next answer", show=False, id="chat.next_answer"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._selected: int | None = None

    @property
    def turns(self) -> tuple[ChatTurn, ...]:
        """The turns shown, oldest first."""
        return tuple(view.turn for view in self.query(TurnView))

    @property
    def selected_turn(self) -> ChatTurn | None:
        """The answer the rating keys act on: the chosen one, else the newest."""
        views = list(self.query(TurnView))
        if not views:
            return None
        index = self._selected if self._selected is not None and self._selected < len(views) else len(views) - 1
        return views[index].turn

    async def show_turns(self, turns: tuple[ChatTurn, ...]) -> None:
        """Replace what is shown with these turns."""
        await self.remove_children(TurnView)  # before mounting: a turn shown again keeps its id
        self._selected = None
        if turns:
            await self.mount_all([TurnView(turn) for turn in turns])
        self.call_after_refresh(self.scroll_end, animate=False)

    def add_turn(self, turn: ChatTurn) -> None:
        """Show a new turn at the end and scroll to it."""
        self._selected = None
        self.mount(TurnView(turn))
        self._mark_selected()
        self.call_after_refresh(self.scroll_end, animate=False)

    async def append_answer(self, turn_id: str, text: str) -> None:
        """Streamed text for a turn's answer; follows the end while the view is at the end."""
        view = self._view(turn_id)
        if view is None:
            return
        following = self.is_vertical_scroll_end or self.max_scroll_y == 0
        await view.append(text)
        if following:
            self.call_after_refresh(self.scroll_end, animate=False)

    async def update_turn(self, turn: ChatTurn) -> None:
        """Show a turn's new state (finished, cancelled, rated)."""
        view = self._view(turn.id)
        if view is not None:
            await view.show(turn)

    def action_select(self, step: int) -> None:
        """Choose the previous or next answer (for rating)."""
        views = list(self.query(TurnView))
        if not views:
            return
        current = self._selected if self._selected is not None else len(views) - 1
        self._selected = max(0, min(len(views) - 1, current + step))
        self._mark_selected()
        views[self._selected].scroll_visible(animate=False)

    def on_focus(self) -> None:
        self._mark_selected()

    def on_blur(self) -> None:
        for view in self.query(TurnView):
            view.remove_class("-selected")

    def _mark_selected(self) -> None:
        chosen = self.selected_turn if self.has_focus else None
        for view in self.query(TurnView):
            view.set_class(chosen is not None and view.turn.id == chosen.id, "-selected")

    def _view(self, turn_id: str) -> TurnView | None:
        try:
            return self.query_one(f"#turn-{turn_id}", TurnView)
        except NoMatches:  # the turn is not shown (the pane moved to another conversation)
            return None
