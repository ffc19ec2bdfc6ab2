"""Windows Subsystem for Linux: Linux inside, with Docker Desktop's WSL integration outside."""

from __future__ import annotations

from dockerforge_tui.core.platform.linux import LinuxPlatform


class WSLPlatform(LinuxPlatform):
    """A WSL distribution: Linux init detection, WSL-specific sockets and hints."""

    key = "wsl"
