"""The event feed of every object type: records, batching, closing, replay, against the real engine."""

from __future__ import annotations

import threading
import time
import uuid

import docker
import pytest

from dockerforge_tui.core.errors import EngineUnreachableError
from dockerforge_tui.services.docker.event_feed import BATCH_INTERVAL, EventFeed, open_event_feed
from tests.support.containers import TEST_LABEL

pytestmark = pytest.mark.docker


def collect(feed: EventFeed, until, timeout: float = 5.0) -> list:
    """Gather batches until ``until(events)`` holds; the feed is closed by a timer at ``timeout``."""
    timer = threading.Timer(timeout, feed.close)
    timer.start()
    events = []
    try:
        for batch in feed.batches():
            events.extend(batch)
            if until(events):
                break
    finally:
        timer.cancel()
        feed.close()
    return events


def test_volume_and_container_events_arrive_as_records(docker_client, containers):
    feed = open_event_feed(docker_client.api, types=("volume", "container"))
    name = f"dftest-vol-{uuid.uuid4().hex[:8]}"
    volume = docker_client.volumes.create(name, labels={TEST_LABEL: "1"})
    try:
        container = containers.run("true", name=f"dftest-feed-{uuid.uuid4().hex[:8]}")
        events = collect(feed, lambda seen: any(e.name == container.name and e.action == "die" for e in seen))
    finally:
        volume.remove(force=True)
    created = next(event for event in events if event.type == "volume" and event.name == name)
    assert created.action == "create" and created.attribute("driver") == "local"
    die = next(event for event in events if event.name == container.name and event.action == "die")
    assert die.type == "container" and die.actor_id == container.id and die.attribute("exitCode") == "0"
    assert [e.action for e in events if e.name == container.name][:2] == ["create", "start"]
    assert die.time_nano > created.time_nano > 0 and die.time.tzinfo is not None
    assert feed.closed


def test_types_filter_and_replay_from_a_time(docker_client, containers):
    started = time.time()
    container = containers.run("true", name=f"dftest-replay-{uuid.uuid4().hex[:8]}")
    container.wait(timeout=10)
    # Subscribed after the fact: the engine replays its recent history from `since`.
    feed = open_event_feed(docker_client.api, types=("container",), since=started - 1)
    events = collect(feed, lambda seen: any(e.name == container.name and e.action == "die" for e in seen))
    assert {event.type for event in events} == {"container"}, "network connects were filtered out"
    first_start = next(event for event in events if event.name == container.name and event.action == "start")
    # An int is nanoseconds: replaying from just after an event leaves it out.
    later = open_event_feed(docker_client.api, types=("container",), since=first_start.time_nano + 1,
                            until=time.time() + 0.5)
    replayed = [event for event in later if event.name == container.name]
    assert [event.action for event in replayed] == ["die"]


def test_close_ends_a_waiting_batches_loop_at_once(docker_client):
    feed = open_event_feed(docker_client.api, labels=("dockerforge.nothing-has-this",))
    done = threading.Event()

    def consume() -> None:
        for _ in feed.batches():
            pass
        done.set()

    threading.Thread(target=consume, daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    feed.close()
    assert done.wait(2), "the batches loop ended after close"
    assert time.monotonic() - started < 1.0
    feed.close()  # twice is fine


class Burst:
    """An engine-like stream: ``count`` raw events ``spacing`` seconds apart, then it waits to be closed."""

    def __init__(self, count: int, spacing: float) -> None:
        self.count = count
        self.spacing = spacing
        self.closed = threading.Event()

    def __iter__(self):
        for number in range(self.count):
            time.sleep(self.spacing)
            yield {"Type": "container", "Action": "exec_start: true", "timeNano": number + 1,
                   "Actor": {"ID": f"{number:064x}", "Attributes": {"name": f"box-{number}"}}}
        self.closed.wait(5)

    def close(self) -> None:
        self.closed.set()


def test_a_burst_becomes_at_most_ten_batches_a_second():
    stream = Burst(count=300, spacing=0.002)  # ~500 events a second for ~0.6 s
    feed = EventFeed(stream)
    batches = []
    started = time.monotonic()
    for batch in feed.batches():
        batches.append((time.monotonic(), batch))
        if sum(len(b) for _, b in batches) == 300:
            break
    elapsed = time.monotonic() - started
    assert stream.closed.is_set(), "leaving the batches closes the feed"
    assert [event.name for _, batch in batches for event in batch] == [f"box-{n}" for n in range(300)]
    assert len(batches) <= elapsed / BATCH_INTERVAL + 2, (len(batches), elapsed)
    gaps = [later - earlier for (earlier, _), (later, _) in zip(batches, batches[1:])]
    assert min(gaps) >= BATCH_INTERVAL * 0.8
    assert len(batches[0][1]) == 1, "the first event after a quiet spell is not held back"


def test_no_engine_is_a_one_line_dockerforge_error(tmp_path):
    nowhere = docker.APIClient(base_url=f"unix://{tmp_path / 'no-engine.sock'}", version="1.41")
    with pytest.raises(EngineUnreachableError, match="cannot follow the engine's events: lost the connection"):
        open_event_feed(nowhere)
