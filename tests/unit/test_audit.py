"""The audit log and the one audited action path, on real files."""

from __future__ import annotations

import json
import stat
import threading

import pytest

from dockerforge_tui.core.errors import DockerAPIError, DockerForgeError, ExitCode
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.audit import (
    ActionTarget, AuditLog, AuditRecord, ReadOnlyError, audit_path, run_action,
)

WEB = ActionTarget("container", "web", "abc123")


def test_record_appends_one_json_line_with_who_what_where_and_result(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", user="alice")
    record = log.record("stop", WEB, outcome="ok", endpoint="unix:///var/run/docker.sock",
                        params={"timeout": 5}, duration_ms=12.5)
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["user"] == "alice"
    assert data["verb"] == "stop"
    assert data["target"] == {"kind": "container", "name": "web", "id": "abc123"}
    assert data["params"] == {"timeout": 5}
    assert data["endpoint"] == "unix:///var/run/docker.sock"
    assert data["result"] == {"outcome": "ok", "message": None}
    assert data["duration_ms"] == 12.5
    assert data["time"].endswith("Z") and data["time"][:4].isdigit()
    assert record.ok and AuditRecord.from_json(lines[0]) == record
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


def test_default_user_is_the_os_user(tmp_path):
    import getpass

    record = AuditLog(tmp_path / "a.jsonl").record("start", WEB, outcome="ok")
    assert record.user == getpass.getuser()


def test_audit_path_is_in_the_data_dir():
    paths = app_paths()
    assert audit_path(paths.data_dir) == paths.data_dir / "audit.jsonl"


def test_tail_returns_the_newest_records_oldest_first_and_skips_garbage(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for number in range(10):
        log.record("kill", ActionTarget("container", f"c{number}"), outcome="ok")
    with open(path, "a") as stream:
        stream.write("not json\n{\"half\": \n")
    log.record("kill", ActionTarget("container", "last"), outcome="error", message="boom")
    tail = log.tail(3)
    assert [record.target_name for record in tail] == ["c8", "c9", "last"]
    assert tail[-1].outcome == "error" and tail[-1].message == "boom"
    assert len(log.tail(100)) == 11
    assert log.tail(0) == ()


def test_tail_reads_across_blocks(tmp_path):
    # Long records span several read blocks; none may be lost or cut at block edges.
    log = AuditLog(tmp_path / "audit.jsonl")
    for number in range(300):
        log.record("rename", ActionTarget("container", f"c{number}"), outcome="ok", params={"pad": "x" * 700})
    names = [record.target_name for record in log.tail(300)]
    assert names == [f"c{number}" for number in range(300)]


def test_rotation_keeps_backup_count_files_and_tail_spans_them(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=1000, backup_count=2)
    for number in range(40):
        log.record("stop", ActionTarget("container", f"c{number}"), outcome="ok")
    assert path.stat().st_size <= 1000
    assert (tmp_path / "audit.jsonl.1").exists() and (tmp_path / "audit.jsonl.2").exists()
    assert not (tmp_path / "audit.jsonl.3").exists()
    assert log.files() == (path, tmp_path / "audit.jsonl.1", tmp_path / "audit.jsonl.2")
    kept = log.tail(1000)
    names = [record.target_name for record in kept]
    assert names[-1] == "c39"
    assert names == sorted(names, key=lambda name: int(name[1:]))  # still in order across files
    assert len(names) < 40  # the oldest were rotated away
    every_line = sum(len(p.read_text().splitlines()) for p in log.files())
    assert len(names) == every_line


def test_concurrent_writers_never_interleave(tmp_path):
    path = tmp_path / "audit.jsonl"
    logs = [AuditLog(path, max_bytes=20_000, backup_count=50) for _ in range(2)]  # two instances, one file

    def write(worker: int) -> None:
        for number in range(50):
            logs[worker % 2].record("restart", ActionTarget("container", f"w{worker}-{number}"), outcome="ok",
                                    params={"pad": "y" * 100})

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [line for p in logs[0].files() for line in p.read_text().splitlines()]
    assert len(lines) == 400
    names = {AuditRecord.from_json(line).target_name for line in lines}  # every line parses
    assert len(names) == 400


def test_run_action_records_success_with_duration(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    result = run_action(lambda: 42, verb="restart", target=WEB, audit=log, endpoint="tcp://h:2375",
                        params={"timeout": 3})
    assert result == 42
    (record,) = log.tail(5)
    assert (record.verb, record.outcome, record.endpoint, dict(record.params)) == \
        ("restart", "ok", "tcp://h:2375", {"timeout": 3})
    assert record.duration_ms >= 0


def test_run_action_records_the_error_and_reraises_it(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")

    def fail():
        raise DockerAPIError("cannot stop container web: it is not running", hint="start it first")

    with pytest.raises(DockerAPIError, match="not running"):
        run_action(fail, verb="stop", target=WEB, audit=log)
    (record,) = log.tail(5)
    assert record.outcome == "error"
    assert record.message == "cannot stop container web: it is not running"


def test_run_action_soft_failure_is_returned_but_audited_as_error(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    result = run_action(lambda: "exit 3", verb="compose up", target=WEB, audit=log,
                        failure_of=lambda value: value)
    assert result == "exit 3"
    assert log.tail(1)[0].outcome == "error" and log.tail(1)[0].message == "exit 3"


def test_readonly_refuses_audits_and_never_runs(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    ran = []
    with pytest.raises(ReadOnlyError) as caught:
        run_action(lambda: ran.append(1), verb="stop", target=WEB, audit=log, readonly=True)
    assert ran == []
    assert caught.value.message == "read-only mode: refusing to stop web"
    assert "--readonly" in caught.value.hint
    assert caught.value.exit_code == ExitCode.PERMISSION_DENIED
    (record,) = log.tail(5)
    assert record.outcome == "refused" and "refusing to stop web" in record.message


def test_an_action_that_cannot_be_audited_is_not_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data directory should be")
    log = AuditLog(blocker / "audit.jsonl")
    ran = []
    with pytest.raises(DockerForgeError, match="cannot write the audit log"):
        run_action(lambda: ran.append(1), verb="stop", target=WEB, audit=log)
    assert ran == []


def test_without_an_audit_log_actions_still_run(tmp_path):
    assert run_action(lambda: "done", verb="start", target=WEB, audit=None) == "done"
