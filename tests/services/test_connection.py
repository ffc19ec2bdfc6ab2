"""Connecting to the real engine: first answer wins, broken guesses fall through, named endpoints never do."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest

from dockerforge_tui.core.config import DockerSettings
from dockerforge_tui.core.errors import EngineUnreachableError, ExitCode
from dockerforge_tui.core.platform import detect_platform
from dockerforge_tui.services.docker.connection import EngineConnection, connect, probe_all
from dockerforge_tui.services.docker.endpoints import Failure

DEFAULT_SOCKET = "unix:///var/run/docker.sock"

pytestmark = pytest.mark.docker


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(home) -> dict[str, str]:
    """An environment that names no engine: HOME only."""
    return {"HOME": str(home)}


def dead_socket(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()
    return f"unix://{path}"


def test_connects_to_the_default_socket(docker_client, linux, env):
    settings = DockerSettings(timeout=17)
    with connect(settings, env, linux) as connection:
        assert isinstance(connection, EngineConnection)
        assert connection.endpoint.url == DEFAULT_SOCKET
        assert connection.endpoint.source == "default socket"
        assert connection.engine_version == docker_client.version()["Version"]
        assert connection.api_version == docker_client.version()["ApiVersion"]
        assert connection.api.timeout == 17
        assert connection.api.ping() is True
        assert connection.probes[-1].ok
    assert connection.probes[-1].endpoint.url == DEFAULT_SOCKET


def test_falls_back_from_a_dead_candidate(docker_client, linux, env, tmp_path):
    dead = dead_socket(tmp_path / "broken" / "docker.sock")
    with connect(DockerSettings(extra_sockets=[dead]), env, linux) as connection:
        assert connection.endpoint.url == DEFAULT_SOCKET
        assert [probe.endpoint.url for probe in connection.probes] == [dead, DEFAULT_SOCKET]
        assert connection.probes[0].failure is Failure.REFUSED
        assert connection.api.version()["Version"] == connection.engine_version


def test_dead_docker_desktop_socket_is_reported_and_the_default_socket_used(docker_client, linux, env, home):
    # A dead Docker Desktop socket is only a guess: the working default socket still wins.
    dead_socket(home / ".docker" / "desktop" / "docker.sock")
    results = probe_all(DockerSettings(), env, linux)
    by_url = {result.endpoint.url: result for result in results}
    assert by_url[f"unix://{home}/.docker/desktop/docker.sock"].failure is Failure.REFUSED
    with connect(DockerSettings(), env, linux) as connection:
        assert connection.endpoint.url == DEFAULT_SOCKET


@pytest.mark.parametrize("how", ["DOCKER_HOST", "config docker.host"])
def test_named_dead_endpoint_never_falls_back(docker_client, linux, env, tmp_path, how):
    dead = dead_socket(tmp_path / "named.sock")
    settings = DockerSettings(host=dead) if how == "config docker.host" else DockerSettings()
    if how == "DOCKER_HOST":
        env = {**env, "DOCKER_HOST": dead}
    with pytest.raises(EngineUnreachableError) as caught:
        connect(settings, env, linux)
    error = caught.value
    assert error.exit_code == ExitCode.ENGINE_UNREACHABLE
    assert dead in error.message and how in error.message
    assert "connection refused" in error.message
    assert DEFAULT_SOCKET not in error.message
    assert error.hint and "start the engine at" in error.hint


def test_named_dead_context_never_falls_back(docker_client, linux, env, home, tmp_path):
    dead = dead_socket(tmp_path / "colima.sock")
    meta = home / ".docker" / "contexts" / "meta" / hashlib.sha256(b"colima").hexdigest() / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": "colima", "Endpoints": {"docker": {"Host": dead}}}))
    (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": "colima"}))
    with pytest.raises(EngineUnreachableError, match="context colima") as caught:
        connect(DockerSettings(), env, linux)
    assert "docker context use default" in caught.value.hint
    assert probe_all(DockerSettings(), env, linux)[0].endpoint.source == "context colima"
    assert len(probe_all(DockerSettings(), env, linux)) == 1


def test_nothing_answers_lists_every_attempt_and_the_best_hint(tmp_path):
    # The Windows adapter on Linux: its named pipes cannot answer, so only our dead socket
    # and the pipes are tried; the dead socket's start hint is the most useful one.
    windows = detect_platform(tmp_path, system="Windows", env={})
    dead = dead_socket(tmp_path / "dead.sock")
    with pytest.raises(EngineUnreachableError) as caught:
        connect(DockerSettings(extra_sockets=[dead]), {"USERPROFILE": str(tmp_path)}, windows)
    message = caught.value.message
    assert message.startswith("no Docker engine answered (tried ")
    assert f"{dead}: refused" in message
    assert "npipe:////./pipe/docker_engine: unsupported" in message
    assert "\n" not in message
    assert caught.value.hint == windows.engine_start_hint("config docker.extra_sockets")


def test_probe_all_probes_every_candidate(docker_client, linux, env, tmp_path):
    dead = dead_socket(tmp_path / "x" / "docker.sock")
    results = probe_all(DockerSettings(extra_sockets=[dead]), env, linux)
    assert [result.endpoint.url for result in results][:2] == [dead, DEFAULT_SOCKET]
    assert len(results) == len({result.endpoint.url for result in results}) > 3
    assert [result.ok for result in results].count(True) == 1
    assert all(result.hint for result in results if not result.ok)


def test_stream_clients_close_with_the_connection(docker_client, linux, env):
    connection = connect(DockerSettings(), env, linux)
    stream_client = connection.open_stream_client()
    assert stream_client.ping() is True
    connection.close()
    connection.close()  # twice is fine
    with pytest.raises(EngineUnreachableError):
        connection.open_stream_client()


def test_info_is_plain_data(docker_client, linux, env):
    with connect(DockerSettings(), env, linux) as connection:
        info = connection.info()
    assert isinstance(info, dict)
    assert info["ServerVersion"] == connection.engine_version
    json.dumps(info)
