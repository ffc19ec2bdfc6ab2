"""Golden files pin the headless report's text, Markdown and JSON on fixed data and a fixed clock.

The report is built from inspect-shaped container states, fixed log lines and
``NOW`` (tests/report/scenario.py) by the real analyzers, builder and renderers.
After an intended change of the output, regenerate the files and review the diff:

    DOCKERFORGE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/report
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import dockerforge_tui.services.report as report_package

from dockerforge_tui.core.errors import ExitCode
from dockerforge_tui.services.issues import IssueStore
from dockerforge_tui.services.report import SCHEMA_FILE_NAME, report_data
from dockerforge_tui.services.report.render import render
from tests.report import scenario
from tests.report.schema_check import validation_errors

GOLDEN_DIR = Path(__file__).with_name("golden")
UPDATE = os.environ.get("DOCKERFORGE_UPDATE_GOLDEN") == "1"
SCHEMA_PATH = Path(report_package.__file__).with_name(SCHEMA_FILE_NAME)
ROOT = Path(__file__).resolve().parents[2]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN_DIR / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run with DOCKERFORGE_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file; if the change is intended, regenerate " \
                             "with DOCKERFORGE_UPDATE_GOLDEN=1 and review the diff"


@pytest.mark.parametrize(("output_format", "name"), [("text", "report.txt"), ("markdown", "report.md"),
                                                     ("json", "report.json")])
def test_trouble_report_matches_its_golden_file(output_format, name):
    check_golden(name, render(scenario.trouble_report(), output_format))


@pytest.mark.parametrize(("output_format", "name"), [("text", "clean.txt"), ("json", "clean.json")])
def test_clean_report_matches_its_golden_file(output_format, name):
    check_golden(name, render(scenario.clean_report(), output_format))


def test_rendering_is_deterministic():
    first, second = scenario.trouble_report(), scenario.trouble_report()
    for output_format in ("text", "markdown", "json"):
        assert render(first, output_format) == render(second, output_format)


@pytest.mark.parametrize("make", [scenario.trouble_report, scenario.clean_report])
def test_json_follows_the_published_schema(make):
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = json.loads(render(make(), "json"))
    assert validation_errors(data, schema) == []
    try:
        import jsonschema
    except ImportError:  # the small validator above already ran
        return
    jsonschema.validate(data, schema)


def test_the_schema_check_can_fail():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = report_data(scenario.trouble_report())
    broken = json.loads(json.dumps(data))
    broken["issues"][0]["severity"] = "fatal"
    del broken["containers"]["unhealthy"]
    broken["surprise"] = True
    problems = validation_errors(broken, schema)
    assert any("severity" in problem for problem in problems)
    assert any("unhealthy" in problem for problem in problems)
    assert any("surprise" in problem for problem in problems)


def test_report_content_on_the_fixed_data():
    report = scenario.trouble_report()
    problems = {container.name: container.problems for container in report.problem_containers}
    assert problems == {"shop-api-1": ("unhealthy",), "shop-db-1": ("oom_killed", "down"),
                        "shop-worker-1": ("restarting",)}
    assert report.issues[0].severity == "critical" and report.issues[0].category == "out_of_memory"
    assert [issue.severity for issue in report.issues] == sorted(
        (issue.severity for issue in report.issues), key=["info", "warning", "error", "critical"].index, reverse=True)
    hint = report.hints[0]
    assert (hint.symptom_container, hint.cause_container, hint.level) == ("shop-web-1", "shop-db-1", "high")
    assert report.next_steps[0].text == hint.reason
    assert report.exit_code is ExitCode.FINDINGS and report.findings_at_threshold == 7


def test_secrets_never_reach_any_format():
    report = scenario.trouble_report()
    for output_format in ("text", "markdown", "json"):
        text = render(report, output_format)
        assert scenario.SECRET not in text and scenario.CONFIGURED_SECRET not in text
        assert "[REDACTED:password:1]" in text and "[REDACTED:value:1]" in text


@pytest.mark.parametrize(("fail_on", "expected"), [(None, ExitCode.OK), ("warning", ExitCode.FINDINGS),
                                                   ("error", ExitCode.FINDINGS), ("critical", ExitCode.FINDINGS)])
def test_fail_on_sets_the_exit_code(fail_on, expected):
    assert scenario.trouble_report(fail_on=fail_on).exit_code is expected
    assert scenario.clean_report().exit_code is ExitCode.OK


def test_critical_threshold_counts_only_critical_issues():
    report = scenario.trouble_report(fail_on="critical")
    assert report.findings_at_threshold == 1
    assert "Result: 1 issue at or above critical (--fail-on critical): exit code 1" in render(report, "text")


def test_issue_ids_are_the_issue_stores(tmp_path):
    """Report ids name the tracked issues; an ignored issue is left out, an acknowledged one is shown as such."""
    analysis = scenario.trouble_analysis()
    store = IssueStore(tmp_path / "issues.json", redactor=scenario.redactor())
    store.record(analysis.observations, scenario.NOW)
    tracked = {issue.id: issue for issue in store.list()}
    plain = scenario.trouble_report()
    assert {issue.id for issue in plain.issues} == set(tracked)

    timeout = next(issue for issue in plain.issues if issue.category == "timeout")
    oom = next(issue for issue in plain.issues if issue.category == "out_of_memory")
    store.ignore(timeout.id, scenario.NOW + timedelta(minutes=1))
    store.acknowledge(oom.id, scenario.NOW + timedelta(minutes=1))
    report = scenario.trouble_report(tracked={issue.id: issue for issue in store.list()})
    shown = {issue.id: issue.status for issue in report.issues}
    assert timeout.id not in shown and shown[oom.id] == "acknowledged"
    assert report.suppressed == 1
    assert "(1 resolved or ignored not shown)" in render(report, "text")


def test_report_code_never_imports_the_ui_toolkit():
    """The report services and command import no Textual or Rich (they run from cron)."""
    code = ("import sys\n"
            "import dockerforge_tui.services.report, dockerforge_tui.cli.commands.report\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
