#!/usr/bin/env bash
# Maintainer tool: vendor the web panel's front-end libraries into src/ec112/web/static/vendor/.
# Never run at install, build, test or run time: the files it writes are committed, and nothing
# is fetched from the network by ec112 or its tests.
#
#   scripts/vendor-frontend.sh           download the pinned npm packages (`npm pack`, the registry
#                                        npm is configured for), verify every tarball and file
#                                        against the sha256 pinned below, copy them into place
#   scripts/vendor-frontend.sh --check   offline: verify the files in place against the pins
#
# To upgrade a library: change its version below, run the script, and it stops at the first
# sha256 mismatch printing the new hash. Review the new upstream release, then update the pins here
# and the table in src/ec112/web/static/vendor/README.md (tests/e2e checks README against the files).
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST="$REPO_DIR/src/ec112/web/static/vendor"

# package  version  sha256 of the npm tarball
PACKAGES=(
    "htmx.org      2.0.11 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e"
    "htmx-ext-sse  2.2.4  90b46f5ab915ba2f64e6348448c8dba509277a47e15c125ffb65754eb4f6b5dc"
    "leaflet       1.9.4  84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77"
)

# file under vendor/  package  path inside the tarball  sha256
FILES=(
    "htmx.min.js                    htmx.org     package/dist/htmx.min.js              d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    "licenses/htmx.org.LICENSE      htmx.org     package/LICENSE                       d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38"
    "sse.js                         htmx-ext-sse package/dist/sse.js                   3b5992a541619babefc4c169505af474df5c3039da51e59b96ccf9241ecd61d2"
    "licenses/htmx-ext-sse.LICENSE  htmx-ext-sse package/LICENSE                       a17d224ce9afdc21ec9491b76a2f5d036d19aa641ac4f85ca29c21f9f7e54fdf"
    "leaflet.js                     leaflet      package/dist/leaflet.js               db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a"
    "leaflet.css                    leaflet      package/dist/leaflet.css              a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6"
    "images/layers.png              leaflet      package/dist/images/layers.png        1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6"
    "images/layers-2x.png           leaflet      package/dist/images/layers-2x.png     066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf"
    "images/marker-icon.png         leaflet      package/dist/images/marker-icon.png   574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437"
    "images/marker-icon-2x.png      leaflet      package/dist/images/marker-icon-2x.png 00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528"
    "images/marker-shadow.png       leaflet      package/dist/images/marker-shadow.png 264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da"
    "licenses/leaflet.LICENSE       leaflet      package/LICENSE                       53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb"
)

say() { printf 'vendor-frontend: %s\n' "$*"; }
die() { printf 'vendor-frontend: ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verify() {  # verify FILE WANT_SHA256 LABEL
    local got
    [[ -f "$1" ]] || die "$3: missing ($1)"
    got=$(sha256_of "$1")
    [[ "$got" == "$2" ]] || die "$3: sha256 mismatch: pinned $2, got $got"
}

check_in_place() {
    local line dest pkg src sha
    for line in "${FILES[@]}"; do
        read -r dest pkg src sha <<<"$line"
        verify "$DEST/$dest" "$sha" "vendor/$dest ($pkg)"
    done
    say "all ${#FILES[@]} vendored files match their pinned sha256"
}

case "${1:-}" in
    --check) check_in_place; exit 0 ;;
    "") ;;
    -h|--help) sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option: $1 (try --help)" ;;
esac

for tool in npm tar sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (Debian: apt-get install npm)"
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

declare -A UNPACKED
for line in "${PACKAGES[@]}"; do
    read -r pkg version sha <<<"$line"
    say "npm pack $pkg@$version"
    tarball=$(cd "$WORK" && npm pack --silent "$pkg@$version" | tail -n1)
    verify "$WORK/$tarball" "$sha" "$pkg@$version tarball"
    mkdir -p "$WORK/$pkg"
    tar -xzf "$WORK/$tarball" -C "$WORK/$pkg"
    UNPACKED[$pkg]="$WORK/$pkg"
done

# Verify everything before touching the tree, then copy.
for line in "${FILES[@]}"; do
    read -r dest pkg src sha <<<"$line"
    verify "${UNPACKED[$pkg]}/$src" "$sha" "$pkg:$src"
done
for line in "${FILES[@]}"; do
    read -r dest pkg src sha <<<"$line"
    install -D -m 0644 "${UNPACKED[$pkg]}/$src" "$DEST/$dest"
done
check_in_place
