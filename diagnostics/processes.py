"""Which process wrote a record, and whether that very process is still alive.

A pipeline run row says "running" until its process closes it; a process killed with SIGKILL (or a
machine that lost power) never does. To tell a run that is still working from one whose process is
gone, a run records *who* runs it: the host name, the pid and the pid's start time. A pid alone is not
enough, because pids are reused: a live process with the same pid that started later is another
process. Only the host that wrote the record can check it; on any other host the answer is "unknown"
and the caller falls back on the record's age.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def started_at(pid: int) -> float | None:
    """The pid's start time (seconds since the epoch, to a clock tick), where ``/proc`` tells it."""
    boot = _boot_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if boot is None:
        return None
    # the command name (field 2) may hold spaces and parentheses: fields are counted after its last ")"
    fields = stat.rsplit(")", 1)[1].split()
    return round(boot + int(fields[19]) / _CLOCK_TICKS, 2)


def identity(pid: int | None = None) -> dict[str, Any]:
    """This process (or ``pid``) as a run records it: host, pid and start time."""
    pid = os.getpid() if pid is None else pid
    return {"host": socket.gethostname(), "pid": pid, "started": started_at(pid)}


def _zombie(pid: int) -> bool:
    """Exited but not yet reaped by its parent: it answers signals, yet runs nothing."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


def alive(record: dict[str, Any] | None) -> bool | None:
    """Is the process a record names still running? ``None`` when this host cannot tell (no record, or
    another host's). A live pid that started after the record's process did is a reused pid: dead."""
    if not record or record.get("host") != socket.gethostname() or not isinstance(record.get("pid"), int):
        return None
    pid = int(record["pid"])
    if not pid_alive(pid) or _zombie(pid):
        return False
    recorded, now = record.get("started"), started_at(pid)
    return recorded is None or now is None or abs(float(recorded) - now) <= 1.0
