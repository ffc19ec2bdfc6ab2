"""Run an external command (``docker compose ...``, a custom command) as an audited action.

The command is an argv list run without a shell, with its output captured; a non-zero
exit is returned (the output is what the person needs to see) and audited as an error.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from dockerforge_tui.core.errors import DockerAPIError, NotFoundError, PermissionDeniedError, UsageError
from dockerforge_tui.services.audit import ActionTarget, AuditLog, run_action

DEFAULT_TIMEOUT = 600.0
"""Seconds an external command may run (a compose pull can be slow) before it is stopped."""


@dataclass(frozen=True)
class CompletedAction:
    """How an external command ended."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    duration: float
    """Seconds."""

    @property
    def ok(self) -> bool:
        """True when the command exited with 0."""
        return self.exit_code == 0

    @property
    def output(self) -> str:
        """Standard output then standard error, as one text."""
        return "\n".join(part.rstrip("\n") for part in (self.stdout, self.stderr) if part.strip())

    @property
    def summary(self) -> str:
        """One line: the last thing the command said on stderr (or stdout), or its exit status."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1] if self.ok else f"exit {self.exit_code}: {lines[-1]}"
        return "done" if self.ok else f"exit {self.exit_code}"


def _argv_text(argv: Sequence[str]) -> str:
    return " ".join(argv)


def execute(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, cwd: Path | str | None = None,
            env: Mapping[str, str] | None = None) -> CompletedAction:
    """Run ``argv`` (never through a shell) and capture its output; not audited.

    Raises :class:`NotFoundError` when the program does not exist, :class:`PermissionDeniedError`
    when it cannot be run and :class:`DockerAPIError` when it runs past ``timeout``.
    """
    argv = [str(part) for part in argv]
    if not argv:
        raise UsageError("no command to run", hint="the command's argv is empty")
    full_env = None if env is None else {**os.environ, **env}
    started = time.monotonic()
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout,
                                   cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError as error:
        raise NotFoundError(f"cannot run {argv[0]}: no such program",
                            hint=f"install {Path(argv[0]).name} or put it on PATH") from error
    except PermissionError as error:
        raise PermissionDeniedError(f"cannot run {argv[0]}: permission denied",
                                    hint="check the program is executable") from error
    except subprocess.TimeoutExpired as error:
        raise DockerAPIError(f"{_argv_text(argv)} did not finish within {timeout:g}s and was stopped",
                             hint="run it in a terminal to see where it hangs") from error
    return CompletedAction(argv=tuple(argv), exit_code=completed.returncode, stdout=completed.stdout or "",
                           stderr=completed.stderr or "", duration=time.monotonic() - started)


def run_external(argv: Sequence[str], *, audit: AuditLog | None, verb: str, target: ActionTarget,
                 endpoint: str = "", readonly: bool = False, timeout: float = DEFAULT_TIMEOUT,
                 cwd: Path | str | None = None, env: Mapping[str, str] | None = None,
                 wording: str | None = None) -> CompletedAction:
    """Run ``argv`` as an audited action (refused in read-only mode) and return how it ended.

    A non-zero exit is returned, not raised, and audited as an error with the command's
    last words; the record's parameters hold the argv.
    """
    argv = [str(part) for part in argv]
    return run_action(
        lambda: execute(argv, timeout=timeout, cwd=cwd, env=env),
        verb=verb, target=target, audit=audit, endpoint=endpoint, readonly=readonly,
        params={"argv": argv}, failure_of=lambda done: None if done.ok else done.summary, wording=wording,
    )
