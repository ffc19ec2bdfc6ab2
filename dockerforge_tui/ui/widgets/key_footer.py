"""The key footer every screen shows: Textual's :class:`~textual.widgets.Footer`, minus two costs.

Textual 8's footer rebuilds all its keys whenever the screen's bindings are updated, which
is every focus change, even when the keys it shows stay the same. And each key it builds
is data-bound to the footer's ``compact`` reactive; Textual forgets a removed key's
binding only when ``compact`` changes, which it never does, so every rebuild left the old
keys alive (about fifteen widgets, a few thousand objects, per focus change) and every
full garbage collection walked them again. Opening and closing the log view's search
prompt forty times kept some 300 dead keys.

:class:`KeyFooter` rebuilds only when the keys it would show differ, and after a rebuild
drops the bindings of the keys it removed. It looks and behaves like Textual's footer.
"""

from __future__ import annotations

from typing import Any, Hashable

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer


class KeyFooter(Footer):
    """A :class:`~textual.widgets.Footer` that rebuilds only on a change, and does not keep its old keys."""

    def __init__(self, *children: Widget, **options: Any) -> None:
        """Takes what :class:`~textual.widgets.Footer` takes."""
        super().__init__(*children, **options)
        self._shown: Hashable | None = None

    def shown_keys(self) -> tuple[Hashable, ...]:
        """What the footer shows for the current bindings: one entry per shown binding, plus the palette key."""
        app = self.app
        active = self.screen.active_bindings
        entries = [
            (binding.key, app.get_key_display(binding), binding.description, binding.action,
             binding.group, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in active.values()
            if binding.show
        ]
        palette = active.get(app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        palette_shown = None
        if palette is not None and app.ENABLE_COMMAND_PALETTE:
            _node, binding, enabled, tooltip = palette
            palette_shown = (binding.key, app.get_key_display(binding), binding.description, enabled,
                             binding.tooltip)
        return (*entries, (palette_shown, self.compact, self.combine_groups))

    def compose(self) -> ComposeResult:
        """Textual's keys; remembers what they show, so an unchanged set is not built again."""
        self._shown = self.shown_keys() if self._bindings_ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        """Rebuild the keys when what they show changed; then let the removed keys go."""
        if not self.is_attached:
            return
        if self.shown_keys() == self._shown:
            return
        await super().recompose()
        # Runs the ``compact`` watchers once: Textual prunes those of closed keys on the way.
        self.mutate_reactive(Footer.compact)
