"""Render notifications from the Jinja2 templates in ``resources/notification_templates``.

One message can carry events of several kinds (a group holds everything about one
container and category): each kind present renders its ``KIND.txt.j2`` and
``KIND.html.j2`` section, and ``_message.txt.j2`` / ``_message.html.j2`` put the
sections together. The first line of the first text section is the subject.

Words come from a gettext-style message catalog, ``messages/LOCALE.yaml``
(``notifications.locale``; English shipped); a user's config directory may hold its own
``notification_templates/`` that replaces packaged files of the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.yaml_data import load_yaml
from dockerforge_tui.resources import resource_dir
from dockerforge_tui.services.issues.models import severity_rank
from dockerforge_tui.services.notify.events import NotificationEvent

TEMPLATES_FOLDER = "notification_templates"
DEFAULT_LOCALE = "en"
MAX_SUBJECT = 200


@dataclass(frozen=True)
class RenderedMessage:
    """One message ready to send: a subject, a plain-text body and an HTML body."""

    subject: str
    text: str
    html: str


class MessageCatalog:
    """A ``msgid -> msgstr`` catalog; plural entries are ``[one, other]``. Missing ids stay as written."""

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self._entries = dict(entries)

    def gettext(self, message: str) -> str:
        """The translation of ``message``."""
        found = self._entries.get(message)
        if isinstance(found, list):
            found = found[0] if found else None
        return found if isinstance(found, str) and found else message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The translation of ``singular``/``plural`` for ``count`` (English plural rule: one vs other)."""
        found = self._entries.get(singular)
        if isinstance(found, list) and len(found) >= 2:
            return found[0] if count == 1 else found[1]
        return singular if count == 1 else plural


def template_folders(user_config_dir: Path | None = None) -> list[Path]:
    """Where templates are looked up: the user's folder first (when it exists), then the packaged one."""
    folders = []
    if user_config_dir is not None and (user_config_dir / TEMPLATES_FOLDER).is_dir():
        folders.append(user_config_dir / TEMPLATES_FOLDER)
    folders.append(resource_dir(TEMPLATES_FOLDER))
    return folders


def load_catalog(locale: str, folders: Sequence[Path]) -> MessageCatalog:
    """The message catalog for ``locale`` (``messages/LOCALE.yaml`` in the first folder that has it).

    Raises :class:`ConfigError` when no folder has one.
    """
    for folder in folders:
        path = folder / "messages" / f"{locale}.yaml"
        if path.is_file():
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise ConfigError(f"{path}: expected a mapping of msgid: msgstr",
                                  hint="see messages/en.yaml in the packaged notification templates")
            return MessageCatalog(data)
    available = sorted({path.stem for folder in folders for path in (folder / "messages").glob("*.yaml")})
    raise ConfigError(f"notifications.locale: no message catalog for {locale!r} (available: {', '.join(available)})",
                      hint=f"use one of them, or add messages/{locale}.yaml under notification_templates/ "
                           "in the config directory")


class MessageRenderer:
    """Renders a group of events into a :class:`RenderedMessage` in one locale."""

    def __init__(self, locale: str = DEFAULT_LOCALE, user_config_dir: Path | None = None) -> None:
        import jinja2

        folders = template_folders(user_config_dir)
        self.catalog = load_catalog(locale, folders)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.ChainableUndefined,
            keep_trailing_newline=False,
            trim_blocks=False,
        )
        self._env.install_gettext_callables(  # type: ignore[attr-defined]
            self.catalog.gettext, self.catalog.ngettext, newstyle=True)

    def render(self, events: Iterable[NotificationEvent], *, escalation: bool = False, repeat: bool = False,
               extra: Mapping[str, Any] | None = None) -> RenderedMessage:
        """One message for ``events`` (one section per kind, most severe kind first)."""
        events = list(events)
        if not events:
            raise ValueError("a message needs at least one event")
        by_kind: dict[str, list[NotificationEvent]] = {}
        for event in sorted(events, key=lambda item: -severity_rank(item.severity)):
            by_kind.setdefault(event.kind, []).append(event)
        severity = max((event.severity for event in events), key=severity_rank)
        shared = {"severity": severity, "escalation": escalation, "repeat": repeat}
        text_sections, html_sections = [], []
        for kind, kind_events in by_kind.items():
            context = {**shared, "events": [{**event.template_data(), **(extra or {})} for event in kind_events]}
            text_sections.append(self._env.get_template(f"{kind}.txt.j2").render(context).strip("\n"))
            html_sections.append(self._env.get_template(f"{kind}.html.j2").render(context).strip("\n"))
        subject, _, first_body = text_sections[0].partition("\n")
        text_sections[0] = first_body.strip("\n")
        sections = [section for section in text_sections if section]
        text = self._env.get_template("_message.txt.j2").render({**shared, "sections": sections})
        from markupsafe import Markup

        html = self._env.get_template("_message.html.j2").render(
            {**shared, "sections": [Markup(section) for section in html_sections]})
        return RenderedMessage(subject=subject.strip()[:MAX_SUBJECT], text=text.strip() + "\n", html=html.strip() + "\n")
