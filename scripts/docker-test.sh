#!/usr/bin/env bash
# make docker-test (no argument): build the container images from this checkout, start docker/compose.yaml (PostgreSQL, Asterisk
# 16, ec112) with podman-compose, wait for /readyz, put ONE SIPp 112 call through to a call taker and check its
# ticket (API/CLI inside the ec112 container, and the row in the container's PostgreSQL), then tear everything down
# (containers and volumes). Debian 12, as root. What it installs: podman + runc (apt), debootstrap (apt), SIPp
# (scripts/install.sh), podman-compose 1.6.0 (PyPI, in its own venv under the cache).
# scripts/docker-test.sh --build: only the bases, the wheelhouse and the three images, with the ports of the
# environment (EC112_SIP_PORT, EC112_AMI_PORT, EC112_AGI_PORT, EC112_WEB_PORT, EC112_RTP_START/END, EC112_TRUNK_MATCH;
# defaults in docker/compose.yaml), for `podman-compose up` / `docker compose up` by hand.
# Cached for the next run (/var/cache/ec112-docker, EC112_DOCKER_CACHE): the debootstrap rootfs tarballs, the
# podman-compose venv; podman's own layer cache keeps the apt steps, so a second run rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${EC112_DOCKER_CACHE:-/var/cache/ec112-docker}
MIRROR=${EC112_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export CONTAINERS_CONF=$ROOT/docker/containers.conf
export BUILDAH_FORMAT=docker  # OCI images drop HEALTHCHECK
COMPOSE=("$CACHE/compose-venv/bin/podman-compose" -f "$ROOT/docker/compose.yaml")
start=$(date +%s)
say() { printf '[docker-test %3ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

[ "$(id -u)" = 0 ] || { echo "run as root (podman rootful, debootstrap)" >&2; exit 1; }
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v sipp >/dev/null && [ -x .venv/bin/python ] || scripts/install.sh
mkdir -p "$CACHE"
if [ ! -x "$CACHE/compose-venv/bin/podman-compose" ]; then
    say "podman-compose (PyPI) into $CACHE/compose-venv"
    python3 -m venv "$CACHE/compose-venv"
    "$CACHE/compose-venv/bin/pip" install -q podman-compose==1.6.0
fi

# The bases: Debian 12 (ec112, PostgreSQL, the renderer) and Debian 11 (Asterisk 16.28), debootstrap'd once.
base() {  # image suite
    local image=$1 suite=$2
    podman image exists "$image" && return 0
    if [ ! -s "$CACHE/$suite.tar" ]; then
        say "debootstrap $suite (once; cached in $CACHE/$suite.tar)"
        local dir; dir=$(mktemp -d "$CACHE/rootfs-$suite.XXXX")
        debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" >/dev/null
        tar -C "$dir" --exclude=./proc --exclude=./sys --exclude=./dev -cf "$CACHE/$suite.tar.part" .
        mv "$CACHE/$suite.tar.part" "$CACHE/$suite.tar"
        rm -rf "$dir"
    fi
    say "podman import $suite -> $image"
    podman import -q "$CACHE/$suite.tar" "$image" >/dev/null
}
base localhost/debian-base bookworm
base localhost/debian-bullseye-base bullseye

# The wheel of this checkout and its dependencies: the images install from it without any index.
say "wheelhouse docker/dist/wheels"
rm -rf docker/dist build
export SOURCE_DATE_EPOCH=315532800  # fixed zip timestamps: an unchanged checkout gives the same wheel (layer cache)
.venv/bin/pip wheel -q --no-deps -w docker/dist/wheels . 2>&1 | grep -v 'is ignored' || true
.venv/bin/pip wheel -q -w docker/dist/wheels docker/dist/wheels/ec112-*.whl 2>&1 | grep -v 'is ignored' || true
rm -rf build

if [ "${1:-}" = --build ]; then
    export EC112_AMI_SECRET=build-only EC112_DB_PASSWORD=build-only  # compose needs them set; no image holds them
    say "building the images (podman-compose build)"
    "${COMPOSE[@]}" build
    say "built: localhost/ec112, localhost/ec112-asterisk, localhost/ec112-postgres"
    exit 0
fi

# Free ports for this run (--network host: no clash with a lab, a test Asterisk or the host's PostgreSQL).
read -r EC112_SIP_PORT EC112_AMI_PORT EC112_AGI_PORT EC112_WEB_PORT EC112_DB_PORT < <(.venv/bin/python - <<'PY'
import socket
socks, ports = [], []
for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); socks.append(s); ports.append(s.getsockname()[1])
print(*ports)
PY
)
EC112_RTP_START=$(( 20000 + 2 * (RANDOM % 5000) ))
EC112_RTP_END=$(( EC112_RTP_START + 99 ))
EC112_AMI_SECRET=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
EC112_DB_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
export EC112_SIP_PORT EC112_AMI_PORT EC112_AGI_PORT EC112_WEB_PORT EC112_DB_PORT EC112_RTP_START EC112_RTP_END \
       EC112_AMI_SECRET EC112_DB_PASSWORD

image_ids() { for image in localhost/ec112 localhost/ec112-asterisk localhost/ec112-postgres; do
    podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true; done | sort -u; }
before=$(image_ids)
say "building the images (podman-compose build)"
"${COMPOSE[@]}" build >"$CACHE/build.log" 2>&1 || { tail -n 40 "$CACHE/build.log"; exit 1; }
now=$(image_ids)
for old in $(comm -23 <(echo "$before") <(echo "$now")); do  # the images this build superseded (not the cache)
    podman rmi "$old" >/dev/null 2>&1 || true
done
built=$(date +%s)

down() {
    local rc=$?
    if [ $rc -ne 0 ]; then
        for c in ec112 ec112-asterisk ec112-postgres; do
            echo "--- podman logs $c (last 30 lines)"; podman logs --tail 30 "$c" 2>&1 || true
        done
    fi
    say "tearing down (containers and volumes)"
    "${COMPOSE[@]}" down -v >/dev/null 2>&1 || true
    say "done (exit $rc)"
    exit $rc
}
trap down EXIT
say "starting the compose (SIP $EC112_SIP_PORT, AMI $EC112_AMI_PORT, FastAGI $EC112_AGI_PORT, web $EC112_WEB_PORT, PostgreSQL $EC112_DB_PORT)"
"${COMPOSE[@]}" up -d >"$CACHE/up.log" 2>&1 || { cat "$CACHE/up.log"; exit 1; }
.venv/bin/python scripts/docker_call.py
say "OK (images built in $(( built - start )) s)"
