"""``dockerforge config path|show|validate|init`` through the real CLI entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dockerforge_tui.core.config import DEFAULTS_FILE, load_config, starter_text
from dockerforge_tui.core.paths import app_paths

BROKEN = "docker:\n  host: tcp://box:2375\nmonitoring:\n  interval: fast\n"


@pytest.fixture
def user_file() -> Path:
    """Where the user's config.yaml lives in this test's isolated tree (not created)."""
    return app_paths().config_file


def assert_one_line_error(result, starts_with: str) -> None:
    """stderr is exactly 'dockerforge: error: ...' and 'hint: ...', no traceback."""
    assert result.exit_code == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("dockerforge: error: " + starts_with), lines[0]
    assert lines[1].startswith("hint: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- path


def test_path_prints_the_user_file_first_then_what_is_read(run_cli, user_file):
    result = run_cli("config", "path")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == str(user_file)
    assert f"{DEFAULTS_FILE} (packaged defaults) only" in lines[1]
    assert "config init" in lines[1]

    user_file.write_text("ui:\n  theme: nord\n")
    lines = run_cli("config", "path").stdout.splitlines()
    assert lines[1] == f"reads: {DEFAULTS_FILE} (packaged defaults), {user_file}"


def test_path_works_on_a_broken_file_and_lists_environment_overrides(run_cli, user_file, monkeypatch):
    user_file.write_text("docker: [unclosed\n")
    monkeypatch.setenv("DOCKERFORGE_UI__THEME", "nord")
    result = run_cli("config", "path")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(user_file)
    assert "environment overrides: DOCKERFORGE_UI__THEME" in result.stdout
    assert run_cli("config", "path", "--quiet").stdout == f"{user_file}\n"


def test_path_follows_config_option_in_either_position(run_cli, tmp_path):
    other = tmp_path / "other.yaml"
    assert run_cli("config", "path", "-q", "--config", str(other)).stdout == f"{other}\n"
    assert run_cli("--config", str(other), "config", "path", "-q").stdout == f"{other}\n"


# --------------------------------------------------------------------------- validate


def test_validate_ok_names_the_files(run_cli, user_file):
    result = run_cli("config", "validate")
    assert result.exit_code == 0
    assert result.stdout == f"config OK: packaged defaults only ({user_file} does not exist)\n"

    user_file.write_text(starter_text())
    result = run_cli("config", "validate")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"config OK: {user_file}\n", "")


def test_validate_mentions_environment_overrides(run_cli, user_file, monkeypatch):
    user_file.write_text("ui:\n  theme: nord\n")
    monkeypatch.setenv("DOCKERFORGE_UI__READONLY", "yes")
    result = run_cli("config", "validate")
    assert result.stdout == f"config OK: {user_file}; environment overrides: DOCKERFORGE_UI__READONLY\n"


def test_validate_broken_file_exits_2_with_one_line(run_cli, user_file):
    user_file.write_text(BROKEN)
    result = run_cli("config", "validate")
    assert_one_line_error(result, f'{user_file}:4: monitoring.interval: expected a duration like 10s, got "fast"')


def test_validate_unknown_key_and_syntax_error(run_cli, user_file):
    user_file.write_text("docker:\n  hots: tcp://x:1\n")
    assert_one_line_error(run_cli("config", "validate"), f'{user_file}:2: docker.hots: unknown key; did you mean "host"?')
    user_file.write_text("docker:\n  host: tcp://x:1\n   timeout: 5s\n")
    assert_one_line_error(run_cli("config", "validate"), f"{user_file}:3:")


def test_validate_bad_environment_variable(run_cli, monkeypatch):
    monkeypatch.setenv("DOCKERFORGE_UI__READONLY", "maybe")
    assert_one_line_error(
        run_cli("config", "validate"),
        'environment DOCKERFORGE_UI__READONLY: ui.readonly: expected true or false, got "maybe"',
    )


def test_validate_missing_config_file_and_bad_host_flag(run_cli, tmp_path):
    missing = tmp_path / "missing.yaml"
    assert_one_line_error(run_cli("config", "validate", "-c", str(missing)), f"{missing}: no such configuration file")
    assert_one_line_error(run_cli("config", "validate", "-H", "nonsense"), "command line: docker.host: expected")


def test_config_without_or_with_unknown_action_is_a_usage_error(run_cli):
    assert run_cli("config").exit_code == 2
    assert run_cli("config", "frobnicate").exit_code == 2


def test_validate_in_a_real_process_prints_no_traceback(tmp_path):
    config = tmp_path / "broken.yaml"
    config.write_text(BROKEN)
    env = {key: value for key, value in os.environ.items() if "__" not in key}
    completed = subprocess.run(
        [sys.executable, "-m", "dockerforge_tui", "config", "validate", "--config", str(config)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.splitlines()[0] == (
        f'dockerforge: error: {config}:4: monitoring.interval: expected a duration like 10s, got "fast"'
    )
    assert "Traceback" not in completed.stderr


# --------------------------------------------------------------------------- show


def test_show_prints_effective_config_that_reads_back(run_cli, user_file, monkeypatch, tmp_path):
    user_file.write_text("docker:\n  timeout: 1h30m\nlogs:\n  buffer_bytes: 1MiB\n")
    monkeypatch.setenv("DOCKERFORGE_UI__THEME", "nord")
    result = run_cli("config", "show", "-H", "tcp://flag:2375")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Effective DockerForge configuration; secrets redacted.\n")
    assert f"# Read: packaged defaults, {user_file}\n" in result.stdout
    assert "# Environment overrides: DOCKERFORGE_UI__THEME\n" in result.stdout
    shown = yaml.safe_load(result.stdout)
    assert shown["docker"]["timeout"] == "1h30m"
    assert shown["docker"]["host"] == "tcp://flag:2375"
    assert shown["ui"]["theme"] == "nord"
    assert shown["logs"]["buffer_bytes"] == 1024 * 1024

    # The output is itself a valid config file meaning the same settings.
    copy = tmp_path / "shown.yaml"
    copy.write_text(result.stdout)
    monkeypatch.delenv("DOCKERFORGE_UI__THEME")
    expected = load_config(env={"DOCKERFORGE_UI__THEME": "nord"}, overrides={"docker": {"host": "tcp://flag:2375"}},
                           paths=app_paths())
    assert load_config(config_path=copy, env={}).settings == expected.settings


def test_show_json(run_cli):
    result = run_cli("config", "show", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["monitoring"] == {"interval": "10s", "live": True}
    assert data["logging"]["level"] == "INFO"


def test_show_redacts_secrets(run_cli, user_file, monkeypatch):
    monkeypatch.setenv("DF_TEST_SECRET", "s3cr3t-Value-42")
    user_file.write_text(
        "redaction:\n  values: ['${DF_TEST_SECRET}']\n"
        "docker:\n  context: ctx-${DF_TEST_SECRET}\n  host: ssh://deploy@s3cr3t-Value-42.example\n"
    )
    for output_format in ("yaml", "json"):
        result = run_cli("config", "show", "--format", output_format)
        assert result.exit_code == 0, result.stderr
        assert "s3cr3t-Value-42" not in result.stdout
        assert "ctx-" in result.stdout  # the rest of the string is still shown


def test_show_on_a_broken_file_is_a_one_line_error(run_cli, user_file):
    user_file.write_text(BROKEN)
    assert_one_line_error(run_cli("config", "show"), f"{user_file}:4: monitoring.interval:")


# --------------------------------------------------------------------------- init


def test_init_writes_the_starter_file(run_cli, user_file):
    user_file.parent.rmdir()  # init creates the directory too
    result = run_cli("config", "init")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {user_file}\n"
    assert user_file.read_text() == starter_text()
    assert oct(user_file.stat().st_mode & 0o777) == oct(0o600)
    assert run_cli("config", "validate").exit_code == 0


def test_init_refuses_to_overwrite_without_force(run_cli, user_file):
    user_file.write_text("ui:\n  theme: mine\n")
    result = run_cli("config", "init")
    assert_one_line_error(result, f"{user_file} already exists; not overwriting it")
    assert "--force" in result.stderr.splitlines()[1]
    assert user_file.read_text() == "ui:\n  theme: mine\n"


def test_init_force_backs_up_the_old_file(run_cli, user_file):
    user_file.write_text("ui:\n  theme: mine\n")
    result = run_cli("config", "init", "--force")
    assert result.exit_code == 0, result.stderr
    backups = sorted(user_file.parent.glob("config.yaml.bak-*"))
    assert len(backups) == 1
    assert backups[0].read_text() == "ui:\n  theme: mine\n"
    assert user_file.read_text() == starter_text()
    assert result.stdout == f"wrote {user_file}\nkept the old file as {backups[0]}\n"
    assert sorted(p.name for p in user_file.parent.iterdir()) == ["config.yaml", backups[0].name]


def test_init_force_works_on_a_broken_file(run_cli, user_file):
    user_file.write_text(BROKEN)
    assert run_cli("config", "init", "--force").exit_code == 0
    assert run_cli("config", "validate").exit_code == 0


def test_init_at_config_path(run_cli, tmp_path):
    target = tmp_path / "nested" / "df.yaml"
    result = run_cli("config", "init", "--config", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text() == starter_text()
    assert run_cli("config", "init", "-c", str(target)).exit_code == 2
    assert_one_line_error(run_cli("config", "init", "-c", str(tmp_path)), f"{tmp_path} is a directory")


def test_init_into_an_unwritable_place(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    # A path under a regular file can never be created, not even by root.
    assert_one_line_error(run_cli("config", "init", "-c", str(blocker / "config.yaml")), f"cannot write {blocker}")
