"""The images screen: every image with its size, age and the containers using it; history, remove, prune."""

from __future__ import annotations

from typing import Mapping, Sequence

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable

from dockerforge_tui.services.docker.images import ImageSummary, list_images, preview_image_prune
from dockerforge_tui.services.docker.prune import PrunePreview, PruneResult
from dockerforge_tui.ui.presenters import objects as present
from dockerforge_tui.ui.screens.image_history import ImageHistoryScreen
from dockerforge_tui.ui.screens.object_list import ObjectListScreen, RemovalPlan, list_bindings
from dockerforge_tui.ui.services import DashboardServices
from dockerforge_tui.ui.widgets.object_table import Column, SortOrder


def _newest_first(image: ImageSummary) -> float:
    return -(image.created.timestamp() if image.created else 0.0)


class ImagesScreen(ObjectListScreen):
    """Lists images (newest first); ``enter`` shows an image's layers.

    ``d`` removes unused images (tag by tag, so each untag is audited); an image a
    container uses is only removed by the explicit force-remove (``D``). ``p`` prunes
    dangling images, ``P`` every unused image, each after a preview of what goes.
    Takes the optional arguments of :class:`ObjectListScreen`.
    """

    CSS_PATH = "../styles/images.tcss"
    KIND = "image"
    PREFIX = "images"

    BINDINGS = [
        *list_bindings("images"),
        # priority: the focused table would otherwise take enter as "select row".
        Binding("enter", "history", "History", id="images.history", priority=True),
        Binding("d", "remove", "Remove", id="images.remove"),
        Binding("D", "force_remove", "Force remove", show=False, id="images.force_remove"),
        Binding("p", "prune('dangling')", "Prune dangling", id="images.prune_dangling"),
        Binding("P", "prune('unused')", "Prune unused", show=False, id="images.prune_unused"),
    ]

    def columns(self) -> Sequence[Column]:
        return (Column("name", "Image"), Column("id", "ID", 12), Column("size", "Size"),
                Column("created", "Created"), Column("used_by", "Used by"))

    def orders(self) -> Sequence[SortOrder]:
        return (
            SortOrder("created", _newest_first),
            SortOrder("size", lambda image: -image.size),
            SortOrder("name", lambda image: (not image.tags, image.display_name.lower())),
            SortOrder("used_by", lambda image: -image.containers),
        )

    def cells(self, record: ImageSummary, palette: Mapping[str, str]) -> Mapping[str, Text | str]:
        return present.image_cells(record, palette, self.now())

    def fetch(self, services: DashboardServices) -> tuple[ImageSummary, ...]:
        return services.call(list_images)

    def status_parts(self) -> list[str]:
        images = self.table.records
        dangling = sum(1 for image in images if image.dangling)
        parts = [present.count_of(len(images), "image"), present.format_bytes(sum(image.size for image in images))]
        if dangling:
            parts.append(f"{dangling} dangling")
        return parts

    # -- removal and prune ------------------------------------------------------------

    def plan_removal(self, records: tuple[ImageSummary, ...], force: bool) -> RemovalPlan | str:
        if force:
            title = (f"Force-remove {present.count_of(len(records), 'image')}?" if len(records) > 1
                     else f"Force-remove {records[0].display_name}?")
            return RemovalPlan(records, title, present.image_force_removal_details(records),
                               confirm_label="Force remove", force=True)
        removable = tuple(image for image in records if not image.in_use)
        kept = tuple(image for image in records if image.in_use)
        if not removable:
            return present.image_in_use_notice(kept[0]) if len(kept) == 1 else (
                f"all {len(kept)} images are used by containers: the engine keeps them; force-remove them with D")
        if len(records) == 1:
            image = removable[0]
            return RemovalPlan(removable, f"Remove {image.display_name}?", present.image_removal_details(image))
        return RemovalPlan(removable, f"Remove {present.count_of(len(removable), 'image')}?",
                           present.bulk_image_removal_details(removable, kept))

    def remove_one(self, services: DashboardServices, record: ImageSummary, force: bool) -> str:
        if force or not record.tags:
            lines = services.act("remove_image", record, force=force)
        else:
            # Removing by id refuses an image with several tags; untagging each in turn
            # removes the image with the last one, and nothing is forced.
            lines = ()
            for tag in record.tags:
                lines += services.act("remove_image", tag)
        return f"{record.display_name}: {present.removal_outcome(lines)}"

    def preview_prune(self, services: DashboardServices, mode: str) -> PrunePreview:
        return services.call(preview_image_prune, mode or "dangling", self.prune_filters)

    def run_prune(self, services: DashboardServices, mode: str) -> PruneResult:
        return services.act("prune_images", mode or "dangling", self.prune_filters)

    # -- history ----------------------------------------------------------------------

    def action_history(self) -> None:
        """Show the layers of the image under the cursor."""
        image = self.table.selected
        if image is None:
            self.notify("no image selected", severity="warning")
            return
        self.app.push_screen(ImageHistoryScreen(image, clock=self._clock, follow_engine=self._follow_engine))

    def action_force_remove(self) -> None:
        """Force-remove the marked images (or the one under the cursor), even when containers use them."""
        self.start_removal(force=True)

    @on(DataTable.RowSelected)
    def _row_clicked(self) -> None:
        self.action_history()
