"""Platform adapters: which OS and init system DockerForge runs on, and where engines listen.

:func:`detect_platform` picks the adapter; everything else talks to the
:class:`~dockerforge_tui.core.platform.base.Platform` interface.
"""

from __future__ import annotations

import os
import platform as std_platform
from pathlib import Path
from typing import Mapping

from dockerforge_tui.core.platform.base import Platform
from dockerforge_tui.core.platform.linux import LinuxPlatform
from dockerforge_tui.core.platform.macos import MacOSPlatform
from dockerforge_tui.core.platform.windows import WindowsPlatform
from dockerforge_tui.core.platform.wsl import WSLPlatform

__all__ = ["LinuxPlatform", "MacOSPlatform", "Platform", "WSLPlatform", "WindowsPlatform", "detect_platform"]


def detect_platform(root: Path = Path("/"), system: str | None = None,
                    env: Mapping[str, str] | None = None) -> Platform:
    """Return the adapter for the machine seen from ``root``.

    ``system`` is what :func:`platform.system` reports (``Linux``, ``Darwin``,
    ``Windows``); it is read from the running interpreter when not given. A Linux whose
    kernel names Microsoft (``/proc/version`` or ``/proc/sys/kernel/osrelease``), or whose
    environment has ``WSL_DISTRO_NAME``, is WSL. Any other Unix is treated like Linux.
    """
    env = os.environ if env is None else env
    system = system or std_platform.system()
    if system == "Darwin":
        return MacOSPlatform(root)
    if system == "Windows" or system.startswith(("CYGWIN", "MSYS", "MINGW")):
        return WindowsPlatform(root)
    if system == "Linux" and _is_wsl(Path(root), env):
        return WSLPlatform(root)
    return LinuxPlatform(root)


def _is_wsl(root: Path, env: Mapping[str, str]) -> bool:
    if env.get("WSL_DISTRO_NAME"):
        return True
    for relative in ("proc/version", "proc/sys/kernel/osrelease"):
        try:
            text = (root / relative).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "microsoft" in text.lower():
            return True
    return False
