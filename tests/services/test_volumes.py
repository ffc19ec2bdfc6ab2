"""Volumes against the real engine: list with users and sizes, remove, prune preview and a label-scoped prune."""

from __future__ import annotations

import uuid

import docker.errors
import pytest

from dockerforge_tui.core.errors import DockerAPIError, NotFoundError
from dockerforge_tui.services.docker.volumes import (
    list_volumes, preview_volume_prune, prune_volumes, remove_volume, volume_sizes, with_sizes,
)
from tests.support.containers import test_labels as labelled

pytestmark = pytest.mark.docker

PRUNE_LABEL = "dockerforge.test.prune"


class VolumeFactory:
    """Labelled volumes, removed at teardown even when the test failed."""

    def __init__(self, client) -> None:
        self.client = client
        self.prune_id = uuid.uuid4().hex
        self.names: list[str] = []

    @property
    def prune_filter(self) -> dict[str, str]:
        return {"label": f"{PRUNE_LABEL}={self.prune_id}"}

    def create(self) -> str:
        name = f"dftest-vol-{uuid.uuid4().hex[:10]}"
        self.client.volumes.create(name, labels=labelled(**{PRUNE_LABEL: self.prune_id}))
        self.names.append(name)
        return name

    def cleanup(self) -> None:
        for name in self.names:
            try:
                self.client.volumes.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass


@pytest.fixture
def made(docker_client, containers):
    # Depends on `containers` so the containers using the volumes are removed first.
    factory = VolumeFactory(docker_client)
    yield factory
    containers.cleanup()
    factory.cleanup()


@pytest.fixture
def api(docker_client):
    return docker_client.api


def test_list_volumes_with_users_running_and_stopped(api, made, containers, docker_client):
    used = made.create()
    stopped_user = made.create()
    free = made.create()
    runner = containers.run("sleep 300", volumes={used: {"bind": "/data", "mode": "rw"}})
    holder = containers.run("true", volumes={stopped_user: {"bind": "/data", "mode": "rw"}})
    holder.wait(timeout=10)
    volumes = {volume.name: volume for volume in list_volumes(api)}
    assert volumes[used].used_by == (runner.name,) and volumes[used].in_use
    assert volumes[stopped_user].used_by == (holder.name,)  # a stopped container still holds it
    assert volumes[free].used_by == () and not volumes[free].in_use
    free_volume = volumes[free]
    assert free_volume.driver == "local" and free_volume.mountpoint and free_volume.created is not None
    assert (PRUNE_LABEL, made.prune_id) in free_volume.labels
    assert free_volume.size is None  # sizes only on request
    assert not free_volume.anonymous


def test_volume_sizes_come_from_disk_usage(api, made, containers):
    name = made.create()
    writer = containers.run("head -c 200000 /dev/zero > /data/blob", volumes={name: {"bind": "/data"}})
    assert writer.wait(timeout=20)["StatusCode"] == 0
    sizes = {usage.name: usage for usage in volume_sizes(api)}
    assert sizes[name].size >= 200000 and sizes[name].ref_count == 1
    (volume,) = [v for v in list_volumes(api, sizes=True) if v.name == name]
    assert volume.size == sizes[name].size
    (bare,) = [v for v in list_volumes(api) if v.name == name]
    assert with_sizes([bare], sizes.values())[0].size == sizes[name].size


def test_remove_volume_in_use_and_missing(api, made, containers, docker_client):
    name = made.create()
    containers.run("sleep 300", volumes={name: {"bind": "/data"}})
    with pytest.raises(DockerAPIError) as caught:
        remove_volume(api, name)
    assert caught.value.message.startswith(f"cannot remove volume {name}: ")
    assert "remove the containers" in caught.value.hint
    free = made.create()
    remove_volume(api, free)
    with pytest.raises(docker.errors.NotFound):
        docker_client.volumes.get(free)
    with pytest.raises(NotFoundError):
        remove_volume(api, free)


def test_prune_preview_and_label_scoped_prune(api, made, containers, docker_client):
    free = [made.create(), made.create()]
    used = made.create()
    containers.run("true", volumes={used: {"bind": "/data"}}).wait(timeout=10)
    preview = preview_volume_prune(api, filters=made.prune_filter)
    assert preview.ids == set(free) and preview.kind == "volume"
    for name in free + [used]:
        docker_client.volumes.get(name)  # the preview deleted nothing
    with_size = preview_volume_prune(api, filters=made.prune_filter, sizes=True)
    assert all(item.size is not None for item in with_size.items)

    result = prune_volumes(api, filters=made.prune_filter)
    assert set(result.deleted) == set(free)
    for name in free:
        with pytest.raises(docker.errors.NotFound):
            docker_client.volumes.get(name)
    docker_client.volumes.get(used)  # a volume of a stopped container stays
