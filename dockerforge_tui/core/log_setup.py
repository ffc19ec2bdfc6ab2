"""File logging for DockerForge: one rotating file, text or JSON lines, secrets redacted.

Only the ``dockerforge_tui`` logger tree is configured, never the root logger,
so libraries stay quiet unless ``logging.modules`` names them. Nothing here
writes to stdout or stderr: while the dashboard runs, the terminal belongs to
Textual, and a stray traceback would tear the screen.

(Named ``log_setup`` rather than ``logging`` so it never shadows the standard library.)
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol

from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.redaction import Redactor

__all__ = [
    "APP_LOGGER",
    "JsonLinesFormatter",
    "LoggingSettingsLike",
    "RedactingFilter",
    "TextFormatter",
    "setup_logging",
    "shutdown_logging",
]

APP_LOGGER = "dockerforge_tui"
DEFAULT_LOG_FILE_NAME = "dockerforge.log"
"""Same name as :attr:`dockerforge_tui.core.paths.AppPaths.log_file`."""

LEVELS_THAT_DISABLE = frozenset({"OFF", "NONE", "DISABLED"})
_SILENT = logging.CRITICAL + 10

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "taskName",
}
_REDACTED_MARK = "_dockerforge_redacted"
_HANDLER_MARK = "_dockerforge_log_handler"


class LoggingSettingsLike(Protocol):
    """The attributes of ``settings.logging`` that logging reads (the config model has them)."""

    @property
    def level(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def backup_count(self) -> int: ...
    @property
    def modules(self) -> Mapping[str, str]: ...
    @property
    def file(self) -> str | None: ...


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------

def _utc_timestamp(record: logging.LogRecord) -> str:
    """``2026-11-25T02:40:14.123Z``: UTC so lines from different hosts sort together."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")}


class TextFormatter(logging.Formatter):
    """``2026-11-25T02:40:14.123Z INFO dockerforge_tui.cli.main: message``, traceback on the following lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging API)
        return _utc_timestamp(record)


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, exc_info, then any ``extra`` fields.

    Values JSON cannot encode are written as their ``str()``, redacted by
    ``redactor`` when one is given (the filter has already redacted every
    string and container, but not what an arbitrary object prints).
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        payload: dict[str, Any] = {
            "ts": _utc_timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "exc_info": record.exc_text or None,
        }
        if record.stack_info:
            payload["stack_info"] = record.stack_info
        for key, value in _extra_fields(record).items():
            payload[key if key not in payload else f"extra.{key}"] = value
        return json.dumps(payload, ensure_ascii=False, default=self._encode_other)

    def _encode_other(self, value: Any) -> str:
        try:
            text = str(value)
        except Exception as error:  # a broken __str__ must not lose the whole line
            text = f"<unprintable {type(value).__name__}: {type(error).__name__}>"
        return self._redactor.redact(text) if self._redactor is not None else text


# ---------------------------------------------------------------------------
# Redaction
# ---------------------------------------------------------------------------

class RedactingFilter(logging.Filter):
    """Redacts a record before any handler formats it: message with its args, exception, stack, extras.

    The arguments are merged into the message first and the result redacted, so
    ``log.info("password=%s", pw)`` is caught by the key=value rule even though
    ``pw`` alone looks like nothing. The record is changed in place (``args``
    becomes None), so every later handler sees the redacted text too. Never
    drops a record: if redaction itself fails, the message is withheld.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _REDACTED_MARK, False):
            return True
        try:
            self._redact(record)
        except Exception as error:  # fail closed: better no message than a leaked one
            record.msg = f"<log message withheld: redaction failed with {type(error).__name__}>"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            for key in _extra_fields(record):
                setattr(record, key, "<withheld>")
        setattr(record, _REDACTED_MARK, True)
        return True

    def _redact(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # wrong number of %-args: keep what there is, redacted
            message = f"{record.msg!s} (unformattable log arguments: {record.args!r})"
        record.msg = self.redactor.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        extras = _extra_fields(record)
        if extras:
            for key, value in self.redactor.redact_mapping(extras).items():
                setattr(record, key, value)


class _QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler that never reports its own failures on stderr (the TUI owns it)."""

    failures = 0

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging API)
        self.failures += 1


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------

@dataclass
class _Installation:
    handler: logging.Handler
    loggers_with_handler: list[logging.Logger] = field(default_factory=list)
    loggers_with_level: list[logging.Logger] = field(default_factory=list)


_lock = threading.Lock()
_installed: _Installation | None = None


def _parse_level(value: Any, where: str) -> int | None:
    """A level number, or None for OFF; raises ConfigError for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    name = str(value).strip().upper()
    if name in LEVELS_THAT_DISABLE:
        return None
    if name.isdigit():
        return int(name)
    level = logging.getLevelNamesMapping().get(name)
    if level is None:
        raise ConfigError(f"{where}: unknown log level {value!r}",
                          hint="use DEBUG, INFO, WARNING, ERROR, CRITICAL or OFF")
    return level


def _log_path(settings: LoggingSettingsLike, log_dir: Path) -> Path:
    override = getattr(settings, "file", None)
    if override:
        path = Path(override).expanduser()
        return path if path.is_absolute() else Path(log_dir) / path
    return Path(log_dir) / DEFAULT_LOG_FILE_NAME


def _uninstall_locked() -> None:
    global _installed
    app_logger = logging.getLogger(APP_LOGGER)
    # Also catch handlers left by an earlier copy of this module (importlib.reload).
    stray = [h for h in app_logger.handlers if getattr(h, _HANDLER_MARK, False)]
    installation, _installed = _installed, None
    handlers = set(stray)
    if installation is not None:
        handlers.add(installation.handler)
        for logger in installation.loggers_with_handler:
            logger.removeHandler(installation.handler)
        for logger in installation.loggers_with_level:
            logger.setLevel(logging.NOTSET)
    for handler in handlers:
        app_logger.removeHandler(handler)
        handler.close()


def shutdown_logging() -> None:
    """Remove what :func:`setup_logging` installed (handler closed, levels back to NOTSET)."""
    with _lock:
        _uninstall_locked()


def setup_logging(settings: LoggingSettingsLike, log_dir: Path, redactor: Redactor | None = None,
                  debug: bool = False) -> Path | None:
    """Send the ``dockerforge_tui`` loggers to a rotating file and return the file's path.

    ``settings`` is ``settings.logging`` (level, format "text" or "json",
    max_bytes, backup_count, modules: logger name -> level, file: a path that
    replaces ``log_dir/dockerforge.log``, relative paths resolved against
    ``log_dir``). A logger outside ``dockerforge_tui`` gets the handler only when
    ``modules`` names it. ``debug`` forces DEBUG on the ``dockerforge_tui`` tree.
    Every record goes through a :class:`RedactingFilter` (a fresh
    :class:`Redactor` when none is given).

    Calling it again replaces the previous setup (no duplicate handlers).
    Returns None, installing nothing, when the level is OFF. Raises ConfigError
    for an unknown level or format and OSError when the file cannot be opened.
    """
    global _installed
    base_level = _parse_level(settings.level, "logging.level")
    module_levels = {name: _parse_level(level, f"logging.modules.{name}")
                     for name, level in dict(settings.modules or {}).items()}
    log_format = str(settings.format or "text").strip().lower()
    if log_format not in ("text", "json"):
        raise ConfigError(f"logging.format: unknown format {settings.format!r}", hint="use 'text' or 'json'")
    path = _log_path(settings, log_dir)
    redactor = redactor if redactor is not None else Redactor()

    with _lock:
        _uninstall_locked()
        if base_level is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietRotatingFileHandler(path, maxBytes=max(0, int(settings.max_bytes)),
                                            backupCount=max(0, int(settings.backup_count)), encoding="utf-8")
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(JsonLinesFormatter(redactor) if log_format == "json" else TextFormatter())
        handler.addFilter(RedactingFilter(redactor))

        installation = _Installation(handler)
        app_logger = logging.getLogger(APP_LOGGER)
        app_logger.setLevel(logging.DEBUG if debug else base_level)
        app_logger.addHandler(handler)
        installation.loggers_with_handler.append(app_logger)
        installation.loggers_with_level.append(app_logger)

        outside = sorted(name for name in module_levels if not _in_app_tree(name))
        for name, level in sorted(module_levels.items()):
            logger = logging.getLogger(name)
            in_tree = _in_app_tree(name)
            logger.setLevel(_SILENT if level is None else (logging.DEBUG if debug and in_tree else level))
            if logger is not app_logger:
                installation.loggers_with_level.append(logger)
            # A library logger gets the handler unless an ancestor listed too has it
            # (propagation would write each of its records twice).
            if not in_tree and not any(name.startswith(other + ".") for other in outside):
                logger.addHandler(handler)
                installation.loggers_with_handler.append(logger)

        _installed = installation
        return path


def _in_app_tree(name: str) -> bool:
    return name == APP_LOGGER or name.startswith(APP_LOGGER + ".")
