"""`dockerforge` in a real terminal: a tmux session to send keys to and read with capture-pane."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

DOCKERFORGE = Path(sys.executable).with_name("dockerforge")
SOCKET = "dockerforge-tests"


def tmux(*args: str) -> str:
    """Run one tmux command on the tests' own server; its stdout."""
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, timeout=30,
                          check=False).stdout


class Terminal:
    """One tmux session running a command at a fixed size; ``close`` kills it."""

    def __init__(self, argv: list[str], env: dict[str, str], unset: tuple[str, ...] = (),
                 size: tuple[int, int] = (80, 24)) -> None:
        self.session = f"dftest-{uuid.uuid4().hex[:8]}"
        command = ["env", *(arg for name in unset for arg in ("-u", name)),
                   *(f"{name}={value}" for name, value in env.items()), *argv]
        tmux("new-session", "-d", "-s", self.session, "-x", str(size[0]), "-y", str(size[1]), shlex.join(command))

    def screen(self) -> str:
        """What the pane shows now."""
        return tmux("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        """Send tmux key names (``Enter``, ``Escape``, ``C-p``...)."""
        tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """Send ``text`` literally."""
        tmux("send-keys", "-t", self.session, "-l", text)

    def wait_for(self, predicate: Callable[[str], object], timeout: float = 20.0, what: str = "") -> str:
        """Poll the pane until ``predicate(screen)`` is true; the screen that matched."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"the screen never showed {what or 'what was expected'}; last screen:\n{screen}")

    @property
    def alive(self) -> bool:
        """True while the session (the command in it) runs."""
        return self.session in tmux("list-sessions", "-F", "#{session_name}").split()

    def close(self) -> None:
        """Kill the session (and the command in it)."""
        tmux("kill-session", "-t", self.session)
