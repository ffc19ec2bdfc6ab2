"""macOS: engines run in a VM (Docker Desktop, Colima, OrbStack, Podman) behind a user socket."""

from __future__ import annotations

from dockerforge_tui.core.platform.base import Platform


class MacOSPlatform(Platform):
    """A Mac; services are launchd jobs. Podman's socket lives under the per-user ``TMPDIR``."""

    key = "macos"

    def init_system(self) -> str:
        """Always ``launchd``."""
        return "launchd"
