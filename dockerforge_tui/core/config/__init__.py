"""DockerForge's configuration: typed settings layered from YAML, environment and flags.

``load_config()`` returns a :class:`LoadedConfig` whose ``settings`` every part of the
program receives through its constructor; ``default_settings()`` gives the packaged
defaults alone. docs/CONFIG.md describes every key, the layers and the error format.
"""

from __future__ import annotations

from pathlib import Path

from dockerforge_tui.core.config.loader import (
    ENV_PREFIX,
    LoadedConfig,
    default_settings,
    environment_overrides,
    load_config,
    substitute,
    user_config_file,
)
from dockerforge_tui.core.config.models import (
    DEFAULTS_FILE,
    DockerSettings,
    LoggingSettings,
    LogsSettings,
    MonitoringSettings,
    RedactionSettings,
    Settings,
    UISettings,
    packaged_defaults,
)
from dockerforge_tui.core.config.units import ByteSize, Duration, format_duration, parse_byte_size, parse_duration

STARTER_FILE = Path(__file__).with_name("starter.yaml")
"""The commented starter file ``dockerforge config init`` writes."""


def starter_text() -> str:
    """Return the text of the commented starter config file."""
    return STARTER_FILE.read_text(encoding="utf-8")


__all__ = [
    "ByteSize",
    "DEFAULTS_FILE",
    "DockerSettings",
    "Duration",
    "ENV_PREFIX",
    "LoadedConfig",
    "LoggingSettings",
    "LogsSettings",
    "MonitoringSettings",
    "RedactionSettings",
    "STARTER_FILE",
    "Settings",
    "UISettings",
    "default_settings",
    "environment_overrides",
    "format_duration",
    "load_config",
    "packaged_defaults",
    "parse_byte_size",
    "parse_duration",
    "starter_text",
    "substitute",
    "user_config_file",
]
