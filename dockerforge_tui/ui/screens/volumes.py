"""The volumes screen: every volume with its driver and users; sizes fill in after the list shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.prune import PrunePreview, PruneResult
from dockerforge_tui.services.docker.volumes import (
    VolumeSummary, VolumeUsage, list_volumes, preview_volume_prune, volume_sizes, with_sizes,
)
from dockerforge_tui.ui.presenters import objects as present
from dockerforge_tui.ui.screens.object_list import ObjectListScreen, RemovalPlan, list_bindings
from dockerforge_tui.ui.services import DashboardServices
from dockerforge_tui.ui.widgets.object_table import Column, SortOrder


class VolumesScreen(ObjectListScreen):
    """Lists volumes by name. Sizes come from the engine's slow disk-usage call, so a second
    worker measures them after the list is on screen (``…`` until then, ``-`` when the
    driver does not say). ``d`` removes unmounted volumes, ``p`` prunes after a preview.
    Takes the optional arguments of :class:`ObjectListScreen`.
    """

    CSS_PATH = "../styles/volumes.tcss"
    KIND = "volume"
    PREFIX = "volumes"

    BINDINGS = [
        *list_bindings("volumes"),
        Binding("d", "remove", "Remove", id="volumes.remove"),
        Binding("p", "prune", "Prune", id="volumes.prune"),
    ]

    @dataclass
    class SizesMeasured(Message):
        """The disk-usage call answered: every volume's size (None where the driver cannot tell)."""

        sizes: tuple[VolumeUsage, ...]

    @dataclass
    class SizesFailed(Message):
        """The disk-usage call failed; sizes stay unknown."""

        message: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._sizes: dict[str, int | None] = {}
        """The last measured size of each volume, kept across list refreshes so sizes do not blink."""
        self._measuring = False

    def key_of(self, record: VolumeSummary) -> str:
        return record.name

    def columns(self) -> Sequence[Column]:
        return (Column("name", "Name"), Column("driver", "Driver"), Column("size", "Size"),
                Column("used_by", "Used by"), Column("created", "Created"))

    def orders(self) -> Sequence[SortOrder]:
        return (
            SortOrder("name", lambda volume: volume.name.lower()),
            # Largest first; not yet measured (or unknowable) last.
            SortOrder("size", lambda volume: -(volume.size if volume.size is not None else -1)),
            SortOrder("used_by", lambda volume: -len(volume.used_by)),
            SortOrder("created", lambda volume: -(volume.created.timestamp() if volume.created else 0.0)),
            SortOrder("driver", lambda volume: volume.driver),
        )

    def cells(self, record: VolumeSummary, palette: Mapping[str, str]) -> Mapping[str, Text | str]:
        return present.volume_cells(record, palette, self.now(), measured=record.name in self._sizes)

    def fetch(self, services: DashboardServices) -> tuple[VolumeSummary, ...]:
        return services.call(list_volumes)

    def status_parts(self) -> list[str]:
        volumes = self.table.records
        parts = [present.count_of(len(volumes), "volume")]
        known = [volume.size for volume in volumes if volume.size is not None]
        if known:
            parts.append(present.format_bytes(sum(known)))
        if self._measuring:
            parts.append("measuring sizes…")
        return parts

    # -- sizes: a second, slower worker -------------------------------------------------

    def prepare_listed(self, records: tuple[VolumeSummary, ...]) -> tuple[VolumeSummary, ...]:
        # Keep the sizes measured last time, so a refresh does not blank them while re-measuring.
        return with_sizes(records, self._usages()) if self._sizes else records

    def after_listed(self) -> None:
        if self._follow_engine:
            self._measuring = True
            self.measure_sizes()

    @work(thread=True, exclusive=True, group="volume-sizes")
    def measure_sizes(self) -> None:
        """Ask the engine for disk usage (can take seconds on a big host)."""
        worker = get_current_worker()
        try:
            sizes = self.app.services.call(volume_sizes)
        except DockerForgeError as error:
            if not worker.is_cancelled:
                self.post_message(self.SizesFailed(error.message))
            return
        if not worker.is_cancelled:
            self.post_message(self.SizesMeasured(sizes))

    @on(SizesMeasured)
    def _sizes_measured(self, message: SizesMeasured) -> None:
        self._measuring = False
        self._sizes = {usage.name: usage.size for usage in message.sizes}
        # A volume the engine did not report has no size to wait for.
        for volume in self.table.records:
            self._sizes.setdefault(volume.name, None)
        self.table.replace_records(with_sizes(self.table.records, self._usages()))
        self.show_status()

    @on(SizesFailed)
    def _sizes_failed(self, message: SizesFailed) -> None:
        self._measuring = False
        self._sizes = {volume.name: None for volume in self.table.records}
        self.table.refresh_cells()
        self._note = f"sizes unknown: {message.message}"
        self.show_status()

    def _usages(self) -> tuple[VolumeUsage, ...]:
        return tuple(VolumeUsage(name, size, None) for name, size in self._sizes.items())

    # -- removal and prune ------------------------------------------------------------

    def plan_removal(self, records: tuple[VolumeSummary, ...], force: bool) -> RemovalPlan | str:
        removable = tuple(volume for volume in records if not volume.in_use)
        kept = tuple(volume for volume in records if volume.in_use)
        if not removable:
            return present.volume_in_use_notice(kept[0]) if len(kept) == 1 else (
                f"all {len(kept)} volumes are mounted by containers: remove those containers first")
        title = (f"Remove volume {removable[0].name}?" if len(removable) == 1
                 else f"Remove {present.count_of(len(removable), 'volume')}?")
        return RemovalPlan(removable, title, present.volume_removal_details(removable, kept))

    def remove_one(self, services: DashboardServices, record: VolumeSummary, force: bool) -> str:
        services.act("remove_volume", record)
        return f"volume {record.name}"

    def preview_prune(self, services: DashboardServices, mode: str) -> PrunePreview:
        return services.call(preview_volume_prune, self.prune_filters, sizes=True)

    def run_prune(self, services: DashboardServices, mode: str) -> PruneResult:
        return services.act("prune_volumes", self.prune_filters)
