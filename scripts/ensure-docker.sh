#!/usr/bin/env bash
# Make sure a Docker engine answers, for the test suite.
#
# An engine that already answers is used as it is. With none, on Debian as root, this
# installs docker.io, docker-compose and busybox-static with apt, starts dockerd in the
# background and waits for its socket. Anything else gets one line that says why, and
# exit status 1, so the Docker tests fail loudly instead of being skipped.
set -uo pipefail

log() { echo "ensure-docker: $*" >&2; }

engine_answers() {
    command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

apt_install() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
    { [ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1; } || missing+=(busybox-static)
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "missing ${missing[*]} and cannot install them (needs root and apt-get); install them by hand"
        return 1
    fi
    log "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
}

if engine_answers; then
    apt_install || true   # busybox/tmux for the test images and terminal tests
    log "engine answers: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
    exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
    log "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
    exit 1
fi

apt_install || exit 1

if [ "$(id -u)" != 0 ]; then
    log "no Docker engine answers and only root can start one here; start dockerd (or Docker Desktop) and rerun"
    exit 1
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    log "starting dockerd in the background (log: /var/log/dockerforge-dockerd.log)"
    # setsid: the daemon must not die with this script's process group.
    setsid nohup dockerd >/var/log/dockerforge-dockerd.log 2>&1 < /dev/null &
fi

for _ in $(seq 1 60); do
    if [ -S /var/run/docker.sock ] && engine_answers; then
        log "engine started: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
        exit 0
    fi
    sleep 1
done
log "dockerd did not answer within 60s; see /var/log/dockerforge-dockerd.log"
tail -n 5 /var/log/dockerforge-dockerd.log >&2 2>/dev/null
exit 1
