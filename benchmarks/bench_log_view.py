"""Key latency and memory of the live log view while a container prints ~5,000 lines/s.

    .venv/bin/python benchmarks/bench_log_view.py [--rate 5000] [--follow 60] [--presses 20]

A busybox container prints numbered lines at ``--rate`` lines/s (bursts of ``rate/10``
lines every 100 ms). ``dockerforge`` runs in a real terminal (tmux, 120x40), filters to
that container and opens its logs (``l``). After the buffer has filled, the benchmark
presses ``/`` (the search prompt opens), Escape (it closes) and ``t`` (timestamps on, then
off: every line is drawn again) ``--presses`` times each and measures, for each press, the
time until the terminal shows the change (capture-pane
polled every 2 ms, so each figure includes up to 2 ms of polling). It also reports the
dashboard's resident memory after the buffer filled and at the end of ``--follow``
seconds, its CPU while following, and the rate the engine really logged.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker

from proc_stats import cpu_seconds, resident_mb

IMAGE = "dockerforge-test/busybox:latest"
LABEL = "dockerforge.bench"
PLACEHOLDER = "search (case-insensitive"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", "dfbench-logs", *args], capture_output=True, text=True,
                          check=False).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, predicate, timeout: float = 20.0, poll: float = 0.002) -> float:
    """Seconds until ``predicate(screen)`` holds; raises when it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate(screen(session)):
            return time.monotonic() - start
        time.sleep(poll)
    raise SystemExit(f"the screen never matched within {timeout} s; last screen:\n{screen(session)}")


def stamped_lines(text: str) -> int:
    """Log lines on screen that start with a time of day (the ``t`` toggle shows them)."""
    return sum(1 for line in text.splitlines() if re.match(r"\s*\d{2}:\d{2}:\d{2}", line))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=5000, help="lines per second the container prints")
    parser.add_argument("--follow", type=float, default=60.0, help="seconds of following after the buffer filled")
    parser.add_argument("--presses", type=int, default=20, help="key presses to time (each: / then Escape)")
    parser.add_argument("--command", default=str(Path(sys.executable).with_name("dockerforge")))
    args = parser.parse_args()
    client = docker.from_env()
    run_id = uuid.uuid4().hex[:8]
    name = f"dfbench-logs-{run_id}"
    burst = max(1, args.rate // 10)
    script = f"i=0; while :; do seq $i $((i+{burst - 1})); i=$((i+{burst})); usleep 100000; done"
    session = f"bench-logs-{run_id}"
    container = client.containers.run(IMAGE, ["sh", "-c", script], name=name, detach=True,
                                      labels={LABEL: run_id})
    started = time.monotonic()
    try:
        tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"exec {args.command}")
        pid = int(tmux("list-panes", "-t", session, "-F", "#{pane_pid}").strip())
        wait_for(session, lambda s: "Name" in s and "containers" in s)
        tmux("send-keys", "-t", session, "/")
        tmux("send-keys", "-t", session, "-l", name)
        wait_for(session, lambda s: f"filter: {name}" in s)
        tmux("send-keys", "-t", session, "Enter")
        wait_for(session, lambda s: "1 of " in s and " Sort " in s.splitlines()[-1])
        tmux("send-keys", "-t", session, "l")
        wait_for(session, lambda s: sum(line.strip().isdigit() for line in s.splitlines()) > 10)
        time.sleep(5)  # the buffer fills (10,000 lines by default: two seconds at 5,000 lines/s)
        rss_filled = resident_mb(pid)
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()

        opened, closed = [], []
        for _ in range(args.presses):
            tmux("send-keys", "-t", session, "/")
            opened.append(wait_for(session, lambda s: PLACEHOLDER in s, timeout=5))
            time.sleep(0.2)
            tmux("send-keys", "-t", session, "Escape")
            closed.append(wait_for(session, lambda s: PLACEHOLDER not in s, timeout=5))
            time.sleep(0.3)
        # ``t`` redraws every line of the view (timestamps on, then off): the heaviest key.
        stamped, plain = [], []
        for _ in range(args.presses):
            tmux("send-keys", "-t", session, "t")
            stamped.append(wait_for(session, lambda s: stamped_lines(s) >= 20, timeout=5))
            time.sleep(0.2)
            tmux("send-keys", "-t", session, "t")
            plain.append(wait_for(session, lambda s: stamped_lines(s) == 0, timeout=5))
            time.sleep(0.3)
        remaining = args.follow - (time.monotonic() - wall_before)
        peak = rss_filled
        while remaining > 0:
            peak = max(peak, resident_mb(pid))
            time.sleep(min(1.0, remaining))
            remaining = args.follow - (time.monotonic() - wall_before)
        cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before) * 100
        rss_end = resident_mb(pid)
        logged = len(client.api.logs(container.id).splitlines())
        rate = logged / (time.monotonic() - started)
        print(f"engine logged: {logged:,} lines, {rate:,.0f} lines/s on average")
        for label, latencies in (("/ (prompt opens)", opened), ("Escape (prompt closes)", closed),
                                 ("t (timestamps on)", stamped), ("t (timestamps off)", plain)):
            latencies.sort()
            print(f"key to screen, {label}: median {statistics.median(latencies) * 1000:.0f} ms, "
                  f"p95 {latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000:.0f} ms, "
                  f"max {latencies[-1] * 1000:.0f} ms ({len(latencies)} presses)")
        print(f"dashboard CPU while following: {cpu:.0f}% of one core")
        print(f"resident memory: {rss_filled:.0f} MB when the buffer was full, {rss_end:.0f} MB after "
              f"{args.follow:.0f} s more (peak {peak:.0f} MB)")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        tmux("kill-session", "-t", session)
        container.remove(force=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
