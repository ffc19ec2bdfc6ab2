"""The example provider plugin (examples/plugins/echo_provider) and refused plugins, through the real CLI.

The echo plugin is copied into ``<config dir>/plugins`` (or named by ``ai.plugin_dirs``),
loaded by the plugin loader, and asked about a real container whose environment and logs
hold secrets: it answers with a summary of the prompt it was given, so the answer shows
what would have left the machine, and none of the secrets is in it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.leaky import LOG_LINES, SECRETS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "echo_provider"


@pytest.fixture
def plugins(isolated_dirs) -> Path:
    """``<config dir>/plugins`` holding the example plugin and three that do not fit."""
    folder = isolated_dirs / "config" / "plugins"
    shutil.copytree(EXAMPLE, folder / "echo_provider")
    for name, changes in {"future": {"dockerforge": ">=9"}, "needy": {"requires": ["dockerforge-no-such-dist>=1"]},
                          "clash": {"name": "ollama"}}.items():
        shutil.copytree(EXAMPLE, folder / name)
        manifest = yaml.safe_load((folder / name / "plugin.yaml").read_text())
        (folder / name / "plugin.yaml").write_text(yaml.safe_dump({**manifest, "name": name, **changes}))
    (folder / "broken").mkdir()
    (folder / "broken" / "plugin.yaml").write_text("name: broken\nmodule: [\n")
    return folder


def test_providers_lists_the_plugin_and_each_refusal_with_its_reason(run_cli, plugins, tmp_path):
    result = run_cli("ai", "providers", "--format", "json", "--no-discovery")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)["providers"]
    rows = {row["name"]: row for row in listed if "status" not in row}
    assert rows["echo"]["capabilities"]["local"] and rows["echo"]["model"] == "echo-1"
    assert rows["echo"]["key"] == "not needed" and rows["ollama"]["builtin"]
    refused = {row["name"]: row for row in listed if row.get("status") == "refused"}
    assert set(refused) == {"future", "needy", "ollama", "broken"}
    assert refused["future"]["error"] == (f"{plugins / 'future' / 'plugin.yaml'}: key 'dockerforge': the plugin "
                                          "supports DockerForge >=9, this is 0.1.0")
    assert refused["needy"]["error"].endswith("key 'requires': dockerforge-no-such-dist>=1 is not installed")
    assert "key 'name': 'ollama' is taken by the built-in" in refused["ollama"]["error"]
    assert refused["broken"]["error"].startswith(f"{plugins / 'broken' / 'plugin.yaml'}: not valid YAML (line 3")

    text = run_cli("ai", "providers", "--no-discovery").stdout
    assert "echo\n  model: echo-1" in text
    assert f"future\n  refused: {plugins / 'future' / 'plugin.yaml'}: key 'dockerforge'" in text


def test_the_example_plugin_answers_ask_about_a_container_without_any_secret(run_cli, plugins, containers):
    container = containers.run('printf "%s\\n" "$SAMPLE_LINES"; exit 1',
                               environment={"SAMPLE_LINES": "\n".join(LOG_LINES), "DB_PASSWORD": SECRETS[0]})
    container.wait(timeout=30)
    result = run_cli("ai", "ask", "--provider", "echo", "--container", container.name,
                     f"why does it stop? my password={SECRETS[0]}")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("echo: 1 message(s), a system prompt, about ")
    assert lines[1].startswith("question: why does it stop? my password=[REDACTED:")
    assert lines[2].startswith("sections: ") and "Container" in lines[2]
    assert lines[3].startswith("redacted: ") and int(lines[3].split()[1]) >= 4
    assert not [secret for secret in SECRETS if secret in result.stdout + result.stderr]
    assert "answered by echo (echo-1)" in result.stderr and "at most $0.0000" in result.stderr


def test_ask_a_refused_plugin_says_why_in_one_line(run_cli, plugins):
    result = run_cli("ai", "ask", "--provider", "future", "hello")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("dockerforge: error: AI provider plugin future was refused: ")
    assert first.endswith("key 'dockerforge': the plugin supports DockerForge >=9, this is 0.1.0")
    assert result.stderr.splitlines()[1] == "hint: install a version of the plugin made for this DockerForge"


def test_plugin_dirs_in_the_config_adds_a_folder(run_cli, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"ai": {"plugin_dirs": [str(EXAMPLE.parent)]}}))
    result = run_cli("ai", "key", "test", "echo", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "echo: the key from nowhere (none needed) works with echo-1"
    asked = run_cli("ai", "ask", "--provider", "echo", "-c", str(config), "hello")
    assert asked.exit_code == 0, asked.stderr
    assert "hello" in asked.stdout
    missing = run_cli("ai", "key", "test", "echo")  # without the config, no such provider
    assert missing.exit_code == 2 and "unknown AI provider: echo" in missing.stderr
