"""The docker CLI's contexts (``docker context ls``), read from its context store, for the endpoint switcher."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dockerforge_tui.services.docker.endpoints import normalize_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DockerContext:
    """One context: its name, engine URL and description."""

    name: str
    url: str
    description: str = ""
    current: bool = False


def list_contexts(docker_config_dir: Path) -> tuple[DockerContext, ...]:
    """Every context in ``docker_config_dir``'s store, sorted by name; unreadable ones are skipped."""
    current = None
    try:
        current = json.loads((docker_config_dir / "config.json").read_text(encoding="utf-8")).get("currentContext")
    except (OSError, ValueError, AttributeError):
        pass
    found: list[DockerContext] = []
    for meta_file in sorted((docker_config_dir / "contexts" / "meta").glob("*/meta.json")):
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            name = str(meta["Name"])
            url = normalize_url(str(meta["Endpoints"]["docker"]["Host"]))
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.debug("skipping unreadable docker context %s: %s", meta_file, error)
            continue
        description = str((meta.get("Metadata") or {}).get("Description") or "")
        found.append(DockerContext(name, url, description, current=name == current))
    return tuple(sorted(found, key=lambda context: context.name))


def docker_config_dir(env: Mapping[str, str], home: Path) -> Path:
    """The docker CLI's config folder: ``$DOCKER_CONFIG`` or ``~/.docker``."""
    return Path(env["DOCKER_CONFIG"]).expanduser() if env.get("DOCKER_CONFIG") else home / ".docker"
