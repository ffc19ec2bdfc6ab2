"""What the headless commands share: time options, the engine connection, redactor, issue store and output files."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence, TextIO

from dockerforge_tui.core.atomic import NEW_FILE_MODE, atomic_write_text
from dockerforge_tui.core.errors import NotFoundError, PermissionDeniedError, UsageError

if TYPE_CHECKING:
    from dockerforge_tui.cli.context import CommandContext
    from dockerforge_tui.core.config import Settings
    from dockerforge_tui.core.redaction import Redactor
    from dockerforge_tui.services.docker.connection import EngineConnection
    from dockerforge_tui.services.docker.container_scope import ContainerScope
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.store import IssueStore
    from dockerforge_tui.services.logs import PatternSet

TIME_HELP = "a duration back from now (30m, 1h, 2d) or a UTC time (2024-03-01T12:00:00Z, '2024-03-01 12:00')"
STDOUT_NAME = "-"
_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def parse_time(text: str, now: datetime, option: str) -> datetime:
    """Read a ``--since``/``--until`` value: a duration back from ``now``, or an RFC 3339 / ISO 8601 time.

    A time without a zone is UTC. Raises :class:`UsageError` naming ``option``.
    """
    from dockerforge_tui.core.config.units import parse_duration

    value = (text or "").strip()
    if not value:
        raise UsageError(f"{option} is empty", hint=f"give {TIME_HELP}")
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    iso = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else _OFFSET_WITHOUT_COLON.sub(r"\1:\2", value)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise UsageError(f"{option} {value!r} is neither a duration nor a time", hint=f"give {TIME_HELP}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def redactor_for(settings: "Settings") -> "Redactor":
    """The redactor of the configuration (``redaction.values`` and ``redaction.key_patterns``)."""
    from dockerforge_tui.core.redaction import Redactor

    return Redactor(settings.redaction.values, settings.redaction.key_patterns)


def connect_engine(ctx: "CommandContext") -> "EngineConnection":
    """Connect to the configured engine; raises :class:`EngineUnreachableError` (exit 3) when none answers."""
    from dockerforge_tui.services.docker.connection import connect

    return connect(ctx.settings.docker, ctx.env, host_source="--host" if getattr(ctx.args, "host", None) else None)


def issue_store(ctx: "CommandContext", redactor: "Redactor | None" = None) -> "IssueStore":
    """The issue store in the data directory, redacting with ``redactor``."""
    from dockerforge_tui.services.issues.store import IssueStore

    return IssueStore.for_paths(ctx.paths, redactor=redactor)


def user_pattern_set(ctx: "CommandContext") -> "PatternSet | None":
    """The packaged patterns plus the user pattern folder's, or None (the packaged set) when the folder has none.

    A broken user pattern file raises :class:`~dockerforge_tui.core.errors.ConfigError` (exit 2).
    """
    from dockerforge_tui.services.logs import load_patterns
    from dockerforge_tui.services.logs.learning import user_patterns_dir

    folder = user_patterns_dir(ctx.paths)
    if not folder.is_dir() or not any(path.suffix in (".yaml", ".yml") for path in folder.iterdir()):
        return None
    return load_patterns(folder)


def require_containers(states: "Sequence[ContainerState]", scope: "ContainerScope") -> None:
    """Raise :class:`NotFoundError` when a ``--project``/``--label`` scope selects no container (a typo, or gone)."""
    if states or scope.everything or scope.names:
        return
    raise NotFoundError(f"no containers in {scope.describe()}",
                        hint="check the name with 'docker ps -a --filter label=com.docker.compose.project=NAME' "
                             "(running or not, every container counts)")


def _file_error(error: OSError, target: Path, what: str) -> Exception:
    if isinstance(error, FileNotFoundError):
        return NotFoundError(f"cannot write {what} {target}: the directory {target.parent} does not exist",
                             hint="create it first or choose another path")
    if isinstance(error, PermissionError):
        return PermissionDeniedError(f"cannot write {what} {target}: permission denied",
                                     hint="choose a path you can write to")
    if isinstance(error, IsADirectoryError) or target.is_dir():
        return UsageError(f"cannot write {what} {target}: it is a directory", hint="give a file name")
    return UsageError(f"cannot write {what} {target}: {error.strerror or error}",
                      hint="check the path and the free disk space")


def check_output_path(path: str, what: str) -> Path:
    """The file ``path`` names, after checking it can be written (its folder exists; it is no folder itself)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"cannot write {what} {target}: it is a directory", hint="give a file name")
    if not target.parent.is_dir():
        raise NotFoundError(f"cannot write {what} {target}: the directory {target.parent} does not exist",
                            hint="create it first or choose another path")
    return target


def write_output(text: str, path: str | None, ctx: "CommandContext", what: str = "the output") -> Path | None:
    """Print ``text`` to stdout, or write it to ``path`` atomically (``-`` is stdout); return the file written."""
    if path in (None, STDOUT_NAME):
        ctx.stdout.write(text)
        ctx.stdout.flush()
        return None
    target = check_output_path(path, what)
    try:
        atomic_write_text(target, text)
    except OSError as error:
        raise _file_error(error, target, what) from None
    return target


@contextmanager
def output_stream(path: str | None, ctx: "CommandContext", what: str = "the output") -> Iterator[TextIO]:
    """A text stream to stdout, or to a temporary file that replaces ``path`` only when the block succeeds.

    For output too large to hold in memory (a log export); readers of ``path`` see the
    old file or the complete new one.
    """
    if path in (None, STDOUT_NAME):
        yield ctx.stdout
        ctx.stdout.flush()
        return
    target = check_output_path(path, what)
    try:
        descriptor, temporary_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise _file_error(error, target, what) from None
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, NEW_FILE_MODE)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _file_error(error, target, what) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def confirm(question: str, ctx: "CommandContext") -> bool:
    """Ask a yes/no question on stderr and read the answer from stdin; end of input means no."""
    print(f"{question} [y/N] ", end="", file=ctx.stderr, flush=True)
    answer = sys.stdin.readline()
    if not answer.endswith("\n") or not sys.stdin.isatty():  # nothing echoed the end of the line
        print(file=ctx.stderr)
    return answer.strip().lower() in ("y", "yes")
