"""How fast can container logs be read: a raw socket, docker-py's iterator, and DockerForge's collector.

Starts a busybox container that prints ``--lines`` lines as fast as it can and exits,
then reads its whole log (``follow=False``) three ways and prints lines per second:

  raw socket   HTTP/1.0 GET on the engine's unix socket, frames split by hand, nothing
               decoded: about the most any Python reader can get from the engine.
  docker-py    ``APIClient.logs(stream=True, timestamps=True)``: one frame per iteration.
  stream       the collector's Docker layer alone (``stream_container_logs``): frames split
               into raw lines, nothing decoded; with and without its 0.5 ms nap after a
               short read.
  collector    ``LogCollector``: frames split, timestamps parsed, text decoded, level
               detected, LogLine records built, buffered and handed out in batches.
  pipeline     the collector's per-line work alone, on the recorded stream with no
               engine in the way: what one core of this machine can process.

Then the follow case: for each reader a fresh container is started and read while it
prints (``follow=True``), which is bounded by how fast the container can print.

Besides wall-clock rates it prints the CPU seconds this process and dockerd spent per
million lines, which say more than wall time on a machine that is busy with other work.

    .venv/bin/python benchmarks/bench_collector.py [--lines 2000000] [--kind seq|logfmt] [--repeat 3]
                                                    [--no-follow]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from dockerforge_tui.core.config import default_settings  # noqa: E402
from dockerforge_tui.services.docker.connection import connect  # noqa: E402
from dockerforge_tui.services.docker.logs import NAP_SECONDS, LogStream, stream_container_logs  # noqa: E402
from dockerforge_tui.services.logs.buffer import LogBuffer  # noqa: E402
from dockerforge_tui.services.logs.collector import LineDecoder, LogCollector, LogSelector  # noqa: E402

IMAGE = "dockerforge-test/busybox:latest"
BENCH_LABEL = "dockerforge.bench"
SOCKET = "/var/run/docker.sock"


def printer_command(kind: str, lines: int) -> list[str]:
    """The container's command: short numbers (seq) or realistic logfmt lines (awk)."""
    if kind == "seq":
        return ["seq", "1", str(lines)]
    program = (f'BEGIN {{ for (i = 1; i <= {lines}; i++) printf "ts=2026-11-25T02:40:14Z level=%s '
               f'msg=\\"request served\\" path=/api/items/%d status=200 seq=%d\\n", '
               f'(i % 50 == 0 ? "warn" : "info"), i % 97, i }}')
    return ["awk", program]


def start_printer(client: docker.DockerClient, kind: str, lines: int, run_id: str):
    return client.containers.run(IMAGE, printer_command(kind, lines), detach=True,
                                 labels={BENCH_LABEL: run_id})


class Meter:
    """Wall time, this process's CPU time and dockerd's CPU time around one measurement."""

    def __init__(self) -> None:
        try:
            self.dockerd = int(subprocess.run(["pidof", "dockerd"], capture_output=True, text=True).stdout.split()[0])
        except (IndexError, ValueError, OSError):
            self.dockerd = None

    def _dockerd_cpu(self) -> float | None:
        if self.dockerd is None:
            return None
        try:
            fields = Path(f"/proc/{self.dockerd}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def measure(self, run: Callable[[], int]) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        engine = self._dockerd_cpu()
        started = time.perf_counter()
        count = run()
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        engine_after = self._dockerd_cpu()
        ours = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
        return {"lines": count, "seconds": elapsed, "rate": count / elapsed, "cpu": ours,
                "engine_cpu": (engine_after - engine) if engine is not None and engine_after is not None else -1.0}


# --- the three readers -------------------------------------------------------------------------


def read_raw_socket(container_id: str, follow: bool, keep: list[bytes] | None = None) -> int:
    """HTTP/1.0 GET on the unix socket (no chunked encoding), frames split by hand, lines counted.

    ``keep`` collects the response body, for the engine-less pipeline measurement.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(SOCKET)
    query = f"stdout=1&stderr=1&timestamps=1&follow={int(follow)}"
    sock.sendall(f"GET /containers/{container_id}/logs?{query} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(65536)
    _, _, data = head.partition(b"\r\n\r\n")
    if keep is not None:
        keep.append(data)
    count = 0
    while True:
        pos, size = 0, len(data)
        while size - pos >= 8:
            end = pos + 8 + int.from_bytes(data[pos + 4:pos + 8], "big")
            if end > size:
                break
            count += 1
            pos = end
        data = data[pos:]
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        if keep is not None:
            keep.append(chunk)
        data += chunk
    sock.close()
    return count


def read_docker_py(api: docker.APIClient, container_id: str, follow: bool) -> int:
    count = 0
    for _ in api.logs(container_id, stream=True, follow=follow, timestamps=True):
        count += 1
    return count


def read_stream(api: docker.APIClient, container_id: str, nap: float) -> int:
    """Only the Docker layer of the collector: our HTTP/1.0 reader and frame splitter, nothing decoded."""
    count = 0
    for raw_lines in stream_container_logs(api, container_id, follow=False, nap=nap).batches():
        count += len(raw_lines)
    return count


def read_collector(container_id: str, expected: int) -> int:
    settings = default_settings()
    collector = LogCollector(lambda: connect(settings.docker), LogSelector.for_containers(container_id),
                             buffer_lines=settings.logs.buffer_lines, buffer_bytes=settings.logs.buffer_bytes,
                             initial_tail="all", max_pending_lines=expected + 1)
    count = 0
    try:
        for batch in collector.batches(max_batch_lines=expected + 1):
            count += len(batch)
            if count >= expected:
                break
    finally:
        collector.close()
    return count


def read_collector_following(label_value: str, expected: int, start: Callable[[], object]) -> int:
    """Start the collector on a label, then the container: every line arrives through follow."""
    settings = default_settings()
    collector = LogCollector(lambda: connect(settings.docker), LogSelector.with_labels(f"{BENCH_LABEL}={label_value}"),
                             buffer_lines=settings.logs.buffer_lines, buffer_bytes=settings.logs.buffer_bytes,
                             max_pending_lines=expected + 1)
    count = 0
    try:
        while not collector.connected:
            time.sleep(0.01)
        start()
        for batch in collector.batches(max_batch_lines=expected + 1):
            count += len(batch)
            if count >= expected:
                break
    finally:
        collector.close()
    return count


class MemoryBody:
    """A recorded response body, handed out in blocks of the size a busy socket read returns."""

    def __init__(self, data: bytes, block: int = 64 << 10) -> None:
        self.data, self.block, self.pos = data, block, 0

    def read(self) -> bytes:
        piece = self.data[self.pos:self.pos + self.block]
        self.pos += len(piece)
        return piece

    def close(self) -> None:
        self.pos = len(self.data)


def pipeline_without_engine(body: bytes) -> int:
    """The collector's per-line work alone: frames, timestamps, text, level, records, buffer."""
    settings = default_settings().logs
    decoder = LineDecoder("0" * 64, "bench")
    buffer = LogBuffer(settings.buffer_lines, settings.buffer_bytes)
    count = 0
    for raw_lines in LogStream(MemoryBody(body), decoder.container_id, tty=None, timestamps=True).batches():
        lines = decoder.decode(raw_lines)
        buffer.extend(lines)
        count += len(lines)
    return count


# --- driver ----------------------------------------------------------------------------------


def report(name: str, result: dict[str, float]) -> None:
    per_million = 1e6 / max(1, result["lines"])
    engine = (f", dockerd {result['engine_cpu'] * per_million:5.1f} s"
              if result["engine_cpu"] >= 0 else "")
    print(f"  {name:<14} {result['lines']:>9,} lines in {result['seconds']:6.2f} s = {result['rate']:>9,.0f} lines/s"
          f"   (CPU per million lines: ours {result['cpu'] * per_million:5.1f} s{engine})", flush=True)


def best(results: list[dict[str, float]]) -> dict[str, float]:
    return max(results, key=lambda result: result["rate"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--kind", choices=("seq", "logfmt"), default="seq")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader; the best one is reported")
    parser.add_argument("--no-follow", action="store_true", help="skip the follow case")
    args = parser.parse_args()

    client = docker.from_env(timeout=300)
    api = client.api
    meter = Meter()
    run_id = uuid.uuid4().hex[:10]
    created = []
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {args.lines:,} {args.kind} lines")
    try:
        started = time.perf_counter()
        container = start_printer(client, args.kind, args.lines, run_id)
        created.append(container)
        container.wait()
        print(f"the container printed its lines in {time.perf_counter() - started:.1f} s")

        print("whole log of an exited container (follow=False):")
        readers = {
            "raw socket": lambda: read_raw_socket(container.id, follow=False),
            "docker-py": lambda: read_docker_py(api, container.id, follow=False),
            "stream, no nap": lambda: read_stream(api, container.id, nap=0.0),
            "stream": lambda: read_stream(api, container.id, nap=NAP_SECONDS),
            "collector": lambda: read_collector(container.id, args.lines),
        }
        for name, read in readers.items():
            results = [meter.measure(read) for _ in range(args.repeat)]
            for result in results:
                if result["lines"] != args.lines:
                    print(f"  {name}: read {result['lines']:,} lines, expected {args.lines:,}", file=sys.stderr)
            report(name, best(results))

        recorded: list[bytes] = []
        read_raw_socket(container.id, follow=False, keep=recorded)
        body = b"".join(recorded)
        print("the collector's per-line work on the recorded stream, no engine involved (one core):")
        report("pipeline", best([meter.measure(lambda: pipeline_without_engine(body)) for _ in range(args.repeat)]))
        del recorded, body

        if not args.no_follow:
            print("following a container while it prints (follow=True, one fresh container each):")
            for name in ("raw socket", "docker-py", "collector"):
                label_value = f"{run_id}-{name.replace(' ', '-')}"

                def start(label_value: str = label_value):
                    printer = client.containers.run(IMAGE, printer_command(args.kind, args.lines), detach=True,
                                                    labels={BENCH_LABEL: label_value})
                    created.append(printer)
                    return printer

                if name == "collector":
                    result = meter.measure(lambda: read_collector_following(label_value, args.lines, start))
                else:
                    def follow(name: str = name) -> int:
                        printer = start()
                        if name == "raw socket":
                            return read_raw_socket(printer.id, follow=True)
                        return read_docker_py(api, printer.id, follow=True)
                    result = meter.measure(follow)
                report(name, result)
    finally:
        for item in created:
            try:
                item.remove(force=True)
            except docker.errors.NotFound:
                pass
        client.close()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
