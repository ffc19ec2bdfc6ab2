"""Read DockerForge's own YAML data files (patterns, rules, defaults) quickly.

LibYAML's C loader reads the same safe subset as ``yaml.safe_load`` five to thirty times
faster; the packaged data files are read at every start, so that is tens of milliseconds
before the first frame. Where LibYAML is missing, the pure-Python loader does the same.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader (LibYAML's when installed)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
