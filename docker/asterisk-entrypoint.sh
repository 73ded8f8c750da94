#!/bin/sh
# Asterisk container entrypoint: fill the secrets into the config rendered at build time, then run Asterisk in the
# foreground. The image holds /srv/asterisk/etc.in with @@EC112_AMI_SECRET@@ and @@SIP_PASSWORD_<endpoint>@@ tokens
# (docker/render_asterisk_conf.py); etc/ is rewritten at every start, so a changed secret needs only a restart.
#   EC112_AMI_SECRET             required: ec112's EC112_AMI__SECRET (compose passes both from one variable)
#   SIP_PASSWORD_<endpoint>      optional (e.g. SIP_PASSWORD_taker01); otherwise a random password is generated
#                                once and kept in the astdb volume: /srv/asterisk/db/sip-passwords (0600)
set -eu
LAB=/srv/asterisk
: "${EC112_AMI_SECRET:?EC112_AMI_SECRET is required (the same value as ec112 EC112_AMI__SECRET)}"
case "$EC112_AMI_SECRET" in
    *[!A-Za-z0-9_.~-]*) echo "EC112_AMI_SECRET: letters, digits and _ . ~ - only" >&2; exit 78 ;;
esac
umask 077
mkdir -p "$LAB/db" "$LAB/recordings" "$LAB/rendered" "$LAB/log/cdr-custom"
PASSWORDS="$LAB/db/sip-passwords"
touch "$PASSWORDS"
while read -r endpoint; do
    [ -n "$endpoint" ] || continue
    if ! grep -q "^$endpoint " "$PASSWORDS"; then
        echo "$endpoint $(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" >> "$PASSWORDS"
    fi
done < "$LAB/endpoints"
script=$(mktemp)
printf 's|@@EC112_AMI_SECRET@@|%s|g\n' "$EC112_AMI_SECRET" > "$script"
while read -r endpoint password; do
    override=$(printenv "SIP_PASSWORD_$endpoint" || true)
    value=${override:-$password}
    case "$value" in
        *[!A-Za-z0-9_.~-]*) echo "SIP_PASSWORD_$endpoint: letters, digits and _ . ~ - only" >&2; exit 78 ;;
    esac
    printf 's|@@SIP_PASSWORD_%s@@|%s|g\n' "$endpoint" "$value" >> "$script"
done < "$PASSWORDS"
rm -rf "$LAB/etc"
mkdir -m 700 "$LAB/etc" "$LAB/etc/ec112"   # etc/ec112/: ec112's include files (asterisk-conf/ec112/, issue 17)
for conf in "$LAB"/etc.in/*.conf "$LAB"/etc.in/ec112/*.conf; do
    sed -f "$script" "$conf" > "$LAB/etc/${conf#"$LAB/etc.in/"}"
done
rm -f "$script"
if grep -l '@@[A-Za-z0-9_]*@@' "$LAB"/etc/*.conf "$LAB"/etc/ec112/*.conf >&2; then
    echo "asterisk-entrypoint: secrets left unfilled in the files above" >&2
    exit 78
fi
umask 022  # recordings and records are read by the ec112 container
rm -f "$LAB/run/asterisk.ctl" "$LAB/run/asterisk.pid"  # a stale socket from a killed container
exec asterisk -f -n -C "$LAB/etc/asterisk.conf" "$@"
