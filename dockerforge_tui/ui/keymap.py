"""Checking a user keymap against every screen's bindings before the app starts.

Textual applies a keymap by binding id (``App.set_keymap``) and quietly drops a binding
whose new key clashes with another. DockerForge checks first and reports a clash, or an
id that does not exist, as a config error that names the file, line and key path.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeymapProblem:
    """One thing wrong with the keymap, tied to the binding id it concerns."""

    binding_id: str
    problem: str
    hint: str


def bindings_of(owner: type) -> tuple[Binding, ...]:
    """The bindings a class declares itself (and its DockerForge ancestors), expanded one key each."""
    found: list[Binding] = []
    for klass in reversed(owner.__mro__):
        for binding in klass.__dict__.get("BINDINGS", ()):
            found.extend(_expand(binding))
    return tuple(found)


def _expand(binding: BindingType) -> Iterable[Binding]:
    if isinstance(binding, Binding):
        yield binding
    else:  # a tuple form without id: only there for completeness
        yield Binding(*binding)


def keymap_problems(keymap: Mapping[str, str], scopes: Mapping[str, Sequence[Binding]]) -> list[KeymapProblem]:
    """Every unknown id, empty key list and key clash the keymap would cause.

    ``scopes`` maps a scope name (a screen, with the app's bindings included) to the
    bindings active there. Only clashes that involve a key the user chose are reported:
    a screen binding that shadows an app binding by default is intended.
    """
    problems: list[KeymapProblem] = []
    known = sorted({binding.id for bindings in scopes.values() for binding in bindings if binding.id})
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, known, n=1, cutoff=0.5)
            hint = f'did you mean "{close[0]}"?' if close else "press ? in the dashboard to list binding ids"
            problems.append(KeymapProblem(binding_id, "no binding has this id", hint))
        elif not [key for key in keys.split(",") if key.strip()]:
            problems.append(KeymapProblem(binding_id, "no key given", 'give one or more keys, e.g. "x" or "x,ctrl+x"'))
    for scope, bindings in scopes.items():
        owner_of_key: dict[str, tuple[str, bool]] = {}
        for binding in bindings:
            remapped = bool(binding.id and binding.id in keymap)
            keys = keymap[binding.id] if remapped else binding.key
            for key in (part.strip() for part in keys.split(",")):
                if not key:
                    continue
                holder = owner_of_key.get(key)
                name = binding.id or binding.action
                if holder and holder[0] != name and (remapped or holder[1]):
                    blamed = name if remapped else holder[0]
                    other = holder[0] if remapped else name
                    problems.append(KeymapProblem(
                        blamed, f'key "{key}" is already bound to {other} on the {scope} screen',
                        f"choose another key, or move {other} too"))
                else:
                    owner_of_key[key] = (name, remapped)
    return problems
