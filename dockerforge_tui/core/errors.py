"""One exception hierarchy for DockerForge, each class bound to a documented exit code.

The CLI catches :class:`DockerForgeError` at the top, prints ``message`` on one line
and ``hint`` on the next, and exits with ``exit_code``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in docs/EXIT_CODES.md and stable across releases."""

    OK = 0
    FINDINGS = 1
    """Findings at or above the requested threshold (``--fail-on``)."""
    USAGE = 2
    """Bad command line, bad configuration or other bad input."""
    ENGINE_UNREACHABLE = 3
    """No Docker engine answered."""
    NOT_FOUND = 4
    """A named container, image, file or other object does not exist."""
    PERMISSION_DENIED = 5
    """The engine or the file system refused access."""
    DOCKER_API = 6
    """The engine answered with an error."""
    AI_PROVIDER = 7
    """An AI provider failed: key rejected, rate limited, unreachable, timed out, prompt too long or refused."""
    NOTIFICATION_FAILED = 9
    """A notification channel (and its fallback) did not take a message (``dockerforge notify test``)."""
    INTERNAL = 70
    """A bug in DockerForge: please report it with ``dockerforge doctor --bundle``."""
    INTERRUPTED = 130
    """The user aborted (Ctrl+C or answered no)."""


class DockerForgeError(Exception):
    """Base of every error DockerForge reports to a person.

    ``message`` says what is wrong and where; ``hint`` says how to fix it.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(DockerForgeError):
    """The command line or another input was malformed."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A configuration file or override is invalid."""


class EngineUnreachableError(DockerForgeError):
    """No Docker engine answered, or the one the user named did not."""

    exit_code = ExitCode.ENGINE_UNREACHABLE


class DockerAPIError(DockerForgeError):
    """The engine answered a request with an error."""

    exit_code = ExitCode.DOCKER_API


class NotFoundError(DockerForgeError):
    """A named object does not exist."""

    exit_code = ExitCode.NOT_FOUND


class PermissionDeniedError(DockerForgeError):
    """Access was refused by the engine or the operating system."""

    exit_code = ExitCode.PERMISSION_DENIED


class UserAbortError(DockerForgeError):
    """The person stopped the operation."""

    exit_code = ExitCode.INTERRUPTED
