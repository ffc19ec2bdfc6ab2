"""Learned patterns: the checks a proposed regex must pass, and the file it is saved to, read back by the engine."""

from __future__ import annotations

import re

import pytest
import yaml

from dockerforge_tui.core.errors import ExitCode
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.logs import default_patterns, detect, load_patterns
from dockerforge_tui.services.logs.learning import (
    PatternRejectedError, benign_lines, learning_rules, propose_pattern, save_pattern, user_patterns_dir,
)
from dockerforge_tui.services.logs.pattern_set import PACKAGED_PATTERNS_DIR, ordinary_log_text

NEW_FAILURE = "2024-03-01T12:00:00Z ERROR uploader: quota exceeded for bucket photos-prod (used 100 GiB)"
NEW_REGEX = r"quota exceeded for bucket \S+"


def propose(**overrides):
    arguments = {"category": "disk_full", "regex": NEW_REGEX, "example_line": NEW_FAILURE,
                 "explanation": "The object store bucket reached its quota.",
                 "severity": "error", "recommendations": ["Raise the bucket's quota or delete old objects."]}
    arguments.update(overrides)
    return propose_pattern(**arguments)


def rejection(**overrides) -> PatternRejectedError:
    with pytest.raises(PatternRejectedError) as caught:
        propose(**overrides)
    return caught.value


def test_a_learned_pattern_is_then_found_by_detect(tmp_path):
    """The issue's test: packaged patterns miss the line; after saving, load_patterns(user_dir) finds it."""
    lines = ["INFO uploader: starting batch 42", NEW_FAILURE, "INFO uploader: batch 42 aborted"]
    assert not [finding for finding in detect(lines) if finding.line_index == 1]

    saved = save_pattern(propose(), tmp_path / "patterns")

    patterns = load_patterns(tmp_path / "patterns")
    found = [finding for finding in detect(lines, patterns) if finding.line_index == 1]
    assert [(finding.category, finding.pattern_id) for finding in found] == [("disk_full", propose().id)]
    assert found[0].explanation == "The object store bucket reached its quota."
    assert found[0].recommendations == ("Raise the bucket's quota or delete old objects.",)
    assert saved.parent == tmp_path / "patterns" and saved.name == f"{propose().id}.yaml"
    # both engines agree on the saved pattern, like on the packaged ones
    for engine in ("python", "hyperscan"):
        assert [f.pattern_id for f in detect(lines, patterns, engine=engine) if f.line_index == 1] == [propose().id]


def test_the_saved_file_uses_the_packaged_schema(tmp_path):
    proposed = propose()
    path = save_pattern(proposed, tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    packaged = yaml.safe_load((PACKAGED_PATTERNS_DIR / "disk_full.yaml").read_text(encoding="utf-8"))
    assert set(data) == {"patterns"} and set(data) <= set(packaged)
    entry = data["patterns"][0]
    assert set(entry) <= set(packaged["patterns"][0]) | {"category", "severity", "case_sensitive"}
    assert entry == {"id": proposed.id, "category": "disk_full", "severity": "error", "regex": [NEW_REGEX],
                     "explanation": proposed.explanation, "recommendations": list(proposed.recommendations),
                     "examples": {"match": [NEW_FAILURE]}}
    assert path.read_text(encoding="utf-8").startswith("# A learned DockerForge log pattern")


def test_saving_again_keeps_a_backup(tmp_path):
    first = save_pattern(propose(explanation="first wording"), tmp_path)
    save_pattern(propose(explanation="second wording"), tmp_path)
    backups = list(tmp_path.glob(f"{first.name}.bak-*"))
    assert len(backups) == 1 and "first wording" in backups[0].read_text(encoding="utf-8")
    assert "second wording" in first.read_text(encoding="utf-8")
    # the backup is not a pattern file: loading the folder still gives one learned pattern
    assert sum(1 for pattern in load_patterns(tmp_path) if pattern.id == first.stem) == 1


def test_the_user_folder_is_under_the_config_dir(isolated_dirs):
    paths = app_paths()
    assert user_patterns_dir(paths) == paths.config_dir / "patterns"


def test_the_proposal_records_what_was_checked():
    proposed = propose()
    assert proposed.benign_lines_checked == len(benign_lines()) > 200
    assert proposed.already_detected_by == ()
    assert proposed.id == propose().id and re.fullmatch(r"learned\.disk_full\.[0-9a-f]{8}", proposed.id)


def test_a_line_the_packaged_patterns_know_is_reported_as_already_detected():
    line = "Error: listen EADDRINUSE: address already in use :::3000"
    proposed = propose(category="port_in_use", regex=r"listen EADDRINUSE", example_line=line)
    assert proposed.already_detected_by == ("port_in_use.address_in_use",)


def test_defaults_fill_explanation_and_recommendations():
    proposed = propose(explanation=None, recommendations=())
    rules = learning_rules()
    assert proposed.explanation == rules.default_explanation
    assert proposed.recommendations == (rules.default_recommendation,)


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"regex": "quota exceeded for (bucket"}, "invalid_regex"),
    ({"regex": ".*"}, "too_broad"),
    ({"regex": r"(?:quota)?"}, "too_broad"),
    ({"regex": r"\d+ GB"}, "too_broad"),
    ({"regex": r"(?:err|ko) \S+"}, "too_broad"),
    ({"regex": r"quota (\w+\s?)+ bucket"}, "backtracking"),
    ({"regex": r"quota exceeded for volume \S+"}, "no_example_match"),
    ({"regex": r"^quota exceeded"}, "no_example_match"),
    ({"regex": r"finished", "example_line": "worker finished with a fatal error"}, "matches_benign"),
    ({"regex": r"GET /api/errors", "example_line": "GET /api/errors failed: 500"}, "matches_benign"),
    ({"regex": "x" * 401}, "too_long"),
    ({"regex": "   "}, "empty"),
    ({"example_line": ""}, "empty"),
    ({"example_line": "two\nlines"}, "too_long"),
    ({"category": "gremlins"}, "unknown_category"),
    ({"severity": "fatal"}, "unknown_severity"),
])
def test_bad_proposals_are_rejected_with_a_reason_and_a_hint(overrides, reason):
    error = rejection(**overrides)
    assert error.reason == reason
    assert error.exit_code == ExitCode.USAGE
    assert error.message and "\n" not in error.message and error.hint


def test_ids_are_checked():
    assert rejection(pattern_id="Bad Id").reason == "bad_id"
    assert rejection(pattern_id="port_in_use.address_in_use").reason == "bad_id"  # a packaged id
    assert propose(pattern_id="my.quota").id == "my.quota"


def test_case_sensitive_patterns_match_case():
    assert propose(regex=r"QuotaExceeded for bucket \S+", example_line="QuotaExceeded for bucket a1",
                   case_sensitive=True).case_sensitive
    assert rejection(regex=r"QuotaExceeded for bucket \S+", example_line="quotaexceeded for bucket a1",
                     case_sensitive=True).reason == "no_example_match"


def test_a_caret_means_the_start_of_the_message_after_docker_prefixes(tmp_path):
    proposed = propose(regex=r"^uploader: quota exceeded", example_line="api-1  | uploader: quota exceeded now")
    save_pattern(proposed, tmp_path)
    found = detect(["web-1  | uploader: quota exceeded now"], load_patterns(tmp_path))
    assert [finding.pattern_id for finding in found] == [proposed.id]


def test_benign_lines_include_the_packaged_ordinary_sample():
    ordinary = [line for line in ordinary_log_text().splitlines() if line.strip()]
    assert set(ordinary) <= set(benign_lines())
    assert set(learning_rules().benign_lines) <= set(benign_lines())


def test_the_packaged_patterns_leave_the_learning_benign_lines_alone():
    """The extra benign lines are truly benign for the packaged engine too (else they would teach the wrong thing)."""
    assert detect(list(learning_rules().benign_lines), default_patterns()) == []


def test_an_unwritable_folder_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(Exception) as caught:
        save_pattern(propose(), blocker / "patterns")
    assert getattr(caught.value, "exit_code", None) in (ExitCode.USAGE, ExitCode.PERMISSION_DENIED)
