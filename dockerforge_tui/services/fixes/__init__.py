"""Fixes: typed operations that answer an issue, checked for safety, applied with rollback, verified.

Typical use (the ``fix`` command; the dashboard does the same from a thread worker)::

    from dockerforge_tui.services.fixes import FixEngine, FixService, FixStore, SafetyOptions

    service = FixService(FixStore.for_paths(paths), FixEngine(connection, audit=audit))
    service.subscribe(listener)                          # FixEvent: proposed, applied, failed...
    proposals = service.propose_for("web")               # analyse web now and propose
    print(proposals[0].risk, proposals[0].preview)
    result = service.apply(proposals[0], dry_run=False, on_progress=print,
                           options=SafetyOptions(allow_privileges=False))
    service.rollback(proposals[0].id)

No shell string is ever run: operations are data (:mod:`.operations`), AI answers are
parsed into them or kept as advice (:mod:`.ai_answers`).
"""

from __future__ import annotations

from dockerforge_tui.services.fixes.ai_answers import ParsedAnswer, parse_answer
from dockerforge_tui.services.fixes.engine import FixEngine
from dockerforge_tui.services.fixes.operations import (
    OPERATION_TYPES, EditComposeFile, FreePort, Operation, Prune, Recreate, Remove, Restart, Risk, ScaleService,
    Start, Stop, UpdateResources, operation_from_dict,
)
from dockerforge_tui.services.fixes.proposals import (
    STATUSES, FixSource, Proposal, VerificationPlan, manual_proposal, proposals_for_observation,
)
from dockerforge_tui.services.fixes.recreate import ContainerChanges, HealthcheckChange, PortChange
from dockerforge_tui.services.fixes.safety import Refusal, SafetyOptions, SafetyRefusedError, check_operations
from dockerforge_tui.services.fixes.service import ApplyResult, FixEvent, FixService
from dockerforge_tui.services.fixes.store import FixStore, SuccessRate, default_fixes_path
from dockerforge_tui.services.fixes.verify import VerificationResult, verify

__all__ = [
    "OPERATION_TYPES", "STATUSES", "ApplyResult", "ContainerChanges", "EditComposeFile", "FixEngine", "FixEvent",
    "FixService", "FixSource", "FixStore", "FreePort", "HealthcheckChange", "Operation", "ParsedAnswer",
    "PortChange", "Proposal", "Prune", "Recreate", "Refusal", "Remove", "Restart", "Risk", "SafetyOptions",
    "SafetyRefusedError", "ScaleService", "Start", "Stop", "SuccessRate", "UpdateResources", "VerificationPlan",
    "VerificationResult", "check_operations", "default_fixes_path", "manual_proposal", "operation_from_dict",
    "parse_answer", "proposals_for_observation", "verify",
]
