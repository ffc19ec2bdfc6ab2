"""DockerForge themes load from data files, packaged and the user's own."""

from __future__ import annotations

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.themes import load_theme_file, load_themes, theme_dirs


def test_packaged_themes_load(tmp_path):
    names = {theme.name for theme in load_themes(theme_dirs(tmp_path))}
    assert {"forge-dark", "forge-light", "forge-16"} <= names


def test_a_user_theme_overrides_by_name_and_bad_files_say_where(tmp_path):
    user = tmp_path / "themes"
    user.mkdir()
    (user / "mine.yaml").write_text("name: forge-dark\nprimary: '#123456'\ndark: true\n")
    themes = {theme.name: theme for theme in load_themes(theme_dirs(tmp_path))}
    assert themes["forge-dark"].primary == "#123456"
    bad = user / "bad.yaml"
    bad.write_text("name: x\nprimary: not-a-colour\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: primary: expected a colour"):
        load_theme_file(bad)
    bad.write_text("name: x\nbackgroud: '#000000'\n")
    with pytest.raises(ConfigError, match="backgroud: unknown theme key"):
        load_theme_file(bad)


async def test_the_app_starts_with_a_dockerforge_theme_and_a_user_theme(isolated_dirs):
    themes = isolated_dirs / "config" / "themes"
    themes.mkdir()
    (themes / "night.yaml").write_text("name: night-shift\ndark: true\nprimary: '#00aaff'\n")
    app = make_app(load_config(overrides={"ui": {"theme": "forge-dark"}}), watch_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "forge-dark"
        assert "night-shift" in app.available_themes
        await pilot.press("colon", *"theme night-shift", "enter")
        assert app.theme == "night-shift"
