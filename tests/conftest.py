"""Shared fixtures: an isolated config/data/log tree per test, the real Docker engine, labelled containers."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.containers import ContainerFactory, remove_labelled
from tests.support.images import BUSYBOX_IMAGE, ensure_test_images

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give every test its own config, data, log and cache directories."""
    root = tmp_path / "dfhome"
    for name in ("config", "data", "log", "cache"):
        (root / name).mkdir(parents=True)
        monkeypatch.setenv(f"DOCKERFORGE_{name.upper()}_DIR", str(root / name))
    for key in list(os.environ):
        if key.startswith("DOCKERFORGE_") and "__" in key:
            monkeypatch.delenv(key)
    return root


@pytest.fixture(scope="session")
def docker_client():
    """A docker-py client for the engine the test command started; fails loudly when none answers."""
    import docker

    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except Exception as error:
        pytest.fail(
            f"no Docker engine answers ({error}); run scripts/test.sh, which starts one, "
            "or start dockerd and make /var/run/docker.sock reachable",
            pytrace=False,
        )
    ensure_test_images(client)
    remove_labelled(client, session_only=False)
    yield client
    remove_labelled(client)
    client.close()


@pytest.fixture
def containers(docker_client):
    """Start labelled busybox containers; each is removed at teardown, pass or fail."""
    factory = ContainerFactory(docker_client, BUSYBOX_IMAGE)
    yield factory
    factory.cleanup()


@dataclass
class CliResult:
    """What one in-process ``dockerforge`` run produced."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli():
    """Run ``dockerforge ARGS`` in-process and capture its exit code and output."""
    from dockerforge_tui.cli.main import main

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), stdout=out, stderr=err)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run
