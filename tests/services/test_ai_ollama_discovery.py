"""Ollama discovery: OLLAMA_HOST, localhost and Ollama-like containers on the real engine.

The container case runs busybox ``httpd`` under a local image tagged like Ollama's, serving
``/api/tags`` as a static JSON file on 11434 (Ollama's shape), published on a random host port.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest

from dockerforge_tui.services.ai.ollama_discovery import (
    LOCALHOST_URL,
    OllamaCandidate,
    candidates_for,
    choose_model,
    discover_ollama,
    is_ollama_image,
    normalise_url,
    ollama_containers,
    probe,
    running_in_container,
)
from tests.support.ai_servers import OllamaServer, free_port
from tests.support.containers import SESSION_ID, SESSION_LABEL
from tests.support.images import BUSYBOX_IMAGE

TAGS = {"models": [{"name": "qwen2.5:0.5b", "model": "qwen2.5:0.5b", "size": 1, "digest": "b" * 64}]}


class _Connection:
    """What the discovery needs of an EngineConnection: the API client (``client_of`` unwraps ``.api``)."""

    def __init__(self, api) -> None:
        self.api = api


@pytest.fixture
def session_filter():
    return (f"{SESSION_LABEL}={SESSION_ID}",)


@pytest.fixture
def ollama_image(docker_client):
    """The busybox test image under an Ollama-like name, untagged at teardown."""
    tag = f"dftest-{uuid.uuid4().hex[:8]}"
    image = docker_client.images.get(BUSYBOX_IMAGE)
    image.tag("dockerforge-test/ollama", tag)
    yield f"dockerforge-test/ollama:{tag}"
    docker_client.images.remove(f"dockerforge-test/ollama:{tag}", noprune=True)


def serve_tags(containers, image: str, **kwargs):
    script = (f"mkdir -p /www/api && printf '%s' '{json.dumps(TAGS)}' > /www/api/tags "
              "&& exec httpd -f -p 11434 -h /www")
    containers.image = image
    return containers.run(script, ports={"11434/tcp": None}, **kwargs)


def wait_until_answers(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/tags", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_ollama_host_is_found_with_its_models():
    with OllamaServer() as server:
        candidates = candidates_for(env={"OLLAMA_HOST": server.url}, in_container=False)
        assert [c.source for c in candidates][:2] == ["env OLLAMA_HOST", "localhost"]
        found = discover_ollama(candidates)
        assert found.best is not None and found.best.url == server.url and found.best.source == "env OLLAMA_HOST"
    assert found.best.models == ("llama3.2:latest", "qwen2.5:0.5b")
    assert [request.path for request in server.requests] == ["/api/tags"]


def test_config_comes_before_the_environment_and_dead_candidates_are_reported():
    dead = f"http://127.0.0.1:{free_port()}"
    with OllamaServer() as server:
        candidates = candidates_for(configured_url=dead, env={"OLLAMA_HOST": server.url}, in_container=False)
        found = discover_ollama(candidates)
    assert found.best.source == "env OLLAMA_HOST"
    assert found.failed[0][0] == OllamaCandidate(dead, "config ai.base_urls.ollama")
    assert "refused" in found.failed[0][1].lower()


def test_a_server_that_is_not_ollama_is_refused():
    with OllamaServer() as server:  # /api/chat is Ollama's, but a 404 on /api/tags is not
        server.fail_next(404, "", "404 page not found")
        with pytest.raises(Exception, match="HTTP 404"):
            probe(server.url)


def test_model_choice():
    assert choose_model(("llama3.2:latest", "qwen2.5:0.5b"), "llama3.2").model == "llama3.2:latest"
    assert choose_model(("qwen2.5:0.5b",), "qwen2.5:0.5b").model == "qwen2.5:0.5b"
    missing = choose_model(("qwen2.5:0.5b",), "llama3.2")
    assert missing.model is None and missing.pull == "llama3.2"
    assert "ollama pull llama3.2" in missing.message and "qwen2.5:0.5b" in missing.message
    assert choose_model((), None).pull == "llama3.2"
    assert choose_model(("mistral:7b",), None).model == "mistral:7b"


def test_urls_and_image_names():
    assert normalise_url("gpu") == "http://gpu:11434"
    assert normalise_url("0.0.0.0:11434") == LOCALHOST_URL
    assert normalise_url("https://proxy.example/ollama") == "https://proxy.example:443/ollama"
    assert all(map(is_ollama_image, ["ollama/ollama", "ollama/ollama:0.5.1", "ghcr.io/org/ollama:rocm",
                                     "ollama@sha256:" + "c" * 64]))
    assert not any(map(is_ollama_image, ["ollama-webui/app", "busybox", "myollama:1"]))


def test_running_in_container(tmp_path):
    assert not running_in_container(tmp_path)
    (tmp_path / ".dockerenv").touch()
    assert running_in_container(tmp_path)


def test_an_ollama_container_is_found_by_published_port_and_by_ip(docker_client, containers, ollama_image,
                                                                  session_filter):
    container = serve_tags(containers, ollama_image)
    container.reload()
    port = int(container.ports["11434/tcp"][0]["HostPort"])
    wait_until_answers(f"http://127.0.0.1:{port}")

    states = ollama_containers(_Connection(docker_client.api), labels=session_filter)
    assert [state.name for state in states] == [container.name]
    on_host = candidates_for(env={}, containers=states, in_container=False)
    sources = [candidate.source for candidate in on_host]
    assert sources[0] == "localhost"
    assert sources[1] == f"container {container.name} (published port {port})"
    assert sources[2].startswith(f"container {container.name} (IP on ")
    inside = candidates_for(env={}, containers=states, in_container=True)
    assert inside[1].source.startswith(f"container {container.name} (IP on ")

    found = discover_ollama(on_host[1:], first_only=False)
    reachable = {endpoint.source for endpoint in found.found}
    assert f"container {container.name} (published port {port})" in reachable
    assert all(endpoint.models == ("qwen2.5:0.5b",) for endpoint in found.found)
    assert all(endpoint.container == container.name for endpoint in found.found)


def test_a_container_exposing_11434_counts_and_a_silent_one_is_reported(docker_client, containers, session_filter):
    container = containers.run("sleep 300", ports={"11434/tcp": None})
    plain = containers.run("sleep 300")
    states = ollama_containers(_Connection(docker_client.api), labels=session_filter)
    assert [state.name for state in states] == [container.name]
    assert plain.name not in {state.name for state in states}
    found = discover_ollama(candidates_for(env={}, containers=states, in_container=False)[1:], first_only=False)
    assert found.best is None
    assert {candidate.container for candidate, _ in found.failed} == {container.name}
