"""``dockerforge report`` and ``dockerforge --report`` against the real engine: exit codes, formats, the issue store."""

from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import dockerforge_tui.services.report as report_package
from tests.report.schema_check import validation_errors

SCHEMA = json.loads((Path(report_package.__file__).with_name("report.schema.json")).read_text(encoding="utf-8"))
OOM_COMMAND = 's=aaaaaaaaaaaaaaaa; while :; do s="$s$s"; done'


def project_labels(project: str) -> dict[str, str]:
    return {"com.docker.compose.project": project}


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@pytest.fixture
def troubled_project(containers, docker_client):
    """A project with an OOM-killed container, one in a restart loop and one that is fine."""
    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    oom = containers.run(OOM_COMMAND, mem_limit="16m", memswap_limit="16m", labels=project_labels(project))
    loop = containers.run("echo 'worker: giving up'; exit 3", restart_policy={"Name": "always"},
                          labels=project_labels(project))
    fine = containers.run("sleep 300", labels=project_labels(project))
    oom.wait(timeout=30)
    assert docker_client.api.inspect_container(oom.id)["State"]["OOMKilled"], "the OOM container was not OOM-killed"
    wait_for(lambda: docker_client.api.inspect_container(loop.id)["RestartCount"] >= 3)
    return {"project": project, "oom": oom.name, "loop": loop.name, "fine": fine.name}


@pytest.mark.docker
def test_oom_and_restart_loop_are_reported_and_fail_on_error_exits_1(run_cli, troubled_project):
    project = troubled_project["project"]
    result = run_cli("report", "--project", project, "--fail-on", "error", "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert validation_errors(data, SCHEMA) == []
    problems = {item["name"]: item["problems"] for item in data["problem_containers"]}
    assert problems[troubled_project["oom"]] == ["oom_killed", "down"]
    assert "restarting" in problems[troubled_project["loop"]]
    assert troubled_project["fine"] not in problems
    categories = {(issue["containers"][0], issue["category"], issue["severity"]) for issue in data["issues"]}
    assert (troubled_project["oom"], "out_of_memory", "critical") in categories
    assert any(name == troubled_project["loop"] and category == "restart_loop" for name, category, _ in categories)
    assert data["containers"]["total"] == 3 and data["scope"]["project"] == project
    assert data["fail_on"] == "error" and data["exit_code"] == 1 and data["findings_at_threshold"] >= 2
    assert data["engine"]["api_version"] and data["engine"]["endpoint"].startswith("unix://")
    oom_issue = next(issue for issue in data["issues"] if issue["category"] == "out_of_memory")
    assert any("OOMKilled=true" in item["text"] for item in oom_issue["evidence"])
    assert any(step["issue_ids"] and oom_issue["id"] in step["issue_ids"] for step in data["next_steps"])

    # recorded: `issues list` knows the same ids
    listed = json.loads(run_cli("issues", "list", "--project", project, "--format", "json").stdout)["issues"]
    assert {issue["id"] for issue in data["issues"]} <= {issue["id"] for issue in listed}

    # the top-level flag is the same command; its options follow it
    flag = run_cli("--report", "--project", project, "--format", "markdown", "--fail-on", "critical")
    assert flag.exit_code == 1, flag.stderr
    assert flag.stdout.startswith("# DockerForge report") and "## Containers needing attention" in flag.stdout
    text = run_cli("report", "--project", project)
    assert text.exit_code == 0  # without --fail-on, findings are not a failure
    assert "Containers needing attention: 2" in text.stdout and "[CRITICAL] Out of memory" in text.stdout


@pytest.mark.docker
def test_a_healthy_project_is_clean(run_cli, containers):
    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    containers.run("sleep 300", labels=project_labels(project))
    result = run_cli("report", "--project", project, "--fail-on", "warning")
    assert result.exit_code == 0, result.stderr
    assert "Containers in scope: 1 (1 running" in result.stdout and "No problems found" in result.stdout
    assert "Result: no issues at or above warning" in result.stdout


@pytest.mark.docker
def test_output_file_and_no_record(run_cli, containers, tmp_path):
    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    failed = containers.run("echo 'Error: listen EADDRINUSE: address already in use :::3000'; exit 1",
                            labels=project_labels(project))
    failed.wait(timeout=30)
    target = tmp_path / "report.json"
    result = run_cli("--report", "--project", project, "--format", "json", "--output", str(target), "--no-record")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"report written to {target}" in result.stderr
    data = json.loads(target.read_text(encoding="utf-8"))
    assert {issue["category"] for issue in data["issues"]} == {"port_in_use", "container_exited"}
    assert validation_errors(data, SCHEMA) == []
    assert run_cli("issues", "list", "--all").stdout.strip() == "No tracked issues."


def dead_socket(path: Path) -> str:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()
    return f"unix://{path}"


@pytest.mark.parametrize("command", [("report",), ("--report", "--format", "json")])
def test_a_dead_engine_exits_3_with_a_one_line_reason(run_cli, monkeypatch, tmp_path, command):
    dead = dead_socket(tmp_path / "dead.sock")
    monkeypatch.setenv("DOCKER_HOST", dead)
    started = time.monotonic()
    result = run_cli(*command, "--fail-on", "error")
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.stderr
    assert lines[0].startswith("dockerforge: error: the Docker engine you chose did not answer") and dead in lines[0]
    assert lines[1].startswith("hint: ")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("args", "words"), [(("--since", "last tuesday"), "--since 'last tuesday'"),
                                             (("--fail-on", "fatal"), "--fail-on"),
                                             (("--tail", "0"), "--tail must be a positive number"),
                                             (("--format", "yaml"), "--format")])
def test_usage_errors_exit_2(run_cli, args, words):
    result = run_cli("report", *args)
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_output_into_a_missing_directory_is_refused_before_the_engine_is_asked(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", dead_socket(tmp_path / "dead.sock"))
    result = run_cli("report", "--output", str(tmp_path / "absent" / "report.txt"))
    assert result.exit_code == 4
    assert "the directory" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "absent").exists()


@pytest.mark.docker
@pytest.mark.parametrize("command", [("report",), ("logs", "analyze")])
def test_a_project_without_containers_is_not_found(run_cli, docker_client, command):
    project = f"dfrep-none-{uuid.uuid4().hex[:8]}"
    result = run_cli(*command, "--project", project)
    assert result.exit_code == 4
    assert result.stderr.startswith(f"dockerforge: error: no containers in project {project}")


@pytest.mark.docker
def test_logs_that_cannot_be_read_are_listed_not_fatal(run_cli, containers):
    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    silent = containers.run("echo 'nobody reads this'; sleep 300", labels=project_labels(project),
                            log_config={"type": "none"})
    result = run_cli("report", "--project", project, "--format", "json", "--fail-on", "error")
    assert result.exit_code == 0, result.stderr
    problems = json.loads(result.stdout)["read_problems"]
    assert [problem["subject"] for problem in problems] == [f"logs of {silent.name}"]
    assert problems[0]["message"]
    text = run_cli("report", "--project", project).stdout
    assert "Could not read" in text and f"logs of {silent.name}:" in text


@pytest.mark.parametrize(("argv", "expected"), [
    (["--report"], ["report"]),
    (["-H", "unix:///x.sock", "--report", "--format", "json"], ["-H", "unix:///x.sock", "report", "--format", "json"]),
    (["--theme", "--report"], ["--theme", "--report"]),  # the value of --theme, not the flag
    (["doctor", "--report"], ["doctor", "--report"]),  # after a command name it belongs to the command
    (["config", "path"], ["config", "path"]),
])
def test_the_report_flag_becomes_the_report_command(argv, expected):
    from dockerforge_tui.cli.commands.report import expand_report_flag

    assert expand_report_flag(argv, ["config", "doctor", "report"]) == expected


def test_building_the_cli_parser_loads_no_analysis_service():
    """Every dockerforge run builds the parser: it must not load the pattern engine or the issue services."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from dockerforge_tui.cli.main import build_parser\n"
            "from dockerforge_tui.cli.registry import discover_commands\n"
            "build_parser(discover_commands())\n"
            "print(sorted(m for m in sys.modules if m.startswith(('dockerforge_tui.services.logs',"
            " 'dockerforge_tui.services.issues', 'dockerforge_tui.services.report.build', 'hyperscan', 'tinydb'))))\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_failed_run_leaves_the_previous_report_file_whole(run_cli, tmp_path, monkeypatch):
    """--output is atomic: a run that fails (here the engine is gone) keeps the old file and leaves no temporary."""
    target = tmp_path / "reports" / "nightly.json"
    target.parent.mkdir()
    target.write_text('{"previous": "report"}\n', encoding="utf-8")
    monkeypatch.setenv("DOCKER_HOST", dead_socket(tmp_path / "dead.sock"))
    result = run_cli("report", "--format", "json", "--output", str(target))
    assert result.exit_code == 3
    assert target.read_text(encoding="utf-8") == '{"previous": "report"}\n'
    assert [path.name for path in target.parent.iterdir()] == ["nightly.json"]


@pytest.mark.docker
def test_a_successful_run_replaces_the_report_file_whole(run_cli, containers, tmp_path):
    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    containers.run("sleep 300", labels=project_labels(project))
    target = tmp_path / "reports" / "nightly.md"
    target.parent.mkdir()
    target.write_text("old report\n" * 1000, encoding="utf-8")
    result = run_cli("report", "--project", project, "--format", "markdown", "--output", str(target), "--no-record")
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "old report" not in text and text.startswith("#")
    assert [path.name for path in target.parent.iterdir()] == ["nightly.md"]


@pytest.mark.docker
def test_since_leaves_out_older_log_lines(run_cli, containers, docker_client):
    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    container = containers.run("echo 'Error: getaddrinfo ENOTFOUND db'; sleep 3; "
                               "echo 'Error: listen EADDRINUSE: address already in use :::3000'; sleep 300",
                               labels=project_labels(project))
    wait_for(lambda: len(docker_client.api.logs(container.id).splitlines()) >= 2)
    second = docker_client.api.logs(container.id, timestamps=True).decode().splitlines()[1].split(" ", 1)[0]
    since = datetime.fromisoformat(second[:26]) - timedelta(seconds=1)

    def categories(*args: str) -> set[str]:
        result = run_cli("report", "--project", project, "--format", "json", "--no-record", *args)
        assert result.exit_code == 0, result.stderr
        return {issue["category"] for issue in json.loads(result.stdout)["issues"]}

    assert categories() == {"dns_failure", "port_in_use"}
    assert categories("--since", since.isoformat() + "Z") == {"port_in_use"}


@pytest.mark.docker
def test_notify_sends_the_report_by_mail_and_webhook(run_cli, containers):
    from dockerforge_tui.core.paths import app_paths
    from tests.support.notify_servers import SMTPServer, WebhookServer

    project = f"dfrep-{uuid.uuid4().hex[:8]}"
    failed = containers.run("echo 'Error: listen EADDRINUSE: address already in use :::3000'; exit 1",
                            labels=project_labels(project))
    failed.wait(timeout=30)
    assert run_cli("report", "--project", project, "--notify").exit_code == 2  # no channels yet: said, not ignored
    smtp, webhook = SMTPServer().start(), WebhookServer().start()
    try:
        app_paths().config_file.write_text(
            "notifications:\n  channels:\n"
            f'    mail: {{url: "mailto://127.0.0.1:{smtp.port}?from=df@example.com&to=ops@example.com"}}\n'
            f'    hook: {{url: "json://{webhook.base}/cron"}}\n'
            "  default_channels: [mail, hook]\n")
        result = run_cli("report", "--project", project, "--format", "json", "--notify", "--no-record")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["issues"]  # the JSON still goes to stdout
        assert "notify: mail: sent" in result.stderr and "notify: hook: sent" in result.stderr
        [mail] = smtp.messages
        assert mail["Subject"].startswith("[REPORT] ") and "open issue" in mail["Subject"]
        body = "\n".join(text for kind, text in smtp.bodies(mail) if kind == "text/plain")
        assert "DockerForge report" in body and failed.name in body and "EADDRINUSE" in body
        [hook] = webhook.requests
        assert hook.json()["title"] == mail["Subject"]

        webhook.answer(500, times=5)
        app_paths().config_file.write_text(
            "notifications:\n  retry_attempts: 1\n  channels:\n"
            f'    hook: {{url: "json://{webhook.base}/cron"}}\n  default_channels: [hook]\n')
        failing = run_cli("report", "--project", project, "--notify", "--no-record")
        assert failing.exit_code == 9 and "notify: hook: failed" in failing.stderr
        assert "DockerForge report" in failing.stdout  # the report itself still arrives
    finally:
        smtp.stop()
        webhook.stop()
