"""Networks against the real engine: IPAM, attached containers, remove, prune preview and a label-scoped prune."""

from __future__ import annotations

import uuid

import docker.errors
import pytest

from dockerforge_tui.core.errors import DockerAPIError, NotFoundError
from dockerforge_tui.services.docker.networks import (
    list_networks, preview_network_prune, prune_networks, remove_network,
)
from tests.support.containers import test_labels as labelled

pytestmark = pytest.mark.docker

PRUNE_LABEL = "dockerforge.test.prune"


class NetworkFactory:
    """Labelled bridge networks (subnet chosen by the engine), removed at teardown even when the test failed."""

    def __init__(self, client) -> None:
        self.client = client
        self.prune_id = uuid.uuid4().hex
        self.ids: list[str] = []

    @property
    def prune_filter(self) -> dict[str, str]:
        return {"label": f"{PRUNE_LABEL}={self.prune_id}"}

    def create(self, **options):
        network = self.client.networks.create(f"dftest-net-{uuid.uuid4().hex[:10]}", driver="bridge",
                                              labels=labelled(**{PRUNE_LABEL: self.prune_id}), **options)
        self.ids.append(network.id)
        return network

    def cleanup(self) -> None:
        for network_id in self.ids:
            try:
                self.client.networks.get(network_id).remove()
            except docker.errors.NotFound:
                pass


@pytest.fixture
def made(docker_client, containers):
    factory = NetworkFactory(docker_client)
    yield factory
    containers.cleanup()  # containers first: a network with attached containers cannot go
    factory.cleanup()


@pytest.fixture
def api(docker_client):
    return docker_client.api


def test_list_networks_with_ipam_and_attached_containers(api, made, containers, docker_client):
    network = made.create(internal=True)
    running = containers.run("sleep 300", network=network.name)
    stopped = docker_client.containers.create("dockerforge-test/busybox:latest", ["true"], network=network.name,
                                              labels=labelled(), name=f"dftest-{uuid.uuid4().hex[:10]}")
    containers.created.append(stopped)
    found = {summary.id: summary for summary in list_networks(api)}[network.id]
    assert found.name == network.name and found.driver == "bridge" and found.scope == "local"
    assert found.internal and not found.predefined
    assert found.subnets and "/" in found.subnets[0]
    assert found.gateways  # IPAM gave the bridge a gateway
    attached = {endpoint.container_name: endpoint for endpoint in found.containers}
    assert set(attached) == {running.name, stopped.name}
    assert attached[running.name].running and attached[running.name].ipv4.count(".") == 3
    assert attached[stopped.name].ipv4 == "" and not attached[stopped.name].running
    assert found.in_use
    assert (PRUNE_LABEL, made.prune_id) in found.labels


def test_predefined_networks_are_listed_and_cannot_be_removed(api):
    names = {network.name: network for network in list_networks(api)}
    assert {"bridge", "host", "none"} <= set(names)
    assert names["bridge"].predefined
    with pytest.raises(DockerAPIError) as caught:
        remove_network(api, "bridge")
    assert "pre-defined" in caught.value.message and "cannot be removed" in caught.value.hint


def test_remove_network(api, made, containers, docker_client):
    busy = made.create()
    containers.run("sleep 300", network=busy.name)
    with pytest.raises(DockerAPIError) as caught:
        remove_network(api, busy.id)
    assert "attached" in caught.value.hint
    free = made.create()
    remove_network(api, free.id)
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(free.id)
    with pytest.raises(NotFoundError):
        remove_network(api, free.id)


def test_prune_preview_and_label_scoped_prune(api, made, containers, docker_client):
    free = made.create()
    busy = made.create()
    containers.run("sleep 300", network=busy.name)
    preview = preview_network_prune(api, filters=made.prune_filter)
    assert preview.ids == {free.id}
    assert [item.label for item in preview.items] == [free.name]
    docker_client.networks.get(free.id)  # the preview deleted nothing
    result = prune_networks(api, filters=made.prune_filter)
    assert result.deleted == (free.name,)  # the engine reports network names
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(free.id)
    docker_client.networks.get(busy.id)
