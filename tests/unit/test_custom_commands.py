"""Custom commands: parsed from config data, rendered per argv element, run without a shell."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import pytest

from dockerforge_tui.core.errors import ConfigError, UsageError
from dockerforge_tui.services.audit import AuditLog, ReadOnlyError
from dockerforge_tui.services.custom_commands import (
    CustomCommand, FieldList, commands_for, parse_custom_commands, run_custom_command, template_fields,
)
from dockerforge_tui.services.docker.models import ContainerSummary, PortMapping

WEB = ContainerSummary(
    id="0123456789abcdef" * 4, name="web; rm -rf /", image="nginx:1.25", state="running", status="Up",
    created=0.0, ports=(PortMapping(80, "tcp", 8080, "0.0.0.0"),),
    labels=(("com.docker.compose.service", "frontend"), ("tier", "edge")),
    started_at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc),
)


def test_each_element_is_rendered_separately_and_stays_one_argument():
    command = CustomCommand("logs", "Logs", ("docker", "logs", "--tail", "50", "{name}"))
    argv = command.render(template_fields(WEB))
    assert argv == ["docker", "logs", "--tail", "50", "web; rm -rf /"]  # one element, no shell split


def test_fields_include_properties_labels_ports_and_formats():
    fields = template_fields(WEB, endpoint="unix:///var/run/docker.sock")
    command = CustomCommand("x", "X", ("{short_id}", "{labels[com.docker.compose.service]}",
                                       "{ports[0].public_port}", "{started_at:%Y-%m-%d}", "{endpoint}",
                                       "{compose_service}", "--name={name!r}", "{{literal}}"))
    assert command.render(fields) == ["0123456789ab", "frontend", "8080", "2024-05-01",
                                      "unix:///var/run/docker.sock", "frontend", "--name='web; rm -rf /'",
                                      "{literal}"]
    assert command.fields == frozenset({"short_id", "labels", "ports", "started_at", "endpoint", "compose_service",
                                        "name"})


def test_tuples_render_joined_and_still_index():
    values = template_fields({"tags": FieldList(("a:1", "b:2"))})
    assert CustomCommand("t", "T", ("{tags}", "{tags[1]}")).render(values) == ["a:1,b:2", "b:2"]


def test_unknown_field_is_a_clear_error_listing_the_available_ones():
    command = CustomCommand("bad", "Bad", ("echo", "{nmae}"))
    with pytest.raises(UsageError) as caught:
        command.render(template_fields(WEB))
    assert "custom command 'bad': unknown field {nmae} in '{nmae}'" in caught.value.message
    assert "name" in caught.value.hint and "image" in caught.value.hint


def test_missing_key_or_index_is_a_clear_error():
    with pytest.raises(UsageError, match="does not have"):
        CustomCommand("k", "K", ("{labels[nope]}",)).render(template_fields(WEB))
    with pytest.raises(UsageError, match="does not have"):
        CustomCommand("i", "I", ("{ports[5].public_port}",)).render(template_fields(WEB))


def test_parse_from_config_data():
    commands = parse_custom_commands([
        {"id": "logs", "title": "Tail logs", "argv": ["docker", "logs", "{name}"]},
        {"id": "rmi", "title": "Remove image", "argv": ["docker", "rmi", "{id}"], "dangerous": True,
         "scope": "image", "description": "remove it"},
    ])
    assert commands[0] == CustomCommand("logs", "Tail logs", ("docker", "logs", "{name}"))
    assert commands[1].dangerous and commands[1].scope == "image"
    assert commands_for(commands, "image") == (commands[1],)


@pytest.mark.parametrize("entries, message", [
    ([{"id": "a", "title": "A", "argv": "docker ps"}], "argv must be a non-empty list"),
    ([{"id": "a", "title": "A", "argv": []}], "argv must be a non-empty list"),
    ([{"title": "A", "argv": ["x"]}], "needs an id"),
    ([{"id": "a", "argv": ["x"]}, {"id": "a", "argv": ["y"]}], "used twice"),
    ([{"id": "a", "argv": ["echo", "{name"]}], "bad template"),
    ([{"id": "a", "argv": ["echo", "{}"]}], "positional field"),
    ([{"id": "a", "argv": ["x"], "scope": "galaxy"}], "unknown scope"),
    ([{"id": "a", "argv": ["x"], "shell": True}], "unknown key"),
    (["not a mapping"], "expected a mapping"),
])
def test_parse_rejects_bad_entries(entries, message):
    with pytest.raises(ConfigError, match=message):
        parse_custom_commands(entries)


def test_run_custom_command_runs_without_a_shell_and_audits(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")
    script = "import json, sys; print(json.dumps(sys.argv[1:]))"
    command = CustomCommand("argv", "Show argv", (sys.executable, "-c", script, "{name}", "{image}"))
    done = run_custom_command(command, template_fields(WEB), audit=audit, endpoint="local")
    assert done.ok, done.stderr
    assert json.loads(done.stdout) == ["web; rm -rf /", "nginx:1.25"]
    (record,) = audit.tail(5)
    assert (record.verb, record.target_kind, record.target_name, record.outcome) == \
        ("custom argv", "container", "web; rm -rf /", "ok")
    assert dict(record.params)["argv"][-1] == "nginx:1.25"


def test_failing_custom_command_is_returned_and_audited_as_error(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")
    command = CustomCommand("fail", "Fail", (sys.executable, "-c", "import sys; sys.exit('nope {name}')"))
    done = run_custom_command(command, template_fields(WEB), audit=audit)
    assert not done.ok and done.exit_code == 1
    assert audit.tail(1)[0].outcome == "error"
    assert "nope" in audit.tail(1)[0].message


def test_readonly_refuses_dangerous_commands_only(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")
    harmless = CustomCommand("echo", "Echo", (sys.executable, "-c", "print('hi')"))
    dangerous = CustomCommand("boom", "Boom", (sys.executable, "-c", "print('should not run')"), dangerous=True)
    assert run_custom_command(harmless, template_fields(WEB), audit=audit, readonly=True).stdout.strip() == "hi"
    with pytest.raises(ReadOnlyError, match="read-only mode: refusing to run custom command 'boom' on web"):
        run_custom_command(dangerous, template_fields(WEB), audit=audit, readonly=True)
    assert [record.outcome for record in audit.tail(5)] == ["ok", "refused"]
