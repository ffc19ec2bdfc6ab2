"""Pure functions that turn image, volume, network and engine records into screen text.

The tables of the images, volumes, networks and system screens and the words of their
confirmation dialogs come from here, so they are tested without an app. Colours come
in as a ``palette`` (semantic name to colour, from the active theme), never as literals.
Confirmation texts are plain strings: the screen escapes them before display.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, Sequence

from rich.text import Text

from dockerforge_tui.services.docker.images import ImageLayer, ImageSummary
from dockerforge_tui.services.docker.networks import NetworkSummary
from dockerforge_tui.services.docker.prune import PrunePreview, PruneResult
from dockerforge_tui.services.docker.system import DiskUsage, DiskUsageRow, EngineDetails
from dockerforge_tui.services.docker.volumes import VolumeSummary
from dockerforge_tui.ui.presenters.containers import EMPTY, format_bytes, format_duration

Palette = Mapping[str, str]

NO_TAG = "<none>"
MEASURING = "…"
"""Shown in a size cell while the slow disk-usage call is still running."""
LIST_LIMIT = 5
"""At most this many objects are named in a dialog; the rest are counted (the dialog must fit 80x24)."""
KEPT_LIMIT = 2
"""A dialog that lists what goes and what stays names fewer of each."""
GOES_LIMIT = 4
ANONYMOUS_NAME_SHOWN = 12
"""Characters of a 64-hex anonymous volume name the table shows (the dialog shows all of it)."""

DISK_USAGE_LABELS = {
    "images": "Images",
    "containers": "Containers",
    "volumes": "Local volumes",
    "build_cache": "Build cache",
}


def _plain(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, end="")


def _colour(name: str, palette: Palette) -> str:
    return palette.get(name, "")


# -- shared ------------------------------------------------------------------------------


def format_age(created: datetime | None, now: float) -> str:
    """How long ago something was created, as the docker CLI says it: ``3d ago``; ``-`` when unknown."""
    if created is None:
        return EMPTY
    return f"{format_duration(now - created.timestamp())} ago"


def names_text(names: Sequence[str], limit: int = 3) -> str:
    """A few names joined with commas, the rest counted: ``web, db and 2 more``; ``-`` for none."""
    if not names:
        return EMPTY
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def used_by_text(names: Sequence[str], palette: Palette) -> Text:
    """The containers using an object: ``2: web, db``, or a muted ``-`` when none does."""
    if not names:
        return _plain(EMPTY, _colour("text-muted", palette))
    return _plain(f"{len(names)}: {names_text(names)}")


def bulleted(lines: Iterable[str], limit: int = LIST_LIMIT) -> str:
    """Lines as a short bulleted list for a dialog; past ``limit`` the rest are counted."""
    lines = list(lines)
    shown = [f"  • {line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"  … and {len(lines) - limit} more")
    return "\n".join(shown)


def count_of(number: int, singular: str, plural: str | None = None) -> str:
    """``1 image``, ``3 images``."""
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


# -- images ------------------------------------------------------------------------------


def image_tags_text(image: ImageSummary, palette: Palette) -> Text:
    """The first tag with a count of the others (``app:1.2 +2``), or a muted ``<none>``."""
    if not image.tags:
        return _plain(NO_TAG, _colour("text-muted", palette))
    extra = f" +{len(image.tags) - 1}" if len(image.tags) > 1 else ""
    return _plain(image.tags[0] + extra)


def image_label(image: ImageSummary) -> str:
    """How a dialog names an image: its tags, or its short id when it has none."""
    return ", ".join(image.tags) if image.tags else f"{image.short_id} (untagged)"


def image_cells(image: ImageSummary, palette: Palette, now: float) -> dict[str, Text | str]:
    """The images table's cells for one image, by column key."""
    return {
        "name": image_tags_text(image, palette),
        "id": image.short_id,
        "size": format_bytes(image.size),
        "created": format_age(image.created, now),
        "used_by": used_by_text(image.used_by, palette),
    }


def image_removal_details(image: ImageSummary) -> str:
    """What removing one unused image does, tag by tag."""
    lines = []
    if image.tags:
        lines.append("Untags:")
        lines.append(bulleted(image.tags))
    lines.append(f"Deletes image {image.short_id} ({format_bytes(image.size)}) with the layers no other image uses.")
    lines.append("No container uses it.")
    return "\n".join(lines)


def image_in_use_notice(image: ImageSummary) -> str:
    """Why a plain remove leaves an image alone, and how to force it."""
    return (f"{image.display_name} is used by {count_of(image.containers, 'container')} "
            f"({names_text(image.used_by)}): the engine keeps it. Remove those containers first, "
            "or force-remove it (D).")


def image_force_removal_details(images: Sequence[ImageSummary]) -> str:
    """What force-removing images does, including to the containers that use them."""
    lines = ["Force removal untags every tag and deletes each image even when stopped containers use it:",
             bulleted(f"{image_label(image)} — {format_bytes(image.size)}"
                      + (f", used by {names_text(image.used_by)}" if image.used_by else "")
                      for image in images)]
    if any(image.in_use for image in images):
        lines.append("Containers that use them stay but lose their image; an image a running container "
                     "uses is only untagged.")
    return "\n".join(lines)


def bulk_image_removal_details(removable: Sequence[ImageSummary], kept: Sequence[ImageSummary]) -> str:
    """What a bulk remove does: which images (and tags) go, which in-use ones are kept."""
    lines = [f"Deletes {count_of(len(removable), 'image')} ({format_bytes(sum(i.size for i in removable))}):",
             bulleted((f"{image_label(image)} — {format_bytes(image.size)}" for image in removable),
                      GOES_LIMIT if kept else LIST_LIMIT)]
    if kept:
        lines.append(f"Keeps {count_of(len(kept), 'image')} that containers use (force with D):")
        lines.append(bulleted((f"{image_label(image)} — used by {names_text(image.used_by)}" for image in kept),
                              KEPT_LIMIT))
    return "\n".join(lines)


def removal_outcome(engine_lines: Sequence[str]) -> str:
    """The engine's ``untagged: X`` / ``deleted: ID`` lines, summarised in one line."""
    untagged = [line.split(": ", 1)[1] for line in engine_lines if line.startswith("untagged: ")]
    deleted = [line.split(": ", 1)[1].split(":", 1)[-1][:12] for line in engine_lines if line.startswith("deleted: ")]
    parts = []
    if untagged:
        parts.append(f"untagged {names_text(untagged)}")
    if deleted:
        # The engine lists the image first, then the layers only it used.
        layers = f" and {count_of(len(deleted) - 1, 'layer')}" if len(deleted) > 1 else ""
        parts.append(f"deleted {deleted[0]}{layers}")
    return "; ".join(parts) or "nothing changed"


def layer_cells(layer: ImageLayer, now: float) -> dict[str, Text | str]:
    """The history table's cells for one layer, by column key."""
    return {
        "created": format_age(layer.created, now),
        "size": format_bytes(layer.size),
        "created_by": _plain(layer.created_by or EMPTY),
    }


def history_title(image: ImageSummary, layers: Sequence[ImageLayer] | None) -> str:
    """The history screen's heading: which image, its size and how many layers."""
    counted = "loading layers…" if layers is None else count_of(len(layers), "layer")
    return f"{image_label(image)} · {image.short_id} · {format_bytes(image.size)} · {counted}"


def layer_details(layer: ImageLayer | None) -> str:
    """The whole command that made a layer, with its comment, for the line under the table."""
    if layer is None:
        return ""
    text = layer.created_by or "(no command recorded)"
    if layer.comment:
        text += f"\n# {layer.comment}"
    if layer.tags:
        text += f"\ntags: {', '.join(layer.tags)}"
    return text


# -- volumes -----------------------------------------------------------------------------


def volume_name_text(volume: VolumeSummary) -> Text:
    """The volume's name; an anonymous one's 64 hex digits are cut to 12 (the dialog shows all)."""
    if volume.anonymous and len(volume.name) > ANONYMOUS_NAME_SHOWN:
        return _plain(volume.name[:ANONYMOUS_NAME_SHOWN] + "…")
    return _plain(volume.name)


def volume_size_text(size: int | None, measured: bool) -> str:
    """``…`` while sizes are being measured, then the size, or ``-`` when the driver does not say."""
    if not measured:
        return MEASURING
    return format_bytes(size)


def volume_cells(volume: VolumeSummary, palette: Palette, now: float, measured: bool) -> dict[str, Text | str]:
    """The volumes table's cells for one volume, by column key."""
    return {
        "name": volume_name_text(volume),
        "driver": volume.driver or EMPTY,
        "size": volume_size_text(volume.size, measured),
        "used_by": used_by_text(volume.used_by, palette),
        "created": format_age(volume.created, now),
    }


def volume_in_use_notice(volume: VolumeSummary) -> str:
    """Why a volume cannot be removed now."""
    return (f"volume {volume.name} is mounted by {count_of(len(volume.used_by), 'container')} "
            f"({names_text(volume.used_by)}): remove those containers first")


def volume_removal_details(volumes: Sequence[VolumeSummary], kept: Sequence[VolumeSummary] = ()) -> str:
    """What removing volumes does: their data is gone for good."""
    def line(volume: VolumeSummary) -> str:
        size = f", {format_bytes(volume.size)}" if volume.size is not None else ""
        return f"{volume.name} ({volume.driver}{size})"

    known = sum(volume.size or 0 for volume in volumes)
    lines = [f"Deletes {count_of(len(volumes), 'volume')} and every file in {'it' if len(volumes) == 1 else 'them'}"
             + (f" ({format_bytes(known)})" if known else "") + ":",
             bulleted((line(volume) for volume in volumes), GOES_LIMIT if kept else LIST_LIMIT),
             "This cannot be undone."]
    if kept:
        lines.append(f"Keeps {count_of(len(kept), 'volume')} that containers mount:")
        lines.append(bulleted((f"{volume.name} — used by {names_text(volume.used_by)}" for volume in kept),
                              KEPT_LIMIT))
    return "\n".join(lines)


# -- networks ----------------------------------------------------------------------------


def network_subnets_text(network: NetworkSummary) -> str:
    """The network's subnets, or ``-``."""
    return ", ".join(network.subnets) or EMPTY


def network_containers_text(network: NetworkSummary, palette: Palette) -> Text:
    """Attached containers (``2: web, db``); stopped ones count too, muted ``-`` when none."""
    return used_by_text(tuple(endpoint.container_name for endpoint in network.containers), palette)


def network_name_text(network: NetworkSummary, palette: Palette) -> Text:
    """The name; the engine's own networks (bridge, host, none) are muted."""
    return _plain(network.name, _colour("text-muted", palette) if network.predefined else "")


def network_cells(network: NetworkSummary, palette: Palette) -> dict[str, Text | str]:
    """The networks table's cells for one network, by column key."""
    return {
        "name": network_name_text(network, palette),
        "driver": network.driver or EMPTY,
        "scope": network.scope or EMPTY,
        "subnet": _plain(network_subnets_text(network)),
        "containers": network_containers_text(network, palette),
        "id": network.short_id,
    }


def network_kept_reason(network: NetworkSummary) -> str | None:
    """Why a network cannot be removed (the engine's own, or running containers attached), or None."""
    if network.predefined:
        return f"{network.name} is one of the engine's own networks and cannot be removed"
    running = [endpoint.container_name for endpoint in network.containers if endpoint.running]
    if running:
        return (f"network {network.name} has {count_of(len(running), 'running container')} attached "
                f"({names_text(running)}): stop or disconnect them first")
    return None


def network_removal_details(networks: Sequence[NetworkSummary], kept: Sequence[NetworkSummary] = ()) -> str:
    """What removing networks does, naming stopped containers that lose their network."""
    lines = [f"Removes {count_of(len(networks), 'network')}:",
             bulleted((f"{network.name} ({network.driver}, {network_subnets_text(network)})" for network in networks),
                      GOES_LIMIT if kept else LIST_LIMIT)]
    stopped = [endpoint.container_name for network in networks for endpoint in network.containers]
    if stopped:
        lines.append(f"Stopped containers attached to {'it' if len(networks) == 1 else 'them'} cannot start "
                     f"until reconnected: {names_text(stopped)}.")
    if kept:
        lines.append(f"Keeps {count_of(len(kept), 'network')}:")
        lines.append(bulleted((network_kept_reason(network) or network.name for network in kept), KEPT_LIMIT))
    return "\n".join(lines)


# -- prune -------------------------------------------------------------------------------

PRUNE_WHAT = {
    ("image", "dangling"): "dangling images (untagged, unused)",
    ("image", "unused"): "unused images (tagged or not, no container uses them)",
    ("volume", ""): "volumes no container mounts (their data is deleted)",
    ("network", ""): "user networks no running container is attached to",
}


def prune_title(preview: PrunePreview) -> str:
    """``Prune 3 images?``"""
    return f"Prune {count_of(preview.count, preview.kind)}?"


def prune_details(preview: PrunePreview, mode: str = "") -> str:
    """Every object the prune would remove (up to a limit) with its size, and the space it frees."""
    what = PRUNE_WHAT.get((preview.kind, mode), f"unused {preview.kind}s")
    lines = [f"Removes {what}:",
             bulleted(f"{item.label}" + (f" — {format_bytes(item.size)}" if item.size else "")
                      for item in preview.items)]
    # The engine applies its rule again at prune time; the preview is what it says now.
    frees = f"Frees about {format_bytes(preview.total_bytes)}; " if preview.kind != "network" else ""
    lines.append(f"{frees}the engine checks again as it prunes.")
    return "\n".join(lines)


def prune_outcome(result: PruneResult) -> str:
    """``pruned 3 images, freed 12.0MiB`` from what the engine reports."""
    text = f"pruned {count_of(len(result.deleted), result.kind)}"
    if result.kind != "network":
        text += f", freed {format_bytes(result.space_reclaimed)}"
    return text


# -- system ------------------------------------------------------------------------------


def disk_usage_cells(row: DiskUsageRow) -> tuple[str, str, str, str, str]:
    """One ``docker system df`` line: type, total, active, size, reclaimable (with its share)."""
    return (DISK_USAGE_LABELS.get(row.kind, row.kind), str(row.total), str(row.active), format_bytes(row.size),
            f"{format_bytes(row.reclaimable)} ({row.reclaimable_percent:.0f}%)")


def disk_usage_rows(usage: DiskUsage) -> tuple[tuple[str, str, str, str, str], ...]:
    """The four ``docker system df`` lines and a total line."""
    share = 100.0 * usage.total_reclaimable / usage.total_size if usage.total_size else 0.0
    total = ("Total", "", "", format_bytes(usage.total_size),
             f"{format_bytes(usage.total_reclaimable)} ({share:.0f}%)")
    return tuple(disk_usage_cells(row) for row in usage.rows) + (total,)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def engine_info_rows(details: EngineDetails) -> tuple[tuple[str, str], ...]:
    """The engine's facts as (field, value) pairs, most asked-about first."""
    api = details.api_version + (f" (min {details.min_api_version})" if details.min_api_version else "")
    rows = [
        ("Engine", details.version or EMPTY),
        ("API", api or EMPTY),
        ("Host", details.name or EMPTY),
        ("OS", f"{details.os or EMPTY} ({details.os_type or '?'}/{details.architecture or '?'})"),
        ("Kernel", details.kernel or EMPTY),
        ("CPUs / memory", f"{details.cpus} / {format_bytes(details.memory)}"),
        ("Containers", f"{details.containers} ({details.containers_running} running, "
                       f"{details.containers_paused} paused, {details.containers_stopped} stopped)"),
        ("Images", str(details.images)),
        ("Storage driver", details.storage_driver or EMPTY),
        ("Root dir", details.root_dir or EMPTY),
        ("Logging driver", details.logging_driver or EMPTY),
        ("Cgroup", f"{details.cgroup_driver or EMPTY} (v{details.cgroup_version or '?'})"),
        ("Runtimes", ", ".join(details.runtimes) + (f" (default {details.default_runtime})"
                                                   if details.default_runtime else "") if details.runtimes else EMPTY),
        ("Security", ", ".join(details.security_options) or EMPTY),
        ("Rootless", _yes_no(details.rootless)),
        ("Live restore", _yes_no(details.live_restore)),
        ("Experimental", _yes_no(details.experimental)),
        ("Swarm", details.swarm or EMPTY),
    ]
    if details.go_version:
        rows.append(("Go", details.go_version))
    rows.extend(("Warning", warning) for warning in details.warnings)
    return tuple(rows)
