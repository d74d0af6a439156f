"""The four faults of bench/faults.py at CI size: a failover regression fails the suite.

A real cluster (scripts/cluster.sh: pg_auto_failover with a synchronous
standby, three switch processes behind HAProxy, two delivery workers) takes
orders and wallet-to-wallet transfers from signed clients while, one after
the other, a switch process is SIGKILLed, the PostgreSQL primary is
SIGKILLed (the standby is promoted), a participant's event endpoint is down,
and the network from the switch processes to the database is cut for 3 s
(an nftables rule, `cluster.sh cut-db`; as root, which CI is).
Clients send unanswered steps again with the same message id. Afterwards,
for every fault: nothing acknowledged is missing, nothing is stored twice,
`hutong ledger check` passes, every event reached its endpoint, the
clients' longest wait in the primary failover is under the issue's 15 s, and
the cut was real: clients waited through most of it.

CI-sized: 4 s windows, and the cluster in /dev/shm (memory), where it comes
up and is removed in seconds less than on this machine's disk; a killed
process keeps what it wrote there as on disk.

Needs Debian's postgresql-15-auto-failover and haproxy: scripts/test.sh
installs them when root (`scripts/cluster.sh parts`); otherwise this skips,
except in CI. Ports 26050-26099, directory /dev/shm/hutong-cluster-ci.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("pg_autoctl", "haproxy")
#: seconds the network to the database is cut
CUT = 3

pytestmark = pytest.mark.slow


def _require_parts() -> None:
    missing = [tool for tool in PARTS if shutil.which(tool) is None]
    if os.getuid() == 0 and shutil.which("nft") is None:
        missing.append("nft")
    if not Path("/usr/lib/postgresql/15/bin/pg_ctl").exists():
        missing.append("PostgreSQL 15")
    if not missing:
        return
    reason = (
        f"the cluster's parts are missing ({', '.join(missing)}): as root, scripts/test.sh"
        " installs postgresql-15-auto-failover, haproxy and nftables with apt-get"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the fault run: {reason}")
    pytest.skip(reason)


def test_no_fault_loses_or_doubles_an_acknowledged_effect(tmp_path: Path) -> None:
    _require_parts()
    results = tmp_path / "results"
    env = {
        **os.environ,
        "HUTONG_BIN": str(Path(sys.executable).parent / "hutong"),
        "HUTONG_BENCH_RESULTS": str(results),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.faults",
            *("--seconds", "4", "--cut-seconds", str(CUT), "--rate", "2", "--clients", "3"),
            *("--port-base", "26050", "--dir", "/dev/shm/hutong-cluster-ci"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    report = results / "faults.json"
    assert report.exists(), run.stderr[-3000:]
    outcome = json.loads(report.read_text())
    rows = {row["fault"]: row for row in outcome["rows"] if "fault" in row}
    summary = outcome["rows"][-1]["summary"]
    assert set(rows) == {"worker", "primary", "callback", "network"}, run.stdout
    for fault, row in rows.items():
        assert row["acknowledged_lost"] == 0, (fault, summary)
        assert row["duplicated"] == 0, (fault, summary)
        assert row["ledger_check_ok"], (fault, summary["ledger_check"])
        assert row["events_delivered_after_recovery"], (fault, summary["events"])
        assert row["unanswered_steps"] == 0, (fault, row)
    assert summary["lost"] == 0 and summary["orders_acknowledged"] > 0, summary
    assert summary["transfers_acknowledged_committed"] > 0, summary
    assert rows["primary"]["longest_stall_s"] < 15, rows["primary"]
    network = rows["network"]
    if os.getuid() == 0:  # where nft can be used, the cut is a real one
        assert network["cut_by"] == "nftables", network
    assert network["longest_stall_s"] >= CUT * 0.6, network
    assert outcome["passed"], run.stdout + run.stderr[-3000:]
