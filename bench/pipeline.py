"""Benchmark the cluster pipeline: Prefect versus the same stage functions called directly.

    .venv/bin/python bench/pipeline.py [--enterprises 10000] [--scope shortlist|all] [--keep DIR] [--pairs N]

Builds the demo (``seed_demo``: two clusters, N enterprises, ~1.7 submissions each) in a fresh SQLite
file, then in one process:

1. starts Prefect's temporary server with an empty flow (embedded mode; reported on its own line,
   it is a one-off cost of the process, not of the pipeline);
2. starts the process pool's workers (also a one-off, reported on its own line);
3. runs ``pipeline_flow`` through Prefect and takes each stage's wall time from its summary, then
   runs it again on unchanged data (nothing to score, every snapshot re-used: no new rows);
4. empties the derived tables and the report folder and runs the identical stage functions with the
   ``DIRECT`` runner (no Prefect at all): the difference to 3. is Prefect's overhead. With ``--pairs N``
   it runs N such pairs, the order alternating (the first run of a pair meets colder caches), and
   compares the fastest run of each mode stage by stage.

Caches that would favour whichever run goes second (taxonomy, targets, compiled definitions, portrait
frames) are cleared before each run. Peak memory is each process's own peak resident set (``VmHWM``),
the bench process's counted from after the seed (so it includes what the seed left resident); each
worker lane's is also given stage by stage (its count restarted before each stage), to show which
stage sets it.
"""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import flows  # noqa: F401  (Prefect's environment defaults, before Prefect itself is imported)

# isort: split
from prefect import flow
from sqlalchemy import Engine, delete, func, select

from diagnostics import pilot, scoring, taxonomy
from diagnostics.settings import settings
from diagnostics.store import cluster_data, repo
from diagnostics.store.db import checkpoint, get_engine, session_scope, upgrade
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Assessment, Enterprise, PipelineRun, Portrait, Snapshot, Submission
from flows import parallel
from flows.context import DIRECT, PrefectRunner, Runner
from flows.pipeline import pipeline_flow, run_pipeline_stages

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the bench package, from a script

from bench.memory import resident, restart_peak  # noqa: E402

STAGES = ("score", "portraits", "needs", "industry_map", "shortlist", "reports", "research_report")


def clear_caches() -> None:
    taxonomy.load_taxonomy.cache_clear()
    pilot.load_targets.cache_clear()
    repo.clear_definitions()
    scoring._COMPILED.clear()
    cluster_data.clear_cache()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (Assessment, Portrait, Snapshot, PipelineRun)}


def reset_derived(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (Portrait, Snapshot, PipelineRun, Assessment):
            conn.execute(delete(table))
    checkpoint(engine)
    shutil.rmtree(settings.report_dir, ignore_errors=True)


def peak_mb() -> float:
    """This process's own peak resident set, MB (``VmHWM``; ``ru_maxrss`` where there is no ``/proc``).

    ``ru_maxrss`` does not do for the worker lanes: a spawned process's also counts its parent's size at
    the fork, kept across ``exec``, so lanes started after a 500 000-firm seed each reported the seeding
    process's 2 041 MB."""
    try:
        return resident()[0]
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lane_peak() -> float:
    """This lane's peak since the last call: the counter then restarts from what the lane holds now."""
    peak = peak_mb()
    restart_peak()
    return peak


def watch_lanes(record: dict[str, list[list[float]]]) -> None:
    """After each stage (through Prefect or direct), record every lane's peak during it: which stage
    sets a lane's peak, and how that grows with the demo's size."""
    if settings.workers <= 1:
        return
    lanes = parallel.pool()

    def peaks() -> list[float]:
        return [lanes.submit(lane_peak, lane=k).result() for k in range(len(lanes))]

    for runner in (Runner, PrefectRunner):
        real = runner.flow

        def flow(self: Any, flow_obj: Any, stage: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            peaks()  # what an earlier stage or run left counts from here
            try:
                return _real(self, flow_obj, stage, *args, **kwargs)
            finally:
                record.setdefault(stage.__name__.removeprefix("run_"), []).append(peaks())

        runner.flow = flow  # type: ignore[method-assign]


def warm_pool() -> None:
    """Start the process pool's workers before any timed run (each imports the project, ~1 s): the
    first run to score would otherwise pay it, whichever mode it is."""
    if settings.workers > 1:
        lanes = parallel.pool()
        for future in [lanes.submit(abs, k, lane=k) for k in range(len(lanes))]:
            future.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=10000)
    parser.add_argument("--scope", choices=("shortlist", "all"), default="shortlist",
                        help="which enterprises get a diagnosis workbook (default: the shortlist)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: use the demo already seeded there (derived tables are emptied)")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--pairs", type=int, default=1,
                        help="pairs of runs (Prefect and direct, the order alternating); the fastest of each counts")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="shuzhen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    if not args.reuse:
        db.unlink(missing_ok=True)
    settings.database_url = f"sqlite:///{db}"
    settings.report_dir = work / "reports"
    settings.report_scope = args.scope
    logging.basicConfig(level=logging.WARNING)

    t0 = time.perf_counter()
    upgrade(settings.database_url)
    engine = get_engine()
    if args.reuse and db.exists():
        reset_derived(engine)  # the seeded demo of an earlier --keep run, nothing derived
    with session_scope(engine) as s:
        seeded = seed_demo(s, enterprises=args.enterprises)
        if not seeded.get("created", True):
            seeded = {"enterprises": s.scalar(select(func.count()).select_from(Enterprise)),
                      "submissions": s.scalar(select(func.count()).select_from(Submission))}
    print(f"demo: {seeded['enterprises']} enterprises, {seeded['submissions']} submissions "
          f"in {time.perf_counter() - t0:.1f} s  ({db})")
    restart_peak()  # the runs' peak, not the seed's (where it cannot, the peak includes the seed)

    @flow(name="bench-warmup")
    def warmup() -> None:
        return None

    t0 = time.perf_counter()
    warmup()
    print(f"Prefect temporary server start (one-off, not in the figures below): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    warm_pool()
    print(f"process pool start (one-off, not in the figures below): {time.perf_counter() - t0:.1f} s")

    # pairs of full runs, Prefect first in odd pairs and direct first in even ones: whichever goes first
    # meets colder caches (the OS's, SQLite's), so a fixed order would charge that to one mode
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {"prefect": [], "direct": []}
    by_stage: dict[str, list[list[float]]] = {}
    watch_lanes(by_stage)
    rerun_total, after_first, after_second, new, rescored = 0.0, {}, {}, [], 0
    for pair in range(args.pairs):
        for mode in (("prefect", "direct") if pair % 2 == 0 else ("direct", "prefect")):
            reset_derived(engine)
            clear_caches()
            t0 = time.perf_counter()
            result = pipeline_flow() if mode == "prefect" else run_pipeline_stages(None, runner=DIRECT)
            total = time.perf_counter() - t0
            runs[mode].append((total, result["timings"]))
            print(f"pair {pair + 1}, {mode}: {total:.2f} s, stages {result['timings']}", flush=True)
            if mode == "prefect" and pair == 0:
                after_first = counts(engine)
                clear_caches()
                t0 = time.perf_counter()
                again = pipeline_flow()
                rerun_total = time.perf_counter() - t0
                print(f"rerun through Prefect: {rerun_total:.2f} s, stages {again['timings']}", flush=True)
                after_second = counts(engine)
                new = [k for c in again["clusters"].values() for k, v in c["snapshots"].items() if v["new"]]
                rescored = again["score"]["assessments_written"]

    # the fastest of each mode's runs, stage by stage (timeit's rule: noise only ever adds time)
    best = {mode: {stage: min(t[stage] for _, t in got) for stage in STAGES} for mode, got in runs.items()}
    prefect_total = min(total for total, _ in runs["prefect"])
    direct_total = min(total for total, _ in runs["direct"])
    print(f"\n{'stage':<16}{'Prefect s':>11}{'direct s':>11}{'overhead':>10}   (fastest of {args.pairs} each)")
    for stage in STAGES:
        p, d = best["prefect"][stage], best["direct"][stage]
        print(f"{stage:<16}{p:>11.2f}{d:>11.2f}{(p - d) / d * 100 if d else 0:>9.1f}%")
    print(f"{'pipeline':<16}{prefect_total:>11.2f}{direct_total:>11.2f}"
          f"{(prefect_total - direct_total) / direct_total * 100:>9.1f}%")
    print(f"\nrows after run 1: {after_first}")
    print(f"rerun on unchanged data: {rerun_total:.2f} s, rows {after_second}, "
          f"new snapshots: {new or 'none'}, {rescored} assessments written")
    peak = peak_mb()
    print(f"peak memory (peak resident set of this process, both runs): {peak:.0f} MB "
          "(Prefect's temporary server is a separate child process, not included)")
    if settings.workers > 1:  # the lanes build the clusters' portraits and scores: their peaks count too
        lanes = parallel.pool()
        # the peak since the last stage's, or the highest during a stage (each stage restarts the count)
        peaks = [max([lanes.submit(peak_mb, lane=k).result()] + [run[k] for got in by_stage.values() for run in got])
                 for k in range(len(lanes))]
        print("peak memory of each worker lane: " + ", ".join(f"{p:.0f} MB" for p in peaks)
              + f"; all processes together at most {peak + sum(peaks):.0f} MB")
        print("each lane's peak during each stage, the highest over the runs: " + "; ".join(
            f"{stage} " + " + ".join(f"{max(run[k] for run in got):.0f}" for k in range(len(peaks)))
            for stage, got in by_stage.items()) + " MB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
