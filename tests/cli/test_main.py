"""The top-level command line: version, help, usage errors, the one error path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dockerforge_tui import __version__
from dockerforge_tui.cli.registry import discover_commands

ROOT = Path(__file__).resolve().parents[2]


def test_version(run_cli, capsys):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert capsys.readouterr().out.strip() == f"dockerforge {__version__}"


def test_help_on_every_level_lists_commands_and_common_options(run_cli, capsys):
    assert run_cli("--help").exit_code == 0
    top = capsys.readouterr().out
    for word in ("config", "doctor", "--host", "--config", "--debug", "--no-color", "--readonly", "--theme"):
        assert word in top
    for command in discover_commands():
        assert run_cli(command, "--help").exit_code == 0
        assert "--host" in capsys.readouterr().out, f"{command} --help lacks the common options"


def test_unknown_command_is_a_one_line_usage_error(run_cli):
    result = run_cli("frobnicate")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("dockerforge: error: ") and "frobnicate" in lines[0]
    assert lines[1].startswith("hint: ") and "Traceback" not in result.stderr


def test_common_options_work_after_the_command(run_cli, tmp_path):
    config = tmp_path / "custom.yaml"
    config.write_text("ui:\n  readonly: true\n")
    result = run_cli("config", "validate", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    assert str(config) in result.stdout


def test_debug_adds_the_traceback(run_cli, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("monitoring:\n  interval: fast\n")
    plain = run_cli("--config", str(config), "config", "validate")
    assert plain.exit_code == 2 and "Traceback" not in plain.stderr
    debug = run_cli("--debug", "--config", str(config), "config", "validate")
    assert debug.exit_code == 2 and "Traceback" in debug.stderr
    assert f"{config}:2: monitoring.interval" in debug.stderr


def test_console_script_runs_as_a_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dockerforge_tui", "--version"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and __version__ in result.stdout


def test_keymap_problems_stop_the_dashboard_with_file_line_and_key_path(run_cli, tmp_path):
    config = tmp_path / "keys.yaml"
    config.write_text("ui:\n  keymap:\n    containers.sotr: x\n")
    result = run_cli("--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"dockerforge: error: {config}:3: ui.keymap.containers.sotr: no binding has this id")
    assert 'did you mean "containers.sort"' in result.stderr

    config.write_text("ui:\n  keymap:\n    containers.sort: slash\n")
    result = run_cli("--config", str(config))
    assert result.exit_code == 2
    assert f"{config}:3: ui.keymap.containers.sort: key \"slash\" is already bound to containers.filter" in result.stderr


def test_unknown_theme_is_a_config_error_naming_close_matches(run_cli):
    result = run_cli("--theme", "forge-drak")
    assert result.exit_code == 2
    assert "ui.theme: no theme named 'forge-drak'" in result.stderr
    assert 'did you mean "forge-dark"' in result.stderr


def test_keymap_accepts_log_pane_ids(run_cli, tmp_path):
    config = tmp_path / "keys.yaml"
    config.write_text("ui:\n  keymap:\n    logs.follow: F\n    logs.wrap: W\n")
    result = run_cli("--config", str(config), "config", "validate")
    assert result.exit_code == 0
    from dockerforge_tui.core.config import load_config
    from dockerforge_tui.ui.app import check_keymap

    check_keymap(load_config(config_path=config))  # raises on an unknown id or a clash


@pytest.mark.parametrize(("argv", "dashboard"), [
    ([], True),
    (["--readonly", "--theme", "forge-16", "-H", "unix:///run/docker.sock"], True),
    (["--config", "doctor"], True),  # "doctor" is the config file's path here, not the command
    (["--host=tcp://127.0.0.1:2375", "--no-color", "--debug"], True),
    (["doctor"], False),
    (["--debug", "report", "--format", "json"], False),
    (["--report"], False),
    (["--help"], False),
    (["--version"], False),
    (["unknown-word"], False),  # the full parser says which commands exist
])
def test_only_a_plain_dashboard_start_skips_loading_the_commands(argv, dashboard):
    from dockerforge_tui.cli.main import opens_dashboard

    assert opens_dashboard(argv) is dashboard
