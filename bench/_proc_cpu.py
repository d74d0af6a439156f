"""CPU seconds of groups of processes and of the whole machine, read from /proc.

A process's CPU is utime + stime of /proc/PID/stat (clock ticks). A group is
the process trees under some root pids, or every process of one user. The
CPU a group spent between two snapshots is, per pid, the difference of its
two readings, or its whole reading if it was born in between (a new database
backend); a process that ended in between is not counted.

The machine's CPU is /proc/stat's first line: busy = everything but idle and
iowait, in core-seconds, so on 2 cores a second of wall time holds 2 of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Proc:
    ppid: int
    uid: int
    cpu_s: float


def processes() -> dict[int, Proc]:
    out: dict[int, Proc] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            uid = entry.stat().st_uid
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # after the name: state ppid ... utime (11) stime (12), counted from state
        out[int(entry.name)] = Proc(int(fields[1]), uid, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def tree(roots: Iterable[int], procs: Mapping[int, Proc]) -> set[int]:
    """`roots` and all their descendants that are alive in `procs`."""
    children: dict[int, list[int]] = {}
    for pid, proc in procs.items():
        children.setdefault(proc.ppid, []).append(pid)
    found: set[int] = set()
    todo = [r for r in roots if r in procs]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) core-seconds since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return (total - idle) / TICK, total / TICK


@dataclass(frozen=True)
class Snapshot:
    procs: dict[int, Proc]
    busy_s: float
    total_s: float


def snapshot() -> Snapshot:
    busy, total = machine_busy_s()
    return Snapshot(processes(), busy, total)


def spent(before: Snapshot, after: Snapshot, pids: set[int]) -> float:
    """CPU seconds the processes `pids` (as seen in `after`) spent between the snapshots."""
    total = 0.0
    for pid in pids:
        now = after.procs.get(pid)
        if now is None:
            continue
        then = before.procs.get(pid)
        total += now.cpu_s - (then.cpu_s if then is not None and then.ppid == now.ppid else 0.0)
    return total


def of_user(procs: Mapping[int, Proc], uid: int) -> set[int]:
    return {pid for pid, proc in procs.items() if proc.uid == uid}
