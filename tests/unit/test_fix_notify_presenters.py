"""The fix dialog's and the notification centre's pure presenters: words, colours and keys for each state."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from dockerforge_tui.core.errors import DockerAPIError, DockerForgeError
from dockerforge_tui.services.fixes import ApplyResult, Restart, VerificationResult, manual_proposal
from dockerforge_tui.services.fixes.safety import check_operations
from dockerforge_tui.services.notify import REASONS, NotificationLogEntry
from dockerforge_tui.ui.presenters import fixes as present_fixes
from dockerforge_tui.ui.presenters import notifications as present_notes

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
PALETTE = {"success": "#00ff00", "warning": "#ffaa00", "error": "#ff0000", "accent": "#0000ff",
           "text-muted": "#888888", "foreground": "#ffffff"}


def proposal(status: str = "proposed", advice: tuple[str, ...] = (), operations=None):
    made = manual_proposal("web", operations or [Restart("web")], "Restart web", now=NOW)
    made = replace(made, id="abc12345", status=status, advice=advice)
    return made if operations is None else replace(made, operations=tuple(operations))  # [] is advice only


def test_outcome_lines_say_what_happened_in_the_right_colour():
    applied = proposal("succeeded")
    assert present_fixes.outcome_line(ApplyResult(applied, dry_run=True)) == (
        "Dry run done: nothing was changed.", "accent")
    assert present_fixes.outcome_line(ApplyResult(applied, verification=VerificationResult(True))) == (
        "Applied and verified: verified. b rolls it back.", "success")
    line, colour = present_fixes.outcome_line(ApplyResult(applied, verification=VerificationResult(False, (
        "web restarted",))))
    assert line.startswith("Applied but not verified: web restarted") and colour == "error"
    assert present_fixes.outcome_line(ApplyResult(applied))[1] == "warning"
    failed = ApplyResult(applied, error=DockerAPIError("no such image"))
    assert present_fixes.outcome_line(failed) == ("Failed and rolled back: no such image", "error")
    worse = ApplyResult(applied, error=DockerAPIError("boom"), rollback_error=DockerForgeError("gone"))
    assert "the rollback failed too: gone" in present_fixes.outcome_line(worse)[0]


def test_key_hints_offer_only_what_applies_now():
    assert present_fixes.key_hints(proposal(), readonly=False, count=1) == \
        "a/enter approve  d dry run  r reject  v details  i ask AI  esc close"
    assert "read-only: refused" in present_fixes.key_hints(proposal(), readonly=True, count=2)
    assert "n next fix" in present_fixes.key_hints(proposal(), readonly=False, count=2)
    assert present_fixes.key_hints(proposal("succeeded"), readonly=False, count=1) == \
        "b roll back  v details  i ask AI  esc close"


def test_the_body_shows_advice_refusals_dry_run_steps_and_a_coloured_preview():
    advice_only = proposal(advice=("check the disk",), operations=[])
    body = present_fixes.dialog_body(advice_only, (), PALETTE)
    assert "Advice (shown only, never run)" in body.plain and "Nothing here can be applied." in body.plain
    two = proposal(operations=[Restart("web"), Restart("db")])
    refusals = check_operations(two.operations, two.containers)
    body = present_fixes.dialog_body(two, refusals, PALETTE, dry_run_steps=("1. restart web",), details=True)
    assert "step 2: restart changes db" in body.plain and "(--allow-other-containers)" in body.plain
    assert "Dry run: exactly these steps would run" in body.plain and "1. restart web" in body.plain
    assert "Risks" in body.plain and "History" in body.plain and "(no preview)" in body.plain
    preview = present_fixes.preview_text("--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same", PALETTE)
    styles = {span.style for span in preview.spans}
    assert {"#00ff00", "#ff0000", "#888888"} <= styles


def test_the_header_title_and_history_row():
    shown = proposal("succeeded")
    assert present_fixes.dialog_title(shown, 0, 2, None) == \
        "Fix abc12345 (1 of 2, n for the next) for: no tracked issue"
    assert present_fixes.dialog_title(replace(shown, issue_id="i1"), 0, 1, None) == "Fix abc12345 for: issue i1"
    header = present_fixes.dialog_header(shown, PALETTE)
    assert "LOW RISK" in header.plain and "status succeeded" in header.plain
    assert present_fixes.fix_cells(shown, NOW + timedelta(minutes=5)) == (
        "abc12345", "succeeded", "low", "web", "Restart web", "5m ago")


def entry(outcome: str, reason: str | None = None, via: str | None = None) -> NotificationLogEntry:
    return NotificationLogEntry(id="1", at=NOW, outcome=outcome, reason=reason, channel="mail", kind="issue_opened",
                                severity="critical", subject="[CRITICAL] Out of memory in db", group="mail|kind=x",
                                event_keys=("issue:i1",), issue_ids=("i1",), detail="goes out at 12:05:00 UTC",
                                via=via)


def test_notification_rows_detail_counts_and_filters():
    assert present_notes.notification_cells(entry("sent", "fell_back", via="hook"), NOW + timedelta(seconds=90)) == (
        "1m ago", "sent", "fell back", "mail->hook", "issue opened", "[CRITICAL] Out of memory in db")
    detail = present_notes.notification_detail(entry("suppressed", "grouped"), REASONS)
    assert "Why: grouped (held to be sent with its group)" in detail and "Issues: i1" in detail
    assert "Detail: goes out at 12:05:00 UTC" in detail
    rows = [entry("sent"), entry("suppressed", "throttled"), entry("suppressed", "grouped")]
    assert present_notes.counts_line(rows, None) == "notifications: 1 sent, 2 suppressed, 0 failed"
    assert present_notes.counts_line(rows, "sent").endswith("; showing sent only")
    assert [present_notes.next_outcome_filter(value) for value in (None, "sent", "suppressed", "failed")] == [
        "sent", "suppressed", "failed", None]
