"""The benchmarks still run: each end-to-end benchmark at a tiny size, on SQLite.

Benchmarks are not timed tests (the speed issue): their figures are read by
people on a quiet machine. But they are code, and a change in a helper they
share (say `bench.signed_requests.build_requests` answering three lists where
the orders benchmark unpacked two) breaks them silently until the next
person who needs a figure. Each runs here as its own process, as a developer
runs it, with its results written to a temporary directory; what is asserted
is that it finished and that its own consistency check passed, never a rate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

#: Each benchmark, its tiny arguments, and the field of its run that says it checked out.
RUNS = {
    "orders": (
        "--orders 8 --concurrency 4 --rounds 1 --pings 200 --buyers 20 --transfers 0",
        "consistent",
    ),
    "transfers": ("--users 10 --transfers 20 --senders 4 --pings 200 --rounds 1", "consistent"),
    "tracking": ("--shipments 12 --requests 60 --concurrency 3 --rounds 1", "lossless"),
    "signed_requests": ("--requests 200 --concurrency 4 --rounds 1", None),
    # It fails itself when a campaign issued other than it answered or past its stock.
    "coupons": ("--claims 60 --concurrency 4 --rounds 1", None),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_benchmark_runs_at_a_tiny_size_and_checks_out(name: str, tmp_path: Path) -> None:
    arguments, checked = RUNS[name]
    env = {k: v for k, v in os.environ.items() if k != "HUTONG_TEST_POSTGRES_URL"}
    env["HUTONG_BENCH_RESULTS"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *arguments.split(), "--database", "sqlite"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / f"{name}.json").read_text())
    [run] = results["runs"]
    assert run["database"] == "sqlite"
    if checked is not None:
        assert run[checked] is True, run
