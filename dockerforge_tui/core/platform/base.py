"""The platform interface: what DockerForge needs to know about the machine it runs on.

One adapter per platform (:mod:`.linux`, :mod:`.wsl`, :mod:`.macos`, :mod:`.windows`)
answers the same few questions: which init system starts services, where
Docker-compatible engines usually listen, and what to tell a person whose engine is
stopped or whose socket refuses them. The socket lists and hints are data, in
``platforms.yaml`` next to this module.

Every adapter is built from a filesystem ``root`` so detection can be tested against a
fake tree of real files.
"""

from __future__ import annotations

import os
import platform as std_platform
import sys
from abc import ABC, abstractmethod
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

UNKNOWN_INIT = "unknown"


@cache
def platform_data() -> dict[str, Any]:
    """The parsed ``platforms.yaml`` (socket lists and hints per platform), read once."""
    text = resources.files(__package__).joinpath("platforms.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


class Platform(ABC):
    """One operating system family, seen from ``root`` (``/`` outside tests)."""

    key: str = ""
    """This platform's section in ``platforms.yaml``."""

    def __init__(self, root: Path = Path("/")) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={str(self.root)!r})"

    @property
    def name(self) -> str:
        """Human name of the platform: ``Linux``, ``WSL``, ``macOS`` or ``Windows``."""
        return str(self._data()["name"])

    @abstractmethod
    def init_system(self) -> str:
        """The service manager: ``systemd``, ``launchd``, ``openrc``, ``sysv``, ``upstart``,
        ``windows-services`` or ``unknown``."""

    def home(self, env: Mapping[str, str]) -> Path:
        """The user's home directory according to ``env`` (``HOME``), else the process's."""
        value = env.get("HOME")
        return Path(value) if value else Path.home()

    def docker_config_dir(self, env: Mapping[str, str], home: Path | None = None) -> Path:
        """Where the docker CLI keeps config.json and contexts: ``$DOCKER_CONFIG`` or ``~/.docker``."""
        value = env.get("DOCKER_CONFIG")
        if value:
            return Path(value).expanduser()
        return (home or self.home(env)) / ".docker"

    def known_sockets(self, env: Mapping[str, str], home: Path | None = None) -> list[tuple[str, str]]:
        """Engine endpoints this platform's usual engines listen on, as ``(url, label)`` in trial order.

        Entries that need a value ``env`` lacks (``XDG_RUNTIME_DIR``, ``TMPDIR``) are left out;
        duplicates keep their first position.
        """
        values = self._placeholders(env, home or self.home(env))
        sockets: list[tuple[str, str]] = []
        seen: set[str] = set()
        for entry in self._data().get("sockets", []):
            try:
                url = str(entry["url"]).format(**values)
            except KeyError:  # a placeholder with no value on this machine
                continue
            url = _tidy_unix_url(url)
            if url not in seen:
                seen.add(url)
                sockets.append((url, str(entry["label"])))
        return sockets

    def engine_start_hint(self, source: str | None = None) -> str:
        """How to start the engine: the advice for ``source`` (an endpoint label such as
        ``Colima``) when there is one, else the platform's advice for its init system."""
        data = self._data()
        by_source = data.get("source_start_hints", {})
        if source and source in by_source:
            return str(by_source[source]).strip()
        if data.get("default_start_hint"):
            return str(data["default_start_hint"]).strip()
        hints = platform_data()["init_start_hints"]
        return str(hints.get(self.init_system(), hints[UNKNOWN_INIT])).strip()

    def permission_hint(self) -> str:
        """What to do when the engine's socket refuses this user."""
        return str(self._data()["permission_hint"]).strip()

    def describe(self) -> dict[str, str]:
        """A JSON-ready summary for ``dockerforge doctor`` and bug-report bundles."""
        return {
            "os": self.name,
            "init_system": self.init_system(),
            "release": std_platform.release(),
            "machine": std_platform.machine(),
            "python": sys.version.split()[0],
        }

    def _data(self) -> dict[str, Any]:
        return platform_data()["platforms"][self.key]

    def _placeholders(self, env: Mapping[str, str], home: Path) -> dict[str, str]:
        values = {"home": str(home).rstrip("/\\")}
        for placeholder, variable in (("xdg_runtime_dir", "XDG_RUNTIME_DIR"), ("tmpdir", "TMPDIR")):
            if env.get(variable):
                values[placeholder] = env[variable].rstrip("/")
        if hasattr(os, "getuid"):
            values["uid"] = str(os.getuid())
        return values

    def _exists(self, relative: str) -> bool:
        return (self.root / relative).exists()

    def _read(self, relative: str) -> str:
        try:
            return (self.root / relative).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def _tidy_unix_url(url: str) -> str:
    """``unix://`` + an absolute path, with no doubled slashes inside the path."""
    if url.startswith("unix://"):
        path = url[len("unix://"):]
        while "//" in path:
            path = path.replace("//", "/")
        return "unix://" + path
    return url
