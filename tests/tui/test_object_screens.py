"""The images, volumes, networks and system screens against the real engine, driven by Pilot.

Every image, volume and network made here carries the suite's labels and a per-test
prune label, is removed at teardown pass or fail, and prunes are narrowed to that label.
"""

from __future__ import annotations

import io
import tarfile
import uuid
from datetime import datetime, timezone

import docker.errors
import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.docker.images import ImageSummary
from dockerforge_tui.services.docker.volumes import VolumeSummary, VolumeUsage
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.screens.image_history import ImageHistoryScreen
from dockerforge_tui.ui.screens.images import ImagesScreen
from dockerforge_tui.ui.screens.networks import NetworksScreen
from dockerforge_tui.ui.screens.system import SystemScreen
from dockerforge_tui.ui.screens.volumes import VolumesScreen
from tests.support.containers import test_labels as labelled, unique_name
from tests.support.images import BUSYBOX_IMAGE
from tests.tui.helpers import in_thread, wait_until

PRUNE_LABEL = "dockerforge.test.prune"


class LabelledObjects:
    """Labelled images, volumes and networks for one test, removed at teardown even on failure."""

    def __init__(self, client) -> None:
        self.client = client
        self.prune_id = uuid.uuid4().hex
        self.images: list[str] = []
        self.volumes: list[str] = []
        self.networks: list[str] = []
        self.containers: list = []

    @property
    def prune_filter(self) -> dict[str, str]:
        return {"label": f"{PRUNE_LABEL}={self.prune_id}"}

    def labels(self) -> dict[str, str]:
        return labelled(**{PRUNE_LABEL: self.prune_id})

    def image(self, *tags: str) -> str:
        """A tiny image FROM scratch with unique content (no registry needed); tagged with ``tags``."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in (("Dockerfile", b"FROM scratch\nCOPY marker /marker\n"),
                               ("marker", uuid.uuid4().hex.encode())):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        buffer.seek(0)
        image, _ = self.client.images.build(fileobj=buffer, custom_context=True, rm=True,
                                            tag=tags[0] if tags else None, labels=self.labels())
        for tag in tags[1:]:
            repository, _, version = tag.rpartition(":")
            image.tag(repository, version)
        self.images.append(image.id)
        return image.id

    def volume(self) -> str:
        name = f"dftest-vol-{uuid.uuid4().hex[:10]}"
        self.client.volumes.create(name, labels=self.labels())
        self.volumes.append(name)
        return name

    def network(self, subnet: str | None = None) -> str:
        ipam = None
        if subnet:
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
        network = self.client.networks.create(f"dftest-net-{uuid.uuid4().hex[:10]}", labels=self.labels(),
                                              ipam=ipam)
        self.networks.append(network.id)
        return network.id

    def container(self, image: str, command: list[str], **kwargs):
        """A labelled container (created, or run with ``run=True``), removed at teardown."""
        run = kwargs.pop("run", False)
        kwargs.setdefault("name", unique_name())
        if run:
            container = self.client.containers.run(image, command, detach=True, labels=labelled(), **kwargs)
        else:
            container = self.client.containers.create(image, command, labels=labelled(), **kwargs)
        self.containers.append(container)
        return container

    def cleanup(self) -> None:
        for container in self.containers:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        for network_id in self.networks:
            try:
                self.client.networks.get(network_id).remove()
            except docker.errors.NotFound:
                pass
        for name in self.volumes:
            try:
                self.client.volumes.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass
        for image_id in self.images:
            try:
                self.client.images.remove(image_id, force=True)
            except docker.errors.NotFound:
                pass


@pytest.fixture
def made(docker_client):
    objects = LabelledObjects(docker_client)
    yield objects
    objects.cleanup()


def image_exists(client, image_id: str) -> bool:
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


def volume_exists(client, name: str) -> bool:
    try:
        client.volumes.get(name)
    except docker.errors.NotFound:
        return False
    return True


def network_exists(client, network_id: str) -> bool:
    try:
        client.networks.get(network_id)
    except docker.errors.NotFound:
        return False
    return True


def details_of(screen: ConfirmScreen) -> str:
    return str(screen.query_one("#confirm-details").render())


async def open_screen(pilot, screen, *keys: str):
    """Push ``screen`` and wait until its table lists every key in ``keys``."""
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: all(screen.table.record(key) is not None for key in keys),
                     what=f"{', '.join(keys)} listed")
    return screen


async def confirm_dialog(pilot) -> ConfirmScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the confirmation")
    return pilot.app.screen


def dashboard(**overrides):
    return make_app(load_config(overrides=overrides or None), watch_engine=False)


# -- images --------------------------------------------------------------------------------------


@pytest.mark.docker
async def test_images_list_history_and_remove_tag_by_tag(docker_client, made):
    repository = f"dftest-img-{uuid.uuid4().hex[:8]}"
    image_id = await in_thread(made.image, f"{repository}:a", f"{repository}:b")
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ImagesScreen(), image_id)
        cells = {key: str(screen.table.get_cell(image_id, key)) for key in ("name", "id", "used_by")}
        assert cells == {"name": f"{repository}:a +1", "id": image_id.split(":")[1][:12], "used_by": "-"}

        assert screen.table.select(image_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImageHistoryScreen) and app.screen._layers is not None,
                         what="the image's layers")
        history = app.screen
        assert any("COPY" in layer.created_by for layer in history._layers)
        assert "layer" in str(history.query_one("#history-title").render())
        await pilot.press("escape")
        assert app.screen is screen

        await pilot.press("d")
        dialog = await confirm_dialog(pilot)
        assert f"{repository}:a" in details_of(dialog) and f"{repository}:b" in details_of(dialog)
        assert "No container uses it." in details_of(dialog)
        await pilot.press("escape")  # cancel: nothing happens
        await pilot.pause()
        assert image_exists(docker_client, image_id)

        await pilot.press("d")
        await confirm_dialog(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.table.record(image_id) is None, what="the image's row to go")
        assert not image_exists(docker_client, image_id)

    audit = (app.paths.data_dir / "audit.jsonl").read_text()
    assert f"{repository}:a" in audit and f"{repository}:b" in audit


@pytest.mark.docker
async def test_an_image_in_use_is_only_removed_by_the_explicit_force(docker_client, made):
    image_id = await in_thread(made.image, f"dftest-img-{uuid.uuid4().hex[:8]}:used")
    user = await in_thread(made.container, image_id, ["/marker"])
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ImagesScreen(), image_id)
        assert str(screen.table.get_cell(image_id, "used_by")) == f"1: {user.name}"
        screen.table.select(image_id)

        await pilot.press("d")  # plain remove: refused with a notice, no dialog
        await pilot.pause()
        assert app.screen is screen and image_exists(docker_client, image_id)

        await pilot.press("D")
        dialog = await confirm_dialog(pilot)
        assert "Force-remove" in str(dialog.query_one("#confirm-title").render())
        assert user.name in details_of(dialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: not image_exists(docker_client, image_id), what="the forced removal")


@pytest.mark.docker
async def test_image_prune_previews_only_what_goes_and_cancel_keeps_it(docker_client, made):
    dangling = [await in_thread(made.image), await in_thread(made.image)]
    kept = await in_thread(made.image, f"dftest-img-{uuid.uuid4().hex[:8]}:kept")
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, ImagesScreen(prune_filters=made.prune_filter), *dangling, kept)
        await pilot.press("p")
        dialog = await confirm_dialog(pilot)
        assert "Prune 2 images?" in str(dialog.query_one("#confirm-title").render())
        text = details_of(dialog)
        assert all(image_id.split(":")[1][:12] in text for image_id in dangling)
        assert "kept" not in text and "Frees about" in text
        await pilot.press("escape")
        await pilot.pause()
        assert all(image_exists(docker_client, image_id) for image_id in dangling)

        await pilot.press("p")
        await confirm_dialog(pilot)
        await pilot.press("enter")  # the count was not typed back: still asking
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("2", "enter")
        await wait_until(pilot, lambda: not any(image_exists(docker_client, i) for i in dangling), what="the prune")
        assert image_exists(docker_client, kept)


# -- volumes -------------------------------------------------------------------------------------


@pytest.mark.docker
async def test_volumes_sizes_fill_in_then_remove_and_prune(docker_client, made):
    used, free, spare = [await in_thread(made.volume) for _ in range(3)]
    user = await in_thread(made.container, BUSYBOX_IMAGE, ["sleep", "300"], run=True,
                           volumes={used: {"bind": "/data", "mode": "rw"}})
    written = await in_thread(user.exec_run, ["sh", "-c", "head -c 65536 /dev/zero > /data/blob"])
    assert written.exit_code == 0
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, VolumesScreen(prune_filters=made.prune_filter), used, free, spare)
        table = screen.table
        assert str(table.get_cell(used, "used_by")) == f"1: {user.name}"
        await wait_until(pilot, lambda: str(table.get_cell(used, "size")) != "…", what="the sizes")
        assert str(table.get_cell(used, "size")) == "64.0KiB"
        assert str(table.get_cell(free, "size")) == "0B"

        table.select(used)
        await pilot.press("d")  # mounted: refused with a notice, no dialog
        await pilot.pause()
        assert app.screen is screen and volume_exists(docker_client, used)

        table.select(free)
        await pilot.press("d")
        dialog = await confirm_dialog(pilot)
        assert free in details_of(dialog) and "cannot be undone" in details_of(dialog)
        await pilot.press("escape")
        await pilot.pause()
        assert volume_exists(docker_client, free)
        await pilot.press("d")
        await confirm_dialog(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: table.record(free) is None, what="the removed volume's row to go")
        assert not volume_exists(docker_client, free)

        await pilot.press("p")
        dialog = await confirm_dialog(pilot)
        assert spare in details_of(dialog) and used not in details_of(dialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: not volume_exists(docker_client, spare), what="the prune")
        assert volume_exists(docker_client, used)


# -- networks ------------------------------------------------------------------------------------


@pytest.mark.docker
async def test_networks_show_attachments_refuse_busy_ones_bulk_remove_and_prune(docker_client, made):
    busy = await in_thread(made.network, "10.231.7.0/24")
    first, second, spare = [await in_thread(made.network) for _ in range(3)]
    user = await in_thread(made.container, BUSYBOX_IMAGE, ["sleep", "300"], run=True, network=busy)
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, NetworksScreen(prune_filters=made.prune_filter), busy, first, second, spare)
        table = screen.table
        assert str(table.get_cell(busy, "subnet")) == "10.231.7.0/24"
        assert str(table.get_cell(busy, "containers")) == f"1: {user.name}"

        table.select(busy)
        await pilot.press("d")  # a running container is attached: refused, no dialog
        await pilot.pause()
        assert app.screen is screen and network_exists(docker_client, busy)

        for network_id in (first, second):
            table.select(network_id)
            await pilot.press("space")
        assert table.marked_keys == {first, second}
        await pilot.press("d")
        dialog = await confirm_dialog(pilot)
        assert "Remove 2 networks?" in str(dialog.query_one("#confirm-title").render())
        await pilot.press("enter")  # the count was not typed back yet
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("2", "enter")
        await wait_until(pilot, lambda: not network_exists(docker_client, first)
                         and not network_exists(docker_client, second), what="the bulk removal")
        await wait_until(pilot, lambda: not table.marked_keys, what="the marks to clear")

        await pilot.press("p")
        dialog = await confirm_dialog(pilot)
        text = details_of(dialog)
        assert docker_client.networks.get(spare).name in text
        assert docker_client.networks.get(busy).name not in text
        await pilot.press("y")
        await wait_until(pilot, lambda: not network_exists(docker_client, spare), what="the prune")
        assert network_exists(docker_client, busy)


# -- system and read-only ------------------------------------------------------------------------


@pytest.mark.docker
async def test_system_screen_shows_the_engine_and_its_disk_usage(docker_client):
    version = await in_thread(docker_client.version)
    app = dashboard()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = SystemScreen()
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.details is not None and screen.usage is not None,
                         what="info and disk usage")
        assert screen.details.version == version["Version"]
        info = screen.query_one("#engine-info")
        assert [str(cell) for cell in info.get_row_at(0)] == ["Engine", version["Version"]]
        disk = screen.query_one("#disk-usage")
        assert [str(disk.get_row_at(index)[0]) for index in range(disk.row_count)] == [
            "Images", "Containers", "Local volumes", "Build cache", "Total"]
        assert screen.usage.images.total >= 1
        await pilot.press("escape")
        assert app.screen is not screen


@pytest.mark.docker
async def test_read_only_hides_and_refuses_removal_and_prune(docker_client, made):
    image_id = await in_thread(made.image)
    app = dashboard(ui={"readonly": True})
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, ImagesScreen(prune_filters=made.prune_filter), image_id)
        shown = {active.binding.id for active in screen.active_bindings.values()}
        assert not shown & {"images.remove", "images.force_remove", "images.prune_dangling", "images.prune_unused"}
        assert "images.history" in shown
        screen.table.select(image_id)
        await pilot.press("d", "D", "p", "P")
        await pilot.pause()
        assert app.screen is screen
        assert image_exists(docker_client, image_id)


# -- on fixed data: sorting, marks, sizes arriving late (no engine) -------------------------------

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc).timestamp()


def fixed_image(name: str, size_mib: int, hours_ago: float) -> ImageSummary:
    created = datetime.fromtimestamp(NOW - hours_ago * 3600, tz=timezone.utc)
    return ImageSummary(id=f"sha256:{name:x<64}", tags=(f"{name}:1",), size=size_mib * 1024 * 1024,
                        created=created, dangling=False)


def shown_names(screen) -> list[str]:
    return [record.display_name.split(":")[0] for record in screen.table.records]


async def test_sort_keeps_the_cursor_and_marks_clear_before_going_back():
    images = (fixed_image("aa", 10, 1), fixed_image("bb", 300, 5), fixed_image("cc", 50, 2))
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ImagesScreen(clock=lambda: NOW, follow_engine=False)
        await app.push_screen(screen)
        screen.post_message(ImagesScreen.Listed(images))
        await pilot.pause()
        assert shown_names(screen) == ["aa", "cc", "bb"]  # newest first
        await pilot.press("j")
        assert screen.table.selected.display_name == "cc:1"
        await pilot.press("o")  # by size, largest first
        assert shown_names(screen) == ["bb", "cc", "aa"]
        assert screen.table.selected.display_name == "cc:1"
        await pilot.press("O")
        assert shown_names(screen) == ["aa", "cc", "bb"]
        assert "sort: size (reversed)" in str(screen.query_one("#images-status").render())

        await pilot.press("g", "space", "space")
        assert {screen.table.record(key).display_name for key in screen.table.marked_keys} == {"aa:1", "cc:1"}
        assert "2 marked" in str(screen.query_one("#images-status").render())
        await pilot.press("d")
        dialog = await confirm_dialog(pilot)
        assert "Remove 2 images?" in str(dialog.query_one("#confirm-title").render())
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.table.marked_keys) == 2  # cancelled: the marks stay
        await pilot.press("escape")  # clears the marks
        assert not screen.table.marked_keys and app.screen is screen
        entries = {entry.binding_id for entry in app.help_entries()}
        assert {"images.history", "images.remove", "images.force_remove", "images.prune_unused"} <= entries
        await pilot.press("escape")  # back
        assert isinstance(app.screen, ContainersScreen)


async def test_volume_sizes_fill_in_after_the_list_and_survive_a_refresh():
    volumes = tuple(VolumeSummary(name, "local", f"/v/{name}", None) for name in ("alpha", "beta", "gamma"))
    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = VolumesScreen(follow_engine=False)
        await app.push_screen(screen)
        screen.post_message(VolumesScreen.Listed(volumes))
        await pilot.pause()
        assert [str(screen.table.get_cell(name, "size")) for name in ("alpha", "beta", "gamma")] == ["…"] * 3
        screen.post_message(VolumesScreen.SizesMeasured((VolumeUsage("alpha", 1024, 0), VolumeUsage("beta", None, 0),
                                                         VolumeUsage("gamma", 5 * 1024 * 1024, 1))))
        await pilot.pause()
        assert [str(screen.table.get_cell(name, "size")) for name in ("alpha", "beta", "gamma")] == [
            "1.0KiB", "-", "5.0MiB"]
        assert str(screen.query_one("#volumes-status").render()).startswith("3 volumes · 5.0MiB · sort: name")
        screen.table.sort_by("size")
        assert [volume.name for volume in screen.table.records] == ["gamma", "alpha", "beta"]
        screen.post_message(VolumesScreen.Listed(volumes))  # a refresh: known sizes stay on screen
        await pilot.pause()
        assert str(screen.table.get_cell("gamma", "size")) == "5.0MiB"
