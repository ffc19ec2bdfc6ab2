"""Print the dashboard's key map as a Markdown table, generated from the screens' BINDINGS.

    .venv/bin/python scripts/keymap_table.py > /tmp/keys.md

The README's key map is pasted from this output, so it never drifts from the code.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.screen import Screen

import dockerforge_tui.ui.screens as screens_package
from dockerforge_tui.ui.app import DockerForgeApp
from dockerforge_tui.ui.keymap import bindings_of


def screen_classes() -> list[type[Screen]]:
    """Every screen class defined in dockerforge_tui.ui.screens, in module order."""
    found = []
    for module_info in pkgutil.iter_modules(screens_package.__path__):
        module = importlib.import_module(f"{screens_package.__name__}.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Screen) and value.__module__ == module.__name__ and value.__dict__.get("BINDINGS"):
                found.append(value)
    return found


def main() -> None:
    print("| where | key | what | binding id |")
    print("| --- | --- | --- | --- |")
    for owner in [DockerForgeApp, *screen_classes()]:
        where = "everywhere" if owner is DockerForgeApp else owner.__name__.removesuffix("Screen")
        for binding in bindings_of(owner):
            if binding.id:
                print(f"| {where} | `{binding.key}` | {binding.description} | `{binding.id}` |")


if __name__ == "__main__":
    main()
