"""Benchmark the log pattern engine on generated container logs.

Generates N lines (default 1,000,000) deterministically: mostly ordinary access and
application lines from many kinds of programs (some with Compose prefixes or
``docker logs -t`` timestamps), with a small share of failures, some of them
multi-line tracebacks and stack traces. Then it measures, on one core (all
single-threaded; the figures are CPU seconds, best of ``--repeat`` runs):

- ``detect()`` with the Hyperscan engine (when installed), context rules included;
- ``detect()`` with the pure-Python engine;
- plain ``grep -E -f patterns.txt`` over the same lines, as a reference, with the
  pattern regexes exported in a form grep understands (those it cannot take are
  skipped and counted).

Usage::

    .venv/bin/python benchmarks/bench_patterns.py [--lines 1000000] [--repeat 3]
        [--failure-share 0.01] [--skip-grep] [--json]

Nothing here reads the labelled sample or any judging data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dockerforge_tui.services.logs import available_engines, detect, load_patterns  # noqa: E402

SERVICES = ["api-1", "web-1", "worker-1", "db-1", "cache-1", "proxy-1", "web_1", "queue-1"]
PATHS = [
    "/api/v1/users", "/api/v1/orders/{n}", "/static/app.{h}.js", "/health", "/api/errors/summary",
    "/login", "/metrics", "/api/v1/items?page={n}", "/status/timeouts", "/api/v2/search?q=denied",
    "/favicon.ico", "/api/v1/jobs/retry-failed", "/images/{h}.webp", "/ws", "/graphql",
]  # fmt: skip
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.4.0", "kube-probe/1.28", "Prometheus/2.48.0", "python-requests/2.31.0"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]

BENIGN_TEMPLATES = [
    '{ip} - - [12/Jan/2024:10:{mm}:{ss} +0000] "{method} {path} HTTP/1.1" {status} {n} "-" "{agent}"',
    '{ip} - - [12/Jan/2024:10:{mm}:{ss} +0000] "{method} {path} HTTP/2.0" {status} {n} "-" "{agent}" "-"',
    'INFO:     {ip}:{port} - "{method} {path} HTTP/1.1" {status} OK',
    "2024-01-12 10:{mm}:{ss},{ms} {level} [{logger}] processed job {n} in {ms}ms queue=default",
    '{{"level":"info","ts":1705054{n}.{ms},"caller":"handler/{word}.go:{ms}","msg":"request handled","status":{status},"path":"{path}","duration":0.0{ms}}}',
    'time="2024-01-12T10:{mm}:{ss}Z" level=info msg="{word} completed" id={h} elapsed={ms}ms',
    "{ts}  INFO 1 --- [nio-8080-exec-{d}] c.a.shop.web.OrderController          : Order {n} created for customer {ms}",
    "[2024-01-12 10:{mm}:{ss},{ms}] INFO [Consumer clientId=consumer-{d}, groupId=orders] Committed offset {n} for partition orders-{d} (o.a.k.c.c.internals.ConsumerCoordinator)",
    "2024-01-12 10:{mm}:{ss}.{ms} UTC [{n}] LOG:  duration: {ms}.{d}12 ms  statement: SELECT * FROM orders WHERE id = {n}",
    '{{"t":{{"$date":"2024-01-12T10:{mm}:{ss}.{ms}+00:00"}},"s":"I",  "c":"NETWORK",  "id":22943,   "ctx":"listener","msg":"Connection accepted","attr":{{"remote":"{ip}:{port}","connectionCount":{d}}}}}',
    "1:M 12 Jan 2024 10:{mm}:{ss}.{ms} * {n} changes in 300 seconds. Saving...",
    "[2024-01-12 10:{mm}:{ss},{ms}: INFO/ForkPoolWorker-{d}] Task reports.tasks.build[{h}] succeeded in {ms}.{d}s: None",
    "2024/01/12 10:{mm}:{ss} [notice] 1#1: signal process started",
    "Started GET \"{path}\" for {ip} at 2024-01-12 10:{mm}:{ss} +0000",
    "Completed 200 OK in {ms}ms (Views: {d}.1ms | ActiveRecord: {d}.2ms | Allocations: {n})",
    "info: Microsoft.AspNetCore.Hosting.Diagnostics[2] Request finished HTTP/1.1 GET http://api{path} - {status} {n} application/json {ms}.{d}ms",
    "[12-Jan-2024 10:{mm}:{ss}] NOTICE: [pool www] child {n} started",
    "{level} cache hit ratio {d}{d}% for {word} (keys={n})",
    "Sent {d} notifications, 0 failures",
    "request.timeout.ms = 30000",
    "errors.tolerance = all",
    "    error_log  /var/log/nginx/error.log notice;",
    "Tests run: {n}, Failures: 0, Errors: 0, Skipped: {d}",
    "#8 {d}.{ms} Collecting requests==2.31.0",
    "OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes because bootstrap classpath has been appended",
]  # fmt: skip

FAILURE_TEMPLATES = [
    "2024/01/12 10:{mm}:{ss} [error] 22#22: *{n} connect() failed (111: Connection refused) while connecting to upstream, client: {ip}",
    "Error: connect ECONNREFUSED 172.18.0.{d}:5432",
    "dial tcp: lookup {word} on 127.0.0.11:53: no such host",
    "2024-01-12 10:{mm}:{ss}.{ms} UTC [{n}] FATAL:  password authentication failed for user \"{word}\"",
    "OSError: [Errno 28] No space left on device: '/data/{word}.parquet'",
    "java.lang.OutOfMemoryError: Java heap space",
    "exec /usr/local/bin/{word}: exec format error",
    "Error: ENOENT: no such file or directory, open '/app/config/{word}.json'",
    "2024/01/12 10:{mm}:{ss} [emerg] 1#1: unknown directive \"{word}\" in /etc/nginx/conf.d/default.conf:{d}",
    "The {WORD}_URL environment variable is empty or not set.",
    "x509: certificate signed by unknown authority",
    "upstream timed out (110: Connection timed out) while reading response header from upstream",
    "accept4: too many open files; retrying in 5ms",
    "Error: listen EADDRINUSE: address already in use :::{port}",
    "mkdir: cannot create directory '/var/lib/{word}': Permission denied",
    "Segmentation fault (core dumped)",
]  # fmt: skip

MULTILINE_FAILURES = [
    [
        "Traceback (most recent call last):",
        '  File "/app/{word}.py", line {d}, in <module>',
        "    import {word}",
        "ModuleNotFoundError: No module named '{word}'",
    ],
    [
        "Exception in thread \"main\" java.lang.IllegalStateException: {word} not initialised",
        "\tat com.acme.{Word}.run({Word}.java:{d}{d})",
        "\tat java.base/java.lang.Thread.run(Thread.java:833)",
    ],
    [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a5f2e]",
        "goroutine {d} [running]:",
        "main.handle(0x0)",
        "\t/src/main.go:{d}{d} +0x1e",
    ],
]  # fmt: skip

WORDS = ["orders", "billing", "report", "session", "gateway", "inventory", "search", "mailer", "thumbnail", "ledger"]


def generate_lines(count: int, seed: int = 20240112, failure_share: float = 0.01) -> list[str]:
    """Return ``count`` deterministic log lines, about ``failure_share`` of them failures."""
    rng = random.Random(seed)
    lines: list[str] = []

    def fill(template: str) -> str:
        word = rng.choice(WORDS)
        return template.format(
            ip=f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            mm=f"{rng.randint(0, 59):02d}", ss=f"{rng.randint(0, 59):02d}", ms=rng.randint(0, 999),
            method=rng.choice(["GET", "GET", "GET", "POST", "PUT"]),
            path=rng.choice(PATHS).format(n=rng.randint(1, 99999), h=f"{rng.getrandbits(32):08x}"),
            status=rng.choice([200, 200, 200, 201, 204, 301, 304, 404]), n=rng.randint(1, 99999),
            agent=rng.choice(AGENTS), port=rng.randint(1024, 65535), level=rng.choice(LEVELS),
            logger=rng.choice(["app.jobs", "app.http", "app.cache", "scheduler"]), word=word,
            WORD=word.upper(), Word=word.capitalize(), h=f"{rng.getrandbits(32):08x}", d=rng.randint(0, 9),
            ts=f"2024-01-12T10:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z",
        )  # fmt: skip

    def decorate(line: str, style: int) -> str:
        if style == 1:
            return f"{rng.choice(SERVICES):<9} | {line}"
        if style == 2:
            return f"2024-01-12T10:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.getrandbits(30):09d}Z {line}"
        return line

    while len(lines) < count:
        style = rng.choice([0, 0, 1, 2])
        roll = rng.random()
        if roll < failure_share * 0.85:
            lines.append(decorate(fill(rng.choice(FAILURE_TEMPLATES)), style))
        elif roll < failure_share:
            for line in rng.choice(MULTILINE_FAILURES):
                lines.append(decorate(fill(line), style))
        else:
            lines.append(decorate(fill(rng.choice(BENIGN_TEMPLATES)), style))
    return lines[:count]


def export_grep_patterns(pattern_set) -> tuple[list[str], int]:
    """Regexes in POSIX ERE as far as a mechanical translation goes; returns (patterns, skipped)."""
    exported: list[str] = []
    skipped = 0
    for pattern in pattern_set:
        for regex in pattern.regexes:
            translated = regex.replace("(?:", "(")
            translated = re.sub(r"\\d", "[0-9]", translated)
            translated = re.sub(r"\\s", "[[:space:]]", translated)
            translated = re.sub(r"\\S", "[^[:space:]]", translated)
            translated = re.sub(r"\\w", "[[:alnum:]_]", translated)
            if re.search(r"\(\?|\\[AZzGpP]|\\x|\\r|\\n|\\t", translated) or "[^\\n]" in translated:
                translated = translated.replace("[^\\n]", ".")
                if re.search(r"\(\?|\\[AZzGpP]|\\x|\\r|\\n|\\t", translated):
                    skipped += 1
                    continue
            exported.append(translated)
    return exported, skipped


def time_call(function, repeat: int) -> tuple[float, float]:
    """Best CPU time and best wall time of ``repeat`` runs, in seconds.

    CPU time (this process plus its children) is what one core spends; it is the
    figure reported, because wall time on a shared machine also counts other
    programs' turns on the core.
    """
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        cpu_started = _cpu_seconds()
        wall_started = time.perf_counter()
        function()
        best_wall = min(best_wall, time.perf_counter() - wall_started)
        best_cpu = min(best_cpu, _cpu_seconds() - cpu_started)
    return best_cpu, best_wall


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--failure-share", type=float, default=0.01, help="share of failure lines (default 0.01)")
    parser.add_argument("--skip-grep", action="store_true", help="do not time grep")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    lines = generate_lines(args.lines, failure_share=args.failure_share)
    patterns = load_patterns()
    results: dict[str, object] = {
        "lines": len(lines),
        "failure_share": args.failure_share,
        "patterns": len(patterns),
        "regexes": len(patterns.units),
    }

    for engine in available_engines()[::-1]:
        detect(lines[:1000], patterns, engine=engine)  # compile and warm up outside the timing
        findings = detect(lines, patterns, engine=engine)
        load_before = os.getloadavg()[0]
        cpu, wall = time_call(lambda: detect(lines, patterns, engine=engine), args.repeat)
        results[engine] = {
            "cpu_seconds": round(cpu, 3),
            "wall_seconds": round(wall, 3),
            "lines_per_second": round(len(lines) / cpu),
            "findings": len(findings),
            # The machine's 1-minute load average before and after the runs: on a shared
            # machine the same command varies with it, so the figures carry it.
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }

    grep = None if args.skip_grep else shutil.which("grep")
    if grep:
        exported, skipped = export_grep_patterns(patterns)
        with tempfile.TemporaryDirectory() as scratch:
            patterns_file = Path(scratch) / "patterns.txt"
            log_file = Path(scratch) / "lines.log"
            patterns_file.write_text("\n".join(exported) + "\n", encoding="utf-8")
            log_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            command = [grep, "-E", "-i", "-c", "-f", str(patterns_file), str(log_file)]
            environment = {**os.environ, "LC_ALL": "C"}
            completed = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
            cpu, wall = time_call(lambda: subprocess.run(command, capture_output=True, env=environment, check=False), args.repeat)
            results["grep"] = {
                "cpu_seconds": round(cpu, 3),
                "wall_seconds": round(wall, 3),
                "lines_per_second": round(len(lines) / cpu),
                "matching_lines": int(completed.stdout.strip() or 0),
                "regexes_exported": len(exported),
                "regexes_skipped": skipped,
            }

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"{results['lines']:,} lines ({args.failure_share:.1%} failures), "
            f"{results['patterns']} patterns, {results['regexes']} regexes"
        )
        for name in ("hyperscan", "python", "grep"):
            if name in results:
                figures = results[name]
                load = figures.get("load_average")
                print(
                    f"  {name:<10} {figures['lines_per_second']:>12,} lines/s"
                    f"  ({figures['cpu_seconds']} s CPU, {figures['wall_seconds']} s wall"
                    + (f", load average {load[0]} -> {load[1]}" if load else "")
                    + ")"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
