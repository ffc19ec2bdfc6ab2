"""Engine discovery from fake HOME and docker-config trees, and probes against real sockets."""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dockerforge_tui.core.config import DockerSettings
from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.platform import detect_platform
from dockerforge_tui.services.docker.endpoints import (
    Endpoint, Failure, TLSConfig, classify_error, context_dir_name, discover_endpoints, hint_for_error, probe,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


@pytest.fixture
def linux(tmp_path):
    """A Linux platform adapter (systemd) on a fake root."""
    root = tmp_path / "root"
    (root / "run/systemd/system").mkdir(parents=True)
    return detect_platform(root, system="Linux", env={})


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def write_context(config_dir: Path, name: str, host: str, *, skip_tls_verify: bool = False,
                  tls_files: tuple[str, ...] = ()) -> Path:
    """Write a context the way ``docker context create`` stores it; return its meta.json."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({
        "Name": name,
        "Metadata": {"Description": f"{name} engine"},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_tls_verify}},
    }))
    for part in tls_files:
        tls = config_dir / "contexts" / "tls" / digest / "docker" / f"{part}.pem"
        tls.parent.mkdir(parents=True, exist_ok=True)
        tls.write_text(f"-----BEGIN {part.upper()}-----\n")
    return meta


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """Answers nothing useful and logs nothing: a plain-HTTP server for the TLS test."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def dead_socket(path: Path) -> Path:
    """A real socket file nobody listens on: bound, then closed."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()
    return path


class TestDiscovery:
    def test_no_hints_gives_the_platform_sockets(self, linux, home):
        candidates = discover_endpoints(DockerSettings(), {"HOME": str(home)}, linux)
        assert candidates[0] == Endpoint(DEFAULT_SOCKET, "default socket", False, None)
        urls = [candidate.url for candidate in candidates]
        assert f"unix://{home}/.docker/desktop/docker.sock" in urls
        assert f"unix://{home}/.colima/default/docker.sock" in urls
        assert len(urls) == len(set(urls))
        assert not any(candidate.user_named for candidate in candidates)

    def test_home_argument_wins_over_env(self, linux, home):
        candidates = discover_endpoints(DockerSettings(), {"HOME": "/nonexistent"}, linux, home)
        assert f"unix://{home}/.rd/docker.sock" in [candidate.url for candidate in candidates]

    def test_rootless_and_podman_from_runtime_dir(self, linux, home, tmp_path):
        runtime = tmp_path / "run-user"
        env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
        by_url = {c.url: c.source for c in discover_endpoints(DockerSettings(), env, linux)}
        assert by_url[f"unix://{runtime}/docker.sock"] == "rootless"
        assert by_url[f"unix://{runtime}/podman/podman.sock"] == "Podman"

    def test_extra_sockets_come_first_and_are_not_duplicated(self, linux, home):
        settings = DockerSettings(extra_sockets=["/srv/engine.sock", DEFAULT_SOCKET])
        candidates = discover_endpoints(settings, {"HOME": str(home)}, linux)
        assert [c.url for c in candidates[:2]] == ["unix:///srv/engine.sock", DEFAULT_SOCKET]
        assert candidates[0].source == "config docker.extra_sockets"
        assert not candidates[0].user_named
        assert [c.url for c in candidates].count(DEFAULT_SOCKET) == 1

    def test_docker_host_is_the_only_candidate(self, linux, home):
        env = {"HOME": str(home), "DOCKER_HOST": "unix:///tmp/elsewhere.sock"}
        assert discover_endpoints(DockerSettings(extra_sockets=["/srv/x.sock"]), env, linux) == [
            Endpoint("unix:///tmp/elsewhere.sock", "DOCKER_HOST", True, None)]

    def test_config_host_beats_docker_host(self, linux, home):
        env = {"HOME": str(home), "DOCKER_HOST": "unix:///tmp/env.sock"}
        settings = DockerSettings(host="unix:///tmp/config.sock")
        assert discover_endpoints(settings, env, linux) == [
            Endpoint("unix:///tmp/config.sock", "config docker.host", True, None)]
        assert discover_endpoints(settings, env, linux, host_source="--host")[0].source == "--host"

    def test_docker_host_tcp_with_tls_from_env(self, linux, home, tmp_path):
        certs = tmp_path / "certs"
        certs.mkdir()
        for part in ("ca", "cert", "key"):
            (certs / f"{part}.pem").write_text("pem")
        env = {"HOME": str(home), "DOCKER_HOST": "tcp://engine.example:2376",
               "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(certs)}
        [endpoint] = discover_endpoints(DockerSettings(), env, linux)
        assert endpoint.tls == TLSConfig(True, str(certs / "ca.pem"), str(certs / "cert.pem"), str(certs / "key.pem"))

    def test_tls_defaults_to_docker_config_dir_and_settings_override_env(self, linux, home):
        (home / ".docker").mkdir()
        (home / ".docker" / "ca.pem").write_text("pem")
        env = {"HOME": str(home), "DOCKER_HOST": "tcp://engine.example:2376", "DOCKER_TLS_VERIFY": "1"}
        [endpoint] = discover_endpoints(DockerSettings(), env, linux)
        assert endpoint.tls == TLSConfig(True, str(home / ".docker" / "ca.pem"), None, None)
        [plain] = discover_endpoints(DockerSettings(tls_verify=False), env, linux)
        assert plain.tls is None

    def test_plain_tcp_has_no_tls(self, linux, home):
        [endpoint] = discover_endpoints(DockerSettings(), {"HOME": str(home), "DOCKER_HOST": "tcp://h:2375"}, linux)
        assert endpoint.tls is None

    def test_current_context_from_config_json(self, linux, home):
        config_dir = home / ".docker"
        write_context(config_dir, "colima", f"unix://{home}/.colima/default/docker.sock")
        (config_dir / "config.json").write_text(json.dumps({"auths": {}, "currentContext": "colima"}))
        assert discover_endpoints(DockerSettings(), {"HOME": str(home)}, linux) == [
            Endpoint(f"unix://{home}/.colima/default/docker.sock", "context colima", True, None)]

    def test_context_store_directory_is_the_sha256_of_the_name(self, home):
        meta = write_context(home, "my-remote", "ssh://me@box")
        assert meta.parent.name == context_dir_name("my-remote") == hashlib.sha256(b"my-remote").hexdigest()

    def test_docker_context_env_beats_config_json_and_docker_config_moves_the_store(self, linux, home, tmp_path):
        config_dir = tmp_path / "dockercfg"
        write_context(config_dir, "colima", "unix:///colima.sock")
        write_context(config_dir, "remote", "ssh://deploy@build-box")
        (config_dir / "config.json").write_text(json.dumps({"currentContext": "colima"}))
        env = {"HOME": str(home), "DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "remote"}
        assert discover_endpoints(DockerSettings(), env, linux) == [
            Endpoint("ssh://deploy@build-box", "context remote", True, None)]

    def test_docker_host_beats_context(self, linux, home):
        write_context(home / ".docker", "colima", "unix:///colima.sock")
        env = {"HOME": str(home), "DOCKER_CONTEXT": "colima", "DOCKER_HOST": "unix:///env.sock"}
        assert [c.source for c in discover_endpoints(DockerSettings(), env, linux)] == ["DOCKER_HOST"]

    def test_settings_context_beats_docker_context_env(self, linux, home):
        write_context(home / ".docker", "a", "unix:///a.sock")
        write_context(home / ".docker", "b", "unix:///b.sock")
        env = {"HOME": str(home), "DOCKER_CONTEXT": "a"}
        assert discover_endpoints(DockerSettings(context="b"), env, linux)[0].url == "unix:///b.sock"

    def test_default_context_means_no_context(self, linux, home):
        (home / ".docker").mkdir()
        (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": "default"}))
        candidates = discover_endpoints(DockerSettings(), {"HOME": str(home), "DOCKER_CONTEXT": "default"}, linux)
        assert candidates[0].source == "default socket"
        assert len(candidates) > 1

    def test_tcp_context_with_tls_material(self, linux, home):
        config_dir = home / ".docker"
        write_context(config_dir, "prod", "tcp://prod.example:2376", skip_tls_verify=True,
                      tls_files=("ca", "cert", "key"))
        [endpoint] = discover_endpoints(DockerSettings(), {"HOME": str(home), "DOCKER_CONTEXT": "prod"}, linux)
        tls_dir = config_dir / "contexts" / "tls" / context_dir_name("prod") / "docker"
        assert endpoint.tls == TLSConfig(False, str(tls_dir / "ca.pem"), str(tls_dir / "cert.pem"),
                                         str(tls_dir / "key.pem"))

    def test_missing_context_is_a_config_error(self, linux, home):
        with pytest.raises(ConfigError) as caught:
            discover_endpoints(DockerSettings(), {"HOME": str(home), "DOCKER_CONTEXT": "ghost"}, linux)
        assert "ghost" in caught.value.message and "DOCKER_CONTEXT" in caught.value.message
        assert "docker context ls" in caught.value.hint

    def test_broken_config_json_is_ignored_like_the_docker_cli_does(self, linux, home, caplog):
        (home / ".docker").mkdir()
        (home / ".docker" / "config.json").write_text("{not json")
        candidates = discover_endpoints(DockerSettings(), {"HOME": str(home)}, linux)
        assert candidates[0].source == "default socket"
        assert "config.json" in caplog.text

    def test_windows_candidates_are_named_pipes(self, tmp_path):
        windows = detect_platform(tmp_path, system="Windows", env={})
        candidates = discover_endpoints(DockerSettings(), {"USERPROFILE": str(tmp_path)}, windows)
        assert [c.url for c in candidates] == ["npipe:////./pipe/docker_engine",
                                               "npipe:////./pipe/dockerDesktopLinuxEngine",
                                               "npipe:////./pipe/podman-machine-default"]


@pytest.mark.docker
class TestProbe:
    def test_real_engine(self, docker_client, linux):
        result = probe(Endpoint(DEFAULT_SOCKET, "default socket"), 5.0, linux)
        expected = docker_client.version()
        assert result.ok, result.error
        assert result.engine_version == expected["Version"]
        assert result.api_version == expected["ApiVersion"]
        assert result.os_type == "linux"
        assert result.latency_ms is not None and result.latency_ms > 0
        assert result.error is None and result.hint is None

    def test_missing_socket_is_reported_without_connecting(self, tmp_path, linux):
        started = time.perf_counter()
        result = probe(Endpoint(f"unix://{tmp_path}/absent.sock", "Colima"), 5.0, linux)
        assert time.perf_counter() - started < 0.5
        assert not result.ok
        assert result.failure is Failure.NO_SOCKET
        assert result.error == f"no socket at {tmp_path}/absent.sock"
        assert "colima start" in result.hint

    def test_dead_socket_is_refused_with_a_start_hint(self, tmp_path, linux):
        path = dead_socket(tmp_path / "dead.sock")
        result = probe(Endpoint(f"unix://{path}", "default socket"), 5.0, linux)
        assert not result.ok
        assert result.failure is Failure.REFUSED
        assert str(path) in result.error
        assert "sudo systemctl start docker" in result.hint

    def test_a_regular_file_is_not_a_socket(self, tmp_path, linux):
        path = tmp_path / "file.sock"
        path.write_text("")
        result = probe(Endpoint(f"unix://{path}", "config docker.extra_sockets"), 5.0, linux)
        assert (result.ok, result.failure) == (False, Failure.UNSUPPORTED)
        assert "not a socket" in result.error

    def test_silent_listener_times_out(self, tmp_path, linux):
        path = tmp_path / "silent.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(4)
        try:
            started = time.perf_counter()
            result = probe(Endpoint(f"unix://{path}", "rootless"), 0.3, linux)
            elapsed = time.perf_counter() - started
        finally:
            listener.close()
        assert result.failure is Failure.TIMEOUT
        assert "within 0.3s" in result.error
        assert "ping_timeout" in result.hint
        assert elapsed < 3

    def test_tls_to_a_plain_http_server_is_a_tls_error(self, linux):
        server = http.server.HTTPServer(("127.0.0.1", 0), QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.server_address[1]
            endpoint = Endpoint(f"tcp://127.0.0.1:{port}", "DOCKER_HOST", True, TLSConfig(verify=False))
            result = probe(endpoint, 2.0, linux)
        finally:
            server.shutdown()
            server.server_close()
        assert result.failure is Failure.TLS, result.error
        assert "DOCKER_CERT_PATH" in result.hint

    def test_missing_tls_file_is_reported_before_connecting(self, tmp_path, linux):
        endpoint = Endpoint("tcp://127.0.0.1:9", "DOCKER_HOST", True, TLSConfig(True, str(tmp_path / "ca.pem")))
        result = probe(endpoint, 2.0, linux)
        assert result.failure is Failure.TLS
        assert str(tmp_path / "ca.pem") in result.error

    def test_ssh_failure_says_to_check_ssh(self, linux):
        result = probe(Endpoint("ssh://nobody@host.invalid", "DOCKER_HOST", True), 3.0, linux)
        assert result.failure is Failure.SSH
        assert "ssh nobody@host.invalid" in result.hint
        if shutil.which("ssh"):
            assert "host.invalid" in result.error

    def test_named_pipe_off_windows(self, linux):
        result = probe(Endpoint("npipe:////./pipe/docker_engine", "default pipe"), 1.0, linux)
        assert result.failure is Failure.UNSUPPORTED
        assert "Windows" in result.error


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-U", "true"], capture_output=True).returncode == 0


class TestPermissionDenied:
    def test_hint_from_a_real_errno_exception(self, linux):
        endpoint = Endpoint(DEFAULT_SOCKET, "default socket")
        error = PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/var/run/docker.sock")
        assert classify_error(error) is Failure.PERMISSION
        hint = hint_for_error(error, endpoint, linux)
        assert "sudo usermod -aG docker $USER" in hint and "rootless" in hint

    def test_wrapped_errors_are_classified_by_their_cause(self):
        import requests.exceptions

        try:
            try:
                raise ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
            except OSError as inner:
                raise requests.exceptions.ConnectionError(inner) from inner
        except requests.exceptions.ConnectionError as outer:
            assert classify_error(outer) is Failure.REFUSED
        assert classify_error(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")) is Failure.TLS
        assert classify_error(TimeoutError("timed out")) is Failure.TIMEOUT

    @pytest.mark.skipif(not _can_unshare(), reason="needs user namespaces (unshare -U) to drop root's file access")
    def test_socket_refusing_this_user(self, tmp_path):
        # Root ignores file permissions, so the probe runs in a user namespace where the
        # socket's owner (uid 65534) is unmapped: the kernel then refuses connect() for real.
        path = tmp_path / "locked.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(1)
        os.chown(path, 65534, 65534)
        os.chmod(path, 0)
        code = (
            "import json, sys\n"
            "from dockerforge_tui.core.platform import detect_platform\n"
            "from dockerforge_tui.services.docker.endpoints import Endpoint, probe\n"
            "r = probe(Endpoint(sys.argv[1], 'default socket'), 2.0, detect_platform(system='Linux', env={}))\n"
            "print(json.dumps({'failure': r.failure, 'error': r.error, 'hint': r.hint}))\n"
        )
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        try:
            finished = subprocess.run(["unshare", "-U", sys.executable, "-c", code, f"unix://{path}"],
                                      capture_output=True, text=True, env=env, timeout=60)
        finally:
            listener.close()
        assert finished.returncode == 0, finished.stderr
        result = json.loads(finished.stdout)
        assert result["failure"] == "permission denied"
        assert result["error"] == f"permission denied on {path}"
        assert "sudo usermod -aG docker $USER" in result["hint"]
