#!/bin/bash
# A hot standby of postgres-primary: on an empty data directory, copies the primary with
# pg_basebackup -R (which writes standby.signal and primary_conninfo), then starts the server.
# Read-only: the application sends it reads through COMMERCE_DATABASE_REPLICA_URLS.
set -euo pipefail

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
: "${PRIMARY_HOST:?}" "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  until gosu postgres pg_isready --host "$PRIMARY_HOST" --username "$REPLICATION_USER" --quiet; do
    echo "waiting for $PRIMARY_HOST" >&2
    sleep 1
  done
  PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup \
    --host "$PRIMARY_HOST" --username "$REPLICATION_USER" --pgdata "$PGDATA" \
    --wal-method stream --write-recovery-conf --checkpoint fast --no-password --progress
fi

exec gosu postgres postgres -D "$PGDATA" -c hot_standby=on
