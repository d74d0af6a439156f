"""`hutong demo` runs the whole seed-world story for real and says that every step passed.

It is run exactly as a user runs it, as a separate process: it starts the switch and
the reference participants on loopback, plays each step of `STORY`, prints a table,
and ends with `all N steps passed` (exit 0) or `K step(s) failed` (exit 1).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hutong.world.demo import STORY

#: The demo takes a few seconds; this is the most a user should ever wait.
BUDGET_SECONDS = 60


@pytest.mark.slow
def test_the_demo_passes_every_step_of_the_story(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUTONG_")}
    env["COLUMNS"] = "200"  # one table row per line, whatever the terminal
    started = time.monotonic()

    done = subprocess.run(
        [sys.executable, "-m", "hutong.cli.main", "demo", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    elapsed = time.monotonic() - started
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, report
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == f"all {len(STORY)} steps passed", report
    for title, _, _ in STORY:
        assert any(title in line and "✓" in line for line in lines), f"{title}\n{report}"
    assert "✗" not in done.stdout, report
    assert elapsed < BUDGET_SECONDS, f"the demo took {elapsed:.1f}s\n{report}"
    assert (tmp_path / "hutong.db").is_file(), "--data-dir keeps the demo's database"
