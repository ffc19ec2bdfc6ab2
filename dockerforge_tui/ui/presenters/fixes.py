"""What the fix dialog and the fix history show, as pure functions of a proposal (no app, no engine)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Mapping

from rich.text import Text

from dockerforge_tui.services.fixes.proposals import APPLICABLE_STATUSES, ROLLBACK_STATUSES
from dockerforge_tui.ui.presenters.issues import ago

if TYPE_CHECKING:
    from dockerforge_tui.services.fixes import ApplyResult, Proposal, Refusal

RISK_COLOURS = {"low": "success", "medium": "warning", "high": "error"}
"""Theme variable per risk level."""
STATUS_COLOURS = {"succeeded": "success", "failed": "error", "rollback_failed": "error", "rolled_back": "warning",
                  "rejected": "text-muted", "applying": "accent", "applied": "accent", "proposed": "foreground"}
"""Theme variable per proposal status (the fix history)."""
PALETTE_NAMES = ("success", "warning", "error", "accent", "text-muted", "foreground")
"""The theme variables these presenters colour with: resolve them with ``theme_palette``."""

Palette = Mapping[str, str]


def _colour(palette: Palette, name: str | None) -> str:
    return palette.get(name or "", "")


def risk_text(risk: str, palette: Palette) -> Text:
    """``HIGH RISK`` in the risk's colour, bold."""
    return Text(f"{risk.upper()} RISK", style=f"bold {_colour(palette, RISK_COLOURS.get(risk))}".strip())


def dialog_title(proposal: "Proposal", index: int, count: int, issue_title: str | None) -> str:
    """The dialog's first line: which fix of how many, for which issue."""
    of = f" ({index + 1} of {count}, n for the next)" if count > 1 else ""
    answers = issue_title or (f"issue {proposal.issue_id}" if proposal.issue_id else "no tracked issue")
    return f"Fix {proposal.id}{of} for: {answers}"


def dialog_header(proposal: "Proposal", palette: Palette) -> Text:
    """Summary, risk (coloured), containers, source and status."""
    text = Text()
    text.append(proposal.summary, style="bold")
    text.append("\n")
    text.append_text(risk_text(proposal.risk, palette))
    text.append(f"   on {', '.join(proposal.containers) or '-'}   from {proposal.source.label}   "
                f"status {proposal.status}")
    if not proposal.reversible:
        text.append("   (some steps cannot be undone)", style=_colour(palette, "warning"))
    return text


def dialog_body(proposal: "Proposal", refusals: Iterable["Refusal"], palette: Palette, *, details: bool = False,
                dry_run_steps: Iterable[str] = ()) -> Text:
    """Steps, safety refusals, advice, how success is checked, the preview; with ``details`` the risks and history."""
    text = Text()

    def heading(title: str) -> None:
        if text:
            text.append("\n\n")
        text.append(title, style=f"bold {_colour(palette, 'accent')}".strip())

    if proposal.operations:
        heading("Steps")
        for number, operation in enumerate(proposal.operations, 1):
            text.append(f"\n  {number}. {operation.describe()}")
    refused = tuple(refusals)
    if refused:
        heading("Refused unless you allow it for this fix")
        for refusal in refused:
            text.append(f"\n  step {refusal.operation + 1}: {refusal.reason} ({refusal.flag})",
                        style=_colour(palette, "error"))
    if proposal.advice:
        heading("Advice (shown only, never run)")
        for advice in proposal.advice:
            text.append(f"\n  - {advice}")
    if not proposal.actionable:
        text.append("\n  Nothing here can be applied.", style=_colour(palette, "warning"))
    steps = tuple(dry_run_steps)
    if steps:
        heading("Dry run: exactly these steps would run (nothing was changed)")
        for step in steps:
            text.append(f"\n  {step}")
    heading("Success is checked by")
    for step in proposal.verification.steps():
        text.append(f"\n  - {step}")
    if details:
        heading("Risks")
        for risk in proposal.risks or ():
            text.append(f"\n  {risk.level:<6} {risk.kind}: {risk.reason}",
                        style=_colour(palette, RISK_COLOURS.get(risk.level)))
        if not proposal.risks:
            text.append("\n  none")
        heading("History")
        for change in proposal.history:
            note = f"  {change.note}" if change.note else ""
            text.append(f"\n  {change.at.strftime('%Y-%m-%d %H:%M:%S')}  {change.status}{note}")
    heading("Preview")
    text.append_text(preview_text(proposal.preview, palette))
    return text


def preview_text(preview: str, palette: Palette) -> Text:
    """A config diff or unified diff, added lines green, removed red, headings muted."""
    text = Text()
    if not preview.strip():
        text.append("\n  (no preview)", style=_colour(palette, "text-muted"))
        return text
    for line in preview.splitlines():
        style = ""
        if line.startswith(("+++", "---", "@@", "#")):
            style = _colour(palette, "text-muted")
        elif line.startswith("+"):
            style = _colour(palette, "success")
        elif line.startswith("-"):
            style = _colour(palette, "error")
        text.append("\n  ")
        text.append(line, style=style)
    return text


def outcome_line(result: "ApplyResult") -> tuple[str, str]:
    """(one line saying how applying went, the theme variable to colour it)."""
    proposal = result.proposal
    if result.dry_run:
        return "Dry run done: nothing was changed.", "accent"
    if result.error is not None:
        undone = ("rolled back" if result.rollback_error is None
                  else f"the rollback failed too: {result.rollback_error.message}")
        return f"Failed and {undone}: {result.error.message}", "error"
    if result.verification is None:
        return f"Applied ({proposal.status}); not verified.", "warning"
    if result.verification.ok:
        return f"Applied and verified: {result.verification.summary}. b rolls it back.", "success"
    return f"Applied but not verified: {result.verification.summary}. b rolls it back.", "error"


def key_hints(proposal: "Proposal", readonly: bool, count: int) -> str:
    """The keys that do something for this proposal now."""
    hints = []
    if proposal.actionable and proposal.status in APPLICABLE_STATUSES:
        hints.append("a/enter approve" if not readonly else "a approve (read-only: refused)")
        hints.append("d dry run")
    if proposal.status == "proposed":
        hints.append("r reject")
    if proposal.status in ROLLBACK_STATUSES:
        hints.append("b roll back")
    hints.append("v details")
    if count > 1:
        hints.append("n next fix")
    hints.append("i ask AI")
    hints.append("esc close")
    return "  ".join(hints)


def fix_cells(proposal: "Proposal", now: datetime) -> tuple[str, str, str, str, str, str]:
    """(id, status, risk, container, summary, changed) for one row of the fix history."""
    changed = proposal.history[-1].at if proposal.history else proposal.created_at
    return (proposal.id, proposal.status, proposal.risk, proposal.container, proposal.summary, ago(changed, now))
