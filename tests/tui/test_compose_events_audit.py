"""The compose, events and audit screens against the real engine (compose v1 CLI, local images only), by Pilot."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.docker.compose import compose_flavour
from dockerforge_tui.services.docker.event_feed import engine_event_from_raw
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.audit import AuditScreen
from dockerforge_tui.ui.screens.compose import ComposeScreen
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.events import EventsScreen
from dockerforge_tui.ui.widgets.event_table import EventTable
from tests.support.containers import unique_name
from tests.support.images import BUSYBOX_IMAGE
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker

# The registry of this tag is a closed port on loopback: a pull fails at once, without the network.
UNREACHABLE_REGISTRY = "127.0.0.1:9"

COMPOSE_FILE = """\
version: "2.4"
services:
  web:
    image: {image}
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    labels:
      dockerforge.test: "1"
    volumes:
      - data:/data
volumes:
  data:
    labels:
      dockerforge.test: "1"
networks:
  default:
    labels:
      dockerforge.test: "1"
"""


class ComposeProjectDir:
    """A one-service compose project in a temporary directory, started with the compose CLI."""

    def __init__(self, directory: Path, image: str) -> None:
        self.name = f"dftest{uuid.uuid4().hex[:10]}"
        self.directory = directory
        directory.mkdir(parents=True)
        (directory / "docker-compose.yml").write_text(COMPOSE_FILE.format(image=image))
        self.base = [*compose_flavour().prefix, "-p", self.name, "-f", str(directory / "docker-compose.yml")]

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.base, *args], cwd=self.directory, capture_output=True, text=True, timeout=120)

    def up(self) -> None:
        done = self.run("up", "-d", "--no-build")
        assert done.returncode == 0, done.stderr

    def down(self) -> None:
        self.run("down", "-v", "-t", "1")

    def container_ids(self, docker_client) -> list[str]:
        return [container.id for container in docker_client.containers.list(
            all=True, filters={"label": f"com.docker.compose.project={self.name}"})]


@pytest.fixture(scope="module")
def local_tag(docker_client):
    """The busybox image tagged under an unreachable registry (removed at teardown)."""
    repository = f"{UNREACHABLE_REGISTRY}/dftest-{uuid.uuid4().hex[:8]}/busybox"
    docker_client.images.get(BUSYBOX_IMAGE).tag(repository, "latest")
    yield f"{repository}:latest"
    docker_client.images.remove(f"{repository}:latest")


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory, local_tag):
    """A running project shared by the tests that leave it running; always ``down -v`` at teardown."""
    project = ComposeProjectDir(tmp_path_factory.mktemp("compose") / "app", local_tag)
    try:
        project.up()
        yield project
    finally:
        project.down()


@pytest.fixture
def compose_project(tmp_path, local_tag):
    """A running project of its own (for the test that takes it down); always ``down -v`` at teardown."""
    project = ComposeProjectDir(tmp_path / "app", local_tag)
    try:
        project.up()
        yield project
    finally:
        project.down()


def dashboard(**overrides):
    return make_app(load_config(overrides=overrides or None), watch_engine=False)


def notices(app) -> list[str]:
    return [notification.message for notification in app._notifications]


async def open_compose(pilot, project: ComposeProjectDir) -> ComposeScreen:
    screen = ComposeScreen()
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: any(p.name == project.name for p in screen.projects), what="the project")
    screen.select_project(project.name)
    return screen


def listed(screen: ComposeScreen, name: str):
    return next((project for project in screen.projects if project.name == name), None)


async def finished(pilot, screen: ComposeScreen, timeout: float = 60) -> None:
    await wait_until(pilot, lambda: screen.running_command is None, timeout=timeout, what="the compose command")


# --- compose ---------------------------------------------------------------------------------


async def test_compose_lists_follows_events_and_runs_up_and_restart(docker_client, shared_project):
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_compose(pilot, shared_project)
        project = listed(screen, shared_project.name)
        assert [service.name for service in project.services] == ["web"]
        assert project.status == "running(1)"
        assert "running" in str(screen.query_one("#compose-services").render())

        # A container stopped behind the dashboard's back: the list follows the events.
        (container_id,) = shared_project.container_ids(docker_client)
        await in_thread(docker_client.containers.get(container_id).stop, timeout=0)
        await wait_until(pilot, lambda: listed(screen, shared_project.name).status == "exited(1)", timeout=5,
                         what="the stopped state from the events")

        await pilot.press("u")
        assert screen.running_command == (shared_project.name, "up")
        await finished(pilot, screen)
        assert listed(screen, shared_project.name).running == 1
        output = screen.query_one("#compose-output")
        assert output.has_class("-open")
        assert any(line.startswith("$ docker-compose -p " + shared_project.name) and line.endswith(" up -d")
                   for line in output.lines), output.lines
        assert output.lines[-1].startswith("→ exit 0")

        await pilot.press("r")
        await finished(pilot, screen)
        assert any(line.endswith(" restart") for line in output.lines)
        await wait_until(pilot, lambda: any(f"compose restart of {shared_project.name}: done" in text
                                            for text in notices(app)), what="the notice")
        records = [(record.verb, record.target_name, record.outcome) for record in app.services.audit.tail(5)]
        assert records == [("compose up", shared_project.name, "ok"), ("compose restart", shared_project.name, "ok")]

        await pilot.press("o")
        assert not output.has_class("-open")
        await pilot.press("escape")
        assert not isinstance(app.screen, ComposeScreen)


async def test_pull_recreate_reports_the_failed_pull_and_recreates_nothing(docker_client, shared_project):
    before = shared_project.container_ids(docker_client)
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_compose(pilot, shared_project)
        await pilot.press("p")
        await finished(pilot, screen)
        output = screen.query_one("#compose-output").lines
        steps = [line for line in output if line.startswith("[")]
        assert steps[0].startswith("[1/2] $ docker-compose") and steps[0].endswith(" pull")
        assert steps[1].startswith("[2/2] $ docker-compose") and steps[1].endswith(" up -d --force-recreate")
        await wait_until(pilot, lambda: any("pull & recreate" in text for text in notices(app)), what="the notice")
        (notice,) = [text for text in notices(app) if "pull & recreate" in text]
        assert f"compose pull & recreate of {shared_project.name}: the pull failed" in notice
        assert UNREACHABLE_REGISTRY in notice and "nothing was recreated" in notice
    assert shared_project.container_ids(docker_client) == before, "nothing was recreated"
    assert [(record.verb, record.outcome) for record in app.services.audit.tail(5)] == [("compose pull", "error")]


async def test_down_asks_first_and_cancel_leaves_the_project(docker_client, compose_project):
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_compose(pilot, compose_project)
        (container_name,) = listed(screen, compose_project.name).services[0].containers

        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        details = str(app.screen.query_one("#confirm-details").render())
        assert f"DELETES volume(s) and their data: {compose_project.name}_data" in details
        assert app.screen.query("#confirm-input"), "deleting volumes wants the project's name typed back"
        await pilot.press("escape")

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        details = str(app.screen.query_one("#confirm-details").render())
        assert f"1 container(s): {container_name}" in details
        assert f"network(s): {compose_project.name}_default" in details
        assert f"Volumes are kept ({compose_project.name}_data)" in details
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert screen.running_command is None
        assert len(compose_project.container_ids(docker_client)) == 1, "cancel leaves the containers"

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        await pilot.press("y")
        await finished(pilot, screen)
        await wait_until(pilot, lambda: listed(screen, compose_project.name) is None, timeout=5,
                         what="the project to leave the list")
    assert compose_project.container_ids(docker_client) == []
    assert docker_client.networks.list(names=[f"{compose_project.name}_default"]) == []
    assert docker_client.volumes.list(filters={"name": f"{compose_project.name}_data"}), "volumes were kept"
    assert [(record.verb, record.outcome) for record in app.services.audit.tail(5)] == [("compose down", "ok")]


async def test_readonly_hides_and_refuses_compose_actions(docker_client, shared_project):
    app = dashboard(ui={"readonly": True})
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_compose(pilot, shared_project)
        keys = {active.binding.id for active in screen.active_bindings.values()}
        assert "compose.up" not in keys and "compose.down" not in keys and "compose.cursor_down" in keys
        await pilot.press("u", "d", "r", "p")
        await pilot.pause(0.3)
        assert screen.running_command is None and not isinstance(app.screen, ConfirmScreen)
    assert app.services.audit.tail(5) == ()
    assert len(shared_project.container_ids(docker_client)) == 1


# --- events ----------------------------------------------------------------------------------


async def test_events_appear_live_filter_pause_and_close(docker_client, containers):
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = EventsScreen(history_seconds=0)
        await app.push_screen(screen)
        table = screen.query_one(EventTable)
        await wait_until(pilot, lambda: screen._feed is not None, what="the subscription")

        name = unique_name("dfevents")
        container = await in_thread(containers.run, "sleep 300", name=name)
        await wait_until(pilot, lambda: any(e.name == name and e.action == "start" for e in table.events()),
                         timeout=5, what="the start event")
        assert table.following and table.cursor_row == table.row_count - 1, "the newest row is followed"
        types = {event.type for event in table.events()}
        assert "network" in types, "network connects are in the feed as well as container events"

        await pilot.press("slash", *f"name={name}", "enter")
        assert {event.name for event in table.shown_events()} == {name}
        assert [event.action for event in table.shown_events()][:2] == ["create", "start"]

        await pilot.press("p")
        assert table.paused
        shown_before = table.row_count
        await in_thread(container.kill)
        await wait_until(pilot, lambda: any(e.name == name and e.action == "die" for e in table.events()),
                         timeout=5, what="the die event")
        assert table.row_count == shown_before and table.held >= 1
        await pilot.press("p")
        assert any(event.action == "die" for event in table.shown_events())

        await pilot.press("escape")  # clears the filter
        assert table.filter.text == "" and isinstance(app.screen, EventsScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, EventsScreen)
        assert screen._feed is None and screen._stop.is_set()
        await wait_until(pilot, lambda: not [w for w in screen.workers if w.group == "event-feed" and w.is_running],
                         timeout=3, what="the feed worker to end")


def fixed_event(number: int, action: str = "start"):
    return engine_event_from_raw({"Type": "container", "Action": action, "timeNano": 1_795_000_000 * 10**9 + number,
                                  "Actor": {"ID": f"{number:064x}", "Attributes": {"name": f"box-{number}"}}})


async def test_events_buffer_is_bounded_and_follow_stops_when_scrolling_up():
    app = dashboard()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = EventsScreen(max_events=5, live=False)
        await app.push_screen(screen)
        table = screen.query_one(EventTable)
        screen.post_message(EventsScreen.EventsArrived(tuple(fixed_event(n) for n in range(8))))
        await pilot.pause()
        assert table.buffered == 5 and table.row_count == 5 and table.received == 8
        assert [event.name for event in table.shown_events()] == [f"box-{n}" for n in range(3, 8)]
        await pilot.press("k", "k")
        assert not table.following and table.selected_event.name == "box-5"
        screen.post_message(EventsScreen.EventsArrived((fixed_event(8), fixed_event(9))))
        await pilot.pause()
        assert table.selected_event.name == "box-5", "the cursor stays on its event"
        assert table.new_below == 2 and "2 new below" in str(screen.query_one("#events-status").render())
        await pilot.press("G")
        assert table.following and table.selected_event.name == "box-9"
        await pilot.press("i")
        assert "box-9" in str(screen.query_one("#events-detail").render())
        await pilot.press("slash", *"re:box-", "left_square_bracket", "enter")
        assert screen.query_one("#events-filter").value == "re:box-["
        assert screen.query_one("#events-filter").has_class("-bad-filter")
        assert "invalid regular expression" in str(screen.query_one("#events-status").render())


# --- audit -------------------------------------------------------------------------------------


async def test_audit_shows_an_action_done_through_services_act(docker_client, containers):
    container = await in_thread(containers.run, "sleep 300", name=unique_name("dfaudit"))
    app = dashboard()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = AuditScreen()
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen._signature is not None, what="the first read")
        assert screen.records == ()

        await in_thread(app.services.act, "pause", container.name)
        await in_thread(app.services.act, "unpause", container.name)
        await wait_until(pilot, lambda: len(screen.records) == 2, timeout=5, what="the new records")
        newest, oldest = screen.shown_records
        assert (newest.verb, oldest.verb) == ("unpause", "pause"), "newest first"
        assert newest.target_name == container.name and newest.outcome == "ok"

        await pilot.press("slash", *"verb=pause", "enter")
        assert [record.verb for record in screen.shown_records] == ["unpause", "pause"]
        await pilot.press("escape")
        assert len(screen.shown_records) == 2 and app.screen is screen
        await pilot.press("slash", *"!verb=unpause", "enter")
        assert [record.verb for record in screen.shown_records] == ["pause"]
        await pilot.press("i")
        assert f"pause container {container.name}" in str(screen.query_one("#audit-detail").render())

        # Hidden, it does not poll; back on top, it reads again at once.
        await app.push_screen(EventsScreen(live=False))
        await in_thread(app.services.act, "pause", container.name)
        assert screen._poll is not None and screen._poll._active.is_set() is False
        app.pop_screen()
        await wait_until(pilot, lambda: len(screen.records) == 3, timeout=3, what="the read on resume")
