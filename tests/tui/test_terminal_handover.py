"""Keys that hand the real terminal over (tmux, read with capture-pane): the exec shell (`e`),
an interactive custom command, and the open-URL key (`u`), which prints the URL when there is
no browser (no DISPLAY, as over SSH)."""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request

import pytest
import yaml

from dockerforge_tui.services.audit import audit_path
from tests.support.containers import unique_name
from tests.support.tmux import DOCKERFORGE, Terminal

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SHELL_PROMPT = re.compile(r"^/ # ?$", re.MULTILINE)  # busybox ash as root


@pytest.fixture
def dashboard(isolated_dirs):
    """Start `dockerforge` at 80x24 with the test's own dirs and no display (as over SSH)."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: scripts/ensure-docker.sh installs it (apt-get install -y tmux)", pytrace=False)
    assert DOCKERFORGE.exists(), f"{DOCKERFORGE} is missing: install DockerForge into this environment"
    terminals = []

    def start() -> Terminal:
        env = {f"DOCKERFORGE_{name.upper()}_DIR": str(isolated_dirs / name)
               for name in ("config", "data", "log", "cache")}
        terminal = Terminal([str(DOCKERFORGE)], {**env, "TERM": "xterm-256color"},
                            unset=("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))
        terminals.append(terminal)
        terminal.wait_for(lambda s: "unix://" in s and "Name" in s, timeout=30, what="the dashboard")
        return terminal

    yield start
    for terminal in terminals:
        terminal.close()


def table_row(screen: str, name: str) -> str | None:
    """The containers table's row for `name`, or None (the filter bar and titles hold the name too)."""
    return next((line for line in screen.splitlines()
                 if name in line and any(state in line for state in ("running", "exited", "created"))), None)


def footer(screen: str) -> str:
    return screen.rstrip("\n").splitlines()[-1]


def filter_to(terminal: Terminal, name: str) -> None:
    """Filter the list down to one container (other containers on the engine may fill the screen).

    The footer tells where the keys go: while the filter bar has them it hides the table's
    keys (Sort...). Action keys are sent only once the table has the focus back, or they
    would be typed into the filter.
    """
    terminal.keys("/")
    terminal.type(name)
    terminal.wait_for(lambda s: f"filter: {name}" in s and "Sort" not in footer(s), what=f"{name} typed in the filter")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: table_row(s, name) is not None and "1 of " in s and "Sort" in footer(s),
                      what=f"the list filtered to {name}, the table focused")


def dashboard_is_back(name: str):
    return lambda s: table_row(s, name) is not None and "Name" in s and not SHELL_PROMPT.search(s)


def test_exec_shell_key_hands_the_terminal_to_sh_and_takes_it_back(dashboard, containers, isolated_dirs):
    name = unique_name("dfshell")
    containers.run("sleep 300", name=name)
    terminal = dashboard()
    filter_to(terminal, name)

    terminal.keys("e")
    # The image has no bash: the probe falls back to sh, and the shell owns the terminal.
    terminal.wait_for(lambda s: SHELL_PROMPT.search(s) and "built-in shell" in s, what="the container's sh")
    terminal.type("echo hand-$((40+2)) shell=$0 host=$(hostname)")
    terminal.keys("Enter")
    screen = terminal.wait_for(lambda s: "hand-42" in s, what="the shell's answer")
    answer = next(line for line in screen.splitlines() if line.startswith("hand-42"))
    assert "shell=sh" in answer
    assert answer.endswith(f"host={containers.created[-1].attrs['Config']['Hostname']}")

    terminal.type("exit")
    terminal.keys("Enter")
    screen = terminal.wait_for(dashboard_is_back(name), what="the dashboard after exit")
    assert "hand-42" not in screen
    # The dashboard still answers keys after the hand-over: help opens and closes.
    terminal.keys("?")
    terminal.wait_for(lambda s: "containers.exec" in s, what="the help screen")
    terminal.keys("Escape")
    terminal.wait_for(dashboard_is_back(name), what="the dashboard after help")

    records = audit_path(isolated_dirs / "data").read_text()
    assert '"exec"' in records and name in records


def test_interactive_custom_command_gets_the_terminal(dashboard, containers, isolated_dirs):
    (isolated_dirs / "config" / "config.yaml").write_text(yaml.safe_dump({"custom_commands": [{
        "id": "greet", "title": "Greet from inside", "interactive": True,
        "argv": ["docker", "exec", "-it", "{id}", "sh", "-c",
                 "printf 'who? '; read -r who; echo hello-$who-from-$(hostname); read -r _"],
    }]}))
    name = unique_name("dfcustom")
    container = containers.run("sleep 300", name=name)
    terminal = dashboard()
    filter_to(terminal, name)

    terminal.keys("C-p")
    # Type only once the palette has the keys (letters would be actions on the table).
    terminal.wait_for(lambda s: "Search for commands" in s, what="the command palette")
    terminal.type("Greet from inside")
    terminal.wait_for(lambda s: "custom command greet" in s, what="the custom command among the palette's results")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "who?" in s, what="the command's question")
    terminal.type("forge")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: f"hello-forge-from-{container.attrs['Config']['Hostname']}" in s,
                      what="the command's answer")
    terminal.keys("Enter")
    terminal.wait_for(dashboard_is_back(name), what="the dashboard after the command")


def test_open_url_key_prints_the_url_without_a_browser(dashboard, containers):
    name = unique_name("dfurl")
    container = containers.run("httpd -f -p 8080", name=name, ports={"8080/tcp": ("127.0.0.1", None)})
    container.reload()
    host_port = container.ports["8080/tcp"][0]["HostPort"]
    url = f"http://127.0.0.1:{host_port}"
    terminal = dashboard()
    filter_to(terminal, name)

    terminal.keys("u")
    screen = terminal.wait_for(lambda s: url in s, what=url)
    assert f"{name} URLs" in screen
    # No browser took the terminal: the dashboard is still there, and the URL is the container's.
    assert table_row(screen, name) is not None
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:  # busybox httpd has no index page to serve
        status = error.code
    assert 200 <= status < 500
