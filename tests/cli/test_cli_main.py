"""The `hutong` command's last catch: a bug is one line and a kept traceback, not a screenful."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from hutong.cli.main import INTERNAL_ERROR, app, run

broken = typer.Typer()


@broken.command()
def crash() -> None:
    raise RuntimeError("a bug deep inside")


@broken.command()
def fine() -> None:
    print("fine")


def kept_file(stderr: str) -> Path:
    return Path(stderr.split("the traceback is in ", 1)[1].split(" ", 1)[0])


def test_a_bug_is_one_line_on_stderr_and_its_traceback_is_kept_in_a_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUTONG_DEBUG", raising=False)
    assert run(broken, ["crash"]) == INTERNAL_ERROR

    stderr = capsys.readouterr().err
    assert stderr.startswith("internal_error: RuntimeError is a bug in Hutong")
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1
    kept = kept_file(stderr)
    assert "a bug deep inside" in kept.read_text() and "Traceback" in kept.read_text()
    kept.unlink()


def test_hutong_debug_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUTONG_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug deep inside"):
        run(broken, ["crash"])


def test_exit_codes_pass_through_success_and_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(broken, ["fine"]) == 0
    assert run(app, ["ledger", "no-such-command"]) == 2
    assert "internal_error" not in capsys.readouterr().err


def test_the_module_runs_as_the_installed_command_does() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hutong.cli.main", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "interconnection switch" in done.stdout
