"""Reference participants for benchmarks, each in its own `hutong.world.reference_server` process.

A benchmark names each participant's role, the config section of its desk
(``wallets``, ``stores``, ``carriers``, ``programs``) and the desk's entry
without keys; each gets a fresh key pair, a process on a free port, and is
stopped (only these processes) at the end.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._harness import free_port
from hutong.protocol.signing import Signer, new_key_pair

SERVER = (sys.executable, "-m", "hutong.world.reference_server")
#: participant -> (role, config section, desk entry without keys)
DeskSpec = tuple[str, str, dict[str, Any]]


@dataclass
class Desk:
    """One reference participant in its own process."""

    participant: str
    role: str
    port: int
    process: subprocess.Popen[bytes]
    signer: Signer
    public_key: str
    log_path: Path

    @property
    def callback_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cb/{self.participant}"


@contextlib.contextmanager
def reference_processes(
    switch_key: str,
    switch_id: str,
    specs: Mapping[str, DeskSpec],
    ports: Iterator[int] | None = None,
) -> Iterator[dict[str, Desk]]:
    """One process per participant of `specs`, running once each answers on its port.

    Each on a free port, or on the next of `ports` (bench/faults.py keeps to its range).
    """
    started: dict[str, Desk] = {}
    with tempfile.TemporaryDirectory(prefix="hutong-bench-desks-") as scratch:
        try:
            for participant, (role, section, entry) in specs.items():
                pair = new_key_pair()
                config = {
                    "switch_public_key": switch_key,
                    "switch_id": switch_id,
                    section: {
                        participant: {"key_id": "k1", "private_key": pair.private_key} | entry
                    },
                }
                path = Path(scratch) / f"{participant}.json"
                path.write_text(json.dumps(config))
                log_path = Path(scratch) / f"{participant}.log"
                port = next(ports) if ports is not None else free_port()
                with log_path.open("wb") as log:  # a file: a full pipe would stall the desk
                    process = subprocess.Popen(
                        [*SERVER, "--config", str(path), "--port", str(port)],
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                signer = Signer(participant, "k1", pair.private_key)
                started[participant] = Desk(
                    participant, role, port, process, signer, pair.public_key, log_path
                )
            for desk in started.values():
                _wait_for_port(desk)
            yield started
        finally:
            for desk in started.values():
                desk.process.terminate()
            for desk in started.values():
                try:
                    desk.process.wait(10)
                except subprocess.TimeoutExpired:
                    desk.process.kill()


def _wait_for_port(desk: Desk) -> None:
    deadline = time.monotonic() + 30
    while True:
        if desk.process.poll() is not None:
            error = desk.log_path.read_text(errors="replace")
            raise RuntimeError(f"{desk.participant} process exited: {error[:500]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", desk.port), 1):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{desk.participant} process did not start in 30 s")
        time.sleep(0.1)
