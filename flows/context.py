"""What every stage flow shares: the cluster it works on, run bookkeeping, and the ``Runner``.

A stage is written once, as a plain function that calls its steps through a ``Runner``. The Prefect
flows run it with ``PREFECT`` (each step a task, each stage a subflow, logs to the run logger); the
benchmark runs the very same function with ``DIRECT`` (plain calls) to measure Prefect's overhead on
identical work. Steps open their own database session (``session_scope``) and call one
``diagnostics`` function on a whole batch: never one task per row.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import prefect.context
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.runtime import flow_run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY
from prefect.utilities.annotations import quote

from diagnostics.pilot import PilotTargets, targets_for_cluster
from diagnostics.portraits import PortraitSet
from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.db import get_engine, retry_busy, session_scope
from diagnostics.taxonomy import Taxonomy, load_taxonomy
from flows import give_back_memory, parallel, tune_gc

log = logging.getLogger("shuzhen.flows")


@dataclass(frozen=True)
class ClusterContext:
    """A cluster as the stages need it: ids, names, its taxonomy and its pilot's targets."""

    id: int
    code: str
    name: str
    industry: str
    pilot_code: str | None

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(self.industry)

    @cached_property
    def targets(self) -> PilotTargets:
        return targets_for_cluster(self.pilot_code)


def cluster_context(code: str) -> ClusterContext:
    with session_scope(get_engine()) as s:
        c = cluster_data.cluster_by_code(s, code)
        return ClusterContext(c.id, c.code, c.name_zh, c.industry, c.pilot_code)


Clusters = str | list[str] | None  # what a stage runs for: one cluster's code, several, or every cluster


def cluster_codes(code: Clusters) -> list[str]:
    """The one cluster asked for, the several asked for (in that order), or every cluster."""
    with session_scope(get_engine()) as s:
        if code is None:
            return cluster_data.cluster_codes(s)
        return [cluster_data.cluster_by_code(s, c).code for c in ([code] if isinstance(code, str) else code)]


def open_run(cluster: str, flow: str, flow_run_id: str | None) -> int:
    with session_scope(get_engine()) as s:
        return cluster_data.start_run(s, cluster_data.cluster_by_code(s, cluster).id, flow_run_id, flow)


def close_run(run_id: int, status: str, **stats: Any) -> None:
    with session_scope(get_engine()) as s:
        cluster_data.update_run(s, run_id, status=status, **stats)


def fail_run(run_id: int, exc: BaseException) -> None:
    """Close a run as failed, saying why (the error's type and message, cut to 500 characters)."""
    close_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:500])


def store_snapshot(cluster_id: int, kind: str, payload: dict[str, Any], run_id: int | None,
                   flow_run_id: str | None) -> int:
    """Save a view (or find the identical one) and link it to the run; returns the snapshot id. Again if
    the database was busy: clusters side by side write one SQLite file at once."""
    return retry_busy(_store_snapshot, cluster_id, kind, payload, run_id, flow_run_id)


def _store_snapshot(cluster_id: int, kind: str, payload: dict[str, Any], run_id: int | None,
                    flow_run_id: str | None) -> int:
    with session_scope(get_engine()) as s:
        snapshot_id, created = cluster_data.save_snapshot(s, cluster_id, kind, payload, run_id=run_id,
                                                          flow_run_id=flow_run_id)
    log.debug("%s snapshot %s (%s)", kind, snapshot_id, "new" if created else "unchanged")
    return snapshot_id


def upstream(cluster_id: int, kind: str, snapshot_id: int | None) -> int:
    """The snapshot a stage reads: the one handed over by the pipeline, else the latest."""
    if snapshot_id is not None:
        return snapshot_id
    with session_scope(get_engine()) as s:
        snap = cluster_data.latest_snapshot(s, cluster_id, kind)
        if snap is None:
            raise LookupError(f"no '{kind}' snapshot for cluster {cluster_id} yet: run the portraits flow first / "
                              "尚无画像快照")
        return snap.id


def read_portraits(snapshot_id: int) -> tuple[PortraitSet, dict[str, list[str]]]:
    """A portraits snapshot's portraits (light rows, nested profiles a part at a time), with its feed map
    (which scenarios each weakness feeds)."""
    with session_scope(get_engine()) as s:
        return cluster_data.portrait_set(s, snapshot_id), cluster_data.portrait_feeds(s, snapshot_id)


Body = Callable[..., Any]  # body(ctx, run_id, flow_run_id, runner, **kwargs): one cluster's share of a stage


def per_cluster(cluster: Clusters, flow: str, run_ids: dict[str, int] | None, runner: Runner,
                body: Body, **kwargs: Any) -> dict[str, Any]:
    """Run a stage's ``body`` for one cluster, several or every cluster; returns its result per cluster code.

    A stage started by the pipeline writes into the pipeline's run of each cluster (``run_ids``); a
    stage started on its own opens (and closes) a run per cluster, so history shows it too.

    When several clusters are large enough to be worth a process each (``clusters_side_by_side``),
    the bodies run at once, cluster ``k`` in worker lane ``k`` (``flows.parallel``), each with the plain
    runner: the stage is then one task per cluster, and the lines a body logs are logged here when it
    returns. ``body`` is then pickled to the worker, so it must be a module-level function, and so
    must ``kwargs``' values be picklable (snapshot ids, names, flags).
    """
    tune_gc()
    out: dict[str, Any] = {}
    flow_run_id = runner.flow_run_id()
    codes = cluster_codes(cluster)
    if clusters_side_by_side(codes):
        return _side_by_side(codes, flow, flow_run_id, run_ids, runner, body, kwargs)
    for code in codes:
        ctx = cluster_context(code)
        run_id = (run_ids or {}).get(code)
        own = run_id is None
        if run_id is None:
            run_id = open_run(code, flow, flow_run_id)
        try:
            out[code] = body(ctx, run_id, flow_run_id, runner, **kwargs)
        except BaseException as exc:
            if own:
                fail_run(run_id, exc)
            raise
        finally:
            give_back_memory()
        if own:
            close_run(run_id, "completed")
    return out


def clusters_side_by_side(codes: Sequence[str]) -> bool:
    """Several clusters, more than one local worker, and enough enterprises among them to repay a
    process each (``SHUZHEN_PARALLEL_MIN``, as for batches): a province's clusters are independent
    until the research report, so on 2 cores two clusters' portraits, views and workbooks take the
    time of the larger one. Not on Dask (its batches already spread there), not inside a worker."""
    if len(codes) < 2 or not parallel.local_workers():
        return False
    with session_scope(get_engine()) as s:
        return cluster_data.enterprise_count(s, codes) >= settings.parallel_min_rows


def _side_by_side(codes: list[str], flow: str, flow_run_id: str | None, run_ids: dict[str, int] | None,
                  runner: Runner, body: Body, kwargs: dict[str, Any]) -> dict[str, Any]:
    runs = {code: (run_ids or {}).get(code) for code in codes}
    own = {code for code, run_id in runs.items() if run_id is None}
    ids = {code: runs[code] or open_run(code, flow, flow_run_id) for code in codes}
    calls = [(body, code, ids[code], flow_run_id, kwargs) for code in codes]
    outcomes = runner.lanes(run_in_lane, calls, name=f"{flow}-cluster")
    out: dict[str, Any] = {}
    failure: BaseException | None = None
    for code, outcome in zip(codes, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            failure = failure or outcome
            if code in own:
                fail_run(ids[code], outcome)
            continue
        out[code], lines = outcome
        for line in lines:
            runner.log(line)
        if code in own:
            close_run(ids[code], "completed")
    if failure is not None:
        raise failure
    return out


def run_in_lane(body: Body, code: str, run_id: int, flow_run_id: str | None,
                kwargs: dict[str, Any]) -> tuple[Any, list[str]]:
    """One cluster's body in a worker lane: plain calls, its log lines kept and handed back."""
    runner = CollectingRunner()
    try:
        return body(cluster_context(code), run_id, flow_run_id, runner, **kwargs), runner.lines
    finally:
        give_back_memory()


def run_view(cluster: Clusters, kind: str, compute: Any, *, portraits: dict[str, int] | None,
             run_ids: dict[str, int] | None, runner: Runner) -> dict[str, int]:
    """The shape every portraits-based view shares: read portraits, compute one payload, store it."""
    return per_cluster(cluster, kind, run_ids, runner, view_body, kind=kind, compute=compute,
                       portraits=portraits)


def view_body(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner, *, kind: str,
              compute: Callable[..., dict[str, Any]], portraits: dict[str, int] | None) -> int:
    source = upstream(ctx.id, "portraits", (portraits or {}).get(ctx.code))
    frame, feeds = read_portraits(source)  # not a task: in a pipeline run it is a cache hit
    payload = runner.task(compute, ctx, frame, feeds)
    snapshot_id = runner.task(store_snapshot, ctx.id, kind, payload, run_id, flow_run_id)
    runner.log(f"{kind}[{ctx.code}]: snapshot {snapshot_id} from portraits {source}")
    return snapshot_id


class Runner:
    """How a stage calls its steps. ``DIRECT`` calls them; ``PrefectRunner`` makes tasks and subflows."""

    name = "direct"

    def task(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, rows: int = 0,
            each: Callable[[int, Any], None] | None = None) -> list[Any]:
        """``fn(*args)`` for each tuple of ``calls`` (independent batches), results in order; ``each(k, result)``
        after batch k. Side by side in a process pool when ``rows`` of work make it worth it (``flows.parallel``)."""
        results: list[Any] = []
        if parallel.use_pool(calls, rows):
            futures = [parallel.pool().submit(fn, *args) for args in calls]
            results = []
            for k, future in enumerate(futures, start=1):
                results.append(future.result())
                if each:
                    each(k, results[-1])
            return results
        for k, args in enumerate(calls, start=1):
            results.append(self.task(fn, *args))
            if each:
                each(k, results[-1])
        return results

    def lanes(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, name: str) -> list[Any]:
        """``fn(*args)`` for each tuple of ``calls`` at once, call ``k`` in worker lane ``k``
        (``flows.parallel``); each one's result, or the exception it raised (``name``: the task's)."""
        futures = [parallel.pool().submit(fn, *args, lane=k) for k, args in enumerate(calls)]
        return [_outcome(future.result) for future in futures]

    def flow(self, flow_obj: Any, stage: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return stage(*args, runner=self, **kwargs)

    def log(self, message: str) -> None:
        log.info(message)

    def flow_run_id(self) -> str | None:
        return None


DIRECT = Runner()


def _outcome(get: Callable[[], Any]) -> Any:
    try:
        return get()
    except Exception as exc:  # handed back: the caller closes each cluster's run by its own outcome
        return exc


def _lane_call(lane: int, fn: Callable[..., Any], *args: Any) -> Any:
    return parallel.pool().submit(fn, *args, lane=lane).result()


class CollectingRunner(Runner):
    """The plain runner, keeping what it logs (a body in a worker lane hands its lines back)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str) -> None:
        self.lines.append(message)



class PrefectRunner(Runner):
    """Steps become Prefect tasks and stages become subflows; logs go to the run's logger.

    Tasks neither cache nor persist results: their inputs are whole clusters (frames, thousands of
    rows) that live for one run. Non-scalar arguments are wrapped in ``quote`` so Prefect does not walk
    10 000 nested rows looking for upstream futures on every call.
    """

    name = "prefect"

    def __init__(self) -> None:
        self._tasks: dict[tuple[Callable[..., Any], bool], Any] = {}
        self._lane_tasks: dict[str, Any] = {}
        self._quiet: tuple[Any, Any] = (None, None)

    def _task(self, fn: Callable[..., Any], pooled: bool = False) -> Any:
        key = (fn, pooled)
        wrapped = self._tasks.get(key)
        if wrapped is None:
            body = fn
            if pooled:
                def body(*args: Any, **kwargs: Any) -> Any:
                    return parallel.pool().submit(fn, *args, **kwargs).result()

                functools.update_wrapper(body, fn)
            wrapped = self._tasks[key] = task(name=fn.__name__.replace("_", "-"), cache_policy=NO_CACHE,
                                              persist_result=False)(body)
        return wrapped

    def task(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._task(fn)(*[_quote(a) for a in args], **{k: _quote(v) for k, v in kwargs.items()})

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, rows: int = 0,
            each: Callable[[int, Any], None] | None = None) -> list[Any]:
        """Batches as Prefect tasks submitted together: on the Dask cluster (``SHUZHEN_TASK_RUNNER=dask``,
        the flow runs on a ``DaskTaskRunner``), or each task handing its batch to the local process pool;
        one after the other when neither applies."""
        dask = settings.task_runner == "dask"
        if not dask and not parallel.use_pool(calls, rows):
            return super().map(fn, calls, rows=rows, each=each)
        wrapped = self._task(fn, pooled=not dask)
        # batch arguments are small (ids, a context); quote() annotations do not survive the trip to Dask
        futures = [wrapped.submit(*(args if dask else [_quote(a) for a in args])) for args in calls]
        results: list[Any] = []
        for k, future in enumerate(futures, start=1):
            results.append(future.result())
            if each:
                each(k, results[-1])
        return results

    def lanes(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, name: str) -> list[Any]:
        """One task per call, submitted together, each handing its call to its worker lane."""
        wrapped = self._lane_tasks.get(name)
        if wrapped is None:
            wrapped = self._lane_tasks[name] = task(name=name, cache_policy=NO_CACHE, persist_result=False)(_lane_call)
        futures = [wrapped.submit(k, _quote(fn), *[_quote(a) for a in args]) for k, args in enumerate(calls)]
        return [_outcome(future.result) for future in futures]

    def flow(self, flow_obj: Any, stage: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a stage as a subflow, without its own heartbeat thread.

        Prefect joins a flow run's heartbeat thread on exit, and that thread sleeps in 1 s steps: ~0.5 s
        lost per subflow. The parent pipeline run keeps its heartbeat, and a subflow lives and dies in
        its parent's process, so crash detection loses nothing. The quieter settings are derived once.
        """
        if settings.task_runner == "dask" and getattr(flow_obj, "name", None) in parallel.BATCH_FLOWS:
            flow_obj = flow_obj.with_options(task_runner=parallel.dask_task_runner())
        current = prefect.context.get_settings_context()
        base, quiet = self._quiet
        if base is not current.settings:
            quiet = current.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
            self._quiet = (current.settings, quiet)
        with prefect.context.SettingsContext(profile=current.profile, settings=quiet):
            return flow_obj(*args, **kwargs)

    def log(self, message: str) -> None:
        try:
            get_run_logger().info(message)
        except MissingContextError:
            log.info(message)

    def flow_run_id(self) -> str | None:
        value = flow_run.id
        return str(value) if value else None


def _quote(value: Any) -> Any:
    """Non-scalar task arguments wrapped so Prefect does not walk them looking for futures."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else quote(value)


PREFECT = PrefectRunner()
