"""``dockerforge issues list|show|ack|resolve|ignore|reopen`` over a real issue store in the test's data dir."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.docker.states import state_from_inspect
from dockerforge_tui.services.issues import IssueStore, analyze_states
from tests.report import scenario


@pytest.fixture
def store():
    """The CLI's store (in the isolated data dir), holding the issues of the golden scenario."""
    issue_store = IssueStore.for_paths(app_paths())
    issue_store.record(scenario.trouble_analysis().observations, scenario.NOW)
    return issue_store


def listed(run_cli, *options):
    result = run_cli("issues", "list", "--format", "json", *options)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["issues"]


def test_list_shows_the_unresolved_issues_most_severe_first(run_cli, store):
    result = run_cli("issues", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "STATUS", "COUNT", "LAST", "SEEN", "CONTAINER", "TITLE"]
    assert len(lines) == 1 + 7
    assert lines[1].split()[1:3] == ["critical", "open"] and "Out of memory in db" in lines[1]
    issues = listed(run_cli)
    assert {issue["id"] for issue in issues} == {issue.id for issue in store.list()}
    first = issues[0]
    assert first["category"] == "out_of_memory" and first["status"] == "open" and first["occurrences"] == 1
    assert first["pattern_id"] and first["evidence"] and first["recommendations"]


def test_filters(run_cli, store):
    assert [issue["severity"] for issue in listed(run_cli, "--severity", "critical")] == ["critical"]
    db_by_name = listed(run_cli, "--container", "shop-db-1")
    assert [issue["category"] for issue in db_by_name] == ["out_of_memory"]
    assert listed(run_cli, "--container", "db") == db_by_name  # the compose service names it too
    assert len(listed(run_cli, "--project", "shop")) == 7
    assert listed(run_cli, "--project", "other") == []
    assert listed(run_cli, "--since", "1h") == []  # the scenario happened in 2024
    assert len(listed(run_cli, "--since", "2024-03-01T08:00:00Z")) == 7
    # the unhealthy verdict is dated by the container's start (09:00)
    assert len(listed(run_cli, "--since", "2024-03-01 11:00")) == 6
    empty = run_cli("issues", "list", "--project", "other")
    assert empty.exit_code == 0 and empty.stdout.strip() == "No open/acknowledged issues."


def test_show_by_prefix(run_cli, store):
    oom = store.list(severity_at_least="critical")[0]
    result = run_cli("issues", "show", oom.id[:6])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"[CRITICAL] Out of memory in db  (id {oom.id}, open)")
    assert "OOMKilled=true" in out and "$ docker inspect" in out and "pattern container.oom_killed" in out
    data = json.loads(run_cli("issues", "show", oom.id, "--format", "json").stdout)
    assert data["id"] == oom.id and data["pattern_id"] == "container.oom_killed" and data["status_changed_at"]


def test_status_changes(run_cli, store):
    oom, worker = store.list(severity_at_least="critical")[0], store.list(container="shop-worker-1")[0]
    result = run_cli("issues", "ack", oom.id)
    assert result.exit_code == 0 and result.stdout.strip() == f"acknowledged {oom.id}: {oom.title}"
    assert {issue["id"]: issue["status"] for issue in listed(run_cli)}[oom.id] == "acknowledged"

    assert run_cli("issues", "resolve", oom.id, worker.id[:7]).exit_code == 0
    remaining = {issue["id"] for issue in listed(run_cli)}
    assert oom.id not in remaining and worker.id not in remaining and len(remaining) == 5
    assert {issue["id"] for issue in listed(run_cli, "--status", "resolved")} == {oom.id, worker.id}
    assert len(listed(run_cli, "--all")) == 7

    assert run_cli("issues", "reopen", oom.id).exit_code == 0
    assert oom.id in {issue["id"] for issue in listed(run_cli)}
    assert run_cli("issues", "ignore", oom.id).stdout.startswith(f"ignored {oom.id}")
    assert [issue["status"] for issue in listed(run_cli, "--status", "ignored")] == ["ignored"]
    assert store.get(oom.id).status == "ignored"  # the CLI wrote the same file


def test_unknown_id_is_not_found_and_changes_nothing(run_cli, store):
    oom = store.list(severity_at_least="critical")[0]
    result = run_cli("issues", "resolve", oom.id, "ffffffffff")
    assert result.exit_code == 4
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "dockerforge: error: no tracked issue with id 'ffffffffff'"
    assert lines[1].startswith("hint: ")
    assert store.get(oom.id).status == "open"  # every id is checked before any status changes
    assert run_cli("issues", "show", "0123456789").exit_code == 4


def test_ambiguous_prefix_is_a_usage_error(run_cli):
    docs = [{"Id": f"{index:064x}", "Name": f"/job-{index}", "State": {"Status": "exited", "ExitCode": 2},
             "Config": {}, "HostConfig": {}} for index in range(20)]
    store = IssueStore.for_paths(app_paths())
    store.record(analyze_states([state_from_inspect(doc) for doc in docs], scenario.NOW), scenario.NOW)
    # 20 ids, 16 possible first digits: at least two share one
    prefix, count = Counter(issue.id[0] for issue in store.list()).most_common(1)[0]
    assert count >= 2
    result = run_cli("issues", "show", prefix)
    assert result.exit_code == 2
    assert f"the id prefix '{prefix}' matches {count} issues" in result.stderr
    assert "hint: type more characters of the id" in result.stderr


def test_no_store_yet_lists_nothing(run_cli):
    result = run_cli("issues", "list")
    assert result.exit_code == 0 and "No open/acknowledged issues." in result.stdout


def test_bad_status_is_a_usage_error(run_cli):
    result = run_cli("issues", "list", "--status", "fixed")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
