"""The dashboard's early container list: one plain GET /containers/json, no docker SDK, no probe."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from dockerforge_tui.core.config import DockerSettings
from dockerforge_tui.core.platform import detect_platform
from dockerforge_tui.services.docker.connection import EarlyContainerList, early_container_list
from dockerforge_tui.services.docker.containers import list_containers, list_containers_plain
from dockerforge_tui.services.docker.endpoints import api_client, discover_endpoints

DEFAULT_SOCKET = "unix:///var/run/docker.sock"

pytestmark = pytest.mark.docker


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """An environment that names no engine: HOME only."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home)}


def dead_socket(path: Path) -> str:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()
    return f"unix://{path}"


class OneAnswerServer:
    """A unix socket that answers every request with the same bytes, then closes."""

    def __init__(self, path: Path, answer: bytes) -> None:
        self.url = f"unix://{path}"
        self._answer = answer
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(4)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with client:
                client.recv(4096)
                client.sendall(self._answer)

    def close(self) -> None:
        self._listener.close()


def test_the_plain_list_gives_the_same_records_as_the_sdk(containers):
    container = containers.run("sleep 300")
    plain = {summary.id: summary for summary in list_containers_plain(DEFAULT_SOCKET, timeout=5)}
    api = api_client(discover_endpoints(DockerSettings(host=DEFAULT_SOCKET), {}, detect_platform())[0], timeout=5)
    try:
        sdk = {summary.id: summary for summary in list_containers(api)}
    finally:
        api.close()
    assert plain[container.id] == sdk[container.id]
    assert plain[container.id].name == container.name and plain[container.id].started_at is None


def test_early_list_takes_the_first_candidate_that_answers(containers, linux, env, tmp_path):
    container = containers.run("sleep 300")
    settings = DockerSettings(extra_sockets=[dead_socket(tmp_path / "dead.sock")])
    listed = early_container_list(settings, env, linux)
    assert listed is not None and container.id in {summary.id for summary in listed}


def test_a_named_endpoint_that_fails_gives_no_early_list(linux, env, tmp_path):
    # The full connection reports a named endpoint's failure; the early list never tries another.
    settings = DockerSettings(host=dead_socket(tmp_path / "named.sock"))
    assert early_container_list(settings, env, linux) is None


def test_endpoints_that_need_the_sdk_get_no_early_list(linux, env):
    assert early_container_list(DockerSettings(host="ssh://nobody@127.0.0.1"), env, linux) is None
    assert early_container_list(DockerSettings(host="tcp://127.0.0.1:1", tls_verify=True), env, linux) is None


def test_a_missing_context_gives_no_early_list_and_no_error(linux, env):
    assert early_container_list(DockerSettings(context="no-such-context"), env, linux) is None


@pytest.mark.parametrize("answer, problem", [
    (b"HTTP/1.0 500 Internal Server Error\r\n\r\n{}", "HTTP 500"),
    (b"SSH-2.0-OpenSSH\r\n", "did not answer in HTTP"),
    (b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"message\": \"x\"}", "not a JSON list"),
])
def test_a_wrong_answer_is_a_value_error(tmp_path, answer, problem):
    server = OneAnswerServer(tmp_path / "odd.sock", answer)
    try:
        with pytest.raises(ValueError, match=problem):
            list_containers_plain(server.url, timeout=5)
    finally:
        server.close()


def test_early_container_list_runs_on_its_own_thread():
    release = threading.Event()
    names = []

    def fetch():
        names.append(threading.current_thread().name)
        release.wait(5)
        return ()

    early = EarlyContainerList(fetch)
    assert not early.done
    assert early.result(timeout=0.01) is None  # not there yet: the caller does not wait longer
    release.set()
    assert early.result(timeout=5) == ()
    assert early.done and names == ["early-container-list"]


def test_a_failing_fetch_is_no_list():
    def fetch():
        raise RuntimeError("boom")

    early = EarlyContainerList(fetch)
    assert early.result(timeout=5) is None and early.done


def test_a_plain_tcp_endpoint_is_listed_without_the_sdk():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        client, _ = listener.accept()
        with client:
            request = client.recv(4096)
            assert request.startswith(b"GET /containers/json?all=1 HTTP/1.0\r\n")
            client.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[]")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert list_containers_plain(f"tcp://127.0.0.1:{port}", timeout=5) == ()
    finally:
        thread.join(5)
        listener.close()
