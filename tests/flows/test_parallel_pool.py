"""The local process pool is one per process, even when Prefect's task threads ask for it at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

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
    assert len(made) == 1 and all(p is made[0] for p in got) and len(got) == 12
    parallel.shutdown()
