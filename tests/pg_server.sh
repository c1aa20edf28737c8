#!/usr/bin/env bash
# tests/pg_server.sh start|stop DIR - a private PostgreSQL for one test run:
# initdb in DIR, listening only on a Unix socket in DIR (no TCP port, so
# runs side by side do not clash), as the unprivileged user `nobody` when
# run as root (PostgreSQL refuses root). The superuser is `lfr`; tests
# make a database each. Prints the libpq base URL on start.
set -euo pipefail
cmd=${1:?start or stop}
dir=$(realpath -m "${2:?a folder}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg_server: PostgreSQL's server is not installed (scripts/setup.sh)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }

case $cmd in
start)
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown nobody "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U lfr --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync off: a test database need not survive a power cut.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql:///?host=$dir&user=lfr"
  ;;
stop)
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  rm -rf "$dir"
  ;;
*) echo "usage: pg_server.sh start|stop DIR" >&2; exit 2 ;;
esac
