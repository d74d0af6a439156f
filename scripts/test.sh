#!/usr/bin/env bash
# Run the whole test suite: `bash scripts/test.sh [PYTEST_ARGS...]`.
#
#  1. Set up .venv (see scripts/_venv.sh).
#  2. Start a throwaway PostgreSQL (scripts/pg.sh) and export
#     HUTONG_TEST_POSTGRES_URL / HUTONG_TEST_PG_BIN for the tests and benches.
#     If PostgreSQL cannot be had: with CI=true fail, otherwise warn loudly and
#     run only the SQLite half of the suite.
#  3. Find Debian's chromium for the browser tests (scripts/chromium.sh installs
#     it when missing) and export HUTONG_TEST_CHROMIUM. Without it: with
#     CI=true fail, otherwise warn and the browser tests skip.
#  4. Find or install the cluster's parts (pg_auto_failover, HAProxy) for the
#     fault run in tests/cluster (scripts/cluster.sh parts). Without them:
#     with CI=true fail, otherwise warn and that test skips.
#  5. ruff, mypy, lint-imports, pytest, stopping at the first failure.
#
# Environment:
#   HUTONG_TEST_ON_DISK=1  keep the run's throwaway files in TMPDIR, not in RAM
#                        (/dev/shm, used when it has 4 GiB free).
#   HUTONG_SKIP_LINT=1   skip ruff and mypy (for quick local iterations only;
#                        CI never sets it). The import contracts always run.
#   CI=true              PostgreSQL and chromium are mandatory.
set -euo pipefail

# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$hutong_repo_root"

log() { echo "test: $*" >&2; }

hutong_ensure_venv

# --- scratch space in RAM -------------------------------------------------------
# Everything the run throws away (pytest's tmp_path: each test's SQLite copy, the
# synthetic worlds; the PostgreSQL cluster's data) goes to a fresh directory on
# /dev/shm when it has room: those databases commit with fsync (synchronous=FULL,
# fsync=on) and on tmpfs the fsync costs nothing (a tiny synthetic world: 7-8 s
# on disk, 5 s in RAM). The settings the tests check stay as they are.
# HUTONG_TEST_ON_DISK=1 keeps TMPDIR as it is.
scratch=""
if [[ -z "${HUTONG_TEST_ON_DISK:-}" && -d /dev/shm && -w /dev/shm ]]; then
    shm_free_kb="$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')"
    if [[ "${shm_free_kb:-0}" -ge $((4 * 1024 * 1024)) ]]; then
        scratch="$(mktemp -d /dev/shm/hutong-test.XXXXXXXX)"
        chmod 1777 "$scratch"   # as /tmp: PostgreSQL's own user makes its cluster here
        export TMPDIR="$scratch"
        log "scratch space in RAM: $scratch"
    fi
fi

# --- PostgreSQL ---------------------------------------------------------------
pg_data=""
cleanup() {
    if [[ -n "$pg_data" ]]; then
        bash scripts/pg.sh stop "$pg_data" || true
    fi
    if [[ -n "$scratch" ]]; then
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT   # make sure signals go through the EXIT trap
trap 'exit 143' TERM

pg_rc=0
pg_exports="$(bash scripts/pg.sh start)" || pg_rc=$?
if [[ "$pg_rc" -eq 0 ]]; then
    eval "$pg_exports"
    pg_data="$HUTONG_TEST_PG_DATA"
elif [[ "$pg_rc" -eq 3 ]]; then
    # pg.sh exit 3: binaries not available (and not installable).
    if [[ "${CI:-}" == "true" ]]; then
        log "ERROR: PostgreSQL is required in CI (CI=true) but initdb/pg_ctl are unavailable"
        exit 1
    fi
    unset HUTONG_TEST_POSTGRES_URL HUTONG_TEST_PG_BIN HUTONG_TEST_PG_DATA
    cat >&2 <<'BANNER'

  ##########################################################################
  #  WARNING: PostgreSQL is NOT available (no initdb/pg_ctl found and      #
  #  could not install it). Running ONLY the SQLite half of the suite.     #
  #  PostgreSQL tests will be skipped. CI (CI=true) would FAIL here.       #
  ##########################################################################

BANNER
else
    # Binaries exist but the cluster did not come up: that is a real failure.
    log "ERROR: could not start PostgreSQL (scripts/pg.sh exit $pg_rc)"
    exit 1
fi

# --- chromium (the dashboard's browser tests) ---------------------------------
chromium_rc=0
chromium_path="$(bash scripts/chromium.sh)" || chromium_rc=$?
if [[ "$chromium_rc" -eq 0 ]]; then
    export HUTONG_TEST_CHROMIUM="$chromium_path"
elif [[ "${CI:-}" == "true" ]]; then
    log "ERROR: chromium is required in CI (CI=true) but could not be found or installed"
    exit 1
else
    unset HUTONG_TEST_CHROMIUM
    log "WARNING: chromium is NOT available; the browser tests (tests/web) will be skipped"
fi

# --- the cluster's parts (tests/cluster: pg_auto_failover, HAProxy) ------------
# `scripts/cluster.sh parts` installs Debian's postgresql-15-auto-failover,
# haproxy and nftables (the network cut) with apt-get when root and missing. Without them: with CI=true fail,
# otherwise warn and the fault run skips (it says why).
cluster_rc=0
bash scripts/cluster.sh parts || cluster_rc=$?
if [[ "$cluster_rc" -ne 0 ]]; then
    if [[ "${CI:-}" == "true" ]]; then
        log "ERROR: pg_auto_failover, haproxy and nft are required in CI (CI=true) but unavailable"
        exit 1
    fi
    log "WARNING: pg_autoctl, haproxy or nft NOT available; the cluster fault run (tests/cluster) will be skipped"
fi

# --- lint, types, tests -------------------------------------------------------
if [[ "${HUTONG_SKIP_LINT:-}" == "1" ]]; then
    log "HUTONG_SKIP_LINT=1: skipping ruff and mypy"
else
    log "ruff check src tests bench"
    .venv/bin/ruff check src tests bench
    log "mypy"
    .venv/bin/mypy
fi
# The layering (docs/architecture.md) is checked on every run; nothing skips it.
log "lint-imports (the layering contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache

log "pytest $*"
pytest_rc=0
.venv/bin/pytest "$@" || pytest_rc=$?
if [[ "$pytest_rc" -eq 5 ]]; then
    log "ERROR: pytest collected no tests (exit 5); a suite that runs nothing is a defect"
    exit 1
fi
exit "$pytest_rc"
