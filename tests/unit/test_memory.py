"""Freed heap pages go back to the OS (glibc's malloc_trim), measured on this process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dockerforge_tui.core.memory import release_free_memory


def resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and needs glibc (Linux)")
def test_freed_small_objects_are_given_back():
    # Many small blocks freed out of order leave pages that malloc keeps without a trim.
    blocks = [bytearray(600) for _ in range(200_000)]
    keep = blocks[::50]
    del blocks
    before = resident_kib()
    assert release_free_memory() is True
    after = resident_kib()
    assert after < before - 20_000, (before, after)
    assert keep  # the survivors are untouched
