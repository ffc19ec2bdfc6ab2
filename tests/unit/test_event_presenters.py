"""The pure helpers of the events, audit and compose screens: filters, rows, previews, notices."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dockerforge_tui.services.audit import AuditRecord
from dockerforge_tui.services.docker.compose import ComposeProject, ComposeService
from dockerforge_tui.services.docker.event_feed import EngineEvent, engine_event_from_raw, engine_time
from dockerforge_tui.services.external_commands import CompletedAction
from dockerforge_tui.ui.presenters import audit as audit_present
from dockerforge_tui.ui.presenters import compose as compose_present
from dockerforge_tui.ui.presenters import events as present
from dockerforge_tui.ui.presenters.container_filter import FilterError

PALETTE = {"success": "#00ff00", "warning": "#ffff00", "error": "#ff0000", "text-muted": "#888888",
           "accent": "#0000ff"}
T0 = 1_795_000_000_123_456_789  # nanoseconds


def raw_event(event_type: str, action: str, actor_id: str, **attributes: str) -> dict:
    return {"Type": event_type, "Action": action, "Actor": {"ID": actor_id, "Attributes": attributes},
            "scope": "local", "time": T0 // 10**9, "timeNano": T0}


DIE = engine_event_from_raw(raw_event("container", "die", "c" * 64, name="shop-web-1", image="nginx:1.27",
                                      exitCode="137", **{"com.docker.compose.project": "shop"}))
HEALTH = engine_event_from_raw(raw_event("container", "health_status: unhealthy", "d" * 64, name="db"))
PULL = engine_event_from_raw(raw_event("image", "pull", "busybox:latest", name="busybox"))
UNTAGGED = engine_event_from_raw(raw_event("image", "delete", "sha256:" + "e" * 64))
VOLUME = engine_event_from_raw(raw_event("volume", "mount", "data", container="f" * 64, destination="/data",
                                         driver="local"))
NETWORK = engine_event_from_raw(raw_event("network", "create", "a" * 64, name="shop_default", type="bridge"))
EVENTS = (DIE, HEALTH, PULL, UNTAGGED, VOLUME, NETWORK)


def shown(text: str, events=EVENTS) -> list[str]:
    event_filter = present.parse_event_filter(text)
    return [event.name for event in events if event_filter(event)]


# --- engine events as records ---------------------------------------------------------------


def test_raw_events_of_every_type_become_records():
    assert (DIE.type, DIE.action, DIE.detail, DIE.name) == ("container", "die", "", "shop-web-1")
    assert DIE.compose_project == "shop" and DIE.attribute("exitCode") == "137"
    assert (HEALTH.action, HEALTH.detail, HEALTH.full_action) == ("health_status", "unhealthy",
                                                                  "health_status: unhealthy")
    assert UNTAGGED.name == "e" * 12, "an image id reads as its short id"
    assert VOLUME.name == "data" and NETWORK.name == "shop_default"
    assert DIE.time == datetime.fromtimestamp(T0 / 1e9, tz=timezone.utc)
    assert engine_event_from_raw({"Type": "container", "Actor": {"ID": "x"}}) is None


def test_engine_time_keeps_nanoseconds_of_an_int():
    assert engine_time(T0) == "1795000000.123456789"
    assert engine_time(1.5) == "1.500000000"
    assert engine_time(None) is None


# --- the filter language ------------------------------------------------------------------------


def test_plain_terms_match_type_action_or_name_case_insensitively():
    assert shown("SHOP") == ["shop-web-1", "shop_default"]
    assert shown("image") == ["busybox", "e" * 12]
    assert shown("unhealthy") == ["db"]


def test_field_terms_and_inversion_combine():
    assert shown("type=image action=pull") == ["busybox"]
    assert shown("type=container !name=db") == ["shop-web-1"]
    assert shown("project=shop") == ["shop-web-1"]
    assert shown("nosuchfield=x") == [], "an unknown field is plain text, which matches nothing here"


def test_regex_terms_and_their_errors():
    assert shown("re:^shop[-_]") == ["shop-web-1", "shop_default"]
    assert shown("re:^(die|delete)$") == ["shop-web-1", "e" * 12]
    with pytest.raises(FilterError, match="invalid regular expression"):
        present.parse_event_filter("re:(")
    assert not present.parse_event_filter("   ").active


# --- event rows ------------------------------------------------------------------------------------


def test_event_colours_say_what_needs_a_look():
    assert present.event_colour(DIE) == "error"
    clean_exit = engine_event_from_raw(raw_event("container", "die", "c" * 64, exitCode="0"))
    assert present.event_colour(clean_exit) == "text-muted"
    assert present.event_colour(HEALTH) == "error"
    assert present.event_colour(PULL) == "accent" and present.event_colour(UNTAGGED) == "warning"
    assert present.event_colour(VOLUME) is None


def test_event_cells_and_summary():
    cells = present.event_cells(DIE, PALETTE, timezone.utc)
    assert [cell.plain for cell in cells] == [
        "11:06:40", "container", "die", "shop-web-1", "exit 137 · image nginx:1.27 · project shop"]
    assert str(cells[2].style) == PALETTE["error"]
    assert present.event_summary(VOLUME) == f"container {'f' * 12} · at /data"
    assert present.event_summary(NETWORK) == "driver bridge"
    assert present.format_event_time(DIE, timezone(timedelta(hours=2))) == "13:06:40"


def test_event_detail_lists_every_attribute():
    text = present.event_detail_text(DIE, timezone.utc)
    first, *rest = text.splitlines()
    assert first.startswith("2026-11-18 11:06:40.123 +0000") and "container die" in first
    assert f"id: {'c' * 64}" in rest and "exitCode: 137" in rest and "image: nginx:1.27" in rest


# --- audit -------------------------------------------------------------------------------------------

OK = AuditRecord("2026-11-25T12:00:03.250Z", "ops", "stop", "container", "shop-web-1", "a" * 64,
                 "unix:///var/run/docker.sock", "ok", None, 412.0, (("timeout", 10),))
FAILED = AuditRecord("2026-11-25T12:01:00.000Z", "ops", "compose pull", "compose project", "shop", "shop",
                     "unix:///var/run/docker.sock", "error", "exit 1: pull access denied", 2500.0,
                     (("argv", ["docker-compose", "-p", "shop", "pull"]),))
REFUSED = AuditRecord("2026-11-25T12:02:00.000Z", "dev", "remove", "image", "busybox:latest", "sha256:1",
                      "tcp://box:2376", "refused", "read-only mode: refusing to remove busybox:latest")


def audit_shown(text: str) -> list[str]:
    audit_filter = audit_present.parse_audit_filter(text)
    return [record.verb for record in (OK, FAILED, REFUSED) if audit_filter(record)]


def test_audit_filter_fields_and_text():
    assert audit_shown("result=error") == ["compose pull"]
    assert audit_shown("user=ops !verb=stop") == ["compose pull"]
    assert audit_shown("shop") == ["stop", "compose pull"]
    assert audit_shown("re:read-only") == ["remove"]
    assert audit_shown("endpoint=tcp") == ["remove"]


def test_audit_rows_and_detail():
    cells = audit_present.audit_cells(FAILED, PALETTE, timezone.utc)
    assert [cell.plain for cell in cells] == ["2026-11-25 12:01:00", "ops", "compose pull", "compose project shop",
                                              "error", "2.5s", "exit 1: pull access denied"]
    assert str(cells[4].style) == PALETTE["error"]
    assert audit_present.outcome_text(REFUSED, PALETTE).style == PALETTE["warning"]
    assert audit_present.format_duration_ms(412) == "412ms" and audit_present.format_duration_ms(125_000) == "2m"
    detail = audit_present.audit_detail_text(OK, timezone(timedelta(hours=1))).splitlines()
    assert detail[0] == "2026-11-25 13:00:03 (2026-11-25T12:00:03.250Z)  ops on unix:///var/run/docker.sock"
    assert detail[1] == f"stop container shop-web-1  id {'a' * 64}"
    assert detail[2] == "result: ok in 412ms" and detail[3] == "timeout: 10"
    assert "argv: docker-compose -p shop pull" in audit_present.audit_detail_text(FAILED, timezone.utc)
    broken = AuditRecord("yesterday", "ops", "stop", "container", "x", "x", "", "ok")
    assert audit_present.format_audit_time(broken) == "yesterday"


# --- compose ---------------------------------------------------------------------------------------------

SHOP = ComposeProject("shop", "/srv/shop", ("/srv/shop/compose.yml",), (
    ComposeService("db", ("shop-db-1",), ("1",), ("running",)),
    ComposeService("web", ("shop-web-1", "shop-web-2"), ("2", "3"), ("running", "exited")),
))


def test_project_cells_and_services_panel():
    cells = compose_present.project_cells(SHOP, PALETTE)
    assert {key: cell.plain for key, cell in cells.items()} == {
        "name": "shop", "status": "exited(1), running(2)", "up": "2/3", "services": "db, web",
        "directory": "/srv/shop"}
    assert str(cells["status"].style) == PALETTE["warning"]
    panel = compose_present.services_text(SHOP, PALETTE).plain.splitlines()
    assert panel == ["db   1/1  shop-db-1 (running)", "web  1/2  shop-web-1 (running), shop-web-2 (exited)"]
    assert "No compose project" in compose_present.services_text(None, PALETTE).plain


def test_down_preview_says_what_goes_and_keeps_volumes_unless_asked():
    kept = compose_present.down_preview(SHOP, ("shop_default",), ("shop_data",), remove_volumes=False)
    assert "3 container(s): shop-db-1, shop-web-1, shop-web-2" in kept
    assert "network(s): shop_default" in kept
    assert "Volumes are kept (shop_data)" in kept and "DELETES" not in kept
    gone = compose_present.down_preview(SHOP, (), ("shop_data",), remove_volumes=True)
    assert "DELETES volume(s) and their data: shop_data" in gone and "none of its own" in gone


def done(argv: tuple[str, ...], code: int, stderr: str = "") -> CompletedAction:
    return CompletedAction(argv, code, "", stderr, 1.25)


def test_compose_outcome_explains_a_failed_pull():
    pull = ("docker-compose", "-p", "shop", "pull")
    message, severity = compose_present.compose_outcome("shop", "pull_recreate", done(pull, 1, "Get http://x: refused"),
                                                        steps=2)
    assert severity == "error"
    assert message.startswith("compose pull & recreate of shop: the pull failed (exit 1: Get http://x: refused)")
    assert "nothing was recreated" in message and "u starts the project" in message
    up = ("docker-compose", "-p", "shop", "up", "-d", "--force-recreate")
    message, severity = compose_present.compose_outcome("shop", "pull_recreate", done(up, 0), steps=2)
    assert (message, severity) == ("compose pull & recreate of shop: done in 1.2s", "information")
    message, _ = compose_present.compose_outcome("shop", "pull_recreate", done(up, 1, "boom"), steps=2)
    assert message == "compose pull & recreate of shop failed at 'up': exit 1: boom"
    assert compose_present.command_line(("echo", "a b")) == "echo 'a b'"


def test_record_type_is_frozen():
    with pytest.raises(Exception):
        DIE.action = "start"  # type: ignore[misc]
    assert isinstance(DIE, EngineEvent)
