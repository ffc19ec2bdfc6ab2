"""After a fix: are the containers running (and healthy) long enough, and has the error stayed away?

:func:`verify` polls the containers' state for the plan's ``running_seconds`` (a
restart or an exit fails it at once), then reads the logs written since the fix and
runs the pattern engine over them: a finding of one of the plan's patterns fails it.
The clock and the sleep are parameters, so tests pass a fake clock or a short plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.fixes.engine import FixEngine
from dockerforge_tui.services.fixes.proposals import VerificationPlan

OOM_PATTERN = "container.oom_killed"


@dataclass(frozen=True)
class VerificationResult:
    """The verdict and, when it failed, why (one line per problem)."""

    ok: bool
    problems: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        """One line for a status note."""
        return "verified" if self.ok else "; ".join(self.problems)


def _fingerprint(inspected: Mapping[str, Any]) -> tuple[Any, ...]:
    state = inspected.get("State") or {}
    return inspected.get("Id"), inspected.get("RestartCount"), state.get("StartedAt")


def _not_running(name: str, inspected: Mapping[str, Any]) -> str | None:
    state = inspected.get("State") or {}
    if state.get("Running") and not state.get("Restarting"):
        return None
    oom = ", killed for running out of memory" if state.get("OOMKilled") else ""
    return f"{name} is {state.get('Status') or 'not running'} (exit code {state.get('ExitCode')}{oom})"


def _oom_since(engine: FixEngine, container_id: str, since: datetime) -> bool:
    from dockerforge_tui.services.docker.api_errors import engine_call
    from dockerforge_tui.services.docker.events import read_events

    with engine_call("read the events of", f"container {container_id[:12]}"):
        return bool(read_events(engine.api, since, actions=("oom",), container_ids=(container_id,)))


def verify(engine: FixEngine, plan: VerificationPlan, since: datetime, *,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
           poll_interval: float = 1.0, log_tail: int = 500, patterns: Any = None) -> VerificationResult:
    """Check ``plan`` from now on; ``since`` is when the fix was applied (logs after it are read)."""
    from dockerforge_tui.services.docker.log_reader import read_logs
    from dockerforge_tui.services.logs import detect

    started = clock()
    try:
        baseline = {name: _fingerprint(engine.inspect(name)) for name in plan.containers}
        while True:
            for name in plan.containers:
                inspected = engine.inspect(name)
                problem = _not_running(name, inspected)
                if problem is None and _fingerprint(inspected) != baseline[name]:
                    problem = f"{name} restarted during the check"
                if problem is not None:
                    return VerificationResult(False, (problem,), clock() - started)
            elapsed = clock() - started
            if elapsed >= plan.running_seconds:
                break
            sleep(min(poll_interval, plan.running_seconds - elapsed))
        problems: list[str] = []
        for name in plan.containers:
            inspected = engine.inspect(name)
            health = ((inspected.get("State") or {}).get("Health") or {}).get("Status")
            if plan.require_healthy and health not in (None, "", "healthy"):
                problems.append(f"{name} is {health}, not healthy, after {plan.running_seconds:g} s")
            # The engine keeps State.OOMKilled from an earlier kill across a restart: ask its events instead,
            # which also tell about a child process killed while the container kept running.
            if OOM_PATTERN in plan.absent_patterns and _oom_since(engine, str(inspected.get("Id") or name), since):
                problems.append(f"{name} ran out of memory again since the fix")
            log_patterns = set(plan.absent_patterns) - {OOM_PATTERN}
            if log_patterns:
                lines = read_logs(engine.api, name, since=since, tail=log_tail).lines
                again = sorted({finding.pattern_id for finding in detect(list(lines), patterns)} & log_patterns)
                if again:
                    problems.append(f"{name} logged {', '.join(again)} again since the fix")
    except DockerForgeError as error:
        return VerificationResult(False, (error.message,), clock() - started)
    return VerificationResult(not problems, tuple(problems), clock() - started)
