"""``dockerforge patterns add|list`` in-process: checked, shown, confirmed, saved, then used by ``logs analyze``."""

from __future__ import annotations

import io
import json
import sys

import pytest

from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.logs.learning import user_patterns_dir

EXAMPLE = "2024-03-01T12:00:00Z ERROR uploader: quota exceeded for bucket photos-prod"
ADD = ("patterns", "add", "--category", "disk_full", "--regex", r"quota exceeded for bucket \S+",
       "--example", EXAMPLE, "--explanation", "The bucket reached its quota.",
       "--recommendation", "Raise the bucket's quota.")


@pytest.fixture
def answer(monkeypatch):
    """Type an answer to the confirmation question (stdin is a real text stream)."""
    def type_answer(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return type_answer


def user_files():
    folder = user_patterns_dir(app_paths())
    return sorted(path.name for path in folder.glob("*.yaml")) if folder.is_dir() else []


def test_add_with_yes_saves_and_logs_analyze_uses_it(run_cli, tmp_path):
    log_file = tmp_path / "app.log"
    log_file.write_text(f"INFO uploader started\n{EXAMPLE}\n", encoding="utf-8")
    before = run_cli("logs", "analyze", "--file", str(log_file), "--format", "json")
    assert before.exit_code == 0, before.stderr
    assert json.loads(before.stdout)["issues"] == []

    result = run_cli(*ADD, "--yes")
    assert result.exit_code == 0, result.stderr
    [name] = user_files()
    assert name.startswith("learned.disk_full.") and f"saved {name[:-5]}" in result.stdout
    assert "patterns:" in result.stdout and "quota exceeded for bucket" in result.stdout  # what was written

    after = run_cli("logs", "analyze", "--file", str(log_file), "--format", "json")
    issues = json.loads(after.stdout)["issues"]
    assert [(issue["category"], issue["message"]) for issue in issues] == [("disk_full", EXAMPLE.split("Z ", 1)[1])]
    assert issues[0]["explanation"] == "The bucket reached its quota."


def test_add_asks_and_no_keeps_nothing(run_cli, answer):
    answer("n\n")
    result = run_cli(*ADD)
    assert result.exit_code == 130
    assert "Write this pattern file? [y/N]" in result.stderr
    assert result.stderr.strip().splitlines()[-2:] == ["dockerforge: error: the pattern was not saved",
                                                        "hint: run again with --yes to save without asking"]
    assert user_files() == []


def test_add_asks_and_yes_saves(run_cli, answer):
    answer("y\n")
    result = run_cli(*ADD)
    assert result.exit_code == 0, result.stderr
    assert len(user_files()) == 1


def test_end_of_input_means_no(run_cli, answer):
    answer("")
    assert run_cli(*ADD).exit_code == 130
    assert user_files() == []


@pytest.mark.parametrize(("regex", "words"), [("quota (exceeded", "does not compile"),
                                              (".*", "empty line"),
                                              ("finished", "does not match the example")])
def test_a_rejected_regex_is_a_one_line_usage_error(run_cli, regex, words):
    result = run_cli("patterns", "add", "--category", "disk_full", "--regex", regex, "--example", EXAMPLE, "--yes")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("dockerforge: error: ") and words in lines[0]
    assert lines[1].startswith("hint: ") and "Traceback" not in result.stderr
    assert user_files() == []


def test_unknown_category_is_a_usage_error(run_cli):
    result = run_cli("patterns", "add", "--category", "gremlins", "--regex", "x", "--example", "x", "--yes")
    assert result.exit_code == 2 and "gremlins" in result.stderr


def test_list_shows_packaged_and_user_patterns(run_cli):
    packaged = run_cli("patterns", "list", "--format", "json")
    assert packaged.exit_code == 0
    rows = json.loads(packaged.stdout)["patterns"]
    assert rows and all(row["source"] == "packaged" for row in rows)
    assert any(row["id"] == "port_in_use.address_in_use" for row in rows)

    assert run_cli(*ADD, "--yes").exit_code == 0
    mine = json.loads(run_cli("patterns", "list", "--user", "--format", "json").stdout)["patterns"]
    assert [(row["category"], row["source"]) for row in mine] == [("disk_full", "user")]
    text = run_cli("patterns", "list", "--category", "disk_full").stdout
    assert mine[0]["id"] in text and "user (" in text and "packaged" in text


def test_a_broken_user_pattern_file_is_a_config_error(run_cli, tmp_path):
    folder = user_patterns_dir(app_paths())
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("patterns:\n  - id: Bad Id\n", encoding="utf-8")
    log_file = tmp_path / "app.log"
    log_file.write_text("hello\n", encoding="utf-8")
    result = run_cli("logs", "analyze", "--file", str(log_file))
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr and "Traceback" not in result.stderr
