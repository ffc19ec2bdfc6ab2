"""The fix dialog: a proposal, its risk and exact effect, approved (or not) from the keyboard.

Opened with proposals (the fix history), for an issue (``p`` on the Issues screen) or for
a container (``:fix NAME``); for the latter two the dialog proposes in a thread worker
first. It shows the issue the fix answers, the summary, the risk in its colour, the steps,
what the safety check refuses, advice that is only shown, how success will be checked and
the preview (a config diff or a unified diff), scrollable.

Keys: ``a``/Enter approve, ``r`` reject, ``d`` dry run (the exact steps, nothing changed),
``v`` details (risks, history), ``b`` roll back an applied fix, ``n`` the next proposal,
``i`` ask the AI provider for a fix (its typed operations become one more proposal to
review; whatever else it says, shell commands included, is advice only), Esc close. A high-risk fix wants the container's name typed back; a refused operation
wants ``allow`` typed back before it is allowed for this one fix. Read-only mode shows
proposals and refuses to apply them with one line saying why. Applying runs in a thread
worker through :class:`~dockerforge_tui.services.fixes.FixService`; its progress, outcome
and every failure reach the dialog as the messages below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.fixes.proposals import APPLICABLE_STATUSES, ROLLBACK_STATUSES
from dockerforge_tui.services.fixes.safety import SafetyOptions, check_operations
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters import fixes as present
from dockerforge_tui.ui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from dockerforge_tui.services.ai.assistant import Assistant, PreparedCall
    from dockerforge_tui.services.fixes import ApplyResult, FixService, Proposal, Refusal
    from dockerforge_tui.services.issues import Issue, Observation
    from dockerforge_tui.ui.services import DashboardServices

READONLY_REFUSAL = "read-only mode: fixes are shown, not applied (start without --readonly to apply them)"
ALLOW_WORD = "allow"
"""What is typed back to allow, for one fix, what the safety check refuses."""


def observation_of(issue: "Issue") -> "Observation":
    """The observation an issue stands for (same category, pattern, container and message: same fingerprint)."""
    from dockerforge_tui.services.issues.models import ContainerRef, Observation

    name = issue.containers[-1] if issue.containers else issue.container_key
    container = ContainerRef(name, name, issue.compose_project, issue.compose_service)
    return Observation(source=issue.sources[-1] if issue.sources else "state", category=issue.category,
                       severity=issue.severity, pattern_id=issue.pattern_id, container=container,
                       message=issue.message, timestamp=issue.last_seen, evidence=issue.evidence,
                       explanation=issue.explanation, recommendations=issue.recommendations, actions=issue.actions)


def proposals_for_issue(fixes: "FixService", issue: "Issue") -> list["Proposal"]:
    """Fixes already applied for ``issue`` (so they can be rolled back), then what the rules propose now."""
    applied = [proposal for proposal in fixes.store.list(status=ROLLBACK_STATUSES) if proposal.issue_id == issue.id]
    return applied + fixes.propose_for(observation=observation_of(issue))


class FixDialog(ModalScreen[None]):
    """Show proposals one at a time and apply, reject, dry-run or roll back the one shown (see the module docs)."""

    CSS_PATH = "../styles/fix_dialog.tcss"
    AUTO_FOCUS = "#fix-body"
    BINDINGS = [
        Binding("a,enter", "approve", "Approve", id="fix.approve", tooltip="Apply the fix shown (after any question)"),
        Binding("r", "reject", "Reject", id="fix.reject", tooltip="Mark the fix as rejected: it will not be applied"),
        Binding("d", "dry_run", "Dry run", id="fix.dry_run", tooltip="Show the exact steps; change nothing"),
        Binding("v", "toggle_details", "Details", id="fix.details", tooltip="Show the risks and the history"),
        Binding("b", "rollback", "Roll back", id="fix.rollback", tooltip="Undo an applied fix"),
        Binding("n", "next_fix", "Next fix", id="fix.next", tooltip="Show the next proposal"),
        Binding("i", "ask_ai", "Ask AI for a fix", id="fix.ask_ai",
                tooltip="Ask the AI provider for a fix in typed operations; the rest of its answer is advice"),
        Binding("escape", "close", "Close", id="fix.close"),
    ]

    # -- messages from the workers --------------------------------------------------------------------

    @dataclass
    class FixesProposed(Message):
        """The proposals a worker found for the issue or container."""

        proposals: tuple["Proposal", ...]

    @dataclass
    class FixProgressed(Message):
        """One step of an apply or a rollback."""

        proposal_id: str
        text: str

    @dataclass
    class FixApplied(Message):
        """Applying (or a dry run) ended; the result says how."""

        result: "ApplyResult"

    @dataclass
    class FixChanged(Message):
        """A proposal was rejected or rolled back."""

        proposal: "Proposal"
        text: str

    @dataclass
    class AIFixPrepared(Message):
        """The AI request for a fix is built: its estimate is known, nothing is sent yet."""

        prepared: "PreparedCall"

    @dataclass
    class AIFixProposed(Message):
        """The AI's answer, stored as a proposal to review."""

        proposal: "Proposal"

    @dataclass
    class FixFailed(Message):
        """A worker failed before any result: one line saying why."""

        text: str

    def __init__(self, proposals: Sequence["Proposal"] = (), *, issue: "Issue | None" = None,
                 container: str | None = None, services: "DashboardServices | None" = None) -> None:
        super().__init__()
        self._proposals: list[Proposal] = list(proposals)
        self._issue = issue
        self._container = container
        self._services = services
        self._index = 0
        self._details = False
        self._dry_run_steps: dict[str, tuple[str, ...]] = {}
        self._progress: list[str] = []
        self._status_line: tuple[str, str] = ("", "")
        self.busy = False
        """True while a worker applies, rolls back or proposes."""
        self._assistant: "Assistant | None" = None

    # -- layout ---------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="fix-box"):
            yield Static("", id="fix-title")
            yield Static("", id="fix-header")
            with VerticalScroll(id="fix-body"):
                yield Static("", id="fix-body-text")
            yield Static("", id="fix-progress")
            yield Static("", id="fix-keys")

    def on_mount(self) -> None:
        if not self._proposals and (self._issue is not None or self._container):
            self._status_line = (f"finding fixes for {self._subject()}…", "accent")
            self.busy = True
            self.propose()
        self._show()

    @property
    def services(self) -> "DashboardServices":
        """The dashboard's services (the app's unless given)."""
        return self._services or self.app.services

    @property
    def proposal(self) -> "Proposal | None":
        """The proposal shown."""
        return self._proposals[self._index] if self._proposals else None

    @property
    def readonly(self) -> bool:
        """True when the dashboard runs read-only."""
        return bool(getattr(self.app, "readonly", False) or self.services.readonly)

    def _subject(self) -> str:
        if self._issue is not None:
            return f"{self._issue.title} ({self._issue.container_key})"
        return self._container or "-"

    def _refusals(self, proposal: "Proposal") -> tuple["Refusal", ...]:
        return check_operations(proposal.operations, proposal.containers)

    def _show(self) -> None:
        titles = self.query("#fix-title").results(Static)
        title = next(titles, None)
        if title is None:  # a worker's message after the dialog closed
            return
        palette = theme_palette(self.app, present.PALETTE_NAMES)
        proposal = self.proposal
        if proposal is None:
            title.update(f"Fixes for {self._subject()}")
            self.query_one("#fix-header", Static).update("")
            waiting = self.busy
            self.query_one("#fix-body-text", Static).update(
                "" if waiting else "No fix DockerForge knows for this. i asks the AI for one.")
            self.query_one("#fix-keys", Static).update("i ask AI  esc close")
        else:
            issue_title = self._issue.title if self._issue is not None else None
            title.update(present.dialog_title(proposal, self._index, len(self._proposals), issue_title))
            self.query_one("#fix-header", Static).update(present.dialog_header(proposal, palette))
            self.query_one("#fix-body-text", Static).update(present.dialog_body(
                proposal, self._refusals(proposal), palette, details=self._details,
                dry_run_steps=self._dry_run_steps.get(proposal.id, ())))
            self.query_one("#fix-keys", Static).update(present.key_hints(proposal, self.readonly,
                                                                         len(self._proposals)))
        progress = Text("\n".join(self._progress[-6:]))
        line, colour = self._status_line
        if line:
            if progress:
                progress.append("\n")
            progress.append(line, style=f"bold {palette.get(colour, '')}".strip())
        shown = self.query_one("#fix-progress", Static)
        shown.update(progress)
        shown.display = bool(progress)

    def _say(self, line: str, colour: str = "warning") -> None:
        self._status_line = (line, colour)
        self._show()

    # -- workers ----------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fix-propose")
    def propose(self) -> None:
        """Propose fixes for the issue or container (analysing the container now)."""
        services, issue, container = self.services, self._issue, self._container
        try:
            if issue is not None:
                found = services.with_fixes(lambda fixes: proposals_for_issue(fixes, issue))
            else:
                found = services.with_fixes(lambda fixes: fixes.propose_for(container))
        except DockerForgeError as error:
            self.post_message(self.FixFailed(_one_line(error)))
            return
        self.post_message(self.FixesProposed(tuple(found)))

    @work(thread=True, exclusive=True, group="fix-apply")
    def run_apply(self, proposal_id: str, options: SafetyOptions, dry_run: bool) -> None:
        """Apply (or dry-run) one proposal, reporting each step."""
        def progress(text: str) -> None:
            self.post_message(self.FixProgressed(proposal_id, text))

        try:
            result = self.services.with_fixes(lambda fixes: fixes.apply(proposal_id, dry_run=dry_run,
                                                                        options=options, on_progress=progress))
        except DockerForgeError as error:
            self.post_message(self.FixFailed(_one_line(error)))
            return
        self.post_message(self.FixApplied(result))

    @work(thread=True, exclusive=True, group="fix-apply")
    def run_rollback(self, proposal_id: str) -> None:
        """Roll back one applied proposal, reporting each step."""
        def progress(text: str) -> None:
            self.post_message(self.FixProgressed(proposal_id, text))

        try:
            proposal = self.services.with_fixes(lambda fixes: fixes.rollback(proposal_id, on_progress=progress))
        except DockerForgeError as error:
            self.post_message(self.FixFailed(_one_line(error)))
            return
        self.post_message(self.FixChanged(proposal, "Rolled back: the container is as it was before the fix."))

    @work(thread=True, exclusive=True, group="fix-apply")
    def run_reject(self, proposal_id: str) -> None:
        """Mark one proposal as rejected (no engine needed)."""
        try:
            proposal = self.services.fix_service(None).reject(proposal_id, "rejected in the dashboard")
        except DockerForgeError as error:
            self.post_message(self.FixFailed(_one_line(error)))
            return
        self.post_message(self.FixChanged(proposal, "Rejected: it will not be applied."))

    def _ai_subject(self) -> tuple[str | None, "Observation | None"]:
        """The container the AI is asked about, and the finding when the dialog is about an issue."""
        if self._issue is not None:
            observation = observation_of(self._issue)
            return observation.container.name, observation
        proposal = self.proposal
        return self._container or (proposal.container if proposal is not None else None), None

    @work(thread=True, exclusive=True, group="fix-ai")
    def prepare_ai_fix(self, container: str, observation: "Observation | None") -> None:
        """Build the ``fix`` template's request (reads the container once) and estimate its cost."""
        from dockerforge_tui.services.fixes.ai_proposals import prepare_fix_request
        from dockerforge_tui.ui.screens.chat import assistant_factory

        try:
            assistant = self._assistant or assistant_factory(self.app)()
            self._assistant = assistant
            prepared = prepare_fix_request(assistant, container, observation=observation)
            assistant.refuse_if_over_budget(prepared)
        except DockerForgeError as error:
            self.post_message(self.FixFailed(_one_line(error)))
            return
        self.post_message(self.AIFixPrepared(prepared))

    @work(thread=True, exclusive=True, group="fix-ai")
    def fetch_ai_fix(self, prepared: "PreparedCall", container: str, observation: "Observation | None") -> None:
        """Send the request and store the answer as a proposal (its shell text stays advice)."""
        from dockerforge_tui.services.fixes.ai_proposals import fetch_fix_answer, proposal_from_answer

        try:
            answer, call_id = fetch_fix_answer(self._assistant, prepared)
            proposal = self.services.with_fixes(
                lambda fixes: proposal_from_answer(fixes, prepared, answer, call_id, container, observation))
        except DockerForgeError as error:
            self.post_message(self.FixFailed(_one_line(error)))
            return
        self.post_message(self.AIFixProposed(proposal))

    # -- what the workers report ------------------------------------------------------------------------

    @on(AIFixPrepared)
    def _ai_prepared(self, message: AIFixPrepared) -> None:
        prepared = message.prepared
        container, observation = self._ai_subject()
        cost = "unknown cost" if prepared.estimated_cost is None else f"at most ${prepared.estimated_cost:.4f}"
        estimate = f"{prepared.input_tokens:,} tokens to {prepared.provider}, {cost}"
        if not prepared.needs_confirmation:
            self._say(f"asking {prepared.provider} for a fix ({estimate})…", "accent")
            self.fetch_ai_fix(prepared, container or "", observation)
            return

        def answered(send: bool | None) -> None:
            if send:
                self._say(f"asking {prepared.provider} for a fix…", "accent")
                self.fetch_ai_fix(prepared, container or "", observation)
            else:
                self.busy = False
                self._say("not sent", "warning")

        self.app.push_screen(ConfirmScreen(f"Ask {prepared.provider} for a fix?",
                                           f"{estimate}: {prepared.confirmation_reason}.", confirm_label="Send"),
                             answered)

    @on(AIFixProposed)
    def _ai_proposed(self, message: AIFixProposed) -> None:
        self.busy = False
        self._proposals.append(message.proposal)
        self._index = len(self._proposals) - 1
        proposal = message.proposal
        if proposal.actionable:
            self._say(f"the AI proposed {len(proposal.operations)} step(s): review them before approving", "accent")
        else:
            self._say("the AI gave advice only: nothing here can be applied", "warning")

    @on(FixesProposed)
    def _proposed(self, message: FixesProposed) -> None:
        self.busy = False
        self._proposals = list(message.proposals)
        self._index = 0
        self._status_line = ("", "")
        self._show()

    @on(FixProgressed)
    def _progressed(self, message: FixProgressed) -> None:
        self._progress.append(message.text)
        self._show()

    @on(FixApplied)
    def _applied(self, message: FixApplied) -> None:
        self.busy = False
        result = message.result
        if result.dry_run:
            self._dry_run_steps[result.proposal.id] = result.steps
            self._replace(replace(self.proposal, preview=result.proposal.preview)
                          if self.proposal is not None and self.proposal.id == result.proposal.id
                          else result.proposal)
        else:
            self._replace(result.proposal)
        line, colour = present.outcome_line(result)
        self._say(line, colour)

    @on(FixChanged)
    def _changed(self, message: FixChanged) -> None:
        self.busy = False
        self._replace(message.proposal)
        self._say(message.text, "success")

    @on(FixFailed)
    def _failed(self, message: FixFailed) -> None:
        self.busy = False
        self._say(message.text, "error")

    def _replace(self, proposal: "Proposal") -> None:
        for index, shown in enumerate(self._proposals):
            if shown.id == proposal.id:
                self._proposals[index] = proposal
                return

    # -- actions --------------------------------------------------------------------------------------

    def _ready(self) -> "Proposal | None":
        if self.busy:
            self._say("wait: the fix is still being worked on", "warning")
            return None
        return self.proposal

    def action_approve(self) -> None:
        """Apply the fix shown: refused in read-only mode; high risk wants the name typed back."""
        proposal = self._ready()
        if proposal is None:
            return
        if self.readonly:
            self._say(READONLY_REFUSAL, "error")
            return
        if not proposal.actionable:
            self._say("advice only: there is nothing to apply", "warning")
            return
        if proposal.status not in APPLICABLE_STATUSES:
            self._say(f"this fix is {proposal.status.replace('_', ' ')}: it cannot be applied now", "warning")
            return
        refusals = self._refusals(proposal)
        if refusals:
            reasons = "\n".join(f"- step {refusal.operation + 1}: {refusal.reason}" for refusal in refusals)
            self.app.push_screen(
                ConfirmScreen("Allow what the safety check refuses?",
                              f"{reasons}\n\nThis is allowed for this one fix only.", "Allow",
                              type_back=ALLOW_WORD),
                lambda allowed: self._after_allow(proposal, refusals) if allowed else None)
            return
        self._confirm_risk(proposal, SafetyOptions())

    def _after_allow(self, proposal: "Proposal", refusals: Sequence["Refusal"]) -> None:
        options = SafetyOptions(**{refusal.option: True for refusal in refusals})
        self._confirm_risk(proposal, options)

    def _confirm_risk(self, proposal: "Proposal", options: SafetyOptions) -> None:
        if proposal.risk != "high":
            self._start_apply(proposal, options)
            return
        self.app.push_screen(
            ConfirmScreen(f"Apply HIGH-risk fix {proposal.id}?",
                          f"{proposal.summary}\n" + "\n".join(f"{risk.level} {risk.kind}: {risk.reason}"
                                                             for risk in proposal.risks if risk.level == "high"),
                          "Apply", type_back=proposal.container),
            lambda confirmed: self._start_apply(proposal, options) if confirmed else self._say("not applied"))

    def _start_apply(self, proposal: "Proposal", options: SafetyOptions) -> None:
        self.busy = True
        self._progress = []
        self._status_line = (f"applying fix {proposal.id}…", "accent")
        self._show()
        self.run_apply(proposal.id, options, False)

    def action_dry_run(self) -> None:
        """Show exactly what applying would do; nothing is changed."""
        proposal = self._ready()
        if proposal is None:
            return
        if not proposal.actionable:
            self._say("advice only: there is nothing to apply", "warning")
            return
        if proposal.status not in APPLICABLE_STATUSES:
            self._say(f"this fix is {proposal.status.replace('_', ' ')}: nothing would run", "warning")
            return
        # The refusals are shown in the body; the dry run shows what would run once they are allowed.
        options = SafetyOptions(**{refusal.option: True for refusal in self._refusals(proposal)})
        self.busy = True
        self._say("dry run…", "accent")
        self.run_apply(proposal.id, options, True)

    def action_reject(self) -> None:
        """Mark the fix shown as rejected."""
        proposal = self._ready()
        if proposal is None:
            return
        if proposal.status != "proposed":
            self._say(f"this fix is {proposal.status.replace('_', ' ')}: only a waiting fix can be rejected")
            return
        self.busy = True
        self.run_reject(proposal.id)

    def action_rollback(self) -> None:
        """Undo the fix shown, if it was applied (after a confirmation)."""
        proposal = self._ready()
        if proposal is None:
            return
        if proposal.status not in ROLLBACK_STATUSES:
            self._say(f"this fix is {proposal.status.replace('_', ' ')}: there is nothing to roll back")
            return
        if self.readonly:
            self._say(READONLY_REFUSAL, "error")
            return
        self.app.push_screen(
            ConfirmScreen(f"Roll back fix {proposal.id}?",
                          f"{proposal.summary}\nThe container gets back the settings saved before the fix.",
                          "Roll back"),
            lambda confirmed: self._start_rollback(proposal) if confirmed else None)

    def _start_rollback(self, proposal: "Proposal") -> None:
        self.busy = True
        self._progress = []
        self._status_line = (f"rolling back fix {proposal.id}…", "accent")
        self._show()
        self.run_rollback(proposal.id)

    def action_toggle_details(self) -> None:
        """Show or hide the risks and the history."""
        self._details = not self._details
        self._show()

    def action_ask_ai(self) -> None:
        """Ask the AI provider for a fix as typed operations; it is added as one more proposal to review."""
        from dockerforge_tui.ui.screens.chat import not_configured_line

        if self.busy:
            self._say("wait: the fix is still being worked on", "warning")
            return
        missing = not_configured_line(self.services.settings)
        if missing:
            self._say(missing, "warning")
            return
        container, observation = self._ai_subject()
        if not container:
            self._say("no container to ask about", "warning")
            return
        self.busy = True
        self._say(f"preparing the question about {container}…", "accent")
        self.prepare_ai_fix(container, observation)

    def action_next_fix(self) -> None:
        """Show the next proposal."""
        if len(self._proposals) > 1 and not self.busy:
            self._index = (self._index + 1) % len(self._proposals)
            self._progress = []
            self._status_line = ("", "")
            self._show()
            self.query_one("#fix-body", VerticalScroll).scroll_home(animate=False)

    def action_close(self) -> None:
        """Close the dialog (not while a fix is being applied: its outcome would be lost from view)."""
        if self.busy and self.proposal is not None:
            self._say("wait: the fix is still being applied (its outcome shows here)", "warning")
            return
        self.dismiss(None)


def _one_line(error: DockerForgeError) -> str:
    return error.message + (f" ({error.hint})" if error.hint else "")

