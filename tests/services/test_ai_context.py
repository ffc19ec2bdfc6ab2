"""Prompt context and templates: deduplicated logs, redaction, the token budget, template files."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.ai.base import CompletionRequest, estimate_tokens
from dockerforge_tui.services.ai.context import (
    build_context,
    fit_to_budget,
    group_log_lines,
    learn_env_secrets,
    line_template,
)
from dockerforge_tui.services.ai.prompts import PromptTemplateError, list_templates, load_template, parse_template
from dockerforge_tui.services.docker.states import state_from_inspect
from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation

PASSWORD = "Tr0ub4dor-and-3"
TOKEN = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"

INSPECT = {
    "Id": "f" * 64, "Name": "/shop-web-1", "RestartCount": 4,
    "State": {"Status": "exited", "ExitCode": 137, "OOMKilled": True, "Error": f"auth failed password={PASSWORD}",
              "StartedAt": "2024-03-01T09:00:00Z", "FinishedAt": "2024-03-01T09:05:00Z"},
    "Config": {"Image": "shop/web:1.2", "Env": [f"DB_PASSWORD={PASSWORD}", "MODE=prod"],
               "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}},
    "HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 5}, "Memory": 64 << 20},
    "NetworkSettings": {"Networks": {}, "Ports": {}},
}


def observation(severity="critical", message=f"OOM while connecting with {TOKEN}") -> Observation:
    return Observation(source="log", category="out_of_memory", severity=severity, pattern_id="oom.java_heap",
                       container=ContainerRef("f" * 64, "shop-web-1", "shop", "web"), message=message,
                       timestamp=datetime(2024, 3, 1, 9, 5, tzinfo=timezone.utc),
                       evidence=(Evidence(f"java.lang.OutOfMemoryError token={TOKEN}", "log"),),
                       explanation="The JVM heap was exhausted.", details=(("exit_code", 137),))


def word(n: int) -> str:
    """A distinct word without digits per number (digits are folded by the line templates)."""
    return "".join(chr(97 + (n // 26 ** place) % 26) for place in range(3))


def test_log_lines_are_templated_deduplicated_and_most_recent_first():
    lines = [f"2024-03-01T09:00:0{n}Z GET /api/items/{n} took {n * 10}ms from 10.0.0.{n}" for n in range(5)]
    lines += ["2024-03-01T09:00:06Z connection refused to db:5432", "2024-03-01T09:00:07Z GET /api/items/9 took 5ms"]
    assert line_template(lines[0]) == line_template(lines[3]) == "GET /api/items/<n> took <n>ms from <ip>"
    groups = group_log_lines(lines)
    assert [group.latest for group in groups] == [lines[6], lines[5], lines[4]]
    by_latest = {group.latest: group.count for group in groups}
    assert groups[0].latest == lines[6]  # the most recent group first
    assert by_latest[lines[4]] == 5 and by_latest[lines[5]] == 1 and by_latest[lines[6]] == 1


def test_context_holds_state_findings_logs_compose_and_no_secret():
    redactor = Redactor()
    state = state_from_inspect(INSPECT)
    learn_env_secrets(redactor, [("DB_PASSWORD", PASSWORD), ("MODE", "prod")])
    logs = ["starting", f"using {PASSWORD} for the pool", f"Authorization: Bearer {TOKEN}", "OOM"]
    compose = {"image": "shop/web:1.2", "environment": [f"DB_PASSWORD={PASSWORD}", "MODE=prod"],
               "mem_limit": "64m"}
    context = build_context(redactor, state=state, observations=[observation()], log_lines=logs,
                            compose_service=compose, cpu_limit=0.5)
    text = context.text
    assert PASSWORD not in text and TOKEN not in text
    for fact in ("exit code 137", "OOM-killed", "restarts: 4 (restart policy on-failure, max 5)",
                 "memory limit: 64 MiB", "cpu limit: 0.5 CPUs", "compose: project shop, service web",
                 "[critical] out_of_memory (oom.java_heap)", "The JVM heap was exhausted.", "mem_limit: 64m",
                 "MODE=prod"):
        assert fact in text, fact
    # the same secret gets the same placeholder everywhere in the request
    placeholder = redactor.redact(f"password={PASSWORD}").split("=", 1)[1]
    assert text.count(placeholder) >= 3
    assert text.index("## Findings") < text.index("## Container") < text.index("## Recent logs")
    assert text.index("OOM\n") < text.index("starting")  # most recent first
    assert context.compose and not context.truncated and context.tokens == estimate_tokens(text)


def test_the_budget_drops_old_logs_first_then_compose_then_findings():
    redactor = Redactor()
    logs = [f"worker {word(n)} reported an event " + "word " * 20 for n in range(300)]
    everything = build_context(redactor, state=state_from_inspect(INSPECT), observations=[observation()] * 2,
                               log_lines=logs, compose_service={"image": "x"}, budget=100_000)
    assert everything.log_groups == everything.log_groups_total == 300
    small = build_context(redactor, state=state_from_inspect(INSPECT), observations=[observation()] * 2,
                          log_lines=logs, compose_service={"image": "x"}, budget=600)
    assert small.tokens <= 600 and 0 < small.log_groups < 300 and small.compose
    assert logs[-1].strip() in small.text and logs[0].strip() not in small.text  # the newest kept
    assert "older ones left out" in small.text
    tiny = build_context(redactor, state=state_from_inspect(INSPECT), observations=[observation()] * 2,
                         log_lines=logs, compose_service={"image": "x"}, budget=120)
    assert tiny.tokens <= 120 and tiny.log_groups == 0 and not tiny.compose and tiny.findings == 1


def test_fit_to_budget_trims_again_when_the_provider_counts_more():
    redactor = Redactor()
    logs = [f"line {word(n)} " + "alpha " * 10 for n in range(200)]
    template = load_template("ask")
    calls = []

    def make(context_budget):
        context = build_context(redactor, log_lines=logs, budget=context_budget)
        return template.request(max_tokens=100, question="why?", context=context.text), context

    def provider_count(request: CompletionRequest) -> int:  # a provider that counts twice the estimate
        calls.append(request)
        return 2 * estimate_tokens(request.prompt_text())

    request, context, tokens = fit_to_budget(make, 1000, provider_count)
    assert tokens <= 1000 and len(calls) >= 2
    assert context.log_groups < 200


def test_packaged_templates_load_with_versions():
    templates = list_templates()
    assert {"ask", "diagnose"} <= set(templates)
    assert load_template("diagnose").label == "diagnose@v2"  # the newest version that is not experimental
    diagnose = load_template("diagnose", 1)
    assert diagnose.label == "diagnose@v1" and diagnose.variables == ("container", "context")
    system, user = diagnose.render(container="web", context="## Findings\n- x")
    assert "[REDACTED:label:n]" in system and user.startswith("Container web has problems")
    with pytest.raises(PromptTemplateError, match="variable 'context' is not given"):
        diagnose.render(container="web")
    with pytest.raises(PromptTemplateError, match="unknown variable extra"):
        diagnose.render(container="web", context="", extra="x")


def test_user_folder_versions_and_bad_files(tmp_path):
    (tmp_path / "diagnose.v2.md").write_text("---\nid: diagnose\nversion: 2\nvariables: [container, context]\n"
                                             "system: short\n---\n{{ container }}: {{ context }}\n")
    folders = (tmp_path, load_template("ask").path.parent)
    assert load_template("diagnose", folders=folders).version == 2
    assert load_template("diagnose", 1, folders=folders).version == 1
    with pytest.raises(PromptTemplateError, match="has no version 7"):
        load_template("diagnose", 7, folders=folders)
    bad = tmp_path / "broken.v1.md"
    bad.write_text("---\nid: broken\nversion: 1\nvariables: []\n---\n{{ secret }}\n")
    with pytest.raises(PromptTemplateError, match="undeclared variable secret"):
        parse_template(bad)
