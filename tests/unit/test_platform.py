"""Platform detection against fake filesystem roots made of real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerforge_tui.core.platform import (
    LinuxPlatform, MacOSPlatform, WindowsPlatform, WSLPlatform, detect_platform,
)


def make_tree(root: Path, *, files: dict[str, str] | None = None, dirs: tuple[str, ...] = ()) -> Path:
    """Create ``dirs`` and ``files`` (relative path -> content) under ``root``."""
    for directory in dirs:
        (root / directory).mkdir(parents=True, exist_ok=True)
    for relative, content in (files or {}).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


LINUX_VERSION = "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14))\n"
WSL_VERSION = ("Linux version 5.15.133.1-microsoft-standard-WSL2 (root@1c602f52c2e4) "
               "(gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37)\n")


class TestDetectPlatform:
    def test_plain_linux(self, tmp_path):
        root = make_tree(tmp_path, files={"proc/version": LINUX_VERSION})
        platform = detect_platform(root, system="Linux", env={})
        assert type(platform) is LinuxPlatform
        assert platform.name == "Linux"

    def test_wsl_from_proc_version(self, tmp_path):
        root = make_tree(tmp_path, files={"proc/version": WSL_VERSION})
        platform = detect_platform(root, system="Linux", env={})
        assert isinstance(platform, WSLPlatform)
        assert platform.name == "WSL"

    def test_wsl1_from_osrelease(self, tmp_path):
        root = make_tree(tmp_path, files={"proc/version": LINUX_VERSION,
                                          "proc/sys/kernel/osrelease": "4.4.0-19041-Microsoft\n"})
        assert isinstance(detect_platform(root, system="Linux", env={}), WSLPlatform)

    def test_wsl_from_environment(self, tmp_path):
        platform = detect_platform(tmp_path, system="Linux", env={"WSL_DISTRO_NAME": "Ubuntu"})
        assert isinstance(platform, WSLPlatform)

    def test_macos(self, tmp_path):
        platform = detect_platform(tmp_path, system="Darwin", env={})
        assert isinstance(platform, MacOSPlatform)
        assert (platform.name, platform.init_system()) == ("macOS", "launchd")

    def test_windows(self, tmp_path):
        platform = detect_platform(tmp_path, system="Windows", env={})
        assert isinstance(platform, WindowsPlatform)
        assert (platform.name, platform.init_system()) == ("Windows", "windows-services")

    def test_running_machine_is_detected(self):
        platform = detect_platform()
        assert platform.name in {"Linux", "WSL", "macOS", "Windows"}
        assert platform.describe()["os"] == platform.name


class TestLinuxInitSystem:
    @pytest.mark.parametrize(("dirs", "files", "expected"), [
        (("run/systemd/system", "etc/init.d"), {}, "systemd"),
        (("etc/init.d",), {"proc/1/comm": "systemd\n"}, "systemd"),
        (("run/openrc", "etc/init.d"), {}, "openrc"),
        (("etc/init.d",), {"sbin/openrc": ""}, "openrc"),
        (("etc/init.d",), {"sbin/initctl": "", "etc/init/docker.conf": "start on runlevel [2345]\n"}, "upstart"),
        (("etc/init.d", "usr/share/upstart"), {"sbin/initctl": ""}, "upstart"),
        (("etc/init.d",), {"sbin/initctl": ""}, "sysv"),  # sysvinit's own initctl, no upstart jobs
        (("etc/init.d",), {"proc/1/comm": "init\n"}, "sysv"),
        ((), {}, "unknown"),
    ])
    def test_markers(self, tmp_path, dirs, files, expected):
        root = make_tree(tmp_path, dirs=dirs, files=files)
        assert detect_platform(root, system="Linux", env={}).init_system() == expected

    def test_wsl_uses_linux_detection(self, tmp_path):
        root = make_tree(tmp_path, dirs=("run/systemd/system",), files={"proc/version": WSL_VERSION})
        platform = detect_platform(root, system="Linux", env={})
        assert isinstance(platform, WSLPlatform)
        assert platform.init_system() == "systemd"


class TestStartHints:
    @pytest.mark.parametrize(("dirs", "files", "command"), [
        (("run/systemd/system",), {}, "sudo systemctl start docker"),
        (("run/openrc",), {}, "sudo rc-service docker start"),
        (("etc/init.d",), {}, "sudo service docker start"),
        (("etc/init.d",), {"sbin/initctl": "", "etc/init/docker.conf": ""}, "sudo service docker start"),
    ])
    def test_linux_hint_follows_init_system(self, tmp_path, dirs, files, command):
        platform = detect_platform(make_tree(tmp_path, dirs=dirs, files=files), system="Linux", env={})
        assert command in platform.engine_start_hint()

    def test_source_specific_hints(self, tmp_path):
        linux = detect_platform(tmp_path, system="Linux", env={})
        macos = detect_platform(tmp_path, system="Darwin", env={})
        assert "colima start" in linux.engine_start_hint("Colima")
        assert "systemctl --user start podman.socket" in linux.engine_start_hint("Podman")
        assert "podman machine start" in macos.engine_start_hint("Podman")
        assert "orb start" in macos.engine_start_hint("OrbStack")
        assert "Docker Desktop" in macos.engine_start_hint()
        assert "Docker Desktop" in detect_platform(tmp_path, system="Windows", env={}).engine_start_hint()

    def test_wsl_points_at_docker_desktop_integration(self, tmp_path):
        platform = detect_platform(tmp_path, system="Linux", env={"WSL_DISTRO_NAME": "Debian"})
        assert "WSL integration" in platform.engine_start_hint()

    def test_permission_hints(self, tmp_path):
        linux = detect_platform(tmp_path, system="Linux", env={})
        assert "sudo usermod -aG docker $USER" in linux.permission_hint()
        assert "rootless" in linux.permission_hint()
        assert "docker-users" in detect_platform(tmp_path, system="Windows", env={}).permission_hint()


class TestKnownSockets:
    def test_linux_with_runtime_dir(self, tmp_path):
        platform = detect_platform(tmp_path, system="Linux", env={})
        env = {"HOME": "/home/ada", "XDG_RUNTIME_DIR": "/run/user/1000/"}
        sockets = platform.known_sockets(env)
        urls = [url for url, _ in sockets]
        assert sockets[0] == ("unix:///var/run/docker.sock", "default socket")
        assert ("unix:///run/user/1000/docker.sock", "rootless") in sockets
        assert ("unix:///home/ada/.docker/desktop/docker.sock", "Docker Desktop") in sockets
        assert ("unix:///home/ada/.colima/default/docker.sock", "Colima") in sockets
        assert ("unix:///home/ada/.rd/docker.sock", "Rancher Desktop") in sockets
        assert ("unix:///run/user/1000/podman/podman.sock", "Podman") in sockets
        assert ("unix:///run/podman/podman.sock", "Podman") in sockets
        assert len(urls) == len(set(urls))

    def test_linux_without_runtime_dir_leaves_those_out(self, tmp_path):
        platform = detect_platform(tmp_path, system="Linux", env={})
        urls = [url for url, _ in platform.known_sockets({"HOME": "/home/ada"})]
        assert not any("{" in url for url in urls)
        assert "unix:///run/podman/podman.sock" in urls
        assert not any(url.endswith("/podman/podman.sock") and "/run/user/" in url for url in urls)

    def test_home_argument_wins(self, tmp_path):
        platform = detect_platform(tmp_path, system="Linux", env={})
        urls = [url for url, _ in platform.known_sockets({"HOME": "/home/ada"}, home=tmp_path)]
        assert f"unix://{tmp_path}/.colima/default/docker.sock" in urls

    def test_macos(self, tmp_path):
        platform = detect_platform(tmp_path, system="Darwin", env={})
        sockets = platform.known_sockets({"HOME": "/Users/ada", "TMPDIR": "/var/folders/xy/T/"})
        assert ("unix:///Users/ada/.docker/run/docker.sock", "Docker Desktop") in sockets
        assert ("unix:///Users/ada/.colima/default/docker.sock", "Colima") in sockets
        assert ("unix:///Users/ada/.orbstack/run/docker.sock", "OrbStack") in sockets
        assert ("unix:///var/folders/xy/T/podman/podman-machine-default-api.sock", "Podman") in sockets
        assert ("unix:///Users/ada/.local/share/containers/podman/machine/qemu/podman.sock", "Podman") in sockets

    def test_windows_pipes(self, tmp_path):
        platform = detect_platform(tmp_path, system="Windows", env={})
        assert [url for url, _ in platform.known_sockets({"USERPROFILE": r"C:\Users\ada"})] == [
            "npipe:////./pipe/docker_engine",
            "npipe:////./pipe/dockerDesktopLinuxEngine",
            "npipe:////./pipe/podman-machine-default",
        ]

    def test_docker_config_dir(self, tmp_path):
        platform = detect_platform(tmp_path, system="Linux", env={})
        assert platform.docker_config_dir({"HOME": "/home/ada"}) == Path("/home/ada/.docker")
        assert platform.docker_config_dir({"HOME": "/home/ada", "DOCKER_CONFIG": "/etc/dockercfg"}) == Path("/etc/dockercfg")
        windows = detect_platform(tmp_path, system="Windows", env={})
        assert windows.home({"USERPROFILE": "/c/Users/ada", "HOME": "/elsewhere"}) == Path("/c/Users/ada")
