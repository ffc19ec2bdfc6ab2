"""``dockerforge doctor`` end to end, in-process, against the real engine."""

from __future__ import annotations

import json
import socket
import tarfile
from pathlib import Path

import pytest

from dockerforge_tui import __version__

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
SECRET = "s3cr3t-Tok3n-9f2c"
BUNDLE_MEMBERS = {"version.txt", "platform.json", "config.yaml", "engine.json", "dockerforge.log"}

pytestmark = pytest.mark.docker


@pytest.fixture(autouse=True)
def engine_env(tmp_path, monkeypatch, docker_client):
    """A fake HOME and no engine-selecting variables, so only the platform's sockets are candidates."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                 "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


def dead_socket(path: Path) -> str:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()
    return f"unix://{path}"


def test_engine_answers(run_cli, docker_client):
    result = run_cli("doctor")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"DockerForge {__version__}" in out
    assert "init system:" in out
    assert "SOURCE" in out and "ENDPOINT" in out and "LATENCY" in out and "API" in out
    assert f"using: {DEFAULT_SOCKET} (default socket)" in out
    assert docker_client.version()["Version"] in out
    # the other guesses are listed with why they failed, but with an engine in use a
    # socket that simply does not exist is no problem to fix
    assert "no socket" in out and "fix: " not in out and "problems:" not in out


def test_named_dead_endpoint_exits_3_with_a_hint(run_cli, monkeypatch, tmp_path):
    dead = dead_socket(tmp_path / "dead.sock")
    monkeypatch.setenv("DOCKER_HOST", dead)
    result = run_cli("doctor")
    assert result.exit_code == 3
    assert f"{dead}" in result.stdout and "DOCKER_HOST" in result.stdout
    assert "fix: start the engine at" in result.stdout
    assert "using: none" in result.stdout
    assert DEFAULT_SOCKET not in result.stdout  # only the named endpoint is probed
    assert "dockerforge: error:" in result.stderr and "hint: " in result.stderr


def test_host_flag_is_labelled(run_cli, tmp_path):
    dead = dead_socket(tmp_path / "flag.sock")
    result = run_cli("--host", dead, "doctor")
    assert result.exit_code == 3
    assert "--host" in result.stdout and dead in result.stdout


def test_json_output(run_cli, docker_client):
    result = run_cli("doctor", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["dockerforge_version"] == __version__
    assert data["using"] == {"url": DEFAULT_SOCKET, "source": "default socket"}
    assert data["platform"]["os"] in {"Linux", "WSL"}
    [default] = [c for c in data["candidates"] if c["url"] == DEFAULT_SOCKET]
    assert default["result"] == "ok" and default["api_version"] == docker_client.version()["ApiVersion"]
    assert all(c["hint"] for c in data["candidates"] if not c["ok"])


def test_json_output_when_nothing_answers(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/missing.sock")
    result = run_cli("doctor", "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["using"] is None
    assert [c["result"] for c in data["candidates"]] == ["no socket"]
    assert data["hint"]


def test_missing_context_exits_2(run_cli, monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "ghost")
    result = run_cli("doctor")
    assert result.exit_code == 2
    assert "ghost" in result.stdout and "docker context ls" in result.stdout


def write_secret_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        "redaction:\n"
        f"  values: ['{SECRET}']\n"
        "docker:\n"
        f"  cert_path: /srv/certs/{SECRET}\n"
        f"  extra_sockets: ['unix:///tmp/{SECRET}/docker.sock']\n"
    )
    return config


def write_logs(log_dir: Path) -> None:
    """A rotated log (600 lines in two files) with the secret in both."""
    (log_dir / "dockerforge.log.1").write_text(
        "".join(f"old line {n} token={SECRET}\n" for n in range(300)))
    (log_dir / "dockerforge.log").write_text(
        "".join(f"new line {n} password {SECRET}\n" for n in range(300)))


def read_bundle(path: Path) -> dict[str, str]:
    with tarfile.open(path, "r:gz") as archive:
        return {member.name: archive.extractfile(member).read().decode() for member in archive.getmembers()}


def test_bundle_has_every_member_and_no_secret(run_cli, tmp_path, isolated_dirs, docker_client):
    config = write_secret_config(tmp_path)
    write_logs(isolated_dirs / "log")
    bundle = tmp_path / "out" / "report.tar.gz"
    bundle.parent.mkdir()
    result = run_cli("--config", str(config), "doctor", "--bundle", str(bundle))
    assert result.exit_code == 0, result.stderr
    assert f"bundle: {bundle}" in result.stdout
    assert SECRET not in result.stdout
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["report.tar.gz"]  # no temporary left

    members = read_bundle(bundle)
    assert set(members) == BUNDLE_MEMBERS
    for name, text in members.items():
        assert SECRET not in text, f"{name} leaks the secret"
    assert f"dockerforge {__version__}" in members["version.txt"]
    assert json.loads(members["platform.json"])["init_system"]
    assert "extra_sockets" in members["config.yaml"] and "cert_path" in members["config.yaml"]
    engine = json.loads(members["engine.json"])
    assert engine["using"]["url"] == DEFAULT_SOCKET
    assert engine["info"]["ServerVersion"] == docker_client.version()["Version"]
    assert len(engine["probes"]) > 2
    log_lines = members["dockerforge.log"].splitlines()
    assert len(log_lines) == 500  # the newest 500 across the rotated files, oldest first
    assert any(line.startswith("new line 299 ") for line in log_lines)
    assert any(line.startswith("old line 299 ") for line in log_lines)
    assert not any(line.startswith("old line 0 ") for line in log_lines)
    assert log_lines.index(next(line for line in log_lines if line.startswith("old line 299 "))) < \
        log_lines.index(next(line for line in log_lines if line.startswith("new line 0 ")))


def test_bundle_is_written_when_nothing_answers(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", dead_socket(tmp_path / "dead.sock"))
    bundle = tmp_path / "report.tar.gz"
    result = run_cli("doctor", "--json", "--bundle", str(bundle))
    assert result.exit_code == 3
    assert json.loads(result.stdout)["bundle"] == str(bundle)
    members = read_bundle(bundle)
    assert set(members) == BUNDLE_MEMBERS
    engine = json.loads(members["engine.json"])
    assert engine["using"] is None and engine["info"] is None
    assert engine["probes"][0]["result"] == "refused"


def test_bundle_into_a_missing_directory_is_not_found(run_cli, tmp_path):
    result = run_cli("doctor", "--bundle", str(tmp_path / "nowhere" / "report.tar.gz"))
    assert result.exit_code == 4
    assert "does not exist" in result.stderr
