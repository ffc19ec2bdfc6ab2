"""The fix workflow: propose, check, apply step by step with rollback, verify, and undo on request.

:class:`FixService` is what the CLI and the dashboard call (every method blocks: run
it in a thread worker). It keeps every proposal and outcome in the
:class:`~dockerforge_tui.services.fixes.store.FixStore` and tells subscribers what
happened through plain callables (:meth:`FixService.subscribe`), so a notification
dispatcher can listen without this package knowing it exists.

Applying a proposal:

1. the safety check (:mod:`~dockerforge_tui.services.fixes.safety`) refuses what
   needs an opt-in the person did not give;
2. everything a rollback needs is read and saved in the store before any change;
3. the operations run in order, reporting each step to ``on_progress``; the first
   failure stops them and rolls back what was done, newest first;
4. the verification plan runs (containers running and healthy for N seconds, the
   error pattern absent from the new logs) and marks the fix succeeded or failed.

A dry run reads the engine only: it returns the steps and the preview, changes
nothing and records nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from dockerforge_tui.core.errors import DockerForgeError, NotFoundError, UsageError
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.fixes.engine import FixEngine
from dockerforge_tui.services.fixes.operations import Operation, Progress
from dockerforge_tui.services.fixes.proposals import (
    APPLICABLE_STATUSES, ROLLBACK_STATUSES, FixSource, Proposal, VerificationPlan, new_proposal_id,
    proposals_for_observation, rule_settings, verification_for,
)
from dockerforge_tui.services.fixes.safety import Refusal, SafetyOptions, check_operations, require_safe
from dockerforge_tui.services.fixes.store import FixStore, RollbackData
from dockerforge_tui.services.fixes.verification import VerificationResult, verify

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.models import Observation
    from dockerforge_tui.services.issues.store import IssueStore

log = logging.getLogger(__name__)

EVENT_KINDS: tuple[str, ...] = ("proposed", "applied", "succeeded", "failed", "rolled_back", "rejected")


@dataclass(frozen=True)
class FixEvent:
    """Something happened to a proposal: ``proposed``, ``applied``, ``succeeded``, ``failed``, ``rolled_back``,
    ``rejected``. ``message`` says why for ``failed``."""

    kind: str
    proposal: Proposal
    message: str = ""


FixListener = Callable[[FixEvent], None]


@dataclass(frozen=True)
class ApplyResult:
    """How applying a proposal went."""

    proposal: Proposal
    """The proposal as stored afterwards (its status says the outcome)."""
    dry_run: bool = False
    steps: tuple[str, ...] = ()
    """The steps taken, or for a dry run those that would be."""
    verification: VerificationResult | None = None
    error: DockerForgeError | None = None
    """The failure that stopped the apply (its steps were rolled back)."""
    rollback_error: DockerForgeError | None = None

    @property
    def ok(self) -> bool:
        """True for a dry run or a fix that applied and verified."""
        return self.dry_run or (self.error is None and (self.verification is None or self.verification.ok))


def _no_progress(_: str) -> None:
    return None


@dataclass
class FixService:
    """Propose, apply, verify and roll back fixes on one engine (see the module docs).

    ``clock``/``sleep`` drive the verification (pass fakes in tests); ``running_seconds``
    overrides the plans' verification time (``fix apply --verify-seconds``);
    ``ai_outcome`` receives ``(call_id, accepted)`` when an AI-proposed fix succeeds or
    fails (``UsageLedger.record_fix_outcome``).
    """

    store: FixStore
    engine: FixEngine | None
    """None for what needs no engine (rejecting, listing)."""
    redactor: Redactor = field(default_factory=Redactor)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    running_seconds: float | None = None
    ai_outcome: Callable[[str, bool], Any] | None = None
    patterns: Any = None
    issues: "IssueStore | None" = None
    """Where the observations a fresh analysis finds are recorded (so a proposal's issue id resolves)."""
    listeners: list[FixListener] = field(default_factory=list)

    def _connected(self) -> FixEngine:
        if self.engine is None:
            raise UsageError("this needs a connection to the engine", hint="create the FixService with a FixEngine")
        return self.engine

    # --- events -----------------------------------------------------------------------------------

    def subscribe(self, listener: FixListener) -> Callable[[], None]:
        """Call ``listener`` with every :class:`FixEvent`; returns a function that unsubscribes it."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None

    def _emit(self, kind: str, proposal: Proposal, message: str = "") -> None:
        event = FixEvent(kind, proposal, message)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a subscriber's bug must not break a fix half-way
                log.exception("a fix event listener failed on %s %s", kind, proposal.id)

    # --- proposing --------------------------------------------------------------------------------

    def propose_for(self, container: str | None = None, observation: "Observation | None" = None, *,
                    tail: int | None = None) -> list[Proposal]:
        """Proposals for one observation, or for a container analysed now (its logs and state); saved and announced.

        A proposal already waiting for the same issue and rule is returned again instead
        of a duplicate. Raises :class:`NotFoundError` when the container does not exist.
        """
        states = self._connected().states()
        if observation is not None:
            observations = [observation]
            target = _find_state(states, observation.container.id) or _find_state(states, observation.container.name)
        else:
            if not container:
                raise UsageError("propose_for needs a container or an observation")
            target = _find_state(states, container)
            if target is None:
                raise NotFoundError(f"no container named or with id {container!r}",
                                    hint="list containers with `docker ps -a`")
            observations = self._analyse(target, states, tail)
            if self.issues is not None and observations:
                try:
                    self.issues.record(observations)
                except (DockerForgeError, OSError) as error:  # the proposals matter more than the bookkeeping
                    log.warning("could not record the issues of %s: %s", target.name, error)
        # One finding often has several witnesses (the OOM flag, exit code 137, a log line): one proposal per
        # container and rule, checking that none of their patterns comes back.
        merged: dict[tuple[str, str | None], Proposal] = {}
        for found in observations:
            state = _find_state(states, found.container.id) or target
            for proposal in proposals_for_observation(found, state, states):
                if self.running_seconds is not None:
                    proposal = replace(proposal, verification=replace(proposal.verification,
                                                                      running_seconds=self.running_seconds))
                key = (found.container.name, proposal.source.rule_id)
                if key in merged:
                    earlier = merged[key]
                    patterns = tuple(dict.fromkeys(earlier.verification.absent_patterns
                                                   + proposal.verification.absent_patterns))
                    merged[key] = replace(earlier, verification=replace(earlier.verification,
                                                                        absent_patterns=patterns))
                else:
                    merged[key] = proposal
        return [self._record_new(proposal) for proposal in merged.values()]

    def _analyse(self, target: "ContainerState", states: Sequence["ContainerState"],
                 tail: int | None) -> list["Observation"]:
        from dockerforge_tui.services.docker.log_reader import read_logs
        from dockerforge_tui.services.issues.analysis import analyze_containers

        logs = read_logs(self._connected().api, target.id, tail=tail or rule_settings().log_tail)
        analysis = analyze_containers([target], {target.id: list(logs.lines)},
                                      timestamps={target.id: list(logs.times)}, patterns=self.patterns,
                                      host_listeners=None)
        return list(analysis.observations)

    def _record_new(self, proposal: Proposal) -> Proposal:
        rule = proposal.source.rule_id
        for waiting in self.store.list(status="proposed"):
            if (rule is not None and waiting.source.rule_id == rule
                    and waiting.issue_fingerprint == proposal.issue_fingerprint):
                return waiting
        proposal = replace(proposal, preview=self.preview(proposal))
        self.store.save(proposal)
        self._emit("proposed", proposal)
        return proposal

    def propose_from_ai(self, answer: str, container: str, *, template: str | None = None,
                        template_version: int | None = None, call_id: str | None = None,
                        observation: "Observation | None" = None) -> Proposal:
        """A proposal from an AI answer about ``container``: its operations (to review) and advice (only shown)."""
        from dockerforge_tui.services.fixes.ai_answers import parse_answer
        from dockerforge_tui.services.issues.fingerprint import fingerprint_hash, issue_id

        parsed = parse_answer(answer, container)
        now = datetime.now(timezone.utc)
        plan = (verification_for(observation, running_seconds=self.running_seconds) if observation is not None
                else VerificationPlan((container,), self.running_seconds if self.running_seconds is not None
                                      else rule_settings().running_seconds))
        summary = parsed.summary or "; ".join(operation.describe() for operation in parsed.operations) or \
            "Advice only: nothing here can be applied"
        proposal = Proposal(
            id=new_proposal_id(), summary=summary, containers=(container,), operations=parsed.operations,
            verification=plan, source=FixSource("ai", template=template, template_version=template_version,
                                                 call_id=call_id),
            created_at=now, issue_id=issue_id(observation) if observation else None,
            issue_fingerprint=fingerprint_hash(observation) if observation else None,
            category=observation.category if observation else None, advice=parsed.advice,
        ).with_status("proposed", now, f"from an AI answer ({call_id or 'no call id'})")
        proposal = replace(proposal, preview=self.preview(proposal))
        self.store.save(proposal)
        self._emit("proposed", proposal)
        return proposal

    def preview(self, proposal: Proposal) -> str:
        """Every operation's preview, as the engine and files are now (numbered when there are several)."""
        parts = []
        for index, operation in enumerate(proposal.operations, 1):
            try:
                text = operation.preview(self._connected(), self.redactor)
            except DockerForgeError as error:
                text = f"(no preview: {error.message})"
            if text:
                heading = f"# {index}. {operation.describe()}\n" if len(proposal.operations) > 1 else ""
                parts.append(heading + text.rstrip("\n"))
        return "\n".join(parts)

    def check(self, proposal: Proposal, options: SafetyOptions = SafetyOptions()) -> tuple[Refusal, ...]:
        """What the safety check would refuse for ``proposal`` with ``options``."""
        return check_operations(proposal.operations, proposal.containers, options)

    # --- applying ---------------------------------------------------------------------------------

    def apply(self, proposal: Proposal | str, *, dry_run: bool = False, options: SafetyOptions = SafetyOptions(),
              on_progress: Progress | None = None, verify_after: bool = True) -> ApplyResult:
        """Apply a proposal (or its id) as the module docs describe; blocking.

        Raises :class:`SafetyRefusedError` when the safety check refuses, :class:`UsageError`
        when the proposal is not in a state to apply (rejected, already applied) or has
        nothing to apply. A failing step does not raise: the result carries the error and
        the proposal's status says whether the rollback worked.
        """
        progress = on_progress or _no_progress
        proposal = self.store.get(proposal if isinstance(proposal, str) else proposal.id)
        if not proposal.actionable:
            raise UsageError(f"fix {proposal.id} is advice only: it has nothing to apply",
                             hint="read its advice with `dockerforge fix show " + proposal.id + "`")
        if proposal.status not in APPLICABLE_STATUSES:
            raise UsageError(f"fix {proposal.id} is {proposal.status}: it cannot be applied now",
                             hint="roll it back first (`dockerforge fix rollback ID`) or propose a new fix")
        require_safe(proposal.operations, proposal.containers, options)
        engine = self._connected()
        if engine.readonly and not dry_run:
            from dockerforge_tui.services.audit import READONLY_HINT, ReadOnlyError

            raise ReadOnlyError(f"read-only mode: refusing to apply fix {proposal.id}", hint=READONLY_HINT)
        if dry_run:
            steps = tuple(f"{index}{'' if len(plan) == 1 else chr(ord('a') + part)}. {step}"
                          for index, operation in enumerate(proposal.operations, 1)
                          for plan in [operation.plan()] for part, step in enumerate(plan))
            return ApplyResult(replace(proposal, preview=self.preview(proposal)), dry_run=True, steps=steps)

        previous = proposal.status
        proposal = self.store.claim(proposal.id, APPLICABLE_STATUSES, "applying")
        try:
            captured = [operation.capture(engine) for operation in proposal.operations]
        except DockerForgeError as error:  # nothing changed yet: back to where it was
            self.store.set_status(proposal.id, previous, f"not applied: {error.message}")
            raise
        applied: list[dict[str, Any]] = [{} for _ in proposal.operations]
        started_at = datetime.now(timezone.utc)
        self.store.save_rollback(proposal.id, RollbackData(tuple(captured), tuple(applied), started_at))
        steps: list[str] = []

        def step(text: str) -> None:
            steps.append(text)
            progress(text)

        for index, operation in enumerate(proposal.operations):
            try:
                operation.apply(engine, captured[index], applied[index], step)
            except Exception as failure:  # a bug half-way must still roll back what was done
                error = failure if isinstance(failure, DockerForgeError) else _unexpected(failure, proposal.id)
                self.store.save_rollback(proposal.id, RollbackData(tuple(captured), tuple(applied), started_at))
                step(f"step {index + 1} failed: {error.message}; rolling back")
                rollback_error = self._undo(proposal.operations[: index + 1], captured, applied, step)
                status = "rollback_failed" if rollback_error else "rolled_back"
                note = f"step {index + 1} ({operation.kind}) failed: {error.message}"
                if rollback_error:
                    note += f"; the rollback failed too: {rollback_error.message}"
                proposal = self.store.set_status(proposal.id, "failed", note)
                proposal = self.store.set_status(proposal.id, status, "after the failed apply")
                self._emit("failed", proposal, note)
                self._ai_outcome(proposal, False)
                return ApplyResult(proposal, steps=tuple(steps), error=error, rollback_error=rollback_error)
            self.store.save_rollback(proposal.id, RollbackData(tuple(captured), tuple(applied), started_at))
        proposal = self.store.set_status(proposal.id, "applied", f"{len(proposal.operations)} steps done")
        self._emit("applied", proposal)
        if not verify_after:
            return ApplyResult(proposal, steps=tuple(steps))
        return self._verify(proposal, started_at, step, steps)

    def _verify(self, proposal: Proposal, since: datetime, step: Progress, steps: list[str]) -> ApplyResult:
        plan = proposal.verification
        if self.running_seconds is not None:
            plan = replace(plan, running_seconds=self.running_seconds)
        step(f"verifying: {'; '.join(plan.steps())}")
        settings = rule_settings()
        result = verify(self._connected(), plan, since, clock=self.clock, sleep=self.sleep,
                        poll_interval=settings.poll_interval, log_tail=settings.log_tail, patterns=self.patterns)
        status = "succeeded" if result.ok else "failed"
        step(f"verification: {result.summary}")
        proposal = self.store.set_status(proposal.id, status, result.summary)
        self._emit(status, proposal, "" if result.ok else result.summary)
        self._ai_outcome(proposal, result.ok)
        return ApplyResult(proposal, steps=tuple(steps), verification=result)

    def _undo(self, operations: Iterable[Operation], captured: Sequence[dict[str, Any]],
              applied: Sequence[dict[str, Any]], step: Progress) -> DockerForgeError | None:
        """Roll back ``operations`` newest first; return the first failure (the others are still tried)."""
        first: DockerForgeError | None = None
        for index, operation in reversed(list(enumerate(operations))):
            if not operation.reversible:
                if applied[index]:
                    step(f"step {index + 1} ({operation.describe()}) cannot be undone; left as it is")
                continue
            try:
                operation.rollback(self._connected(), captured[index], applied[index], step)
            except Exception as failure:  # keep undoing the other steps whatever went wrong with this one
                error = failure if isinstance(failure, DockerForgeError) else _unexpected(failure, "rollback")
                step(f"rolling back step {index + 1} failed: {error.message}")
                first = first or error
        return first

    # --- afterwards ---------------------------------------------------------------------------------

    def rollback(self, proposal_id: str, on_progress: Progress | None = None) -> Proposal:
        """Undo an applied fix from the data saved before it ran; blocking.

        Raises :class:`UsageError` when the fix was never applied or is already rolled
        back, and the engine's error when a step of the rollback fails (the proposal is
        then ``rollback_failed``; fix the cause and run the rollback again).
        """
        progress = on_progress or _no_progress
        proposal = self.store.get(proposal_id)
        data = self.store.rollback_data(proposal.id)
        if proposal.status not in ROLLBACK_STATUSES or data is None:
            raise UsageError(f"fix {proposal.id} is {proposal.status}: there is nothing to roll back",
                             hint="only an applied fix can be rolled back")
        error = self._undo(proposal.operations, data.captured, data.applied, progress)
        if error is not None:
            proposal = self.store.set_status(proposal.id, "rollback_failed", error.message)
            self._emit("failed", proposal, f"rollback failed: {error.message}")
            raise error
        proposal = self.store.set_status(proposal.id, "rolled_back", "on request")
        self._emit("rolled_back", proposal)
        return proposal

    def reject(self, proposal_id: str, note: str = "") -> Proposal:
        """Mark a waiting proposal as rejected by a person."""
        proposal = self.store.get(proposal_id)
        if proposal.status != "proposed":
            raise UsageError(f"fix {proposal.id} is {proposal.status}: only a waiting fix can be rejected")
        proposal = self.store.set_status(proposal.id, "rejected", note or "rejected")
        self._emit("rejected", proposal)
        self._ai_outcome(proposal, False)
        return proposal

    def _ai_outcome(self, proposal: Proposal, accepted: bool) -> None:
        call_id = proposal.source.call_id
        if self.ai_outcome is None or proposal.source.kind != "ai" or not call_id:
            return
        try:
            self.ai_outcome(call_id, accepted)
        except (DockerForgeError, OSError) as error:  # the fix happened; a ledger hiccup is only logged
            log.warning("could not record the outcome of AI call %s: %s", call_id, error)


def _unexpected(failure: Exception, proposal_id: str) -> DockerForgeError:
    log.error("a step of fix %s failed unexpectedly", proposal_id, exc_info=failure)
    return DockerForgeError(f"{type(failure).__name__}: {failure}",
                            hint="this is a bug in DockerForge: please report it with `dockerforge doctor --bundle`")


def _find_state(states: Sequence["ContainerState"], reference: str) -> "ContainerState | None":
    wanted = reference.lstrip("/")
    for state in states:
        if state.name == wanted or state.id == wanted:
            return state
    matches = [state for state in states if len(wanted) >= 4 and state.id.startswith(wanted)]
    return matches[0] if len(matches) == 1 else None
