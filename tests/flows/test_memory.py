"""A pipeline process hands the memory a stage freed back to the system (``flows.give_back_memory``)."""

from __future__ import annotations

import sys

import pytest

import flows


def _resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not flows.give_back_memory(),
                    reason="glibc's malloc_trim and /proc are Linux's")
def test_what_a_stage_freed_goes_back_to_the_system() -> None:
    """Like a stage's read frames: ~180 MB of objects too large for Python's own small-object arenas (so
    they come from the C heap), a few kept alive between them so the heap's top cannot simply shrink.
    Freed, they stay resident; given back, the resident set falls by most of them."""
    held = [bytes(3000) for _ in range(60_000)]
    kept = held[::40]
    del held
    freed = _resident_mb()
    assert flows.give_back_memory()
    after = _resident_mb()
    assert freed - after > 100, (freed, after)
    assert len(kept) == 1500
