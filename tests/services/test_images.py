"""Images against the real engine: list, history, remove, prune preview and a label-scoped prune."""

from __future__ import annotations

import io
import tarfile
import uuid

import docker.errors
import pytest

from dockerforge_tui.core.errors import DockerAPIError, NotFoundError, UsageError
from dockerforge_tui.services.docker.images import (
    image_history, list_images, preview_image_prune, prune_images, remove_image,
)
from tests.support.containers import test_labels as labelled, unique_name
from tests.support.images import BUSYBOX_IMAGE

pytestmark = pytest.mark.docker

PRUNE_LABEL = "dockerforge.test.prune"


class ImageFactory:
    """Build tiny labelled images (FROM scratch, one file: no container runs) and remove them at teardown."""

    def __init__(self, client) -> None:
        self.client = client
        self.prune_id = uuid.uuid4().hex
        self.image_ids: list[str] = []
        self.containers: list = []

    @property
    def prune_filter(self) -> dict[str, str]:
        return {"label": f"{PRUNE_LABEL}={self.prune_id}"}

    def build(self, tag: str | None = None) -> str:
        marker = uuid.uuid4().hex.encode()  # unique content: never the same image id twice
        dockerfile = b"FROM scratch\nCOPY marker /marker\n"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in (("Dockerfile", dockerfile), ("marker", marker)):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        buffer.seek(0)
        image, _ = self.client.images.build(fileobj=buffer, custom_context=True, tag=tag, rm=True,
                                            labels=labelled(**{PRUNE_LABEL: self.prune_id}))
        self.image_ids.append(image.id)
        return image.id

    def use(self, image_id: str):
        """A created (never started) labelled container from the image, so the image is in use."""
        container = self.client.containers.create(image_id, ["/marker"], name=unique_name(),
                                                  labels=labelled())
        self.containers.append(container)
        return container

    def cleanup(self) -> None:
        for container in self.containers:
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
        for image_id in self.image_ids:
            try:
                self.client.images.remove(image_id, force=True)
            except docker.errors.NotFound:
                pass


@pytest.fixture
def built(docker_client):
    factory = ImageFactory(docker_client)
    yield factory
    factory.cleanup()


@pytest.fixture
def api(docker_client):
    return docker_client.api


def test_list_images_has_tags_size_and_users_from_one_list(api, containers):
    container = containers.run("sleep 300")
    by_tag = {tag: image for image in list_images(api) for tag in image.tags}
    busybox = by_tag[BUSYBOX_IMAGE]
    assert busybox.id.startswith("sha256:") and len(busybox.short_id) == 12
    assert busybox.size > 0 and busybox.created is not None
    assert not busybox.dangling
    assert container.name in busybox.used_by and busybox.containers >= 1 and busybox.in_use


def test_untagged_image_is_dangling_and_tagged_one_is_not(api, built):
    dangling_id = built.build()
    tag = f"dockerforge-test/img-{uuid.uuid4().hex[:8]}:v1"
    tagged_id = built.build(tag)
    images = {image.id: image for image in list_images(api)}
    assert images[dangling_id].dangling and images[dangling_id].tags == ()
    assert images[dangling_id].display_name == images[dangling_id].short_id
    assert images[tagged_id].tags == (tag,) and not images[tagged_id].dangling
    assert images[tagged_id].used_by == ()
    assert ("dockerforge.test", "1") in images[tagged_id].labels


def test_image_history_lists_layers(api, built):
    image_id = built.build()
    layers = image_history(api, image_id)
    assert layers, "an image has at least one layer"
    assert any("COPY" in layer.created_by for layer in layers)
    assert layers[0].id == image_id
    assert all(layer.size >= 0 for layer in layers)


def test_history_of_a_missing_image_is_not_found(api):
    with pytest.raises(NotFoundError, match="image sha256:0000"):
        image_history(api, "sha256:" + "0" * 64)


def test_remove_image_and_in_use_refusal(api, built, docker_client):
    tag = f"dockerforge-test/img-{uuid.uuid4().hex[:8]}:v1"
    image_id = built.build(tag)
    built.use(image_id)
    with pytest.raises(DockerAPIError) as caught:
        remove_image(api, image_id)
    assert caught.value.message.startswith(f"cannot remove image {image_id}: ")
    assert "force" in caught.value.hint
    built.cleanup()  # frees the image
    unused_id = built.build()
    report = remove_image(api, unused_id)
    assert any(line.startswith("deleted: ") for line in report)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(unused_id)
    with pytest.raises(NotFoundError):
        remove_image(api, unused_id)


def test_prune_preview_deletes_nothing_and_respects_mode(api, built, docker_client):
    dangling = [built.build(), built.build()]
    tagged = built.build(f"dockerforge-test/img-{uuid.uuid4().hex[:8]}:v1")
    in_use = built.build()
    built.use(in_use)

    preview = preview_image_prune(api, "dangling", filters=built.prune_filter)
    assert preview.ids == set(dangling)
    assert preview.total_bytes == sum(item.size for item in preview.items)
    assert all(item.label for item in preview.items)

    unused = preview_image_prune(api, "unused", filters=built.prune_filter)
    assert unused.ids == set(dangling) | {tagged}
    for image_id in dangling + [tagged, in_use]:
        docker_client.images.get(image_id)  # still there: a preview never deletes

    with pytest.raises(UsageError):
        preview_image_prune(api, "everything")


def test_prune_removes_only_the_previewed_images(api, built, docker_client):
    dangling = built.build()
    tagged = built.build(f"dockerforge-test/img-{uuid.uuid4().hex[:8]}:v1")
    preview = preview_image_prune(api, "dangling", filters=built.prune_filter)
    result = prune_images(api, "dangling", filters=built.prune_filter)
    assert dangling in result.deleted and set(preview.ids) <= set(result.deleted)
    assert result.space_reclaimed >= 0
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(dangling)
    docker_client.images.get(tagged)  # dangling mode keeps tagged images
    result = prune_images(api, "unused", filters=built.prune_filter)
    assert tagged in result.deleted
