#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: `start DIR` makes DIR (data in DIR/data, socket
# in DIR/sock, log in DIR/log), runs initdb and pg_ctl as an unprivileged user on a free
# loopback port, and prints the connection URL; `stop DIR` stops it and removes DIR.
# Run as root, the server runs as the user `pgtest` (created if missing); otherwise as the
# caller. Debian's binaries are looked for in /usr/lib/postgresql/*/bin.
set -euo pipefail

cmd=${1:?usage: pg-throwaway.sh start|stop DIR}
dir=${2:?usage: pg-throwaway.sh start|stop DIR}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$bin" ] || bin=$(dirname "$(command -v pg_ctl)")

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u pgtest -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    if [ "$(id -u)" -eq 0 ] && ! id pgtest >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin pgtest
    fi
    mkdir -p "$dir/sock"
    [ "$(id -u)" -eq 0 ] && chown -R pgtest "$dir"
    chmod 700 "$dir"
    # A free port: bind to 0 and read back what the kernel gave.
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/sock \
            -c fsync=on -c synchronous_commit=on -c max_connections=200" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg-throwaway.sh start|stop DIR" >&2
    exit 2
    ;;
esac
