"""File logging: rotation, formats, per-module levels, redaction, idempotency, a silent terminal."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockerforge_tui.core.config import LoggingSettings
from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.log_setup import APP_LOGGER, setup_logging, shutdown_logging
from dockerforge_tui.core.redaction import Redactor

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: .*$")
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"


def settings(**changes) -> LoggingSettings:
    """The real config model, validated like a user's file would be."""
    values = {"level": "INFO", "format": "text", "max_bytes": 1_000_000, "backup_count": 3,
              "modules": {}, "file": None}
    values.update(changes)
    return LoggingSettings(**values)


@dataclass(frozen=True)
class PlainLoggingSettings:
    """Any object with the same attribute names works (setup_logging only reads them)."""

    level: str = "INFO"
    format: str = "text"
    max_bytes: int = 1_000_000
    backup_count: int = 3
    modules: dict[str, str] = field(default_factory=dict)
    file: str | None = None


@pytest.fixture(autouse=True)
def clean_logging():
    """Leave the process's logging as it was, whatever a test did."""
    yield
    shutdown_logging()
    for name in ("thirdparty", "thirdparty.sub", "otherlib", "dockerforge_tui.services",
                 "dockerforge_tui.services.docker"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def flush() -> None:
    for handler in logging.getLogger(APP_LOGGER).handlers:
        handler.flush()


def our_handlers(name: str = APP_LOGGER) -> list[logging.Handler]:
    return [h for h in logging.getLogger(name).handlers if getattr(h, "_dockerforge_log_handler", False)]


def test_text_format_and_default_file_name(tmp_path):
    path = setup_logging(settings(), tmp_path)
    assert path == tmp_path / "dockerforge.log"
    logging.getLogger("dockerforge_tui.cli.main").info("hello %s", "world")
    flush()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert TEXT_LINE.match(lines[0]), lines[0]
    assert lines[0].endswith(" INFO dockerforge_tui.cli.main: hello world")


def test_creates_missing_directories_and_honours_file_override(tmp_path):
    log_dir = tmp_path / "a" / "b" / "logs"
    assert setup_logging(settings(), log_dir) == log_dir / "dockerforge.log"
    assert log_dir.is_dir()
    assert setup_logging(settings(file="custom/df.log"), log_dir) == log_dir / "custom" / "df.log"
    absolute = tmp_path / "elsewhere" / "x.log"
    path = setup_logging(settings(file=str(absolute)), log_dir)
    assert path == absolute
    logging.getLogger("dockerforge_tui.x").warning("to the override")
    flush()
    assert "to the override" in absolute.read_text(encoding="utf-8")


def test_json_lines_parse_and_carry_extras_and_exceptions(tmp_path):
    path = setup_logging(settings(format="json"), tmp_path)
    log = logging.getLogger("dockerforge_tui.services.docker")
    log.info("container %s started", "web-1", extra={"container_id": "9b2f4c1e7d3a", "attempt": 2})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    log.warning("multi\nline message")
    flush()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    first, second, third = records
    assert set(first) >= {"ts", "level", "logger", "message", "exc_info"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["ts"])
    assert (first["level"], first["logger"], first["message"]) == ("INFO", "dockerforge_tui.services.docker",
                                                                   "container web-1 started")
    assert first["exc_info"] is None
    assert (first["container_id"], first["attempt"]) == ("9b2f4c1e7d3a", 2)
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc_info"]
    assert third["message"] == "multi\nline message"


def test_rotation_keeps_backup_count_files(tmp_path):
    log_dir = tmp_path / "logs"
    path = setup_logging(settings(max_bytes=600, backup_count=2), log_dir)
    log = logging.getLogger("dockerforge_tui.rotation")
    for number in range(200):
        log.info("line %03d %s", number, "x" * 40)
    flush()
    names = sorted(p.name for p in log_dir.iterdir())
    assert names == ["dockerforge.log", "dockerforge.log.1", "dockerforge.log.2"]
    for file in log_dir.iterdir():
        assert file.stat().st_size <= 600
    # the newest lines are in the live file, the oldest are gone
    assert "line 199" in path.read_text(encoding="utf-8")
    assert not any("line 000" in p.read_text(encoding="utf-8") for p in log_dir.iterdir())


def test_per_module_levels_and_quiet_libraries(tmp_path):
    path = setup_logging(settings(level="WARNING", modules={"dockerforge_tui.services": "DEBUG",
                                                            "thirdparty": "INFO"}), tmp_path)
    logging.getLogger("dockerforge_tui.services.docker").debug("service debug")
    logging.getLogger("dockerforge_tui.cli").info("cli info")
    logging.getLogger("dockerforge_tui.cli").warning("cli warning")
    logging.getLogger("thirdparty.sub").info("library info")
    logging.getLogger("thirdparty.sub").debug("library debug")
    logging.getLogger("otherlib").warning("unnamed library warning")
    logging.getLogger().warning("root warning")
    flush()
    text = path.read_text(encoding="utf-8")
    assert "service debug" in text
    assert "cli info" not in text
    assert "cli warning" in text
    assert "library info" in text and text.count("library info") == 1
    assert "library debug" not in text
    assert "unnamed library warning" not in text
    assert "root warning" not in text
    assert not our_handlers("")  # the root logger is never touched


def test_debug_flag_forces_debug(tmp_path):
    path = setup_logging(settings(level="ERROR", modules={"dockerforge_tui.services": "ERROR"}), tmp_path,
                         debug=True)
    logging.getLogger("dockerforge_tui.cli.main").debug("debug from cli")
    logging.getLogger("dockerforge_tui.services.x").debug("debug from services")
    flush()
    text = path.read_text(encoding="utf-8")
    assert "debug from cli" in text and "debug from services" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_never_reach_the_file(tmp_path, log_format):
    redactor = Redactor(values=["configured-Literal-77"])
    path = setup_logging(settings(format=log_format, level="DEBUG"), tmp_path, redactor=redactor)
    log = logging.getLogger("dockerforge_tui.secrets")
    log.info("connecting with password=Msg-Pw-1 to postgres://app:Url-Pw-2@db/app")
    log.info("password=%s token=%s", "Arg-Pw-3", JWT)
    log.info("config %s", {"api_key": "Dict-Key-4", "user": "ops"})
    log.info("configured literal configured-Literal-77 appears")
    log.debug("extra fields", extra={"db_password": "Extra-Pw-5", "note": "token=Extra-Tok-6"})
    try:
        raise RuntimeError(f"auth failed with Authorization: Bearer Exc-Tok-7-abcdef\n{PEM}")
    except RuntimeError:
        log.exception("request failed")
    log.warning("with stack", stack_info=True)
    flush()
    text = path.read_text(encoding="utf-8")
    for secret in ("Msg-Pw-1", "Url-Pw-2", "Arg-Pw-3", JWT, "Dict-Key-4", "configured-Literal-77",
                   "Extra-Pw-5", "Extra-Tok-6", "Exc-Tok-7-abcdef", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"):
        assert secret not in text, secret
    assert "[REDACTED:password:" in text and "[REDACTED:private_key:1]" in text
    assert "RuntimeError" in text and "ops" in text
    if log_format == "json":
        for line in text.splitlines():
            json.loads(line)


def test_secret_in_a_repr_of_an_unserialisable_extra_is_redacted(tmp_path):
    class Connection:
        def __str__(self) -> str:
            return "Connection(password=Obj-Pw-8)"

    path = setup_logging(settings(format="json"), tmp_path)
    logging.getLogger("dockerforge_tui.x").info("opened", extra={"connection": Connection()})
    flush()
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["connection"] == "Connection(password=[REDACTED:password:1])"


def test_calling_twice_does_not_duplicate_handlers(tmp_path):
    first = setup_logging(settings(), tmp_path)
    second = setup_logging(settings(), tmp_path)
    assert first == second
    assert len(our_handlers()) == 1
    logging.getLogger("dockerforge_tui.x").warning("exactly once")
    flush()
    assert first.read_text(encoding="utf-8").count("exactly once") == 1


def test_reconfiguring_moves_the_handler_and_drops_old_module_handlers(tmp_path):
    setup_logging(settings(modules={"thirdparty": "INFO"}), tmp_path / "one")
    assert len(our_handlers("thirdparty")) == 1
    new_path = setup_logging(settings(), tmp_path / "two")
    assert not our_handlers("thirdparty")
    assert logging.getLogger("thirdparty").level == logging.NOTSET
    logging.getLogger("dockerforge_tui.x").warning("after the move")
    flush()
    assert "after the move" in new_path.read_text(encoding="utf-8")
    assert "after the move" not in (tmp_path / "one" / "dockerforge.log").read_text(encoding="utf-8")


def test_nothing_reaches_the_terminal(tmp_path, capfd):
    path = setup_logging(settings(), tmp_path)
    log = logging.getLogger("dockerforge_tui.quiet")
    log.warning("bad args %s %s", "only-one")
    log.error("fine")
    flush()
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    text = path.read_text(encoding="utf-8")
    assert "unformattable log arguments" in text and "fine" in text


def test_duck_typed_settings_are_enough(tmp_path):
    path = setup_logging(PlainLoggingSettings(level="debug", format="json", max_bytes=0, backup_count=0),
                         tmp_path)
    logging.getLogger("dockerforge_tui.duck").debug("quack")
    flush()
    assert json.loads(path.read_text(encoding="utf-8"))["message"] == "quack"


@pytest.mark.parametrize(("changes", "message"), [
    ({"level": "LOUD"}, "logging.level"),
    ({"modules": {"x": "NOISY"}}, "logging.modules.x"),
    ({"format": "xml"}, "logging.format"),
])
def test_bad_settings_are_config_errors(tmp_path, changes, message):
    with pytest.raises(ConfigError) as raised:
        setup_logging(PlainLoggingSettings(**changes), tmp_path)
    assert message in raised.value.message and raised.value.hint
    assert not our_handlers()


def test_level_off_installs_nothing(tmp_path):
    setup_logging(settings(), tmp_path)
    assert setup_logging(PlainLoggingSettings(level="OFF"), tmp_path) is None
    assert not our_handlers()


def test_unwritable_log_directory_raises_oserror(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log directory should be", encoding="utf-8")
    with pytest.raises(OSError):
        setup_logging(settings(), blocker / "logs")
    assert not our_handlers()
