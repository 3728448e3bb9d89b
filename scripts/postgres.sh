#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on a free loopback port.
#
#   scripts/postgres.sh start DIR   initdb DIR (as the postgres user when run as root), start
#                                   the server, print its URL (postgres://postgres@127.0.0.1:PORT)
#   scripts/postgres.sh stop DIR    stop it
#   scripts/postgres.sh resume DIR  start it again, on the same port
#
# Installs Debian's postgresql where initdb is missing. Trust authentication on loopback only:
# it is a test server, gone with DIR.
set -euo pipefail
command=$1
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "PostgreSQL is not installed: apt-get install postgresql" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
fi
as_owner() {
    # PostgreSQL refuses to run as root.
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case "$command" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$port" >"$dir/port"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
    bash "$0" resume "$dir"
    echo "postgres://postgres@127.0.0.1:$port"
    ;;
resume)
    port=$(cat "$dir/port")
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: $0 start|stop|resume DIR" >&2
    exit 2
    ;;
esac
