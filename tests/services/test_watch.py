"""The container watcher and stats sampler against the real engine."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from dockerforge_tui.core.config import default_settings
from dockerforge_tui.services.docker.connection import connect
from dockerforge_tui.services.docker.watch import (
    ContainerChanged,
    ContainerRemoved,
    ContainersListed,
    ContainerWatcher,
    EngineConnected,
    EngineUnavailable,
    backoff_delays,
)
from tests.support.socket_proxy import EngineSocketProxy

pytestmark = pytest.mark.docker


class Collector:
    """Run a watcher's update loop on a thread and collect what it yields."""

    def __init__(self, watcher: ContainerWatcher) -> None:
        self.watcher = watcher
        self.updates: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for update in self.watcher.updates():
            self.updates.put(update)

    def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                update = self.updates.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(update)
            if predicate(update):
                return update
        raise AssertionError(f"no matching update within {timeout}s; saw {[type(u).__name__ for u in seen]}")

    def close(self) -> None:
        self.watcher.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "the watcher thread did not stop after close()"


@pytest.fixture
def watch(docker_client):
    collectors = []

    def start(connector=None, **kwargs) -> Collector:
        settings = default_settings().docker
        collector = Collector(ContainerWatcher(connector or (lambda: connect(settings)), **kwargs))
        collectors.append(collector)
        return collector

    yield start
    for collector in collectors:
        collector.close()


def test_backoff_is_capped():
    delays = backoff_delays(0.5, 3.0)
    assert [next(delays) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_follows_create_start_stop_and_remove(watch, containers):
    collector = watch()
    connected = collector.wait_for(lambda u: isinstance(u, EngineConnected))
    assert connected.engine.endpoint.startswith("unix://")
    collector.wait_for(lambda u: isinstance(u, ContainersListed) and u.complete)

    container = containers.run("sleep 300", labels={"com.docker.compose.project": "shop"})
    started = collector.wait_for(lambda u: isinstance(u, ContainerChanged) and u.container.id == container.id
                                 and u.container.state == "running")
    assert started.container.compose_project == "shop"
    assert started.container.started_at is not None

    container.stop(timeout=0)
    stopped = collector.wait_for(lambda u: isinstance(u, ContainerChanged) and u.container.id == container.id
                                 and u.container.state == "exited")
    assert stopped.container.exit_code == 137

    container.remove()
    collector.wait_for(lambda u: isinstance(u, ContainerRemoved) and u.container_id == container.id)


def test_stats_stream_for_watched_containers(watch, containers):
    busy = containers.run("while :; do :; done")
    collector = watch(stats_interval=0.5)
    collector.wait_for(lambda u: isinstance(u, ContainersListed) and u.complete)
    sampler = collector.watcher.stats
    sampler.watch([busy.id])
    deadline = time.monotonic() + 15
    best = None
    for batch in sampler.batches():
        for sample in batch:
            if sample.container_id == busy.id and sample.cpu_percent is not None:
                best = max(best or 0.0, sample.cpu_percent)
        if (best and best > 20) or time.monotonic() > deadline:
            break
    assert best is not None and best > 20, f"a busy loop should use CPU, saw {best}"
    sampler.watch([])
    assert sampler.watched == frozenset()


def test_reconnects_after_the_engine_goes_away(watch, containers, tmp_path):
    proxy = EngineSocketProxy(tmp_path / "engine.sock")
    settings = default_settings().docker.model_copy(update={"host": proxy.url})
    # No engine yet: the watcher says so and keeps trying.
    collector = watch(lambda: connect(settings), first_retry=0.2, max_retry=0.5)
    down = collector.wait_for(lambda u: isinstance(u, EngineUnavailable))
    assert str(proxy.path) in down.message and down.hint

    proxy.start()
    collector.wait_for(lambda u: isinstance(u, ContainersListed) and u.complete)

    proxy.stop()  # the engine "dies" under the event stream
    collector.wait_for(lambda u: isinstance(u, EngineUnavailable))

    container = containers.run("sleep 300")
    proxy.start()
    relisted = collector.wait_for(lambda u: isinstance(u, ContainersListed))
    assert container.id in {c.id for c in relisted.containers}, "a fresh list follows every reconnect"
    proxy.stop()
