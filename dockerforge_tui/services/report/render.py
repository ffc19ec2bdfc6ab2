"""Render a :class:`~dockerforge_tui.services.report.model.Report` as plain text, Markdown or JSON.

Pure functions of the report: no colours, no terminal width, times in UTC, so the
same report always renders to the same bytes (the golden files pin them). The JSON
layout is ``report.schema.json`` beside this module, documented in ``docs/REPORT_SCHEMA.md``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from dockerforge_tui.services.issues.recommend import format_bytes
from dockerforge_tui.services.report.model import (
    FORMATS, SCHEMA_NAME, SCHEMA_VERSION, EngineSummary, NextStep, ProblemContainer, ReadProblem, Report, ReportHint,
    ReportIssue, ReportScope,
)
from dockerforge_tui.services.report.settings import report_settings

EMPTY = "-"

__all__ = [
    "FORMATS", "hint_data", "issue_data", "iso_time", "render", "render_json", "render_markdown", "render_text",
    "report_data", "text_hints", "text_issue",
]


# --- shared -------------------------------------------------------------------------------------------------


def iso_time(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC to the second (``2024-03-01T12:00:00Z``); None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _human_time(moment: datetime | None) -> str:
    if moment is None:
        return EMPTY
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _cut(text: str) -> str:
    limit = report_settings().max_line_chars
    text = text.replace("\t", "    ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _counts_text(report: Report) -> str:
    return ", ".join(f"{count} {severity}" for severity, count in report.issue_counts)


def _scope_text(scope: ReportScope) -> str:
    window = (f"logs and events since {_human_time(scope.since)}" if scope.since is not None
              else "the newest log lines of each container")
    return f"{scope.description}; {window}"


def _engine_text(engine: EngineSummary) -> str:
    host = ", ".join(part for part in (engine.name and f"host {engine.name}", engine.os, engine.architecture) if part)
    return (f"Docker {engine.version or '?'}, API {engine.api_version or '?'}, at {engine.endpoint} ({engine.source})"
            + (f"; {host}" if host else "")
            + f"; {engine.containers} containers ({engine.containers_running} running, "
              f"{engine.containers_paused} paused, {engine.containers_stopped} stopped), {engine.images} images")


def _containers_text(report: Report) -> str:
    counts = report.containers
    text = (f"{counts.total} ({counts.running} running, {counts.paused} paused, {counts.restarting} restarting, "
            f"{counts.stopped} stopped")
    return text + (f"; {counts.unhealthy} unhealthy)" if counts.unhealthy else ")")


def _problem_row(container: ProblemContainer) -> list[str]:
    since = container.finished_at if container.status in ("exited", "dead") else container.started_at
    return [container.name, container.status, ", ".join(container.problems),
            EMPTY if container.exit_code is None else str(container.exit_code), str(container.restart_count),
            container.health or EMPTY, _human_time(since)]


PROBLEM_COLUMNS = ["NAME", "STATUS", "PROBLEMS", "EXIT", "RESTARTS", "HEALTH", "SINCE"]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


# --- text ---------------------------------------------------------------------------------------------------


def text_issue(issue: ReportIssue, indent: str = "  ", subject: str = "Container") -> list[str]:
    """One issue as text lines: heading, message, where (``subject``: what the issue is in) and when, evidence,
    why, what to do."""
    lines = [f"[{issue.severity.upper()}] {issue.title}  (id {issue.id}, {issue.status})",
             f"{indent}{_cut(issue.message)}"]
    seen = f"seen {_plural(issue.occurrences, 'time')}"
    if issue.last_seen is not None:
        seen += f", last {_human_time(issue.last_seen)}"
    lines.append(f"{indent}{subject}: {issue.container}; {seen}; from {', '.join(issue.sources)}")
    if issue.evidence:
        lines.append(f"{indent}Evidence:")
        lines.extend(f"{indent}  | {_cut(item.text)}" for item in issue.evidence)
    if issue.explanation:
        lines.append(f"{indent}Why: {issue.explanation}")
    if issue.recommendations:
        lines.append(f"{indent}Recommended:")
        for item in issue.recommendations:
            lines.append(f"{indent}  - {item.text}")
            if item.command:
                lines.append(f"{indent}    $ {item.command}")
    if issue.actions:
        lines.append(f"{indent}Fixes DockerForge can offer: " + "; ".join(action.summary for action in issue.actions))
    return lines


def text_hints(hints: Sequence[ReportHint], indent: str = "  ") -> list[str]:
    """Root-cause hints as text lines."""
    return [f"{indent}- [{hint.level}] {hint.symptom_container} <- {hint.cause_container}: {hint.reason}"
            for hint in hints]


def _text_steps(steps: Sequence[NextStep]) -> list[str]:
    lines = []
    for number, step in enumerate(steps, 1):
        lines.append(f"  {number}. {step.text}")
        if step.command:
            lines.append(f"     $ {step.command}")
        if step.issue_ids:
            lines.append(f"     ({'issue' if len(step.issue_ids) == 1 else 'issues'} {', '.join(step.issue_ids)})")
    return lines


def _text_problems(problems: Sequence[ReadProblem]) -> list[str]:
    return [f"  - {problem.subject}: {problem.message}" for problem in problems]


def _result_line(report: Report) -> str:
    if report.fail_on is None:
        return ""
    if report.findings_at_threshold:
        return (f"Result: {_plural(report.findings_at_threshold, 'issue')} at or above {report.fail_on} "
                f"(--fail-on {report.fail_on}): exit code {int(report.exit_code)}")
    return f"Result: no issues at or above {report.fail_on} (--fail-on {report.fail_on}): exit code 0"


def render_text(report: Report) -> str:
    """The report as plain text for a terminal, a mail or a cron log."""
    lines = [f"DockerForge report, {_human_time(report.generated_at)}",
             f"Scope: {_scope_text(report.scope)}"]
    if report.engine is not None:
        lines.append(f"Engine: {_engine_text(report.engine)}")
    lines.append(f"Containers in scope: {_containers_text(report)}")
    clean = not (report.problem_containers or report.issues or report.read_problems)
    if clean:
        lines += ["", "No problems found: no container is down, restarting or unhealthy, and no open issues were seen."]
    if report.problem_containers:
        lines += ["", f"Containers needing attention: {len(report.problem_containers)}"]
        rows = [PROBLEM_COLUMNS] + [_problem_row(container) for container in report.problem_containers]
        lines += ["  " + line for line in _table(rows)]
        for container in report.problem_containers:
            if container.error:
                lines.append(f"  {container.name}: engine error: {_cut(container.error)}")
    if report.issues or report.suppressed:
        suffix = f" ({report.suppressed} resolved or ignored not shown)" if report.suppressed else ""
        lines += ["", f"Issues: {_counts_text(report)}{suffix}"]
        for issue in report.issues:
            lines += [""] + text_issue(issue)
    if report.hints:
        lines += ["", "Root-cause hints"] + text_hints(report.hints)
    if report.next_steps:
        lines += ["", "Recommended next steps"] + _text_steps(report.next_steps)
    if report.read_problems:
        lines += ["", "Could not read"] + _text_problems(report.read_problems)
    result = _result_line(report)
    if result:
        lines += ["", result]
    return "\n".join(lines) + "\n"


# --- Markdown -----------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or EMPTY


def _md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _md_issue(issue: ReportIssue) -> list[str]:
    seen = f"seen {_plural(issue.occurrences, 'time')}"
    if issue.last_seen is not None:
        seen += f", last {_human_time(issue.last_seen)}"
    lines = [f"### {issue.severity.upper()}: {issue.title}", "",
             f"`{issue.id}` · {issue.status} · container `{issue.container}` · {seen} · "
             f"from {', '.join(issue.sources)}",
             "", f"> {_cut(issue.message)}"]
    if issue.evidence:
        lines += ["", "**Evidence**", "", "```text"] + [_cut(item.text) for item in issue.evidence] + ["```"]
    if issue.explanation:
        lines += ["", f"**Why:** {issue.explanation}"]
    if issue.recommendations:
        lines += ["", "**Recommended**", ""]
        for item in issue.recommendations:
            lines.append(f"- {item.text}" + (f" {_md_code(item.command)}" if item.command else ""))
    if issue.actions:
        lines += ["", "**Fixes DockerForge can offer:** " + "; ".join(action.summary for action in issue.actions)]
    return lines


def render_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown (for an issue, a wiki page or a chat message)."""
    lines = ["# DockerForge report", "",
             f"Generated {_human_time(report.generated_at)} · {_scope_text(report.scope)}", ""]
    if report.engine is not None:
        lines += [f"**Engine:** {_engine_text(report.engine)}", ""]
    lines += [f"**Containers in scope:** {_containers_text(report)}"]
    if not (report.problem_containers or report.issues or report.read_problems):
        lines += ["", "No problems found: no container is down, restarting or unhealthy, and no open issues were seen."]
    if report.problem_containers:
        lines += ["", f"## Containers needing attention ({len(report.problem_containers)})", "",
                  "| " + " | ".join(column.capitalize() for column in PROBLEM_COLUMNS) + " |",
                  "|" + "---|" * len(PROBLEM_COLUMNS)]
        lines += ["| " + " | ".join(_md_cell(cell) for cell in _problem_row(container)) + " |"
                  for container in report.problem_containers]
        errors = [container for container in report.problem_containers if container.error]
        if errors:
            lines.append("")
            lines += [f"- `{container.name}`: engine error: {_cut(container.error or '')}" for container in errors]
    if report.issues or report.suppressed:
        suffix = f" ({report.suppressed} resolved or ignored not shown)" if report.suppressed else ""
        lines += ["", f"## Issues: {_counts_text(report)}{suffix}"]
        for issue in report.issues:
            lines += [""] + _md_issue(issue)
    if report.hints:
        lines += ["", "## Root-cause hints", ""]
        lines += [f"- **{hint.level}**: `{hint.symptom_container}` ← `{hint.cause_container}`: {hint.reason}"
                  for hint in report.hints]
    if report.next_steps:
        lines += ["", "## Recommended next steps", ""]
        for number, step in enumerate(report.next_steps, 1):
            text = f"{number}. {step.text}"
            if step.command:
                text += f" {_md_code(step.command)}"
            if step.issue_ids:
                text += " (" + ", ".join(f"`{item}`" for item in step.issue_ids) + ")"
            lines.append(text)
    if report.read_problems:
        lines += ["", "## Could not read", ""] + [f"- {problem.subject}: {problem.message}"
                                                  for problem in report.read_problems]
    result = _result_line(report)
    if result:
        lines += ["", f"**{result}**"]
    return "\n".join(lines) + "\n"


# --- JSON ---------------------------------------------------------------------------------------------------


def issue_data(issue: ReportIssue) -> dict[str, Any]:
    """One issue as JSON-ready data (the ``issues`` items of the schema)."""
    return {
        "id": issue.id,
        "title": issue.title,
        "category": issue.category,
        "severity": issue.severity,
        "status": issue.status,
        "container": issue.container,
        "containers": list(issue.containers),
        "compose_project": issue.compose_project,
        "compose_service": issue.compose_service,
        "message": issue.message,
        "sources": list(issue.sources),
        "first_seen": iso_time(issue.first_seen),
        "last_seen": iso_time(issue.last_seen),
        "occurrences": issue.occurrences,
        "explanation": issue.explanation,
        "evidence": [{"text": item.text, "source": item.source, "timestamp": iso_time(item.timestamp)}
                     for item in issue.evidence],
        "recommendations": [{"text": item.text, "command": item.command} for item in issue.recommendations],
        "actions": [{"kind": action.kind, "summary": action.summary, "params": dict(action.params)}
                    for action in issue.actions],
    }


def hint_data(hint: ReportHint) -> dict[str, Any]:
    """One root-cause hint as JSON-ready data."""
    return {
        "symptom_issue_id": hint.symptom_issue_id,
        "symptom_container": hint.symptom_container,
        "cause_container": hint.cause_container,
        "cause_issue_ids": list(hint.cause_issue_ids),
        "reason": hint.reason,
        "confidence": hint.confidence,
        "level": hint.level,
        "target": hint.target,
    }


def _engine_data(engine: EngineSummary | None) -> dict[str, Any] | None:
    if engine is None:
        return None
    return {
        "endpoint": engine.endpoint, "source": engine.source, "name": engine.name, "version": engine.version,
        "api_version": engine.api_version, "os": engine.os, "architecture": engine.architecture,
        "containers": {"total": engine.containers, "running": engine.containers_running,
                       "paused": engine.containers_paused, "stopped": engine.containers_stopped},
        "images": engine.images, "warnings": list(engine.warnings),
    }


def _problem_data(container: ProblemContainer) -> dict[str, Any]:
    return {
        "id": container.id, "name": container.name, "image": container.image, "status": container.status,
        "problems": list(container.problems), "exit_code": container.exit_code,
        "restart_count": container.restart_count, "restart_policy": container.restart_policy,
        "health": container.health, "compose_project": container.compose_project,
        "compose_service": container.compose_service, "started_at": iso_time(container.started_at),
        "finished_at": iso_time(container.finished_at), "memory_limit": container.memory_limit,
        "memory_limit_human": format_bytes(container.memory_limit) if container.memory_limit else None,
        "error": container.error,
    }


def report_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data, in the layout of ``report.schema.json``."""
    scope = report.scope
    counts = report.containers
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso_time(report.generated_at),
        "dockerforge_version": report.dockerforge_version,
        "scope": {"description": scope.description, "since": iso_time(scope.since), "until": iso_time(scope.until),
                  "project": scope.project, "labels": list(scope.labels), "containers": list(scope.containers)},
        "engine": _engine_data(report.engine),
        "containers": {"total": counts.total, "running": counts.running, "paused": counts.paused,
                       "restarting": counts.restarting, "stopped": counts.stopped, "unhealthy": counts.unhealthy},
        "problem_containers": [_problem_data(container) for container in report.problem_containers],
        "issue_counts": dict(report.issue_counts),
        "suppressed_issues": report.suppressed,
        "issues": [issue_data(issue) for issue in report.issues],
        "hints": [hint_data(hint) for hint in report.hints],
        "next_steps": [{"text": step.text, "command": step.command, "issue_ids": list(step.issue_ids)}
                       for step in report.next_steps],
        "read_problems": [{"subject": problem.subject, "message": problem.message}
                          for problem in report.read_problems],
        "fail_on": report.fail_on,
        "findings_at_threshold": report.findings_at_threshold,
        "exit_code": int(report.exit_code),
    }


def render_json(report: Report) -> str:
    """The report as indented JSON (UTF-8 text, keys in schema order, newline at the end)."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


_RENDERERS: dict[str, Callable[[Report], str]] = {"text": render_text, "markdown": render_markdown,
                                                 "json": render_json}


def render(report: Report, output_format: str) -> str:
    """Render in ``text``, ``markdown`` or ``json``."""
    try:
        renderer = _RENDERERS[output_format]
    except KeyError:
        raise ValueError(f"unknown report format {output_format!r}; use one of {', '.join(FORMATS)}") from None
    return renderer(report)
