"""How fast does the Redactor go over realistic container log lines?

Builds ~200k lines (web access logs, JSON and logfmt application logs, database
and daemon lines with digests, ids and UUIDs; about 5% carry a secret, taken
from the test corpus), redacts each one with a single Redactor and prints
lines per second. Nothing is asserted: run it before and after changing
redaction_rules.yaml.

    .venv/bin/python benchmarks/bench_redaction.py [--lines 200000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dockerforge_tui.core.redaction import Redactor  # noqa: E402

CORPUS = ROOT / "tests" / "unit" / "data" / "redaction_corpus.yaml"
SECRET_SHARE = 0.05


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _word(rng: random.Random) -> str:
    return rng.choice(["orders", "payments", "users", "cache", "session", "keyboard", "monkey", "tokenizer",
                       "inventory", "search", "auth-service", "worker", "scheduler", "billing", "reports"])


def _ordinary_line(rng: random.Random) -> str:
    kind = rng.randrange(9)
    ts = (f"2026-11-25T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
          f".{rng.randrange(1000):03d}Z")
    if kind == 0:
        return (f'172.18.0.{rng.randrange(255)} - - [25/Nov/2026:02:40:14 +0000] "GET /api/v1/{_word(rng)}?page='
                f'{rng.randrange(50)}&sort=asc HTTP/1.1" {rng.choice([200, 200, 201, 304, 404, 500])} '
                f'{rng.randrange(10_000)} "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"')
    if kind == 1:
        return (f'{{"ts":"{ts}","level":"{rng.choice(["info", "debug", "warn", "error"])}","msg":"handled request",'
                f'"request_id":"{uuid.UUID(int=rng.getrandbits(128))}","duration_ms":{rng.randrange(900)},'
                f'"route":"/{_word(rng)}","status":{rng.choice([200, 404, 500])}}}')
    if kind == 2:
        return (f'time={ts} level=info msg="job finished" job={_word(rng)} attempt={rng.randrange(5)} '
                f'max_tokens={rng.randrange(4096)} prompt_tokens={rng.randrange(2000)} trace_id={_hex(rng, 32)}')
    if kind == 3:
        return (f"{ts} [{rng.randrange(1, 200)}] LOG:  checkpoint complete: wrote {rng.randrange(5000)} buffers "
                f"({rng.random() * 10:.1f}%); 0 WAL file(s) added, {rng.randrange(3)} removed")
    if kind == 4:
        return (f'time="{ts}" level=info msg="image pulled" image="library/{_word(rng)}@sha256:{_hex(rng, 64)}" '
                f'container={_hex(rng, 64)}')
    if kind == 5:
        return (f"{ts} INFO  [{_word(rng)}] container {_hex(rng, 12)} started from image {_hex(rng, 12)} "
                f"in {rng.randrange(900)}ms")
    if kind == 6:
        service = _word(rng).title().replace("-", "")
        return f"    at com.example.{service}Service.handle({service}Service.java:{rng.randrange(400)})"
    if kind == 7:
        return f"HEAD is now at {_hex(rng, 40)} Merge pull request #{rng.randrange(9000)} from org/{_word(rng)}"
    words = "".join(rng.choice(string.ascii_lowercase + "     ") for _ in range(rng.randrange(40, 140)))
    return f"{ts} {rng.choice(['DEBUG', 'INFO', 'WARN', 'ERROR'])} {words.strip()}"


def build_lines(count: int, seed: int) -> list[str]:
    """``count`` log lines, about 5% of them carrying a secret from the corpus."""
    rng = random.Random(seed)
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    secret_lines = [case["text"] for case in corpus["secrets"]]
    return [rng.choice(secret_lines) if rng.random() < SECRET_SHARE else _ordinary_line(rng) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best one is reported")
    args = parser.parse_args(argv)

    lines = build_lines(args.lines, args.seed)
    megabytes = sum(len(line) for line in lines) / 1e6
    best_wall = best_cpu = float("inf")
    changed = 0
    for _ in range(args.repeat):
        redactor = Redactor()  # fresh placeholder map each run
        redact = redactor.redact
        wall, cpu = time.perf_counter(), time.process_time()
        results = [redact(line) for line in lines]
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        changed = sum(1 for before, after in zip(lines, results) if before != after)
    print(f"{len(lines)} lines ({megabytes:.1f} MB), {changed} changed by redaction")
    # CPU time is the steadier figure on a busy machine; wall time is what a user waits.
    print(f"best of {args.repeat}, CPU time:  {best_cpu:.3f} s = {len(lines) / best_cpu:,.0f} lines/s, "
          f"{megabytes / best_cpu:.1f} MB/s")
    print(f"best of {args.repeat}, wall time: {best_wall:.3f} s = {len(lines) / best_wall:,.0f} lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
