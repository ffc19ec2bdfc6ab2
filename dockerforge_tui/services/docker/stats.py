"""Stream resource statistics for the containers a view shows.

The engine's one-shot stats call takes one to two seconds per container, so a list of
twenty would wait most of a minute. Instead every watched container gets one
streaming stats request read by a small daemon thread, and the latest sample of each
is handed out in batches (:meth:`StatsSampler.batches`) about once a second: the cost
follows the number of containers on screen, not the frame rate.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:
    from docker.types import CancellableStream

from dockerforge_tui.services.docker.models import StatsSample

log = logging.getLogger(__name__)


def sample_from_stats(container_id: str, raw: Mapping[str, Any], previous: Mapping[str, Any] | None) -> StatsSample:
    """Turn one raw stats document (and the one before it) into a :class:`StatsSample`.

    CPU% is computed the way ``docker stats`` does: the container's share of the host's
    CPU time between two samples, times the number of online CPUs.
    """
    cpu = raw.get("cpu_stats") or {}
    before = (previous or {}).get("cpu_stats") or raw.get("precpu_stats") or {}
    cpu_percent: float | None = None
    total = (cpu.get("cpu_usage") or {}).get("total_usage")
    total_before = (before.get("cpu_usage") or {}).get("total_usage")
    system, system_before = cpu.get("system_cpu_usage"), before.get("system_cpu_usage")
    if None not in (total, total_before, system, system_before) and system > system_before:
        online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or ()) or 1
        cpu_percent = max(0.0, (total - total_before) / (system - system_before) * online * 100.0)

    memory = raw.get("memory_stats") or {}
    details = memory.get("stats") or {}
    # Page cache is reclaimable, so docker stats leaves it out: inactive_file on cgroup v2,
    # total_inactive_file on v1.
    cache = details.get("inactive_file", details.get("total_inactive_file", 0)) or 0
    usage = max(0, int(memory.get("usage") or 0) - int(cache))

    net_rx = net_tx = 0
    for interface in (raw.get("networks") or {}).values():
        net_rx += int(interface.get("rx_bytes") or 0)
        net_tx += int(interface.get("tx_bytes") or 0)
    block_read = block_write = 0
    for entry in (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or ():
        operation = str(entry.get("op", "")).lower()
        if operation == "read":
            block_read += int(entry.get("value") or 0)
        elif operation == "write":
            block_write += int(entry.get("value") or 0)
    return StatsSample(
        container_id=container_id,
        read_at=time.time(),
        cpu_percent=cpu_percent,
        mem_usage=usage,
        mem_limit=int(memory.get("limit") or 0),
        net_rx=net_rx,
        net_tx=net_tx,
        block_read=block_read,
        block_write=block_write,
        pids=(raw.get("pids_stats") or {}).get("current"),
    )


class _StatsStream:
    """One container's streaming stats request, read on a daemon thread."""

    def __init__(self, sampler: "StatsSampler", container_id: str) -> None:
        self.container_id = container_id
        self._sampler = sampler
        self._stream: CancellableStream | None = None
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f"stats-{container_id[:12]}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # the stream may already be dead
                pass

    def _read(self) -> None:
        import docker.errors  # here, not at the top: the screen imports this module before its first frame
        import requests.exceptions
        from docker.types import CancellableStream

        api = self._sampler.api
        previous = None
        if api is None:
            return
        try:
            response = api._get(api._url("/containers/{0}/stats", self.container_id),
                                params={"stream": True}, stream=True)
            api._raise_for_status(response)
            self._stream = CancellableStream(api._stream_helper(response, decode=True), response)
            if self._closed.is_set():
                self._stream.close()
                return
            for raw in self._stream:
                if self._closed.is_set():
                    break
                self._sampler._record(sample_from_stats(self.container_id, raw, previous))
                previous = raw
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError, ValueError,
                AttributeError) as error:
            # AttributeError: urllib3 drops the socket under the reader when close() races it.
            if not self._closed.is_set():
                log.debug("stats stream of %s ended: %s", self.container_id[:12], error)
        finally:
            self._sampler._forget(self.container_id, self)


class StatsSampler:
    """Keep one stats stream per watched container and hand out the newest samples in batches.

    The sampler outlives engine connections: :meth:`attach` binds it to a client (streams
    start for every watched container), :meth:`detach` closes the streams when the engine
    goes away, and the watched set is kept for the next :meth:`attach`.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.api = None
        self._lock = threading.Lock()
        self._wanted: frozenset[str] = frozenset()
        self._streams: dict[str, _StatsStream] = {}
        self._pending: dict[str, StatsSample] = {}
        self._stop = threading.Event()

    def attach(self, api) -> None:
        """Sample through this client from now on."""
        self.detach()
        with self._lock:
            self.api = api
        self.watch(self._wanted)

    def detach(self) -> None:
        """Close every stream; the watched set is kept for the next :meth:`attach`."""
        with self._lock:
            self.api = None
            streams, self._streams = list(self._streams.values()), {}
        for stream in streams:
            stream.close()

    def watch(self, container_ids: Iterable[str]) -> None:
        """Sample exactly these containers: new ones get a stream, the others' streams close."""
        wanted = frozenset(container_ids)
        with self._lock:
            self._wanted = wanted
            if self._stop.is_set() or self.api is None:
                return
            stale = [stream for cid, stream in self._streams.items() if cid not in wanted]
            for stream in stale:
                del self._streams[stream.container_id]
            for cid in wanted - self._streams.keys():
                self._streams[cid] = _StatsStream(self, cid)
        for stream in stale:
            stream.close()

    def resume(self) -> None:
        """Start streams again for watched containers whose stream ended (a restarted container)."""
        self.watch(self._wanted)

    @property
    def watched(self) -> frozenset[str]:
        """Ids of the containers that currently have a stream."""
        with self._lock:
            return frozenset(self._streams)

    def batches(self) -> Iterator[tuple[StatsSample, ...]]:
        """Yield the samples that arrived since the last batch, every ``interval``, until closed."""
        while not self._stop.wait(self.interval):
            with self._lock:
                pending, self._pending = self._pending, {}
            if pending:
                yield tuple(pending.values())

    def close(self) -> None:
        """Close every stream and end :meth:`batches`."""
        self._stop.set()
        self.detach()

    def _record(self, sample: StatsSample) -> None:
        with self._lock:
            if sample.container_id in self._streams:
                self._pending[sample.container_id] = sample

    def _forget(self, container_id: str, stream: _StatsStream) -> None:
        with self._lock:
            if self._streams.get(container_id) is stream:
                del self._streams[container_id]


def open_sampler(connection, container_ids: Iterable[str], interval: float = 1.0) -> StatsSampler:
    """A sampler bound to its own stream client of ``connection``, already watching ``container_ids``.

    For views that follow a few containers of their own (a container's detail); close it
    when the view goes away.
    """
    sampler = StatsSampler(interval)
    sampler.attach(connection.open_stream_client())
    sampler.watch(container_ids)
    return sampler
