"""Ask the AI provider for a fix and turn its answer into a proposal a person reviews.

This is where the fix workflow and the AI pipeline meet, for the CLI (``dockerforge fix
propose --ai``) and the dashboard's fix dialog alike. The ``fix`` prompt template lists
the typed operations DockerForge can apply; the answer (JSON where the provider can give
it) goes through :func:`~dockerforge_tui.services.fixes.ai_answers.parse_answer`, so
whatever is not one of those operations (a shell command included) stays advice and is
never run. Blocking: call it from a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from dockerforge_tui.core.errors import UserAbortError

if TYPE_CHECKING:
    from dockerforge_tui.services.ai.assistant import Assistant, PreparedCall
    from dockerforge_tui.services.ai.base import CancelToken
    from dockerforge_tui.services.fixes.proposals import Proposal
    from dockerforge_tui.services.fixes.service import FixService
    from dockerforge_tui.services.issues.models import Observation

FIX_TEMPLATE = "fix"
"""The prompt template that asks for typed operations."""


def prepare_fix_request(assistant: "Assistant", container: str, *, observation: "Observation | None" = None,
                        provider: str | None = None) -> "PreparedCall":
    """The ``fix`` template's request about ``container`` (reads its state and logs once; blocking)."""
    return assistant.prepare(None, container=container, observation=observation, template=FIX_TEMPLATE,
                             provider=provider)


def fetch_fix_answer(assistant: "Assistant", prepared: "PreparedCall",
                     cancel: "CancelToken | None" = None) -> tuple[str, str | None]:
    """Send the prepared request (budgets checked first); the whole answer and the call's id."""
    with assistant.stream(prepared, cancel=cancel) as stream:
        answer = "".join(stream)
    return answer, stream.call_id


def proposal_from_answer(service: "FixService", prepared: "PreparedCall", answer: str, call_id: str | None,
                         container: str, observation: "Observation | None" = None) -> "Proposal":
    """Store the answer as a proposal: its typed operations to review, the rest as advice."""
    return service.propose_from_ai(answer, prepared.container or container, template=prepared.template_id,
                                   template_version=prepared.template_version, call_id=call_id,
                                   observation=observation)


def propose_with_ai(service: "FixService", assistant: "Assistant", container: str, *,
                    observation: "Observation | None" = None, provider: str | None = None,
                    confirm: Callable[["PreparedCall"], bool] | None = None,
                    on_prepared: Callable[["PreparedCall"], None] | None = None) -> "Proposal":
    """Ask for a fix for ``container`` (about ``observation`` when given) and store it as a proposal.

    ``on_prepared`` sees the prepared call first (to show the estimate); a call above
    ``ai.confirm_above`` is sent only when ``confirm`` says yes (no ``confirm``: refused).
    A budget stop or a provider error is raised as the assistant raises it.
    """
    prepared = prepare_fix_request(assistant, container, observation=observation, provider=provider)
    if on_prepared is not None:
        on_prepared(prepared)
    assistant.refuse_if_over_budget(prepared)  # before asking whether to send what would not be sent
    if prepared.needs_confirmation and (confirm is None or not confirm(prepared)):
        raise UserAbortError(f"not sent: the estimated cost is {prepared.confirmation_reason}")
    answer, call_id = fetch_fix_answer(assistant, prepared)
    return proposal_from_answer(service, prepared, answer, call_id, container, observation)
