"""Which host process listens on a port, for a ``free_port`` action that names what to stop.

Linux only (``/proc/net/tcp*`` and ``/proc/PID/fd``); elsewhere, and for processes
of other users whose descriptors we may not read, the listener is reported without
a pid, or not at all. A container that publishes the port is found from the engine's
container states instead (:func:`~dockerforge_tui.services.issues.recommend.port_holders`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TCP_LISTEN = "0A"
_TABLES = {"tcp": ("net/tcp", "net/tcp6"), "udp": ("net/udp", "net/udp6")}


@dataclass(frozen=True)
class HostListener:
    """A socket bound to the port on the host, and the process holding it when we can see it."""

    port: int
    protocol: str
    pid: int | None
    process: str | None
    """The process's name (``/proc/PID/comm``), e.g. ``nginx`` or ``docker-proxy``."""


def find_host_listeners(port: int, protocol: str = "tcp", proc: Path = PROC) -> tuple[HostListener, ...]:
    """Processes listening on ``port`` (TCP: in LISTEN state; UDP: bound), one per process.

    Returns an empty tuple where ``/proc`` is not available.
    """
    inodes = _socket_inodes(port, protocol, proc)
    if not inodes:
        return ()
    owners = _owners(inodes, proc)
    found = [HostListener(port, protocol, pid, _process_name(pid, proc)) for pid in sorted(set(owners.values()))]
    if len(owners) < len(inodes):  # some sockets belong to processes we may not inspect
        found.append(HostListener(port, protocol, None, None))
    return tuple(found)


def _socket_inodes(port: int, protocol: str, proc: Path) -> set[str]:
    inodes: set[str] = set()
    for table in _TABLES.get(protocol, ()):
        try:
            lines = (proc / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, state, inode = fields[1], fields[3], fields[9]
            try:
                local_port = int(local.rsplit(":", 1)[1], 16)
            except (IndexError, ValueError):
                continue
            if local_port == port and (protocol != "tcp" or state == _TCP_LISTEN) and inode != "0":
                inodes.add(inode)
    return inodes


def _owners(inodes: set[str], proc: Path) -> dict[str, int]:
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    owners: dict[str, int] = {}
    try:
        pids = [entry for entry in os.listdir(proc) if entry.isdigit()]
    except OSError:
        return owners
    for pid in pids:
        try:
            descriptors = os.listdir(proc / pid / "fd")
        except OSError:  # another user's process, or it just exited
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(proc / pid / "fd" / descriptor)
            except OSError:
                continue
            inode = wanted.get(target)
            if inode is not None:
                owners[inode] = int(pid)
        if len(owners) == len(inodes):
            break
    return owners


def _process_name(pid: int, proc: Path) -> str | None:
    try:
        return (proc / str(pid) / "comm").read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None
