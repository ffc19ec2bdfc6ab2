"""A terminal driver that reports a lone Escape as soon as the escape delay is over.

A terminal sends the Escape key as the same byte that starts every escape sequence (an
arrow key, a mouse report), so Textual's parser holds a lone ESC for the escape delay
(``ESCDELAY``, see ``ui.escape_delay``) in case more bytes follow. Textual's Linux/macOS
driver (8.x) reads the terminal in a loop of ``select(0.1)`` and checks that timer only
when ``select`` returns, so Escape reached the screen 100 to 200 ms after the key: on
every screen, Escape is "back". This driver waits in ``select`` only until the parser's
timer is due; everything else is Textual's loop, unchanged.

Terminals that speak the kitty keyboard protocol send an unambiguous Escape and never
wait; tmux and most SSH clients do not.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAIT = 0.1
"""Seconds ``select`` waits when no escape is pending (Textual's own value)."""


class PromptEscapeDriver(LinuxDriver):
    """:class:`LinuxDriver` whose input loop wakes up when a held Escape is due, not at its next 0.1 s tick."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual's loop, with the wait cut to the parser's timer)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            for last, (_key, mask) in loop_last(events):
                if mask & selectors.EVENT_READ:
                    text = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not text:  # stdin is piped and ended
                        break
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        def wait() -> float:
            # The parser's private timer (Textual 8): when it is not there, Textual's own tick.
            due = getattr(parser, "_timeout_time", None)
            return IDLE_WAIT if due is None else min(IDLE_WAIT, max(0.0, due - get_time()))

        try:
            while not self.exit_event.is_set():
                process(selector.select(wait()))
            selector.unregister(self.fileno)
            process(selector.select(IDLE_WAIT), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
