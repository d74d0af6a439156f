#!/usr/bin/env bash
# Start/stop a throwaway PostgreSQL cluster for tests and benchmarks.
#
#   eval "$(bash scripts/pg.sh start)"    # prints export lines on stdout:
#                                         #   HUTONG_TEST_POSTGRES_URL, HUTONG_TEST_PG_BIN,
#                                         #   HUTONG_TEST_PG_DATA
#   bash scripts/pg.sh stop "$HUTONG_TEST_PG_DATA"
#
# The cluster lives entirely in a `mktemp -d` directory (data dir, unix socket,
# log), listens only on 127.0.0.1 on a free port, trusts every local connection,
# and has a database `hutong_test` owned by superuser `hutong`. `stop` kills it
# (pg_ctl stop -m immediate) and deletes the directory.
#
# Binaries are looked up on PATH, then in /usr/lib/postgresql/*/bin (newest
# version wins). If none are found and we are root, Debian's `postgresql`
# package is installed with apt-get.
#
# PostgreSQL refuses to run as root: when root, the data dir is owned by the
# `postgres` system user (or `hutongpg`, created if needed) and the server
# tools run through `runuser -u USER --`.
#
# Exit status of `start`: 0 ok, 3 PostgreSQL binaries unavailable (callers may
# choose to degrade), anything else a real failure. Status lines go to stderr.
set -euo pipefail

PG_UNAVAILABLE=3
MARKER=.hutong-pg   # file in the temp dir; proves to `stop` the dir is ours

log() { echo "postgres: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Tools we need from one PostgreSQL installation.
PG_TOOLS=(initdb pg_ctl pg_isready createdb postgres)

has_pg_tools() {
    local tool
    for tool in "${PG_TOOLS[@]}"; do
        [[ -x "$1/$tool" ]] || return 1
    done
}

# Print the directory holding the PostgreSQL server tools, or fail.
find_pg_bin() {
    local dir
    # initdb on PATH may be a symlink (e.g. /usr/local/bin/initdb ->
    # /usr/lib/postgresql/15/bin/initdb): use the directory it resolves to, so
    # that pg_isready, createdb and pgbench come from the same installation.
    if command -v initdb >/dev/null 2>&1; then
        dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
        if has_pg_tools "$dir"; then
            echo "$dir"
            return 0
        fi
    fi
    # Debian keeps server binaries off PATH, one dir per major version.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if has_pg_tools "$dir"; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# Like find_pg_bin, but as root install Debian's package when nothing is found.
find_or_install_pg_bin() {
    find_pg_bin && return 0
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "initdb/pg_ctl not found; installing Debian's postgresql package"
        if apt-get update >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; then
            find_pg_bin && return 0
            log "postgresql installed, but its server binaries are still not found"
        else
            log "apt-get install postgresql failed"
        fi
    fi
    return 1
}

# The unprivileged user that runs the server when we are root.
server_user() {
    if id -u postgres >/dev/null 2>&1; then
        echo postgres
        return
    fi
    if ! id -u hutongpg >/dev/null 2>&1; then
        log "creating system user hutongpg"
        useradd --system --no-create-home --shell /usr/sbin/nologin hutongpg >&2
    fi
    echo hutongpg
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# as_owner USER CMD...: run CMD as USER when root, directly otherwise.
as_owner() {
    local user="$1"; shift
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

cmd_start() {
    # Everything below writes to stderr; only the final export lines go to the
    # real stdout (kept on fd 3), so `eval "$(pg.sh start)"` stays clean.
    exec 3>&1 1>&2

    local bin
    if ! bin="$(find_or_install_pg_bin)"; then
        log "initdb/pg_ctl not available (looked on PATH and in /usr/lib/postgresql/*/bin)"
        exit "$PG_UNAVAILABLE"
    fi

    # tmp/data are global: the EXIT trap below may fire after this function.
    local user
    user="$(id -un)"
    [[ "$(id -u)" -eq 0 ]] && user="$(server_user)"
    tmp="$(mktemp -d -t hutong-pg.XXXXXXXX)"
    data="$tmp/data"
    # Until we hand the cluster over, clean up after ourselves on any failure.
    trap 'log "cleaning up $tmp"; (cmd_stop "$data") >/dev/null 2>&1 || rm -rf "$tmp"' EXIT
    trap 'exit 130' INT   # make sure signals go through the EXIT trap
    trap 'exit 143' TERM
    echo "$bin" >"$tmp/$MARKER"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown "$user" "$tmp"
        as_owner "$user" test -w "$tmp" ||
            die "$user cannot write to $tmp (is TMPDIR inside a private dir such as /root?)"
    fi
    # The server tools chdir-check the cwd, which may be unreadable for $user.
    cd "$tmp"

    as_owner "$user" "$bin/initdb" -D "$data" -A trust -U hutong \
        --encoding=UTF8 --locale=C >"$tmp/initdb.log" 2>&1 ||
        { cat "$tmp/initdb.log" >&2; die "initdb failed"; }

    # Server settings go into postgresql.conf (the last occurrence of a setting
    # wins), which avoids shell-quoting paths through pg_ctl -o.
    as_owner "$user" tee -a "$data/postgresql.conf" >/dev/null <<EOF

# --- hutong throwaway cluster (scripts/pg.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
fsync = on
synchronous_commit = on
max_connections = 200
EOF

    # The free port can be grabbed by someone else before the server binds it,
    # so retry a few times with a fresh port.
    local port attempt started=""
    for attempt in 1 2 3; do
        port="$(free_port)"
        as_owner "$user" tee -a "$data/postgresql.conf" >/dev/null <<<"port = $port"
        # 3>&-: the daemonized server must not inherit our real stdout (fd 3),
        # or `$(pg.sh start)` would wait for it to close until the server stops.
        if as_owner "$user" "$bin/pg_ctl" -D "$data" -l "$tmp/postgres.log" -w -t 60 start 3>&-; then
            started=1
            break
        fi
        log "start attempt $attempt on port $port failed"
    done
    if [[ -z "$started" ]]; then
        tail -n 30 "$tmp/postgres.log" >&2 || true
        die "could not start the server (log above)"
    fi

    local i
    for i in $(seq 1 60); do
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U hutong && break
        [[ "$i" -eq 60 ]] && die "server not ready after 30s"
        sleep 0.5
    done
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U hutong hutong_test

    trap - EXIT INT TERM
    log "started on 127.0.0.1:$port (data $data, $("$bin/postgres" --version))"
    {
        printf 'export HUTONG_TEST_POSTGRES_URL=%q\n' \
            "postgresql+psycopg://hutong@127.0.0.1:$port/hutong_test"
        printf 'export HUTONG_TEST_PG_BIN=%q\n' "$bin"
        printf 'export HUTONG_TEST_PG_DATA=%q\n' "$data"
    } >&3
}

cmd_stop() {
    local data="${1:-}"
    [[ -n "$data" ]] || die "usage: $0 stop DATA_DIR"
    local tmp
    tmp="$(dirname "$data")"
    # Refuse to rm -rf anything we did not create.
    [[ -f "$tmp/$MARKER" ]] || die "$tmp was not created by scripts/pg.sh; not touching it"
    local bin
    bin="$(<"$tmp/$MARKER")"
    cd "$tmp"
    if [[ -f "$data/postmaster.pid" ]]; then
        as_owner "$(stat -c %U "$data")" "$bin/pg_ctl" -D "$data" -m immediate -w stop >&2 ||
            log "pg_ctl stop failed (server already gone?)"
    fi
    cd /
    rm -rf "$tmp"
    log "stopped, removed $tmp"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 start | stop DATA_DIR" >&2; exit 2 ;;
esac
