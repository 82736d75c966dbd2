"""A process's resident memory as the bench scripts report it: Linux's ``/proc/self``."""

from __future__ import annotations


def resident() -> tuple[int, int]:
    """(peak, current) resident set of this process in MB (``VmHWM``, ``VmRSS``); OSError without ``/proc``."""
    got = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                got[key] = int(value.split()[0]) // 1024
    return got["VmHWM"], got["VmRSS"]


def restart_peak() -> bool:
    """Count this process's peak from what it holds now (``/proc/self/clear_refs``); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True
