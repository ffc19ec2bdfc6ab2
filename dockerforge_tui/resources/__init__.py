"""Data shipped with DockerForge: themes, prompt templates and compose templates.

The folders here are links to the top-level ``themes/``, ``prompt_templates/`` and
``compose_templates/`` of the source tree, so they are edited in one place and still
end up inside the installed package.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The installed folder of one kind of data (``themes``, ``prompt_templates``, ``compose_templates``)."""
    return RESOURCES / name
