#!/bin/bash
# Runs once, when the primary's data directory is created (/docker-entrypoint-initdb.d): a role
# for streaming replication and a pg_hba line that lets it in. wal_level, max_wal_senders and
# wal_keep_size are set on the server's command line (compose.yaml).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v user="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"user" WITH REPLICATION LOGIN PASSWORD :'password';
SQL

# "all" in pg_hba does not match replication connections: they need their own line.
echo "host replication ${REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
