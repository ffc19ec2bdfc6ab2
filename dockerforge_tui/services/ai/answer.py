"""An analysis answer, parsed into summary, root cause, evidence and proposed fixes.

The ``diagnose`` template asks for four parts, but models answer in many shapes:
numbered parts (``1. Summary: ...``), Markdown headings (``## Root cause``), bold labels
(``**Evidence:**``), or JSON (bare, or fenced as ```` ```json ````) when the provider was
asked for JSON output. :func:`parse_answer` accepts all of them and never fails: an
answer with no recognisable part keeps its text, its first paragraph becomes the summary
and ``structured`` is False, so the caller can show the raw answer instead.

The section names each part may go by are data (``answer_sections.yaml``). Nothing in an
answer is ever run: proposed fixes are text for a person to read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Mapping

from dockerforge_tui.core.yaml_data import load_yaml

SECTIONS_FILE = Path(__file__).with_name("answer_sections.yaml")
PARTS = ("summary", "root_cause", "evidence", "fixes")

_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)\n\s*```", re.DOTALL)
# A heading, optionally numbered: "## Root cause", "### 2. Evidence:"
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<label>.+?)\s*#*\s*$")
# A bold or underlined label, the text may follow: "**Root cause:** the disk", "1. **Fixes**"
_BOLD = re.compile(r"^\s*(?:(?:\d{1,2}[.)]|[-*])\s*)?(?:\*\*|__)(?P<label>[^*_]+?)(?:\*\*|__)\s*:?\s*(?P<rest>.*)$")
# A plain label with a colon, optionally numbered (not bulleted: "- Fix: ..." inside a list is an item)
_PLAIN = re.compile(r"^\s*(?:\d{1,2}[.)]\s*)?(?P<label>[A-Za-z][A-Za-z ;/'()-]{0,40}?)\s*:\s*(?P<rest>.*)$")


@dataclass(frozen=True)
class StructuredAnswer:
    """One analysis answer in its parts; ``raw`` is the text as the model gave it."""

    summary: str
    root_cause: str
    evidence: tuple[str, ...]
    fixes: tuple[str, ...]
    raw: str
    structured: bool
    """True when at least one part was found by name (not only guessed from the first paragraph)."""
    source_format: str = "text"
    """``json``, ``markdown`` or ``text`` (nothing recognised)."""

    @property
    def is_empty(self) -> bool:
        """No part has any text."""
        return not (self.summary or self.root_cause or self.evidence or self.fixes)


def answer_text(answer: StructuredAnswer) -> str:
    """The parts as plain text for a terminal (``Summary:``, ``Root cause:``, ``Evidence:``, ``Fixes:``); the raw
    answer when no part was found."""
    if not answer.structured:
        return answer.raw.strip()
    blocks: list[str] = []
    if answer.summary:
        blocks.append(f"Summary: {answer.summary}")
    if answer.root_cause:
        blocks.append(f"Root cause: {answer.root_cause}")
    if answer.evidence:
        blocks.append("Evidence:\n" + "\n".join(f"- {item}" for item in answer.evidence))
    if answer.fixes:
        blocks.append("Fixes:\n" + "\n".join(f"{number}. {item}" for number, item in enumerate(answer.fixes, 1)))
    return "\n\n".join(blocks)


@cache
def section_names() -> Mapping[str, tuple[str, ...]]:
    """Each part's accepted names, normalised, from ``answer_sections.yaml``."""
    data = load_yaml(SECTIONS_FILE.read_text(encoding="utf-8")) or {}
    return {part: tuple(_normalise(name) for name in data.get(part, ())) for part in PARTS}


def parse_answer(text: str) -> StructuredAnswer:
    """Split an analysis answer into its parts (JSON first, then Markdown sections); see the module docstring."""
    raw = text or ""
    data = _json_object(raw)
    if data is not None:
        parsed = _from_json(data, raw)
        if parsed is not None:
            return parsed
    return _from_markdown(raw)


def part_of(label: str) -> str | None:
    """The part (``summary``, ``root_cause``, ``evidence``, ``fixes``) a section label names, or None."""
    name = _normalise(label)
    if not name:
        return None
    for part, names in section_names().items():
        if name in names:
            return part
    return None


# --------------------------------------------------------------------------- JSON answers


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object the answer is (or holds in a fence, or between its outer braces), if any."""
    candidates = [match.group(1) for match in _FENCE.finditer(text)]
    stripped = text.strip()
    candidates.append(stripped)
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start:end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            # {"analysis": {...}}: one wrapping key around the real object
            if len(value) == 1 and isinstance(next(iter(value.values())), dict):
                value = next(iter(value.values()))
            return value
    return None


def _from_json(data: dict[str, Any], raw: str) -> StructuredAnswer | None:
    found: dict[str, Any] = {}
    for key, value in data.items():
        part = part_of(_split_camel(str(key)))
        if part is not None and part not in found:
            found[part] = value
    if not found:
        return None
    return StructuredAnswer(
        summary=_json_text(found.get("summary")),
        root_cause=_json_text(found.get("root_cause")),
        evidence=_json_items(found.get("evidence")),
        fixes=_json_items(found.get("fixes")),
        raw=raw, structured=True, source_format="json")


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "\n".join(item for item in (_json_text(item) for item in value) if item)
    if isinstance(value, dict):
        main = next((value[key] for key in ("cause", "text", "description", "summary", "explanation") if key in value),
                    None)
        if main is None:
            return "; ".join(f"{key}: {_json_text(item)}" for key, item in value.items())
        extra = [f"{key}: {_json_text(item)}" for key, item in value.items()
                 if key in ("confidence", "certainty", "likelihood")]
        return _json_text(main) + (f" ({', '.join(extra)})" if extra else "")
    return str(value)


def _json_items(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(item for item in (_json_item(element) for element in value) if item)
    if isinstance(value, str):
        return _items_of(value.splitlines())
    item = _json_item(value)
    return (item,) if item else ()


def _json_item(value: Any) -> str:
    """One evidence line or fix; a fix object's command goes in backticks after its description."""
    if not isinstance(value, dict):
        return _json_text(value)
    command = next((value[key] for key in ("command", "cmd", "shell") if isinstance(value.get(key), str)), None)
    description = next((value[key] for key in ("description", "step", "text", "title", "fix", "line", "evidence")
                        if isinstance(value.get(key), str)), None)
    if description and command:
        return f"{description.strip()}: `{command.strip()}`"
    if command:
        return f"`{command.strip()}`"
    return description.strip() if description else _json_text(value)


# --------------------------------------------------------------------------- Markdown and text answers


def _from_markdown(raw: str) -> StructuredAnswer:
    preamble: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = preamble
    in_code = False
    for line in raw.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
            current.append(line)
            continue
        header = None if in_code else _section_header(line)
        if header is not None:
            part, rest = header
            current = sections.setdefault(part, [])
            if rest:
                current.append(rest)
            continue
        current.append(line)
    if not sections:
        return StructuredAnswer(summary=_first_paragraph(preamble), root_cause="", evidence=(), fixes=(), raw=raw,
                                structured=False, source_format="text")
    summary = _paragraphs_text(sections.get("summary", [])) or _first_paragraph(preamble)
    return StructuredAnswer(
        summary=summary,
        root_cause=_paragraphs_text(sections.get("root_cause", [])),
        evidence=_items_of(sections.get("evidence", [])),
        fixes=_items_of(sections.get("fixes", [])),
        raw=raw, structured=True, source_format="markdown")


def _section_header(line: str) -> tuple[str, str] | None:
    """``(part, text after the label)`` when the line opens a known section."""
    for pattern in (_HEADING, _BOLD, _PLAIN):
        match = pattern.match(line)
        if match is None:
            continue
        label = match.group("label")
        rest = match.groupdict().get("rest") or ""
        if pattern is _HEADING and ":" in label:  # "## Root cause: the disk"
            label, _, rest = label.partition(":")
        part = part_of(label)
        if part is not None:
            return part, rest.strip()
    return None


def _paragraphs_text(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _first_paragraph(lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    return text.split("\n\n", 1)[0].strip()


def _items_of(lines: list[str]) -> tuple[str, ...]:
    """List items (``-``, ``*``, ``1.``), with their continuation lines and code blocks; else paragraphs."""
    if not any(_LIST_MARKER.match(line) for line in lines):
        text = "\n".join(lines).strip()
        return tuple(paragraph.strip() for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip())
    items: list[list[str]] = []
    in_code = False
    top_indent: int | None = None  # nested lists stay inside their item
    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        marker = None if in_code or line.lstrip().startswith("```") else _LIST_MARKER.match(line)
        indent = len(line) - len(line.lstrip())
        if marker is not None and (top_indent is None or indent <= top_indent + 1):
            top_indent = indent if top_indent is None else top_indent
            items.append([line[marker.end():]])
        elif items:
            items[-1].append(line.strip() if not in_code and not line.lstrip().startswith("```") else line)
        elif line.strip():
            items.append([line.strip()])
    return tuple(text for text in ("\n".join(item).strip() for item in items) if text)


def _normalise(label: str) -> str:
    """Lower case, no Markdown, numbering, punctuation or trailing parenthesis: "**2. Root Cause (likely):**" -> "root cause"."""
    text = re.sub(r"\(.*?\)", " ", label)
    text = re.sub(r"[*_`#]", " ", text)
    text = re.sub(r"^\s*\d{1,2}[.)]\s*", " ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    return " ".join(text.split())


def _split_camel(key: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ")
