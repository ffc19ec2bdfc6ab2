"""The networks screen: every network with its driver, subnets and attached containers; remove, prune."""

from __future__ import annotations

import ipaddress
from typing import Mapping, Sequence

from rich.text import Text
from textual.binding import Binding

from dockerforge_tui.services.docker.networks import NetworkSummary, list_networks, preview_network_prune
from dockerforge_tui.services.docker.prune import PrunePreview, PruneResult
from dockerforge_tui.ui.presenters import objects as present
from dockerforge_tui.ui.screens.object_list import ObjectListScreen, RemovalPlan, list_bindings
from dockerforge_tui.ui.services import DashboardServices
from dockerforge_tui.ui.widgets.object_table import Column, SortOrder


def _subnet_order(network: NetworkSummary) -> tuple:
    """Networks by address (IPv4 before IPv6, numerically); those without a subnet last."""
    addresses = []
    for subnet in network.subnets:
        try:
            parsed = ipaddress.ip_network(subnet, strict=False)
        except ValueError:
            addresses.append((9, 0, 0))
            continue
        addresses.append((parsed.version, int(parsed.network_address), parsed.prefixlen))
    return (not addresses, addresses)


class NetworksScreen(ObjectListScreen):
    """Lists networks by name. ``d`` removes user networks no running container is attached
    to (bridge, host and none are the engine's own and stay); ``p`` prunes after a preview.
    Takes the optional arguments of :class:`ObjectListScreen`.
    """

    CSS_PATH = "../styles/networks.tcss"
    KIND = "network"
    PREFIX = "networks"

    BINDINGS = [
        *list_bindings("networks"),
        Binding("d", "remove", "Remove", id="networks.remove"),
        Binding("p", "prune", "Prune", id="networks.prune"),
    ]

    def columns(self) -> Sequence[Column]:
        return (Column("name", "Name"), Column("driver", "Driver"), Column("scope", "Scope"),
                Column("subnet", "Subnet"), Column("containers", "Containers"), Column("id", "ID", 12))

    def orders(self) -> Sequence[SortOrder]:
        return (
            SortOrder("name", lambda network: network.name.lower()),
            SortOrder("driver", lambda network: (network.driver, network.name.lower())),
            SortOrder("subnet", _subnet_order),
            SortOrder("containers", lambda network: -len(network.containers)),
        )

    def cells(self, record: NetworkSummary, palette: Mapping[str, str]) -> Mapping[str, Text | str]:
        return present.network_cells(record, palette)

    def fetch(self, services: DashboardServices) -> tuple[NetworkSummary, ...]:
        return services.call(list_networks)

    def status_parts(self) -> list[str]:
        networks = self.table.records
        attached = sum(len(network.containers) for network in networks)
        return [present.count_of(len(networks), "network"), present.count_of(attached, "attachment")]

    def plan_removal(self, records: tuple[NetworkSummary, ...], force: bool) -> RemovalPlan | str:
        removable = tuple(network for network in records if present.network_kept_reason(network) is None)
        kept = tuple(network for network in records if network not in removable)
        if not removable:
            return present.network_kept_reason(kept[0]) if len(kept) == 1 else (
                f"none of the {len(kept)} networks can be removed: the engine's own networks stay, "
                "and networks with running containers attached need them stopped or disconnected first")
        title = (f"Remove network {removable[0].name}?" if len(removable) == 1
                 else f"Remove {present.count_of(len(removable), 'network')}?")
        return RemovalPlan(removable, title, present.network_removal_details(removable, kept))

    def remove_one(self, services: DashboardServices, record: NetworkSummary, force: bool) -> str:
        services.act("remove_network", record)
        return f"network {record.name}"

    def preview_prune(self, services: DashboardServices, mode: str) -> PrunePreview:
        return services.call(preview_network_prune, self.prune_filters)

    def run_prune(self, services: DashboardServices, mode: str) -> PruneResult:
        return services.act("prune_networks", self.prune_filters)
