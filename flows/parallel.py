"""Batches side by side: a process pool on this machine, or Dask through Prefect (``prefect-dask``).

Scoring and workbook writing are CPU-bound Python (the GIL rules out threads), and their batches are
independent: each opens its own database session and writes its own rows or files. Two ways to run
them at once, chosen by the environment (``diagnostics.settings``):

- ``SHUZHEN_TASK_RUNNER=local`` (default): when the work is large enough (``SHUZHEN_PARALLEL_MIN`` rows)
  and ``SHUZHEN_WORKERS`` > 1, batches go to a pool of spawned processes. Spawned, not forked: the
  parent runs Prefect's threads, and forking a threaded process can deadlock. The pool starts with
  the parent's settings (tests and benches change them in memory) and is kept for the process.
- Clusters side by side: a stage's per-cluster bodies (portraits, the views, the workbooks, the research
  report) go one cluster per worker when two or more large clusters change at once
  (``context.per_cluster``). The pool is therefore a set of *lanes*, one single-process executor each:
  cluster ``k`` of a run always lands in lane ``k``, so the portraits a lane built stay in that
  process's frame cache for the stages after it (a pool that hands work to any idle worker would
  read them back from the database at every stage). Batches with no lane of their own go to the
  lane with the fewest waiting.
- ``SHUZHEN_TASK_RUNNER=dask``: the batch flows (score, reports) run with Prefect's ``DaskTaskRunner``
  and each batch is a task on the Dask cluster at ``SHUZHEN_DASK_ADDRESS`` (its workers read their own
  environment: same ``DATABASE_URL`` and ``SHUZHEN_REPORTS``), or on a temporary local cluster.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from typing import Any

from diagnostics.settings import settings
from flows import tune_gc

PRELOAD = "flows.dask_preload"  # each Dask worker takes the collector setting as it starts
BATCH_FLOWS = frozenset({"score", "reports"})  # the subflows whose batches may run side by side
_POOL: tuple[tuple[Any, ...], Lanes] | None = None
# Prefect runs a stage's batch tasks in threads that all ask for the pool at once: without the lock each
# of the first few made a pool of its own (2 spawned workers each, every one importing the project), so
# a cold run's scoring took 22 to 60 s instead of 16 s and left the extra workers behind
_POOL_LOCK = threading.Lock()
_IN_WORKER = False  # set in a pool process: work it runs never starts a pool of its own


class Lanes:
    """``n`` spawned worker processes, each a single-process executor; ``submit`` picks the lane."""

    def __init__(self, n: int, values: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self._lanes = [ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_init_worker,
                                           initargs=(values,)) for _ in range(n)]
        self._waiting = [0] * n
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._lanes)

    def submit(self, fn: Callable[..., Any], *args: Any, lane: int | None = None, **kwargs: Any) -> Future[Any]:
        """``fn(*args, **kwargs)`` in lane ``lane`` (modulo the number of lanes), else in the least busy."""
        with self._lock:
            k = lane % len(self._lanes) if lane is not None else self._waiting.index(min(self._waiting))
            self._waiting[k] += 1
        future = self._lanes[k].submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _f: self._done(k))
        return future

    def _done(self, k: int) -> None:
        with self._lock:
            self._waiting[k] -= 1

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        for executor in self._lanes:
            executor.shutdown(wait=wait, cancel_futures=cancel_futures)


def _init_worker(values: dict[str, Any]) -> None:
    """A pool process takes the parent's settings (not only its environment), and its collector tuning."""
    global _IN_WORKER
    _IN_WORKER = True
    settings.__dict__.update(values)
    tune_gc()


def _settings_key() -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in asdict(settings).items()))


def pool() -> Lanes:
    """The worker lanes for the current settings (new ones when they changed)."""
    global _POOL
    key = _settings_key()
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != key:
            _shutdown()
            _POOL = (key, Lanes(settings.workers, dict(settings.__dict__)))
        return _POOL[1]


def shutdown() -> None:
    with _POOL_LOCK:
        _shutdown()


def _shutdown() -> None:
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


atexit.register(shutdown)


def local_workers() -> bool:
    """More than one local worker process to spread work over: not on Dask, not inside a worker."""
    return settings.task_runner != "dask" and settings.workers > 1 and not _IN_WORKER


def use_pool(calls: Sequence[tuple[Any, ...]], rows: int) -> bool:
    """Local processes pay off: more than one worker and batch, and enough rows to amortise the start."""
    return local_workers() and len(calls) > 1 and rows >= settings.parallel_min_rows


def dask_task_runner() -> Any:
    """Prefect's Dask task runner for the configured cluster (imported only when Dask is configured)."""
    from prefect_dask import DaskTaskRunner  # noqa: PLC0415  (imports distributed: only when Dask is configured)

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers, "threads_per_worker": 1,
                                          "processes": True, "preload": [PRELOAD]})
