"""The configuration loader: layers, environment overrides, substitution and error messages.

Every test writes real files under tmp_path and passes a real environment mapping.
"""

from __future__ import annotations

import os
import re
import typing
import stat
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from dockerforge_tui.core.atomic import atomic_write_text, backup_path_for
from dockerforge_tui.core.config import (
    DEFAULTS_FILE,
    LoadedConfig,
    LoggingSettings,
    Settings,
    default_settings,
    environment_overrides,
    load_config,
    packaged_defaults,
    starter_text,
    substitute,
    user_config_file,
)
from dockerforge_tui.core.errors import ConfigError, ExitCode
from dockerforge_tui.core.paths import AppPaths, app_paths


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    root = tmp_path / "home"
    return AppPaths(root / "config", root / "data", root / "log", root / "cache")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path, env: dict[str, str] | None = None, **kwargs) -> LoadedConfig:
    return load_config(config_path=path, env=env or {}, **kwargs)


def config_error(path: Path | None, env: dict[str, str] | None = None, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(config_path=path, env=env or {}, **kwargs)
    assert "\n" not in caught.value.message
    assert caught.value.hint
    assert caught.value.exit_code == ExitCode.USAGE
    return caught.value


# --------------------------------------------------------------------------- defaults


def test_default_settings_come_from_the_packaged_yaml():
    settings = default_settings()
    assert settings.docker.host is None
    assert settings.docker.timeout == 30.0
    assert settings.docker.ping_timeout == 2.0
    assert settings.logging.level == "INFO"
    assert settings.logging.max_bytes == 10_000_000
    assert settings.ui.theme == "textual-dark"
    assert settings.ui.stats_interval == 1.0
    assert settings.logs.buffer_lines == 10_000
    assert settings.logs.buffer_bytes == 8_000_000
    assert settings.monitoring.interval == 10.0
    assert Settings.model_validate(packaged_defaults()) == settings


def section_model(field):
    """The model of a section: the field's own, or the item model of a list section."""
    annotation = field.annotation
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else annotation


def is_list_section(field) -> bool:
    return typing.get_origin(field.annotation) is list


def test_defaults_yaml_has_exactly_the_model_fields():
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text())
    assert set(defaults) == set(Settings.model_fields)
    for section, field in Settings.model_fields.items():
        if is_list_section(field):
            assert defaults[section] == [], section
        else:
            assert set(defaults[section]) == set(section_model(field).model_fields), section


def test_every_field_has_a_description():
    for section, field in Settings.model_fields.items():
        assert field.description, section
        for name, inner in section_model(field).model_fields.items():
            assert inner.description, f"{section}.{name}"


def test_settings_are_frozen_and_sections_build_alone():
    settings = default_settings()
    with pytest.raises(ValidationError):
        settings.ui.readonly = True  # type: ignore[misc]
    assert LoggingSettings(format="json").format == "json"
    assert LoggingSettings().level == "INFO"


def test_missing_user_file_means_defaults(paths):
    loaded = load_config(env={}, paths=paths)
    assert loaded.settings == default_settings()
    assert loaded.files == ()
    assert loaded.user_file == paths.config_file
    assert loaded.environment == ()


def test_paths_default_to_the_environments_directories(tmp_path):
    config_dir = tmp_path / "elsewhere"
    write(config_dir / "config.yaml", "ui:\n  theme: nord\n")
    loaded = load_config(env={"DOCKERFORGE_CONFIG_DIR": str(config_dir)})
    assert loaded.settings.ui.theme == "nord"
    assert loaded.files == (config_dir / "config.yaml",)
    assert user_config_file(None, env={"DOCKERFORGE_CONFIG_DIR": str(config_dir)}) == config_dir / "config.yaml"


def test_empty_and_comment_only_files_set_nothing(tmp_path):
    assert load(write(tmp_path / "empty.yaml", "")).settings == default_settings()
    assert load(write(tmp_path / "comments.yaml", "# nothing\n\n")).settings == default_settings()


# --------------------------------------------------------------------------- precedence


def test_precedence_defaults_file_environment_overrides(paths):
    write(paths.config_file, "docker:\n  host: tcp://file:2375\n  timeout: 5s\nui:\n  theme: nord\n")
    env = {"DOCKERFORGE_DOCKER__HOST": "tcp://env:2375", "DOCKERFORGE_UI__THEME": "dracula"}

    only_file = load_config(env={}, paths=paths).settings
    assert (only_file.docker.host, only_file.docker.timeout, only_file.ui.theme) == ("tcp://file:2375", 5.0, "nord")
    assert only_file.docker.ping_timeout == 2.0  # untouched keys keep the default

    with_env = load_config(env=env, paths=paths).settings
    assert (with_env.docker.host, with_env.ui.theme, with_env.docker.timeout) == ("tcp://env:2375", "dracula", 5.0)

    with_flags = load_config(env=env, paths=paths, overrides={"docker": {"host": "tcp://flag:2375"}}).settings
    assert (with_flags.docker.host, with_flags.ui.theme) == ("tcp://flag:2375", "dracula")


def test_mappings_merge_and_lists_replace(paths):
    write(paths.config_file, "logging:\n  modules:\n    docker: DEBUG\ndocker:\n  extra_sockets: [tcp://a:1]\n")
    loaded = load_config(env={"DOCKERFORGE_DOCKER__EXTRA_SOCKETS": "[tcp://b:2]"}, paths=paths)
    assert loaded.settings.logging.modules == {"urllib3": "WARNING", "paramiko": "WARNING", "docker": "DEBUG"}
    assert loaded.settings.docker.extra_sockets == ["tcp://b:2"]


def test_config_path_replaces_the_user_file(paths, tmp_path):
    write(paths.config_file, "ui:\n  theme: from-user-file\n  readonly: true\n")
    other = write(tmp_path / "other.yaml", "ui:\n  theme: from-other\n")
    loaded = load_config(config_path=other, env={}, paths=paths)
    assert loaded.settings.ui.theme == "from-other"
    assert loaded.settings.ui.readonly is False
    assert loaded.files == (other,)
    assert loaded.user_file == other


def test_missing_config_path_is_an_error(tmp_path):
    error = config_error(tmp_path / "nope.yaml")
    assert error.message == f"{tmp_path / 'nope.yaml'}: no such configuration file"
    assert "config init" in error.hint


# --------------------------------------------------------------------------- environment


def test_environment_overrides_single_and_nested_keys(paths):
    env = {
        "DOCKERFORGE_DOCKER__HOST": "unix:///tmp/docker.sock",
        "DOCKERFORGE_LOGGING__LEVEL": "debug",
        "DOCKERFORGE_LOGGING__MODULES__DOCKER": "ERROR",
        "DOCKERFORGE_UI__READONLY": "true",
        "DOCKERFORGE_LOGS__BUFFER_LINES": "500",
        "DOCKERFORGE_MONITORING__INTERVAL": "1m",
        "DOCKERFORGE_DOCKER__CONTEXT": "#hash",
        # Directory variables and other DOCKERFORGE_ names without "__" are not config keys.
        "DOCKERFORGE_CONFIG_DIR": "/nonexistent",
        "DOCKERFORGE_SOMETHING": "ignored",
    }
    loaded = load_config(env=env, paths=paths)
    settings = loaded.settings
    assert settings.docker.host == "unix:///tmp/docker.sock"
    assert settings.logging.level == "DEBUG"
    assert settings.logging.modules["docker"] == "ERROR"
    assert settings.ui.readonly is True
    assert settings.logs.buffer_lines == 500
    assert settings.monitoring.interval == 60.0
    assert settings.docker.context == "#hash"  # YAML alone would read it as a comment
    assert loaded.environment == tuple(sorted(name for name in env if "__" in name))


def test_environment_values_are_yaml_scalars(paths):
    env = {"DOCKERFORGE_DOCKER__TLS_VERIFY": "false", "DOCKERFORGE_DOCKER__CONTEXT": "2024",
           "DOCKERFORGE_DOCKER__CERT_PATH": "", "DOCKERFORGE_LOGGING__FILE": "2024-01-01",
           "DOCKERFORGE_REDACTION__KEY_PATTERNS": "[^A_, ^B_]", "DOCKERFORGE_UI__THEME": "*starred"}
    settings = load_config(env=env, paths=paths).settings
    assert settings.docker.tls_verify is False
    assert settings.docker.context == "2024"
    assert settings.docker.cert_path is None
    assert settings.logging.file == "2024-01-01"
    assert settings.redaction.key_patterns == ["^A_", "^B_"]
    assert settings.ui.theme == "*starred"


def test_environment_overrides_lists_only_double_underscore_names():
    env = {"DOCKERFORGE_LOG_DIR": "/x", "DOCKERFORGE_UI__THEME": "a", "OTHER__X": "1", "DOCKERFORGE_A__B": "c"}
    assert environment_overrides(env) == ("DOCKERFORGE_A__B", "DOCKERFORGE_UI__THEME")


def test_environment_error_names_the_variable(paths):
    error = config_error(None, env={"DOCKERFORGE_UI__READONLY": "maybe"}, paths=paths)
    assert error.message == 'environment DOCKERFORGE_UI__READONLY: ui.readonly: expected true or false, got "maybe"'
    assert "DOCKERFORGE_UI__READONLY" in error.hint


def test_environment_unknown_key_and_malformed_name(paths):
    error = config_error(None, env={"DOCKERFORGE_DOCKER__HOTS": "x"}, paths=paths)
    assert error.message == 'environment DOCKERFORGE_DOCKER__HOTS: docker.hots: unknown key; did you mean "host"?'
    error = config_error(None, env={"DOCKERFORGE_DOCKER____HOST": "x"}, paths=paths)
    assert error.message == "environment DOCKERFORGE_DOCKER____HOST: empty key name in the variable name"


def test_environment_replaces_a_file_value_of_another_shape(paths):
    write(paths.config_file, "docker:\n  extra_sockets: [tcp://a:1, tcp://b:2]\n")
    error = config_error(None, env={"DOCKERFORGE_DOCKER__EXTRA_SOCKETS": "[tcp://a:1, nope]"}, paths=paths)
    assert error.message.startswith("environment DOCKERFORGE_DOCKER__EXTRA_SOCKETS: docker.extra_sockets[1]: ")


# --------------------------------------------------------------------------- substitution


def test_substitution_all_three_forms(tmp_path):
    config = write(tmp_path / "c.yaml", (
        "docker:\n"
        "  host: ${ENGINE}\n"
        "  context: ${CONTEXT:-fallback}\n"
        "  cert_path: ${CERTS:?set CERTS to your certificate directory}/client\n"
        "redaction:\n"
        "  values:\n"
        "    - ${TOKEN}\n"
        "    - literal $${NOT_A_VAR}\n"
        "    - ${EMPTY:-}\n"
    ))
    env = {"ENGINE": "tcp://box:2376", "CERTS": "/certs", "TOKEN": "t0ken"}
    settings = load(config, env).settings
    assert settings.docker.host == "tcp://box:2376"
    assert settings.docker.context == "fallback"
    assert settings.docker.cert_path == "/certs/client"
    assert settings.redaction.values == ["t0ken", "literal ${NOT_A_VAR}"]  # the empty one is dropped

    env["CONTEXT"] = "prod"
    assert load(config, env).settings.docker.context == "prod"
    env["CONTEXT"] = ""  # empty counts as unset for :-
    assert load(config, env).settings.docker.context == "fallback"


def test_unset_plain_reference_becomes_empty(tmp_path):
    config = write(tmp_path / "c.yaml", "logging:\n  file: /var/log/${NOPE}df.log\n")
    assert load(config).settings.logging.file == "/var/log/df.log"


def test_missing_required_variable_names_file_line_and_key(tmp_path):
    config = write(tmp_path / "c.yaml", "# top\nui:\n  theme: dark\ndocker:\n  context: ${CTX:?pick a context}\n")
    error = config_error(config)
    assert error.message == f"{config}:5: docker.context: environment variable CTX is not set: pick a context"
    assert "set CTX" in error.hint

    config = write(tmp_path / "d.yaml", "redaction:\n  values:\n    - ok\n    - ${SECRET:?}\n")
    error = config_error(config, env={"SECRET": ""})
    assert error.message == f"{config}:4: redaction.values[1]: environment variable SECRET is not set"


def test_substitute_function_directly():
    env = {"A": "1"}
    assert substitute("${A}-${B:-2}-$${C}", env, where="f:1", key="k") == "1-2-${C}"
    assert substitute("${not valid} ${1X}", env, where="f:1", key="k") == "${not valid} ${1X}"


# --------------------------------------------------------------------------- error forms


def test_bad_value_names_file_line_key_expected_and_found(tmp_path):
    lines = ["# DockerForge"] + [f"# filler {n}" for n in range(9)] + ["monitoring:", "  interval: fast"]
    config = write(tmp_path / "config.yaml", "\n".join(lines) + "\n")
    error = config_error(config)
    assert error.message == f'{config}:12: monitoring.interval: expected a duration like 10s, got "fast"'
    assert str(config) in error.hint


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        ("logs:\n  buffer_bytes: lots\n", 2, "logs.buffer_bytes", 'expected a size like 10MB, got "lots"'),
        ("logs:\n  buffer_lines: 1.5\n", 2, "logs.buffer_lines", "expected a whole number, got 1.5"),
        ("logs:\n  buffer_lines: 0\n", 2, "logs.buffer_lines", "expected a value of at least 1, got 0"),
        ("logs:\n  buffer_lines: many\n", 2, "logs.buffer_lines", 'expected a whole number, got "many"'),
        ("ui:\n  readonly: maybe\n", 2, "ui.readonly", 'expected true or false, got "maybe"'),
        ("ui:\n  theme: ''\n", 2, "ui.theme", 'expected non-empty text, got ""'),
        ("ui:\n  stats_interval: 0s\n", 2, "ui.stats_interval", 'expected a value greater than 0, got "0s"'),
        ("logging:\n  format: xml\n", 2, "logging.format", 'expected text or json, got "xml"'),
        ("logging:\n  level: loud\n", 2, "logging.level",
         'expected a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL), got "loud"'),
        ("logging:\n  modules:\n    docker: loud\n", 3, "logging.modules.docker",
         'expected a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL), got "loud"'),
        ("logging:\n  modules: [a]\n", 2, "logging.modules", "expected a mapping, got a list"),
        ("logs: 5\n", 1, "logs", "expected a mapping, got 5"),
        ("docker:\n  host: localhost:2375\n", 2, "docker.host",
         'expected an engine URL starting with unix://, tcp://, ssh:// or npipe://, got "localhost:2375"'),
        ("docker:\n  extra_sockets:\n    - tcp://a:1\n    - {a: 1}\n", 4, "docker.extra_sockets[1]",
         "expected text, got a mapping"),
        ("docker:\n  extra_sockets: tcp://a:1\n", 2, "docker.extra_sockets", 'expected a list, got "tcp://a:1"'),
        ("redaction:\n  key_patterns: ['(']\n", 2, "redaction.key_patterns[0]",
         'expected a regular expression (missing ), unterminated subpattern at position 0), got "("'),
        ("docker:\n  timeout: 1.5\n  ping_timeout: [1]\n", 3, "docker.ping_timeout",
         "expected a duration like 10s, got a list"),
        ("docker:\n  tls_verify: null\n  context: {x: 1}\n", 3, "docker.context", "expected text, got a mapping"),
    ],
)
def test_every_kind_of_bad_value(tmp_path, text, line, key, problem):
    config = write(tmp_path / "c.yaml", text)
    assert config_error(config).message == f"{config}:{line}: {key}: {problem}"


def test_unknown_key_suggests_the_nearest_valid_key(tmp_path):
    config = write(tmp_path / "config.yaml", "docker:\n  timeout: 5s\n  hots: tcp://x:1\n")
    error = config_error(config)
    assert error.message == f'{config}:3: docker.hots: unknown key; did you mean "host"?'
    assert "docs/CONFIG.md" in error.hint


def test_unknown_section_suggests_and_unrelated_key_lists_choices(tmp_path):
    config = write(tmp_path / "a.yaml", "dokcer:\n  host: tcp://x:1\n")
    assert config_error(config).message == f'{config}:1: dokcer: unknown key; did you mean "docker"?'
    config = write(tmp_path / "b.yaml", "logs:\n  zzz: 1\n")
    assert config_error(config).message == f"{config}:2: logs.zzz: unknown key; valid keys here: buffer_lines, buffer_bytes"


def test_syntax_error_gives_line_column_and_problem(tmp_path):
    config = write(tmp_path / "c.yaml", "docker:\n  host: tcp://x:1\n   timeout: 5s\n")
    error = config_error(config)
    assert error.message.startswith(f"{config}:3:")
    assert re.fullmatch(rf"{re.escape(str(config))}:3:\d+: invalid YAML: .+", error.message)
    assert "mapping values are not allowed here" in error.message

    config = write(tmp_path / "d.yaml", "ui:\n  theme: [a, b\n")
    assert re.fullmatch(rf"{re.escape(str(config))}:\d+:\d+: invalid YAML: .+", config_error(config).message)


def test_unknown_tag_is_a_syntax_level_error(tmp_path):
    config = write(tmp_path / "c.yaml", "ui:\n  theme: !python/name:os.system x\n")
    assert config_error(config).message.startswith(f"{config}:2:10: invalid YAML: could not determine a constructor")


@pytest.mark.parametrize(("text", "found"), [("- a\n- b\n", "a list"), ("just text\n", '"just text"'), ("42\n", "42")])
def test_top_level_must_be_a_mapping(tmp_path, text, found):
    config = write(tmp_path / "c.yaml", text)
    assert config_error(config).message == (
        f"{config}:1: expected a mapping of sections (docker:, logging:, ...) at the top level, got {found}"
    )


def test_duplicate_keys_are_reported(tmp_path):
    config = write(tmp_path / "c.yaml", "ui:\n  theme: a\n  readonly: true\n  theme: b\n")
    assert config_error(config).message == f"{config}:4: ui.theme: duplicate key (first set on line 2)"


def test_first_problem_in_reading_order_is_reported_with_a_count(tmp_path):
    config = write(tmp_path / "c.yaml", "ui:\n  readonly: maybe\ndocker:\n  timeout: fast\n")
    error = config_error(config, env={"DOCKERFORGE_LOGS__BUFFER_LINES": "x"})
    assert error.message == f'{config}:2: ui.readonly: expected true or false, got "maybe"'
    assert error.hint.endswith("(2 more problems after this one)")


def test_command_line_override_errors_say_so(paths):
    error = config_error(None, paths=paths, overrides={"docker": {"host": "nonsense"}})
    assert error.message.startswith('command line: docker.host: expected an engine URL')


def test_unreadable_inputs(tmp_path):
    directory = tmp_path / "dir.yaml"
    directory.mkdir()
    assert config_error(directory).message == f"{directory}: is a directory, not a configuration file"
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"ui:\n  theme: \xff\xfe\n")
    assert config_error(binary).message.startswith(f"{binary}: not UTF-8 text")
    control = write(tmp_path / "ctl.yaml", "ui:\n  theme: a\x07b\n")
    assert config_error(control).message == f"{control}:2:11: invalid YAML: unacceptable character #x0007"


def test_non_mapping_values_where_sections_have_fields_report_key_path(tmp_path):
    config = write(tmp_path / "c.yaml", "ui:\n  - theme\n")
    assert config_error(config).message == f"{config}:1: ui: expected a mapping, got a list"


# --------------------------------------------------------------------------- normalisation


def test_values_are_normalised(tmp_path):
    config = write(tmp_path / "c.yaml", (
        "docker:\n  host: /var/run/docker.sock\n  extra_sockets: [/run/user/1000/docker.sock, ssh://me@box]\n"
        "logging:\n  level: warning\n  max_bytes: 512KiB\n"
        "redaction:\n  values: ['', 12345]\n"
    ))
    settings = load(config).settings
    assert settings.docker.host == "unix:///var/run/docker.sock"
    assert settings.docker.extra_sockets == ["unix:///run/user/1000/docker.sock", "ssh://me@box"]
    assert settings.logging.level == "WARNING"
    assert settings.logging.max_bytes == 524_288
    assert settings.redaction.values == ["12345"]


def test_anchors_and_merge_keys_work(tmp_path):
    config = write(tmp_path / "c.yaml", (
        "logging:\n  modules:\n    base: &quiet WARNING\n    other: *quiet\n"
        "ui: &ui\n  theme: nord\nlogs:\n  <<: {buffer_lines: 7}\n  buffer_bytes: 1KB\n"
    ))
    settings = load(config).settings
    assert settings.logging.modules["other"] == "WARNING"
    assert settings.logs.buffer_lines == 7


def test_keys_are_read_as_written(tmp_path):
    config = write(tmp_path / "c.yaml", "logging:\n  modules:\n    on: DEBUG\n    1: INFO\n")
    assert load(config).settings.logging.modules == {"urllib3": "WARNING", "paramiko": "WARNING",
                                                     "on": "DEBUG", "1": "INFO"}


# --------------------------------------------------------------------------- starter file


def test_starter_file_loads_as_the_defaults(tmp_path):
    config = write(tmp_path / "c.yaml", starter_text())
    assert load(config).settings == default_settings()


def test_starter_file_uncommented_is_valid_and_covers_every_key(tmp_path):
    setting = re.compile(r"^# ((?:[a-z_]+:.*)|(?:\s+.*))$")
    lines = [setting.sub(r"\1", line) for line in starter_text().splitlines()]
    config = write(tmp_path / "c.yaml", "\n".join(lines) + "\n")
    data = yaml.safe_load(config.read_text())
    for section, field in Settings.model_fields.items():
        entry = data[section][0] if is_list_section(field) else data[section]
        assert set(entry) == set(section_model(field).model_fields), section
    settings = load(config, {"REGISTRY_PASSWORD": "pw"}).settings
    assert settings.redaction.values == ["pw"]
    assert settings.docker.host == "unix:///var/run/docker.sock"


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_creates_private_file_and_parents(tmp_path):
    target = tmp_path / "a" / "b" / "file.txt"
    assert atomic_write_text(target, "hello\n") is None
    assert target.read_text() == "hello\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["file.txt"]


def test_atomic_write_replaces_keeps_mode_and_backs_up(tmp_path):
    target = write(tmp_path / "config.yaml", "old\n")
    target.chmod(0o640)
    backup = atomic_write_text(target, "new\n", backup=True)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert backup is not None and backup.parent == tmp_path
    assert re.fullmatch(r"config\.yaml\.bak-\d{8}-\d{6}", backup.name)
    assert backup.read_text() == "old\n"
    assert atomic_write_text(target, "newer\n", mode=0o644) is None
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_backup_names_never_clash(tmp_path):
    target = write(tmp_path / "f", "x")
    first = backup_path_for(target, when=0)
    first.write_text("taken")
    second = backup_path_for(target, when=0)
    assert second.name == first.name + "-2"


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path):
    real = write(tmp_path / "dotfiles" / "config.yaml", "old\n")
    link = tmp_path / "config.yaml"
    link.symlink_to(real)
    atomic_write_text(link, "new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_atomic_write_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = write(tmp_path / "out" / "f.txt", "old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "bad \udc80 text")
    assert target.read_text() == "old\n"
    assert os.listdir(target.parent) == ["f.txt"]


def test_app_paths_fixture_is_isolated():
    # The autouse fixture points the config dir at a temporary tree; loading uses it.
    assert load_config().user_file == app_paths().config_file


def test_docs_describe_every_key():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "CONFIG.md").read_text()
    for section, field in Settings.model_fields.items():
        assert f"### `{section}`" in docs, section
        part = docs.split(f"### `{section}`", 1)[1].split("\n### ", 1)[0]
        for name in section_model(field).model_fields:
            assert f"| `{name}` |" in part, f"{section}.{name}"


def test_complex_and_recursive_yaml_is_reported_not_hung(tmp_path):
    config = write(tmp_path / "c.yaml", "ui:\n  ? [a, b]\n  : 1\n")
    assert config_error(config).message.startswith(f"{config}:2:5: invalid YAML: found an unhashable key")
    config = write(tmp_path / "d.yaml", "ui:\n  theme: a\nloop: &x [*x]\n")
    assert config_error(config).message == f"{config}:3: loop[0]: an alias refers to itself"


def test_command_line_list_override_error_names_the_item(paths):
    error = config_error(None, paths=paths, overrides={"docker": {"extra_sockets": ["tcp://ok:1", "bad"]}})
    assert error.message.startswith("command line: docker.extra_sockets[1]: expected an engine URL")
