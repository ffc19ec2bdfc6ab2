"""Level detection on the line layouts programs really print."""

from __future__ import annotations

import time

import pytest

from dockerforge_tui.services.logs.levels import LEVELS, detect_level, level_rules


@pytest.mark.parametrize(("line", "level"), [
    # JSON: zap, logrus, bunyan/pino numbers, ECS, structlog with the level late in the object
    ('{"level":"warn","ts":1764038414.1,"msg":"slow query"}', "warn"),
    ('{"time":"2026-11-25T02:40:14Z","level":"ERROR","msg":"boom"}', "error"),
    ('{"level":30,"time":1764038414123,"msg":"listening"}', "info"),
    ('{"level":50,"msg":"failed"}', "error"),
    ('{"level":20,"msg":"details"}', "debug"),
    ('{"log.level":"warning","message":"disk almost full"}', "warn"),
    ('{"severity":"Error","message":"x"}', "error"),
    ('{"event": "' + "a very long message " * 20 + '", "level": "debug"}', "debug"),
    ('{"lvl":"eror","msg":"log15 style"}', "error"),
    # logfmt
    ('level=info msg="request served" path=/api/items/53 status=200', "info"),
    ('time="2026-11-25T02:40:14Z" level=warning msg="retrying"', "warn"),
    ('t=2026-11-25T02:40:14+0000 lvl=dbug msg="cache hit"', "debug"),
    ('ts=2026-11-25T02:40:14Z caller=main.go:12 level="error" msg=failed', "error"),
    # uppercase words: Java/log4j, Spring Boot, Python logging defaults, zerolog console, Rust env_logger
    ("2026-11-25 02:40:14,123 ERROR [main] com.example.Foo - connection refused", "error"),
    ("2026-11-25 02:40:14.123  INFO 1 --- [main] o.s.b.w.embedded.tomcat.TomcatWebServer", "info"),
    ("2026-11-25 02:40:14,123 - myapp - WARNING - low memory", "warn"),
    ("WARNING:root:this is the default basicConfig layout", "warn"),
    ("ERROR:myapp.db:connection lost", "error"),
    ("DEBUG:asyncio:Using selector: EpollSelector", "debug"),
    ("2026-11-25T02:40:14Z WRN slow response duration=1.2s", "warn"),
    ("2026-11-25T02:40:14Z DBG cache warm", "debug"),
    ("[2026-11-25T02:40:14Z ERROR app::server] bind failed", "error"),
    ("INFO:     Started server process [1]", "info"),
    ("FATAL: could not open config", "error"),
    ("panic: runtime error: index out of range", "error"),
    # brackets: nginx error log, MySQL, Apache
    ("2026/11/25 02:40:14 [error] 29#29: *1 open() failed", "error"),
    ("2026/11/25 02:40:14 [notice] 1#1: start worker processes", "info"),
    ("2026-11-25T02:40:14.123Z 0 [Warning] [MY-010068] CA certificate is self signed", "warn"),
    ("[Tue Nov 25 02:40:14 2026] [core:error] [pid 7] AH00124: request exceeded", "error"),
    ("<warn> deprecated option", "warn"),
    # line start
    ("error: failed to push some refs", "error"),
    ("Warning: Permanently added the host key", "warn"),
    # glog / klog
    ("E1125 02:40:14.123456       1 reflector.go:138] failed to watch", "error"),
    ("W1125 02:40:14.123456       1 warnings.go:70] deprecated API", "warn"),
    ("I1125 02:40:14.123456       1 main.go:12] starting", "info"),
    # the first level in the line wins
    ("INFO: found 3 ERROR lines in the report", "info"),
])
def test_recognises_common_layouts(line, level):
    assert detect_level(line) == level


@pytest.mark.parametrize("line", [
    "",
    "1234567",
    "just a plain message without any level at all",
    "no errors found, no warnings either",   # lowercase words in prose are not levels
    "Information about the deployment follows",  # context-only words need a context
    "ERRORS_TOTAL=0 ERROR_CODE_X",               # not whole words
    "GET /api/ERRORS HTTP/1.1 200",
    '192.168.1.10 - - [25/Nov/2026:02:40:14 +0000] "GET /index.html HTTP/1.1" 200 612',
    '{"msg":"ok","status":200}',
    "Started the server on port 8080 with 4 workers",
    "\x00\x01\x02 binary \ufffd\ufffd junk",
    "İstanbul error ERROR",  # lowercasing may change the length of non-ASCII text
])
def test_leaves_lines_without_a_level_alone(line):
    if line == "İstanbul error ERROR":
        assert detect_level(line) == "error"  # the uppercase word counts; nothing crashes
    else:
        assert detect_level(line) is None


def test_level_words_come_from_the_data_file():
    rules = level_rules()
    assert set(rules.words.values()) <= set(LEVELS)
    assert rules.words["warning"] == "warn"
    assert rules.words["fatal"] == "error"


def test_a_level_far_into_a_plain_line_does_not_count():
    assert detect_level("x" * 400 + " ERROR") is None


def test_is_fast_enough_to_run_on_every_line():
    # Generous bound (a loaded CI machine): the collector's budget is a few microseconds a line.
    lines = ['level=info msg="request served" path=/api/items/53 status=200',
             "2026-11-25 02:40:14,123 ERROR [main] com.example.Foo - connection refused",
             "just a plain message without any level at all, quite common",
             '{"level":"warn","ts":1764038414.1,"msg":"slow query"}'] * 5_000
    started = time.process_time()
    for line in lines:
        detect_level(line)
    per_line = (time.process_time() - started) / len(lines)
    assert per_line < 25e-6, f"{per_line * 1e6:.1f} µs per line"
