#!/bin/sh
# PostgreSQL container entrypoint (the official image's contract, much reduced): on the first start, initdb with
# POSTGRES_USER as superuser (password POSTGRES_PASSWORD, scram-sha-256 over TCP;
# trust only on the container's own unix socket, as the official image) and create POSTGRES_DB; then run
# the server in the foreground as the postgres user, listening on 127.0.0.1:$PGPORT (--network host).
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
LISTEN=${POSTGRES_LISTEN_ADDRESSES:-127.0.0.1}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    if [ "$POSTGRES_DB" != "postgres" ]; then
        # a private server on the socket only, to create the database
        as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p $PGPORT" -w start >/dev/null
        as_postgres psql -q -v ON_ERROR_STOP=1 -p "$PGPORT" -U "$POSTGRES_USER" -d postgres \
            -c "CREATE DATABASE \"$POSTGRES_DB\""
        as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
    postgres -D "$PGDATA" -p "$PGPORT" -c listen_addresses="$LISTEN" "$@"
