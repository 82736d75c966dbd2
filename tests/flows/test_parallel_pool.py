"""The local process pool is one per process, even when Prefect's task threads ask for it at once, and
work pinned to a lane always runs in that lane's process."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from diagnostics.settings import settings
from flows import parallel


def test_threads_asking_at_once_share_one_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage's batch tasks start together in Prefect's threads; each used to build a pool of its own
    while the first was still being made (each pool spawning its own workers)."""
    made: list[Any] = []

    class SlowPool:
        def __init__(self, **_kwargs: Any) -> None:
            time.sleep(0.05)  # the window in which another thread used to find no pool yet
            made.append(self)

        def shutdown(self, **_kwargs: Any) -> None:
            return None

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", SlowPool)
    monkeypatch.setattr(parallel, "_POOL", None)
    monkeypatch.setattr(settings, "workers", 2)
    start = threading.Barrier(12)
    got: list[Any] = []

    def ask() -> None:
        start.wait()
        got.append(parallel.pool())

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 2  # one set of lanes, a process each
    assert all(p is got[0] for p in got) and len(got) == 12
    parallel.shutdown()


def test_a_lane_is_one_process_and_keeps_its_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cluster k's stages all run in lane k: its portraits stay in that process's cache for the views."""
    monkeypatch.setattr(settings, "workers", 2)
    lanes = parallel.pool()
    try:
        pinned = [[lanes.submit(os.getpid, lane=k) for _ in range(4)] for k in range(3)]
        pids = [{f.result(timeout=120) for f in futures} for futures in pinned]
        assert all(len(p) == 1 for p in pids)  # every call pinned to a lane ran in the same process
        assert pids[0] != pids[1] and pids[2] == pids[0] and os.getpid() not in pids[0] | pids[1]
        # unpinned calls go to the lane with the fewest waiting: two slow calls take both lanes
        slow = [lanes.submit(_sleep_then_pid, 1.0) for _ in range(2)]
        assert {f.result(timeout=120) for f in slow} == pids[0] | pids[1]
    finally:
        parallel.shutdown()


def _sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()
