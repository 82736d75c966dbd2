"""Reports at scale: every enterprise's diagnosis workbook (一企一诊断书) on 1 and on 2 worker processes.

    .venv/bin/python bench/reports.py [--enterprises 10000] [--workers 1 2] [--keep DIR]

Seeds the demo (N enterprises) in a fresh SQLite file and runs the pipeline once without Prefect (score,
portraits, needs, map, shortlist, the shortlist's workbooks). Then, for each worker count, empties the
report folder and runs the reports stage with scope ``all`` (``flows.reports.run_reports``: the same
batches of ``SHUZHEN_REPORT_BATCH`` enterprises, side by side in a process pool when workers > 1) and
prints the wall time, workbooks per second and the files written. A last run on the full folder shows
the unchanged case (content-named files: nothing rewritten).
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flows  # noqa: E402,F401  (Prefect environment defaults first)
from diagnostics.settings import settings  # noqa: E402
from diagnostics.store import cluster_data  # noqa: E402
from diagnostics.store.db import get_engine, session_scope, upgrade  # noqa: E402
from diagnostics.store.demo_data import seed_demo  # noqa: E402
from flows import parallel  # noqa: E402
from flows.context import DIRECT  # noqa: E402
from flows.pipeline import run_pipeline_stages  # noqa: E402
from flows.reports import run_reports  # noqa: E402


def cpu_seconds() -> float:
    """CPU (user + system) of this process and of its ended children (the pool's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=10000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--no-rerun", action="store_true", help="skip the unchanged rerun at the end")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="shuzhen-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    db.unlink(missing_ok=True)
    settings.database_url = f"sqlite:///{db}"
    settings.report_dir = work / "reports"
    settings.parallel_min_rows = 0
    logging.basicConfig(level=logging.WARNING)

    t0 = time.perf_counter()
    upgrade(settings.database_url)
    with session_scope(get_engine()) as s:
        seeded = seed_demo(s, enterprises=args.enterprises)
    run_pipeline_stages(None, scope="shortlist", runner=DIRECT)
    print(f"demo: {seeded['enterprises']} enterprises, {seeded['submissions']} submissions, pipeline run "
          f"(shortlist workbooks) in {time.perf_counter() - t0:.1f} s  ({db})")
    print(f"batch size {settings.report_batch_size} enterprises per task")

    for workers in args.workers:
        shutil.rmtree(settings.report_dir, ignore_errors=True)
        cluster_data.clear_cache()
        settings.workers = workers
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        out = run_reports(None, scope="all", runner=DIRECT)
        elapsed = time.perf_counter() - t0
        files = len(list(settings.report_dir.rglob("*.xlsx")))
        parallel.shutdown()  # the pool's processes end here, so their CPU is counted below
        cpu = cpu_seconds() - cpu0
        print(f"workers {workers}: {files} workbooks ({len(out)} clusters) in {elapsed:.1f} s = "
              f"{files / elapsed:.0f} workbooks/s (pool start included); CPU {cpu:.1f} s "
              f"({cpu / max(files, 1) * 1000:.1f} ms per workbook), {cpu / elapsed:.2f} cores busy on average")

    if not args.no_rerun:
        t0 = time.perf_counter()
        run_reports(None, scope="all", runner=DIRECT)
        print(f"unchanged rerun: {time.perf_counter() - t0:.1f} s, "
              f"{len(list(settings.report_dir.rglob('*.xlsx')))} workbooks on disk (none rewritten)")
    parallel.shutdown()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
