"""DockerForge themes: YAML files in the packaged ``themes/`` folder and the user's config dir.

Each file names a theme and its colours (``primary``, ``background``... the fields of
``textual.theme.Theme``). A bad file is a one-line config error naming the file and key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.resources import resource_dir

COLOUR_KEYS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background",
               "surface", "panel", "boost")
OTHER_KEYS = ("name", "dark", "luminosity_spread", "text_alpha", "variables")


def theme_dirs(config_dir: Path) -> tuple[Path, ...]:
    """Where themes are read from, packaged first (a user theme of the same name wins)."""
    return resource_dir("themes"), config_dir / "themes"


def load_theme_file(path: Path) -> Theme:
    """Read one theme file; raises :class:`ConfigError` naming the file and key on a bad one."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read theme: {error}".splitlines()[0],
                          hint="fix or remove the theme file") from error
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError(f"{path}: a theme needs a mapping with a 'name'", hint="see themes/forge-dark.yaml")
    unknown = set(data) - set(COLOUR_KEYS) - set(OTHER_KEYS)
    if unknown:
        raise ConfigError(f"{path}: {sorted(unknown)[0]}: unknown theme key",
                          hint=f"theme keys are: {', '.join(COLOUR_KEYS + OTHER_KEYS)}")
    for key in COLOUR_KEYS:
        if key in data:
            try:
                Color.parse(str(data[key]))
            except ColorParseError:
                raise ConfigError(f"{path}: {key}: expected a colour like #FF8A3D, got {data[key]!r}",
                                  hint="use #rrggbb, rgb(...), or a colour name") from None
    return Theme(**{key: (str(value) if key in COLOUR_KEYS else value) for key, value in data.items()})


def load_themes(directories: Iterable[Path]) -> list[Theme]:
    """Every theme in the given folders (``*.yaml``), later folders overriding by name."""
    themes: dict[str, Theme] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            theme = load_theme_file(path)
            themes[theme.name] = theme
    return list(themes.values())
