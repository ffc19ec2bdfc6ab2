#!/usr/bin/env bash
# The whole DockerForge test suite, on a fresh machine, in one command:
#   1. a virtualenv (.venv) with DockerForge and its test dependencies,
#   2. a Docker engine that answers (scripts/ensure-docker.sh starts one when it can),
#   3. the local test images (built FROM scratch: no registry is reachable),
#   4. pytest with coverage, failing under 80% of dockerforge_tui's lines.
# Extra arguments go to pytest (for example: scripts/test.sh -m "not slow" -x).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${DOCKERFORGE_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"

echo "==> python environment ($VENV)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
# The constraints pin what snapshot tests render with, so a new Textual can't redraw them.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" -c scripts/constraints-test.txt

echo "==> docker engine"
bash scripts/ensure-docker.sh

echo "==> test images"
"$VENV/bin/python" -m tests.support.images

echo "==> pytest"
exec "$VENV/bin/python" -m pytest --cov=dockerforge_tui --cov-report=term:skip-covered --cov-fail-under=80 "$@"
