"""Custom commands from the configuration, rendered with the selected object's fields.

A command is an argv template, ``["docker", "logs", "--tail", "50", "{name}"]``: each
element is rendered on its own with :meth:`str.format_map` and the result is run
without a shell, so a value with spaces or quotes stays one argument and can never
start a second command. Fields are the selected record's (``id``, ``short_id``,
``name``, ``image``, ``labels[com.docker.compose.service]``, ``ports[0].host_port``...).
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from dockerforge_tui.core.errors import ConfigError, UsageError
from dockerforge_tui.services.audit import ActionTarget, AuditLog
from dockerforge_tui.services.external_commands import DEFAULT_TIMEOUT, CompletedAction, run_external

SCOPES: tuple[str, ...] = ("container", "image", "volume", "network", "compose_project", "engine")
"""What a custom command acts on: the kind of object selected when it is offered."""

# Record properties worth offering as fields on top of the dataclass fields.
_EXTRA_PROPERTIES = ("short_id", "display_name", "compose_project", "compose_service")
# Record fields that would only bloat the field list (the whole inspect document).
_SKIPPED_FIELDS = frozenset({"raw"})

_FORMATTER = string.Formatter()


class FieldList(tuple):
    """A tuple field that renders as ``a,b,c`` on its own and still indexes (``{tags[0]}``)."""

    def __format__(self, spec: str) -> str:
        return format(",".join(str(item) for item in self), spec)

    def __str__(self) -> str:
        return ",".join(str(item) for item in self)


def _top_level(field_name: str) -> str:
    for separator in (".", "["):
        field_name = field_name.split(separator, 1)[0]
    return field_name


def template_field_names(element: str) -> tuple[str, ...]:
    """The top-level field names one argv element uses (``{labels[x]}`` uses ``labels``).

    Raises :class:`ValueError` for a malformed template (an unmatched brace).
    """
    names = []
    for _, field_name, _, _ in _FORMATTER.parse(element):
        if field_name is not None:
            names.append(_top_level(field_name))
    return tuple(names)


@dataclass(frozen=True)
class CustomCommand:
    """One command a person added to the dashboard."""

    id: str
    title: str
    argv_template: tuple[str, ...]
    """The program and its arguments; each element may hold ``{field}`` placeholders."""
    dangerous: bool = False
    """True when it changes something: asks for confirmation and is refused in read-only mode."""
    scope: str = "container"
    """The kind of object it acts on (one of :data:`SCOPES`)."""
    description: str = ""
    interactive: bool = False
    """True when it needs the terminal (a shell, an editor): the UI hands the terminal over instead of capturing."""

    @property
    def fields(self) -> frozenset[str]:
        """Every top-level field the template uses."""
        return frozenset(name for element in self.argv_template for name in template_field_names(element))

    def render(self, values: Mapping[str, Any]) -> list[str]:
        """The argv with every element rendered from ``values`` separately (never joined or shell-parsed).

        Raises :class:`UsageError` naming the command, the element and the available
        fields when the template asks for a field (or key, or index) that is not there.
        """
        argv = []
        for element in self.argv_template:
            missing = [name for name in template_field_names(element) if name not in values]
            if missing:
                raise UsageError(
                    f"custom command {self.id!r}: unknown field {{{missing[0]}}} in {element!r} "
                    f"for a {self.scope}",
                    hint=f"available fields: {', '.join(sorted(values))}",
                )
            try:
                argv.append(element.format_map(values))
            except (KeyError, IndexError, AttributeError) as error:
                detail = error.args[0] if error.args else error
                raise UsageError(
                    f"custom command {self.id!r}: {element!r} refers to something the selected {self.scope} "
                    f"does not have ({detail})",
                    hint="check the key or index in the template, e.g. {labels[com.docker.compose.service]}",
                ) from error
            except ValueError as error:
                raise UsageError(f"custom command {self.id!r}: cannot render {element!r}: {error}",
                                 hint="check the format specification after the ':'") from error
        return argv


def _as_field(value: Any) -> Any:
    if isinstance(value, tuple):
        if value and all(isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in value):
            return dict(value)  # labels, env: (name, value) pairs read best as {labels[name]}
        return FieldList(value)
    return value


def template_fields(record: Any, **extra: Any) -> dict[str, Any]:
    """The fields a template may use for ``record`` (a dataclass such as ContainerSummary or ImageSummary).

    Dataclass fields (pairs become mappings, other tuples :class:`FieldList`), a few
    properties (``short_id``, ``display_name``, ``compose_project``...) and ``extra``.
    A mapping is taken as the fields themselves.
    """
    values: dict[str, Any] = {}
    if isinstance(record, Mapping):
        values.update(record)
    elif dataclasses.is_dataclass(record):
        for item in dataclasses.fields(record):
            if item.name not in _SKIPPED_FIELDS:
                values[item.name] = _as_field(getattr(record, item.name))
        for name in _EXTRA_PROPERTIES:
            if name not in values and hasattr(type(record), name):
                value = getattr(record, name)
                if value is not None:
                    values[name] = value
    values.update(extra)
    return values


def _entry_error(position: int, entry_id: Any, message: str) -> ConfigError:
    where = f"custom command {entry_id!r}" if entry_id else f"custom command #{position + 1}"
    return ConfigError(f"{where}: {message}", hint="each custom command needs id, title and argv (a list of strings)")


def parse_custom_commands(entries: Iterable[Mapping[str, Any]]) -> tuple[CustomCommand, ...]:
    """Validate custom commands from configuration data (``id``, ``title``, ``argv``, ``dangerous``,
    ``scope``, ``description``, ``interactive``); :class:`ConfigError` names the bad entry."""
    commands: list[CustomCommand] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries or ()):
        if not isinstance(entry, Mapping):
            raise _entry_error(position, None, "expected a mapping")
        command_id = entry.get("id")
        if not isinstance(command_id, str) or not command_id.strip():
            raise _entry_error(position, None, "needs an id")
        if command_id in seen:
            raise _entry_error(position, command_id, "the id is used twice")
        seen.add(command_id)
        argv = entry.get("argv", entry.get("argv_template"))
        if isinstance(argv, str) or not isinstance(argv, (list, tuple)) or not argv \
                or not all(isinstance(part, (str, int, float)) for part in argv):
            raise _entry_error(position, command_id, "argv must be a non-empty list of strings "
                                                     "(one element per argument; no shell is used)")
        argv = tuple(str(part) for part in argv)
        for element in argv:
            try:
                names = template_field_names(element)
            except ValueError as error:
                raise _entry_error(position, command_id, f"bad template {element!r}: {error}") from error
            if any(not name or name.isdigit() for name in names):
                raise _entry_error(position, command_id, f"{element!r} uses a positional field; name it, e.g. {{name}}")
        scope = entry.get("scope", "container")
        if scope not in SCOPES:
            raise _entry_error(position, command_id, f"unknown scope {scope!r} (use one of: {', '.join(SCOPES)})")
        unknown = set(entry) - {"id", "title", "argv", "argv_template", "dangerous", "scope", "description",
                                "interactive"}
        if unknown:
            raise _entry_error(position, command_id, f"unknown key(s): {', '.join(sorted(unknown))}")
        commands.append(CustomCommand(
            id=command_id, title=str(entry.get("title") or command_id), argv_template=argv,
            dangerous=bool(entry.get("dangerous", False)), scope=scope,
            description=str(entry.get("description") or ""), interactive=bool(entry.get("interactive", False)),
        ))
    return tuple(commands)


def commands_for(commands: Iterable[CustomCommand], scope: str) -> tuple[CustomCommand, ...]:
    """The commands offered for a selected object of ``scope``."""
    return tuple(command for command in commands if command.scope == scope)


def run_custom_command(command: CustomCommand, values: Mapping[str, Any], *, audit: AuditLog | None,
                       readonly: bool = False, endpoint: str = "",
                       timeout: float = DEFAULT_TIMEOUT) -> CompletedAction:
    """Render and run a (non-interactive) custom command, captured and audited as ``custom <id>``.

    Read-only mode refuses a dangerous command; a harmless one runs (and is audited).
    """
    argv = command.render(values)
    name = str(values.get("name") or values.get("display_name") or values.get("id") or "")
    target = ActionTarget(command.scope, name, str(values.get("id") or name))
    return run_external(argv, audit=audit, verb=f"custom {command.id}", target=target, endpoint=endpoint,
                        readonly=readonly and command.dangerous, timeout=timeout,
                        wording=f"run custom command {command.id!r} on")
