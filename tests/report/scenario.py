"""Fixed data for the golden-file tests: a compose project in trouble, from inspect-shaped documents, at a fixed time.

Nothing here talks to an engine: the container states are built with the same
``state_from_inspect`` the Docker service uses, the log lines carry fixed times, and
the analysis runs the real analyzers and pattern engine with a fixed ``now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.docker.states import state_from_inspect
from dockerforge_tui.services.issues import analyze_containers
from dockerforge_tui.services.report import ReportScope, build_report
from dockerforge_tui.services.report.build import engine_summary

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
SINCE = NOW - timedelta(hours=1)
VERSION = "0.0.0-golden"
"""The version written into golden reports, so a release does not change them."""
MIB = 1024 * 1024
SECRET = "Sup3rS3cret"
CONFIGURED_SECRET = "tok-7f3a9c2e"
ENGINE_INFO = {"Name": "buildbox", "ServerVersion": "20.10.24", "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
               "Architecture": "x86_64", "Containers": 7, "ContainersRunning": 4, "ContainersPaused": 0,
               "ContainersStopped": 3, "Images": 12, "Warnings": []}


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f000Z") if moment else "0001-01-01T00:00:00Z"


def inspect_doc(name: str, service: str, *, status: str = "running", exit_code: int = 0, oom: bool = False,
                restarts: int = 0, policy: str = "no", started: datetime = NOW - timedelta(hours=3),
                finished: datetime | None = None, memory: int = 0, health: dict | None = None,
                healthcheck: dict | None = None, depends_on: str | None = None, ports: dict | None = None,
                ip: str = "172.18.0.9") -> dict[str, Any]:
    """A document shaped like the engine's GET /containers/{id}/json, for a container of project ``shop``."""
    labels = {"com.docker.compose.project": "shop", "com.docker.compose.service": service}
    if depends_on:
        labels["com.docker.compose.depends_on"] = depends_on
    state: dict[str, Any] = {"Status": status, "Running": status == "running", "ExitCode": exit_code,
                             "OOMKilled": oom, "Error": "", "StartedAt": _time(started), "FinishedAt": _time(finished)}
    if health is not None:
        state["Health"] = health
    return {
        "Id": (name.encode().hex() * 64)[:64], "Name": f"/{name}", "RestartCount": restarts,
        "Created": _time(NOW - timedelta(days=2)), "State": state,
        "Config": {"Image": f"shop/{service}:1.4", "Labels": labels, "Env": ["PATH=/bin"], "Healthcheck": healthcheck,
                   "Hostname": name},
        "HostConfig": {"Memory": memory, "RestartPolicy": {"Name": policy, "MaximumRetryCount": 0}},
        "NetworkSettings": {"Ports": ports or {}, "Networks": {"shop_default": {"Aliases": [service, name],
                                                                                  "IPAddress": ip}}},
    }


def trouble_states():
    """Five containers: db OOM-killed, web cannot reach db, worker restarting, api unhealthy, cache fine."""
    return (
        state_from_inspect(inspect_doc("shop-api-1", "api", health={
            "Status": "unhealthy", "FailingStreak": 4,
            "Log": [{"Start": _time(NOW - timedelta(seconds=31)), "End": _time(NOW - timedelta(seconds=30)),
                     "ExitCode": 1, "Output": "curl: (22) The requested URL returned error: 503\n"}]},
            healthcheck={"Test": ["CMD-SHELL", "curl -fsS http://localhost:8000/health"],
                         "Interval": 10_000_000_000, "Retries": 3},
            ip="172.18.0.5")),
        state_from_inspect(inspect_doc("shop-cache-1", "cache", ip="172.18.0.3",
                                       ports={"6379/tcp": None})),
        state_from_inspect(inspect_doc("shop-db-1", "db", status="exited", exit_code=137, oom=True, memory=64 * MIB,
                                       finished=NOW - timedelta(minutes=2), ports={"5432/tcp": None},
                                       ip="172.18.0.2")),
        state_from_inspect(inspect_doc("shop-web-1", "web", depends_on="db:service_started:false",
                                       ports={"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
                                       ip="172.18.0.4")),
        state_from_inspect(inspect_doc("shop-worker-1", "worker", status="restarting", exit_code=1, restarts=6,
                                       policy="always", started=NOW - timedelta(seconds=20),
                                       finished=NOW - timedelta(seconds=10), ip="172.18.0.6")),
    )


def _lines(name: str, start: datetime, texts: list[str]) -> tuple[str, list[str], list[datetime]]:
    container_id = (name.encode().hex() * 64)[:64]
    return container_id, texts, [start + timedelta(milliseconds=250 * index) for index in range(len(texts))]


def trouble_logs():
    """Log lines (and their times) of web, worker and api."""
    found = [
        _lines("shop-web-1", NOW - timedelta(minutes=1, seconds=50), [
            "INFO:     Started server process [1]",
            'psycopg2.OperationalError: connection to server at "db" (172.18.0.2), port 5432 failed: '
            "Connection refused",
            f"connect postgres://app:{SECRET}@db:5432/shop failed: password authentication failed",
        ]),
        _lines("shop-worker-1", NOW - timedelta(seconds=12), [
            "Traceback (most recent call last):",
            '  File "/app/worker.py", line 3, in <module>',
            "    import celery",
            "ModuleNotFoundError: No module named 'celery'",
        ]),
        _lines("shop-api-1", NOW - timedelta(minutes=5), [
            "INFO api ready on :8000",
            f"WARN upstream call with token {CONFIGURED_SECRET} timed out after 30s",
        ]),
    ]
    logs = {container_id: texts for container_id, texts, _ in found}
    times = {container_id: stamps for container_id, _, stamps in found}
    return logs, times


def redactor() -> Redactor:
    """The redactor a config with ``redaction.values: [CONFIGURED_SECRET]`` builds."""
    return Redactor(values=[CONFIGURED_SECRET])


def trouble_analysis():
    """The real analyzers over the fixed states and logs, at ``NOW``, without looking at host ports."""
    logs, times = trouble_logs()
    return analyze_containers(trouble_states(), logs=logs, timestamps=times, now=NOW, host_listeners=None)


def scope() -> ReportScope:
    """Project ``shop``, logs and events of the last hour."""
    return ReportScope(description="project shop", since=SINCE, until=NOW, project="shop")


def engine():
    """The engine summary of a fixed ``docker info``."""
    return engine_summary(ENGINE_INFO, endpoint="unix:///var/run/docker.sock", source="default socket",
                          engine_version="20.10.24", api_version="1.41")


def trouble_report(fail_on: str | None = "error", tracked=None):
    """The report the golden files pin."""
    return build_report(trouble_analysis(), now=NOW, scope=scope(), engine=engine(), tracked=tracked,
                        redactor=redactor(), fail_on=fail_on, dockerforge_version=VERSION)


def clean_report():
    """A report on one healthy container: nothing to say but the summary."""
    states = (state_from_inspect(inspect_doc("shop-cache-1", "cache")),)
    analysis = analyze_containers(states, logs={}, now=NOW, host_listeners=None)
    return build_report(analysis, now=NOW, scope=scope(), engine=engine(), redactor=redactor(), fail_on="warning",
                        dockerforge_version=VERSION)
