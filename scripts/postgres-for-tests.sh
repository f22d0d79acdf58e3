#!/usr/bin/env bash
# A local PostgreSQL for the scale-out tests (tests/test_scale_out.py): installs Debian's server if it
# is missing (as root), starts its cluster, creates the role and databases, and prints the line
#   export PODPIPE_TEST_POSTGRES=postgresql://podpipe:podpipe@127.0.0.1:<port>
# for `eval`. Loopback only; for tests, not for production.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "install postgresql (apt-get install postgresql) to run the scale-out tests" >&2; exit 1; }
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
cluster=$(pg_lsclusters --no-header | head -n1)
version=$(echo "$cluster" | awk '{print $1}')
name=$(echo "$cluster" | awk '{print $2}')
port=$(echo "$cluster" | awk '{print $3}')
pg_ctlcluster "$version" "$name" start >&2 2>/dev/null || true
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
run() { su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1 -c \"$1\"" >&2; }
su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='podpipe'\"" | grep -q 1 ||
  run "CREATE ROLE podpipe LOGIN PASSWORD 'podpipe' CREATEDB"
for db in podpipe_catalog podpipe_prefect; do
  su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 ||
    run "CREATE DATABASE $db OWNER podpipe"
done
echo "export PODPIPE_TEST_POSTGRES=postgresql://podpipe:podpipe@127.0.0.1:$port"
