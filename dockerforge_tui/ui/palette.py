"""Concrete colours from the active theme's variables, for Rich text built in Python.

Some theme variables are relative (``text-muted`` is ``auto 60%``): Textual's CSS
understands them, Rich does not. :func:`theme_palette` resolves them against the
theme's background so presenters always get a plain ``#rrggbb``.
"""

from __future__ import annotations

from typing import Iterable

from textual.color import Color, ColorParseError


def theme_palette(app, names: Iterable[str]) -> dict[str, str]:
    """Map each theme variable name to a concrete hex colour (names the theme lacks are left out)."""
    variables = app.theme_variables
    background = _parse(variables.get("background")) or Color(0, 0, 0)
    foreground = _parse(variables.get("foreground")) or background.get_contrast_text()
    palette: dict[str, str] = {}
    for name in names:
        value = variables.get(name)
        if value is None:
            continue
        colour = _parse(value)
        if colour is None and value.startswith("auto"):
            # "auto N%": the contrasting text colour at N% over the background.
            share = _percent(value)
            colour = background.blend(foreground, share)
        if colour is not None:
            palette[name] = colour.hex
    return palette


def _parse(value: str | None) -> Color | None:
    if not value:
        return None
    try:
        return Color.parse(value)
    except ColorParseError:
        return None


def _percent(value: str) -> float:
    for part in value.split():
        if part.endswith("%"):
            try:
                return max(0.0, min(1.0, float(part[:-1]) / 100))
            except ValueError:
                break
    return 1.0
