"""Dask worker preload: every Dask worker that runs pipeline batches takes the pipeline's collector
setting (``SHUZHEN_GC_YOUNG``, ``flows.tune_gc``), as the local pool's workers do when they start.

The local cluster (``parallel.dask_task_runner``) loads it itself; a remote worker is started with
``dask worker <scheduler> --preload flows.dask_preload`` (as ``docker-compose.yml`` does).
"""

from __future__ import annotations

from typing import Any

from flows import tune_gc


def dask_setup(worker: Any) -> None:
    """Called by Dask in each worker process as it starts (the preload protocol)."""
    tune_gc()
