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
if bash scripts/ensure-docker.sh; then
    echo "==> test images"
    "$VENV/bin/python" -m tests.support.images
else
    # Keep going: the tests that need no engine still run, and every Docker test fails
    # with one line saying why (they are never skipped).
    echo "==> no Docker engine: the Docker tests will fail"
fi

echo "==> pytest"
exec "$VENV/bin/python" -m pytest --cov=dockerforge_tui --cov-report=term:skip-covered --cov-fail-under=80 "$@"
