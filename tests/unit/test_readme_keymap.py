"""The README's key map is the generator's output, so it never drifts from the bindings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_key_map_matches_the_bindings():
    generated = subprocess.run([sys.executable, str(ROOT / "scripts" / "keymap_table.py")], capture_output=True,
                               text=True, check=True, cwd=ROOT).stdout.strip()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert generated in readme, "README.md's key map is stale: paste `python scripts/keymap_table.py` into it"
