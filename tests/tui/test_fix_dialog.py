"""The fix dialog's keys: reject, dry run (changes nothing), read-only refusal, the high-risk name prompt, rollback.

Proposals are real ones in the real fix store; the dry run and the refusals read the real
engine. Nothing is mocked: what a key did is read back from the store and the engine.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.fixes import FixStore, Remove, Restart, UpdateResources, manual_proposal
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.fix_dialog import FixDialog
from dockerforge_tui.ui.screens.fixes import FixesScreen
from tests.tui.helpers import in_thread, wait_until

MIB = 1024 * 1024


def text_of(screen, selector: str) -> str:
    """The text a Static shows ("" while the screen is still being composed)."""
    found = list(screen.query(selector).results(Static))
    return str(found[0].render()) if found else ""


def stored(app, proposal):
    """Save ``proposal`` in the app's fix store, as the fix service does when it proposes."""
    FixStore.for_paths(app.paths).save(proposal)
    return proposal


def status_in_store(app, proposal) -> str:
    return FixStore.for_paths(app.paths).get(proposal.id).status


async def open_dialog(pilot, *proposals) -> FixDialog:
    dialog = FixDialog(proposals)
    await pilot.app.push_screen(dialog)
    await pilot.pause()
    return dialog


async def test_reject_marks_the_fix_rejected_and_approve_then_refuses():
    app = make_app(load_config(), watch_engine=False)
    proposal = stored(app, manual_proposal("web", [Restart("web")], "Restart web"))
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_dialog(pilot, proposal)
        assert "Restart web" in text_of(dialog, "#fix-header") and "LOW RISK" in text_of(dialog, "#fix-header")
        assert "r reject" in text_of(dialog, "#fix-keys")
        await pilot.press("r")
        await wait_until(pilot, lambda: "Rejected" in text_of(dialog, "#fix-progress"), what="the rejection")
        assert status_in_store(app, proposal) == "rejected"
        await pilot.press("a")  # a rejected fix cannot be applied
        assert "rejected: it cannot be applied now" in text_of(dialog, "#fix-progress")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FixDialog), what="the dialog to close")


async def test_read_only_mode_shows_the_fix_and_refuses_to_apply_it():
    app = make_app(load_config(overrides={"ui": {"readonly": True}}), watch_engine=False)
    proposal = stored(app, manual_proposal("web", [UpdateResources("web", memory=256 * MIB)], "More memory"))
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_dialog(pilot, proposal)
        assert "read-only: refused" in text_of(dialog, "#fix-keys")
        await pilot.press("enter")
        assert "read-only mode: fixes are shown, not applied" in text_of(dialog, "#fix-progress")
        assert not dialog.busy and status_in_store(app, proposal) == "proposed"


async def test_a_high_risk_fix_wants_the_container_name_typed_back():
    app = make_app(load_config(), watch_engine=False)
    proposal = stored(app, manual_proposal("db", [Remove("db")], "Remove db"))
    assert proposal.risk == "high"
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_dialog(pilot, proposal)
        assert "HIGH RISK" in text_of(dialog, "#fix-header")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the name prompt")
        prompt = app.screen
        assert "Type 'db' to confirm" in str(prompt.query_one("#confirm-prompt").render())
        await pilot.press("w", "e", "b", "enter")  # the wrong name: nothing happens
        assert app.screen is prompt and prompt.query_one(Input).value == "web"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is dialog, what="back to the dialog")
        assert "not applied" in text_of(dialog, "#fix-progress")
        assert status_in_store(app, proposal) == "proposed"


async def test_advice_and_refusals_are_shown_and_the_details_key_adds_risks_and_history():
    app = make_app(load_config(), watch_engine=False)
    proposal = stored(app, manual_proposal("web", [Restart("web"), Restart("other")], "Restart both"))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = await open_dialog(pilot, proposal)
        body = text_of(dialog, "#fix-body-text")
        assert "Refused unless you allow it" in body and "changes other, which the fix was not made for" in body
        assert "Success is checked by" in body and "History" not in body
        await pilot.press("v")
        assert "History" in text_of(dialog, "#fix-body-text") and "written by hand" in text_of(dialog,
                                                                                              "#fix-body-text")
        await pilot.press("a")  # the refusal must be allowed, by typing "allow", before anything runs
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the allow prompt")
        assert "allowed for this one fix only" in str(app.screen.query_one("#confirm-details").render())
        await pilot.press("escape")
        assert status_in_store(app, proposal) == "proposed"


@pytest.mark.docker
async def test_dry_run_shows_the_steps_and_changes_nothing(docker_client, containers):
    container = await in_thread(containers.run, "trap 'exit 0' TERM; sleep 300 & wait", mem_limit="32m")
    app = make_app(load_config(), watch_engine=False)
    proposal = stored(app, manual_proposal(container.name, [UpdateResources(container.name, memory=64 * MIB)],
                                           "More memory"))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = await open_dialog(pilot, proposal)
        await pilot.press("d")
        await wait_until(pilot, lambda: "Dry run done" in text_of(dialog, "#fix-progress"), what="the dry run")
        body = text_of(dialog, "#fix-body-text")
        assert "Dry run: exactly these steps would run" in body and "1. " in body
        assert "32MiB -> 64MiB" in body  # the preview, read from the engine now
    assert docker_client.api.inspect_container(container.id)["HostConfig"]["Memory"] == 32 * MIB
    assert status_in_store(app, proposal) == "proposed"


@pytest.mark.docker
async def test_the_fix_history_opens_a_fix_and_a_missing_container_is_one_line(docker_client):
    app = make_app(load_config(), watch_engine=False)
    proposal = stored(app, manual_proposal("web", [Restart("web")], "Restart web"))
    async with app.run_test(size=(100, 30)) as pilot:
        app.run_command("fixes")
        await wait_until(pilot, lambda: isinstance(app.screen, FixesScreen), what="the fix history")
        screen = app.screen
        await wait_until(pilot, lambda: any(table.row_count == 1 for table in screen.query("#fixes-table")),
                         what="the stored fix")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FixDialog), what="the dialog")
        first = app.screen
        assert first.proposal.id == proposal.id
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="back to the history")
        app.run_command("fix dfnosuch-container")
        await wait_until(pilot, lambda: isinstance(app.screen, FixDialog) and app.screen is not first,
                         what="the dialog for a container")
        dialog = app.screen
        await wait_until(pilot, lambda: "no container named" in text_of(dialog, "#fix-progress"),
                         what="the one-line error")


def test_the_new_keys_can_be_remapped_by_id_and_a_clash_is_a_config_error():
    from dockerforge_tui.core.errors import ConfigError

    make_app(load_config(overrides={"ui": {"keymap": {"fix.approve": "y", "notifications.acknowledge": "K"}}}),
             watch_engine=False)
    with pytest.raises(ConfigError, match="already bound to fix.reject on the fix_dialog screen"):
        make_app(load_config(overrides={"ui": {"keymap": {"fix.approve": "r"}}}), watch_engine=False)
    with pytest.raises(ConfigError, match="already bound to issues.logs"):
        make_app(load_config(overrides={"ui": {"keymap": {"issues.propose_fix": "l"}}}), watch_engine=False)


def test_the_dashboards_fix_service_checks_for_the_users_learned_patterns_too():
    from dockerforge_tui.services.logs.learning import propose_pattern, save_pattern, user_patterns_dir

    app = make_app(load_config(), watch_engine=False)
    assert app.services.fix_service(None).patterns is None  # no user patterns: the packaged set
    learned = propose_pattern(category="disk_full", regex=r"quota exceeded for bucket \S+",
                              example_line="ERROR uploader: quota exceeded for bucket photos-prod",
                              explanation="The bucket is full.", severity="error", recommendations=["Raise it."])
    save_pattern(learned, user_patterns_dir(app.paths))
    patterns = app.services.fix_service(None).patterns
    assert patterns is not None and learned.id in {pattern.id for pattern in patterns.patterns}


@pytest.mark.docker
async def test_n_shows_the_next_fix_b_needs_an_applied_one_and_a_failing_apply_is_one_line(docker_client):
    app = make_app(load_config(), watch_engine=False)
    first = stored(app, manual_proposal("dfnosuch-web", [Restart("dfnosuch-web")], "Restart it"))
    second = stored(app, manual_proposal("dfnosuch-web", [UpdateResources("dfnosuch-web", memory=64 * MIB)],
                                         "More memory"))
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_dialog(pilot, first, second)
        assert "(1 of 2, n for the next)" in text_of(dialog, "#fix-title")
        await pilot.press("n")
        assert dialog.proposal.id == second.id and "(2 of 2" in text_of(dialog, "#fix-title")
        await pilot.press("b")
        assert "there is nothing to roll back" in text_of(dialog, "#fix-progress")
        await pilot.press("a")  # the container does not exist: nothing changed, one line says why
        await wait_until(pilot, lambda: not dialog.busy and "no such container" in text_of(dialog, "#fix-progress")
                         .lower(), what="the failure")
        assert status_in_store(app, second) == "proposed"


@pytest.mark.docker
async def test_the_palette_proposes_fixes_for_the_selected_container(docker_client):
    from tests.snapshots.test_screens import CONTAINERS, ENGINE, SAMPLES, dashboard, feed
    from dockerforge_tui.services.docker.watch import ContainersListed, EngineConnected

    app = dashboard()
    async with app.run_test(size=(100, 30)) as pilot:
        await feed(pilot, EngineConnected(ENGINE), ContainersListed(CONTAINERS, complete=True), samples=SAMPLES)
        [command] = [command for command in app.get_system_commands(app.screen) if command.title == "Propose fix"]
        assert command.help == "analyse cron now and propose fixes (:fix cron)"  # the first row, by name
        command.callback()
        await wait_until(pilot, lambda: isinstance(app.screen, FixDialog), what="the dialog")
        dialog = app.screen
        # These containers are fixed data, not on this engine: the analysis says so in one line.
        await wait_until(pilot, lambda: "no container named or with id 'cron'" in text_of(dialog, "#fix-progress"),
                         what="the one-line answer")
        assert "Fixes for cron" in text_of(dialog, "#fix-title")


async def test_i_asks_the_ai_for_a_fix_and_its_shell_text_stays_advice(containers, monkeypatch):
    import json

    from tests.support.ai_servers import AnthropicServer, OllamaServer
    from tests.support.containers import unique_name

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    name = unique_name("dfaifix")
    await in_thread(containers.run, "echo 'java.lang.OutOfMemoryError: Java heap space'; sleep 300", name=name)
    answer = {"summary": "The heap needs more room.", "advice": ["docker rm -f other"],
              "operations": [{"kind": "update_resources", "container": name, "memory": "512m"}]}
    with OllamaServer(reply_text=json.dumps(answer)) as server:
        app = make_app(load_config(overrides={"monitoring": {"live": False}, "ai": {
            "provider": "ollama", "base_urls": {"ollama": server.url}, "max_attempts": 1}}), watch_engine=False)
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = FixDialog(container=name)
            await app.push_screen(dialog)
            await wait_until(pilot, lambda: not dialog.busy, timeout=20, what="the rule proposals")
            rules = len(dialog._proposals)
            await pilot.press("i")
            await wait_until(pilot, lambda: len(dialog._proposals) == rules + 1, timeout=20, what="the AI's fix")
            proposal = dialog.proposal
            assert proposal.source.kind == "ai" and proposal.source.template == "fix"
            assert [operation.kind for operation in proposal.operations] == ["update_resources"]
            assert proposal.operations[0].memory == 512 * MIB and proposal.advice == ("docker rm -f other",)
            assert "review them before approving" in text_of(dialog, "#fix-progress")
            assert "The heap needs more room." in text_of(dialog, "#fix-header")
            assert server.posts()[-1].body["format"] == "json"
            assert FixStore.for_paths(app.paths).get(proposal.id).status == "proposed"  # nothing applied

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    with AnthropicServer("- restart web") as claude:
        app = make_app(load_config(overrides={"monitoring": {"live": False}, "ai": {
            "provider": "claude", "base_urls": {"claude": claude.url}, "max_attempts": 1, "confirm_above": 0}}),
            watch_engine=False)
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = FixDialog([stored(app, manual_proposal(name, [Restart(name)], "Restart it"))])
            await app.push_screen(dialog)
            await pilot.pause()
            await pilot.press("i")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=20, what="the cost question")
            await pilot.press("n")
            await wait_until(pilot, lambda: "not sent" in text_of(dialog, "#fix-progress"), what="not sent")
            assert not [request for request in claude.posts() if request.path == "/v1/messages"]
            assert len(dialog._proposals) == 1 and not dialog.busy

    app = make_app(load_config(overrides={"monitoring": {"live": False}}), watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_dialog(pilot, stored(app, manual_proposal("web", [Restart("web")], "Restart web")))
        await pilot.press("i")
        assert "no AI provider is configured" in text_of(dialog, "#fix-progress") and not dialog.busy
