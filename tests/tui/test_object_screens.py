"""The images, volumes, networks and system screens against the real engine, driven by Pilot.

Every image, volume and network made here carries the suite's labels and a per-test
prune label, is removed at teardown pass or fail, and prunes are narrowed to that label.
"""

from __future__ import annotations

import io
import tarfile
import uuid

import docker.errors
import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.image_history import ImageHistoryScreen
from dockerforge_tui.ui.screens.images import ImagesScreen
from dockerforge_tui.ui.screens.networks import NetworksScreen
from dockerforge_tui.ui.screens.system import SystemScreen
from dockerforge_tui.ui.screens.volumes import VolumesScreen
from tests.support.containers import test_labels as labelled, unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker

PRUNE_LABEL = "dockerforge.test.prune"


class TestObjects:
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
    objects = TestObjects(docker_client)
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
        await pilot.press("y")  # the count was not typed back: still asking
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("2", "enter")
        await wait_until(pilot, lambda: not any(image_exists(docker_client, i) for i in dangling), what="the prune")
        assert image_exists(docker_client, kept)


# -- volumes -------------------------------------------------------------------------------------


async def test_volumes_sizes_fill_in_then_remove_and_prune(docker_client, made):
    used, free, spare = (await in_thread(made.volume) for _ in range(3)) if False else (
        await in_thread(made.volume), await in_thread(made.volume), await in_thread(made.volume))
    user = await in_thread(made.container, "dockerforge-test/busybox:latest",
                           ["sh", "-c", "head -c 65536 /dev/zero > /data/blob; sleep 300"], run=True,
                           volumes={used: {"bind": "/data", "mode": "rw"}})
    await wait_until_written = None  # noqa: F841 - placeholder removed below
