"""``dockerforge audit``: the newest audit records as a table or JSON, from a real audit file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockerforge_tui.cli import registry
from dockerforge_tui.services.audit import ActionTarget, AuditLog, ReadOnlyError, audit_path, run_action

AUDIT_COMMAND = "dockerforge_tui.cli.commands.audit:COMMAND"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def audit_registered(monkeypatch):
    """The command as the lead registers it (a no-op once BUILTIN_COMMANDS lists it)."""
    monkeypatch.setitem(registry.BUILTIN_COMMANDS, "audit", AUDIT_COMMAND)


@pytest.fixture
def audit_log() -> AuditLog:
    """The audit log the command reads: the isolated data dir's, with a fixed user."""
    return AuditLog(audit_path(Path(os.environ["DOCKERFORGE_DATA_DIR"])), user="ops")


def fill(audit: AuditLog, count: int) -> None:
    for number in range(count):
        audit.record("stop", ActionTarget("container", f"web-{number}", f"id{number}"), outcome="ok",
                     endpoint="unix:///var/run/docker.sock", duration_ms=12.0 + number, params={"timeout": 10},
                     when=f"2026-11-25T12:00:{number:02d}.000Z")


def test_text_table_shows_the_newest_records_oldest_first(run_cli, audit_log):
    fill(audit_log, 5)
    with pytest.raises(ReadOnlyError):
        run_action(lambda: None, verb="remove", target=ActionTarget("image", "busybox:latest", "sha256:1"),
                   audit=audit_log, endpoint="tcp://box:2376", readonly=True)
    result = run_cli("audit", "--tail", "3")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["TIME", "USER", "VERB", "TARGET", "RESULT", "TOOK", "MESSAGE"]
    assert len(rows) == 3
    assert rows[0].split() == ["2026-11-25T12:00:03.000Z", "ops", "stop", "container", "web-3", "ok", "15ms", "-"]
    assert rows[-1].split()[2:6] == ["remove", "image", "busybox:latest", "refused"]
    assert rows[-1].endswith("read-only mode: refusing to remove busybox:latest")
    assert header.index("VERB") == rows[0].index("stop"), "columns line up"
    assert result.stderr == ""


def test_json_is_an_array_of_the_file_records(run_cli, audit_log):
    fill(audit_log, 3)
    result = run_cli("audit", "--format", "json", "--tail", "2")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [record["target"]["name"] for record in records] == ["web-1", "web-2"]
    lines = audit_log.path.read_text().splitlines()
    assert records[-1] == json.loads(lines[-1]), "the same fields as the file's lines"
    assert records[0]["params"] == {"timeout": 10} and records[0]["result"] == {"outcome": "ok", "message": None}


def test_default_tail_and_rotated_files_are_read(run_cli, tmp_path, monkeypatch):
    data_dir = Path(os.environ["DOCKERFORGE_DATA_DIR"])
    small = AuditLog(audit_path(data_dir), max_bytes=600, backup_count=5, user="ops")
    fill(small, 60)
    assert len(small.files()) > 1, "the log rotated"
    config = tmp_path / "config.yaml"
    config.write_text("audit:\n  max_bytes: 600\n  backup_count: 5\n")
    result = run_cli("audit", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()[1:]
    assert len(rows) > 2, "more records than the live file holds: the rotated files were read"
    assert rows[-1].split()[4] == "web-59"
    assert len(rows) == len(small.tail(50))


def test_no_records_yet_is_not_an_error(run_cli, audit_log):
    result = run_cli("audit")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == f"no audit records yet in {audit_log.path}"
    assert not audit_log.path.exists(), "reading never creates the file"
    as_json = run_cli("audit", "--format", "json")
    assert json.loads(as_json.stdout) == [] and as_json.exit_code == 0


def test_bad_options_are_usage_errors(run_cli):
    result = run_cli("audit", "--tail", "0")
    assert result.exit_code == 2
    assert "--tail must be at least 1" in result.stderr and "hint:" in result.stderr
    result = run_cli("audit", "--format", "yaml")
    assert result.exit_code == 2 and "invalid choice" in result.stderr


def test_an_unreadable_log_is_a_one_line_error(run_cli, audit_log):
    audit_log.path.parent.mkdir(parents=True, exist_ok=True)
    audit_log.path.mkdir()  # a directory where the file should be: reading it fails
    result = run_cli("audit")
    assert result.exit_code == 5
    assert result.stderr.startswith(f"dockerforge: error: cannot read the audit log {audit_log.path}")
    assert "Traceback" not in result.stderr


def test_the_command_never_loads_the_ui_toolkit(tmp_path, audit_log):
    fill(audit_log, 1)
    code = (
        "import sys\n"
        "from dockerforge_tui.cli import registry\n"
        f"registry.BUILTIN_COMMANDS['audit'] = {AUDIT_COMMAND!r}\n"
        "from dockerforge_tui.cli.main import main\n"
        "code = main(['audit', '--format', 'json'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print('LOADED', loaded)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"name": "web-0"' in result.stdout
    assert "LOADED []" in result.stdout, "a headless command never loads the UI toolkit"
