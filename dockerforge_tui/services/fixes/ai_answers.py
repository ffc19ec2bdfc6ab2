"""Turn an AI answer into typed operations; whatever does not map is kept as advice and never run.

An answer may carry a JSON object (alone, or in a fenced ```json block)::

    {"summary": "...", "operations": [{"kind": "update_resources", "memory": "512m"}], "advice": ["..."]}

(``actions`` is read like ``operations``, ``action`` like ``kind``), or lines such as::

    - restart web
    - update_resources web memory=512m cpus=1.5
    - recreate web env.LOG_LEVEL=debug port=8081:80

Operation words come from ``ai_aliases`` in ``rules.yaml``. A line in any other shape
(``docker update --memory 512m web`` included) is advice: shell text from an AI is
shown to a person and never run. An operation that names no container acts on the
container the question was about.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any, Mapping

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.services.fixes.operations import Operation, operation_from_dict
from dockerforge_tui.services.fixes.proposals import rule_settings

_FENCED_JSON = re.compile(r"```(?:json)?\s*(\{.*?\}|\[.*?\])\s*```", re.DOTALL | re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
_ADVICE_LABEL = re.compile(r"^(?:advice|note)\s*:\s*", re.IGNORECASE)
_DOCKER_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)(?:i?b)?\s*$", re.IGNORECASE)
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_CONTAINER_KEYS = ("container", "name", "target")
_MEMORY_KEYS = ("memory", "memory_swap")
_CHANGE_KEYS = ("privileged", "network_mode", "pid_mode", "ipc_mode", "cap_add", "devices", "binds",
                "healthcheck", "env_unset")


@dataclass(frozen=True)
class ParsedAnswer:
    """What an AI answer proposes: operations to review, and advice that is only shown."""

    operations: tuple[Operation, ...]
    advice: tuple[str, ...]
    summary: str = ""


def parse_memory(value: Any) -> int:
    """A memory size as ``docker --memory`` reads it: ``512m``/``512MiB`` is 512 MiB, a bare number bytes."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    match = _DOCKER_MEMORY.match(str(value))
    if match is None:
        raise ValueError(f"not a memory size: {value!r}")
    return int(float(match.group(1)) * _MEMORY_UNITS[match.group(2).lower()])


def parse_answer(text: str, container: str) -> ParsedAnswer:
    """Operations and advice from an AI answer about ``container`` (see the module docs for the shapes)."""
    structured = _json_payload(text)
    if structured is not None:
        return _from_json(structured, container)
    operations: list[Operation] = []
    advice: list[str] = []
    summary = ""
    for index, raw_line in enumerate(line for line in text.splitlines() if line.strip()):
        line = raw_line.strip()
        operation = _from_line(line, container)
        if operation is None:
            plain = _ADVICE_LABEL.sub("", _BULLET.sub("", line)).strip()
            if index == 0 and plain == line:  # a first line of prose: the summary the template asks for
                summary = line
            elif plain:
                advice.append(plain)
        elif isinstance(operation, str):
            advice.append(f"{_BULLET.sub('', line)} ({operation})")
        else:
            operations.append(operation)
    return ParsedAnswer(tuple(operations), tuple(advice), summary)


def _json_payload(text: str) -> Any:
    candidates = [match.group(1) for match in _FENCED_JSON.finditer(text)]
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        candidates.insert(0, stripped)
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return None


def _from_json(payload: Any, container: str) -> ParsedAnswer:
    if isinstance(payload, list):
        payload = {"operations": payload}
    if not isinstance(payload, Mapping):
        return ParsedAnswer((), (json.dumps(payload),))
    items = payload.get("operations") or payload.get("actions") or []
    advice = [str(item) for item in payload.get("advice") or () if str(item).strip()]
    operations: list[Operation] = []
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, Mapping):
            advice.append(str(item))
            continue
        result = _operation(dict(item), container)
        if isinstance(result, str):
            advice.append(f"{json.dumps(item, ensure_ascii=False)} ({result})")
        else:
            operations.append(result)
    return ParsedAnswer(tuple(operations), tuple(advice), str(payload.get("summary") or ""))


def _from_line(line: str, container: str) -> Operation | str | None:
    body = _BULLET.sub("", line)
    body = re.sub(r"^(?:action|operation)\s*:\s*", "", body, flags=re.IGNORECASE)
    try:
        words = shlex.split(body)
    except ValueError:
        return None
    if not words:
        return None
    kind = rule_settings().ai_aliases.get(words[0].lower().rstrip(":"))
    if kind is None:
        return None
    params: dict[str, Any] = {"kind": kind}
    for word in words[1:]:
        key, separator, value = word.partition("=")
        if separator:
            params[key] = value
        elif not any(name in params for name in _CONTAINER_KEYS):
            params["container"] = word
        else:
            return None  # free prose after an operation word: not something to run
    return _operation(params, container)


def _operation(item: dict[str, Any], container: str) -> Operation | str:
    """An operation from one loosely written item, or why it cannot be one."""
    word = str(item.pop("kind", None) or item.pop("action", None) or item.pop("type", None) or "").lower()
    kind = rule_settings().ai_aliases.get(word)
    if kind is None:
        return f"no operation called {word!r}" if word else "names no operation"
    params = dict(item.pop("params", None) or {}) | item
    for key in _CONTAINER_KEYS[1:]:
        if key in params and "container" not in params:
            params["container"] = params.pop(key)
    try:
        params = _normalised(kind, params, container)
        return operation_from_dict({"kind": kind, "params": params})
    except (UsageError, ValueError, TypeError) as error:
        return getattr(error, "message", None) or str(error)


def _normalised(kind: str, params: dict[str, Any], container: str) -> dict[str, Any]:
    if kind in ("restart", "stop", "start", "update_resources", "recreate", "remove"):
        params.setdefault("container", container)
    if kind == "free_port":
        params.setdefault("holder_container", params.pop("container", None) or params.pop("holder", None))
    for key in _MEMORY_KEYS:
        if params.get(key) is not None:
            params[key] = parse_memory(params[key])
    if "cpus" in params:
        params["nano_cpus"] = int(float(params.pop("cpus")) * 1_000_000_000)
    if "restart" in params:
        params["restart_policy"] = params.pop("restart")
    if kind == "recreate":
        changes = dict(params.pop("changes", None) or {})
        for key in ("memory", "memory_swap", "nano_cpus", "restart_policy", *_CHANGE_KEYS):
            if key in params:
                changes[key] = params.pop(key)
        env = dict(changes.pop("env", None) or params.pop("env", None) or {})
        for key in [key for key in params if key.startswith("env.")]:
            env[key[4:]] = params.pop(key)
        if env:
            changes["env_set"] = {**dict(changes.get("env_set") or {}), **env}
        ports = params.pop("port", None) or params.pop("ports", None)
        if ports:
            changes["ports"] = [_port(item) for item in (ports if isinstance(ports, list) else [ports])]
        for key in ("memory", "memory_swap"):
            if changes.get(key) is not None:
                changes[key] = parse_memory(changes[key])
        params["changes"] = changes
    return params


def _port(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    host, _, rest = str(value).partition(":")
    number, _, protocol = rest.partition("/")
    return {"container_port": int(number), "protocol": protocol or "tcp", "host_port": int(host)}
