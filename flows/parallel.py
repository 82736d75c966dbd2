"""Batches side by side: a process pool on this machine, or Dask through Prefect (``prefect-dask``).

Scoring and workbook writing are CPU-bound Python (the GIL rules out threads), and their batches are
independent: each opens its own database session and writes its own rows or files. Two ways to run
them at once, chosen by the environment (``diagnostics.settings``):

- ``SHUZHEN_TASK_RUNNER=local`` (default): when the work is large enough (``SHUZHEN_PARALLEL_MIN`` rows)
  and ``SHUZHEN_WORKERS`` > 1, batches go to a pool of spawned processes. Spawned, not forked: the
  parent runs Prefect's threads, and forking a threaded process can deadlock. The pool starts with
  the parent's settings (tests and benches change them in memory) and is kept for the process.
- ``SHUZHEN_TASK_RUNNER=dask``: the batch flows (score, reports) run with Prefect's ``DaskTaskRunner``
  and each batch is a task on the Dask cluster at ``SHUZHEN_DASK_ADDRESS`` (its workers read their own
  environment: same ``DATABASE_URL`` and ``SHUZHEN_REPORTS``), or on a temporary local cluster.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict
from typing import Any

from diagnostics.settings import settings
from flows import tune_gc

BATCH_FLOWS = frozenset({"score", "reports"})  # the subflows whose batches may run side by side
_POOL: tuple[tuple[Any, ...], ProcessPoolExecutor] | None = None
# Prefect runs a stage's batch tasks in threads that all ask for the pool at once: without the lock each
# of the first few made a pool of its own (2 spawned workers each, every one importing the project), so
# a cold run's scoring took 22 to 60 s instead of 16 s and left the extra workers behind
_POOL_LOCK = threading.Lock()


def _init_worker(values: dict[str, Any]) -> None:
    """A pool process takes the parent's settings (not only its environment), and its collector tuning."""
    settings.__dict__.update(values)
    tune_gc()


def _settings_key() -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in asdict(settings).items()))


def pool() -> Executor:
    """The process pool for the current settings (a new one when they changed)."""
    global _POOL
    key = _settings_key()
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != key:
            _shutdown()
            executor = ProcessPoolExecutor(max_workers=settings.workers,
                                           mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker, initargs=(dict(settings.__dict__),))
            _POOL = (key, executor)
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


def use_pool(calls: Sequence[tuple[Any, ...]], rows: int) -> bool:
    """Local processes pay off: more than one worker and batch, and enough rows to amortise the start."""
    return (settings.task_runner != "dask" and settings.workers > 1 and len(calls) > 1
            and rows >= settings.parallel_min_rows)


def in_pool(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in the pool and wait for it (a Prefect task body; the task tracks the batch)."""
    return pool().submit(fn, *args).result()


def dask_task_runner() -> Any:
    """Prefect's Dask task runner for the configured cluster (imported only when Dask is configured)."""
    from prefect_dask import DaskTaskRunner  # noqa: PLC0415  (imports distributed: only when Dask is configured)

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers, "threads_per_worker": 1,
                                          "processes": True})
