"""Build the local test images (no registry is reachable, so everything is built FROM scratch).

Run as a script by scripts/test.sh before pytest; the session fixture calls
:func:`ensure_test_images` too, so a bare ``pytest`` works on a machine that has busybox.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import docker

IMAGES_DIR = Path(__file__).resolve().parent.parent / "images"
BUSYBOX_IMAGE = "dockerforge-test/busybox:latest"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")


def find_static_busybox() -> Path:
    """Return the path of a static busybox binary, or raise with the package to install."""
    for candidate in BUSYBOX_CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return path
    found = shutil.which("busybox")
    if found:
        return Path(found)
    raise RuntimeError("no busybox binary: install Debian's busybox-static (apt-get install -y busybox-static)")


def ensure_test_images(client: docker.DockerClient, rebuild: bool = False) -> list[str]:
    """Build every test image that is missing (all of them with ``rebuild``); return the tags built."""
    built: list[str] = []
    if rebuild or not client.images.list(name=BUSYBOX_IMAGE):
        with tempfile.TemporaryDirectory(prefix="dockerforge-img-") as context:
            shutil.copy2(find_static_busybox(), Path(context) / "busybox")
            shutil.copy2(IMAGES_DIR / "busybox" / "Dockerfile", Path(context) / "Dockerfile")
            client.images.build(path=context, tag=BUSYBOX_IMAGE, rm=True, labels={"dockerforge.test": "1"})
        built.append(BUSYBOX_IMAGE)
    return built


def main() -> int:
    """Build the images against the engine in the environment; print what was built."""
    client = docker.from_env(timeout=120)
    built = ensure_test_images(client, rebuild="--rebuild" in sys.argv)
    print("test images: " + (", ".join(built) + " built" if built else "up to date"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
