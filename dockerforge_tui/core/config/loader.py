"""Load, layer and validate DockerForge's configuration.

Layers, lowest first: the packaged ``defaults.yaml``; the user's ``config.yaml`` (or the
file given with ``--config``, which replaces it); ``DOCKERFORGE_<SECTION>__<KEY>``
environment variables; the ``overrides`` mapping built from command-line flags.
Mappings merge key by key; any other value (a list included) replaces the lower one.

Every value remembers where it came from (file and line, environment variable or
command line), so a bad one is reported in one line that says where to fix it::

    config.yaml:12: monitoring.interval: expected a duration like 10s, got "fast"
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Iterator, Mapping, Sequence

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockerforge_tui.core.config.models import DEFAULTS_FILE, Settings
from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.paths import AppPaths, app_paths

ENV_PREFIX = "DOCKERFORGE_"
ENV_SEPARATOR = "__"
DOCS = "docs/CONFIG.md"

KeyPath = tuple[str | int, ...]

# ${VAR}, ${VAR:-default}, ${VAR:?message}; $${ is a literal "${".
_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}")

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class LoadedConfig:
    """The validated configuration and where it came from."""

    settings: Settings
    """The merged, validated settings."""
    files: tuple[Path, ...]
    """Configuration files that were read, lowest precedence first (packaged defaults not included)."""
    user_file: Path
    """Where the user's file lives or would live: ``--config`` if given, else the platform's config.yaml."""
    environment: tuple[str, ...] = ()
    """Names of the ``DOCKERFORGE_<SECTION>__<KEY>`` variables that were applied, sorted."""
    origins: Mapping[KeyPath, "_Origin"] = field(default_factory=dict, compare=False, repr=False)
    """Where each value came from, by key path."""

    def error_at(self, key_path: Sequence[str | int], problem: str, hint: str | None = None) -> ConfigError:
        """A :class:`ConfigError` for a value that is valid alone but wrong in context.

        It has the same one-line form as a schema error (``file:line: key.path: problem``),
        for checks that need more than the schema, such as key bindings that collide.
        """
        key_path = tuple(key_path)
        origin = _origin_of(key_path, self.origins)
        advice = f"{origin.fix}; {DOCS} describes every key and its values"
        return ConfigError(f"{origin.label}: {_dotted(key_path)}: {problem}",
                           hint=f"{hint}; {advice}" if hint else advice)


@dataclass(frozen=True)
class _Origin:
    """Where one value came from."""

    label: str
    """How an error names the place: ``path:line``, ``environment NAME`` or ``command line``."""
    order: tuple[int, int]
    """(layer, line), so the first problem in reading order is the one reported."""
    fix: str
    """The hint's advice on where to fix it."""


@dataclass
class _Layer:
    data: dict[str, Any]
    origins: dict[KeyPath, _Origin]


# --------------------------------------------------------------------------- public API


def user_config_file(config_path: Path | str | None = None, paths: AppPaths | None = None,
                     env: Mapping[str, str] | None = None) -> Path:
    """Return the file that plays the user's part: ``config_path`` if given, else ``paths.config_file``."""
    if config_path is not None:
        return Path(config_path).expanduser()
    return (paths or app_paths(env)).config_file


def environment_overrides(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the names of the variables in ``env`` that override config keys, sorted.

    Those are ``DOCKERFORGE_`` variables with ``__`` in the name; the directory variables
    (``DOCKERFORGE_CONFIG_DIR`` and friends) have none and are not config keys.
    """
    env = os.environ if env is None else env
    return tuple(sorted(name for name in env if name.startswith(ENV_PREFIX) and ENV_SEPARATOR in name))


def load_config(config_path: Path | str | None = None, env: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None, paths: AppPaths | None = None) -> LoadedConfig:
    """Read, merge and validate the configuration; see the module docstring for the layers.

    ``env`` defaults to ``os.environ``; it supplies both the override variables and the
    values of ``${VAR}`` references in files. A missing user file is fine; a missing
    ``config_path`` is not. Raises :class:`ConfigError` with a one-line message naming
    the file and line (or variable) and the key path of the first problem found.
    """
    env = dict(os.environ if env is None else env)
    user_file = user_config_file(config_path, paths, env)
    if config_path is not None and not user_file.exists():
        raise ConfigError(
            f"{user_file}: no such configuration file",
            hint="check the path given with --config, or create it with "
                 f"'dockerforge config init --config {user_file}'",
        )

    layers = [_file_layer(DEFAULTS_FILE, rank=0, env=env)]
    files: list[Path] = []
    if user_file.exists():
        layers.append(_file_layer(user_file, rank=1, env=env))
        files.append(user_file)
    names = environment_overrides(env)
    layers.append(_environment_layer(env, names))
    if overrides:
        layers.append(_overrides_layer(overrides))

    merged: dict[str, Any] = {}
    origins: dict[KeyPath, _Origin] = {}
    for layer in layers:
        _overlay(merged, origins, layer.data, layer.origins, ())
    settings = _validate(merged, origins)
    return LoadedConfig(settings=settings, files=tuple(files), user_file=user_file, environment=names,
                        origins=origins)


def default_settings() -> Settings:
    """Return the packaged defaults alone, validated; never raises for a correctly installed package."""
    return Settings()


def substitute(text: str, env: Mapping[str, str], *, where: str, key: str) -> str:
    """Replace ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` in ``text`` from ``env``.

    An unset ``${VAR}`` becomes empty; ``:-`` and ``:?`` treat an empty variable as unset.
    ``$${`` stands for a literal ``${``. ``where`` (``file:line``) and ``key`` (the key
    path) name the place in the :class:`ConfigError` raised for a missing ``${VAR:?message}``.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if value or operator is None:
            return value
        if operator == ":-":
            return argument
        reason = f": {argument}" if argument else ""
        raise ConfigError(
            f"{where}: {key}: environment variable {name} is not set{reason}",
            hint=f"set {name}, or change the value of {key} in {where.rsplit(':', 1)[0]}",
        )

    return _REFERENCE.sub(replace, text)


# --------------------------------------------------------------------------- layers


class _KeysAsTextLoader(yaml.SafeLoader):
    """SafeLoader that keeps mapping keys as written, so ``1:`` or ``on:`` is the key "1" or "on"."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:  # type: ignore[override]
        self.flatten_mapping(node)
        mapping: dict[Hashable, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                key: Any = key_node.value
            else:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, Hashable):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "found an unhashable key", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _file_layer(path: Path, *, rank: int, env: Mapping[str, str]) -> _Layer:
    """Read one YAML file: its data with ``${VAR}`` substituted, and the line of every key."""
    text = _read_text(path)
    lines: dict[KeyPath, int] = {}
    try:
        loader = _KeysAsTextLoader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                _record_lines(root, (), lines, path, active=set())
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(path, error) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow; no mark, a position
        before = text[:error.position]
        line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
        character = error.character if isinstance(error.character, int) else ord(error.character)
        raise ConfigError(f"{path}:{line}:{column}: invalid YAML: unacceptable character #x{character:04x}",
                          hint="remove control characters; YAML allows printable text, tabs and newlines") from None

    if data is None:  # an empty file, or one that is all comments, sets nothing
        data = {}
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        raise ConfigError(
            f"{path}:{line}: expected a mapping of sections (docker:, logging:, ...) at the top level, "
            f"got {_describe(data)}",
            hint=f"a config file is a mapping of section names to settings; {DOCS} shows the layout",
        )

    def origin(key_path: KeyPath) -> str:
        return f"{path}:{_line_for(key_path, lines)}"

    data = _substitute_all(data, (), env, origin)
    origins = {
        key_path: _Origin(f"{path}:{line}", (rank, line), f"fix it in {path}")
        for key_path, line in lines.items()
    }
    return _Layer(data, origins)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file",
                          hint="give the path of a YAML file") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})",
                          hint="save the file as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}",
                          hint="check that the file exists and is readable") from None


def _syntax_error(path: Path, error: yaml.MarkedYAMLError) -> ConfigError:
    mark = error.problem_mark or error.context_mark
    place = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = error.problem or error.context or "invalid YAML"
    context = f" ({error.context})" if error.context and error.problem else ""
    return ConfigError(f"{place}: invalid YAML: {problem}{context}",
                       hint="check the indentation and quoting on that line and the one above it")


def _record_lines(node: Node, key_path: KeyPath, lines: dict[KeyPath, int], path: Path,
                  active: set[int]) -> None:
    """Map every key path under ``node`` to its 1-based line; reject duplicate keys."""
    if id(node) in active:  # an alias to one of its own parents: endless data
        raise ConfigError(f"{path}:{node.start_mark.line + 1}: {_dotted(key_path)}: an alias refers to itself",
                          hint="an anchor (&name) cannot be used (*name) inside its own value")
    active.add(id(node))
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue  # merged keys keep the lines of their anchor's parent
            key, line = key_node.value, key_node.start_mark.line + 1
            child = key_path + (key,)
            if key in seen:
                raise ConfigError(
                    f"{path}:{line}: {_dotted(child)}: duplicate key (first set on line {seen[key]})",
                    hint="remove one of the two; YAML keeps only one of them",
                )
            seen[key] = line
            lines[child] = line
            _record_lines(value_node, child, lines, path, active)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[key_path + (index,)] = item.start_mark.line + 1
            _record_lines(item, key_path + (index,), lines, path, active)
    active.discard(id(node))


def _line_for(key_path: KeyPath, lines: Mapping[KeyPath, int]) -> int:
    for length in range(len(key_path), 0, -1):
        if key_path[:length] in lines:
            return lines[key_path[:length]]
    return 1


def _substitute_all(value: Any, key_path: KeyPath, env: Mapping[str, str], origin: Any) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value
        return substitute(value, env, where=origin(key_path), key=_dotted(key_path))
    if isinstance(value, dict):
        return {key: _substitute_all(item, key_path + (key,), env, origin) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute_all(item, key_path + (index,), env, origin) for index, item in enumerate(value)]
    return value


def _environment_layer(env: Mapping[str, str], names: tuple[str, ...]) -> _Layer:
    """Turn ``DOCKERFORGE_DOCKER__HOST=...`` into ``{"docker": {"host": ...}}``."""
    data: dict[str, Any] = {}
    origins: dict[KeyPath, _Origin] = {}
    for order, name in enumerate(names):
        keys = name[len(ENV_PREFIX):].lower().split(ENV_SEPARATOR)
        if not all(keys):
            raise ConfigError(
                f"environment {name}: empty key name in the variable name",
                hint=f"write it as {ENV_PREFIX}<SECTION>__<KEY>, e.g. DOCKERFORGE_DOCKER__HOST, or unset it",
            )
        target = data
        for key in keys[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[keys[-1]] = _parse_env_value(env[name])
        origins[tuple(keys)] = _Origin(f"environment {name}", (2, order), f"fix or unset {name}")
    return _Layer(data, origins)


def _parse_env_value(text: str) -> Any:
    """Read a variable's value as a YAML scalar (``true``, ``10``, ``[a, b]``); fall back to the text."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if value is None and text.strip() not in ("", "~", "null", "Null", "NULL"):
        return text  # e.g. "#secret", which YAML reads as a comment
    if not isinstance(value, (str, int, float, bool, list, dict, type(None))):
        return text  # dates and the like are text to us
    return value


def _overrides_layer(overrides: Mapping[str, Any]) -> _Layer:
    data = copy.deepcopy(dict(overrides))
    origin = _Origin("command line", (3, 0), "fix the command-line option")
    return _Layer(data, {key_path: origin for key_path in _key_paths(data, ())})


def _key_paths(value: Any, key_path: KeyPath) -> Iterator[KeyPath]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key_path + (key,)
            yield from _key_paths(item, key_path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield key_path + (index,)
            yield from _key_paths(item, key_path + (index,))


def _overlay(target: dict[str, Any], origins: dict[KeyPath, _Origin], source: Mapping[str, Any],
             source_origins: Mapping[KeyPath, _Origin], key_path: KeyPath) -> None:
    """Merge ``source`` into ``target`` in place, keeping ``origins`` in step with the values."""
    for key, value in source.items():
        child = key_path + (key,)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            if child in source_origins:
                origins[child] = source_origins[child]
            _overlay(target[key], origins, value, source_origins, child)
            continue
        for stale in [p for p in origins if p[:len(child)] == child]:
            del origins[stale]
        target[key] = copy.deepcopy(value)
        origins.update((p, o) for p, o in source_origins.items() if p[:len(child)] == child)


# --------------------------------------------------------------------------- validation


def _validate(merged: dict[str, Any], origins: Mapping[KeyPath, _Origin]) -> Settings:
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        problems = [_problem(detail, merged, origins) for detail in error.errors()]
    problems.sort(key=lambda problem: problem[0])
    _, message, hint = problems[0]
    if len(problems) > 1:
        more = len(problems) - 1
        hint += f" ({more} more problem{'s' if more > 1 else ''} after this one)"
    raise ConfigError(message, hint=hint)


def _problem(detail: Mapping[str, Any], merged: Mapping[str, Any],
             origins: Mapping[KeyPath, _Origin]) -> tuple[tuple[int, int], str, str]:
    """Turn one pydantic error into (reading order, one-line message, hint)."""
    key_path: KeyPath = tuple(part for part in detail["loc"] if part != "[key]")
    origin = _origin_of(key_path, origins)
    where = f"{origin.label}: {_dotted(key_path)}"
    if detail["type"] == "extra_forbidden":
        key = str(key_path[-1])
        valid = _valid_keys(key_path[:-1])
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        if close:
            return origin.order, f'{where}: unknown key; did you mean "{close[0]}"?', \
                f"{origin.fix}; {DOCS} lists every key"
        return origin.order, f"{where}: unknown key; valid keys here: {', '.join(valid)}", \
            f"{origin.fix}; {DOCS} lists every key"
    found = _lookup(merged, key_path, default=detail.get("input"))
    message = f"{where}: {_expected(detail)}, got {_describe(found)}"
    return origin.order, message, f"{origin.fix}; {DOCS} describes every key and its values"


def _origin_of(key_path: KeyPath, origins: Mapping[KeyPath, _Origin]) -> _Origin:
    for length in range(len(key_path), 0, -1):
        if key_path[:length] in origins:
            return origins[key_path[:length]]
    return _Origin("configuration", (9, 0), "fix the configuration")


def _valid_keys(key_path: KeyPath) -> list[str]:
    """Field names of the model at ``key_path`` (the section's keys, or the sections)."""
    model: type[BaseModel] = Settings
    for key in key_path:
        field = model.model_fields.get(str(key))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


_EXPECTED = {
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "string_too_short": "expected non-empty text",
}


def _expected(detail: Mapping[str, Any]) -> str:
    kind, context = detail["type"], detail.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind == "literal_error":
        return f"expected {str(context.get('expected', '')).replace(chr(39), '')}"
    if kind == "greater_than":
        return f"expected a value greater than {_describe(context.get('gt'))}"
    if kind == "greater_than_equal":
        return f"expected a value of at least {_describe(context.get('ge'))}"
    message = str(detail["msg"])
    if message.startswith("expected"):  # our own types word their messages this way
        return message
    return f"expected a valid value ({message[:1].lower()}{message[1:]})"


def _lookup(data: Any, key_path: KeyPath, default: Any) -> Any:
    for key in key_path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return default
    return data


def _describe(value: Any) -> str:
    """A value as an error message shows it: strings quoted, collections by kind."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:56] + '..."'


def _dotted(key_path: KeyPath) -> str:
    """``("redaction", "values", 0)`` -> ``redaction.values[0]``."""
    text = ""
    for key in key_path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text or "(top level)"
