"""Prompt templates: data files in ``prompt_templates/``, one per template version, loaded at run time.

A file ``<id>.v<version>.md`` holds YAML front matter (``id``, ``version``, ``description``,
``variables``, ``system``, optionally ``max_tokens``) and the user message as its body.
``{{ name }}`` in the body or the system prompt is replaced by a variable; rendering is
strict: a missing variable, or one not declared in ``variables``, is an error naming the
template. (The placeholders are Jinja2's syntax, so the renderer can grow into Jinja2 once
it is a dependency; today plain substitution is all the templates need.)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.resources import resource_dir

from .base import CompletionRequest, Message

USER_FOLDER_NAME = "prompt_templates"
"""The user's template folder inside the config directory; its files win over the packaged ones."""

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_FILE_NAME = re.compile(r"^(?P<id>[a-z0-9_\-]+)\.v(?P<version>\d+)\.md$")


class PromptTemplateError(UsageError):
    """A template file is malformed, missing, or rendered without a variable it needs."""


@dataclass(frozen=True)
class PromptTemplate:
    """One version of one template."""

    id: str
    version: int
    description: str
    variables: tuple[str, ...]
    system: str
    body: str
    max_tokens: int | None
    path: Path

    @property
    def label(self) -> str:
        """``id@vN``, as recorded with each call."""
        return f"{self.id}@v{self.version}"

    def render(self, **values: str) -> tuple[str, str]:
        """(system prompt, user message) with every ``{{ name }}`` replaced."""
        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise PromptTemplateError(f"prompt template {self.label}: unknown variable {', '.join(unknown)}",
                                      hint=f"it declares: {', '.join(self.variables)} ({self.path})")
        return self._fill(self.system, values), self._fill(self.body, values)

    def request(self, *, max_tokens: int, **values: str) -> CompletionRequest:
        """The rendered request; ``max_tokens`` is capped by the template's own limit."""
        system, user = self.render(**values)
        limit = min(max_tokens, self.max_tokens) if self.max_tokens else max_tokens
        return CompletionRequest((Message("user", user),), system=system or None, max_tokens=limit)

    def _fill(self, text: str, values: Mapping[str, str]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise PromptTemplateError(f"prompt template {self.label}: variable {name!r} is not given",
                                          hint=f"{self.path} uses it; pass it or remove it from the template")
            return str(values[name])

        return _VARIABLE.sub(replace, text).strip()


def template_folders(user_folder: Path | None = None) -> tuple[Path, ...]:
    """The user's folder (first, so it can override) and the packaged ``prompt_templates``."""
    packaged = resource_dir("prompt_templates")
    return (user_folder, packaged) if user_folder is not None else (packaged,)


def parse_template(path: Path) -> PromptTemplate:
    """Read one template file; raises :class:`PromptTemplateError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PromptTemplateError(f"{path}: cannot read the prompt template: {error.strerror}") from None
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise PromptTemplateError(f"{path}: a prompt template starts with YAML front matter between '---' lines")
    front, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as error:
        raise PromptTemplateError(f"{path}: invalid front matter: {error}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("id"), str) or not isinstance(meta.get("version"), int):
        raise PromptTemplateError(f"{path}: the front matter needs 'id' (text) and 'version' (a number)")
    variables = meta.get("variables") or []
    if not isinstance(variables, list) or not all(isinstance(name, str) for name in variables):
        raise PromptTemplateError(f"{path}: 'variables' must be a list of names")
    template = PromptTemplate(id=meta["id"], version=meta["version"], description=str(meta.get("description", "")),
                              variables=tuple(variables), system=str(meta.get("system") or ""), body=body,
                              max_tokens=meta.get("max_tokens"), path=path)
    used = set(_VARIABLE.findall(template.system + template.body))
    undeclared = sorted(used - set(variables))
    if undeclared:
        raise PromptTemplateError(f"{path}: uses undeclared variable {', '.join(undeclared)}",
                                  hint="list it under 'variables' in the front matter")
    return template


def list_templates(folders: Iterable[Path] | None = None) -> dict[str, dict[int, PromptTemplate]]:
    """Every template by id and version; a user folder listed first wins for the same id and version."""
    found: dict[str, dict[int, PromptTemplate]] = {}
    for folder in folders or template_folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            if _FILE_NAME.match(path.name) is None:
                continue
            template = parse_template(path)
            found.setdefault(template.id, {}).setdefault(template.version, template)
    return found


def load_template(template_id: str, version: int | None = None, folders: Iterable[Path] | None = None) -> PromptTemplate:
    """One template: the given version, or the newest."""
    versions = list_templates(folders).get(template_id)
    if not versions:
        raise PromptTemplateError(f"no prompt template {template_id!r}",
                                  hint="templates are files named <id>.v<version>.md in prompt_templates/")
    if version is None:
        return versions[max(versions)]
    if version not in versions:
        raise PromptTemplateError(f"prompt template {template_id!r} has no version {version}",
                                  hint=f"versions: {', '.join(map(str, sorted(versions)))}")
    return versions[version]


def user_template_folder(config_dir: Path) -> Path:
    """The user's prompt template folder in ``config_dir`` (it may not exist)."""
    return Path(config_dir) / USER_FOLDER_NAME


def _version_number(template_id: str, value: Any, versions: Mapping[int, PromptTemplate]) -> int:
    try:
        number = int(str(value).strip().lstrip("vV"))
    except ValueError:
        number = None
    if number is None or number not in versions:
        raise PromptTemplateError(f"ai.templates.{template_id}: prompt template {template_id!r} has no version {value!r}",
                                  hint=f"versions: {', '.join(map(str, sorted(versions)))} (config.yaml)")
    return number


def choose_version(template_id: str, versions: Mapping[int, PromptTemplate], choice: Any = None,
                   rng: random.Random | None = None) -> PromptTemplate:
    """The version ``choice`` (an ``ai.templates`` value) picks from ``versions``.

    None: the newest. A number or text (``2``, ``"2"``): that version. A mapping of version to
    weight (``{"1": 0.5, "2": 0.5}``): a weighted draw with ``rng`` (a seeded one in tests).
    An unknown version or weights that add up to nothing is a :class:`PromptTemplateError`.
    """
    if not versions:
        raise PromptTemplateError(f"no prompt template {template_id!r}",
                                  hint="templates are files named <id>.v<version>.md in prompt_templates/")
    if choice is None:
        return versions[max(versions)]
    if not isinstance(choice, Mapping):
        return versions[_version_number(template_id, choice, versions)]
    weights = {_version_number(template_id, key, versions): float(weight) for key, weight in choice.items()}
    if not weights or sum(weights.values()) <= 0 or any(weight < 0 for weight in weights.values()):
        raise PromptTemplateError(f"ai.templates.{template_id}: the A/B weights must be positive numbers",
                                  hint='e.g. {"1": 0.5, "2": 0.5} (config.yaml)')
    numbers = sorted(weights)
    picked = (rng or random.Random()).choices(numbers, weights=[weights[number] for number in numbers])[0]
    return versions[picked]


def select_template(template_id: str, choices: Mapping[str, Any] | None = None, rng: random.Random | None = None,
                    folders: Iterable[Path] | None = None) -> PromptTemplate:
    """The version of ``template_id`` that ``ai.templates`` (``choices``) picks; see :func:`choose_version`."""
    versions = list_templates(folders).get(template_id, {})
    return choose_version(template_id, versions, (choices or {}).get(template_id), rng)
