"""Prompt templates: data files in ``prompt_templates/``, one per template version, loaded at run time.

A file ``<id>.v<version>.md`` holds YAML front matter (``id``, ``version``, ``description``,
``variables``, ``system``, optionally ``optional`` (variables that may be left out, rendered
empty), ``max_tokens``, ``experimental``) and the user message as its body. The body and the
system prompt are Jinja2 templates rendered in a sandbox with strict undefined: a variable
that is not given, or one given but not declared in ``variables``, is an error naming the
template. Values are inserted as given (no escaping); they are never parsed as templates.

Several versions of a template live side by side. ``ai.templates`` picks one, or a weighted
A/B split (:func:`choose_version`, drawn with the caller's ``random.Random``); unlisted, the
newest version not marked ``experimental: true`` is used, so a new version can be tried in a
split before it becomes the default. A user folder (``<config dir>/prompt_templates``) is
searched first: its files add versions or replace a packaged one with the same version.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.resources import resource_dir

from .base import CompletionRequest, Message

USER_FOLDER_NAME = "prompt_templates"
"""The user's template folder inside the config directory; its files win over the packaged ones."""

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_FILE_NAME = re.compile(r"^(?P<id>[a-z0-9_\-]+)\.v(?P<version>\d+)\.md$")


TEMPLATE_OUTPUTS = ("text", "json")
"""What a template's ``output`` hint may ask for."""


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
    optional: tuple[str, ...] = ()
    """Declared variables that may be left out (rendered as empty text)."""
    experimental: bool = False
    """Used only when ``ai.templates`` names it (alone or in an A/B split), never by default."""
    output: str = "text"
    """A provider hint: ``json`` asks a provider that can answer in JSON to do so (the template's
    optional ``json_output`` variable is then set, so its body can ask for the JSON shape)."""

    @property
    def label(self) -> str:
        """``id@vN``, as recorded with each call."""
        return f"{self.id}@v{self.version}"

    @property
    def required(self) -> tuple[str, ...]:
        """The variables a caller must give."""
        return tuple(name for name in self.variables if name not in self.optional)

    def render(self, **values: str) -> tuple[str, str]:
        """(system prompt, user message) rendered with ``values``."""
        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise PromptTemplateError(f"prompt template {self.label}: unknown variable {', '.join(unknown)}",
                                      hint=f"it declares: {', '.join(self.variables)} ({self.path})")
        filled = {**{name: "" for name in self.optional}, **values}
        for name in self.variables:
            if name not in filled:
                raise PromptTemplateError(f"prompt template {self.label}: variable {name!r} is not given",
                                          hint=f"{self.path} uses it; pass it or list it under 'optional'")
        return self._fill(self.system, filled), self._fill(self.body, filled)

    def request(self, *, max_tokens: int, **values: str) -> CompletionRequest:
        """The rendered request; ``max_tokens`` is capped by the template's own limit."""
        system, user = self.render(**values)
        limit = min(max_tokens, self.max_tokens) if self.max_tokens else max_tokens
        return CompletionRequest((Message("user", user),), system=system or None, max_tokens=limit)

    def _fill(self, text: str, values: Mapping[str, str]) -> str:
        try:
            return _compiled(text).render(**values).strip()
        except TemplateError as error:
            raise PromptTemplateError(f"prompt template {self.label}: {error}", hint=str(self.path)) from None


@lru_cache(maxsize=64)
def _compiled(text: str) -> Any:
    return _ENVIRONMENT.from_string(text)


def _used_variables(path: Path, text: str) -> set[str]:
    """The variables ``text`` reads; a Jinja2 syntax error names the file and line."""
    try:
        return set(meta.find_undeclared_variables(_ENVIRONMENT.parse(text)))
    except TemplateError as error:
        line = f":{error.lineno}" if getattr(error, "lineno", None) else ""
        raise PromptTemplateError(f"{path}{line}: invalid template: {error}",
                                  hint="see https://jinja.palletsprojects.com/templates/") from None


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
    optional = meta.get("optional") or []
    for key, names in (("variables", variables), ("optional", optional)):
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise PromptTemplateError(f"{path}: '{key}' must be a list of names")
    output = meta.get("output", "text")
    if output not in TEMPLATE_OUTPUTS:
        raise PromptTemplateError(f"{path}: 'output' must be one of {', '.join(TEMPLATE_OUTPUTS)}, not {output!r}")
    if set(optional) - set(variables):
        raise PromptTemplateError(f"{path}: optional variable {', '.join(sorted(set(optional) - set(variables)))} "
                                  "is not listed under 'variables'")
    template = PromptTemplate(id=meta["id"], version=meta["version"], description=str(meta.get("description", "")),
                              variables=tuple(variables), system=str(meta.get("system") or ""), body=body,
                              max_tokens=meta.get("max_tokens"), path=path, optional=tuple(optional),
                              experimental=bool(meta.get("experimental", False)), output=output)
    used = _used_variables(path, template.system) | _used_variables(path, template.body)
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


def default_version(versions: Mapping[int, PromptTemplate]) -> PromptTemplate:
    """The newest version not marked experimental (the newest of all when every one is)."""
    stable = [number for number, template in versions.items() if not template.experimental]
    return versions[max(stable or versions)]


def load_template(template_id: str, version: int | None = None, folders: Iterable[Path] | None = None) -> PromptTemplate:
    """One template: the given version, or :func:`default_version`."""
    versions = list_templates(folders).get(template_id)
    if not versions:
        raise PromptTemplateError(f"no prompt template {template_id!r}",
                                  hint="templates are files named <id>.v<version>.md in prompt_templates/")
    if version is None:
        return default_version(versions)
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

    None: :func:`default_version`. A number or text (``2``, ``"2"``): that version. A mapping of version to
    weight (``{"1": 0.5, "2": 0.5}``): a weighted draw with ``rng`` (a seeded one in tests).
    An unknown version or weights that add up to nothing is a :class:`PromptTemplateError`.
    """
    if not versions:
        raise PromptTemplateError(f"no prompt template {template_id!r}",
                                  hint="templates are files named <id>.v<version>.md in prompt_templates/")
    if choice is None:
        return default_version(versions)
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
