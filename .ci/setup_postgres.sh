#!/usr/bin/env bash
# Start a PostgreSQL server on 127.0.0.1 for hpo's tests, with role and database hpo/hpo.
#
# Idempotent: installs PostgreSQL with apt-get when it is missing, creates and starts the Debian
# cluster when needed, and leaves an already running server alone. Run as root (Debian/Ubuntu).
# Prints the line to export for the tests:
#   export HPO_TEST_POSTGRES_URL=postgresql+psycopg://hpo:hpo@127.0.0.1:5432/hpo
set -euo pipefail

PORT="${HPO_PG_PORT:-5432}"
ROLE="hpo"
PASSWORD="hpo"
DATABASE="hpo"

if [ "$(id -u)" -ne 0 ]; then
    echo "setup_postgres.sh: run me as root (it installs packages and starts the server as user postgres)." >&2
    exit 1
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
# The cluster that serves PORT, if any; otherwise the cluster "main" of the newest version.
CLUSTER="$(pg_lsclusters --no-header | awk -v p="$PORT" '$3 == p {print $1 " " $2; exit}')"
if [ -z "$CLUSTER" ]; then
    if pg_lsclusters --no-header | awk -v v="$VERSION" '$1 == v && $2 == "main" {found=1} END {exit !found}'; then
        echo "setup_postgres.sh: cluster $VERSION/main exists but not on port $PORT; set HPO_PG_PORT." >&2
        exit 1
    fi
    pg_createcluster "$VERSION" main --port "$PORT"
    CLUSTER="$VERSION main"
fi

if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    # shellcheck disable=SC2086  # CLUSTER is "version name", two words on purpose.
    pg_ctlcluster $CLUSTER start
fi
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p "$PORT" >/dev/null || {
    echo "setup_postgres.sh: PostgreSQL did not become ready on 127.0.0.1:$PORT; see /var/log/postgresql/." >&2
    exit 1
}

psql_admin() {
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" = "1" ]; then
    psql_admin -c "ALTER ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD'"
else
    psql_admin -c "CREATE ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
# Tests drop their throwaway databases WITH (FORCE), which ends leftover sessions of the role.
psql_admin -c "GRANT pg_signal_backend TO $ROLE"
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
    psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

echo "export HPO_TEST_POSTGRES_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
