#!/usr/bin/env bash
# A whole Hutong cluster on loopback, each process standing in for a host:
#
#   bash scripts/cluster.sh up             # start everything, print the URLs
#   bash scripts/cluster.sh status         # who is primary, which processes answer
#   bash scripts/cluster.sh kill-worker N  # SIGKILL switch process N (1-3), then restart it
#   bash scripts/cluster.sh kill-primary   # SIGKILL the primary's keeper and PostgreSQL
#   bash scripts/cluster.sh freeze-primary S  # SIGSTOP the primary's PostgreSQL for S seconds
#   bash scripts/cluster.sh cut-db S       # cut the network from the switch tier to both database
#                                          # nodes for S seconds (an nftables rule; root only)
#   bash scripts/cluster.sh rejoin         # restart the keeper of a killed node (it rejoins as standby)
#   bash scripts/cluster.sh down           # stop everything and delete the directory
#   bash scripts/cluster.sh env            # print the export lines (URLs, paths)
#   bash scripts/cluster.sh primary        # the port of the node taking writes (exit 1: none)
#   bash scripts/cluster.sh in-sync        # exit 0 when there is a primary and a secondary
#   bash scripts/cluster.sh parts          # install the packages below if root (exit 3: cannot)
#
# The parts (Debian's packages, installed with apt-get when root and missing):
#   - pg_auto_failover (postgresql-15-auto-failover): a monitor and two keepers,
#     each keeper running a PostgreSQL 15; the formation keeps one synchronous
#     standby (synchronous_commit=on, synchronous_standby_names set by the
#     keepers), so an acknowledged commit is on both nodes; when the primary
#     dies, the monitor promotes the standby.
#   - three `hutong serve` processes connecting with a multi-host libpq URL
#     (host=a,b, target_session_attrs=read-write): whichever node is primary
#     takes the writes;
#   - HAProxy (haproxy) in front of them: health checks on /healthz; a request
#     is sent again to another process only when its connection could not be
#     made (any method) or, for GET and HEAD alone, when the answer was empty;
#   - two delivery workers (`hutong deliver`) sharing the outbox (lanes leased
#     with FOR UPDATE SKIP LOCKED); HUTONG_CLUSTER_DELIVERY_WORKERS=N for
#     another number (0: none, as the cluster-scale benchmark wants);
#   - nftables (nftables), for `cut-db` alone: the switch tier (switch
#     processes and delivery workers, run as root) and the database tier
#     (pg_auto_failover, run as `hutongha`) are told apart by socket owner.
#
# pg_autoctl and PostgreSQL refuse to run as root: when root they run as the
# unprivileged system user `hutongha` (created if needed), as scripts/pg.sh does.
#
# Everything lives in HUTONG_CLUSTER_DIR (default /tmp/hutong-cluster-main) and
# on ports HUTONG_CLUSTER_PORT_BASE + 0..49 (default 26000): monitor +1,
# nodes +2 and +3, switch processes +10..+12, HAProxy +20, HAProxy stats +21.
# The ports lie below Linux's ephemeral range (32768-60999): there any
# outgoing connection or bind to port 0 (a test running alongside) can hold
# one of them at the moment a process binds it. `up` checks they are free.
# HAProxy's runtime API (level admin) is the socket $DIR/haproxy.sock.
set -euo pipefail

DIR="${HUTONG_CLUSTER_DIR:-/tmp/hutong-cluster-main}"
BASE="${HUTONG_CLUSTER_PORT_BASE:-26000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HUTONG="${HUTONG_BIN:-$ROOT/.venv/bin/hutong}"
PG_USER=hutongha
MONITOR_PORT=$((BASE + 1))
NODE_PORTS=($((BASE + 2)) $((BASE + 3)))
SWITCH_PORTS=($((BASE + 10)) $((BASE + 11)) $((BASE + 12)))
LB_PORT=$((BASE + 20))
STATS_PORT=$((BASE + 21))
DELIVERY_WORKERS="${HUTONG_CLUSTER_DELIVERY_WORKERS:-2}"
UNAVAILABLE=3   # exit status: the packages cannot be had

log() { echo "cluster: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# /dev/shm (memory) makes up and down faster: the CI fault run uses it. A
# process that dies keeps what it wrote there as on disk; only a crash of
# the machine (not a fault tried here) would lose it.
case "$DIR" in
    /tmp/hutong-cluster-*|/dev/shm/hutong-cluster-*) ;;
    *) die "HUTONG_CLUSTER_DIR must be /tmp/hutong-cluster-* or /dev/shm/hutong-cluster-*: got $DIR" ;;
esac

pg_bin() { ls -d /usr/lib/postgresql/15/bin 2>/dev/null; }
# nft is needed (for cut-db) only where it can be used: as root.
have_parts() {
    command -v pg_autoctl >/dev/null && command -v haproxy >/dev/null && [[ -n "$(pg_bin)" ]] &&
        { [[ "$(id -u)" -ne 0 ]] || command -v nft >/dev/null; }
}

ensure_parts() {
    have_parts && return 0
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing Debian's postgresql-15-auto-failover, haproxy and nftables"
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
            --no-install-recommends postgresql-15 postgresql-15-auto-failover haproxy \
            nftables; } >&2 ||
            log "apt-get install failed"
    fi
    have_parts || {
        log "pg_autoctl, haproxy, PostgreSQL 15 or (as root) nft not available"
        exit "$UNAVAILABLE"
    }
}

# as_pg CMD...: run CMD as the PostgreSQL user (when root), with pg_autoctl's
# configuration kept inside the cluster directory. PG_PREFIX is that prefix,
# for `start` (setsid cannot run a shell function).
pg_prefix() {
    PG_PREFIX=()
    [[ "$(id -u)" -eq 0 ]] && PG_PREFIX=(runuser -u "$PG_USER" --)
    PG_PREFIX+=(env "XDG_CONFIG_HOME=$DIR/pg/config" "XDG_DATA_HOME=$DIR/pg/share"
        "XDG_RUNTIME_DIR=$DIR/pg/run" "PATH=$(pg_bin):/usr/bin:/bin" "PG_CONFIG=$(pg_bin)/pg_config")
}
as_pg() { pg_prefix; "${PG_PREFIX[@]}" "$@"; }

# start NAME CMD...: run CMD in the background in its own session; pid in pids/NAME.
start() {
    local name="$1"; shift
    setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/pids/$name"
}

pid_of() { cat "$DIR/pids/$1" 2>/dev/null || true; }
alive() { local pid; pid="$(pid_of "$1")"; [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }

# stop NAME [SIGNAL]: signal the process group started as NAME and wait for it.
stop() {
    local name="$1" signal="${2:-TERM}" pid i
    pid="$(pid_of "$name")"
    [[ -n "$pid" ]] || return 0
    kill -"$signal" -- "-$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$DIR/pids/$name"
}

# signal_all SIGNAL NAME...: signal the process groups started as NAME..., not waiting.
signal_all() {
    local signal="$1" name pid
    shift
    for name in "$@"; do
        pid="$(pid_of "$name")"
        if [[ -n "$pid" ]]; then kill -"$signal" -- "-$pid" 2>/dev/null || true; fi
    done
}

monitor_url() { echo "postgres://autoctl_node@127.0.0.1:$MONITOR_PORT/pg_auto_failover?sslmode=disable"; }

database_url() {
    echo "postgresql+psycopg://hutong@/hutong?host=127.0.0.1:${NODE_PORTS[0]}&host=127.0.0.1:${NODE_PORTS[1]}&target_session_attrs=read-write&connect_timeout=2"
}

psql_node() {
    local port="$1"; shift
    "$(pg_bin)/psql" -X -q -At -h 127.0.0.1 -p "$port" -U hutong -d hutong "$@"
}

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
    local seconds="$1" what="$2" i; shift 2
    for i in $(seq 1 $((seconds * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "$what not ready after ${seconds}s (logs in $DIR/logs)"
}

# wait_for_process SECONDS NAME CMD...: as wait_for, but a process NAME that
# exited fails at once, with the end of its log (a port taken, a bad setting).
wait_for_process() {
    local seconds="$1" name="$2" i; shift 2
    for i in $(seq 1 $((seconds * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        if ! alive "$name"; then
            tail -20 "$DIR/logs/$name.log" >&2
            die "$name exited before it was ready (log above, logs in $DIR/logs)"
        fi
        sleep 0.2
    done
    die "$name not ready after ${seconds}s (logs in $DIR/logs)"
}

# The cluster's ports that something already listens on (none: nothing printed).
ports_taken() {
    local port
    for port in "$MONITOR_PORT" "${NODE_PORTS[@]}" "${SWITCH_PORTS[@]}" "$LB_PORT" "$STATS_PORT"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; fi
    done
}

# The node that answers writes now (its port), or nothing.
primary_port() {
    local port
    for port in "${NODE_PORTS[@]}"; do
        if [[ "$(psql_node "$port" -c 'select not pg_is_in_recovery()' 2>/dev/null)" == "t" ]]; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

node_name() { [[ "$1" == "${NODE_PORTS[0]}" ]] && echo node1 || echo node2; }

two_nodes_in_sync() {
    [[ "$(as_pg pg_autoctl show state --pgdata "$DIR/pg/monitor" 2>/dev/null |
        grep -cE '\| +(primary|secondary) +\| +(primary|secondary)')" -eq 2 ]]
}

write_haproxy_cfg() {
    local i
    {
        cat <<EOF
global
    maxconn 2000
    log stderr format short local0 warning
    stats socket $DIR/haproxy.sock mode 600 level admin

defaults
    mode http
    log global
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    option redispatch 1
    retries 3
    # A connection that could not be made is tried on another process for any
    # request; an empty answer is tried again only for GET and HEAD (a POST may
    # already have had its effect: its sender retries with the same message id).
    retry-on conn-failure empty-response response-timeout

frontend switch
    bind 127.0.0.1:$LB_PORT
    http-request disable-l7-retry unless METH_GET || METH_HEAD
    default_backend switches

backend switches
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
EOF
        for i in 0 1 2; do
            echo "    server switch$((i + 1)) 127.0.0.1:${SWITCH_PORTS[$i]} check"
        done
        cat <<EOF

frontend stats
    bind 127.0.0.1:$STATS_PORT
    stats enable
    stats uri /stats
EOF
    } >"$DIR/haproxy.cfg"
}

switch_env() {
    echo env "HUTONG_DATABASE_URL=$(database_url)" "HUTONG_DATA_DIR=$DIR/data" \
        "PROMETHEUS_MULTIPROC_DIR=$DIR/metrics" "HUTONG_OPERATOR_TOKEN=${HUTONG_OPERATOR_TOKEN:-cluster-operator}"
}

start_switch() {  # start_switch N (1-3)
    local n="$1"
    # shellcheck disable=SC2046
    start "switch$n" $(switch_env) HUTONG_RUN_DELIVERY=0 \
        "$HUTONG" serve --host 127.0.0.1 --port "${SWITCH_PORTS[$((n - 1))]}" --log-level warning
}

start_delivery() {  # start_delivery N
    # shellcheck disable=SC2046
    start "delivery$1" $(switch_env) "$HUTONG" deliver --log-level warning
}

# create_node N (1 or 2): register nodeN with the monitor and make its
# PostgreSQL (the second one from a base backup of the first), with timeouts
# of seconds rather than the defaults' 20 s and more to notice a lost peer.
create_node() {
    local name="node$1" port="${NODE_PORTS[$(($1 - 1))]}" key
    as_pg pg_autoctl create postgres --pgdata "$DIR/pg/$name" --pgport "$port" \
        --hostname 127.0.0.1 --listen 127.0.0.1 --name "$name" --auth trust --no-ssl \
        --username hutong --dbname hutong --pgctl "$(pg_bin)/pg_ctl" \
        --monitor "$(monitor_url)" >>"$DIR/logs/create-$name.log" 2>&1 ||
        { tail -20 "$DIR/logs/create-$name.log" >&2; return 1; }
    for key in network_partition_timeout=5 prepare_promotion_walreceiver=2 \
        postgresql_restart_failure_timeout=5; do
        as_pg pg_autoctl config set --pgdata "$DIR/pg/$name" "timeout.${key%=*}" "${key#*=}" >/dev/null
    done
}

start_keeper() {  # start_keeper node1|node2
    pg_prefix
    start "keeper-$1" "${PG_PREFIX[@]}" pg_autoctl run --pgdata "$DIR/pg/$1"
}

cmd_up() {
    ensure_parts
    [[ -x "$HUTONG" ]] || die "$HUTONG not found: run scripts/test.sh once to make .venv"
    [[ -e "$DIR" ]] && die "$DIR exists: run '$0 down' first"
    local taken
    taken="$(ports_taken | tr '\n' ' ')"
    [[ -z "$taken" ]] || die "ports in use: $taken(another cluster? choose HUTONG_CLUSTER_PORT_BASE)"
    if [[ "$(id -u)" -eq 0 ]] && ! id -u "$PG_USER" >/dev/null 2>&1; then
        log "creating system user $PG_USER"
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    fi
    # Debian's PostgreSQL puts its socket lock files in /var/run/postgresql
    # (group postgres, group-writable); pg_autoctl does not let us move them.
    if [[ "$(id -u)" -eq 0 ]] && getent group postgres >/dev/null && ! id -nG "$PG_USER" | grep -qw postgres; then
        usermod -a -G postgres "$PG_USER"
    fi
    mkdir -p "$DIR"/{pids,logs,data,metrics,pg/config,pg/share,pg/run}
    [[ "$(id -u)" -eq 0 ]] && chown -R "$PG_USER" "$DIR/pg" && chmod 0755 "$DIR" && chmod 0700 "$DIR/pg/run"
    cd "$DIR/pg"  # the PostgreSQL user must be able to read its working directory

    log "monitor on 127.0.0.1:$MONITOR_PORT"
    as_pg pg_autoctl create monitor --pgdata "$DIR/pg/monitor" --pgport "$MONITOR_PORT" \
        --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl --pgctl "$(pg_bin)/pg_ctl" \
        >>"$DIR/logs/create.log" 2>&1 || { tail -20 "$DIR/logs/create.log" >&2; die "monitor create failed"; }
    # Fail over in seconds rather than the default ~30 s: check each node every
    # second and count a node gone after 3 s without a report.
    as_pg tee -a "$DIR/pg/monitor/postgresql.conf" >/dev/null <<'EOF'
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 3000
pgautofailover.primary_demote_timeout = 5000
EOF
    pg_prefix
    start monitor "${PG_PREFIX[@]}" pg_autoctl run --pgdata "$DIR/pg/monitor"
    wait_for 60 "monitor" "$(pg_bin)/pg_isready" -h 127.0.0.1 -p "$MONITOR_PORT"

    local i creating
    log "node1 (keeper and PostgreSQL 15) on 127.0.0.1:${NODE_PORTS[0]}"
    create_node 1 || die "node1 create failed"
    start_keeper node1
    wait_for 120 "node1" "$(pg_bin)/pg_isready" -h 127.0.0.1 -p "${NODE_PORTS[0]}"
    wait_for 60 "role hutong" psql_node "${NODE_PORTS[0]}" -c 'select 1'

    # node2 is made from a base backup of node1 meanwhile, and the switch
    # processes start before it is in sync: they need the schema, not the
    # standby. `up` returns only once the standby is synchronous.
    log "node2 (keeper and PostgreSQL 15) on 127.0.0.1:${NODE_PORTS[1]}; schema (hutong migrate)"
    create_node 2 &
    creating=$!
    # shellcheck disable=SC2046
    $(switch_env) "$HUTONG" migrate >>"$DIR/logs/migrate.log" 2>&1 ||
        { tail -20 "$DIR/logs/migrate.log" >&2; die "migrate failed"; }
    for i in 1 2 3; do start_switch "$i"; done
    for i in $(seq 1 "$DELIVERY_WORKERS"); do start_delivery "$i"; done
    write_haproxy_cfg
    haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy.cfg does not check"
    start haproxy haproxy -db -f "$DIR/haproxy.cfg"
    wait "$creating" || die "node2 create failed"
    start_keeper node2
    wait_for 120 "node2" "$(pg_bin)/pg_isready" -h 127.0.0.1 -p "${NODE_PORTS[1]}"
    wait_for 180 "primary and synchronous standby" two_nodes_in_sync
    for i in 0 1 2; do
        wait_for_process 60 "switch$((i + 1))" curl -fsS "http://127.0.0.1:${SWITCH_PORTS[$i]}/healthz"
    done
    wait_for 30 "haproxy" curl -fsS "http://127.0.0.1:$LB_PORT/healthz"
    log "up: switch at http://127.0.0.1:$LB_PORT (stats http://127.0.0.1:$STATS_PORT/stats)"
    cmd_env
}

cmd_env() {
    printf 'export HUTONG_CLUSTER_URL=%q\n' "http://127.0.0.1:$LB_PORT"
    printf 'export HUTONG_CLUSTER_DATABASE_URL=%q\n' "$(database_url)"
    printf 'export HUTONG_CLUSTER_DIR=%q\n' "$DIR"
    printf 'export HUTONG_CLUSTER_PORT_BASE=%q\n' "$BASE"
}

cmd_status() {
    [[ -d "$DIR" ]] || { echo "no cluster in $DIR"; return 1; }
    as_pg pg_autoctl show state --pgdata "$DIR/pg/monitor" 2>/dev/null || echo "monitor: not answering"
    local name port i
    echo "primary: $(primary_port || echo none)"
    for i in 1 2 3; do
        port="${SWITCH_PORTS[$((i - 1))]}"
        printf 'switch%s  127.0.0.1:%s  %s\n' "$i" "$port" \
            "$(curl -fsS -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && echo up || echo down)"
    done
    for name in $(ls "$DIR/pids"); do
        printf '%-12s pid %-8s %s\n' "$name" "$(pid_of "$name")" "$(alive "$name" && echo alive || echo dead)"
    done
}

cmd_kill_worker() {
    local n="${1:-}"
    [[ "$n" =~ ^[123]$ ]] || die "usage: $0 kill-worker 1|2|3"
    log "SIGKILL switch $n (pid $(pid_of "switch$n"))"
    stop "switch$n" KILL
    start_switch "$n"
    wait_for_process 60 "switch$n" curl -fsS "http://127.0.0.1:${SWITCH_PORTS[$((n - 1))]}/healthz"
    log "switch $n restarted"
}

# The primary's host dies: its keeper and its PostgreSQL, both SIGKILLed.
cmd_kill_primary() {
    local port name postmaster
    port="$(primary_port)" || die "no primary answers"
    name="$(node_name "$port")"
    postmaster="$(head -1 "$DIR/pg/$name/postmaster.pid")"
    log "SIGKILL $name (keeper pid $(pid_of "keeper-$name"), postgres pid $postmaster) on port $port"
    stop "keeper-$name" KILL
    kill -KILL "$postmaster" 2>/dev/null || true
    pkill -KILL -P "$postmaster" 2>/dev/null || true
    echo "$name"
}

# The network to the database is cut: the primary's PostgreSQL stops answering
# (SIGSTOP: connections stay open and nothing comes back) for S seconds.
cmd_freeze_primary() {
    local seconds="${1:-10}" port name postmaster children
    port="$(primary_port)" || die "no primary answers"
    name="$(node_name "$port")"
    postmaster="$(head -1 "$DIR/pg/$name/postmaster.pid")"
    children="$(pgrep -P "$postmaster" | tr '\n' ' ')"
    log "SIGSTOP $name's PostgreSQL ($postmaster $children) for ${seconds}s"
    # shellcheck disable=SC2086
    kill -STOP "$postmaster" $children
    sleep "$seconds"
    # shellcheck disable=SC2086
    kill -CONT "$postmaster" $children 2>/dev/null || true
    log "$name's PostgreSQL answers again"
}

# The network between the switch tier and the database is cut for S seconds:
# an nftables rule drops every packet that a root-owned socket (switch
# processes, delivery workers) sends to either database node's port, so
# open connections hang (nothing answers, nothing is refused) and new ones
# time out, as in a real partition. The database tier (monitor, keepers,
# replication: user hutongha) still sees itself whole, so nothing fails over.
# The rule lives in its own table, removed when the time is up, on any exit
# of this command, and by `down`.
CUT_TABLE="hutong_cut_$BASE"
cut_off() { nft delete table inet "$CUT_TABLE" 2>/dev/null || true; }

cmd_cut_db() {
    local seconds="${1:-10}"
    [[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "usage: $0 cut-db SECONDS"
    [[ "$(id -u)" -eq 0 ]] && command -v nft >/dev/null ||
        { log "cut-db needs root and nft (scripts/cluster.sh parts)"; exit "$UNAVAILABLE"; }
    trap cut_off EXIT
    nft -f - <<EOF
table inet $CUT_TABLE {
    chain output {
        type filter hook output priority 0; policy accept;
        ip daddr 127.0.0.1 tcp dport { ${NODE_PORTS[0]}, ${NODE_PORTS[1]} } meta skuid 0 drop
    }
}
EOF
    log "network from the switch tier to the database (ports ${NODE_PORTS[*]}) cut for ${seconds}s"
    sleep "$seconds"
    cut_off
    trap - EXIT
    log "network to the database restored"
}

# Bring back a node whose keeper was killed: it rejoins as a standby.
cmd_rejoin() {
    local name
    for name in node1 node2; do
        if ! alive "keeper-$name"; then
            log "restarting keeper of $name"
            start_keeper "$name"
        fi
    done
}

cmd_down() {
    [[ -d "$DIR" ]] || { log "nothing in $DIR"; return 0; }
    local name
    command -v nft >/dev/null && [[ "$(id -u)" -eq 0 ]] && cut_off
    local tier=() database=()
    for name in $(ls "$DIR/pids" 2>/dev/null); do
        case "$name" in keeper-*|monitor) database+=("$name") ;; *) tier+=("$name") ;; esac
    done
    # All at once: HAProxy and the switch tier with SIGTERM, pg_autoctl with
    # SIGINT (its fast shutdown; with SIGTERM the monitor can take 10 s).
    signal_all TERM "${tier[@]}"
    signal_all INT "${database[@]}"
    for name in "${tier[@]}"; do stop "$name"; done
    for name in "${database[@]}"; do stop "$name" INT; done
    # A postmaster left behind by a SIGKILLed keeper.
    for name in node1 node2 monitor; do
        if [[ -f "$DIR/pg/$name/postmaster.pid" ]]; then
            kill -KILL "$(head -1 "$DIR/pg/$name/postmaster.pid")" 2>/dev/null || true
        fi
    done
    log "processes stopped (${SECONDS}s)"
    cd /
    rm -rf "$DIR"
    log "down, removed $DIR (${SECONDS}s)"
}

command="${1:-}"
shift || true
case "$command" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    kill-worker) cmd_kill_worker "$@" ;;
    kill-primary) cmd_kill_primary ;;
    freeze-primary) cmd_freeze_primary "$@" ;;
    cut-db) cmd_cut_db "$@" ;;
    rejoin) cmd_rejoin ;;
    primary) primary_port ;;
    in-sync) two_nodes_in_sync ;;
    parts) ensure_parts ;;
    *) echo "usage: $0 up|down|status|env|kill-worker N|kill-primary|freeze-primary S|cut-db S|rejoin" >&2; exit 2 ;;
esac
