"""Pipeline processes run the cycle collector less often (``SHUZHEN_GC_YOUNG``); 0 leaves Python's own."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from diagnostics.settings import settings
from flows import parallel, tune_gc


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    parallel.shutdown()


def test_the_setting_sets_the_young_threshold_and_zero_leaves_pythons(
        thresholds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    gc.set_threshold(700, 10, 10)
    monkeypatch.setattr(settings, "gc_young", 0)
    tune_gc()
    assert gc.get_threshold() == (700, 10, 10)
    monkeypatch.setattr(settings, "gc_young", 50_000)
    tune_gc()
    assert gc.get_threshold() == (50_000, 10, 10)  # the older generations keep Python's rules


def test_pool_workers_take_the_setting(thresholds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A spawned worker starts with Python's 700; it takes the parent's setting when it starts."""
    monkeypatch.setattr(settings, "workers", 1)
    monkeypatch.setattr(settings, "gc_young", 40_000)
    got = parallel.pool().submit(gc.get_threshold).result(timeout=120)
    assert got[0] == 40_000


def test_dask_workers_take_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local Dask cluster the score and report batches run on preloads ``flows.dask_preload``: each
    worker process applies the setting as it starts (it reads it from the environment, like any worker)."""
    from distributed import Client, LocalCluster  # noqa: PLC0415  (Dask only for this test)

    monkeypatch.setenv("SHUZHEN_GC_YOUNG", "40000")
    monkeypatch.setattr(settings, "workers", 1)
    runner = parallel.dask_task_runner()
    with LocalCluster(**{**runner.cluster_kwargs, "dashboard_address": None}) as cluster, Client(cluster) as client:
        got = client.run(gc.get_threshold)
    assert [t[0] for t in got.values()] == [40_000]
