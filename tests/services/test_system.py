"""Engine details and disk usage against the real engine, checked against the engine's own answers."""

from __future__ import annotations

import pytest

from dockerforge_tui.services.docker.system import disk_usage, disk_usage_from, engine_details_from, engine_info

pytestmark = pytest.mark.docker


def test_engine_info_matches_the_engine(docker_client):
    info, version = docker_client.api.info(), docker_client.api.version()
    details = engine_info(docker_client.api)
    assert details.version == version["Version"]
    assert details.api_version == version["ApiVersion"]
    assert details.kernel == info["KernelVersion"]
    assert details.storage_driver == info["Driver"]
    assert details.cgroup_driver == info["CgroupDriver"]
    assert details.cgroup_version == str(info.get("CgroupVersion") or "")
    assert details.cpus == info["NCPU"] >= 1
    assert details.memory == info["MemTotal"] > 0
    assert details.os_type == "linux" and details.os
    assert details.images >= 1
    assert details.containers >= details.containers_running
    assert details.rootless == ("rootless" in details.security_options)
    assert details.default_runtime in details.runtimes


def test_engine_info_counts_a_running_container(docker_client, containers):
    containers.run("sleep 300")
    assert engine_info(docker_client.api).containers_running >= 1


def test_security_options_and_rootless_are_parsed():
    info = {"SecurityOptions": ["name=seccomp,profile=default", "name=rootless", "name=cgroupns"],
            "CgroupVersion": "2", "Swarm": {"LocalNodeState": "active"}}
    details = engine_details_from(info, {"Version": "25.0.0", "ApiVersion": "1.44"})
    assert details.security_options == ("seccomp", "rootless", "cgroupns")
    assert details.rootless and details.cgroup_version == "2" and details.swarm == "active"


def test_disk_usage_matches_docker_system_df(docker_client, containers):
    containers.run("sleep 300")
    usage = disk_usage(docker_client.api)
    df = docker_client.api.df()
    assert usage.images.total == len(df["Images"]) >= 1
    assert usage.images.size == df["LayersSize"]
    assert 0 <= usage.images.reclaimable <= usage.images.size
    assert usage.containers.total == len(df["Containers"]) and usage.containers.active >= 1
    assert usage.volumes.total == len(df["Volumes"] or [])
    assert [row.kind for row in usage.rows] == ["images", "containers", "volumes", "build_cache"]
    assert usage.total_size == sum(row.size for row in usage.rows)


def test_disk_usage_arithmetic_follows_the_docker_cli():
    df = {
        "LayersSize": 1000,
        "Images": [{"Containers": 1, "Size": 600, "SharedSize": 100}, {"Containers": 0, "Size": 300, "SharedSize": 0}],
        "Containers": [{"State": "running", "SizeRw": 10}, {"State": "exited", "SizeRw": 30}],
        "Volumes": [{"UsageData": {"RefCount": 1, "Size": 50}}, {"UsageData": {"RefCount": 0, "Size": 70}},
                    {"UsageData": {"RefCount": 0, "Size": -1}}],
        "BuildCache": [{"Size": 5, "InUse": True}, {"Size": 7, "InUse": False, "Shared": False},
                       {"Size": 11, "InUse": False, "Shared": True}],
    }
    usage = disk_usage_from(df)
    assert (usage.images.total, usage.images.active, usage.images.size, usage.images.reclaimable) == (2, 1, 1000, 500)
    assert (usage.containers.active, usage.containers.size, usage.containers.reclaimable) == (1, 40, 30)
    assert (usage.volumes.total, usage.volumes.active, usage.volumes.size, usage.volumes.reclaimable) == (3, 1, 120, 70)
    assert (usage.build_cache.active, usage.build_cache.size, usage.build_cache.reclaimable) == (1, 23, 7)
    assert usage.images.reclaimable_percent == 50.0
