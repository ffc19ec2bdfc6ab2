"""Linux: the init system is read from the filesystem, the way service tools tell them apart."""

from __future__ import annotations

from dockerforge_tui.core.platform.base import UNKNOWN_INIT, Platform

# What PID 1 calls itself, for the init systems that leave no better marker.
_PID1_NAMES = {"systemd": "systemd", "openrc-init": "openrc", "upstart": "upstart"}


class LinuxPlatform(Platform):
    """A Linux machine (also the fallback for other Unix systems)."""

    key = "linux"

    def init_system(self) -> str:
        """Detect the init system from marker files under ``root``.

        The order matters: a systemd machine often still has ``/etc/init.d``, and an
        OpenRC or upstart one has it too, so the generic SysV marker comes last.
        """
        # sd_booted() checks exactly this directory.
        if (self.root / "run/systemd/system").is_dir():
            return "systemd"
        pid1 = self._read("proc/1/comm").strip()
        if pid1 in _PID1_NAMES:
            return _PID1_NAMES[pid1]
        if self._exists("run/openrc") or self._exists("sbin/openrc") or self._exists("sbin/openrc-run"):
            return "openrc"
        if self._exists("sbin/initctl") and self._has_upstart_jobs():
            return "upstart"
        if (self.root / "etc/init.d").is_dir():
            return "sysv"
        return UNKNOWN_INIT

    def _has_upstart_jobs(self) -> bool:
        # /sbin/initctl alone is not enough: sysvinit ships an unrelated initctl on some
        # distributions. Upstart keeps its job files in /etc/init/*.conf.
        if (self.root / "usr/share/upstart").is_dir():
            return True
        jobs = self.root / "etc/init"
        return jobs.is_dir() and any(jobs.glob("*.conf"))
