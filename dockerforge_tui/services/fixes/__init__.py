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

The names below are imported on first use, so ``fix list`` or ``fix show`` (the store
only) do not load the Docker SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES: dict[str, str] = {
    "ParsedAnswer": "ai_answers", "parse_answer": "ai_answers",
    "FixEngine": "engine",
    "OPERATION_TYPES": "operations", "EditComposeFile": "operations", "FreePort": "operations",
    "Operation": "operations", "Prune": "operations", "Recreate": "operations", "Remove": "operations",
    "Restart": "operations", "Risk": "operations", "ScaleService": "operations", "Start": "operations",
    "Stop": "operations", "UpdateResources": "operations", "operation_from_dict": "operations",
    "STATUSES": "proposals", "FixSource": "proposals", "Proposal": "proposals", "VerificationPlan": "proposals",
    "manual_proposal": "proposals", "operations_for_action": "proposals", "proposals_for_observation": "proposals",
    "ContainerChanges": "recreate", "HealthcheckChange": "recreate", "PortChange": "recreate",
    "Refusal": "safety", "SafetyOptions": "safety", "SafetyRefusedError": "safety", "check_operations": "safety",
    "ApplyResult": "service", "FixEvent": "service", "FixService": "service",
    "FixStore": "store", "SuccessRate": "store", "default_fixes_path": "store",
    "VerificationResult": "verification", "verify": "verification",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
