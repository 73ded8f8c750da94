#!/usr/bin/env bash
# ec112 installer for a fresh Debian 12 (bookworm) machine, run as root. Idempotent: every step
# checks first and skips what is already there, so `make run` / `make test` can call it each time.
#
#   scripts/install.sh                 Asterisk 16 (Debian 11 package, pinned), SIPp, espeak-ng + sox,
#                                      ec112's prompts (/var/lib/ec112/sounds), the .venv
#   scripts/install.sh --asterisk22    + Asterisk 22 from Debian sid in a chroot (/var/lib/ec112/asterisk22)
#   scripts/install.sh --chromium      + Debian chromium (browser tests)
#   scripts/install.sh --postgresql    + Debian postgresql, only when no server answers on 127.0.0.1:5432
#   EC112_INSTALL_ASTERISK22=1 scripts/install.sh   same as --asterisk22
#
# Why Debian 11's Asterisk: bookworm has no asterisk package; bullseye's 16.28 installs cleanly
# next to bookworm's libraries. A pin of priority 100 makes sure nothing else is taken from bullseye.
# The lab/tests never use the system Asterisk service: they start private instances on free ports,
# so the Debian service is kept stopped and disabled.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AST22_ROOT=/var/lib/ec112/asterisk22
STATE_DIR=/var/lib/ec112
WANT_AST22=${EC112_INSTALL_ASTERISK22:-0}
WANT_CHROMIUM=0
WANT_PG=0

say() { printf 'ec112-install: %s\n' "$*"; }
die() { printf 'ec112-install: ERROR: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

for arg in "$@"; do
    case "$arg" in
        --asterisk22) WANT_AST22=1 ;;
        --chromium) WANT_CHROMIUM=1 ;;
        --postgresql) WANT_PG=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $arg" ;;
    esac
done

# ---- preconditions -------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $0 $*)"
# shellcheck disable=SC1091
os_id=$( . /etc/os-release 2>/dev/null && echo "${ID:-}" ) || true
os_ver=$( . /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}" ) || true
[[ "$os_id" == debian && "$os_ver" == 12 ]] \
    || die "needs Debian 12 (bookworm); this is '${os_id:-unknown} ${os_ver:-?}'"

export DEBIAN_FRONTEND=noninteractive LC_ALL=C
START_TS=$(date +%s)
APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        say "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
}
apt_install() { apt_update_once; apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }

# The bookworm mirror this machine already uses (first URIs of a stanza whose Suites has bookworm).
debian_mirror() {
    local uri=""
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        uri=$(awk '
            /^[[:space:]]*$/ { if (u != "" && s ~ /(^| )bookworm( |$)/) { print u; exit } u=""; s=""; next }
            /^URIs:/   { u=$2 }
            /^Suites:/ { $1=""; s=$0 " " }
            END { if (u != "" && s ~ /(^| )bookworm( |$)/) print u }' /etc/apt/sources.list.d/debian.sources \
            | head -n1)
    fi
    if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
        uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# Keep invoke-rc.d / deb-systemd-invoke from starting services while packages are installed.
POLICY=/usr/sbin/policy-rc.d
POLICY_OURS=0
deny_service_starts() {
    if [[ ! -e $POLICY ]]; then
        printf '#!/bin/sh\n# ec112-install: temporary, deny service starts\nexit 101\n' > "$POLICY"
        chmod 755 "$POLICY"
        POLICY_OURS=1
    fi
}
restore_service_starts() { if [[ $POLICY_OURS -eq 1 ]]; then rm -f "$POLICY"; POLICY_OURS=0; fi; }
trap restore_service_starts EXIT

# ---- 1. Asterisk 16 from bullseye ------------------------------------------------------------
if command -v asterisk >/dev/null 2>&1; then
    say "asterisk present: $(asterisk -V 2>/dev/null || echo '?') (skip)"
else
    mirror=$(debian_mirror)
    say "adding bullseye apt source ($mirror) pinned at priority 100"
    cat > /etc/apt/sources.list.d/ec112-bullseye.sources <<EOF
# ec112: Asterisk 16 comes from Debian 11 (bookworm has no asterisk package).
Types: deb
URIs: $mirror
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # Only Asterisk's own packages are preferred from bullseye; every library it needs comes from bookworm when
    # bookworm has it (priority 100 < 500), and from bullseye only when bookworm has none (libldap-2.4-2…).
    # Not `apt-get install asterisk/bullseye`: that release selection also pulls bullseye versions of libraries
    # a minimal bookworm has not installed yet (libasound2, libsasl2-2), which bookworm's own packages then
    # break ("held broken packages" on a debootstrap --variant=minbase bookworm; checked 2026-12-03).
    cat > /etc/apt/preferences.d/ec112-bullseye <<'EOF'
# ec112: never upgrade anything to bullseye; only Asterisk's own packages come from it.
Package: *
Pin: release n=bullseye
Pin-Priority: 100

Package: asterisk asterisk-modules asterisk-config asterisk-core-sounds-* asterisk-moh-opsound-*
Pin: release n=bullseye
Pin-Priority: 500
EOF
    APT_UPDATED=0
    apt_update_once
    say "installing asterisk/bullseye (service start denied)"
    deny_service_starts
    apt_install asterisk asterisk-modules asterisk-config
    # Debian 12 has no asterisk package: what was installed must be bullseye's 16.
    asterisk -V | grep -q "^Asterisk 16\." || die "expected Asterisk 16 from bullseye, got: $(asterisk -V)"
    restore_service_starts
    mkdir -p "$STATE_DIR"
    touch "$STATE_DIR/system-asterisk-installed-by-ec112"
    say "installed $(asterisk -V)"
fi

# The Debian service is never used by ec112's lab/tests: keep it stopped and disabled.
if [[ -e "$STATE_DIR/system-asterisk-installed-by-ec112" ]]; then
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now asterisk.service >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/asterisk ]]; then
        /etc/init.d/asterisk stop >/dev/null 2>&1 || true
        update-rc.d asterisk disable >/dev/null 2>&1 || true
    fi
fi

# ---- 2. SIPp ----------------------------------------------------------------------------------
if command -v sipp >/dev/null 2>&1; then
    say "sipp present (skip)"
else
    say "installing sip-tester (SIPp)"
    apt_install sip-tester
fi

# ---- 2b. espeak-ng + sox: they make sounds/ (scripts/make_prompts.py) and a known incident's prompt at run time;
# logrotate runs packaging/ec112.logrotate (and its test)
for tool in espeak-ng sox logrotate; do
    if command -v "$tool" >/dev/null 2>&1; then
        say "$tool present (skip)"
    else
        say "installing $tool"
        apt_install "$tool"
    fi
done

# ---- 2c. ec112's prompts where Asterisk reads them (musiconhold.conf, the intake: sounds_dir) ---------------
# A file is (re)installed when it is missing or still exactly as a previous run installed it (its line in
# the installed MANIFEST.sha256); a file a regency replaced with a recording is kept (sounds/README.md).
install_sounds() {
    local src="$REPO_DIR/sounds" dst=$1 sum rel have was kept=0 copied=0
    mkdir -p "$dst"
    while read -r sum rel; do
        have=""; was=""
        [[ -f "$dst/$rel" ]] && have=$(sha256sum "$dst/$rel" | cut -d' ' -f1)
        [[ -f "$dst/MANIFEST.sha256" ]] && was=$(awk -v f="$rel" '$2 == f { print $1 }' "$dst/MANIFEST.sha256")
        if [[ "$have" == "$sum" ]]; then
            continue
        elif [[ -z "$have" || "$have" == "$was" ]]; then
            install -D -m 0644 "$src/$rel" "$dst/$rel"; copied=$((copied + 1))
        else
            say "keeping $dst/$rel (replaced locally)"; kept=$((kept + 1))
        fi
    done < "$src/MANIFEST.sha256"
    install -m 0644 "$src/MANIFEST.sha256" "$src/README.md" "$src/prompts.toml" "$dst/"
    chmod 0755 "$dst" "$dst"/*/
    say "prompts in $dst: $copied installed or updated, $kept kept"
}
[[ -f "$REPO_DIR/sounds/MANIFEST.sha256" ]] || die "missing $REPO_DIR/sounds (scripts/make_prompts.py makes it)"
install_sounds "$STATE_DIR/sounds"

# ---- 2d. recordings (issue 14): a directory Asterisk writes and ec112 reads and prunes ------------------------
# Only on a real install (users asterisk and ec112 exist): /var/lib/ec112/recordings, owned by asterisk, group
# ec112, setgid, and a default ACL giving the group rwx on every day directory MixMonitor creates (ec112 deletes
# files after [recording] keep_days, which needs write access to their directory whatever Asterisk's umask).
# The lab needs none of this: it records into <lab>/recordings.
if id asterisk >/dev/null 2>&1 && id ec112 >/dev/null 2>&1; then
    command -v setfacl >/dev/null 2>&1 || { say "installing acl"; apt_install acl; }
    install -d -m 2770 -o asterisk -g ec112 "$STATE_DIR/recordings"
    setfacl -m g:ec112:rwx -d -m g:ec112:rwx -d -m u:asterisk:rwx "$STATE_DIR/recordings"
    say "recordings: $STATE_DIR/recordings (asterisk writes, ec112 reads and prunes)"
fi

# ---- 3. Python venv with ec112 + dev extras ---------------------------------------------------
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    say "installing python3-venv"
    apt_install python3-venv
fi
VENV="$REPO_DIR/.venv"
STAMP="$VENV/.ec112-install-stamp"
want_stamp=$(sha256sum "$REPO_DIR/pyproject.toml" | cut -d' ' -f1)
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
    say ".venv up to date (skip)"
else
    [[ -x "$VENV/bin/python" ]] || { say "creating $VENV"; python3 -m venv "$VENV"; }
    say "pip install -e '.[dev,drill]' into .venv"
    "$VENV/bin/pip" install -q --upgrade pip
    (cd "$REPO_DIR" && "$VENV/bin/pip" install -q -e '.[dev,drill]')  # drill: pjsua2 for `ec112 drill run`
    echo "$want_stamp" > "$STAMP"
fi

# ---- 4. Asterisk 22 (Debian sid) in a debootstrap chroot --------------------------------------
if [[ "$WANT_AST22" == 1 ]]; then
    AST22_STAMP="$AST22_ROOT/.ec112-ready"
    if [[ -f "$AST22_STAMP" ]]; then
        say "asterisk 22 chroot present: $(cat "$AST22_STAMP") (skip)"
    else
        t0=$(date +%s)
        command -v debootstrap >/dev/null 2>&1 || { say "installing debootstrap"; apt_install debootstrap; }
        # A half-built chroot from an interrupted run: start over (never mounted anything, but check).
        if [[ -e "$AST22_ROOT" ]]; then
            if grep -q " $AST22_ROOT" /proc/mounts; then
                die "something is mounted under $AST22_ROOT; unmount it first"
            fi
            say "removing incomplete $AST22_ROOT"
            rm -rf --one-file-system "$AST22_ROOT"
        fi
        mkdir -p "$STATE_DIR"
        mirror=$(debian_mirror)
        say "debootstrap --variant=minbase sid $AST22_ROOT ($mirror)"
        debootstrap --variant=minbase sid "$AST22_ROOT" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1 \
            || die "debootstrap failed, see $STATE_DIR/debootstrap.log"
        # No service may start inside the chroot; a frozen mirror's Release may be past Valid-Until.
        printf '#!/bin/sh\nexit 101\n' > "$AST22_ROOT/usr/sbin/policy-rc.d"
        chmod 755 "$AST22_ROOT/usr/sbin/policy-rc.d"
        echo 'Acquire::Check-Valid-Until "false";' > "$AST22_ROOT/etc/apt/apt.conf.d/99ec112-no-check-valid-until"
        say "installing asterisk in the chroot"
        chroot "$AST22_ROOT" apt-get update -qq
        chroot "$AST22_ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
            apt-get install -y -qq --no-install-recommends asterisk >/dev/null
        chroot "$AST22_ROOT" apt-get clean
        version=$(chroot "$AST22_ROOT" asterisk -V)
        echo "$version" > "$AST22_STAMP"
        say "built $version in $(( $(date +%s) - t0 )) s"
    fi
    install_sounds "$AST22_ROOT$STATE_DIR/sounds"  # the same path as Asterisk 22 sees it from its chroot
fi

# ---- 5. Chromium (optional) -------------------------------------------------------------------
if [[ "$WANT_CHROMIUM" == 1 ]]; then
    if command -v chromium >/dev/null 2>&1; then
        say "chromium present (skip)"
    else
        say "installing chromium"
        apt_install chromium
    fi
fi

# ---- 6. PostgreSQL (optional): a server for the tests and `make run DATABASE=postgresql` -----------------
# A server that answers on 127.0.0.1:5432 (or EC112_TEST_PG_DSN) is used as it is: nothing installed, nothing
# touched. Otherwise Debian's postgresql is installed WITHOUT its main cluster (createcluster.conf, service starts
# denied): the tests and the lab start a private cluster on a free port (src/ec112/lab/postgres.py), so a
# second cluster never competes for 5432.
if [[ "$WANT_PG" == 1 ]]; then
    if [[ -n "${EC112_TEST_PG_DSN:-}" ]]; then
        say "EC112_TEST_PG_DSN set: its server is used (skip)"
    elif timeout 1 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null; then
        say "PostgreSQL answers on 127.0.0.1:5432 (skip)"
    elif compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
        say "postgresql present: $(compgen -G '/usr/lib/postgresql/*/bin/initdb' | head -n1) (skip)"
    else
        say "installing postgresql (no main cluster: ec112 starts private clusters on free ports)"
        mkdir -p /etc/postgresql-common
        conf=/etc/postgresql-common/createcluster.conf
        if ! grep -qs '^[[:space:]]*create_main_cluster' "$conf"; then
            echo 'create_main_cluster = false  # ec112-install: the tests start private clusters' >> "$conf"
        fi
        deny_service_starts
        apt_update_once
        apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef \
            -o Dpkg::Options::=--force-confold postgresql >/dev/null
        restore_service_starts
        compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || die "postgresql installed but no initdb found"
    fi
fi

# ---- final check: nobody holds the default SIP/AMI ports --------------------------------------
if command -v ss >/dev/null 2>&1; then
    busy=$(ss -Hlnup 'sport = :5060' 2>/dev/null; ss -Hltnp '( sport = :5060 or sport = :5038 )' 2>/dev/null)
    if [[ -n "$busy" ]]; then
        say "WARNING: something listens on 5060/5038 (ec112's lab uses its own free ports anyway):"
        printf '%s\n' "$busy" >&2
    fi
fi
say "done in $(( $(date +%s) - START_TS )) s"
