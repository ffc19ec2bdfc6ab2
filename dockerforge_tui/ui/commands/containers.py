"""Command-palette provider: every container by name (jump to it, or open its logs)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ContainerCommands(Provider):
    """Offers each container the containers screen knows, by name."""

    def _containers(self):
        from dockerforge_tui.ui.screens.containers import ContainersScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, ContainersScreen):
                return screen.known_containers()
        return ()

    async def discover(self) -> Hits:
        for container in self._containers():
            yield DiscoveryHit(f"container {container.name}", partial(self._jump, container.id),
                               help=f"{container.state} · {container.image}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for container in self._containers():
            text = f"container {container.name}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._jump, container.id),
                          help=f"{container.state} · {container.image}")

    def _jump(self, container_id: str) -> None:
        from dockerforge_tui.ui.screens.containers import ContainersScreen

        if isinstance(self.screen, ContainersScreen):
            self.screen.select_container(container_id)
