#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server when PostgreSQL is installed.
# Exports FAKELINEAR_PG_DSN for the command; stops and removes the server afterwards.
# Without PostgreSQL the command runs as is (PostgreSQL tests then skip, except in CI,
# where .ci/run installs PostgreSQL first and FAKELINEAR_REQUIRE_PG=1 makes them mandatory).
set -u
if [ -n "${FAKELINEAR_PG_DSN:-}" ]; then exec "$@"; fi
pgbin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pgbin="$d"; done
if [ -z "$pgbin" ] && command -v initdb >/dev/null 2>&1; then pgbin=$(dirname "$(command -v initdb)"); fi
if [ -z "$pgbin" ]; then
  echo "with-postgres: PostgreSQL not installed; PostgreSQL tests will skip" >&2
  exec "$@"
fi
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_pg=(runuser -u postgres --)
fi
dir=$(mktemp -d /tmp/fakelinear-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=100" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
export FAKELINEAR_PG_DSN="postgresql://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: throwaway PostgreSQL on 127.0.0.1:$port" >&2
"$@"
