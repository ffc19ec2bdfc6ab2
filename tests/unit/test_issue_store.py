"""The tracked-issue store: merging by fingerprint, statuses, retention, atomic shared writes (real files)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dockerforge_tui.core.errors import NotFoundError, UsageError
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.issues import (
    ContainerRef, Evidence, IssueRetention, IssueStore, Observation, default_issues_path, fingerprint, issue_id,
    mask_message,
)
from dockerforge_tui.services.storage import open_db

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
WEB = ContainerRef("a" * 64, "shop-web-1", "shop", "web")


def observation(message: str = "Error: connect ECONNREFUSED 172.18.0.2:5432", *, at: datetime | None = T0,
                container: ContainerRef = WEB, category: str = "connection_refused",
                pattern_id: str = "connection_refused.refused", severity: str = "error",
                evidence: tuple[str, ...] = ()) -> Observation:
    return Observation("log", category, severity, pattern_id, container, message, at,
                       tuple(Evidence(text, "log", at) for text in evidence or (message,)))


@pytest.fixture
def store(tmp_path) -> IssueStore:
    return IssueStore(tmp_path / "data" / "issues.json")


# --- fingerprints -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("first, second", [
    ("2024-05-01T10:00:00.123Z worker 17 failed", "2024-05-02T11:30:59.9Z worker 3 failed"),
    ("connect ECONNREFUSED 172.18.0.2:5432", "connect ECONNREFUSED 10.0.0.9:5433"),
    ("container 3f2a9c1b0e7d4 died", "container 99ab00cd11ef2 died"),
    ("request 123e4567-e89b-12d3-a456-426614174000 failed", "request 00000000-1111-2222-3333-444444444444 failed"),
    ("listen EADDRINUSE :::3000", "listen EADDRINUSE [::1]:8080"),
    ("cannot open /data/shard3/file12.log", "cannot open /data/shard7/file2.log"),
    ("Oct 03 02:17:44 kernel: Killed process 2231 (node)", "Nov 11 12:00:01 kernel: Killed process 7 (node)"),
    ("segfault at 0x7ffd1234 ip 0x0040", "segfault at 0xdeadbeef ip 0x1"),
])
def test_masking_merges_what_varies_between_occurrences(first, second):
    assert mask_message(first) == mask_message(second)
    assert issue_id(observation(first)) == issue_id(observation(second))


def test_different_problems_or_services_get_different_issues():
    base = observation("connect ECONNREFUSED db:5432")
    assert issue_id(base) != issue_id(observation("connect ECONNREFUSED cache:6379"))
    other_service = ContainerRef("b" * 64, "shop-worker-1", "shop", "worker")
    assert issue_id(base) != issue_id(observation("connect ECONNREFUSED db:5432", container=other_service))
    assert issue_id(base) != issue_id(observation("connect ECONNREFUSED db:5432", pattern_id="other.pattern"))


def test_a_recreated_container_keeps_its_issue():
    recreated = ContainerRef("f" * 64, "shop-web-2", "shop", "web")
    assert issue_id(observation(container=recreated)) == issue_id(observation())
    plain = ContainerRef("1" * 64, "web")
    assert fingerprint(observation(container=plain)).endswith("\x1fweb")


# --- recording --------------------------------------------------------------------------------------------


def test_first_observation_opens_an_issue_and_repeats_update_it(store):
    [change] = store.record([observation(at=T0)], now=T0)
    assert change.kind == "opened"
    issue = change.issue
    assert issue.status == "open" and issue.count == 1 and issue.containers == ("shop-web-1",)
    assert issue.title == "Dependency unreachable in web" and len(issue.id) == 10
    [again] = store.record([observation("Error: connect ECONNREFUSED 172.18.0.9:5432", at=T0 + timedelta(minutes=5))],
                           now=T0 + timedelta(minutes=5))
    assert again.kind == "updated" and again.issue.id == issue.id
    assert again.issue.count == 2 and again.issue.first_seen == T0
    assert again.issue.last_seen == T0 + timedelta(minutes=5)
    assert again.issue.message.endswith("172.18.0.9:5432")


def test_recording_the_same_occurrence_twice_counts_it_once(store):
    store.record([observation()], now=T0)
    assert store.record([observation()], now=T0) == []
    assert store.list()[0].count == 1


def test_observations_without_a_time_always_count(store):
    store.record([observation(at=None), observation(at=None)], now=T0)
    assert store.list()[0].count == 2


def test_a_resolved_issue_reopens_when_it_recurs(store):
    [change] = store.record([observation()], now=T0)
    store.resolve(change.issue.id, now=T0 + timedelta(hours=1))
    [old] = store.record([observation(at=T0 - timedelta(minutes=1))], now=T0 + timedelta(hours=2))
    assert old.kind == "updated" and old.issue.status == "resolved"  # re-read history: not a recurrence
    [new] = store.record([observation(at=T0 + timedelta(hours=3))], now=T0 + timedelta(hours=3))
    assert new.kind == "reopened" and new.issue.status == "open" and new.issue.count == 3


def test_an_ignored_issue_stays_ignored_but_keeps_counting(store):
    [change] = store.record([observation()], now=T0)
    assert store.ignore(change.issue.id[:6]).status == "ignored"
    [again] = store.record([observation(at=T0 + timedelta(hours=1))], now=T0 + timedelta(hours=1))
    assert again.kind == "suppressed" and again.issue.status == "ignored" and again.issue.count == 2


def test_an_acknowledged_issue_stays_acknowledged(store):
    [change] = store.record([observation()], now=T0)
    store.acknowledge(change.issue.id)
    [again] = store.record([observation(at=T0 + timedelta(minutes=1))], now=T0 + timedelta(minutes=1))
    assert again.issue.status == "acknowledged"
    assert store.reopen(change.issue.id).status == "open"


def test_severity_is_the_highest_seen(store):
    store.record([observation(severity="warning")], now=T0)
    store.record([observation(severity="critical", at=T0 + timedelta(seconds=1))], now=T0)
    store.record([observation(severity="error", at=T0 + timedelta(seconds=2))], now=T0)
    assert store.list()[0].severity == "critical"


def test_issues_survive_a_restart_and_the_file_is_plain_json(tmp_path):
    path = tmp_path / "issues.json"
    first = IssueStore(path)
    [change] = first.record([observation()], now=T0)
    reopened = IssueStore(path)
    assert reopened.get(change.issue.id) == change.issue
    data = json.loads(path.read_text())
    assert list(data) == ["issues"] and len(data["issues"]) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_default_path_is_in_the_data_dir(isolated_dirs):
    paths = app_paths()
    assert default_issues_path(paths) == paths.data_dir / "issues.json"
    store = IssueStore.for_paths(paths)
    store.record([observation()], now=T0)
    assert (paths.data_dir / "issues.json").is_file()


# --- queries ----------------------------------------------------------------------------------------------


def test_list_filters_and_order(store):
    db_ref = ContainerRef("d" * 64, "shop-db-1", "shop", "db")
    other = ContainerRef("e" * 64, "blog", None, None)
    store.record([
        observation("disk full", category="disk_full", pattern_id="p.disk", severity="critical", container=db_ref),
        observation("slow", category="timeout", pattern_id="p.slow", severity="warning", at=T0 + timedelta(hours=1)),
        observation("boom", category="crash", pattern_id="p.crash", severity="error", container=other,
                    at=T0 + timedelta(hours=2)),
    ], now=T0)
    assert [issue.severity for issue in store.list()] == ["critical", "error", "warning"]
    assert [issue.category for issue in store.list(severity_at_least="error")] == ["disk_full", "crash"]
    assert [issue.category for issue in store.list(container="db")] == ["disk_full"]
    assert [issue.category for issue in store.list(container="shop-db-1")] == ["disk_full"]
    assert {issue.category for issue in store.list(project="shop")} == {"disk_full", "timeout"}
    assert [issue.category for issue in store.list(since=T0 + timedelta(minutes=30))] == ["crash", "timeout"]
    crash = store.list(container="blog")[0]
    store.resolve(crash.id)
    assert [issue.id for issue in store.list(status="resolved")] == [crash.id]
    assert len(store.list(status=["open", "resolved"])) == 3
    with pytest.raises(UsageError):
        store.list(status="closed")
    with pytest.raises(UsageError):
        store.list(severity_at_least="fatal")


def test_get_by_prefix_unknown_and_ambiguous_ids(store):
    store.record([observation(f"error kind {chr(97 + n)}", pattern_id=f"p.{n}") for n in range(20)], now=T0)
    issues = store.list()
    first = issues[0]
    assert store.get(first.id[:4]).id == first.id
    assert store.get(first.id.upper()).id == first.id
    with pytest.raises(NotFoundError) as missing:
        store.get("zzzz")
    assert missing.value.hint and "issues list" in missing.value.hint
    # 20 ids over 16 first hex digits: at least two share one (pigeonhole).
    by_first: dict[str, int] = {}
    for issue in issues:
        by_first[issue.id[0]] = by_first.get(issue.id[0], 0) + 1
    shared = next(digit for digit, count in by_first.items() if count > 1)
    with pytest.raises(UsageError) as ambiguous:
        store.get(shared)
    assert "matches" in ambiguous.value.message and ambiguous.value.hint
    with pytest.raises(NotFoundError):
        store.resolve("nope")


# --- retention, evidence, redaction -----------------------------------------------------------------------


def test_evidence_is_bounded_and_the_most_recent_is_kept(tmp_path):
    store = IssueStore(tmp_path / "i.json", IssueRetention(evidence_lines=3))
    for number in range(6):
        store.record([observation(at=T0 + timedelta(seconds=number), evidence=(f"line {number}",))], now=T0)
    assert [item.text for item in store.list()[0].evidence] == ["line 3", "line 4", "line 5"]


def test_max_issues_drops_closed_ones_first_then_the_oldest(tmp_path):
    store = IssueStore(tmp_path / "i.json", IssueRetention(max_issues=3))
    changes = store.record([observation(f"problem {chr(97 + n)}", pattern_id=f"p.{n}", at=T0 + timedelta(minutes=n))
                            for n in range(3)], now=T0)
    store.resolve(changes[2].issue.id)  # the newest, but closed
    store.record([observation("problem z", pattern_id="p.z", at=T0 + timedelta(minutes=10))], now=T0)
    kept = {issue.message for issue in store.list()}
    assert kept == {"problem a", "problem b", "problem z"}
    store.record([observation("problem y", pattern_id="p.y", at=T0 + timedelta(minutes=11))], now=T0)
    assert {issue.message for issue in store.list()} == {"problem b", "problem z", "problem y"}


def test_old_resolved_and_ignored_issues_are_forgotten(tmp_path):
    store = IssueStore(tmp_path / "i.json", IssueRetention(resolved_max_age=86400, ignored_max_age=3 * 86400))
    changes = store.record([observation(f"p {chr(97 + n)}", pattern_id=f"p.{n}") for n in range(3)], now=T0)
    store.resolve(changes[0].issue.id)
    store.ignore(changes[1].issue.id)
    assert store.prune(now=T0 + timedelta(days=2)) == 1
    assert {issue.status for issue in store.list()} == {"ignored", "open"}
    assert store.prune(now=T0 + timedelta(days=4)) == 1
    assert [issue.status for issue in store.list()] == ["open"]  # open issues never age out


def test_secrets_in_messages_and_evidence_are_redacted_before_writing(tmp_path):
    path = tmp_path / "i.json"
    store = IssueStore(path)
    secret = "Sup3rS3cretValue!"
    store.record([observation(f"auth failed password={secret}", category="auth_failed", pattern_id="auth",
                              evidence=(f"DB_PASSWORD={secret} rejected",))], now=T0)
    assert secret not in path.read_text()
    assert "REDACTED" in store.list()[0].message


def test_recommendations_and_actions_round_trip(store):
    from dockerforge_tui.services.issues import Recommendation, SuggestedAction

    action = SuggestedAction("restart", (("container", "web"), ("attempts", 2)), "Restart web")
    item = replace(observation(), recommendations=(Recommendation("Read logs", "docker logs web"),
                                                   Recommendation("Think")), actions=(action,))
    store.record([item], now=T0)
    issue = store.list()[0]
    assert issue.actions == (action,) and issue.actions[0].param("attempts") == 2
    assert issue.recommendations[0].command == "docker logs web" and issue.recommendations[1].command is None


# --- safety of the file -----------------------------------------------------------------------------------


def test_a_corrupt_file_is_moved_aside_and_the_store_starts_empty(tmp_path):
    path = tmp_path / "issues.json"
    path.write_text('{"issues": {"1": {"id": ')
    store = IssueStore(path)
    assert store.list() == []
    store.record([observation()], now=T0)
    assert len(store.list()) == 1
    assert [p.name.startswith("issues.json.corrupt-") for p in tmp_path.iterdir()].count(True) == 1


def test_a_failing_transaction_writes_nothing(tmp_path):
    database = open_db(tmp_path / "x.json")
    with database.transaction() as db:
        db.table("t").insert({"n": 1})
    with pytest.raises(RuntimeError):
        with database.transaction() as db:
            db.table("t").insert({"n": 2})
            raise RuntimeError("boom")
    with database.snapshot() as db:
        assert [doc["n"] for doc in db.table("t").all()] == [1]


def test_concurrent_threads_never_lose_an_update(tmp_path):
    path = tmp_path / "issues.json"
    stores = [IssueStore(path) for _ in range(4)]  # separate instances, as separate components would have

    def work(index: int) -> None:
        for number in range(10):
            stores[index % 4].record([observation(at=None)], now=T0)
            stores[index % 4].record([observation(f"thread {index} problem", pattern_id=f"t.{index}",
                                                  at=T0 + timedelta(seconds=number))], now=T0)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = {issue.pattern_id: issue.count for issue in IssueStore(path).list()}
    assert counts.pop("connection_refused.refused") == 80
    assert counts == {f"t.{index}": 10 for index in range(8)}


def test_concurrent_processes_never_lose_an_update(tmp_path):
    path = tmp_path / "issues.json"
    script = (
        "import sys\n"
        "from tests.unit.test_issue_store import observation\n"
        "from dockerforge_tui.services.issues import IssueStore\n"
        "store = IssueStore(sys.argv[1])\n"
        "for _ in range(15):\n"
        "    store.record([observation(at=None)])\n"
    )
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=root) for _ in range(4)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0, 0]
    [issue] = IssueStore(path).list()
    assert issue.count == 60
