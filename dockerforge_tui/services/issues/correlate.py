"""Root-cause hints across containers: "web cannot reach db because db was OOM-killed".

A symptom is a container's observation that it could not reach something
(``connection_refused``, ``dns_failure``, ``timeout``). A cause is another container
that was down or failing at about the same time (``window_seconds``) and that the
symptom points at: the host in the log line is its name, compose service, network
alias or IP address, the port is one it exposes, or compose ``depends_on`` links the
two. Rules, weights and wording are in ``correlate.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING


from dockerforge_tui.services.issues.fingerprint import issue_id
from dockerforge_tui.services.issues.models import Observation
from dockerforge_tui.core.yaml_data import load_yaml

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.states import ContainerState

CORRELATE_FILE = Path(__file__).with_name("correlate.yaml")
_DOWN_STATUSES = ("exited", "dead", "created", "restarting", "removing")


@dataclass(frozen=True)
class Target:
    """Where a failed connection was going, as read from a log line."""

    host: str | None
    port: int | None

    def __str__(self) -> str:
        if self.host and self.port:
            return f"{self.host}:{self.port}"
        return self.host or f"port {self.port}"


@dataclass(frozen=True)
class RootCauseHint:
    """One container's trouble that probably explains another container's symptom."""

    symptom_issue_id: str
    """Id of the symptom's tracked issue (the same as the issue store's)."""
    symptom_container: str
    symptom_category: str
    symptom_message: str
    cause_container: str
    cause_container_id: str
    cause_issue_ids: tuple[str, ...]
    """Ids of the cause container's issues seen in the window (may be empty: it is simply down)."""
    reason: str
    """One or two sentences a person can act on."""
    confidence: float
    """0..1; see :attr:`level`."""
    target: str | None = None
    """The host:port the symptom's line names, when it names one."""

    @property
    def level(self) -> str:
        """``high``, ``medium`` or ``low``."""
        levels = correlate_settings().levels
        if self.confidence >= levels["high"]:
            return "high"
        return "medium" if self.confidence >= levels["medium"] else "low"


@dataclass(frozen=True)
class CorrelateSettings:
    """The whole ``correlate.yaml``."""

    symptom_categories: frozenset[str]
    cause_categories: frozenset[str]
    window_seconds: float
    confidence: dict[str, float]
    levels: dict[str, float]
    targets: tuple[re.Pattern[str], ...]
    ignored_hosts: frozenset[str]
    symptom_verbs: dict[str, str]


@lru_cache(maxsize=1)
def correlate_settings() -> CorrelateSettings:
    """The packaged correlation rules (loaded once)."""
    data = load_yaml(CORRELATE_FILE.read_text(encoding="utf-8"))
    try:
        return CorrelateSettings(
            symptom_categories=frozenset(data["symptom_categories"]),
            cause_categories=frozenset(data["cause_categories"]),
            window_seconds=float(data["window_seconds"]),
            confidence={key: float(value) for key, value in data["confidence"].items()},
            levels={key: float(value) for key, value in data["levels"].items()},
            targets=tuple(re.compile(regex, re.IGNORECASE) for regex in data["targets"]),
            ignored_hosts=frozenset(str(host).lower() for host in data["ignored_hosts"]),
            symptom_verbs=dict(data["symptom_verbs"]),
        )
    except (KeyError, TypeError, ValueError, re.error) as error:
        raise RuntimeError(f"{CORRELATE_FILE}: {error}") from error


def extract_targets(message: str) -> tuple[Target, ...]:
    """Every host and/or port a log line names as the other end of a connection, in order, without repeats."""
    found: dict[Target, None] = {}
    for regex in correlate_settings().targets:
        for match in regex.finditer(message):
            groups = match.groupdict()
            host = (groups.get("host") or "").strip("[]").lower() or None
            port_text = groups.get("port")
            port = int(port_text) if port_text and 0 < int(port_text) < 65536 else None
            if host is not None and host.isdigit():
                continue
            if host or port:
                found[Target(host, port)] = None
    # A bare port or a bare host adds nothing when a host:port holding it was found.
    ports_with_host = {target.port for target in found if target.host and target.port}
    hosts_with_port = {target.host for target in found if target.host and target.port}
    return tuple(target for target in found
                 if (target.host and target.port)
                 or (target.host and target.host not in hosts_with_port)
                 or (not target.host and target.port not in ports_with_host))


def root_cause_hints(observations: Iterable[Observation], states: Sequence["ContainerState"], *,
                     window_seconds: float | None = None) -> list[RootCauseHint]:
    """Hints linking symptoms in ``observations`` to failing containers in ``states``, most confident first.

    ``observations`` are every container's (log, state and event ones: the state and
    event ones say which containers are failing); ``states`` the current snapshot.
    One hint per symptom issue and cause container, the strongest.
    """
    settings = correlate_settings()
    window = settings.window_seconds if window_seconds is None else window_seconds
    observations = list(observations)
    troubles: dict[str, list[Observation]] = {}
    for observation in observations:
        if observation.category in settings.cause_categories:
            troubles.setdefault(observation.container.id, []).append(observation)
    by_id = {state.id: state for state in states}
    best: dict[tuple[str, str], RootCauseHint] = {}
    for symptom in observations:
        if symptom.category not in settings.symptom_categories:
            continue
        targets = extract_targets(symptom.message)
        symptom_state = by_id.get(symptom.container.id)
        for candidate in states:
            if candidate.id == symptom.container.id:
                continue
            hint = _hint(symptom, symptom_state, candidate, targets, troubles.get(candidate.id, []), window)
            if hint is None:
                continue
            key = (hint.symptom_issue_id, candidate.id)
            if key not in best or hint.confidence > best[key].confidence:
                best[key] = hint
    return sorted(best.values(), key=lambda hint: (-hint.confidence, hint.symptom_container, hint.cause_container))


def _hint(symptom: Observation, symptom_state: "ContainerState | None", candidate: "ContainerState",
          targets: tuple[Target, ...], candidate_observations: list[Observation],
          window: float) -> RootCauseHint | None:
    settings = correlate_settings()
    weights = settings.confidence
    link, target = _link(targets, symptom_state, candidate)
    if link is None:
        return None
    recent = [observation for observation in candidate_observations
              if _near(observation.timestamp, symptom.timestamp, window)]
    trouble = _trouble_text(candidate, recent, symptom.timestamp, window)
    verb = settings.symptom_verbs.get(symptom.category, "could not reach")
    who = symptom.container.display_name
    name = candidate.compose_service or candidate.name
    where = str(target) if target is not None else name
    if trouble is not None:
        confidence = weights[f"{link}_and_trouble"] if link != "localhost_port" else weights["localhost_port"]
        if link == "dependency":
            reason = f"{who} depends on {name} (compose depends_on) and {verb} it, while {trouble}."
        elif link == "port":
            reason = f"{who} {verb} {where}, a port {name} exposes, while {trouble}."
        elif link == "localhost_port":
            reason = (f"{who} {verb} {where}: inside a container that is {who} itself. {name} exposes that port "
                      f"(and {trouble}): connect to {name}:{target.port if target else ''} instead.")
        else:
            reason = f"{who} {verb} {where} while {trouble}: fix {name} first."
    elif link == "host":
        confidence = weights["host_but_running"]
        port = f" on port {target.port}" if target is not None and target.port else ""
        reason = (f"{who} {verb} {where}, but {name} is running: check that it listens on 0.0.0.0{port}, "
                  f"that both are on one network, and that it is ready before {who} connects.")
    elif link == "localhost_port":
        confidence = weights["localhost_port"]
        reason = (f"{who} {verb} {where}: inside a container that is {who} itself. {name} exposes port "
                  f"{target.port if target else ''}: connect to {name}:{target.port if target else ''} instead.")
    else:
        return None
    return RootCauseHint(
        symptom_issue_id=issue_id(symptom),
        symptom_container=symptom.container.name,
        symptom_category=symptom.category,
        symptom_message=symptom.message,
        cause_container=candidate.name,
        cause_container_id=candidate.id,
        cause_issue_ids=tuple(dict.fromkeys(issue_id(observation) for observation in recent)),
        reason=reason,
        confidence=confidence,
        target=str(target) if target is not None else None,
    )


def _link(targets: tuple[Target, ...], symptom_state: "ContainerState | None",
          candidate: "ContainerState") -> tuple[str | None, Target | None]:
    """The strongest link from the symptom to the candidate: host, ip, localhost_port, dependency or port."""
    ignored = correlate_settings().ignored_hosts
    names = candidate.aliases
    addresses = {attachment.ip_address for attachment in candidate.networks if attachment.ip_address}
    ports = {port.private_port for port in candidate.ports} | {port.public_port for port in candidate.ports
                                                               if port.public_port}
    for target in targets:
        if target.host and target.host in names:
            return "host", target
    for target in targets:
        if target.host and target.host in addresses:
            return "ip", target
    for target in targets:
        if target.host in ("localhost", "127.0.0.1", "::1") and target.port in ports:
            return "localhost_port", target
    if symptom_state is not None and candidate.compose_service and candidate.compose_service in symptom_state.depends_on \
            and candidate.compose_project == symptom_state.compose_project:
        named = [target for target in targets if target.host and target.host not in ignored]
        if not named:
            return "dependency", None
    for target in targets:
        if target.port in ports and (target.host is None or target.host in ignored):
            return "port", target
    return None, None


def _near(first: datetime | None, second: datetime | None, window: float) -> bool:
    if first is None or second is None:
        return True
    return abs((first - second).total_seconds()) <= window


def _trouble_text(candidate: "ContainerState", recent: list[Observation], when: datetime | None,
                  window: float) -> str | None:
    """What was wrong with the candidate around ``when``, as a clause; None when it looked fine."""
    clauses = list(dict.fromkeys(observation.message for observation in recent))
    if clauses:
        return " and ".join(clauses[:3])  # the observations already say it better than the status
    if candidate.status in _DOWN_STATUSES:
        still_down = candidate.finished_at is None or when is None or \
            (candidate.finished_at - when).total_seconds() <= window
        if still_down:
            code = f" (exit code {candidate.exit_code})" if candidate.status == "exited" and candidate.exit_code else ""
            clauses.append(f"{candidate.name} is {candidate.status}{code}")
    elif candidate.health_status == "unhealthy":
        clauses.append(f"{candidate.name} is unhealthy")
    if not clauses:
        return None
    return " and ".join(clauses[:3])
