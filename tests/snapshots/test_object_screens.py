"""Snapshots of the images, image history, volumes, networks and system screens at 80x24 and 120x40.

Each screen is built with ``follow_engine=False`` and fed fixed records through the
messages its workers post, so the pictures do not depend on the engine.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import Input

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.docker.images import ImageLayer, ImageSummary
from dockerforge_tui.services.docker.networks import NetworkEndpoint, NetworkSummary
from dockerforge_tui.services.docker.prune import PruneItem, PrunePreview
from dockerforge_tui.services.docker.system import DiskUsage, DiskUsageRow, EngineDetails
from dockerforge_tui.services.docker.volumes import VolumeSummary, VolumeUsage
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.image_history import ImageHistoryScreen
from dockerforge_tui.ui.screens.images import ImagesScreen
from dockerforge_tui.ui.screens.networks import NetworksScreen
from dockerforge_tui.ui.screens.system import SystemScreen
from dockerforge_tui.ui.screens.volumes import VolumesScreen

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc).timestamp()
MiB = 1024 * 1024
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def ago(hours: float) -> datetime:
    return datetime.fromtimestamp(NOW - hours * 3600, tz=timezone.utc)


def clock() -> float:
    return NOW


IMAGES = (
    ImageSummary(id="sha256:" + "a1" * 32, tags=("shop/web:1.4", "shop/web:latest"), size=142 * MiB,
                 created=ago(50), dangling=False, used_by=("shop-web-1",)),
    ImageSummary(id="sha256:" + "b2" * 32, tags=("postgres:16",), size=431 * MiB, created=ago(24 * 21),
                 dangling=False, used_by=("shop-db-1",)),
    ImageSummary(id="sha256:" + "c3" * 32, tags=(), size=88 * MiB, created=ago(5), dangling=True),
    ImageSummary(id="sha256:" + "d4" * 32, tags=("busybox:latest",), size=4 * MiB + 300 * 1024,
                 created=ago(24 * 60), dangling=False, used_by=("cron", "migrate", "worker", "x")),
    ImageSummary(id="sha256:" + "e5" * 32, tags=("nginx:1.27",), size=187 * MiB, created=ago(24 * 9),
                 dangling=False),
)
LAYERS = (
    ImageLayer("sha256:" + "a1" * 32, '/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]', 0, ago(50),
               tags=("shop/web:1.4", "shop/web:latest")),
    ImageLayer("<missing>", "/bin/sh -c #(nop) COPY dir:4b1c0ee5 in /usr/share/nginx/html", 12 * MiB, ago(50)),
    ImageLayer("<missing>", "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl "
               "ca-certificates && rm -rf /var/lib/apt/lists/*", 38 * MiB, ago(24 * 9),
               comment="buildkit.dockerfile.v0"),
    ImageLayer("<missing>", "/bin/sh -c #(nop) ADD file:9a4f77dfaba7fd2 in / ", 92 * MiB, ago(24 * 30)),
)
VOLUMES = (
    VolumeSummary("shop_db-data", "local", "/var/lib/docker/volumes/shop_db-data/_data", ago(24 * 21),
                  used_by=("shop-db-1",)),
    VolumeSummary("9f" * 32, "local", "/var/lib/docker/volumes/anon/_data", ago(3)),
    VolumeSummary("build-cache", "local", "/var/lib/docker/volumes/build-cache/_data", ago(24 * 2),
                  used_by=("ci-runner", "ci-helper")),
    VolumeSummary("nfs-share", "nfs", "", ago(24 * 40)),
)
VOLUME_SIZES = (VolumeUsage("shop_db-data", 1300 * MiB, 1), VolumeUsage("9f" * 32, 12 * 1024, 0),
                VolumeUsage("build-cache", 640 * MiB, 2))
NETWORKS = (
    NetworkSummary("11" * 32, "bridge", "bridge", "local", ("172.17.0.0/16",), ("172.17.0.1",),
                   containers=(NetworkEndpoint("c1" * 32, "cron", "172.17.0.3", running=True),)),
    NetworkSummary("22" * 32, "host", "host", "local"),
    NetworkSummary("33" * 32, "none", "null", "local"),
    NetworkSummary("44" * 32, "shop_default", "bridge", "local", ("172.18.0.0/16",), ("172.18.0.1",),
                   containers=(NetworkEndpoint("a1" * 32, "shop-db-1", "172.18.0.3", running=True),
                               NetworkEndpoint("b2" * 32, "shop-web-1", "172.18.0.2", running=True))),
    NetworkSummary("55" * 32, "orphan-net", "bridge", "local", ("10.10.0.0/24",),
                   containers=(NetworkEndpoint("d4" * 32, "migrate", running=False),)),
)
ENGINE = EngineDetails(
    name="build-host", version="20.10.24", api_version="1.41", min_api_version="1.12",
    os="Debian GNU/Linux 12 (bookworm)", os_type="linux", architecture="x86_64", kernel="6.1.0-18-amd64",
    storage_driver="overlay2", logging_driver="json-file", cgroup_driver="systemd", cgroup_version="2",
    cpus=8, memory=16 * 1024 * MiB, containers=7, containers_running=4, containers_paused=1,
    containers_stopped=2, images=5, root_dir="/var/lib/docker", rootless=False,
    security_options=("apparmor", "seccomp", "cgroupns"), runtimes=("io.containerd.runc.v2", "runc"),
    default_runtime="runc", live_restore=False, experimental=False, swarm="inactive", go_version="go1.19.8",
    warnings=("WARNING: No swap limit support",),
)
DISK = DiskUsage(
    images=DiskUsageRow("images", 5, 3, 852 * MiB, 275 * MiB),
    containers=DiskUsageRow("containers", 7, 4, 31 * MiB, 2 * MiB),
    volumes=DiskUsageRow("volumes", 4, 2, 1952 * MiB, 12 * 1024),
    build_cache=DiskUsageRow("build_cache", 18, 0, 410 * MiB, 410 * MiB),
)


def dashboard():
    return make_app(load_config(), watch_engine=False, clock=clock)


async def show(pilot, screen, *messages):
    await pilot.app.push_screen(screen)
    for message in messages:
        screen.post_message(message)
    await pilot.pause()


@SIZES
def test_images_screen(snap_compare, size):
    async def run_before(pilot):
        await show(pilot, ImagesScreen(clock=clock, follow_engine=False), ImagesScreen.Listed(IMAGES))

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


@SIZES
def test_image_history_screen(snap_compare, size):
    async def run_before(pilot):
        screen = ImageHistoryScreen(IMAGES[0], clock=clock, follow_engine=False)
        await show(pilot, screen, ImageHistoryScreen.LayersRead(LAYERS))
        await pilot.press("j", "j")

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


@SIZES
def test_volumes_screen(snap_compare, size):
    async def run_before(pilot):
        await show(pilot, VolumesScreen(clock=clock, follow_engine=False), VolumesScreen.Listed(VOLUMES),
                   VolumesScreen.SizesMeasured(VOLUME_SIZES))

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


@SIZES
def test_networks_screen(snap_compare, size):
    async def run_before(pilot):
        await show(pilot, NetworksScreen(clock=clock, follow_engine=False), NetworksScreen.Listed(NETWORKS))

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


@SIZES
def test_system_screen(snap_compare, size):
    async def run_before(pilot):
        await show(pilot, SystemScreen(follow_engine=False), SystemScreen.EngineDescribed(ENGINE),
                   SystemScreen.DiskMeasured(DISK))

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


def test_volumes_screen_while_sizes_are_measured(snap_compare):
    async def run_before(pilot):
        await show(pilot, VolumesScreen(clock=clock, follow_engine=False), VolumesScreen.Listed(VOLUMES))

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)


def test_image_removal_confirmation(snap_compare):
    async def run_before(pilot):
        await show(pilot, ImagesScreen(clock=clock, follow_engine=False), ImagesScreen.Listed(IMAGES))
        await pilot.press("o", "o", "g", "space", "space", "space", "d")  # sorted by name: busybox, nginx, postgres

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)


def test_image_prune_confirmation(snap_compare):
    preview = PrunePreview("image", tuple(PruneItem(f"sha256:{i:064x}", f"{i:012x} (untagged)", (i + 1) * 7 * MiB)
                                          for i in range(11)), 462 * MiB)

    async def run_before(pilot):
        screen = ImagesScreen(clock=clock, follow_engine=False)
        await show(pilot, screen, ImagesScreen.Listed(IMAGES), ImagesScreen.PrunePreviewed(preview, "dangling"))
        # On a loaded machine the dialog may need more than one pause to be on top; its
        # input's blinking cursor would make the picture random.
        while pilot.app.screen is screen:
            await pilot.pause(0.05)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)
