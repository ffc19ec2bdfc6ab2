"""The layering the house style promises, checked on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    """core/ and services/ never import Textual or Rich; only services/docker imports the SDK."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_headless_commands_never_load_textual(tmp_path):
    """`dockerforge config ...` runs without importing the UI toolkit (fast, and safe in cron)."""
    code = (
        "import sys\n"
        "from dockerforge_tui.cli.main import main\n"
        "code = main(['config', 'path'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print('LOADED', loaded)\n"
        "sys.exit(code)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DOCKERFORGE_CONFIG_DIR": str(tmp_path / "c"),
           "DOCKERFORGE_LOG_DIR": str(tmp_path / "l"), "DOCKERFORGE_DATA_DIR": str(tmp_path / "d")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout, result.stdout
