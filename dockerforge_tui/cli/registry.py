"""Subcommands are registered here, from the ``dockerforge.commands`` entry-point group.

A command is a :class:`Command`: a name, a one-line help text, a function that adds
its arguments to an ``argparse`` parser, and a function that runs it and returns an
exit code. Built-in commands are declared in ``pyproject.toml`` like any plugin's;
:data:`BUILTIN_COMMANDS` lets a source checkout that was never installed still find them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from dockerforge_tui.cli.context import CommandContext

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dockerforge.commands"

BUILTIN_COMMANDS: dict[str, str] = {
    "ai": "dockerforge_tui.cli.commands.ai:COMMAND",
    "audit": "dockerforge_tui.cli.commands.audit:COMMAND",
    "config": "dockerforge_tui.cli.commands.config:COMMAND",
    "doctor": "dockerforge_tui.cli.commands.doctor:COMMAND",
    "fix": "dockerforge_tui.cli.commands.fix:COMMAND",
    "issues": "dockerforge_tui.cli.commands.issues:COMMAND",
    "logs": "dockerforge_tui.cli.commands.logs:COMMAND",
    "notify": "dockerforge_tui.cli.commands.notify:COMMAND",
    "patterns": "dockerforge_tui.cli.commands.patterns:COMMAND",
    "report": "dockerforge_tui.cli.commands.report:COMMAND",
}


@dataclass(frozen=True)
class Command:
    """One ``dockerforge`` subcommand."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, "CommandContext"], int]


def _load(target: str) -> Command:
    module_name, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(command, Command):
        raise TypeError(f"{target} is not a dockerforge Command")
    return command


def command_targets() -> dict[str, str]:
    """Every registered command's name and import target, without importing any of them."""
    targets = dict(BUILTIN_COMMANDS)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        targets.setdefault(entry.name, entry.value)
    return targets


def discover_commands(targets: dict[str, str] | None = None) -> dict[str, Command]:
    """Return every registered command by name: built-ins first, then plugins.

    ``targets`` (from :func:`command_targets`) saves looking the entry points up again.
    A plugin that fails to load is logged and left out, so one broken plugin never
    takes the whole CLI down.
    """
    commands: dict[str, Command] = {}
    for name, target in (command_targets() if targets is None else targets).items():
        try:
            commands[name] = _load(target)
        except Exception as error:  # a plugin's bug must not break the CLI
            log.warning("command plugin %s (%s) failed to load: %s", name, target, error)
    return commands
