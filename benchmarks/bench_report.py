"""How long does the headless report take on a host with 50 containers?

Starts 50 labelled busybox containers in one compose project (most running after
printing 200 log lines, a few that exited with a failure in their logs, one
OOM-killed), then times ``dockerforge report --project P --format json`` as a new
process, the way cron runs it (interpreter start and imports included): once with an
empty cache directory (the pattern engine compiles), then ``--repeat`` times with the
compiled engine cached, and prints where an in-process run spends its time. The
containers are removed at the end, also after a failure or Ctrl+C. Nothing is
asserted: the target is under 3 s; write the figure into docs/PERFORMANCE.md.

    .venv/bin/python benchmarks/bench_report.py [--containers 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from tests.support.images import BUSYBOX_IMAGE, ensure_test_images  # noqa: E402

BENCH_LABEL = "dockerforge.bench"
CHATTY = 'i=0; while [ $i -lt 200 ]; do echo "INFO request $i served in 12ms status=200"; i=$((i+1)); done; sleep 600'
FAILING = ("echo 'INFO starting'; echo \"ERROR:    [Errno 98] error while attempting to bind on address "
           "('0.0.0.0', 8000): address already in use\"; exit 1")
OOM = 's=aaaaaaaaaaaaaaaa; while :; do s="$s$s"; done'


def start_containers(client: docker.DockerClient, project: str, count: int) -> list:
    labels = {BENCH_LABEL: "1", "com.docker.compose.project": project}
    started = []
    for index in range(count):
        name = f"{project}-{index:02d}"
        if index == 0:
            command, extra = OOM, {"mem_limit": "16m", "memswap_limit": "16m"}
        elif index % 10 == 1:
            command, extra = FAILING, {}
        else:
            command, extra = CHATTY, {}
        started.append(client.containers.run(BUSYBOX_IMAGE, ["sh", "-c", command], name=name, detach=True,
                                             labels={**labels, "com.docker.compose.service": f"svc{index:02d}"},
                                             **extra))
    return started


def wait_until_settled(client: docker.DockerClient, project: str, count: int, timeout: float = 60) -> None:
    """Until every chatty container printed its lines and the failing ones exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = client.api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
        exited = sum(1 for entry in listed if entry["State"] == "exited")
        if len(listed) == count and exited >= 1 + len(range(1, count, 10)):
            time.sleep(1.0)  # the chatty ones print 200 lines in well under a second
            return
        time.sleep(0.2)
    raise RuntimeError("the benchmark containers did not settle in time")


def time_subprocess(project: str, env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dockerforge_tui", "report", "--project", project,
                             "--format", "json", "--no-record"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(f"the report failed ({result.returncode}): {result.stderr.strip()}")
    return elapsed, result.returncode


def phases(project: str) -> list[tuple[str, float]]:
    """One in-process run, timed step by step (warm interpreter, cold pattern engine)."""
    marks: list[tuple[str, float]] = []
    clock = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        marks.append((name, now - clock))
        clock = now

    from dockerforge_tui.core.config import default_settings
    from dockerforge_tui.services.docker.connection import connect
    from dockerforge_tui.services.docker.container_scope import ContainerScope, read_scope_states
    from dockerforge_tui.services.docker.events import read_events
    from dockerforge_tui.services.docker.log_reader import read_logs_of
    from dockerforge_tui.services.issues import analyze_containers
    from dockerforge_tui.services.report import ReportScope, build_report
    from dockerforge_tui.services.report.render import render
    from dockerforge_tui.services.report.collect import warm_up_patterns
    mark("imports")
    warm = warm_up_patterns()
    connection = connect(default_settings().docker)
    mark("connect")
    connection.info()
    states = read_scope_states(connection, ContainerScope(project=project))
    mark(f"info + list + {len(states)} inspects")
    now = datetime.now(timezone.utc)
    logs = read_logs_of(connection, [state.id for state in states], since=now - timedelta(hours=24), tail=500)
    mark(f"logs ({sum(len(read.lines) for read in logs.values())} lines)")
    events = read_events(connection.api, now - timedelta(hours=24), now, container_ids=[s.id for s in states])
    mark(f"events ({len(events)})")
    warm.result()
    mark("waiting for the pattern engine's cold start")
    analysis = analyze_containers(states, logs={key: list(read.lines) for key, read in logs.items()},
                                  timestamps={key: list(read.times) for key, read in logs.items()},
                                  events=events, now=now)
    mark(f"analysis ({len(analysis.observations)} observations)")
    render(build_report(analysis, now=now, scope=ReportScope("bench", now - timedelta(hours=24), now)), "json")
    mark("build + render")
    connection.close()
    return marks


def warm_run(project: str) -> float:
    """The whole report in-process once the pattern engine is compiled: what a cached engine would cost."""
    from dockerforge_tui.core.config import default_settings
    from dockerforge_tui.services.docker.connection import connect
    from dockerforge_tui.services.docker.container_scope import ContainerScope
    from dockerforge_tui.services.report import ReportScope, build_report, collect_analysis
    from dockerforge_tui.services.report.render import render

    started = time.perf_counter()
    since = datetime.now(timezone.utc) - timedelta(hours=24)
    with connect(default_settings().docker) as connection:
        collected = collect_analysis(connection, ContainerScope(project=project), since=since, tail=500)
    report = build_report(collected.analysis, now=collected.engine_time, engine=collected.engine,
                          scope=ReportScope("bench", since, collected.engine_time))
    render(report, "json")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    client = docker.from_env(timeout=120)
    ensure_test_images(client)
    project = f"dfbench-{uuid.uuid4().hex[:6]}"
    started: list = []
    try:
        print(f"starting {args.containers} containers in project {project} ...", flush=True)
        started = start_containers(client, project, args.containers)
        wait_until_settled(client, project, args.containers)
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, **{f"DOCKERFORGE_{name.upper()}_DIR": str(Path(home) / name)
                                    for name in ("config", "data", "log", "cache")}}
            # The first run compiles the pattern engine and saves it in DOCKERFORGE_CACHE_DIR;
            # the others load it from there, like every cron run after the first.
            first, code = time_subprocess(project, env)
            print(f"run 1 (empty cache): {first:.2f} s (exit code {code})", flush=True)
            timings = []
            for run in range(args.repeat):
                elapsed, code = time_subprocess(project, env)
                timings.append(elapsed)
                print(f"run {run + 2} (cached pattern engine): {elapsed:.2f} s (exit code {code})", flush=True)
        print(f"dockerforge report, {args.containers} containers, new process each time: first run {first:.2f} s; "
              f"then min {min(timings):.2f} s, median {statistics.median(timings):.2f} s, max {max(timings):.2f} s")
        print(f"load average: {', '.join(f'{value:.2f}' for value in os.getloadavg())} on {os.cpu_count()} CPUs")
        print("\nin-process phases (one run):")
        for name, seconds in phases(project):
            print(f"  {seconds:6.3f} s  {name}")
        warm = [warm_run(project) for _ in range(args.repeat)]
        print(f"\nin-process with the pattern engine already compiled: median {statistics.median(warm):.2f} s")
    finally:
        for container in started:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
