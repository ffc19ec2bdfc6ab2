"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest

from dockerforge_tui.core.platform import Platform, detect_platform


@pytest.fixture
def linux(tmp_path) -> Platform:
    """A Linux platform adapter (SysV init) on a fake root; test_endpoints.py overrides it with systemd."""
    root = tmp_path / "root"
    (root / "etc/init.d").mkdir(parents=True)
    return detect_platform(root, system="Linux", env={})
