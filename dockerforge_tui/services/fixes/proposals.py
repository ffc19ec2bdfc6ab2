"""Fix proposals: typed operations that answer one issue, with their risk, preview and how success is checked.

A :class:`Proposal` is made by the pattern rules (``rules.yaml``: an OOM kill gets a
higher memory limit, a port clash a freed or moved port...), parsed from an AI answer
(:mod:`~dockerforge_tui.services.fixes.ai_answers`) or written by hand. Its risk is the
highest of its operations' (downtime, data loss, privilege); its status history says
what happened to it (proposed, applied, succeeded, failed, rolled back...).
"""

from __future__ import annotations

import math
import re
import socket
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.yaml_data import load_yaml
from dockerforge_tui.services.fixes.operations import (
    FreePort, Operation, Recreate, Restart, Risk, UpdateResources, operation_from_dict, risk_rank,
)
from dockerforge_tui.services.fixes.recreate import ContainerChanges
from dockerforge_tui.services.issues.fingerprint import fingerprint_hash, issue_id
from dockerforge_tui.services.issues.recommend import format_bytes, port_from_message, port_holders

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.models import Observation, SuggestedAction

RULES_FILE = Path(__file__).with_name("rules.yaml")
MIB = 1024 * 1024
PROPOSAL_ID_LENGTH = 8
STATUSES: tuple[str, ...] = ("proposed", "rejected", "applying", "applied", "succeeded", "failed", "rolled_back",
                             "rollback_failed")
"""``proposed`` -> ``applying`` -> ``applied`` (verifying) -> ``succeeded`` or ``failed``; ``rolled_back``
after a rollback (on request, or when a step failed); ``rollback_failed`` when even that went wrong;
``rejected`` by a person."""
APPLICABLE_STATUSES = frozenset({"proposed", "rolled_back"})
"""A proposal in one of these may be applied (again)."""
ROLLBACK_STATUSES = frozenset({"applied", "succeeded", "failed", "rollback_failed"})
"""A proposal in one of these has changes that a rollback can undo."""
SOURCE_KINDS: tuple[str, ...] = ("rule", "ai", "manual")


@dataclass(frozen=True)
class FixSource:
    """Where a proposal came from: a pattern rule, an AI answer (template, version, call) or a person."""

    kind: str
    """``rule``, ``ai`` or ``manual``."""
    rule_id: str | None = None
    template: str | None = None
    template_version: int | None = None
    call_id: str | None = None

    @property
    def label(self) -> str:
        """``rule oom.update_memory``, ``ai diagnose v2``, ``manual``."""
        if self.kind == "rule":
            return f"rule {self.rule_id}"
        if self.kind == "ai":
            version = f" v{self.template_version}" if self.template_version is not None else ""
            return f"ai {self.template or '?'}{version}"
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "rule_id": self.rule_id, "template": self.template,
                "template_version": self.template_version, "call_id": self.call_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FixSource":
        """Read :meth:`to_dict`'s form."""
        version = data.get("template_version")
        return cls(str(data.get("kind") or "manual"), data.get("rule_id"), data.get("template"),
                   int(version) if version is not None else None, data.get("call_id"))


@dataclass(frozen=True)
class VerificationPlan:
    """How success is checked after applying: containers running (and healthy) long enough, the error gone."""

    containers: tuple[str, ...]
    running_seconds: float
    require_healthy: bool = True
    """Containers with a health check must end healthy."""
    absent_patterns: tuple[str, ...] = ()
    """Pattern ids (``container.oom_killed``, a log pattern) that must not show up again since the apply."""

    def steps(self) -> list[str]:
        """The checks, in words."""
        names = ", ".join(self.containers) or "(no container)"
        steps = [f"{names} running for {self.running_seconds:g} s without a restart"
                 + (" and healthy (when they have a health check)" if self.require_healthy else "")]
        if self.absent_patterns:
            steps.append(f"no new {', '.join(self.absent_patterns)} in the logs or state since the fix")
        return steps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"containers": list(self.containers), "running_seconds": self.running_seconds,
                "require_healthy": self.require_healthy, "absent_patterns": list(self.absent_patterns)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "VerificationPlan":
        """Read :meth:`to_dict`'s form."""
        return cls(tuple(data.get("containers") or ()), float(data.get("running_seconds") or 0),
                   bool(data.get("require_healthy", True)), tuple(data.get("absent_patterns") or ()))


@dataclass(frozen=True)
class StatusChange:
    """One step in a proposal's life."""

    status: str
    at: datetime
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"status": self.status, "at": _iso(self.at), "note": self.note}


@dataclass(frozen=True)
class Proposal:
    """A fix for one issue: operations, their risk and preview, and how success is checked."""

    id: str
    summary: str
    containers: tuple[str, ...]
    """The selection: the containers (and compose ``project/service``) the fix is for; operations touching
    anything else are refused unless the person allows it."""
    operations: tuple[Operation, ...]
    verification: VerificationPlan
    source: FixSource
    created_at: datetime
    issue_id: str | None = None
    issue_fingerprint: str | None = None
    category: str | None = None
    advice: tuple[str, ...] = ()
    """What an AI answer said that maps to no operation: shown, never run."""
    preview: str = ""
    """The operations' previews (config diff, file diff) as they were when proposed."""
    status: str = "proposed"
    history: tuple[StatusChange, ...] = field(default=())

    @property
    def container(self) -> str:
        """The main container (the first of the selection)."""
        return self.containers[0] if self.containers else ""

    @property
    def risks(self) -> tuple[Risk, ...]:
        """Every operation's risk contributions, in order."""
        return tuple(risk for operation in self.operations for risk in operation.risks())

    @property
    def risk(self) -> str:
        """``low``, ``medium`` or ``high``: the highest contribution (``low`` for none)."""
        return max((risk.level for risk in self.risks), key=risk_rank, default="low")

    @property
    def reversible(self) -> bool:
        """True when every operation can be rolled back."""
        return all(operation.reversible for operation in self.operations)

    @property
    def actionable(self) -> bool:
        """True when there is anything to apply (an advice-only answer has no operations)."""
        return bool(self.operations)

    def with_status(self, status: str, at: datetime | None = None, note: str = "") -> "Proposal":
        """A copy with a new status appended to the history."""
        if status not in STATUSES:
            raise ValueError(f"unknown fix status {status!r}")
        moment = at or datetime.now(timezone.utc)
        return replace(self, status=status, history=(*self.history, StatusChange(status, moment, note)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``--format json`` prints and the store keeps)."""
        return {
            "id": self.id, "container": self.container, "containers": list(self.containers),
            "summary": self.summary, "risk": self.risk, "risks": [risk.to_dict() for risk in self.risks],
            "reversible": self.reversible, "status": self.status,
            "operations": [{**operation.to_dict(), "description": operation.describe()}
                           for operation in self.operations],
            "advice": list(self.advice), "preview": self.preview,
            "verification": self.verification.to_dict(), "source": self.source.to_dict(),
            "issue": {"id": self.issue_id, "fingerprint": self.issue_fingerprint, "category": self.category},
            "created_at": _iso(self.created_at), "history": [change.to_dict() for change in self.history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Proposal":
        """Read :meth:`to_dict`'s form; :class:`UsageError` for an operation that is not valid."""
        issue = data.get("issue") or {}
        return cls(
            id=str(data["id"]), summary=str(data.get("summary") or ""),
            containers=tuple(data.get("containers") or ()),
            operations=tuple(operation_from_dict(item) for item in data.get("operations") or ()),
            verification=VerificationPlan.from_dict(data.get("verification") or {}),
            source=FixSource.from_dict(data.get("source") or {}),
            created_at=_time(data.get("created_at")) or datetime.now(timezone.utc),
            issue_id=issue.get("id"), issue_fingerprint=issue.get("fingerprint"), category=issue.get("category"),
            advice=tuple(data.get("advice") or ()), preview=str(data.get("preview") or ""),
            status=str(data.get("status") or "proposed"),
            history=tuple(StatusChange(str(item["status"]), _time(item["at"]) or datetime.now(timezone.utc),
                                       str(item.get("note") or "")) for item in data.get("history") or ()),
        )


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _time(text: Any) -> datetime | None:
    if not text:
        return None
    value = str(text)
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def new_proposal_id() -> str:
    """A fresh short id (hex); a unique prefix of it names the proposal on the command line."""
    return uuid.uuid4().hex[:PROPOSAL_ID_LENGTH]


# --- the pattern rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixRule:
    """One way to fix a category, from ``rules.yaml``."""

    id: str
    category: str
    needs: tuple[str, ...]
    summary: str
    operations: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class RuleSettings:
    """``rules.yaml``: the rules by category and the tuning values."""

    rules: Mapping[str, tuple[FixRule, ...]]
    memory_factor: float
    minimum_memory: int
    free_port_search: int
    running_seconds: float
    poll_interval: float
    log_tail: int
    ai_aliases: Mapping[str, str]
    """Every word an AI answer may use for an operation kind -> the kind."""


@lru_cache(maxsize=1)
def rule_settings() -> RuleSettings:
    """``rules.yaml``, read and checked once; a malformed file raises ``RuntimeError`` naming it."""
    data = load_yaml(RULES_FILE.read_text(encoding="utf-8")) or {}
    try:
        rules = {
            str(category): tuple(FixRule(str(raw["id"]), str(category), tuple(raw.get("needs") or ()),
                                         str(raw["summary"]), tuple(raw["operations"]))
                                 for raw in entries)
            for category, entries in (data.get("rules") or {}).items()
        }
        verification = data.get("verification") or {}
        aliases = {str(word).lower(): str(kind) for kind, words in (data.get("ai_aliases") or {}).items()
                   for word in words}
        return RuleSettings(rules, float(data["memory_factor"]), int(data["minimum_memory"]),
                            int(data["free_port_search"]), float(verification["running_seconds"]),
                            float(verification["poll_interval"]), int(verification["log_tail"]), aliases)
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(f"{RULES_FILE}: malformed: {error!r}") from error


_WHOLE_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill_template(value: Any, values: Mapping[str, Any]) -> Any:
    """Fill ``{name}`` placeholders through lists and mappings; a whole-string placeholder keeps the value's type."""
    if isinstance(value, str):
        whole = _WHOLE_PLACEHOLDER.match(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), value)
    if isinstance(value, Mapping):
        return {key: fill_template(item, values) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill_template(item, values) for item in value]
    return value


def new_memory_limit(current: int | None, settings: RuleSettings | None = None) -> int:
    """The memory limit an OOM fix sets: the old one times the factor, at least the minimum, whole MiB."""
    settings = settings or rule_settings()
    wanted = max(settings.minimum_memory, int(current * settings.memory_factor) if current else 0)
    return math.ceil(wanted / MIB) * MIB


def _host_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def next_free_port(port: int, states: Sequence["ContainerState"], search: int = 100) -> int | None:
    """The first host port after ``port`` that no container publishes and nothing here listens on."""
    published = {mapping.public_port for state in states for mapping in state.ports if mapping.public_port}
    for candidate in range(port + 1, min(port + 1 + search, 65536)):
        if candidate not in published and _host_port_free(candidate):
            return candidate
    return None


def rule_values(observation: "Observation", state: "ContainerState | None",
                states: Sequence["ContainerState"], settings: RuleSettings | None = None) -> dict[str, Any]:
    """The placeholder values a rule may need, for what is known about this container (see ``rules.yaml``)."""
    settings = settings or rule_settings()
    values: dict[str, Any] = {"container": observation.container.name}
    if state is not None:
        memory = new_memory_limit(state.memory_limit, settings)
        values.update(memory=memory, memory_human=format_bytes(memory))
        if state.memory_limit:
            values["current_memory"] = state.memory_limit
    port = port_from_message(observation.message)
    if port is None:
        detail = observation.detail("port")
        port = int(detail) if isinstance(detail, int) or (isinstance(detail, str) and detail.isdigit()) else None
    if port is not None:
        values["port"] = port
        holders = port_holders(port, states, exclude_ids=(observation.container.id,))
        if holders:
            values["holder"] = holders[0].name
        if state is not None:
            mapping = next((item for item in state.ports if item.public_port == port), None)
            if mapping is not None:
                values["container_port"] = mapping.private_port
                free = next_free_port(port, states, settings.free_port_search)
                if free is not None:
                    values["free_port"] = free
    return values


def proposals_for_observation(observation: "Observation", state: "ContainerState | None",
                              states: Sequence["ContainerState"] = (), *, now: datetime | None = None,
                              settings: RuleSettings | None = None) -> list[Proposal]:
    """Every rule's proposal for one observation whose values are known (gentlest first); none for other categories."""
    settings = settings or rule_settings()
    rules = settings.rules.get(observation.category) or ()
    if not rules:
        return []
    values = rule_values(observation, state, states, settings)
    now = now or datetime.now(timezone.utc)
    selection = [observation.container.name]
    if observation.container.compose_service:
        selection.append(observation.container.key)
    found = []
    for rule in rules:
        if any(name not in values for name in rule.needs):
            continue
        operations = tuple(operation_from_dict(fill_template(dict(item), values)) for item in rule.operations)
        containers = list(selection)
        if "holder" in rule.needs:
            containers.append(str(values["holder"]))
        found.append(Proposal(
            id=new_proposal_id(), summary=str(fill_template(rule.summary, values)),
            containers=tuple(dict.fromkeys(containers)), operations=operations,
            verification=verification_for(observation, settings), source=FixSource("rule", rule_id=rule.id),
            created_at=now, issue_id=issue_id(observation), issue_fingerprint=fingerprint_hash(observation),
            category=observation.category,
        ).with_status("proposed", now, f"from rule {rule.id}"))
    return found


def verification_for(observation: "Observation", settings: RuleSettings | None = None,
                     running_seconds: float | None = None) -> VerificationPlan:
    """Check the observed container runs (and is healthy) and the observation's pattern stays away."""
    settings = settings or rule_settings()
    return VerificationPlan(
        containers=(observation.container.name,),
        running_seconds=settings.running_seconds if running_seconds is None else running_seconds,
        absent_patterns=(observation.pattern_id,) if observation.pattern_id else (),
    )


def manual_proposal(container: str, operations: Iterable[Operation], summary: str, *,
                    selection: Iterable[str] = (), running_seconds: float | None = None,
                    now: datetime | None = None) -> Proposal:
    """A proposal a person (or a script) wrote: the operations as given, for ``container`` (plus ``selection``)."""
    operations = tuple(operations)
    if not operations:
        raise UsageError("a fix needs at least one operation")
    now = now or datetime.now(timezone.utc)
    seconds = rule_settings().running_seconds if running_seconds is None else running_seconds
    return Proposal(id=new_proposal_id(), summary=summary,
                    containers=tuple(dict.fromkeys([container, *selection])), operations=operations,
                    verification=VerificationPlan((container,), seconds), source=FixSource("manual"),
                    created_at=now).with_status("proposed", now, "written by hand")


def operations_for_action(action: "SuggestedAction") -> tuple[Operation, ...]:
    """The operations of an issue's suggested action (``issues show`` lists them); none when it cannot be run.

    ``free_port`` held by a host process, not a container, has no operation: DockerForge
    does not kill host processes.
    """
    container = action.param("container")
    if action.kind == "restart" and container:
        return (Restart(str(container)),)
    if action.kind == "recreate_with_memory" and container and action.param("memory"):
        return (Recreate(str(container), ContainerChanges(memory=int(action.param("memory") or 0))),)
    if action.kind == "update_restart_policy" and container:
        policy = f"{action.param('policy') or 'on-failure'}:{action.param('max_retries') or 5}"
        return (UpdateResources(str(container), restart_policy=policy),)
    if action.kind == "free_port" and action.param("holder_container") and action.param("port"):
        return (FreePort(int(action.param("port") or 0), str(action.param("holder_container")),
                         str(action.param("protocol") or "tcp")),)
    return ()
