#!/usr/bin/env bash
# Runs a command with READMORE_TEST_POSTGRES naming a throwaway PostgreSQL
# cluster (Debian's packages; installed when missing) that listens on
# 127.0.0.1 only and is stopped and deleted afterwards, also on failure:
#   tests/with_postgres.sh cargo test --locked --features postgres --lib store
set -euo pipefail

newest_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
bin=$(newest_bin || true)
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
  "${apt[@]}" install -y --no-install-recommends postgresql >/dev/null 2>&1 \
    || { "${apt[@]}" update >/dev/null && "${apt[@]}" install -y --no-install-recommends postgresql >/dev/null; }
  bin=$(newest_bin)
fi

dir=$(mktemp -d)
as=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the packages' user.
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
stop() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U readmore >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off" \
  start >/dev/null
"$bin/createdb" -h 127.0.0.1 -p "$port" -U readmore readmore
export READMORE_TEST_POSTGRES="postgres://readmore@127.0.0.1:$port/readmore"
"$@"
