"""Log collection against the real engine: streams, TTYs, restarts, selectors, odd output, bounds."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime

import pytest

from dockerforge_tui.core.config import default_settings
from dockerforge_tui.core.errors import NotFoundError
from dockerforge_tui.services.docker.connection import connect
from dockerforge_tui.services.docker.logs import stream_container_logs
from dockerforge_tui.services.issues.monitor import LogScanner
from dockerforge_tui.services.issues.store import IssueStore
from dockerforge_tui.services.logs import prepare
from dockerforge_tui.services.logs.collector import LogCollector, LogLine, LogSelector
from tests.support.socket_proxy import EngineSocketProxy

pytestmark = pytest.mark.docker

NUMBER = re.compile(r"(\d+)$")


class Drain:
    """Iterate a collector's batches on a thread, keeping every line per container."""

    def __init__(self, collector: LogCollector) -> None:
        self.collector = collector
        self.lines: dict[str, list[LogLine]] = defaultdict(list)
        self.batches = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for batch in self.collector.batches():
            with self._lock:
                self.batches += 1
                for line in batch:
                    self.lines[line.container_id].append(line)

    def of(self, container_id: str, stream: str | None = None) -> list[LogLine]:
        with self._lock:
            return [line for line in self.lines.get(container_id, ()) if stream is None or line.stream == stream]

    def texts(self, container_id: str, stream: str | None = None) -> list[str]:
        return [line.text for line in self.of(container_id, stream)]

    def numbers(self, container_id: str, stream: str | None = None) -> list[int]:
        found = (NUMBER.search(text) for text in self.texts(container_id, stream))
        return [int(match.group(1)) for match in found if match]

    def wait_for(self, predicate, timeout: float = 20.0, what: str = "lines") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        have = {key[:12]: len(lines) for key, lines in self.lines.items()}
        raise AssertionError(f"timed out waiting for {what}; have {have}")

    def close(self) -> None:
        self.collector.close()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "batches() did not end after close()"
        assert self.collector.join(5), "a collector thread outlived close()"


@pytest.fixture
def collect(docker_client):
    drains: list[Drain] = []

    def start(selector: LogSelector, connector=None, **options) -> Drain:
        settings = default_settings().docker
        options.setdefault("first_retry", 0.1)
        options.setdefault("max_retry", 0.5)
        drain = Drain(LogCollector(connector or (lambda: connect(settings)), selector, **options))
        drains.append(drain)
        return drain

    yield start
    for drain in drains:
        drain.close()


def unique_label() -> tuple[str, str]:
    return "dockerforge.test.logs", uuid.uuid4().hex[:10]


def selector_for(label: tuple[str, str]) -> LogSelector:
    return LogSelector.with_labels(f"{label[0]}={label[1]}", include_stopped=True)


def wait_running_collector(drain: Drain) -> None:
    drain.wait_for(lambda: drain.collector.connected, 10, "the engine")


def test_stdout_and_stderr_lines_keep_their_stream_and_order(collect, containers):
    label = unique_label()
    drain = collect(selector_for(label))
    wait_running_collector(drain)
    container = containers.run(
        "i=1; while [ $i -le 300 ]; do echo \"out $i\"; echo \"ERROR err $i\" >&2; i=$((i+1)); done; sleep 300",
        labels=dict([label]))
    drain.wait_for(lambda: len(drain.of(container.id)) >= 600)
    time.sleep(0.2)  # nothing more may come
    assert drain.numbers(container.id, "stdout") == list(range(1, 301))
    assert drain.numbers(container.id, "stderr") == list(range(1, 301))
    assert all(text.startswith("out ") for text in drain.texts(container.id, "stdout"))
    stderr = drain.of(container.id, "stderr")
    assert {line.level for line in stderr} == {"error"}
    assert {line.level for line in drain.of(container.id, "stdout")} == {None}
    for stream in ("stdout", "stderr"):
        stamps = [line.engine_ts_ns for line in drain.of(container.id, stream)]
        assert stamps == sorted(stamps), f"{stream} lines out of timestamp order"
    first = stderr[0]
    assert first.container_name == container.name
    assert abs(first.engine_time.timestamp() - time.time()) < 120
    buffer = drain.collector.buffer(container.id)
    assert len(buffer) == 600 and buffer.lines()[-1].engine_ts_ns == max(
        line.engine_ts_ns for line in drain.of(container.id))


def test_tty_container(collect, containers):
    label = unique_label()
    long_line = 100_000
    container = containers.run(
        f"for i in 1 2 3; do echo \"tty line $i\"; done; head -c {long_line} /dev/zero | tr '\\0' y; echo; "
        "printf 'tail without newline'",
        tty=True, labels=dict([label]))
    container.wait(timeout=30)
    drain = collect(selector_for(label))  # already exited: read from the listing, with the stopped ones
    drain.wait_for(lambda: len(drain.of(container.id)) >= 5)
    time.sleep(0.2)
    texts = drain.texts(container.id)
    assert texts[:3] == ["tty line 1", "tty line 2", "tty line 3"]
    assert texts[3] == "y" * long_line, f"long TTY line came back as {len(texts[3])} characters"
    assert texts[4] == "tail without newline"
    assert len(texts) == 5
    assert {line.stream for line in drain.of(container.id)} == {"stdout"}


# Each run prints the next 50 numbers on stdout and stderr, remembering where it stopped in
# the container's own file system (it survives a restart), then fails; the policy restarts it.
COUNTER_RUNS = """
n=$(cat /n 2>/dev/null || echo 0); end=$((n+50))
while [ $n -lt $end ]; do n=$((n+1)); echo "count $n"; echo "err $n" >&2; echo $n > /n; done
[ $n -ge 200 ] && exit 0
exit 1
"""


def test_no_line_lost_or_doubled_when_a_container_restarts_itself(collect, containers):
    label = unique_label()
    drain = collect(selector_for(label))
    wait_running_collector(drain)
    container = containers.run(COUNTER_RUNS, labels=dict([label]),
                               restart_policy={"Name": "on-failure", "MaximumRetryCount": 5})
    drain.wait_for(lambda: all(200 in drain.numbers(container.id, stream) for stream in ("stdout", "stderr")),
                   timeout=60, what="four runs of the counter")
    container.reload()
    assert container.attrs["RestartCount"] == 3
    time.sleep(0.5)  # a late duplicate would arrive now
    assert drain.numbers(container.id, "stdout") == list(range(1, 201))
    assert drain.numbers(container.id, "stderr") == list(range(1, 201))


# Prints the next 100 numbers, then sleeps: a restart (SIGKILL) always lands in the sleep.
COUNTER_THEN_SLEEP = """
n=$(cat /n 2>/dev/null || echo 0); end=$((n+100))
while [ $n -lt $end ]; do n=$((n+1)); echo "count $n"; echo $n > /n; done
exec sleep 300
"""


def test_no_line_lost_or_doubled_across_docker_restart(collect, containers):
    label = unique_label()
    container = containers.run(COUNTER_THEN_SLEEP, labels=dict([label]))
    drain = collect(LogSelector.with_labels(f"{label[0]}={label[1]}"))  # running: found by the listing
    for run in (1, 2, 3):
        drain.wait_for(lambda: run * 100 in drain.numbers(container.id), timeout=30, what=f"run {run}")
        if run < 3:
            container.restart(timeout=0)
    time.sleep(0.5)
    assert drain.numbers(container.id) == list(range(1, 301))
    assert drain.collector.followed()[0].lines == 300


def test_compose_project_selector_follows_only_that_project(collect, containers):
    project, other = f"dfshop{uuid.uuid4().hex[:8]}", f"dfother{uuid.uuid4().hex[:8]}"
    compose = "com.docker.compose.project"
    web = containers.run("echo web says hi; sleep 300", labels={compose: project, "com.docker.compose.service": "web"})
    drain = collect(LogSelector.for_project(project))
    wait_running_collector(drain)
    db = containers.run("echo db says hi; sleep 300", labels={compose: project, "com.docker.compose.service": "db"})
    stranger = containers.run("echo not mine; sleep 300", labels={compose: other})
    loner = containers.run("echo no project; sleep 300")
    drain.wait_for(lambda: drain.texts(web.id) and drain.texts(db.id))
    time.sleep(0.5)
    assert drain.texts(web.id) == ["web says hi"]
    assert drain.texts(db.id) == ["db says hi"]
    assert not drain.of(stranger.id) and not drain.of(loner.id)
    assert {followed.id for followed in drain.collector.followed()} == {web.id, db.id}
    # A destroyed container is let go, but its lines stay readable for a while.
    db.remove(force=True)
    drain.wait_for(lambda: {f.id for f in drain.collector.followed()} == {web.id}, 10, "the destroy event")
    assert [line.text for line in drain.collector.buffer(db.id).lines()] == ["db says hi"]
    with pytest.raises(KeyError):
        drain.collector.buffer(stranger.id)


def test_a_one_megabyte_line_and_binary_junk(collect, containers):
    label = unique_label()
    size = 1 << 20
    container = containers.run(
        f"head -c {size} /dev/zero | tr '\\0' x; echo; printf 'bin\\377\\376\\000ary \\200 junk\\n'; "
        f"head -c {size} /dev/zero | tr '\\0' e >&2; echo >&2; echo after",
        labels=dict([label]))
    container.wait(timeout=30)
    drain = collect(selector_for(label))
    drain.wait_for(lambda: len(drain.of(container.id)) >= 4)
    time.sleep(0.2)
    stdout = drain.texts(container.id, "stdout")
    assert len(stdout) == 3
    assert stdout[0] == "x" * size
    assert stdout[1].startswith("bin\ufffd\ufffd\x00ary \ufffd junk")
    assert stdout[2] == "after"
    assert drain.texts(container.id, "stderr") == ["e" * size]


def test_buffer_is_bounded_by_lines_and_bytes(collect, containers):
    label = unique_label()
    container = containers.run("i=1; while [ $i -le 2000 ]; do echo \"line number $i\"; i=$((i+1)); done",
                               labels=dict([label]))
    container.wait(timeout=30)
    # Lines bound: 50 lines, bytes to spare.
    by_lines = collect(selector_for(label), buffer_lines=50, buffer_bytes=1 << 20, initial_tail="all")
    by_lines.wait_for(lambda: len(by_lines.of(container.id)) == 2000)
    buffer = by_lines.collector.buffer(container.id)
    assert [line.text for line in buffer.lines()] == [f"line number {n}" for n in range(1951, 2001)]
    assert buffer.dropped == 1950
    # Bytes bound: 300 bytes of text is 18 lines of "line number NNNN" (16 characters).
    by_bytes = collect(selector_for(label), buffer_lines=1000, buffer_bytes=300, initial_tail="all")
    by_bytes.wait_for(lambda: len(by_bytes.of(container.id)) == 2000)
    buffer = by_bytes.collector.buffer(container.id)
    assert buffer.byte_size <= 300
    assert [line.text for line in buffer.lines()] == [f"line number {n}" for n in range(1983, 2001)]
    # The default tail of a container already running or stopped is the buffer's size.
    tailed = collect(selector_for(label), buffer_lines=10, buffer_bytes=1 << 20)
    tailed.wait_for(lambda: len(tailed.of(container.id)) == 10)
    time.sleep(0.2)
    assert tailed.numbers(container.id) == list(range(1991, 2001))


def test_survives_the_engine_going_away(collect, containers, tmp_path):
    proxy = EngineSocketProxy(tmp_path / "engine.sock").start()
    settings = default_settings().docker.model_copy(update={"host": proxy.url})
    label = unique_label()
    container = containers.run("i=1; while :; do echo \"tick $i\"; i=$((i+1)); sleep 0.02; done",
                               labels=dict([label]))
    try:
        drain = collect(selector_for(label), connector=lambda: connect(settings))
        drain.wait_for(lambda: len(drain.numbers(container.id)) >= 20)
        proxy.stop()  # the engine "dies" under every stream
        drain.wait_for(lambda: not drain.collector.connected, 10, "the collector to notice")
        assert drain.collector.problem
        time.sleep(0.5)  # the container keeps printing meanwhile
        proxy.start()
        seen = max(drain.numbers(container.id))
        drain.wait_for(lambda: max(drain.numbers(container.id)) >= seen + 60, 20, "lines after the reconnect")
    finally:
        proxy.stop()
    numbers = drain.numbers(container.id)
    assert numbers == list(range(numbers[0], numbers[-1] + 1)), "a gap or a duplicate across the reconnect"


def test_stream_container_logs_directly(containers, docker_client):
    container = containers.run("echo one; echo two >&2; printf three")
    container.wait(timeout=30)
    connection = connect(default_settings().docker)
    try:
        for raw_socket in (True, False):  # our HTTP/1.0 reader, and docker-py's session (TLS, ssh)
            with stream_container_logs(connection.api, container.id, follow=False, timestamps=False,
                                       raw_socket=raw_socket) as stream:
                got = sorted(stream)
            assert got == [("stderr", b"two"), ("stdout", b"one"), ("stdout", b"three")], raw_socket
            assert stream.tty is False
        with pytest.raises(NotFoundError):
            stream_container_logs(connection.api, "no-such-container-" + os.urandom(4).hex(), follow=False)
    finally:
        connection.close()


@pytest.mark.parametrize("raw_socket", [True, False])
def test_close_ends_a_blocked_stream_at_once(containers, docker_client, raw_socket):
    container = containers.run("echo hello; sleep 300")
    connection = connect(default_settings().docker)
    try:
        stream = stream_container_logs(connection.api, container.id, follow=True, raw_socket=raw_socket)
        got: list = []
        reader = threading.Thread(target=lambda: got.extend(stream), daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        stream.close()
        reader.join(timeout=5)
        assert not reader.is_alive() and time.monotonic() - started < 2
        assert got[0][0] == "stdout" and got[0][1].endswith(b" hello")
    finally:
        connection.close()


def test_batches_with_idle_yield_an_empty_batch_when_quiet(containers):
    label = unique_label()
    container = containers.run("echo once; sleep 300", labels=dict([label]))
    collector = LogCollector(lambda: connect(default_settings().docker), selector_for(label),
                             first_retry=0.1, max_retry=0.5)
    try:
        batches = collector.batches(idle=0.3)
        first = next(batches)
        assert [line.text for line in first] == ["once"] and first[0].container_id == container.id
        started = time.monotonic()
        assert next(batches) == ()  # nothing more was printed: the quiet is reported
        assert 0.2 < time.monotonic() - started < 2
        assert next(batches) == ()  # and again while it lasts
    finally:
        collector.close()


# --- long run ---------------------------------------------------------------------------------

# 1,000 lines/s in chunks of 100: ticks, and every 3,000 lines three failures at known places:
# a port clash, a full disk, and a Python traceback whose first three lines end one chunk and
# whose last three (the root cause) start the next, so it straddles a pause and most likely
# two batches.
RATE_PRINTER = """
i=0; n={lines}
while [ $i -lt $n ]; do
  j=0
  while [ $j -lt 100 ] && [ $i -lt $n ]; do
    i=$((i+1)); j=$((j+1))
    case $((i % 3000)) in
      500) echo "Error: listen EADDRINUSE: address already in use :::3000";;
      1498) echo "Traceback (most recent call last):";;
      1499) echo '  File "/app/worker.py", line 41, in <module>';;
      1500) echo "    conn = connect(host)";;
      1501) echo '  File "/usr/lib/python3.12/socket.py", line 852, in create_connection';;
      1502) echo "    raise exceptions[0]";;
      1503) echo "ConnectionRefusedError: [Errno 111] Connection refused";;
      2500) echo "OSError: [Errno 28] No space left on device: '/data/spool'";;
      *) echo "level=info msg=\\"tick\\" seq=$i";;
    esac
  done
  sleep 0.1
done
exec sleep 300
"""
PRINTED = {
    500: "Error: listen EADDRINUSE: address already in use :::3000",
    1498: "Traceback (most recent call last):",
    1499: '  File "/app/worker.py", line 41, in <module>',
    1500: "    conn = connect(host)",
    1501: '  File "/usr/lib/python3.12/socket.py", line 852, in create_connection',
    1502: "    raise exceptions[0]",
    1503: "ConnectionRefusedError: [Errno 111] Connection refused",
    2500: "OSError: [Errno 28] No space left on device: '/data/spool'",
}
"""What RATE_PRINTER prints at ``seq % 3000``; a tick everywhere else."""
FINDING_AT = {500: "port_in_use", 1503: "connection_refused", 2500: "disk_full"}
"""Where each failure must be reported (the traceback at its root cause), and as what."""


def printed(seq: int) -> str:
    return PRINTED.get(seq % 3000, f'level=info msg="tick" seq={seq}')


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_twenty_busy_containers_for_a_minute_keep_memory_flat_and_lose_nothing(collect, containers, tmp_path):
    """20 containers x 1,000 lines/s x 60 s: every line arrives once, every finding is reported once, memory stays flat.

    The batches go through the live monitor's detection path (:class:`LogScanner`, then
    the issue store), as the dashboard runs it.
    """
    count, per_container = 20, 60_000
    label = unique_label()
    drain_lines: dict[str, int] = defaultdict(int)
    problems: list[str] = []
    expected: set[tuple[str, str, datetime]] = set()
    reported: list[tuple[str, str, datetime]] = []
    collector = LogCollector(lambda: connect(default_settings().docker), selector_for(label),
                             buffer_lines=2_000, buffer_bytes=100_000, first_retry=0.1, max_retry=0.5)
    prepare(None, cache_dir=tmp_path / "cache")  # as the monitor does before its first batch
    scanner = LogScanner()
    store = IssueStore(tmp_path / "issues.json")
    samples: list[tuple[float, int]] = []

    def consume() -> None:
        # Check every line as it comes instead of keeping it: the test itself must not grow.
        for batch in collector.batches(idle=scanner.hold):
            for line in batch:
                seq = drain_lines[line.container_id] + 1
                if line.text != printed(seq) and len(problems) < 20:
                    problems.append(f"{line.container_name} line {seq}: {line.text!r}, not {printed(seq)!r}")
                if seq % 3000 in FINDING_AT:
                    expected.add((line.container_id, FINDING_AT[seq % 3000], line.engine_time))
                drain_lines[line.container_id] = seq
            observations = scanner.scan(batch) + scanner.flush()
            reported.extend((o.container.id, o.category, o.timestamp) for o in observations)
            store.record(observations)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    try:
        started = [containers.run(RATE_PRINTER.format(lines=per_container), labels=dict([label]))
                   for _ in range(count)]
        began = time.monotonic()
        deadline = began + 240
        while time.monotonic() < deadline:
            time.sleep(1)
            samples.append((time.monotonic() - began, _rss_bytes()))
            if all(drain_lines[c.id] >= per_container for c in started):
                break
        time.sleep(max(2.0, 2 * scanner.hold))  # the quiet spell that settles the last held lines
        assert not problems, problems
        assert {c.id: drain_lines[c.id] for c in started} == {c.id: per_container for c in started}
        assert collector.skipped == 0
        for c in started:
            buffer = collector.buffer(c.id)
            assert len(buffer) <= 2_000 and buffer.byte_size <= 100_000

        # Every finding exactly once, at its line's time, under its category; nothing else.
        assert len(expected) == count * 3 * (per_container // 3000)
        assert len(reported) == len(set(reported)), "a finding was reported twice"
        # Compared as counts and a few examples: a full diff of 1,200 findings buries the cause.
        extra, missing = sorted(set(reported) - expected), sorted(expected - set(reported))
        assert (len(extra), len(missing)) == (0, 0), f"extra {extra[:5]}, missing {missing[:5]}"
        issues = store.list()
        assert sum(issue.count for issue in issues) == len(expected)
        assert {issue.category for issue in issues} == set(FINDING_AT.values())

        # Buffers are full after a few seconds; from 20 s on, RSS must stay flat (allow 20 MB of
        # allocator noise against the ~1.2 million lines that went through).
        settled = [rss for at, rss in samples if at >= 20]
        assert settled, samples
        growth = max(settled) - settled[0]
        print(f"\n{sum(drain_lines.values()):,} lines and {len(reported):,} findings in {samples[-1][0]:.0f} s; "
              f"RSS {settled[0] / 1e6:.1f} MB at 20 s, {samples[-1][1] / 1e6:.1f} MB at the end, "
              f"at most {max(settled) / 1e6:.1f} MB")
        assert growth < 20 * 1024 * 1024, f"RSS grew {growth / 1e6:.1f} MB after the buffers filled"
    finally:
        collector.close()
        consumer.join(timeout=5)


def test_since_starts_running_containers_at_a_time_instead_of_their_tail(collect, containers, docker_client):
    label = unique_label()
    container = containers.run("echo early; sleep 1; echo late; sleep 300", labels=dict([label]))
    first = collect(selector_for(label))
    first.wait_for(lambda: first.texts(container.id) == ["early", "late"])
    early, late = first.of(container.id)
    middle = (early.engine_ts_ns + late.engine_ts_ns) / 2 / 1e9
    later = collect(selector_for(label), since=middle)
    later.wait_for(lambda: later.texts(container.id))
    time.sleep(0.3)
    assert later.texts(container.id) == ["late"]


def test_a_container_whose_logs_cannot_be_read_is_reported_not_retried(collect, containers):
    label = unique_label()
    container = containers.run("echo invisible; sleep 300", labels=dict([label]), log_config={"Type": "none"})
    drain = collect(selector_for(label))
    drain.wait_for(lambda: any(f.problem for f in drain.collector.followed()), 10, "the refusal")
    followed = drain.collector.followed()[0]
    assert followed.id == container.id and not followed.attached
    assert "logging driver" in followed.problem
    assert not drain.of(container.id)
