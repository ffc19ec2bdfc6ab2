"""Networks: list them with their subnets and attached containers, remove and prune them.

Attachments come from one containers list (each container names its networks), not
one inspect per network, and stopped containers are included without an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.models import parse_engine_time
from dockerforge_tui.services.docker.prune import PruneFilters, PruneItem, PrunePreview, PruneResult, merge_filters

PREDEFINED_NETWORKS = frozenset({"bridge", "host", "none"})
"""The engine's own networks: never removed, never pruned."""


@dataclass(frozen=True)
class NetworkEndpoint:
    """One container attached to a network."""

    container_id: str
    container_name: str
    ipv4: str = ""
    """Address without prefix length; empty while the container is not running."""
    ipv6: str = ""
    mac: str = ""
    running: bool = False


@dataclass(frozen=True)
class NetworkSummary:
    """One network, as the networks list shows it."""

    id: str
    name: str
    driver: str
    scope: str
    subnets: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()
    internal: bool = False
    attachable: bool = False
    ipv6: bool = False
    created: datetime | None = None
    labels: tuple[tuple[str, str], ...] = ()
    containers: tuple[NetworkEndpoint, ...] = ()

    @property
    def short_id(self) -> str:
        """The 12 hex digits the docker CLI prints."""
        return self.id[:12]

    @property
    def predefined(self) -> bool:
        """True for bridge, host and none, which belong to the engine."""
        return self.name in PREDEFINED_NETWORKS

    @property
    def in_use(self) -> bool:
        """True while a running container is attached: prune keeps it."""
        return any(endpoint.running for endpoint in self.containers)


def _endpoints_by_network(api) -> tuple[dict[str, list[NetworkEndpoint]], dict[str, list[NetworkEndpoint]]]:
    """Attachments keyed by network id, and (for stopped containers, which carry no id) by name."""
    by_id: dict[str, list[NetworkEndpoint]] = {}
    by_name: dict[str, list[NetworkEndpoint]] = {}
    for container in api.containers(all=True):
        names = container.get("Names") or []
        name = names[0].lstrip("/") if names else container.get("Id", "")[:12]
        running = container.get("State") == "running"
        for network_name, settings in ((container.get("NetworkSettings") or {}).get("Networks") or {}).items():
            settings = settings or {}
            endpoint = NetworkEndpoint(
                container_id=container.get("Id", ""),
                container_name=name,
                ipv4=settings.get("IPAddress") or "",
                ipv6=settings.get("GlobalIPv6Address") or "",
                mac=settings.get("MacAddress") or "",
                running=running,
            )
            network_id = settings.get("NetworkID")
            if network_id:
                by_id.setdefault(network_id, []).append(endpoint)
            else:
                by_name.setdefault(network_name, []).append(endpoint)
    return by_id, by_name


def _summary(entry: Mapping[str, Any], endpoints: tuple[NetworkEndpoint, ...]) -> NetworkSummary:
    configs = (entry.get("IPAM") or {}).get("Config") or []
    return NetworkSummary(
        id=entry["Id"],
        name=entry.get("Name") or entry["Id"][:12],
        driver=entry.get("Driver") or "",
        scope=entry.get("Scope") or "",
        subnets=tuple(config["Subnet"] for config in configs if config.get("Subnet")),
        gateways=tuple(config["Gateway"] for config in configs if config.get("Gateway")),
        internal=bool(entry.get("Internal")),
        attachable=bool(entry.get("Attachable")),
        ipv6=bool(entry.get("EnableIPv6")),
        created=parse_engine_time(entry.get("Created")),
        labels=tuple(sorted((entry.get("Labels") or {}).items())),
        containers=tuple(sorted(endpoints, key=lambda endpoint: endpoint.container_name)),
    )


def list_networks(source: ApiSource, filters: Mapping[str, Any] | None = None) -> tuple[NetworkSummary, ...]:
    """Every network, by name, with IPAM subnets and gateways and the containers attached (two requests)."""
    api = client_of(source)
    with engine_call("list", "networks"):
        entries = api.networks(filters=dict(filters) if filters else None)
        by_id, by_name = _endpoints_by_network(api)
    networks = []
    for entry in entries:
        name = entry.get("Name") or ""
        endpoints = tuple(by_id.get(entry["Id"], ())) + tuple(by_name.get(name, ()))
        networks.append(_summary(entry, endpoints))
    return tuple(sorted(networks, key=lambda network: network.name))


def remove_network(source: ApiSource, network_id: str) -> None:
    """Remove one network; :class:`DockerAPIError` while containers are attached or for bridge/host/none."""
    api = client_of(source)
    with engine_call("remove", f"network {network_id}"):
        api.remove_network(network_id)


def preview_network_prune(source: ApiSource, filters: PruneFilters | None = None) -> PrunePreview:
    """The networks :func:`prune_networks` would remove now: user networks with no running container."""
    query = merge_filters({"dangling": True}, filters)
    networks = list_networks(source, filters=query)
    items = tuple(PruneItem(id=network.id, label=network.name, size=None) for network in networks
                  if not network.predefined and not network.in_use)
    return PrunePreview(kind="network", items=items, total_bytes=0)


def prune_networks(source: ApiSource, filters: PruneFilters | None = None) -> PruneResult:
    """Remove every user network no running container is attached to, within ``filters``."""
    api = client_of(source)
    with engine_call("prune", "networks"):
        report = api.prune_networks(filters=dict(filters) if filters else None) or {}
    return PruneResult(kind="network", deleted=tuple(report.get("NetworksDeleted") or ()))
