"""``dockerforge fix propose|list|show|apply|rollback|reject``: JSON shapes, confirmation rules, exit codes."""

from __future__ import annotations

import io
import json
import sys
import time

import pytest

from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.fixes import (
    ContainerChanges, FixStore, Recreate, Remove, Restart, manual_proposal,
)

pytestmark = pytest.mark.docker

OOM_COMMAND = "trap 'exit 0' TERM; head -c 48m /dev/zero | tail -c 48m >/dev/null && { sleep 300 & wait; }"
TERMINABLE = "trap 'exit 0' TERM; sleep 300 & wait"
FIX_FIELDS = {"id", "container", "risk", "summary", "operations", "status", "preview", "verification", "source"}


@pytest.fixture
def store():
    return FixStore.for_paths(app_paths())


@pytest.fixture
def answer(monkeypatch):
    """Type an answer on stdin for the command's question."""
    def give(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return give


def wait_exited(container) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            return
        time.sleep(0.05)
    raise AssertionError("the container did not exit")


@pytest.mark.slow
def test_propose_list_show_apply_and_rollback_in_json(run_cli, containers, docker_client):
    container = containers.run(OOM_COMMAND, mem_limit="32m")
    wait_exited(container)
    result = run_cli("fix", "propose", container.name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["container"] == container.name
    update, recreate = data["fixes"]
    assert FIX_FIELDS <= set(update) and update["container"] == container.name and update["risk"] == "low"
    assert [(item["kind"], set(item["params"])) for item in update["operations"]] == [
        ("update_resources", {"container", "memory", "memory_swap", "nano_cpus", "restart_policy"}),
        ("restart", {"container", "timeout"})]
    assert recreate["operations"][0]["params"]["changes"] == {"memory": 256 * 1024 * 1024}
    listed = json.loads(run_cli("fix", "list", "--format", "json").stdout)["fixes"]
    assert {item["id"] for item in listed} == {update["id"], recreate["id"]}
    shown = json.loads(run_cli("fix", "show", recreate["id"][:5], "--format", "json").stdout)
    assert shown["id"] == recreate["id"] and shown["issue"]["category"] == "out_of_memory"

    text = run_cli("fix", "show", recreate["id"])
    assert "Risk: medium" in text.stdout and "History:" in text.stdout and "+HostConfig.Memory" in text.stdout
    dry = run_cli("fix", "apply", recreate["id"], "--dry-run")
    assert dry.exit_code == 0 and "Dry run" in dry.stdout and "1a. stop" in dry.stdout

    applied = run_cli("fix", "apply", recreate["id"], "--yes", "--verify-seconds", "0.5")
    assert applied.exit_code == 0, applied.stderr
    assert "succeeded" in applied.stdout and "creating the new" in applied.stderr
    assert docker_client.api.inspect_container(container.name)["HostConfig"]["Memory"] == 256 * 1024 * 1024
    rolled = run_cli("fix", "rollback", recreate["id"], "--yes")
    assert rolled.exit_code == 0, rolled.stderr
    assert docker_client.api.inspect_container(container.name)["HostConfig"]["Memory"] == 32 * 1024 * 1024
    docker_client.api.remove_container(container.name, force=True)  # a new id: the factory cannot remove it
    table = run_cli("fix", "list", "--all")
    assert table.stdout.splitlines()[0].split() == ["ID", "STATUS", "RISK", "CONTAINER", "SOURCE", "SUMMARY"]
    assert "rolled_back" in table.stdout


def test_propose_for_a_healthy_container_proposes_nothing(run_cli, containers):
    container = containers.run(TERMINABLE)
    result = run_cli("fix", "propose", container.name)
    assert result.exit_code == 0 and "No fix to propose" in result.stdout
    assert run_cli("fix", "propose", "no-such-container-xyz").exit_code == 4


def test_yes_is_refused_for_a_high_risk_fix_without_force(run_cli, store):
    proposal = store.save(manual_proposal("web", [Remove("web")], "remove web"))
    assert proposal.risk == "high"
    refused = run_cli("fix", "apply", proposal.id, "--yes")
    assert refused.exit_code == 2 and "--yes alone is refused" in refused.stderr and "--force" in refused.stderr
    force_alone = run_cli("fix", "apply", proposal.id, "--force")
    assert force_alone.exit_code == 2 and "--force only applies with --yes" in force_alone.stderr
    assert store.get(proposal.id).status == "proposed"


def test_a_high_risk_fix_needs_the_container_name_typed_back(run_cli, store, containers, answer):
    container = containers.run(TERMINABLE)
    proposal = store.save(manual_proposal(container.name, [Remove(container.name)], "remove it"))
    answer("yes\n")
    result = run_cli("fix", "apply", proposal.id)
    assert result.exit_code == 130 and "did not match" in result.stderr
    container.reload()
    assert container.status == "running"


def test_a_question_answered_no_changes_nothing_and_yes_applies(run_cli, store, containers, answer):
    container = containers.run(TERMINABLE)
    proposal = store.save(manual_proposal(container.name, [Restart(container.name, timeout=2)], "restart"))
    answer("n\n")
    assert run_cli("fix", "apply", proposal.id).exit_code == 130
    assert store.get(proposal.id).status == "proposed"
    answer("y\n")
    result = run_cli("fix", "apply", proposal.id, "--verify-seconds", "0")
    assert result.exit_code == 0, result.stderr
    assert store.get(proposal.id).status == "succeeded"
    answer("\n")
    assert run_cli("fix", "rollback", proposal.id).exit_code == 130


def test_safety_refusals_exit_2_with_the_flag_to_allow_them(run_cli, store, containers):
    container = containers.run(TERMINABLE)
    proposal = store.save(manual_proposal(container.name, [
        Recreate(container.name, ContainerChanges(privileged=True))], "privileged"))
    result = run_cli("fix", "apply", proposal.id, "--yes", "--force")
    assert result.exit_code == 2 and "adds privileges: privileged mode" in result.stderr
    assert "--allow-privileges" in result.stderr
    container.reload()
    assert container.status == "running" and store.get(proposal.id).status == "proposed"


def test_a_failing_step_exits_with_the_engine_error_after_the_rollback(run_cli, store, containers):
    container = containers.run(TERMINABLE)
    proposal = store.save(manual_proposal(container.name, [
        Recreate(container.name, ContainerChanges(memory=1024 * 1024))], "too little memory"))
    result = run_cli("fix", "apply", proposal.id, "--yes")
    assert result.exit_code == 6, result.stderr
    assert "failed and was rolled back" in result.stderr
    container.reload()
    assert container.status == "running"
    assert store.get(proposal.id).status == "rolled_back"


@pytest.mark.slow
def test_a_fix_that_does_not_verify_exits_1(run_cli, store, containers):
    container = containers.run("sleep 1; exit 3")
    proposal = store.save(manual_proposal(container.name, [Restart(container.name, timeout=1)], "again"))
    result = run_cli("fix", "apply", proposal.id, "--yes", "--verify-seconds", "4")
    assert result.exit_code == 1 and "did not verify" in result.stdout and "fix rollback" in result.stderr


def test_json_output_redacts_secret_environment_values(run_cli, store):
    store.save(manual_proposal("web", [Recreate("web", ContainerChanges(env_set=(("DB_PASSWORD", "hunter2"),)))],
                               "new password"))
    result = run_cli("fix", "list", "--format", "json")
    assert result.exit_code == 0 and "hunter2" not in result.stdout
    (fix,) = json.loads(result.stdout)["fixes"]
    assert set(fix["operations"][0]["params"]["changes"]["env_set"]) == {"DB_PASSWORD"}


def test_reject_unknown_ids_and_empty_lists(run_cli, store):
    assert "No waiting" in run_cli("fix", "list").stdout
    assert "No fixes." in run_cli("fix", "list", "--all").stdout
    proposal = store.save(manual_proposal("web", [Restart("web")], "restart"))
    assert run_cli("fix", "reject", proposal.id).exit_code == 0
    assert run_cli("fix", "list").stdout.startswith("No waiting")
    assert json.loads(run_cli("fix", "list", "--status", "rejected", "--format", "json").stdout)["fixes"][0][
        "status"] == "rejected"
    assert run_cli("fix", "show", "ffffffff").exit_code == 4
    assert run_cli("fix", "rollback", proposal.id, "--yes").exit_code == 2
    assert run_cli("fix", "list", "--status", "nonsense").exit_code == 2
    assert run_cli("fix", "apply", proposal.id, "--verify-seconds", "-1").exit_code == 2
    assert run_cli("fix", "propose", "web", "--tail", "0").exit_code == 2


def test_rejecting_an_ai_fix_is_recorded_against_its_call(run_cli, store):
    from dockerforge_tui.services.ai.usage import UsageLedger, UsageRecord
    from dockerforge_tui.services.fixes import FixService

    ledger = UsageLedger.in_data_dir(app_paths().data_dir)
    ledger.append(UsageRecord(timestamp=time.time(), provider="none", model="none", input_tokens=1, output_tokens=1,
                              cost_usd=None, latency_s=0.1, outcome="ok", call_id="call-42", template_id="diagnose",
                              template_version=2))
    proposal = FixService(store, None).propose_from_ai("- restart web\n- check the disk", "web",
                                                       template="diagnose", template_version=2, call_id="call-42")
    assert [operation.kind for operation in proposal.operations] == ["restart"]
    shown = run_cli("fix", "show", proposal.id)
    assert "Source: ai diagnose v2" in shown.stdout and "never run" in shown.stdout
    assert run_cli("fix", "reject", proposal.id).exit_code == 0
    assert ledger.feedback()["call-42"].fix_accepted is False


def test_the_verification_time_comes_from_the_config(run_cli, containers, tmp_path):
    container = containers.run(OOM_COMMAND, mem_limit="32m")
    wait_exited(container)
    config = tmp_path / "config.yaml"
    config.write_text("fixes:\n  verify_seconds: 7s\n")
    result = run_cli("fix", "propose", container.name, "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert {fix["verification"]["running_seconds"] for fix in json.loads(result.stdout)["fixes"]} == {7.0}


def test_fix_events_reach_the_notification_channels_before_the_command_ends(run_cli, store, containers):
    from tests.support.notify_servers import WebhookServer

    container = containers.run(TERMINABLE)
    server = WebhookServer().start()
    try:
        app_paths().config_file.write_text(
            f'notifications:\n  default_channels: [hook]\n  channels:\n    hook: {{url: "json://{server.base}/hook"}}\n')
        proposal = store.save(manual_proposal(container.name, [Restart(container.name, timeout=2)], "restart it"))
        result = run_cli("fix", "apply", proposal.id, "--yes", "--verify-seconds", "0")
        assert result.exit_code == 0, result.stderr
        bodies = [request.json() for request in server.requests]
        assert len(bodies) == 1 and "restart it" in json.dumps(bodies[0])
        # A channel the dispatcher refuses (a plain password in its URL) costs the notifications, not the fix.
        app_paths().config_file.write_text('notifications:\n  channels:\n    bad: {url: "json://u:plainpw@h/x"}\n')
        warned = run_cli("fix", "reject", store.save(manual_proposal("web", [Restart("web")], "x")).id)
        assert warned.exit_code == 0 and "warning: no notifications for this command" in warned.stderr
    finally:
        server.stop()
