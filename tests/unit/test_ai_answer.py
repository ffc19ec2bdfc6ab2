"""The analysis answer parser over the shapes models really answer in."""

from __future__ import annotations

import pytest

from dockerforge_tui.services.ai.answer import parse_answer, part_of

NUMBERED = """\
1. Summary: shop-api is killed because it runs out of memory.
2. Root cause: the JVM heap (-Xmx2g) is larger than the container's 512 MiB limit; fairly sure.
3. Evidence:
   - `java.lang.OutOfMemoryError: Java heap space` (x12)
   - exit code 137, OOMKilled: true
4. Fixes:
   - Lower the heap: set `JAVA_OPTS=-Xmx384m` in the service's environment.
   - Or raise the limit: `docker update --memory 1g shop-api`
"""

HEADINGS = """\
Here is what I found.

## Summary
The database container restarts in a loop.

## Root Cause (high confidence)
Postgres cannot write to its data directory: the volume is full.

It started after the nightly backup.

## Evidence
* `No space left on device` in the last 50 lines
* restart count 14

## Proposed fixes
1. Free space on the volume:
   ```
   docker system df -v
   ```
2. Move the backups to another volume.
"""

BOLD = """\
**Summary:** nginx fails its health check.

**Root cause:** the upstream `api:8080` refuses connections, so `/healthz` returns 502.

**Evidence:** `connect() failed (111: Connection refused) while connecting to upstream`

**How to fix:**
- Start the api container first (`depends_on` with `condition: service_healthy`).
- Check that api listens on 0.0.0.0, not 127.0.0.1.
"""

JSON_FENCED = """\
```json
{
  "summary": "Redis was OOM-killed.",
  "rootCause": {"cause": "maxmemory is unset and the limit is 256m", "confidence": "high"},
  "evidence": ["OOMKilled: true", "used_memory_human:255.9M"],
  "proposed_fixes": [
    {"description": "Set maxmemory below the limit", "command": "redis-cli CONFIG SET maxmemory 200mb"},
    "Add an eviction policy (allkeys-lru)"
  ]
}
```
"""


def test_the_numbered_parts_the_template_asks_for():
    answer = parse_answer(NUMBERED)
    assert answer.structured and answer.source_format == "markdown"
    assert answer.summary == "shop-api is killed because it runs out of memory."
    assert answer.root_cause.startswith("the JVM heap (-Xmx2g)")
    assert answer.evidence == ("`java.lang.OutOfMemoryError: Java heap space` (x12)", "exit code 137, OOMKilled: true")
    assert answer.fixes == ("Lower the heap: set `JAVA_OPTS=-Xmx384m` in the service's environment.",
                            "Or raise the limit: `docker update --memory 1g shop-api`")


def test_markdown_headings_with_a_preamble_paragraphs_and_a_code_block_in_a_fix():
    answer = parse_answer(HEADINGS)
    assert answer.summary == "The database container restarts in a loop."
    assert answer.root_cause == ("Postgres cannot write to its data directory: the volume is full.\n\n"
                                 "It started after the nightly backup.")
    assert answer.evidence == ("`No space left on device` in the last 50 lines", "restart count 14")
    assert len(answer.fixes) == 2
    assert answer.fixes[0].startswith("Free space on the volume:") and "docker system df -v" in answer.fixes[0]
    assert answer.fixes[1] == "Move the backups to another volume."


def test_bold_labels_with_the_text_on_the_same_line():
    answer = parse_answer(BOLD)
    assert answer.summary == "nginx fails its health check."
    assert "refuses connections" in answer.root_cause
    assert answer.evidence == ("`connect() failed (111: Connection refused) while connecting to upstream`",)
    assert answer.fixes[0].startswith("Start the api container first") and len(answer.fixes) == 2


def test_json_in_a_fence_with_camel_case_keys_objects_and_commands():
    answer = parse_answer(JSON_FENCED)
    assert answer.source_format == "json" and answer.structured
    assert answer.summary == "Redis was OOM-killed."
    assert answer.root_cause == "maxmemory is unset and the limit is 256m (confidence: high)"
    assert answer.evidence == ("OOMKilled: true", "used_memory_human:255.9M")
    assert answer.fixes == ("Set maxmemory below the limit: `redis-cli CONFIG SET maxmemory 200mb`",
                            "Add an eviction policy (allkeys-lru)")


def test_bare_json_with_text_around_it_and_a_wrapping_key():
    text = 'Sure! {"analysis": {"summary": "Port clash.", "root_cause": "8080 is taken", ' \
           '"evidence": "EADDRINUSE", "fixes": "Stop the other process\\nOr publish 8081"}} Hope it helps.'
    answer = parse_answer(text)
    assert (answer.summary, answer.root_cause) == ("Port clash.", "8080 is taken")
    assert answer.evidence == ("EADDRINUSE",)
    assert answer.fixes == ("Stop the other process\nOr publish 8081",)


def test_json_without_known_keys_falls_back_to_the_text():
    answer = parse_answer('{"status": "ok"}')
    assert answer.source_format == "text" and not answer.structured
    assert answer.summary == '{"status": "ok"}'


def test_an_unstructured_answer_keeps_its_text_and_summarises_with_its_first_paragraph():
    text = "The container exits at once because its command is missing.\n\nTry `docker logs web`."
    answer = parse_answer(text)
    assert not answer.structured and answer.raw == text
    assert answer.summary == "The container exits at once because its command is missing."
    assert answer.root_cause == "" and answer.evidence == () and answer.fixes == ()


def test_a_half_streamed_answer_parses_what_it_has():
    answer = parse_answer(NUMBERED[:120])
    assert answer.summary.startswith("shop-api is killed") and answer.fixes == ()


def test_labels_inside_code_blocks_and_unknown_labels_do_not_open_sections():
    text = "## Fixes\n```\nSummary: not a heading\n```\nNote: keep this\n"
    answer = parse_answer(text)
    assert answer.summary == ""
    assert answer.fixes == ("```\nSummary: not a heading\n```\nNote: keep this",)


def test_empty_text():
    answer = parse_answer("")
    assert answer.is_empty and not answer.structured


@pytest.mark.parametrize("label, part", [
    ("## 2. Root Cause", "root_cause"), ("**Likely cause (80%)**", "root_cause"), ("TL;DR", "summary"),
    ("Next steps", "fixes"), ("What the logs show", "evidence"), ("Weather", None), ("", None)])
def test_section_names_come_from_the_data_file(label, part):
    assert part_of(label) == part
