"""The AI chat pane against a local server speaking Anthropic's wire protocol, through the real SDK and pipeline.

A real container is attached as context; the tests check what the server received, the
streamed answer, Esc cancelling mid-stream, chip removal, ratings in the usage ledger and
the history shown again when the pane reopens.
"""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.ai.chat_history import GENERAL, ChatHistory
from dockerforge_tui.services.ai.usage import UsageLedger
from dockerforge_tui.services.issues import ContainerRef, Evidence, Observation
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.chat import ChatScreen
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.container_detail import ContainerDetailScreen
from dockerforge_tui.ui.screens.issues import IssuesScreen
from dockerforge_tui.ui.widgets.chat_transcript import ChatTranscript
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from tests.support.ai_servers import AnthropicServer, OllamaServer
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

ANSWER = "**The heap is too small.** Raise `-Xmx` or the memory limit."
ANALYSIS = ("## Summary\nshop-api runs out of memory.\n\n## Root cause\nThe heap is larger than the limit (high).\n\n"
            "## Evidence\n- `java.lang.OutOfMemoryError: Java heap space`\n\n"
            "## Proposed fixes\n1. Raise the limit: `docker update --memory 1g shop-api`")


@pytest.fixture
def ai_env(monkeypatch):
    """A key for the local server, no keyring, nothing from the host's AI settings."""
    for name in ("ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return monkeypatch


def chat_app(server: AnthropicServer | None, *, watch_engine: bool = True, confirm_above: float = 100.0,
             **more_ai):
    ai = {"provider": "claude", "base_urls": {"claude": server.url}, "max_attempts": 1,
          "confirm_above": confirm_above, **more_ai} if server else {}
    overrides = {"monitoring": {"live": False}, **({"ai": ai} if ai else {})}
    return make_app(load_config(overrides=overrides), watch_engine=watch_engine)


def message_posts(server: AnthropicServer) -> list[dict]:
    """The bodies of the questions sent (token counts left out)."""
    return [request.body for request in server.posts() if request.path == "/v1/messages"]


def last_turn(pane: ChatScreen):
    turns = pane.query_one(ChatTranscript).turns
    return turns[-1] if turns else None


async def ask(pilot, pane: ChatScreen, question: str) -> None:
    field = pane.query_one("#chat-input", Input)
    field.focus()
    field.value = question
    await pilot.press("enter")


async def answered(pilot, pane: ChatScreen, outcome: str = "ok", timeout: float = 20.0):
    await wait_until(pilot, lambda: last_turn(pane) is not None and last_turn(pane).outcome == outcome,
                     timeout=timeout, what=f"an answer ({outcome})")
    return last_turn(pane)


@pytest.mark.docker
async def test_ask_about_a_container_rate_reopen_and_remove_its_chip(docker_client, containers, ai_env, isolated_dirs):
    name = unique_name("dfchat")
    container = await in_thread(containers.run, "echo 'java.lang.OutOfMemoryError: Java heap space'; sleep 300",
                                name=name)
    with AnthropicServer(ANSWER) as server:
        app = chat_app(server)
        async with app.run_test(size=(120, 30)) as pilot:
            table = app.screen.query_one(ContainerTable)
            await wait_until(pilot, lambda: container.id in table.shown_ids, what=f"row of {name}")
            table.move_cursor(row=table.get_row_index(container.id))
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            assert [chip.text for chip in pane.chips] == [f"container {name}"]

            await ask(pilot, pane, "why does it keep dying?")
            turn = await answered(pilot, pane)
            assert turn.answer == ANSWER and turn.provider == "claude" and turn.call_id
            markdown = pane.query_one(f"#turn-{turn.id} Markdown")
            assert "The heap is too small." in markdown.source
            sent = json.dumps(message_posts(server)[-1])
            assert "why does it keep dying?" in sent and name in sent and "OutOfMemoryError" in sent
            assert pane.counter_text.startswith("claude/") and f"out, $" in pane.counter_text
            assert f"container {name}" in turn.attached

            # + on the chosen answer: the history and the usage ledger's template statistics get it
            pane.query_one(ChatTranscript).focus()
            await pilot.press("plus")
            await wait_until(pilot, lambda: last_turn(pane).rating == 1, what="the rating")
            ledger = UsageLedger.in_data_dir(isolated_dirs / "data")
            assert ledger.feedback()[turn.call_id].rating == 1

            await pilot.press("escape")  # nothing streams: Esc closes
            await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen), what="the pane to close")
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the pane again")
            pane = app.screen
            await wait_until(pilot, lambda: last_turn(pane) is not None, what="the history shown again")
            assert last_turn(pane).question == "why does it keep dying?" and last_turn(pane).rating == 1

            # Without the container chip the next question carries nothing of the container.
            pane.query_one("#chat-chips").focus()
            await pilot.press("delete")
            assert pane.chips == ()
            await ask(pilot, pane, "what is a heap?")
            await wait_until(pilot, lambda: last_turn(pane).question == "what is a heap?"
                             and last_turn(pane).outcome == "ok", timeout=20, what="the second answer")
            sent = json.dumps(message_posts(server)[-1])
            assert "what is a heap?" in sent and name not in sent and "OutOfMemoryError" not in sent
    stored = ChatHistory(isolated_dirs / "data" / "ai-chat.json").turns(name)
    assert [turn.question for turn in stored] == ["why does it keep dying?", "what is a heap?"]


async def test_esc_cancels_a_slow_stream_and_a_second_esc_closes(ai_env, isolated_dirs):
    words = " ".join(f"word{number}" for number in range(60))
    with AnthropicServer(words) as server:
        server.chunk_delay = 0.05
        app = chat_app(server, watch_engine=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            assert pane.chips == () and pane.conversation == GENERAL
            await ask(pilot, pane, "count slowly")
            await wait_until(pilot, lambda: "word3" in (last_turn(pane).answer or ""), what="the first words")
            await pilot.press("escape")
            turn = await answered(pilot, pane, outcome="cancelled")
            assert turn.answer.startswith("word0") and "word59" not in turn.answer
            assert isinstance(app.screen, ChatScreen)  # the first Esc only cancelled
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen), what="the pane to close")
    outcomes = [record.outcome for record in UsageLedger.in_data_dir(isolated_dirs / "data").records()]
    assert outcomes == ["cancelled"]
    assert ChatHistory(isolated_dirs / "data" / "ai-chat.json").turns(GENERAL)[0].outcome == "cancelled"


async def test_a_cost_above_the_threshold_is_confirmed_first(ai_env):
    with AnthropicServer(ANSWER) as server:
        app = chat_app(server, watch_engine=False, confirm_above=0.0)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            await ask(pilot, pane, "is this expensive?")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cost confirmation")
            assert "estimate:" in str(app.screen.query_one("#confirm-details").render())
            await pilot.press("n")
            turn = await answered(pilot, pane, outcome="cancelled")
            assert turn.error.startswith("not sent") and message_posts(server) == []
            await ask(pilot, pane, "is this expensive?")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation again")
            await pilot.press("y")
            assert (await answered(pilot, pane)).answer == ANSWER
            assert len(message_posts(server)) == 1


async def test_with_no_provider_the_pane_says_how_to_configure_one():
    app = chat_app(None, watch_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon")
        await pilot.press(*"chat", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane from :chat")
        pane = app.screen
        assert pane.counter_text.startswith("no AI provider is configured") and "ai.provider" in pane.counter_text
        await ask(pilot, pane, "hello?")
        await pilot.pause()
        assert last_turn(pane) is None and isinstance(app.screen, ChatScreen)


@pytest.mark.docker
async def test_ask_ai_why_from_a_finding_runs_the_analysis_and_shows_its_parts(docker_client, containers, ai_env):
    name = unique_name("dfwhy")
    container = await in_thread(containers.run, "echo 'java.lang.OutOfMemoryError: Java heap space'; sleep 300",
                                name=name)
    with AnthropicServer(ANALYSIS) as server:
        app = chat_app(server, watch_engine=False)
        app.services.issues.record([Observation(
            source="log", category="out_of_memory", severity="critical", pattern_id="java.heap", message=
            "java.lang.OutOfMemoryError: Java heap space", container=ContainerRef(id=name, name=name), timestamp=None,
            evidence=(Evidence(text="java.lang.OutOfMemoryError: Java heap space", source="log"),))])
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("I")
            issues = app.screen
            assert isinstance(issues, IssuesScreen)
            await wait_until(pilot, lambda: issues.selected_issue is not None, what="the finding")
            await pilot.press("w")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            assert [chip.kind for chip in pane.chips] == ["finding", "container"]
            turn = await answered(pilot, pane)
            assert turn.kind == "analysis" and turn.template.startswith("diagnose@")
            body = message_posts(server)[-1]
            assert "diagnosis assistant" in json.dumps(body["system"]) and name in json.dumps(body)
            source = pane.query_one(f"#turn-{turn.id} Markdown").source
            assert "**Summary:** shop-api runs out of memory." in source
            assert "**Proposed fixes:**\n1. Raise the limit" in source

            pane.query_one("#chat-chips").focus()
            await pilot.press("right", "delete")  # the container chip: the finding (and so its container) stays
            assert [chip.kind for chip in pane.chips] == ["finding"]

            # w on the container's detail asks the same about the container itself
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is issues, what="back on the issues")
            await app.push_screen(ContainerDetailScreen(container.id, name))
            await pilot.press("w")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the pane over the detail")
            pane = app.screen
            turn = await answered(pilot, pane)
            assert (turn.question, turn.kind, pane.conversation) == (f"Why is {name} failing?", "analysis", name)
            assert len(message_posts(server)) == 2 and name in json.dumps(message_posts(server)[-1])


async def test_an_analysis_from_a_json_provider_is_asked_as_json_and_shown_in_its_parts(containers, ai_env):
    name = unique_name("dfjson")
    container = await in_thread(containers.run, "echo 'OOMKilled'; sleep 300", name=name)
    answer = {"summary": f"{name} is killed for memory.", "root_cause": "The limit is below the working set (high).",
              "evidence": ["OOMKilled"], "fixes": [f"docker update --memory 256m {name}"]}
    with OllamaServer(reply_text=json.dumps(answer)) as server:
        app = make_app(load_config(overrides={"monitoring": {"live": False}, "ai": {
            "provider": "ollama", "base_urls": {"ollama": server.url}, "max_attempts": 1}}), watch_engine=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(ContainerDetailScreen(container.id, name))
            await pilot.press("w")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            turn = await answered(pilot, pane)
            assert json.loads(turn.answer) == answer  # kept as the model gave it
            assert server.posts()[-1].body["format"] == "json"
            source = pane.query_one(f"#turn-{turn.id} Markdown").source
            assert source.startswith(f"**Summary:** {name} is killed for memory.")
            assert f"**Proposed fixes:**\n1. docker update --memory 256m {name}" in source and "{" not in source


async def test_chips_from_the_detail_and_compose_screens_and_the_pane_beside_a_wide_screen():
    from dockerforge_tui.services.docker.compose import ComposeProject, ComposeService
    from dockerforge_tui.services.docker.watch import ContainersListed, EngineConnected
    from dockerforge_tui.ui.screens.compose import ComposeScreen
    from dockerforge_tui.ui.screens.stats import StatsScreen
    from tests.snapshots.test_screens import CONTAINERS, ENGINE, feed

    app = chat_app(None, watch_engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await feed(pilot, EngineConnected(ENGINE), ContainersListed(CONTAINERS, complete=True))
        await app.push_screen(ContainerDetailScreen("c3" * 32, "worker"))
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the pane over the detail")
        pane = app.screen
        assert [chip.text for chip in pane.chips] == ["container worker"] and pane.conversation == "worker"
        assert pane.has_class("-wide")  # beside the detail, which stays in view
        panel = pane.query_one("#chat-panel")
        assert panel.region.width == 60 and panel.region.x == 60
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainerDetailScreen), what="the detail again")

        compose = ComposeScreen(live=False)
        await app.push_screen(compose)
        compose.post_message(ComposeScreen.ProjectsListed((ComposeProject("shop", "/srv/shop", (), (
            ComposeService("db", ("shop-db-1",), ("d1",), ("running",)),
            ComposeService("web", ("shop-web-1",), ("w1",), ("exited",)))),)))
        await wait_until(pilot, lambda: compose.selected_project is not None, what="the project")
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the pane over compose")
        chip = app.screen.chips[0]
        assert (chip.text, chip.container) == ("service shop/web", "shop-web-1")  # the service that is down
        await pilot.press("shift+tab")  # from the question to the chips
        await pilot.press("backspace")
        assert app.screen.chips == ()
        await pilot.press("escape")

        stats = StatsScreen(follow_engine=False)
        await app.push_screen(stats)
        await wait_until(pilot, lambda: stats.selected_id() is not None, what="a running container's row")
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the pane over the stats")
        name = next(container.name for container in CONTAINERS if container.id == stats.selected_id())
        assert [chip.text for chip in app.screen.chips] == [f"container {name}"]


async def test_a_streamed_answer_renders_the_same_blocks_as_the_whole_text(ai_env):
    from textual.widgets import Markdown

    text = ("First paragraph of the answer with several words in it.\n\n- one item\n- another item\n\n"
            "```\ndocker update --memory 1g web\n```\n\nLast words here.")
    with AnthropicServer(text) as server:
        server.chunk_delay = 0.01  # about 30 chunks over a few hundred milliseconds: several batches
        app = chat_app(server, watch_engine=False)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            await ask(pilot, pane, "stream it")
            turn = await answered(pilot, pane)
            await pilot.pause()
            streamed = pane.query_one(f"#turn-{turn.id} Markdown", Markdown)
            assert streamed.source == text
            kinds = [type(block).__name__ for block in streamed.children]
            assert kinds == ["MarkdownParagraph", "MarkdownBulletList", "MarkdownFence", "MarkdownParagraph"]


async def test_a_provider_error_is_one_line_and_up_chooses_the_answer_to_rate(ai_env, isolated_dirs):
    with AnthropicServer(ANSWER) as server:
        app = chat_app(server, watch_engine=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            await ask(pilot, pane, "first question")
            first = await answered(pilot, pane)
            server.fail_next(401, "authentication_error", "invalid x-api-key", times=2)  # the count, then the ask
            await ask(pilot, pane, "second question")
            failed = await answered(pilot, pane, outcome="AIAuthenticationError")
            assert failed.error.startswith("claude: invalid x-api-key") and "\n" not in failed.error
            assert pane.counter_text == failed.error

            pane.query_one(ChatTranscript).focus()
            await pilot.press("plus")  # the newest answer failed: nothing to rate
            await pilot.press("up", "minus")  # the one before it
            await wait_until(pilot, lambda: pane.query_one(ChatTranscript).turns[0].rating == -1, what="the rating")
    assert UsageLedger.in_data_dir(isolated_dirs / "data").feedback()[first.call_id].rating == -1


async def test_a_call_over_the_budget_is_refused_before_the_cost_is_confirmed(ai_env):
    with AnthropicServer(ANSWER) as server:
        app = chat_app(server, watch_engine=False, confirm_above=0.0, budgets={"claude": {"daily": 0.000001}})
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
            pane = app.screen
            await ask(pilot, pane, "is this expensive?")
            turn = await answered(pilot, pane, outcome="AIBudgetExceededError")
            assert isinstance(app.screen, ChatScreen) and "budget" in turn.error
            assert message_posts(server) == []
