"""What every subcommand receives: parsed arguments, streams, paths and lazily loaded config."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, TextIO

from dockerforge_tui.core.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from dockerforge_tui.core.config import LoadedConfig, Settings


def cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Turn the common command-line options into a config overlay (highest precedence)."""
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None):
        overrides.setdefault("docker", {})["host"] = args.host
    if getattr(args, "theme", None):
        overrides.setdefault("ui", {})["theme"] = args.theme
    if getattr(args, "readonly", False):
        overrides.setdefault("ui", {})["readonly"] = True
    return overrides


@dataclass
class CommandContext:
    """Everything a command needs; config is loaded on first use so ``config path`` works on a broken file."""

    args: argparse.Namespace
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    paths: AppPaths = field(default_factory=app_paths)
    _loaded: "LoadedConfig | None" = None

    @property
    def config_path(self) -> Path | None:
        """The file given with ``--config``, if any."""
        value = getattr(self.args, "config", None)
        return Path(value).expanduser() if value else None

    def config(self) -> "LoadedConfig":
        """Load (once) and return the merged, validated configuration.

        Raises :class:`~dockerforge_tui.core.errors.ConfigError` on a bad file or override.
        """
        if self._loaded is None:
            from dockerforge_tui.core.config import load_config

            self._loaded = load_config(
                config_path=self.config_path,
                env=self.env,
                overrides=cli_overrides(self.args),
                paths=self.paths,
            )
        return self._loaded

    @property
    def settings(self) -> "Settings":
        """Shortcut for ``config().settings``."""
        return self.config().settings

    @property
    def debug(self) -> bool:
        """True when ``--debug`` was given."""
        return bool(getattr(self.args, "debug", False))
