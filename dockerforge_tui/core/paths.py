"""Where DockerForge keeps its files, per platform (through platformdirs).

Every directory can be moved with an environment variable, which the tests use to
keep each run in its own temporary tree:
``DOCKERFORGE_CONFIG_DIR``, ``DOCKERFORGE_DATA_DIR``, ``DOCKERFORGE_LOG_DIR``,
``DOCKERFORGE_CACHE_DIR``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import platformdirs

APP_NAME = "dockerforge"


@dataclass(frozen=True)
class AppPaths:
    """The directories DockerForge reads and writes."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        """The user's configuration file (it may not exist)."""
        return self.config_dir / "config.yaml"

    @property
    def log_file(self) -> Path:
        """The rotating log file."""
        return self.log_dir / "dockerforge.log"


def app_paths(env: Mapping[str, str] | None = None) -> AppPaths:
    """Return the platform's directories for DockerForge, honouring the override variables."""
    env = os.environ if env is None else env

    def pick(var: str, default: str) -> Path:
        value = env.get(var)
        return Path(value).expanduser() if value else Path(default)

    return AppPaths(
        config_dir=pick("DOCKERFORGE_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=pick("DOCKERFORGE_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        log_dir=pick("DOCKERFORGE_LOG_DIR", platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        cache_dir=pick("DOCKERFORGE_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )
