"""Measure the dashboard in a real terminal (tmux) against N labelled busybox containers.

    .venv/bin/python benchmarks/bench_dashboard.py --containers 22 --idle 60
    .venv/bin/python benchmarks/bench_dashboard.py --containers 100 --idle 0 --command "lazydocker"

Reports: first frame (the header is drawn), list filled (every container has a row),
idle CPU (% of one core) and resident memory over ``--idle`` seconds. ``--command``
runs another tool the same way (anything that draws its list in the terminal), so the
figures can be compared on the same engine; for another tool "list filled" is when the
last container's name is on screen. ``--repeat`` starts the tool that many times against
the same containers (start-up figures only, then one idle measurement).

DockerForge runs with fresh, empty config, data and log directories (defaults, an empty
issue store), as on a first start; the cache directory stays the person's, so the log
pattern engine is loaded as an earlier run saved it. The idle figures count the engine's
events during the window: other containers coming and going (another test run on the
same engine) make the dashboard work, so compare idle figures only when that is near 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import docker

from proc_stats import cpu_seconds, resident_mb

IMAGE = "dockerforge-test/busybox:latest"
LABEL = "dockerforge.bench"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", "dfbench", *args], capture_output=True, text=True, check=False).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=22)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle measurement (0 skips it)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds between the list filling and the idle measurement (start-up work: the "
                             "issue monitor attaching to every container's logs, its first full state check)")
    parser.add_argument("--command", default=str(Path(sys.executable).with_name("dockerforge")))
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--height", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1, help="start-ups to time (the idle run follows the last)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is needed (apt-get install tmux)", file=sys.stderr)
        return 1
    client = docker.from_env()
    run_id = uuid.uuid4().hex[:8]
    names = [f"dfbench-{run_id}-{index:03d}" for index in range(args.containers)]
    try:
        for name in names:
            client.containers.run(IMAGE, ["sleep", "3600"], name=name, detach=True, labels={LABEL: run_id})
        print(f"containers: {len(names)}")
        for attempt in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="dfbench-") as home:
                session, pid = start_and_time(args, names, f"bench-{run_id}-{attempt}", Path(home))
                if attempt + 1 < args.repeat or args.idle <= 0:
                    stop(session, pid)
                    continue
                measure_idle(args, pid, client)
                stop(session, pid)
    finally:
        for container in client.containers.list(all=True, filters={"label": f"{LABEL}={run_id}"}):
            container.remove(force=True)
    return 0


def pane_pid(session: str) -> int:
    """The pid of the program in the session's pane (tmux may need a moment to report it)."""
    deadline = time.monotonic() + 5
    while True:
        text = tmux("list-panes", "-t", session, "-F", "#{pane_pid}").strip()
        if text or time.monotonic() > deadline:
            return int(text)
        time.sleep(0.01)


def stop(session: str, pid: int) -> None:
    """End the session and wait for the program to exit, so it does not slow the next start."""
    tmux("kill-session", "-t", session)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def start_and_time(args: argparse.Namespace, names: list[str], session: str, home: Path) -> tuple[str, int]:
    """Start the tool in a new tmux session; print first frame and list filled; return (session, pid)."""
    is_dockerforge = "dockerforge" in args.command
    command = args.command
    if is_dockerforge:
        dirs = " ".join(f"DOCKERFORGE_{kind.upper()}_DIR={home / kind}" for kind in ("config", "data", "log"))
        command = f"env {dirs} {command}"
    started = time.monotonic()
    tmux("new-session", "-d", "-s", session, "-x", str(args.width), "-y", str(args.height), f"exec {command}")
    pid = pane_pid(session)
    first_frame = list_filled = None
    last_name = sorted(names)[-1]
    while time.monotonic() - started < 60:
        screen = tmux("capture-pane", "-p", "-t", session)
        if first_frame is None and screen.strip():
            first_frame = time.monotonic() - started
        filled = (f"{len(names)} of" in screen or f"of {len(names)} containers" in screen) if is_dockerforge \
            else last_name in screen
        if is_dockerforge:
            # The status line counts every container on the engine; ours are all of them here
            # only on an otherwise empty engine, so also accept "N of M" with N == M >= ours.
            for line in screen.splitlines():
                if " containers" in line and " of " in line:
                    try:
                        shown, total = line.strip().split(" containers")[0].split(" of ")
                        filled = int(shown) == int(total) >= len(names)
                    except ValueError:
                        pass
        if filled:
            list_filled = time.monotonic() - started
            break
        time.sleep(0.01)
    print(f"first frame: {first_frame:.2f} s" if first_frame is not None else "first frame: never")
    print(f"list filled: {list_filled:.2f} s" if list_filled is not None else
          "list filled: not within 60 s; the last screen:\n" + screen)
    return session, pid


def measure_idle(args: argparse.Namespace, pid: int, client) -> None:
    """Print the tool's CPU and memory over ``--idle`` seconds, ``--settle`` seconds from now."""
    time.sleep(args.settle)
    print(f"start-up CPU (launch to {args.settle:.0f} s after the list filled): {cpu_seconds(pid):.2f} s")
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    since = int(time.time())
    peak_rss = 0.0
    while time.monotonic() - wall_before < args.idle:
        peak_rss = max(peak_rss, resident_mb(pid))
        time.sleep(1)
    cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before) * 100
    events = client.api.events(since=since, until=int(time.time()), decode=True)
    event_count = sum(1 for _ in events)
    print(f"idle CPU over {args.idle:.0f} s: {cpu:.1f}% of one core "
          f"(engine events meanwhile: {event_count}, load average {os.getloadavg()[0]:.2f})")
    print(f"resident memory: {resident_mb(pid):.0f} MB (peak {peak_rss:.0f} MB)")


if __name__ == "__main__":
    raise SystemExit(main())
