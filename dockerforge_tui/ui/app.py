"""The Textual application and the one factory that builds it for the CLI and the tests."""

from __future__ import annotations

import time
from typing import Callable

from textual.app import App
from textual.binding import Binding

from dockerforge_tui.core.config import LoadedConfig
from dockerforge_tui.core.paths import AppPaths, app_paths
from dockerforge_tui.services.docker.connection import EngineConnection, connect
from dockerforge_tui.services.docker.watch import ContainerWatcher
from dockerforge_tui.ui.screens.containers import ContainersScreen


class DockerForgeApp(App):
    """DockerForge's dashboard. Services come in through the constructor; nothing is global."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "DockerForge"

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, config: LoadedConfig, paths: AppPaths, watcher: ContainerWatcher | None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.config = config
        self.paths = paths
        self._watcher = watcher
        self._clock = clock
        self.theme = config.settings.ui.theme if config.settings.ui.theme in self.available_themes else "textual-dark"

    def on_mount(self) -> None:
        self.push_screen(ContainersScreen(self._watcher, clock=self._clock))


def make_app(config: LoadedConfig, paths: AppPaths | None = None, *,
             connector: Callable[[], EngineConnection] | None = None,
             watch_engine: bool = True, clock: Callable[[], float] = time.time,
             retry_delays: tuple[float, float] = (0.5, 5.0), host_source: str | None = None) -> DockerForgeApp:
    """Build the dashboard for ``config``.

    ``connector`` opens an engine connection (default: discover one from the config);
    ``watch_engine=False`` builds the app with no engine at all, for snapshot tests that
    feed it fixed data through the same messages the workers post. ``host_source``
    labels ``docker.host`` when it came from the command line (``"--host"``).
    """
    settings = config.settings
    watcher = None
    if watch_engine:
        open_connection = connector or (lambda: connect(settings.docker, host_source=host_source))
        watcher = ContainerWatcher(open_connection, first_retry=retry_delays[0], max_retry=retry_delays[1],
                                   stats_interval=settings.ui.stats_interval)
    return DockerForgeApp(config, paths or app_paths(), watcher, clock=clock)
