"""Images, volumes, networks and engine records to text: pure functions, no app, no engine."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dockerforge_tui.services.docker.images import ImageLayer, ImageSummary
from dockerforge_tui.services.docker.networks import NetworkEndpoint, NetworkSummary
from dockerforge_tui.services.docker.prune import PruneItem, PrunePreview, PruneResult
from dockerforge_tui.services.docker.system import DiskUsage, DiskUsageRow, engine_details_from
from dockerforge_tui.services.docker.volumes import VolumeSummary
from dockerforge_tui.ui.presenters import objects as present

PALETTE = {"text-muted": "#888888", "accent": "#00aaff"}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc).timestamp()
MiB = 1024 * 1024


def at(seconds_ago: float) -> datetime:
    return datetime.fromtimestamp(NOW - seconds_ago, tz=timezone.utc)


def image(tags=("shop/web:1.4",), size=142 * MiB, used_by=(), created=at(7200), image_id="ab" * 32) -> ImageSummary:
    return ImageSummary(id=f"sha256:{image_id}", tags=tuple(tags), size=size, created=created, dangling=not tags,
                        used_by=tuple(used_by))


def volume(name="shop_data", used_by=(), size=None, labels=()) -> VolumeSummary:
    return VolumeSummary(name=name, driver="local", mountpoint=f"/var/lib/docker/volumes/{name}/_data",
                         created=at(86400 * 3), used_by=tuple(used_by), size=size, labels=tuple(labels))


def network(name="shop_default", subnets=("172.18.0.0/16",), endpoints=()) -> NetworkSummary:
    return NetworkSummary(id="cd" * 32, name=name, driver="bridge", scope="local", subnets=tuple(subnets),
                          containers=tuple(endpoints))


def endpoint(name: str, running: bool) -> NetworkEndpoint:
    return NetworkEndpoint(container_id=name * 4, container_name=name, ipv4="172.18.0.2" if running else "",
                           running=running)


# -- shared ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("created", "text"), [(None, "-"), (at(45), "45s ago"), (at(7200), "2h ago"),
                                               (at(86400 * 3 + 3600), "3d1h ago")])
def test_format_age(created, text):
    assert present.format_age(created, NOW) == text


def test_names_text_counts_what_it_leaves_out():
    assert present.names_text(()) == "-"
    assert present.names_text(("web",)) == "web"
    assert present.names_text(("a", "b", "c", "d", "e")) == "a, b, c and 2 more"


def test_used_by_text_counts_and_mutes_nobody():
    assert str(present.used_by_text(("web", "db"), PALETTE)) == "2: web, db"
    nobody = present.used_by_text((), PALETTE)
    assert str(nobody) == "-" and str(nobody.style) == "#888888"


def test_bulleted_list_is_bounded_for_a_small_terminal():
    text = present.bulleted([f"item{i}" for i in range(12)], limit=8)
    lines = text.splitlines()
    assert len(lines) == 9
    assert lines[0] == "  • item0" and lines[-1] == "  … and 4 more"


# -- images ----------------------------------------------------------------------------------


def test_image_cells():
    cells = present.image_cells(image(tags=("shop/web:1.4", "shop/web:latest"), used_by=("shop-web-1",)),
                                PALETTE, NOW)
    assert str(cells["name"]) == "shop/web:1.4 +1"
    assert cells["id"] == "abababababab"
    assert cells["size"] == "142MiB"
    assert cells["created"] == "2h ago"
    assert str(cells["used_by"]) == "1: shop-web-1"


def test_dangling_image_shows_none_muted():
    name = present.image_tags_text(image(tags=()), PALETTE)
    assert str(name) == "<none>" and str(name.style) == "#888888"
    assert present.image_label(image(tags=())) == "abababababab (untagged)"


def test_image_removal_details_name_every_tag_and_say_nothing_uses_it():
    details = present.image_removal_details(image(tags=("a:1", "b:2")))
    assert "Untags:" in details and "  • a:1" in details and "  • b:2" in details
    assert "Deletes image abababababab (142MiB)" in details
    assert "No container uses it." in details


def test_in_use_notice_points_to_force():
    notice = present.image_in_use_notice(image(used_by=("web", "db")))
    assert "used by 2 containers (web, db)" in notice and "force-remove it (D)" in notice


def test_force_removal_details_warn_about_the_containers():
    details = present.image_force_removal_details([image(used_by=("web",)), image(tags=(), image_id="ef" * 32)])
    assert "shop/web:1.4 — 142MiB, used by web" in details
    assert "efefefefefef (untagged) — 142MiB" in details
    assert "lose their image" in details
    assert "lose their image" not in present.image_force_removal_details([image()])


def test_bulk_image_removal_lists_what_goes_and_what_stays():
    details = present.bulk_image_removal_details([image(), image(tags=("x:1",), size=MiB)],
                                                 [image(tags=("db:16",), used_by=("shop-db-1",))])
    assert details.startswith("Deletes 2 images (143MiB):")
    assert "Keeps 1 image that containers use (force with D):" in details
    assert "db:16 — used by shop-db-1" in details


def test_removal_outcome_summarises_the_engine_lines():
    lines = ("untagged: a:1", "untagged: b:2", "deleted: sha256:" + "12" * 32, "deleted: sha256:" + "34" * 32)
    assert present.removal_outcome(lines) == "untagged a:1, b:2; deleted 121212121212 and 1 layer"
    assert present.removal_outcome(()) == "nothing changed"


def test_history_texts():
    layer = ImageLayer(id="<missing>", created_by="/bin/sh -c apk add curl", size=5 * MiB, created=at(60),
                       comment="buildkit", tags=("app:1",))
    cells = present.layer_cells(layer, NOW)
    assert (cells["created"], cells["size"]) == ("1m ago", "5.0MiB")
    assert str(cells["created_by"]) == "/bin/sh -c apk add curl"
    assert present.layer_details(layer) == "/bin/sh -c apk add curl\n# buildkit\ntags: app:1"
    assert present.layer_details(None) == ""
    assert present.history_title(image(), None).endswith("loading layers…")
    assert present.history_title(image(), (layer,)) == "shop/web:1.4 · abababababab · 142MiB · 1 layer"


# -- volumes ---------------------------------------------------------------------------------


def test_volume_cells_wait_for_sizes_then_show_them():
    measuring = present.volume_cells(volume(size=None), PALETTE, NOW, measured=False)
    assert measuring["size"] == "…"
    assert present.volume_cells(volume(size=None), PALETTE, NOW, measured=True)["size"] == "-"
    measured = present.volume_cells(volume(size=3 * MiB, used_by=("db",)), PALETTE, NOW, measured=True)
    assert measured["size"] == "3.0MiB" and str(measured["used_by"]) == "1: db"
    assert measured["created"] == "3d ago" and measured["driver"] == "local"


def test_anonymous_volume_names_are_shortened_in_the_table_only():
    anonymous = volume(name="f" * 64)
    assert str(present.volume_name_text(anonymous)) == "f" * 12 + "…"
    assert "f" * 64 in present.volume_removal_details([anonymous])


def test_volume_removal_details():
    details = present.volume_removal_details([volume(size=2 * MiB), volume(name="cache")],
                                             kept=[volume(name="db", used_by=("shop-db-1",))])
    assert details.startswith("Deletes 2 volumes and every file in them (2.0MiB):")
    assert "shop_data (local, 2.0MiB)" in details and "cache (local)" in details
    assert "This cannot be undone." in details
    assert "db — used by shop-db-1" in details
    assert "remove those containers first" in present.volume_in_use_notice(volume(used_by=("x",)))


# -- networks --------------------------------------------------------------------------------


def test_network_cells():
    cells = present.network_cells(network(endpoints=(endpoint("web", True), endpoint("old", False))), PALETTE)
    assert str(cells["name"]) == "shop_default" and str(cells["subnet"]) == "172.18.0.0/16"
    assert str(cells["containers"]) == "2: web, old" and cells["id"] == "cdcdcdcdcdcd"
    assert str(present.network_cells(network(name="bridge"), PALETTE)["name"].style) == "#888888"
    assert str(present.network_cells(network(subnets=()), PALETTE)["subnet"]) == "-"


def test_network_kept_reasons():
    assert "engine's own" in present.network_kept_reason(network(name="host"))
    assert "1 running container attached (web)" in present.network_kept_reason(
        network(endpoints=(endpoint("web", True),)))
    assert present.network_kept_reason(network(endpoints=(endpoint("old", False),))) is None


def test_network_removal_details_name_stopped_containers():
    details = present.network_removal_details([network(endpoints=(endpoint("old", False),))])
    assert "shop_default (bridge, 172.18.0.0/16)" in details
    assert "cannot start until reconnected: old." in details


# -- prune -----------------------------------------------------------------------------------


def test_prune_texts():
    preview = PrunePreview("image", (PruneItem("i1", "abababababab", 3 * MiB), PruneItem("i2", "old:1", MiB)),
                           4 * MiB)
    assert present.prune_title(preview) == "Prune 2 images?"
    details = present.prune_details(preview, "dangling")
    assert "dangling images" in details and "  • abababababab — 3.0MiB" in details
    assert "Frees about 4.0MiB; the engine checks again as it prunes." in details
    networks = PrunePreview("network", (PruneItem("n1", "orphan"),), 0)
    assert "Frees" not in present.prune_details(networks) and "  • orphan" in present.prune_details(networks)
    assert present.prune_outcome(PruneResult("volume", ("a", "b"), 2 * MiB)) == "pruned 2 volumes, freed 2.0MiB"
    assert present.prune_outcome(PruneResult("network", ("n",))) == "pruned 1 network"


# -- system ----------------------------------------------------------------------------------


def test_disk_usage_rows_like_docker_system_df():
    usage = DiskUsage(images=DiskUsageRow("images", 4, 2, 400 * MiB, 100 * MiB),
                      containers=DiskUsageRow("containers", 3, 1, 0, 0),
                      volumes=DiskUsageRow("volumes", 2, 1, 100 * MiB, 0),
                      build_cache=DiskUsageRow("build_cache", 0, 0, 0, 0))
    rows = present.disk_usage_rows(usage)
    assert rows[0] == ("Images", "4", "2", "400MiB", "100MiB (25%)")
    assert rows[2][0] == "Local volumes" and rows[3][0] == "Build cache"
    assert rows[-1] == ("Total", "", "", "500MiB", "100MiB (20%)")


def test_engine_info_rows():
    details = engine_details_from(
        {"Name": "vm", "OperatingSystem": "Debian GNU/Linux 12", "OSType": "linux", "Architecture": "x86_64",
         "NCPU": 4, "MemTotal": 8 * 1024**3, "Containers": 3, "ContainersRunning": 1, "ContainersStopped": 2,
         "Driver": "overlay2", "CgroupDriver": "systemd", "CgroupVersion": "2", "Runtimes": {"runc": {}},
         "DefaultRuntime": "runc", "SecurityOptions": ["name=seccomp,profile=default"],
         "Warnings": ["WARNING: No swap limit support"]},
        {"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12"})
    rows = dict(present.engine_info_rows(details))
    assert rows["Engine"] == "20.10.24" and rows["API"] == "1.41 (min 1.12)"
    assert rows["OS"] == "Debian GNU/Linux 12 (linux/x86_64)"
    assert rows["CPUs / memory"] == "4 / 8.0GiB"
    assert rows["Containers"] == "3 (1 running, 0 paused, 2 stopped)"
    assert rows["Cgroup"] == "systemd (v2)" and rows["Runtimes"] == "runc (default runc)"
    assert rows["Security"] == "seccomp" and rows["Warning"] == "WARNING: No swap limit support"
