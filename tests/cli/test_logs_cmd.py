"""``dockerforge logs analyze|export`` in-process: log files without an engine, and real containers."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import uuid
from datetime import datetime, timedelta

import pytest

from tests.conftest import SHARED_DATA

SECRET = "Hunt3r2Secret"


def sample(sample_id: str) -> dict:
    """One labelled snippet of the shared log sample."""
    with (SHARED_DATA / "logs-sample.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry["id"] == sample_id:
                return entry
    raise KeyError(sample_id)


def printing(containers, lines: list[str], exit_code: int = 1, **kwargs):
    """A container that prints ``lines`` and exits with ``exit_code``; returned once it has exited."""
    container = containers.run(f'printf "%s\\n" "$SAMPLE_LINES"; exit {exit_code}',
                               environment={"SAMPLE_LINES": "\n".join(lines)}, **kwargs)
    container.wait(timeout=30)
    return container


def analyzed(run_cli, *args):
    result = run_cli("logs", "analyze", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- files, no engine -------------------------------------------------------------------------------------


def test_file_analysis_needs_no_engine(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing-here.sock")  # would fail if it were used
    entry = sample("s-001")
    log_file = tmp_path / "api.log"
    log_file.write_text("\n".join(entry["lines"]) + "\n", encoding="utf-8")
    data = analyzed(run_cli, "--file", str(log_file))
    assert data["schema"] == "dockerforge.logs-analyze" and data["source"]["kind"] == "file"
    assert data["source"]["lines"] == len(entry["lines"])
    assert [issue["category"] for issue in data["issues"]] == ["port_in_use"]
    assert data["issues"][0]["actions"] == [] and data["recorded"] is None

    text = run_cli("logs", "analyze", "--file", str(log_file))
    assert text.exit_code == 0
    assert f"Analyzed {log_file} ({len(entry['lines'])} lines)" in text.stdout
    assert "[ERROR] Port already in use in api.log" in text.stdout and "File: api.log" in text.stdout


def test_stdin_and_fail_on(run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(sample("s-033")["lines"]) + "\n"))
    result = run_cli("logs", "analyze", "--file", "-", "--fail-on", "error")
    assert result.exit_code == 1
    assert "Analyzed stdin" in result.stdout and "exit code 1" in result.stdout


def test_a_clean_file_finds_nothing(run_cli, tmp_path):
    log_file = tmp_path / "ok.log"
    log_file.write_text("INFO started\nINFO ready\n", encoding="utf-8")
    result = run_cli("logs", "analyze", "--file", str(log_file), "--fail-on", "warning")
    assert result.exit_code == 0 and "No problems found." in result.stdout


@pytest.mark.parametrize("args", [(), ("web", "--all"), ("--project", "shop", "--file", "x.log")])
def test_analyze_needs_exactly_one_target(run_cli, args):
    result = run_cli("logs", "analyze", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "needs one of CONTAINER, --project, --all or --file" in lines[0]


def test_missing_file_is_not_found(run_cli, tmp_path):
    result = run_cli("logs", "analyze", "--file", str(tmp_path / "absent.log"))
    assert result.exit_code == 4 and "no log file at" in result.stderr and "Traceback" not in result.stderr


def test_bad_since_is_a_usage_error(run_cli, tmp_path):
    result = run_cli("logs", "analyze", "web", "--since", "yesterday-ish")
    assert result.exit_code == 2 and "--since 'yesterday-ish' is neither a duration nor a time" in result.stderr


# --- real containers ----------------------------------------------------------------------------------------


@pytest.mark.docker
def test_containers_that_print_a_failure_and_exit_are_detected_and_recorded(run_cli, containers):
    project = f"dfla-{uuid.uuid4().hex[:8]}"
    expected = {"s-001": "port_in_use", "s-033": "dns_failure", "s-082": "missing_env"}
    names = {}
    for sample_id in expected:
        container = printing(containers, sample(sample_id)["lines"],
                             labels={"com.docker.compose.project": project})
        names[sample_id] = container.name

    data = analyzed(run_cli, "--project", project)
    assert sorted(data["source"]["containers"]) == sorted(names.values())
    found = {(issue["containers"][0], issue["category"]) for issue in data["issues"]}
    for sample_id, category in expected.items():
        assert (names[sample_id], category) in found
        assert (names[sample_id], "container_exited") in found  # the state analyzer saw the exit
    assert data["recorded"]["opened"] == len(data["issues"])

    # recorded in the issue store: `issues list` sees them
    listing = run_cli("issues", "list", "--container", names["s-033"], "--format", "json")
    assert {issue["category"] for issue in json.loads(listing.stdout)["issues"]} == {"dns_failure", "container_exited"}

    # analyzing again counts nothing twice
    again = analyzed(run_cli, "--project", project)
    assert again["recorded"]["opened"] == 0


@pytest.mark.docker
def test_one_container_by_name_in_text(run_cli, containers):
    container = printing(containers, sample("s-082")["lines"])
    result = run_cli("logs", "analyze", container.name, "--no-record")
    assert result.exit_code == 0, result.stderr
    assert f"Analyzed 1 container: {container.name}" in result.stdout
    assert "Missing environment variable" in result.stdout or "missing_env" in result.stdout
    assert f"exited with code 1" in result.stdout
    assert "Recorded in the issue store" not in result.stdout
    assert run_cli("issues", "list", "--all").stdout.strip() == "No tracked issues."


@pytest.mark.docker
def test_an_unknown_container_is_not_found(run_cli, docker_client):
    result = run_cli("logs", "analyze", f"no-such-{uuid.uuid4().hex[:8]}")
    assert result.exit_code == 4
    assert result.stderr.startswith("dockerforge: error: no container named or with id")


@pytest.fixture
def three_lines(containers):
    """A container that printed three lines a second apart, the second holding a password."""
    container = containers.run(f'echo "first line"; sleep 1; echo "second connecting with password={SECRET}"; '
                               'sleep 1; echo "third line"')
    container.wait(timeout=30)
    return container


@pytest.mark.docker
def test_export_formats_and_redaction(run_cli, three_lines, tmp_path):
    name = three_lines.name
    target = tmp_path / "out.jsonl"
    result = run_cli("logs", "export", name, "--format", "jsonl", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"exported 3 lines of {name} to {target}" in result.stderr
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [record["text"].split()[0] for record in records] == ["first", "second", "third"]
    assert all(record["container"] == name and record["stream"] == "stdout" for record in records)
    assert SECRET not in target.read_text() and "password=[REDACTED:password:1]" in records[1]["text"]
    assert records[0]["time"].endswith("Z") and len(records[0]["time"]) == len("2024-03-01T12:00:00.123456789Z")
    assert oct(target.stat().st_mode & 0o777) == "0o600"

    text = run_cli("logs", "export", name)
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].endswith("Z first line") and SECRET not in text.stdout

    as_csv = run_cli("logs", "export", name, "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["time", "stream", "container", "text"] and len(rows) == 4 and rows[3][3] == "third line"

    raw = run_cli("logs", "export", name, "--no-redact")
    assert f"password={SECRET}" in raw.stdout


@pytest.mark.docker
def test_export_since_and_until(run_cli, three_lines):
    records = [json.loads(line) for line in
               run_cli("logs", "export", three_lines.name, "--format", "jsonl").stdout.splitlines()]
    second = datetime.fromisoformat(records[1]["time"][:26])  # microseconds are enough here
    window = ("--since", (second - timedelta(milliseconds=400)).isoformat() + "Z",
              "--until", (second + timedelta(milliseconds=400)).isoformat() + "Z")
    result = run_cli("logs", "export", three_lines.name, *window)
    assert result.exit_code == 0, result.stderr
    assert [line.split(" ", 1)[1].split()[0] for line in result.stdout.splitlines()] == ["second"]
    backwards = run_cli("logs", "export", three_lines.name, "--since", "1m", "--until", "2h")
    assert backwards.exit_code == 2 and "--since is after --until" in backwards.stderr


@pytest.mark.docker
def test_export_of_an_unknown_container_writes_nothing(run_cli, docker_client, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "never.txt"
    result = run_cli("logs", "export", f"no-such-{uuid.uuid4().hex[:8]}", "--output", str(target))
    assert result.exit_code == 4 and not target.exists()
    assert list(folder.iterdir()) == []  # no temporary file left behind either


@pytest.mark.docker
def test_export_into_a_missing_directory_is_not_found(run_cli, three_lines, tmp_path):
    result = run_cli("logs", "export", three_lines.name, "--output", str(tmp_path / "absent" / "x.txt"))
    assert result.exit_code == 4 and "does not exist" in result.stderr


def test_the_export_format_choices_are_the_exporters():
    from dockerforge_tui.cli.commands.logs import EXPORT_FORMAT_CHOICES
    from dockerforge_tui.services.logs.export import EXPORT_FORMATS

    assert EXPORT_FORMAT_CHOICES == EXPORT_FORMATS


@pytest.mark.docker
def test_root_cause_hint_across_containers_and_an_oom_kill_whose_logs_say_nothing(run_cli, containers, docker_client):
    """`db` is OOM-killed (silently); `web` logs connection refused to db:5432: the hint names db."""
    project = f"dfla-{uuid.uuid4().hex[:8]}"
    db = containers.run('s=aaaaaaaaaaaaaaaa; while :; do s="$s$s"; done', mem_limit="16m", memswap_limit="16m",
                        labels={"com.docker.compose.project": project, "com.docker.compose.service": "db"})
    db.wait(timeout=30)
    assert docker_client.api.inspect_container(db.id)["State"]["OOMKilled"]
    web = containers.run('echo "Server starting"; echo "Error: connect ECONNREFUSED db:5432"; sleep 300',
                         labels={"com.docker.compose.project": project, "com.docker.compose.service": "web"})
    deadline = time.monotonic() + 20
    while b"ECONNREFUSED" not in docker_client.api.logs(web.id) and time.monotonic() < deadline:
        time.sleep(0.1)

    data = analyzed(run_cli, "--project", project, "--no-record")
    found = {(issue["containers"][0], issue["category"]) for issue in data["issues"]}
    assert (db.name, "out_of_memory") in found and (web.name, "connection_refused") in found
    [hint] = [hint for hint in data["hints"] if hint["symptom_container"] == web.name]
    assert hint["cause_container"] == db.name and hint["target"] == "db:5432" and hint["level"] == "high"
    assert "out of memory" in hint["reason"]
    text = run_cli("logs", "analyze", "--project", project, "--no-record")
    assert "Root-cause hints" in text.stdout and db.name in text.stdout.split("Root-cause hints", 1)[1]


@pytest.mark.docker
def test_all_and_since_with_real_containers(run_cli, containers, docker_client):
    """--all covers every container; --since leaves out what a container printed before then."""
    early, late = sample("s-033")["lines"], sample("s-001")["lines"]  # dns_failure, then port_in_use
    container = containers.run(f'printf "%s\\n" "$EARLY"; sleep 3; printf "%s\\n" "$LATE"; sleep 300',
                               environment={"EARLY": "\n".join(early), "LATE": "\n".join(late)})
    deadline = time.monotonic() + 30
    while len(docker_client.api.logs(container.id).splitlines()) < len(early) + len(late):
        assert time.monotonic() < deadline, "the container never printed its second part"
        time.sleep(0.2)
    stamped = docker_client.api.logs(container.id, timestamps=True).decode().splitlines()
    first_late = stamped[len(early)].split(" ", 1)[0]  # RFC 3339 with nanoseconds
    between = datetime.fromisoformat(first_late[:26]) - timedelta(seconds=1)

    whole = analyzed(run_cli, container.name, "--no-record")
    assert {issue["category"] for issue in whole["issues"]} == {"dns_failure", "port_in_use"}
    recent = analyzed(run_cli, container.name, "--since", between.isoformat() + "Z", "--no-record")
    assert {issue["category"] for issue in recent["issues"]} == {"port_in_use"}
    assert recent["source"]["since"].startswith(between.isoformat()[:19])

    everything = analyzed(run_cli, "--all", "--no-record")
    assert container.name in everything["source"]["containers"]
    assert {issue["category"] for issue in everything["issues"]
            if container.name in issue["containers"]} == {"dns_failure", "port_in_use"}
