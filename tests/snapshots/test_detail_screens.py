"""Snapshots of the container detail screen, one per tab, at 80x24 and 120x40, on fixed data.

The screen's two engine workers (inspect + top, and the stats stream) are replaced by
no-ops on the instance; the test posts the messages they would post: a fixed inspect
document (with secrets in the env, which must show masked), a fixed ``docker top``
table and thirty stats samples one second apart.
"""

from __future__ import annotations

import pytest

from textual.widgets import TextArea

from dockerforge_tui.core.config import load_config
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.docker.container_actions import ProcessTable, detail_from_inspect
from dockerforge_tui.services.docker.models import StatsSample
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.container_detail import ContainerDetailScreen

NOW = 1_795_608_000.0  # 2026-11-25 12:00:00 UTC
MiB = 1024 * 1024
CONTAINER_ID = "a1" * 32
SECRET = "s3cr3t-Pa55word-42"
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])

INSPECT = {
    "Id": CONTAINER_ID,
    "Created": "2026-11-25T08:49:12.123456789Z",
    "Path": "/docker-entrypoint.sh",
    "Args": ["nginx", "-g", "daemon off;"],
    "State": {
        "Status": "running", "Running": True, "Paused": False, "Restarting": False, "OOMKilled": False,
        "Dead": False, "Pid": 4242, "ExitCode": 0, "Error": "",
        "StartedAt": "2026-11-25T08:50:00.000000000Z", "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {"Status": "healthy", "FailingStreak": 0, "Log": [
            {"Start": "2026-11-25T11:59:30.000000000Z", "End": "2026-11-25T11:59:30.050000000Z",
             "ExitCode": 0, "Output": "ok"},
        ]},
    },
    "Image": "sha256:" + "c0" * 32,
    "Name": "/shop-web-1",
    "RestartCount": 2,
    "Platform": "linux",
    "HostConfig": {
        "NetworkMode": "shop_default", "Privileged": False, "Memory": 256 * MiB, "NanoCpus": 1_500_000_000,
        "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
        "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
        "PortBindings": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
    },
    "Mounts": [
        {"Type": "volume", "Name": "shop_static", "Source": "/var/lib/docker/volumes/shop_static/_data",
         "Destination": "/usr/share/nginx/html", "Driver": "local", "Mode": "z", "RW": True},
        {"Type": "bind", "Source": "/srv/shop/nginx.conf", "Destination": "/etc/nginx/nginx.conf",
         "Mode": "", "RW": False},
    ],
    "Config": {
        "Hostname": "a1a1a1a1a1a1", "User": "", "Tty": False,
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.27.3",
                "MODE=production", f"DB_PASSWORD={SECRET}", "API_TOKEN=tok_9f8e7d6c5b4a",
                "UPSTREAM=http://shop-api:9000"],
        "Cmd": ["nginx", "-g", "daemon off;"],
        "Image": "nginx:1.27",
        "WorkingDir": "",
        "Entrypoint": ["/docker-entrypoint.sh"],
        "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web",
                   "maintainer": "NGINX Docker Maintainers"},
        "Healthcheck": {"Test": ["CMD-SHELL", "curl -fs http://localhost/ || exit 1"],
                        "Interval": 30_000_000_000, "Timeout": 5_000_000_000, "Retries": 3},
    },
    "NetworkSettings": {
        "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": None},
        "Networks": {"shop_default": {"IPAddress": "172.18.0.2", "IPPrefixLen": 16, "Gateway": "172.18.0.1",
                                      "MacAddress": "02:42:ac:12:00:02", "Aliases": ["web", "shop-web-1"],
                                      "NetworkID": "44" * 32}},
    },
}
PROCESSES = ProcessTable(
    titles=("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"),
    rows=(("root", "4242", "4221", "0", "08:50", "?", "00:00:00", "nginx: master process nginx -g daemon off;"),
          ("101", "4290", "4242", "0", "08:50", "?", "00:00:03", "nginx: worker process"),
          ("101", "4291", "4242", "0", "08:50", "?", "00:00:02", "nginx: worker process")),
)


def samples(count: int = 30) -> tuple[StatsSample, ...]:
    """A fixed minute of load: CPU in a saw-tooth, memory creeping up, steady network and disk."""
    return tuple(
        StatsSample(CONTAINER_ID, NOW - count + n, cpu_percent=5.0 + (n % 10) * 4.5,
                    mem_usage=(96 + n * 2) * MiB, mem_limit=256 * MiB,
                    net_rx=n * 180_000, net_tx=n * 42_000 + (n % 3) * 9_000,
                    block_read=n * 4096, block_write=(n // 5) * 512 * 1024, pids=3)
        for n in range(count)
    )


def detail_app():
    return make_app(load_config(), watch_engine=False, clock=lambda: NOW)


def detail_screen() -> ContainerDetailScreen:
    """The detail screen with its engine workers switched off: the test posts what they would."""
    settings = load_config().settings
    screen = ContainerDetailScreen(CONTAINER_ID, "shop-web-1",
                                   Redactor(settings.redaction.values, settings.redaction.key_patterns))
    screen.load_detail = lambda: None
    screen.follow_stats = lambda: None
    return screen


def show_tab(tab: str):
    async def run_before(pilot):
        screen = detail_screen()
        await pilot.app.push_screen(screen)
        screen.post_message(ContainerDetailScreen.DetailLoaded(detail_from_inspect(INSPECT)))
        screen.post_message(ContainerDetailScreen.ProcessesLoaded(PROCESSES))
        screen.post_message(ContainerDetailScreen.StatsSampled(samples()))
        await pilot.pause()
        await pilot.press(tab)
        await pilot.pause()

    return run_before


@SIZES
@pytest.mark.parametrize("tab", ["1", "2", "4", "5", "6"], ids=["overview", "stats", "env", "processes", "mounts"])
def test_container_detail_tab(snap_compare, size, tab):
    assert snap_compare(detail_app(), terminal_size=size, run_before=show_tab(tab))


@SIZES
def test_container_detail_inspect_scrolled_to_the_masked_env(snap_compare, size):
    async def run_before(pilot):
        await show_tab("3")(pilot)
        inspect = pilot.app.screen.query_one("#inspect-text", TextArea)
        assert SECRET not in inspect.text
        lines = inspect.text.splitlines()
        inspect.scroll_to(y=lines.index("  Env:"), animate=False)
        await pilot.pause()

    assert snap_compare(detail_app(), terminal_size=size, run_before=run_before)


def test_container_detail_env_revealed(snap_compare):
    async def run_before(pilot):
        await show_tab("4")(pilot)
        await pilot.press("v")
        await pilot.pause()
        # The reveal notice is a toast with a timeout: clear it so the picture does not race it.
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(detail_app(), terminal_size=(80, 24), run_before=run_before)


def test_container_detail_of_a_stopped_container(snap_compare):
    stopped = {**INSPECT, "State": {**INSPECT["State"], "Status": "exited", "Running": False, "Pid": 0,
                                    "ExitCode": 137, "OOMKilled": True, "Health": {}}}

    async def run_before(pilot):
        screen = detail_screen()
        await pilot.app.push_screen(screen)
        screen.post_message(ContainerDetailScreen.DetailLoaded(detail_from_inspect(stopped)))
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(detail_app(), terminal_size=(80, 24), run_before=run_before)
