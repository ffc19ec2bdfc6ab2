"""`dockerforge` in a real terminal (tmux), driven by keys and read with capture-pane."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.containers import unique_name

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DOCKERFORGE = Path(sys.executable).with_name("dockerforge")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", "dockerforge-tests", *args], capture_output=True, text=True, timeout=30, check=False).stdout


def wait_for_screen(session: str, predicate, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if predicate(screen):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"the screen never matched; last screen:\n{screen}")


@pytest.fixture
def terminal(isolated_dirs):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: scripts/ensure-docker.sh installs it (apt-get install -y tmux)", pytrace=False)
    assert DOCKERFORGE.exists(), f"{DOCKERFORGE} is missing: install DockerForge into this environment"
    session = f"dftest-{uuid.uuid4().hex[:8]}"
    env = " ".join(f"DOCKERFORGE_{name.upper()}_DIR={isolated_dirs / name}" for name in ("config", "data", "log", "cache"))
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", f"env {env} TERM=xterm-256color {DOCKERFORGE}")
    yield session
    tmux("kill-session", "-t", session)


def table_row(screen: str, name: str) -> str | None:
    """The containers table's row for `name`, or None (the filter bar and titles hold the name too)."""
    return next((line for line in screen.splitlines()
                 if name in line and any(state in line for state in ("running", "exited", "created"))), None)


def test_dashboard_in_a_real_terminal_shows_a_new_container_and_quits(terminal, containers):
    wait_for_screen(terminal, lambda s: "unix://" in s and "Name" in s)
    name = unique_name("dfe2e")
    # Filter to our container: other containers on the engine may fill the screen.
    tmux("send-keys", "-t", terminal, "/")
    tmux("send-keys", "-t", terminal, "-l", name)
    tmux("send-keys", "-t", terminal, "Enter")
    containers.run("sleep 300", name=name)
    # The row may show "created" first: the engine reports the start once runc has started it.
    screen = wait_for_screen(terminal, lambda s: "running" in (table_row(s, name) or ""), timeout=5)
    assert len(screen.splitlines()) <= 24 and all(len(line) <= 80 for line in screen.splitlines())

    # Every section renders in a real terminal (real colour handling, not the test driver's).
    for key, marker in (("F2", "images"), ("F3", "volumes"), ("F4", "networks"), ("F5", "compose"),
                        ("F6", "events"), ("F7", "system"), ("F8", "audit"), ("F9", "stats"), ("I", "issues")):
        tmux("send-keys", "-t", terminal, key)
        wait_for_screen(terminal, lambda s, marker=marker: marker in s.splitlines()[0].lower(), timeout=10)
        tmux("send-keys", "-t", terminal, "Escape")
        wait_for_screen(terminal, lambda s: table_row(s, name) is not None, timeout=10)
    tmux("send-keys", "-t", terminal, "Enter")  # the detail of the selected container
    wait_for_screen(terminal, lambda s: "Overview" in s and "Inspect" in s, timeout=10)
    tmux("send-keys", "-t", terminal, "Escape")
    wait_for_screen(terminal, lambda s: table_row(s, name) is not None and "Overview" not in s, timeout=10)

    last_screen = tmux("capture-pane", "-p", "-t", terminal)
    tmux("send-keys", "-t", terminal, "q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and terminal in tmux("list-sessions", "-F", "#{session_name}"):
        time.sleep(0.1)
    assert terminal not in tmux("list-sessions", "-F", "#{session_name}"), \
        f"q must quit the dashboard; the screen before q:\n{last_screen}\nand now:\n" + tmux("capture-pane", "-p", "-t", terminal)
