"""Windows: engines listen on named pipes and run as Windows services or Docker Desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from dockerforge_tui.core.platform.base import Platform


class WindowsPlatform(Platform):
    """A Windows machine (not WSL: that is :class:`~dockerforge_tui.core.platform.wsl.WSLPlatform`)."""

    key = "windows"

    def init_system(self) -> str:
        """Always ``windows-services``."""
        return "windows-services"

    def home(self, env: Mapping[str, str]) -> Path:
        """``USERPROFILE``, then ``HOME``, then the process's idea of home."""
        value = env.get("USERPROFILE") or env.get("HOME")
        return Path(value) if value else Path.home()
