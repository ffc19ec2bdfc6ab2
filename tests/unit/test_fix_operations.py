"""Fix operations, proposals, safety, AI answer parsing and the fix store: everything that needs no engine."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from dockerforge_tui.core.errors import NotFoundError, UsageError
from dockerforge_tui.services.docker.states import state_from_inspect
from dockerforge_tui.services.fixes import (
    OPERATION_TYPES, ContainerChanges, EditComposeFile, FixService, FixStore, FreePort, HealthcheckChange,
    PortChange, Prune, Recreate, Remove, Restart, SafetyOptions, SafetyRefusedError, ScaleService, Start, Stop,
    UpdateResources, check_operations, manual_proposal, operation_from_dict, parse_answer,
    proposals_for_observation,
)
from dockerforge_tui.services.fixes.ai_answers import parse_memory
from dockerforge_tui.services.fixes.operations import operations_data
from dockerforge_tui.services.fixes.proposals import Proposal, fill_template, new_memory_limit, rule_settings
from dockerforge_tui.services.fixes.recreate import (
    config_diff, config_lines, create_body, parse_restart_policy, swap_for,
)
from dockerforge_tui.services.fixes.safety import compose_privileges
from dockerforge_tui.services.issues.models import ContainerRef, Observation

MIB = 1024 * 1024
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
EVERY_OPERATION = (
    Restart("web"), Stop("web", timeout=3), Start("web"),
    UpdateResources("web", memory=64 * MIB, nano_cpus=1_500_000_000, restart_policy="on-failure:3"),
    Recreate("web", ContainerChanges(memory=128 * MIB, env_set=(("LEVEL", "debug"),), env_unset=("OLD",),
                                     ports=(PortChange(80, "tcp", 8081),), restart_policy="always",
                                     healthcheck=HealthcheckChange(("CMD", "true"), 5, 2, 3, 1))),
    ScaleService("shop", "api", 3), FreePort(8080, "other"), Prune(images=True, build_cache=True),
    Remove("web"), EditComposeFile("/srv/compose.yaml", "services: {}\n", "0" * 64),
)


@pytest.mark.parametrize("operation", EVERY_OPERATION, ids=lambda operation: operation.kind)
def test_every_operation_goes_through_json_unchanged(operation):
    data = json.loads(json.dumps(operation.to_dict()))
    assert data["kind"] == operation.kind
    assert operation_from_dict(data) == operation
    assert operation.describe() and operation.plan()


def test_every_kind_is_described_in_the_data_file():
    assert set(OPERATION_TYPES) <= set(operations_data()["operations"])
    assert {operation.kind for operation in EVERY_OPERATION} == set(OPERATION_TYPES)


@pytest.mark.parametrize("data, words", [
    ({"kind": "explode"}, "unknown fix operation"),
    ({"kind": "restart", "params": {}}, "needs the parameter container"),
    ({"kind": "restart", "params": {"container": "web", "colour": "red"}}, "no parameter colour"),
    ({"kind": "stop", "params": {"container": "web", "timeout": "soon"}}, "is not a int"),
    ({"kind": "update_resources", "params": {"container": "web"}}, "changes nothing"),
    ({"kind": "update_resources", "params": {"container": "web", "restart_policy": "sometimes"}}, "restart policy"),
    ({"kind": "recreate", "params": {"container": "web", "changes": {"colour": 1}}}, "cannot change colour"),
    ({"kind": "prune", "params": {}}, "names nothing"),
    ({"kind": "scale_service", "params": {"project": "p", "service": "s", "replicas": -1}}, "cannot scale"),
    ("restart web", "must be an object"),
])
def test_bad_operations_are_one_clear_usage_error(data, words):
    with pytest.raises(UsageError, match=words):
        operation_from_dict(data)


def test_inline_parameters_are_read_too():
    assert operation_from_dict({"kind": "restart", "container": "web"}) == Restart("web")


def test_risk_levels_come_from_the_operations():
    def risk(*operations):
        return manual_proposal("web", operations, "test", selection=("other", "shop/api")).risk

    assert risk(Start("web")) == "low"
    assert risk(Restart("web"), UpdateResources("web", memory=MIB)) == "low"
    assert risk(Recreate("web", ContainerChanges(memory=MIB))) == "medium"
    assert risk(Remove("web")) == "high"
    assert risk(Prune(volumes=True)) == "high"
    assert risk(Recreate("web", ContainerChanges(privileged=True))) == "high"
    kinds = {item.kind for item in Recreate("web", ContainerChanges(cap_add=("SYS_ADMIN",))).risks()}
    assert kinds == {"downtime", "data_loss", "privilege"}
    assert not manual_proposal("web", [Prune(images=True)], "x").reversible


# --- safety ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, words", [
    (ContainerChanges(privileged=True), "privileged mode"),
    (ContainerChanges(network_mode="host"), "the host's network"),
    (ContainerChanges(pid_mode="host"), "PID namespace"),
    (ContainerChanges(ipc_mode="host"), "IPC namespace"),
    (ContainerChanges(binds=("/var/run/docker.sock:/var/run/docker.sock",)), "Docker socket"),
    (ContainerChanges(cap_add=("NET_ADMIN",)), "capabilities NET_ADMIN"),
    (ContainerChanges(devices=("/dev/fuse",)), "devices /dev/fuse"),
])
def test_added_privileges_are_refused_unless_allowed(changes, words):
    operations = [Recreate("web", changes)]
    refusals = check_operations(operations, ["web"])
    assert len(refusals) == 1 and refusals[0].option == "allow_privileges" and words in refusals[0].reason
    assert refusals[0].flag == "--allow-privileges"
    assert check_operations(operations, ["web"], SafetyOptions(allow_privileges=True)) == ()


def test_harmless_changes_pass_the_safety_check():
    assert check_operations([Recreate("web", ContainerChanges(memory=MIB, network_mode="backend",
                                                              binds=("/srv/data:/data",)))], ["web"]) == ()


@pytest.mark.parametrize("operation", [Restart("db"), FreePort(80, "db"), ScaleService("shop", "db", 2),
                                       Prune(containers_=True)], ids=lambda operation: operation.kind)
def test_containers_outside_the_selection_are_refused_unless_allowed(operation):
    refusals = check_operations([operation], ["web", "shop/web"])
    assert [refusal.option for refusal in refusals] == ["allow_other_containers"]
    assert check_operations([operation], ["web"], SafetyOptions(allow_other_containers=True)) == ()


@pytest.mark.parametrize("operation", [Prune(volumes=True), Remove("web", volumes=True)],
                         ids=lambda operation: operation.kind)
def test_deleting_volumes_is_refused_unless_allowed(operation):
    refusals = check_operations([operation], ["web"])
    assert [refusal.option for refusal in refusals] == ["allow_volume_delete"]
    assert check_operations([operation], ["web"], SafetyOptions(allow_volume_delete=True)) == ()


def test_the_refusal_error_names_every_step_and_flag(tmp_path):
    service = FixService(FixStore(tmp_path / "fixes.json"), None)
    proposal = service.store.save(manual_proposal("web", [Recreate("web", ContainerChanges(privileged=True)),
                                                          Prune(volumes=True)], "bad"))
    with pytest.raises(SafetyRefusedError) as caught:
        service.apply(proposal, dry_run=True)
    assert "step 1" in caught.value.message and "step 2" in caught.value.message
    assert "--allow-privileges" in caught.value.hint and "--allow-volume-delete" in caught.value.hint
    assert caught.value.exit_code == 2


def test_compose_edits_that_add_privileges_are_found(tmp_path):
    old = "services:\n  web:\n    image: nginx\n    volumes: [./html:/usr/share/nginx/html]\n"
    new = ("services:\n  web:\n    image: nginx\n    privileged: true\n    network_mode: host\n    pid: host\n"
           "    cap_add: [NET_ADMIN]\n    devices: [/dev/kvm]\n"
           "    volumes: [./html:/usr/share/nginx/html, /var/run/docker.sock:/var/run/docker.sock]\n")
    found = compose_privileges(old, new)
    assert len(found) == 6 and all(item.startswith("web: ") for item in found)
    assert compose_privileges(new, new) == ()
    assert compose_privileges(old, "not: [valid") == ()
    path = tmp_path / "compose.yaml"
    path.write_text(old)
    edit = EditComposeFile(str(path), new)
    assert check_operations([edit], [])[0].option == "allow_privileges"
    assert "privilege" in {risk.kind for risk in edit.risks()}


# --- the recreate body -----------------------------------------------------------------------------------

INSPECT = {
    "Id": "a" * 64, "Name": "/web", "Image": "sha256:" + "b" * 64,
    "Config": {"Image": "web:1", "Hostname": "aaaaaaaaaaaa", "Env": ["PATH=/bin", "OLD=1", "API_TOKEN=hunter2"],
               "Cmd": ["serve"], "Labels": {"team": "a"}, "ExposedPorts": {"80/tcp": {}}},
    "HostConfig": {"Memory": 32 * MIB, "MemorySwap": 64 * MIB, "NanoCpus": 0, "CpuQuota": 50000,
                   "CpuPeriod": 100000, "NetworkMode": "backend", "RestartPolicy": {"Name": "no"},
                   "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, "Binds": ["/srv:/srv"]},
    "NetworkSettings": {"Networks": {
        "backend": {"Aliases": ["web", "aaaaaaaaaaaa"], "IPAMConfig": {"IPv4Address": "10.0.0.5"}},
        "frontend": {"Aliases": ["www"]},
    }},
}


def test_the_create_body_keeps_everything_and_applies_the_changes():
    changes = ContainerChanges(memory=128 * MIB, nano_cpus=2_000_000_000, restart_policy="on-failure:4",
                               env_set=(("OLD", "2"), ("NEW", "x")), env_unset=("PATH",),
                               ports=(PortChange(80, "tcp", 9090), PortChange(443, "tcp", 8443, "127.0.0.1")),
                               healthcheck=HealthcheckChange(("CMD", "true"), interval=5, retries=2))
    body, networks = create_body(INSPECT, changes, image="web:1")
    host = body["HostConfig"]
    assert body["Cmd"] == ["serve"] and body["Labels"] == {"team": "a"} and host["Binds"] == ["/srv:/srv"]
    assert host["Memory"] == 128 * MIB and host["MemorySwap"] == 256 * MIB  # the old 1:2 ratio
    assert (host["NanoCpus"], host["CpuQuota"], host["CpuPeriod"]) == (2_000_000_000, 0, 0)
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 4}
    assert body["Env"] == ["OLD=2", "API_TOKEN=hunter2", "NEW=x"]
    assert host["PortBindings"]["80/tcp"] == [{"HostIp": "", "HostPort": "9090"}]
    assert host["PortBindings"]["443/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "8443"}]
    assert "443/tcp" in body["ExposedPorts"]
    assert body["Healthcheck"]["Interval"] == 5_000_000_000 and body["Healthcheck"]["Retries"] == 2
    # The network mode's network is joined at create (its old short-id alias dropped); the others after.
    assert body["NetworkingConfig"] == {"EndpointsConfig": {"backend": {
        "Aliases": ["web"], "IPAMConfig": {"IPv4Address": "10.0.0.5"}}}}
    assert networks == {"frontend": {"Aliases": ["www"]}}
    assert INSPECT["HostConfig"]["Memory"] == 32 * MIB  # the inspect itself is untouched


def test_a_port_change_without_host_port_unpublishes_it():
    body, _ = create_body(INSPECT, ContainerChanges(ports=(PortChange(80),)))
    assert body["HostConfig"]["PortBindings"] == {}


@pytest.mark.parametrize("mode", ["host", "none", "container:abc"])
def test_special_network_modes_join_no_network(mode):
    inspected = {**INSPECT, "HostConfig": {**INSPECT["HostConfig"], "NetworkMode": mode}}
    body, networks = create_body(inspected)
    assert "NetworkingConfig" not in body and networks == {}


def test_the_config_diff_shows_the_change_and_hides_secrets():
    before = config_lines(*create_body(INSPECT))
    after = config_lines(*create_body(INSPECT, ContainerChanges(memory=64 * MIB,
                                                                env_set=(("DB_PASSWORD", "s3cret"),))))
    diff = config_diff(before, after, "web")
    assert "-HostConfig.Memory: 33554432" in diff and "+HostConfig.Memory: 67108864" in diff
    assert "+Config.Env.DB_PASSWORD" in diff and "s3cret" not in diff and "hunter2" not in diff
    assert config_diff(before, before, "web") == ""


@pytest.mark.parametrize("text, expected", [
    ("no", {"Name": "", "MaximumRetryCount": 0}), ("always", {"Name": "always", "MaximumRetryCount": 0}),
    ("on-failure:5", {"Name": "on-failure", "MaximumRetryCount": 5}),
])
def test_restart_policies(text, expected):
    assert parse_restart_policy(text) == expected


@pytest.mark.parametrize("text", ["sometimes", "always:3", "on-failure:x"])
def test_bad_restart_policies(text):
    with pytest.raises(UsageError):
        parse_restart_policy(text)


def test_swap_follows_the_memory():
    assert swap_for(64, 32, 64) == 128
    assert swap_for(64, None, 32) == 64
    assert swap_for(64, 32, -1) == -1 and swap_for(64, 32, 0) == 0


def test_update_resources_body_pairs_swap_and_clears_a_cpu_quota():
    operation = UpdateResources("web", memory=128 * MIB, nano_cpus=1_000_000_000, restart_policy="always")
    body = operation.body(INSPECT["HostConfig"])
    assert body == {"Memory": 128 * MIB, "MemorySwap": 256 * MIB, "NanoCpus": 1_000_000_000, "CpuQuota": 0,
                    "CpuPeriod": 0, "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}}
    assert UpdateResources("web", memory_swap=-1).body({}) == {"MemorySwap": -1}


# --- compose file edits -------------------------------------------------------------------------------------


def test_a_compose_edit_is_previewed_backed_up_written_and_rolled_back(tmp_path):
    path = tmp_path / "compose.yaml"
    old = "services:\n  web:\n    image: web:1\n    mem_limit: 32m\n"
    path.write_text(old)
    new = old.replace("32m", "64m")
    edit = EditComposeFile(str(path), new, hashlib.sha256(old.encode()).hexdigest())
    preview = edit.preview(None)
    assert "-    mem_limit: 32m" in preview and "+    mem_limit: 64m" in preview
    captured = edit.capture(None)
    applied: dict = {}
    edit.apply(None, captured, applied)
    assert path.read_text() == new and applied["backup"] and open(applied["backup"]).read() == old
    edit.rollback(None, captured, applied)
    assert path.read_text() == old


def test_a_compose_edit_refuses_a_file_changed_since(tmp_path):
    path = tmp_path / "compose.yaml"
    path.write_text("services: {}\n")
    with pytest.raises(UsageError, match="changed since"):
        EditComposeFile(str(path), "x: 1\n", "0" * 64).capture(None)
    with pytest.raises(NotFoundError):
        EditComposeFile(str(tmp_path / "gone.yaml"), "x: 1\n").capture(None)


# --- AI answers ---------------------------------------------------------------------------------------------


def test_a_json_answer_becomes_operations_and_advice():
    answer = """The container ran out of memory.

```json
{"summary": "More memory", "operations": [
  {"action": "increase_memory", "memory": "512m"},
  {"kind": "recreate", "env": {"LOG_LEVEL": "debug"}, "port": "8081:80", "memory": "1g"},
  {"kind": "rm -rf /"},
  {"kind": "restart", "container": "web", "when": "now"}
], "advice": ["Check the heap size"]}
```"""
    parsed = parse_answer(answer, "web")
    assert parsed.summary == "More memory"
    assert parsed.operations[0] == UpdateResources("web", memory=512 * MIB)
    recreate = parsed.operations[1]
    assert isinstance(recreate, Recreate) and recreate.changes.memory == 1024 * MIB
    assert recreate.changes.env_set == (("LOG_LEVEL", "debug"),)
    assert recreate.changes.ports == (PortChange(80, "tcp", 8081),)
    assert len(parsed.operations) == 2
    assert parsed.advice[0] == "Check the heap size"
    assert any("no operation called 'rm -rf /'" in text for text in parsed.advice)
    assert any("no parameter when" in text for text in parsed.advice)


def test_lines_become_operations_and_shell_stays_advice():
    answer = "\n".join([
        "1. restart",
        "- update_resources web memory=256MiB cpus=0.5 restart=on-failure:3",
        "- recreate web env.MODE=safe port=9000:90/udp",
        "* docker update --memory 512m web",
        "Action: stop db",
        "restart the container after lunch",
        "Then check the logs.",
    ])
    parsed = parse_answer(answer, "web")
    assert parsed.operations[0] == Restart("web")
    assert parsed.operations[1] == UpdateResources("web", memory=256 * MIB, nano_cpus=500_000_000,
                                                   restart_policy="on-failure:3")
    assert parsed.operations[2].changes.ports == (PortChange(90, "udp", 9000),)
    assert parsed.operations[3] == Stop("db")
    assert len(parsed.operations) == 4
    assert parsed.advice == ("docker update --memory 512m web", "restart the container after lunch",
                             "Then check the logs.")  # bullets and "Advice:" labels are dropped, the text kept
    labelled = parse_answer("Memory is short.\n- restart web\nAdvice: check the heap", "web")
    assert (labelled.summary, labelled.advice) == ("Memory is short.", ("check the heap",))


def test_an_ai_proposal_for_another_container_is_refused_by_safety():
    parsed = parse_answer("stop db", "web")
    assert check_operations(parsed.operations, ["web"])[0].option == "allow_other_containers"


def test_an_advice_only_answer_is_stored_but_cannot_be_applied(tmp_path):
    outcomes = []
    service = FixService(FixStore(tmp_path / "fixes.json"), None, ai_outcome=lambda *args: outcomes.append(args))
    proposal = service.propose_from_ai("Look at the logs.\ndocker rm -f web", "web", template="diagnose",
                                       template_version=2, call_id="c9")
    assert not proposal.actionable and proposal.advice == ("docker rm -f web",)
    assert proposal.summary == "Look at the logs."  # the answer's first line of prose
    assert proposal.source.label == "ai diagnose v2" and service.store.get(proposal.id).advice == proposal.advice
    with pytest.raises(UsageError, match="advice only"):
        service.apply(proposal.id)
    service.reject(proposal.id)
    assert outcomes == [("c9", False)]


@pytest.mark.parametrize("text, expected", [("512m", 512 * MIB), ("1g", 1024 * MIB), ("1.5GiB", 1536 * MIB),
                                            ("1048576", MIB), (4096, 4096)])
def test_memory_sizes_read_like_docker(text, expected):
    assert parse_memory(text) == expected


def test_bad_memory_sizes():
    for value in ("lots", True):
        with pytest.raises(ValueError):
            parse_memory(value)


# --- proposals from the rules --------------------------------------------------------------------------------


def state(name: str, *, memory: int = 0, ports: dict | None = None, status: str = "exited", cid: str | None = None):
    return state_from_inspect({
        "Id": cid or (name.encode().hex() * 64)[:64], "Name": f"/{name}", "RestartCount": 0,
        "State": {"Status": status, "Running": status == "running", "ExitCode": 137, "OOMKilled": True},
        "Config": {"Image": "x", "Env": [], "Labels": {}},
        "HostConfig": {"Memory": memory, "RestartPolicy": {"Name": "no"}, "PortBindings": ports or {}},
        "NetworkSettings": {"Ports": ports if status == "running" else {}, "Networks": {}},
    })


def observation(category: str, target, message: str = "", pattern: str = "p.id") -> Observation:
    return Observation("state", category, "error", pattern, ContainerRef(target.id, target.name), message, NOW)


def test_an_oom_kill_gets_an_update_then_a_recreate_with_twice_the_memory():
    target = state("web", memory=200 * MIB)
    proposals = proposals_for_observation(observation("out_of_memory", target), target, [target], now=NOW)
    assert [proposal.source.rule_id for proposal in proposals] == ["oom.update_memory", "oom.recreate_memory"]
    assert proposals[0].operations == (UpdateResources("web", memory=400 * MIB), Restart("web"))
    assert proposals[1].operations == (Recreate("web", ContainerChanges(memory=400 * MIB)),)
    assert proposals[0].risk == "low" and proposals[1].risk == "medium"
    assert "400MiB" in proposals[0].summary
    assert proposals[0].issue_id and proposals[0].category == "out_of_memory"
    assert proposals[0].verification.absent_patterns == ("p.id",)
    assert proposals[0].history[0].status == "proposed"


def test_without_the_state_no_memory_fix_is_guessed():
    target = state("web")
    assert proposals_for_observation(observation("out_of_memory", target), None, []) == []
    # Without a limit now, only the recreate: docker update cannot take a limit away again on rollback.
    (only,) = proposals_for_observation(observation("out_of_memory", target), target, [target])
    assert only.operations == (Recreate("web", ContainerChanges(memory=256 * MIB)),)
    assert proposals_for_observation(observation("dns_failure", target), target, [target]) == []


def test_a_port_clash_frees_the_port_or_moves_the_container():
    holder = state("holder", status="running", ports={"80/tcp": [{"HostIp": "", "HostPort": "18080"}]})
    target = state("web", ports={"8000/tcp": [{"HostIp": "", "HostPort": "18080"}]})
    found = observation("port_in_use", target, "Bind for 0.0.0.0:18080 failed: port is already allocated")
    proposals = proposals_for_observation(found, target, [holder, target], now=NOW)
    free, move = proposals
    assert free.operations == (FreePort(18080, "holder"), Restart("web")) and free.containers == ("web", "holder")
    assert check_operations(free.operations, free.containers) == ()
    (recreate,) = move.operations
    (port,) = recreate.changes.ports
    assert port.container_port == 8000 and port.host_port and port.host_port > 18080


def test_placeholders_keep_their_types():
    assert fill_template({"a": "{n}", "b": ["x{n}"], "c": 3, "d": "{missing}"}, {"n": 5}) == {
        "a": 5, "b": ["x5"], "c": 3, "d": "{missing}"}
    assert new_memory_limit(None) == rule_settings().minimum_memory
    assert new_memory_limit(300 * MIB + 1) == 601 * MIB


def test_proposals_go_through_json_unchanged():
    target = state("web", memory=200 * MIB)
    proposal = proposals_for_observation(observation("out_of_memory", target), target, [target], now=NOW)[1]
    data = json.loads(json.dumps(proposal.to_dict()))
    assert {"id", "container", "risk", "summary", "operations"} <= set(data)
    assert data["operations"][0]["kind"] == "recreate" and data["operations"][0]["params"]["changes"]["memory"]
    assert Proposal.from_dict(data) == proposal


# --- the store --------------------------------------------------------------------------------------------------


def test_the_store_keeps_proposals_statuses_and_success_rates(tmp_path):
    from dockerforge_tui.services.fixes import FixSource
    from dataclasses import replace

    store = FixStore(tmp_path / "fixes.json")
    first = store.save(replace(manual_proposal("web", [Restart("web")], "one", now=NOW), id="abc11111",
                               category="out_of_memory"))
    second = store.save(replace(manual_proposal("db", [Restart("db")], "two", now=NOW), id="abc22222",
                                category="out_of_memory",
                                source=FixSource("ai", template="diagnose", template_version=2, call_id="c1")))
    assert store.get("abc1").id == first.id
    with pytest.raises(UsageError, match="matches 2 fixes"):
        store.get("abc")
    with pytest.raises(NotFoundError):
        store.get("zzz")
    with pytest.raises(UsageError):
        store.get(" ")
    with pytest.raises(UsageError, match="unknown fix status"):
        store.list(status="done")
    store.set_status(first.id, "applying")
    store.set_status(first.id, "applied")
    store.set_status(first.id, "succeeded", "verified")
    store.set_status(second.id, "applying")
    store.set_status(second.id, "failed", "still dying")
    assert [item.id for item in store.list(container="db")] == [second.id]
    assert [change.status for change in store.get(first.id).history] == ["proposed", "applying", "applied",
                                                                          "succeeded"]
    rates = store.success_rates()
    (category,) = rates["category"]
    assert (category.key, category.succeeded, category.failed, category.rate) == ("out_of_memory", 1, 1, 0.5)
    (template,) = rates["template"]
    assert (template.key, template.total, template.rate) == ("diagnose v2", 1, 0.0)
    assert store.rollback_data(first.id) is None


def test_events_reach_subscribers_and_a_broken_one_is_ignored(tmp_path):
    service = FixService(FixStore(tmp_path / "fixes.json"), None)
    seen = []

    def broken(event):
        raise RuntimeError("listener bug")

    service.subscribe(broken)
    unsubscribe = service.subscribe(seen.append)
    proposal = service.store.save(manual_proposal("web", [Restart("web")], "one"))
    service.reject(proposal.id)
    assert [(event.kind, event.proposal.status) for event in seen] == [("rejected", "rejected")]
    unsubscribe()
    with pytest.raises(UsageError, match="only a waiting fix"):
        service.reject(proposal.id)
    with pytest.raises(UsageError, match="cannot be applied"):
        service.apply(proposal.id)
    with pytest.raises(UsageError, match="nothing to roll back"):
        service.rollback(proposal.id)
    assert len(seen) == 1


def test_an_issues_suggested_actions_become_operations():
    from dockerforge_tui.services.fixes.proposals import operations_for_action
    from dockerforge_tui.services.issues.models import SuggestedAction

    def action(kind, **params):
        return SuggestedAction(kind, tuple(params.items()), kind)

    assert operations_for_action(action("restart", container="web")) == (Restart("web"),)
    assert operations_for_action(action("recreate_with_memory", container="web", memory=MIB)) == (
        Recreate("web", ContainerChanges(memory=MIB)),)
    assert operations_for_action(action("update_restart_policy", container="web", policy="on-failure",
                                        max_retries=5)) == (UpdateResources("web", restart_policy="on-failure:5"),)
    assert operations_for_action(action("free_port", port=80, protocol="tcp", holder_container="old")) == (
        FreePort(80, "old"),)
    assert operations_for_action(action("free_port", port=80, holder_pid=12)) == ()
